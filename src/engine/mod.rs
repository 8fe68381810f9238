//! Executors and placement: one glommio executor pinned per selected core, each running one
//! shard; snapshots flow out over a bounded crossbeam channel. The engine never prints.
pub mod clock;
mod conn;
mod core;
pub mod correlate;
mod pacer;
mod part;
mod shard;
mod spec;
pub mod timer_probe;
pub mod tls;
pub mod work;

use crate::record::Snapshot;
use crossbeam_channel::{Receiver, bounded};
use hdrhistogram::Histogram;
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;

pub use crate::signal::StopFlag;
pub use spec::{EngineSpec, Scenario, Single, TlsTarget, Workload};

/// What the run looked like from the engine's side, known once t0 is fixed.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    /// Start of the schedule (clock::now_ns scale).
    pub t0: u64,
    /// When the executors were released to start, relative to t0 (positive: late, with
    /// `--start-at` in the past by then; the usual lead is −5 ms).
    pub released_ns: i64,
}

#[derive(Debug)]
pub enum EngineError {
    /// An executor could not start (io_uring setup, usually locked memory).
    Executor { cpu: usize, reason: String },
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Executor { cpu, reason } => write!(
                f,
                "cannot start the io_uring executor on CPU {cpu}: {reason}. io_uring needs locked memory: \
                 raise the limit with `ulimit -l unlimited` (or LimitMEMLOCK=infinity for a systemd unit, \
                 `--ulimit memlock=-1` for docker), then run again"
            ),
        }
    }
}

/// A started run: snapshots arrive on `rx`; `join` waits for every executor.
pub struct Running {
    pub rx: Receiver<Snapshot>,
    pub clock: RunClock,
    pub cores: usize,
    /// The host timer probe (timer_probe): how late each executor's thread woke from sleeps to an
    /// absolute instant before the load started, ns, every executor's samples together.
    pub host_timer: Vec<u64>,
    /// The probe's pace (the executors' own) and whether it also samples during the run.
    pub cadence: timer_probe::Cadence,
    threads: Vec<JoinHandle<()>>,
    watchers: Vec<JoinHandle<Histogram<u64>>>,
}

impl Running {
    /// Wait for every executor; the host timer as sampled during the run (every watcher's
    /// samples together; empty when the run was too fast to sample, `Cadence::during_run`).
    pub fn join(self) -> Histogram<u64> {
        for t in self.threads {
            let _ = t.join();
        }
        let mut during = crate::record::histograms::new_hist();
        for w in self.watchers {
            if let Ok(h) = w.join() {
                let _ = during.add(&h);
            }
        }
        during
    }
}

/// The probe's pace for this run: each executor's mean slot interval (timer_probe::Cadence).
fn cadence(spec: &EngineSpec) -> timer_probe::Cadence {
    let window = spec.warmup_ns + spec.duration_ns;
    let lanes = spec.shard.count * spec.cpus.len().max(1) as u64;
    let runs = spec.runs();
    let users = runs.iter().any(|r| r.workload.users().is_some());
    let slots = if users { None } else { runs.iter().map(|r| r.schedule.slots_before(window)).sum() };
    let mut c = timer_probe::Cadence::of(slots, window, lanes);
    if users {
        // Users wait out think times: timed, at a pace no faster than a user's.
        c.lead_ns = timer_probe::LEAD_MAX_NS;
    }
    c
}

/// Start a host timer watcher beside each executor for the measured window (low rates only).
fn watchers(
    spec: &EngineSpec,
    cadence: timer_probe::Cadence,
    t0: u64,
    stop: &StopFlag,
) -> Vec<JoinHandle<Histogram<u64>>> {
    if !cadence.during_run {
        return Vec::new();
    }
    let until = t0 + spec.warmup_ns + spec.duration_ns;
    let n = spec.cpus.len();
    let watch = |(k, &cpu): (usize, &usize)| {
        let from = t0 + watch_from(spec, k, n, cadence.period_ns);
        timer_probe::watch(cpu, from, cadence.period_ns, until, stop.clone())
    };
    spec.cpus.iter().enumerate().map(watch).collect()
}

/// When executor `k` of `n`'s watcher first wakes (from t0): halfway between two of that
/// executor's own slots, from the end of the warm-up on. Its slots are its lane's of the global
/// schedule (core k of n takes every n-th slot from the k-th), so a phase common to all watchers
/// put one of them on its executor's slots: at 2 000 req/s on two cores the watcher beside core
/// 1 woke with every one of core 1's slots, the two threads took turns, and core 1's send lag
/// p50 was 20 µs against 3 µs with the watcher off its slots. A plan with several scenarios has
/// several slot phases: the midpoint of the first one's is used.
fn watch_from(spec: &EngineSpec, k: usize, n: usize, period: u64) -> u64 {
    let (lane, _) = spec.shard.lane(k, n);
    let first = spec.runs().first().and_then(|r| r.schedule.intended(lane)).filter(|t| *t != u64::MAX);
    midway(first.unwrap_or(0), period, spec.warmup_ns)
}

/// The first instant at or after `warmup` halfway between two slots `period` apart, the first at
/// `first`.
fn midway(first: u64, period: u64, warmup: u64) -> u64 {
    let period = period.max(1);
    let phase = first % period + period / 2;
    phase + warmup.saturating_sub(phase).div_ceil(period) * period
}

