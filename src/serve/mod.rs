//! The built-in target (`onslaught serve`): a thread-per-core HTTP/1.1 keep-alive server for
//! demos, runner calibration and tests. This file owns the public interface, executor start-up and
//! shutdown, and the state cores share; it never prints (callers report errors).
//!
//! Endpoints: `/` (small text), `/bytes/N` (N bytes, capped at 64 MiB), `/delay/MS`,
//! `/status/CODE` (100..=599), `/__stats` (`{"requests": N, "logins": L, "authorized": A,
//! "rejected": R}`), a small JSON API with bearer tokens (`api`: `POST /login`, `GET /api/items`,
//! `GET /api/items/N`, `POST /api/items`, `POST /logout`), `GET /health`, a webhook sink
//! (`POST /webhooks/NAME`: 202), anything else 404. `/__stats` also counts answers per path
//! class (`paths`). docs/serve.md.
//! With `fail_after`, every answer but `/__stats` is `500` from that long after the first request.
//!
//! Layout: `listen` binds one SO_REUSEPORT socket per executor; each executor (pinned with
//! glommio `Placement::Fixed`) accepts on its own socket and serves each connection in a task
//! (`conn`), framing requests with `request`, rendering with `response`, and timing answers with
//! `pacing` (capacity queue or worker pool, and periodic stalls). Per-core state is owned by its
//! executor; the only shared, written state is one padded block of counters per core (single
//! writer, plain load + store), the stall epoch (written once), and the stop flag. The token key is
//! written once at start.
//!
//! Shutdown: `stop` sets the flag and `shutdown(2)`s every listener, which fails the pending
//! accepts; each accept loop then cancels its connection tasks (idle keep-alive connections,
//! sleeping `/delay`s and queued answers included), waits until they have closed their sockets,
//! and returns, which ends its executor's `run`.
mod api;
mod conn;
mod listen;
mod pacing;
pub mod paths;
mod request;
mod response;

use std::cell::{Cell, RefCell};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use glommio::sync::{Gate, Semaphore};
use glommio::{ExecutorJoinHandle, LocalExecutorBuilder, Placement};

use pacing::Pacing;

/// How the built-in target behaves.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Number of executors (each pinned to one CPU); 0 means all CPUs.
    pub cores: usize,
    /// Total capacity in requests/s across all cores; beyond it requests queue (FIFO).
    ///
    /// Each core runs its own single-server FIFO queue with `capacity / cores`: a request ready
    /// at `a` departs at `max(a, previous departure) + cores / capacity` and its answer is
    /// written then, so past capacity latency grows with the queue like a saturated service.
    /// The split is exact only when connections spread evenly over cores. Non-positive or
    /// non-finite values mean no limit.
    pub capacity: Option<f64>,
    /// A worker pool instead of `capacity`: N workers in all, each busy for the service time per
    /// request (a FIFO queue with N servers, M/D/N), so capacity = N / service time. Workers are
    /// split evenly over cores (at least one each): exact with `cores: 1`.
    pub workers: Option<Workers>,
    /// Periodic freeze: (stall length S, period T, phase P within the period), anchored at the
    /// first request received.
    pub stall: Option<Stall>,
    /// From this long after the first request on, every answer is `500` (a target that starts
    /// failing mid-run, for circuit-breaker tests and demos). `/__stats` is unaffected.
    pub fail_after: Option<Duration>,
}

impl Default for ServeOptions {
    /// Loopback, a port the OS picks, all CPUs, no capacity limit, no stall, never failing.
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cores: 0,
            capacity: None,
            workers: None,
            stall: None,
            fail_after: None,
        }
    }
}

/// A pool of identical workers: `count` in all, each taking `service` per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers {
    pub count: usize,
    pub service: Duration,
}

/// A periodic freeze, the stalling server of MEASUREMENT.md §5.
///
/// With epoch E the arrival of the first request (on any core, `/__stats` aside), the server is
/// frozen during `[E + k·every + phase, E + k·every + phase + length)` for every k ≥ 0. A request
/// arriving during a freeze is answered when it ends (plus its normal handling: capacity queue,
/// `/delay`); requests arriving outside are answered normally. `phase = every − length` (see
/// [`Stall::ending_each_period`]) makes each freeze end a period, so a run lasting a multiple of
/// `every` contains whole freezes. `length` should be below `every`; a zero length or period
/// disables the stall.
#[derive(Clone, Copy, Debug)]
pub struct Stall {
    pub length: Duration,
    pub every: Duration,
    pub phase: Duration,
}

