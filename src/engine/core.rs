//! One executor's life on its pinned core: open its share of the connections, meet the others
//! at t0, spawn one connection task per connection (engine/conn.rs) over its shard's state
//! (engine/shard.rs), tick the shard until the run is over, account for the end.
use super::clock::{now_ns, wait_until};
use super::conn::{self, ConnTask, Mode};
use super::part::Part;
use super::shard::Shard;
use super::spec::EngineSpec;
use crate::record::Snapshot;
use crate::signal::StopFlag;
use crossbeam_channel::Sender;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier, OnceLock};

/// What an executor is handed.
pub(crate) struct ShardCtx {
    pub spec: Arc<EngineSpec>,
    /// How long before a timer the executor stops sleeping and polls (timer_probe::Cadence).
    pub lead_ns: u64,
    pub core: usize,
    pub cores: usize,
    pub tx: Sender<Snapshot>,
    pub stop: StopFlag,
    pub barrier: Arc<Barrier>,
    pub t0: Arc<OnceLock<u64>>,
}

/// The shard's whole life: connect, rendezvous, run connection tasks, flush intervals, account
/// for the end.
pub(crate) async fn run(ctx: ShardCtx) {
    // Sleep to just before each timer, then poll to it (MEASUREMENT.md §2; timer_probe::Cadence).
    glommio::timer::set_timer_lead(std::time::Duration::from_nanos(ctx.lead_ns));
    let spec = ctx.spec.clone();
    let (k, n) = (ctx.core, ctx.cores);
    let (lane, lanes) = spec.shard.lane(k, n);
    let my_conns = spec.runs().iter().map(|r| Part::conns(r, lane, lanes)).sum();
    let pre = conn::preconnect(&spec, my_conns).await;
    // Park once before the rendezvous: an executor's first sleep pays one-time kernel setup
    // (membarrier registration, ring wake-up plumbing) that would otherwise land on slot 0.
    glommio::timer::sleep(std::time::Duration::from_millis(1)).await;
    ctx.barrier.wait();
    ctx.barrier.wait();
    let t0 = *ctx.t0.get().unwrap_or(&0);
    if ctx.stop.load(Ordering::SeqCst) >= 2 {
        return;
    }
    let end = t0 + spec.warmup_ns + spec.duration_ns;
    let shard = Rc::new(Shard::new(spec.clone(), k, n, t0, my_conns, ctx.tx.clone(), ctx.lead_ns));
    let tasks: Vec<_> = pre
        .into_iter()
        .enumerate()
        .map(|(ci, stream)| {
            let sc = shard.scenario_of(ci);
            let own = ci - shard.parts[sc].conns.start;
            let mode = Mode::of(&shard.parts[sc].run.workload, own, lane, lanes);
            glommio::spawn_local(ConnTask::new(shard.clone(), ci, sc, stream, &mode).run(mode))
        })
        .collect();
    let pacer = shard.parts.iter().any(|p| p.open()).then(|| glommio::spawn_local(shard.clone().pace()));
    control(&shard, &ctx, end).await;
    drop(tasks); // cancels whatever is still in flight past the deadline
    drop(pacer);
    let stop = now_ns();
    shard.account_incomplete(stop);
    shard.finish(stop);
}

/// Ticks every 10 ms: flushes interval snapshots, watches the stop flag, and returns when every
/// connection task is done or the hard deadline (end + grace) has passed.
async fn control(shard: &Shard, ctx: &ShardCtx, end: u64) {
    let spec = &shard.spec;
    let mut deadline = end + spec.grace_ns;
    let mut stopping = false;
    loop {
        let next_flush = shard.st.borrow().interval_end;
        let now = now_ns();
        let tick = shard.clear_of_slots((now + 10_000_000).min(next_flush).min(deadline));
        wait_until(tick).await;
        let now = now_ns();
        match ctx.stop.load(Ordering::Relaxed) {
            0 => {}
            1 if !stopping => {
                stopping = true;
                shard.begin_stop(now);
                deadline = deadline.min(now + spec.grace_ns);
            }
            1 => {}
            _ => deadline = now,
        }
        shard.record_at(now, |_| {});
        shard.sample_backlog(now);
        shard.expire(now);
        shard.refill(now);
        shard.adapt_lead(now);
        if now >= deadline && shard.live.get() > 0 {
            // Requests that fail at this same instant (a connect error at the run's end) run
            // first, so their outcome does not depend on a grace period of zero.
            futures_lite::future::yield_now().await;
            return;
        }
        if shard.live.get() == 0 {
            return;
        }
    }
}