/// Start one shard per CPU. Returns once every executor is up and t0 is fixed.
pub fn start(spec: EngineSpec, stop: StopFlag) -> Result<Running, EngineError> {
    let n = spec.cpus.len();
    let (tx, rx) = bounded(64 * n.max(1));
    let (ready_tx, ready_rx) = bounded::<Result<Vec<u64>, EngineError>>(n);
    let barrier = Arc::new(Barrier::new(n + 1));
    let t0_cell = Arc::new(std::sync::OnceLock::<u64>::new());
    let spec = Arc::new(spec);
    let cadence = cadence(&spec);
    let mut threads = Vec::with_capacity(n);
    for (k, &cpu) in spec.cpus.iter().enumerate() {
        let ctx = core::ShardCtx {
            spec: spec.clone(),
            lead_ns: cadence.lead_ns,
            core: k,
            cores: n,
            tx: tx.clone(),
            stop: stop.clone(),
            barrier: barrier.clone(),
            t0: t0_cell.clone(),
        };
        let ready = ready_tx.clone();
        let t = std::thread::Builder::new()
            .name(format!("onslaught-{k}"))
            .spawn(move || {
                // Before anything arms a timer on this thread (docs/architecture.md, send lag).
                timer_probe::tighten_timer_slack();
                timer_probe::shorten_slice();
                if cadence.during_run {
                    timer_probe::raise_priority();
                }
                let mut builder =
                    glommio::LocalExecutorBuilder::new(glommio::Placement::Fixed(cpu)).name(&format!("onslaught-{k}"));
                if ctx.spec.spin_ns > 0 {
                    builder = builder.spin_before_park(std::time::Duration::from_nanos(ctx.spec.spin_ns));
                }
                let built = builder
                    // We do no file DMA: keep the registered buffer area (locked memory) tiny.
                    .io_memory(64 * 1024)
                    .make();
                match built {
                    Ok(ex) => {
                        // Pinned now: measure this CPU's timer before the load starts.
                        let _ = ready.send(Ok(timer_probe::probe(cadence.samples, cadence.period_ns)));
                        ex.run(core::run(ctx));
                    }
                    Err(e) => {
                        let _ = ready.send(Err(EngineError::Executor { cpu, reason: e.to_string() }));
                        ctx.barrier.wait();
                        ctx.barrier.wait();
                    }
                }
            })
            .map_err(|e| EngineError::Executor { cpu, reason: e.to_string() })?;
        threads.push(t);
    }
    drop(tx);
    let mut first_err = None;
    let mut host_timer = Vec::with_capacity(n * cadence.samples);
    for _ in 0..n {
        match ready_rx.recv() {
            Ok(Ok(samples)) => host_timer.extend(samples),
            Ok(Err(e)) => {
                first_err.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    // First rendezvous: every shard has made its first connections (or failed to start).
    barrier.wait();
    if first_err.is_some() {
        stop.store(2, std::sync::atomic::Ordering::SeqCst);
    }
    // Fix t0 a little ahead so all shards start together; second rendezvous publishes it.
    let t0 = wait_for_start(spec.start_at, &stop);
    let released_ns = clock::now_ns() as i64 - t0 as i64;
    let _ = t0_cell.set(t0);
    barrier.wait();
    if let Some(e) = first_err {
        for t in threads {
            let _ = t.join();
        }
        return Err(e);
    }
    let watchers = watchers(&spec, cadence, t0, &stop);
    Ok(Running { rx, clock: RunClock { t0, released_ns }, cores: n, host_timer, cadence, threads, watchers })
}

/// t0: 5 ms from now, or the `--start-at` instant. Waits (in short sleeps, so a Ctrl-C is seen)
/// until 5 ms before that instant; an instant already past is kept as t0 (the shard is then late
/// and its first slots are due at once: their latency counts from the common schedule).
fn wait_for_start(start_at: Option<u64>, stop: &StopFlag) -> u64 {
    const LEAD: u64 = 5_000_000;
    let Some(t0) = start_at else { return clock::now_ns() + LEAD };
    loop {
        let now = clock::now_ns();
        if now + LEAD >= t0 || stop.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            return t0;
        }
        std::thread::sleep(std::time::Duration::from_nanos((t0 - LEAD - now).min(50_000_000)));
    }
}

#[cfg(test)]
mod tests {
    use super::midway;

    /// The bug: every watcher woke at t0 + period/2, which is where core 1 of 2 has its slots
    /// (core k takes every n-th slot from the k-th), so that watcher and its executor woke
    /// together at every slot (send lag p50 20 µs instead of 3 µs at 2 000 req/s).
    #[test]
    fn a_watcher_wakes_halfway_between_its_own_executors_slots() {
        // 2 000 req/s on two cores: slots every 0.5 ms, each core's every 1 ms.
        assert_eq!(midway(0, 1_000_000, 0), 500_000, "core 0: slots at 0, 1 ms, ...");
        assert_eq!(midway(500_000, 1_000_000, 0), 1_000_000, "core 1: slots at 0.5, 1.5 ms, ...");
        // From the end of the warm-up on, still between the slots.
        assert_eq!(midway(500_000, 1_000_000, 2_000_000), 2_000_000);
        assert_eq!(midway(500_000, 1_000_000, 2_000_001), 3_000_000);
        assert_eq!(midway(0, 10_000_000, 1_000_000_000), 1_005_000_000);
    }
}