impl Stall {
    /// A stall of `length` every `every` whose freezes end each period: phase = every − length.
    pub fn ending_each_period(length: Duration, every: Duration) -> Stall {
        Stall { length, every, phase: every.saturating_sub(length) }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Responses written, all endpoints except `/__stats`.
    pub requests: u64,
    /// Successful `POST /login`s (tokens issued).
    pub logins: u64,
    /// API requests that carried a valid token (`/api/items...`, `/logout`), whatever the answer.
    pub authorized: u64,
    /// Requests answered 401: bad credentials at `/login`, or no valid token for the API.
    pub rejected: u64,
}

/// A running server. Dropping it stops the server as [`ServerHandle::stop`] does.
pub struct ServerHandle {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    /// Duplicates of the executors' listening sockets, kept to wake their accepts at stop.
    wakers: Vec<TcpListener>,
    executors: Vec<ExecutorJoinHandle<()>>,
}

#[derive(Debug)]
pub enum ServeError {
    Bind(std::io::Error),
    Executor(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Bind(e) => write!(f, "cannot listen: {e}"),
            ServeError::Executor(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Bind(e) => Some(e),
            ServeError::Executor(_) => None,
        }
    }
}

/// Registered-buffer memory per executor: the server does no file I/O, so glommio's minimum
/// keeps its locked-memory use small (the default is 10 MiB per executor).
const IO_MEMORY: usize = 64 * 1024;

/// Bind, start one executor per core, and return once every executor is accepting.
///
/// Executor k is pinned (glommio `Placement::Fixed`) to the k-th CPU this process may run on,
/// wrapping around when more executors than CPUs are asked for. A taken address is
/// `ServeError::Bind`; an executor that cannot be built (typically io_uring refused for lack of
/// locked memory) is `ServeError::Executor` with a hint, after the ones already started are
/// stopped.
pub fn start(opts: ServeOptions) -> Result<ServerHandle, ServeError> {
    let cpus = cpu_list();
    let n = if opts.cores == 0 { cpus.len() } else { opts.cores };
    let listeners = listen::bind_group(opts.listen, n).map_err(ServeError::Bind)?;
    let addr = listeners[0].local_addr().map_err(ServeError::Bind)?;
    let pacing = Pacing::new(&opts, n);
    let mut shared = Shared::new(n);
    shared.fail_after_ns = opts.fail_after.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let shared = Arc::new(shared);
    let mut handle = ServerHandle { addr, shared, wakers: Vec::with_capacity(n), executors: Vec::new() };
    for (index, listener) in listeners.into_iter().enumerate() {
        // On error `handle` is dropped, which stops the executors already started.
        handle.wakers.push(listener.try_clone().map_err(ServeError::Bind)?);
        let cpu = cpus[index % cpus.len()];
        let spec = CoreSpec { index, pacing, shared: Arc::clone(&handle.shared) };
        let executor = spawn_executor(cpu, listener, spec)?;
        handle.executors.push(executor);
    }
    Ok(handle)
}

impl ServerHandle {
    /// Responses written so far, summed over cores.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Answered requests by route class (`paths::PATHS`), summed over cores.
    pub fn paths(&self) -> paths::PathCounts {
        self.shared.paths()
    }

    /// Number of executors serving.
    pub fn cores(&self) -> usize {
        self.shared.counters.len()
    }

    /// Stop all executors and join them. Open connections are closed, idle or not.
    pub fn stop(self) {
        drop(self);
    }

    fn shut_down(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        for listener in &self.wakers {
            listen::shut_down(listener);
        }
        for executor in self.executors.drain(..) {
            // A panicked executor has nothing left to stop.
            let _ = executor.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Render `stats` as the `/__stats` body.
pub fn render_stats_json(stats: ServerStats) -> String {
    format!(
        "{{\"requests\": {}, \"logins\": {}, \"authorized\": {}, \"rejected\": {}}}",
        stats.requests, stats.logins, stats.authorized, stats.rejected
    )
}

/// State every core reads and a few write; written per request only by the owning core.
struct Shared {
    /// One block of counters per core, each written by its core alone.
    counters: Box<[PaddedCounter]>,
    /// Per core, answered requests by route class (`paths::PATHS`), written by that core alone.
    paths: Box<[PaddedPaths]>,
    /// Signs the API's tokens.
    keys: api::Keys,
    /// Arrival of the first request in ns since `base`, at least 1; 0: none yet.
    epoch: AtomicU64,
    base: Instant,
    stopping: AtomicBool,
    /// `ServeOptions::fail_after`, from the epoch.
    fail_after_ns: Option<u64>,
}

/// A core's counters alone on their cache lines, so cores never share a written line:
/// requests, logins, authorized, rejected.
#[repr(align(128))]
#[derive(Default)]
struct PaddedCounter([AtomicU64; 4]);

const REQUESTS: usize = 0;

/// A core's per-path counters, alone on their cache lines.
#[repr(align(128))]
#[derive(Default)]
struct PaddedPaths([AtomicU64; paths::PATHS.len()]);

impl Shared {
    fn new(cores: usize) -> Shared {
        Shared {
            counters: (0..cores).map(|_| PaddedCounter::default()).collect(),
            paths: (0..cores).map(|_| PaddedPaths::default()).collect(),
            keys: api::Keys::new(),
            epoch: AtomicU64::new(0),
            base: Instant::now(),
            stopping: AtomicBool::new(false),
            fail_after_ns: None,
        }
    }

    fn sum(&self, i: usize) -> u64 {
        self.counters.iter().map(|c| c.0[i].load(Ordering::Relaxed)).sum()
    }

    fn stats(&self) -> ServerStats {
        ServerStats {
            requests: self.sum(REQUESTS),
            logins: self.sum(1),
            authorized: self.sum(2),
            rejected: self.sum(3),
        }
    }

    fn paths(&self) -> paths::PathCounts {
        let mut out = paths::PathCounts::default();
        for core in self.paths.iter() {
            for (o, c) in out.0.iter_mut().zip(&core.0) {
                *o += c.load(Ordering::Relaxed);
            }
        }
        out
    }

    /// The stall epoch, set by the first caller (any core) to its `arrival`.
    fn epoch(&self, arrival: u64) -> u64 {
        let epoch = self.epoch.load(Ordering::Acquire);
        if epoch != 0 {
            return epoch;
        }
        let mine = arrival.max(1);
        match self.epoch.compare_exchange(0, mine, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => mine,
            Err(theirs) => theirs,
        }
    }
}

/// What an executor needs to build its `Core` (which is `!Send`) on its own thread.
struct CoreSpec {
    index: usize,
    pacing: Pacing,
    shared: Arc<Shared>,
}

/// One executor's state, shared by its connection tasks.
pub(crate) struct Core {
    index: usize,
    pacing: Pacing,
    base: Instant,
    shared: Arc<Shared>,
    /// When each server of this core's queue is next free (ns since `base`): one for `capacity`,
    /// the core's share of the workers for `workers`.
    free_at: RefCell<Vec<u64>>,
    /// Logins and created items on this core (for their ids).
    api_seq: Cell<u64>,
    cores: u64,
    /// Never signalled, only closed at stop: every connection waits on it beside its own work,
    /// so closing it cancels them all (`conn::serve`).
    pub(crate) closing: Semaphore,
    /// The connection tasks, so stop can wait for them to end.
    connections: Gate,
}

impl Core {
    fn new(spec: CoreSpec) -> Core {
        Core {
            index: spec.index,
            pacing: spec.pacing,
            base: spec.shared.base,
            cores: spec.shared.counters.len() as u64,
            shared: spec.shared,
            free_at: RefCell::new(vec![0; spec.pacing.servers.max(1)]),
            api_seq: Cell::new(0),
            closing: Semaphore::new(0),
            connections: Gate::new(),
        }
    }

    /// Monotonic nanoseconds since the server's base instant.
    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// When the answer to a request arriving at `arrival` is due (see `pacing`).
    fn due(&self, arrival: u64) -> u64 {
        let epoch = if self.pacing.stall.is_some() { self.shared.epoch(arrival) } else { 0 };
        self.pacing.due(epoch, arrival, &mut self.free_at.borrow_mut())
    }

    /// Whether answers are `500` now (`fail_after` has passed since the first request).
    fn failing(&self) -> bool {
        self.shared.fail_after_ns.is_some_and(|after| {
            let now = self.now_ns();
            now.saturating_sub(self.shared.epoch(now)) >= after
        })
    }

    /// One response written. This core is the only writer of its counter, so a plain load and
    /// store suffice (no locked instruction).
    fn count(&self, route: request::Route) {
        self.bump(REQUESTS);
        if let Some(i) = paths::class(route) {
            let counter = &self.shared.paths[self.index].0[i];
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    fn paths(&self) -> paths::PathCounts {
        self.shared.paths()
    }

    fn bump(&self, i: usize) {
        let counter = &self.shared.counters[self.index].0[i];
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// Count an API answer in its `/__stats` figure.
    fn tally(&self, t: api::Tally) {
        match t {
            api::Tally::Login => self.bump(1),
            api::Tally::Authorized => self.bump(2),
            api::Tally::Rejected => self.bump(3),
            api::Tally::Other => {}
        }
    }

    /// What the API needs for one answer: the key and a number no other answer gets (1, 2, ...
    /// interleaved over cores).
    fn api_ctx(&self) -> api::Ctx<'_> {
        let n = self.api_seq.get();
        self.api_seq.set(n + 1);
        api::Ctx { keys: &self.shared.keys, next_id: 1 + n * self.cores + self.index as u64 }
    }

    fn stats(&self) -> ServerStats {
        self.shared.stats()
    }
}

/// CPUs this process may run on, in order; all online CPUs if that cannot be read.
fn cpu_list() -> Vec<usize> {
    let ids: Vec<usize> = core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|c| c.id).collect();
    if !ids.is_empty() {
        return ids;
    }
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    (0..n).collect()
}

/// Start one executor pinned to `cpu`, serving `listener`; returns once it is accepting.
fn spawn_executor(cpu: usize, listener: TcpListener, spec: CoreSpec) -> Result<ExecutorJoinHandle<()>, ServeError> {
    let index = spec.index;
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<()>(1);
    let executor = LocalExecutorBuilder::new(Placement::Fixed(cpu))
        .name(&format!("onslaught-serve-{index}"))
        .io_memory(IO_MEMORY)
        .spawn(move || async move {
            // SAFETY: the descriptor is a listening TCP socket whose ownership moves here.
            let listener = unsafe { glommio::net::TcpListener::from_raw_fd(listener.into_raw_fd()) };
            let core = Rc::new(Core::new(spec));
            let _ = ready_tx.send(());
            accept_loop(listener, core).await;
        })
        .map_err(|e| executor_error(index, cpu, &e.to_string()))?;
    if ready_rx.recv().is_ok() {
        return Ok(executor);
    }
    // The thread ended before accepting: building the executor failed (or it panicked).
    let why = match executor.join() {
        Ok(()) => "exited before accepting".to_string(),
        Err(e) => e.to_string(),
    };
    Err(executor_error(index, cpu, &why))
}

fn executor_error(index: usize, cpu: usize, why: &str) -> ServeError {
    ServeError::Executor(format!(
        "cannot start serve executor {index} on CPU {cpu}: {why}. glommio runs on io_uring, \
         which needs locked memory: raise the limit (`ulimit -l`, or LimitMEMLOCK= for a \
         systemd unit, or --ulimit memlock=-1 for a container), and check that io_uring is \
         allowed (kernel.io_uring_disabled, seccomp)"
    ))
}

async fn accept_loop(listener: glommio::net::TcpListener, core: Rc<Core>) {
    loop {
        match listener.accept().await {
            Ok(stream) => match core.connections.spawn(conn::serve(stream, Rc::clone(&core))) {
                Ok(task) => drop(task.detach()),
                Err(_) => return,
            },
            Err(_) if core.shared.stopping.load(Ordering::SeqCst) => break,
            // Transient (out of descriptors, aborted handshake): back off a little, go on.
            Err(_) => glommio::timer::sleep(Duration::from_millis(10)).await,
        };
    }
    // Cancel every connection (idle, mid-request or sleeping) and wait until all have dropped
    // their sockets, so the peers see them closed and nothing outlives the executor.
    core.closing.close();
    let _ = core.connections.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_json_helper() {
        let s = ServerStats { requests: 12, logins: 1, authorized: 2, rejected: 3 };
        assert_eq!(render_stats_json(s), "{\"requests\": 12, \"logins\": 1, \"authorized\": 2, \"rejected\": 3}");
    }

    #[test]
    fn stall_ending_each_period() {
        let s = Stall::ending_each_period(Duration::from_millis(300), Duration::from_secs(1));
        assert_eq!(s.phase, Duration::from_millis(700));
    }

    #[test]
    fn epoch_is_set_once() {
        let shared = Shared::new(2);
        assert_eq!(shared.epoch(0), 1);
        assert_eq!(shared.epoch(500), 1);
        let shared = Shared::new(1);
        assert_eq!(shared.epoch(500), 500);
        assert_eq!(shared.epoch(900), 500);
    }

    #[test]
    fn counters_sum_over_cores() {
        let shared = Arc::new(Shared::new(3));
        let cores: Vec<Core> = (0..3)
            .map(|index| Core::new(CoreSpec { index, pacing: Pacing::default(), shared: shared.clone() }))
            .collect();
        cores[0].count(request::Route::Root);
        cores[2].count(request::Route::Health);
        cores[2].count(request::Route::Root);
        assert_eq!(shared.stats().requests, 3);
        assert_eq!((shared.paths().get("/"), shared.paths().get("/health")), (2, 1));
    }

    #[test]
    fn executor_error_explains_memlock() {
        let e = executor_error(1, 3, "Cannot allocate memory");
        let msg = e.to_string();
        assert!(msg.contains("CPU 3") && msg.contains("ulimit -l") && msg.contains("LimitMEMLOCK"));
    }
}
