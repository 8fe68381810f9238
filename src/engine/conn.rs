//! One connection's life on its shard: claim a due slot, connect if needed (with backoff),
//! write the pre-rendered request, read and frame the response, record exactly one outcome.
use super::clock::{now_ns, wait_until};
use super::shard::{Expiry, Shard, Slot};
use super::spec::{EngineSpec, Single, Workload};
use super::tls;
use super::work::PlanWork;
use crate::http::capture::Capture;
use crate::http::response::{Done, Feed, Limits, ProtoError, ResponseParser};
use crate::record::{Failure, Instants, Outcome, TransportError};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The closed model's virtual-user loop (a child module: it drives this ConnTask).
mod users;

/// A read buffer's size: a response head and a good part of a body per read. Buffers belong to
/// the shard and are lent per exchange (`Shard::lend_buf`).
const BUF_START: usize = 16 * 1024;
const BACKOFF_BASE_NS: u64 = 10_000_000;
const BACKOFF_MAX_NS: u64 = 250_000_000;

/// Connects in flight at once while opening a shard's connections: each holds a connect (and
/// TLS handshake) future of about 6 KiB, so 10 000 at once would be 60 MiB of generator memory
/// for a moment (and a burst the target's accept queue may drop).
const PRECONNECT_WINDOW: usize = 256;

/// Open the shard's connections before t0 (failures are left for the run to retry and count),
/// `PRECONNECT_WINDOW` at a time. Each connect holds the run's spec by its `Arc` (a count, not a
/// copy).
pub(crate) async fn preconnect(spec: &Arc<EngineSpec>, count: usize) -> Vec<Option<Stream>> {
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let batch = PRECONNECT_WINDOW.min(count - out.len());
        let tasks: Vec<_> = (0..batch)
            .map(|_| {
                let spec = spec.clone();
                glommio::spawn_local(async move { connect(&spec).await.ok().map(|(s, _)| s) })
            })
            .collect();
        for t in tasks {
            out.push(t.await);
        }
    }
    out
}

/// A connection: plain TCP, or TLS over it.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tls::TlsStream>),
}

impl Stream {
    /// The kernel's arrival stamp of the last bytes the last read returned (CLOCK_REALTIME ns).
    fn rx_timestamp(&self) -> Option<u64> {
        match self {
            Stream::Plain(s) => s.rx_timestamp(),
            Stream::Tls(s) => s.tcp().rx_timestamp(),
        }
    }
}

impl futures_lite::AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl futures_lite::AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_close(cx),
        }
    }
}

/// TCP connect (with the connect timeout), then the TLS handshake on https (within the same
/// timeout). Failures are already classified. Returns the handshake's duration on https.
async fn connect(spec: &EngineSpec) -> Result<(Stream, Option<u64>), TransportError> {
    let timeout = Duration::from_nanos(spec.connect_timeout_ns.max(1));
    let mut s = TcpStream::connect_timeout(spec.addr, timeout)
        .await
        .map_err(|e| TransportError::from_io(&std::io::Error::from(e), true))?;
    s.set_nodelay(true).map_err(|e| TransportError::from_io(&std::io::Error::from(e), true))?;
    // The kernel stamps each response's arrival (engine::clock::arrived): where it cannot, the
    // read's own instant is the completion instant, and the shard does not defer reads.
    if s.enable_rx_timestamps().is_err() {
        super::clock::stamps_refused();
    }
    let Some(t) = &spec.tls else { return Ok((Stream::Plain(s), None)) };
    let begin = now_ns();
    let handshake = tls::connect(s, t.config.clone(), t.name.clone());
    match glommio::timer::timeout(timeout, async { Ok(handshake.await) }).await {
        Ok(Ok(s)) => Ok((Stream::Tls(Box::new(s)), Some(now_ns() - begin))),
        Ok(Err(f)) => Err(f.transport_error()),
        Err(_) => Err(TransportError::ConnectTimeout),
    }
}

/// A certificate the client rejects will not change by retrying: fail the request at once.
fn permanent(e: TransportError) -> bool {
    matches!(e, TransportError::TlsUnknownIssuer | TransportError::TlsBadHostname | TransportError::TlsExpired)
}

/// Classify a read/write error: TLS failures first (they surface wrapped in io::Error).
fn io_class(e: &std::io::Error) -> TransportError {
    tls::classify_io(e).map(tls::TlsFailure::transport_error).unwrap_or_else(|| TransportError::from_io(e, false))
}

/// How an exchange failed.
#[derive(Clone, Copy, Debug)]
enum ExErr {
    /// Transport failure; `started`: a response byte had arrived.
    Io(TransportError, bool),
    Proto(ProtoError),
}

impl ExErr {
    fn outcome(self) -> Outcome {
        match self {
            ExErr::Io(t, _) => Outcome::Transport(t),
            ExErr::Proto(ProtoError::HeaderTooLarge | ProtoError::TooManyHeaders) => {
                Outcome::Transport(TransportError::HeaderTooLarge)
            }
            ExErr::Proto(ProtoError::Truncated) => Outcome::Transport(TransportError::ClosedMidResponse),
            ExErr::Proto(_) => Outcome::Transport(TransportError::Protocol),
        }
    }
    /// The server closed a reused connection before answering: safe to retry an idempotent request.
    fn idle_close(self) -> bool {
        matches!(self, ExErr::Io(TransportError::Reset | TransportError::ClosedMidResponse, false))
    }
}

pub(crate) struct ConnTask {
    shard: Rc<Shard>,
    ci: usize,
    stream: Option<Stream>,
    /// Responses already read on this stream (a reused stream may have been closed while idle).
    served: u64,
    down_until: u64,
    last_err: TransportError,
    fails: u32,
    rng: u64,
    parser: ResponseParser,
    /// Plan runs: the step being sent, rendered here when it has templates (reused buffers).
    req: Vec<u8>,
    body: Vec<u8>,
    vars: Option<crate::plan::Vars>,
    /// Closed model: the virtual user this connection belongs to, and when it retires (no step
    /// intended at or after it is sent). Open model: None and never.
    vu: Option<u64>,
    retire_at: u64,
    /// The scenario this connection belongs to (index into `Shard::parts`).
    sc: usize,
    /// The response kept for the current step's checks and extractions, when it has any
    /// (`capturing`: its body limit); other requests take the parser's discard path.
    capture: Capture,
    capturing: Option<usize>,
    /// The kernel's arrival stamp of the response just read (engine::clock::arrived).
    arrival: Option<u64>,
}

/// What one request sends: quick mode's single request, or a plan step (its plan and index).
#[derive(Clone, Copy)]
enum Req<'w> {
    Single(&'w Single),
    Step(&'w PlanWork, usize),
}

impl Req<'_> {
    /// The step's index: its label id in the records.
    fn label(self) -> Option<usize> {
        match self {
            Req::Single(_) => None,
            Req::Step(_, si) => Some(si),
        }
    }
}

/// What this connection does, decided once when it is spawned from the run's workload
/// (engine::Workload): the one outer loop (`ConnTask::run`) takes its slots and runs them by it.
pub(crate) enum Mode {
    /// Quick mode's request, for each slot the shard hands out.
    Single(Arc<Single>),
    /// A plan iteration, for each slot the shard hands out.
    Plan(Arc<PlanWork>),
    /// A virtual user of the closed model: its own iterations while its stages have it active.
    User(Arc<PlanWork>, users::User),
}

impl Mode {
    /// Connection `ci` of its scenario's connections on a shard whose lane is `lane` of `lanes`.
    pub fn of(workload: &Workload, ci: usize, lane: u64, lanes: u64) -> Mode {
        match workload {
            Workload::Single(r) => Mode::Single(r.clone()),
            Workload::Plan(w) => Mode::Plan(w.clone()),
            // Closed model: connection ci of core k belongs to virtual user ci·lanes + lane.
            Workload::Users(w, stages) => Mode::User(w.clone(), users::User::new(ci as u64 * lanes + lane, stages)),
        }
    }
}

/// How a request ended, for the iteration that sent it.
#[derive(Clone, Copy)]
struct Ended {
    ok: bool,
    completed: u64,
}

impl ConnTask {
    pub fn new(shard: Rc<Shard>, ci: usize, sc: usize, stream: Option<Stream>, mode: &Mode) -> Self {
        let rng = 0x9E37_79B9_7F4A_7C15 ^ (shard.lane << 32 | ci as u64);
        let (vars, vu) = match mode {
            Mode::Single(_) => (None, None),
            Mode::Plan(w) => (Some(w.plan.vars()), None),
            Mode::User(w, u) => (Some(w.plan.vars()), Some(u.v)),
        };
        ConnTask {
            shard,
            ci,
            stream,
            served: 0,
            down_until: 0,
            last_err: TransportError::ConnectRefused,
            fails: 0,
            rng,
            parser: ResponseParser::new(Limits::default()),
            req: Vec::new(),
            body: Vec::new(),
            vars,
            vu,
            retire_at: u64::MAX,
            sc,
            capture: Capture::default(),
            capturing: None,
            arrival: None,
        }
    }

    /// The one outer loop, whatever the mode: take the next slot (the shard's schedule, or the
    /// virtual user's own), count it intended, run it.
    pub async fn run(mut self, mut mode: Mode) {
        // Nothing starts before t0, in any model.
        wait_until(self.shard.t0).await;
        while let Some(slot) = self.next_slot(&mut mode).await {
            match &mut mode {
                Mode::Single(request) => {
                    self.serve(&slot, Req::Single(request)).await;
                    self.shard.settle(self.ci);
                }
                Mode::Plan(work) => {
                    self.iteration(work, slot).await;
                }
                Mode::User(work, user) => user.ready = self.iteration(work, slot).await,
            }
        }
        self.shard.live.set(self.shard.live.get() - 1);
    }

    /// The next slot this connection runs, committed (counted intended) on the shard: due from
    /// the shard's schedule (waited for in the open model), or the virtual user's next iteration.
    async fn next_slot(&mut self, mode: &mut Mode) -> Option<Slot> {
        let slot = match mode {
            Mode::User(_, user) => user.next(self).await?,
            // The open model's slots come from the shard's pacer when they are due (at their
            // send window's end); the closed loop's at once.
            _ if self.shard.open(self.sc) => {
                let (shard, ci, sc) = (&self.shard, self.ci, self.sc);
                std::future::poll_fn(|cx| shard.poll_slot(ci, sc, cx)).await?
            }
            _ => self.shard.claim(self.sc)?,
        };
        self.shard.commit(self.ci, &slot).then_some(slot)
    }

    /// Connect for `slot`, retrying with backoff, until the request's timeout counted from its
    /// intended time. A request that could not be sent by then fails with the reason (the last
    /// connect error). So an outage the target recovers from shows in latency (the requests
    /// waited), one it does not recover from in errors, and nothing is left unsent. Once the
    /// run's last slot is due, a request that has already failed to connect is not held through
    /// another backoff: it fails at once with its connect error, so a run against a dead target
    /// ends with its schedule, not a timeout later, and its outcome owes nothing to `--grace`.
    /// A request whose timeout passed before any connect was tried (it waited that long for a
    /// free connection: every one was held by a request in flight) was never sent: it is dropped
    /// by the timeout the user set, not counted as a timeout of the target (MEASUREMENT.md §3).
    async fn connect_for(&mut self, slot: &Slot) -> Result<(), Outcome> {
        let deadline = slot.intended.saturating_add(self.shard.spec.timeout_ns);
        while self.stream.is_none() {
            let ended = now_ns() >= self.shard.st.borrow().end;
            // The server's certificate was rejected (or the run is over) and the next attempt is
            // not due: fail now (no syscall), rather than hold the request through a backoff.
            if self.fails > 0 && (permanent(self.last_err) || ended) && now_ns() < self.down_until {
                return Err(Outcome::Transport(self.last_err));
            }
            if now_ns() < self.down_until {
                let end = self.shard.st.borrow().end;
                wait_until(self.down_until.min(deadline).min(end)).await;
            }
            if now_ns() >= deadline {
                return Err(if self.fails > 0 { Outcome::Transport(self.last_err) } else { Outcome::Dropped });
            }
            if self.ensure_connected().await.is_err() && permanent(self.last_err) {
                return Err(Outcome::Transport(self.last_err));
            }
        }
        Ok(())
    }

    fn record(&self, slot: &Slot, at: u64, f: impl FnOnce(&mut crate::record::Recorder)) {
        if slot.measured {
            self.shard.record_slot(slot, at, f);
        }
    }

    /// One plan iteration: the slot's journey, step by step. A later step's intended time is the
    /// previous completion plus think time, so lateness is never hidden; the iteration stops at
    /// a failed step, or when the next step would be intended after the end of the run (or the
    /// user's retirement). Returns when the user is ready again: the last completion plus think.
    async fn iteration(&mut self, work: &PlanWork, first: Slot) -> u64 {
        let (j, mut rng) = work.pick(self.sc, first.index);
        let user = self.vu.unwrap_or(first.index);
        if let Some(v) = self.vars.as_mut() {
            v.begin(&work.plan.data, first.index, user, &mut rng);
            v.unix_ns = work.unix_at_clock_zero + first.intended;
        }
        let mut slot = first;
        for (k, si) in work.journeys[j].clone().enumerate() {
            if k > 0 {
                let end = self.shard.st.borrow().end.min(self.retire_at);
                if slot.intended >= end {
                    break;
                }
                wait_until(slot.intended).await;
                if !self.shard.commit(self.ci, &slot) {
                    break;
                }
            }
            if work.steps[si].fixed.is_none() {
                let vars = self.vars.as_ref().expect("plan runs have vars");
                super::work::render(&work.host, work.step(si), vars, &mut rng, &mut self.req, &mut self.body);
            }
            let ended = self.serve(&slot, Req::Step(work, si)).await;
            self.shard.settle(self.ci);
            slot.intended = ended.completed + work.steps[si].think.sample(&mut rng);
            if !ended.ok {
                break;
            }
        }
        slot.intended
    }

    /// One request of `slot`: connect if needed, send, read, judge, and record its one outcome.
    async fn serve(&mut self, slot: &Slot, req: Req<'_>) -> Ended {
        // An Rc of the shard (a plain increment), not an Arc of the spec (an atomic one on a
        // line every core shares), to hold the spec across this request.
        let shard = self.shard.clone();
        let spec = &*shard.spec;
        if self.stale() {
            self.drop_stream();
        }
        if let Err(outcome) = self.connect_for(slot).await {
            return self.failed(slot, req, outcome);
        }
        // One clock read serves as the deadline's start and, on a live connection, as the send
        // instant (the send follows within nanoseconds): two reads per request in all.
        let start = now_ns();
        self.capturing = match req {
            Req::Step(work, si) => work.steps[si].capture,
            Req::Single(_) => None,
        };
        self.shard.arm(self.ci, start + spec.timeout_ns);
        let expiry = Expiry { shard: self.shard.clone(), ci: self.ci };
        let result = futures_lite::future::or(async { Ok(self.attempt(slot, start, req).await) }, async {
            expiry.await;
            Err(())
        })
        .await;
        self.shard.disarm(self.ci);
        match result {
            Ok(Ok((done, sent))) => self.answered(slot, req, done.status, sent),
            Ok(Err(e)) => {
                self.stream = None;
                self.failed(slot, req, e.outcome())
            }
            Err(_) => {
                self.stream = None;
                self.failed(slot, req, Outcome::Timeout)
            }
        }
    }

    /// A response arrived: judge it (the plan step's checks and extractions, or quick mode's
    /// status range) and record it.
    fn answered(&mut self, slot: &Slot, req: Req<'_>, status: u16, sent: u64) -> Ended {
        // When the response's last bytes arrived, by the kernel's stamp: the same instant however
        // late the executor read them (it may wait for several responses: Shard::batch_sleeps).
        let completed = super::clock::arrived(self.arrival.take(), sent);
        let t = Instants { intended: slot.intended, sent, completed };
        let latency = completed.saturating_sub(slot.intended);
        let failure = match req {
            Req::Step(work, si) => {
                let kept = self.capturing.map(|_| &self.capture);
                super::correlate::judge(work.step(si), status, latency, kept, self.vars.as_mut())
            }
            Req::Single(_) => {
                let (lo, hi) = self.shard.spec.ok_status;
                (!(lo..=hi).contains(&status)).then_some(Failure::Check(0))
            }
        };
        let ok = failure.is_none();
        let late_check = failure.is_some_and(|f| f != Failure::Check(0));
        self.record(slot, completed, |r| {
            r.response(&t, status, ok);
            if let Some(l) = req.label() {
                r.label(l, ok, late_check, Some(latency));
                if let Some(f) = failure {
                    r.label_failure(l, f);
                }
            }
        });
        Ended { ok, completed }
    }

    /// The one place a request that got no response is recorded: its outcome, now.
    fn failed(&mut self, slot: &Slot, req: Req<'_>, outcome: Outcome) -> Ended {
        let completed = now_ns();
        self.record(slot, completed, |r| {
            r.failed(outcome);
            if let Some(l) = req.label() {
                r.label(l, false, false, None);
                r.label_outcome(l, outcome);
            }
        });
        Ended { ok: false, completed }
    }

    /// Connect if needed, send, read. Retries once on a fresh connection when a reused one turns
    /// out to have been closed by the server while idle (idempotent requests only).
    async fn attempt(&mut self, slot: &Slot, start: u64, req: Req<'_>) -> Result<(Done, u64), ExErr> {
        let rendered = std::mem::take(&mut self.req);
        let (bytes, head, idempotent): (&[u8], bool, bool) = match req {
            Req::Step(work, si) => {
                let s = &work.steps[si];
                (s.fixed.as_deref().unwrap_or(&rendered), s.head, s.idempotent)
            }
            Req::Single(r) => (&r.bytes, r.head, r.idempotent),
        };
        let result = self.attempt_bytes(slot, start, bytes, head, idempotent).await;
        self.req = rendered;
        result
    }

    async fn attempt_bytes(
        &mut self,
        slot: &Slot,
        start: u64,
        bytes: &[u8],
        head: bool,
        idempotent: bool,
    ) -> Result<(Done, u64), ExErr> {
        let mut retried = false;
        loop {
            let sent = if self.stream.is_some() && !retried {
                start
            } else {
                self.ensure_connected().await?;
                now_ns()
            };
            let t = Instants { intended: slot.intended, sent, completed: 0 };
            self.record(slot, sent, |r| r.sent(&t));
            let reused = self.served > 0;
            match self.exchange(bytes, head).await {
                Ok((done, extra)) => {
                    self.served += 1;
                    // Unsolicited bytes after the response poison the connection.
                    if !done.keep_alive || extra || !self.shard.spec.keep_alive {
                        self.drop_stream();
                    }
                    return Ok((done, sent));
                }
                Err(e) if e.idle_close() && reused && !retried && idempotent => {
                    self.drop_stream();
                    retried = true;
                }
                Err(e) => {
                    self.drop_stream();
                    return Err(e);
                }
            }
        }
    }

    /// Whether an idle plain connection holds bytes nobody asked for, or was closed by the server:
    /// either way it must not carry the next request (the bytes would be read as its response).
    /// The stream's readiness poll says for free when nothing arrived since its last read (glommio
    /// patch 12); only when something may have (an event came, or the last read filled the
    /// buffer) is the socket peeked, once, without blocking. TLS streams are not checked:
    /// post-handshake records (session tickets) are legitimate unsolicited bytes there.
    fn stale(&self) -> bool {
        use std::os::fd::AsRawFd;
        let Some(Stream::Plain(s)) = &self.stream else { return false };
        if !s.maybe_readable() {
            return false;
        }
        let mut b = [0u8; 1];
        // SAFETY: a 1-byte peek into a local buffer on a socket we own.
        let n = unsafe { libc::recv(s.as_raw_fd(), b.as_mut_ptr().cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        n >= 0
    }

    fn drop_stream(&mut self) {
        self.stream = None;
        self.served = 0;
    }

    async fn ensure_connected(&mut self) -> Result<(), ExErr> {
        if self.stream.is_some() {
            return Ok(());
        }
        if now_ns() < self.down_until {
            return Err(ExErr::Io(self.last_err, false));
        }
        let spec = &self.shard.spec;
        let begin = now_ns();
        // Boxed: the connect (and TLS handshake) future is most of a connection task's size
        // (about 6 KiB), held inline by every task for its whole life although a keep-alive
        // connection connects once. A box per connect keeps each idle task under 2 KiB.
        match Box::pin(connect(spec)).await {
            Ok((s, handshake)) => {
                let took = now_ns() - begin;
                if begin >= self.shard.t0 + spec.warmup_ns {
                    self.shard.record_at(begin + took, |r| r.connected(took, handshake));
                }
                self.fails = 0;
                self.stream = Some(s);
                Ok(())
            }
            Err(e) => {
                let class = e;
                self.fails += 1;
                self.last_err = class;
                self.down_until = now_ns() + self.backoff();
                Err(ExErr::Io(class, false))
            }
        }
    }

    /// Exponential backoff with jitter: base·2^(fails−1), capped, times a factor in [0.5, 1).
    fn backoff(&mut self) -> u64 {
        let exp = BACKOFF_BASE_NS.saturating_mul(1 << self.fails.min(16).saturating_sub(1)).min(BACKOFF_MAX_NS);
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        exp / 2 + (self.rng % (exp / 2).max(1))
    }

    /// Write the request and read one framed response. Ok((done, extra bytes followed)). The
    /// read buffer is the shard's, lent for this exchange (`Shard::lend_buf`): an idle
    /// keep-alive connection holds none.
    async fn exchange(&mut self, request: &[u8], head: bool) -> Result<(Done, bool), ExErr> {
        let mut buf = self.shard.lend_buf(BUF_START);
        let result = self.exchange_in(&mut buf, request, head).await;
        self.shard.return_buf(buf, 4 * BUF_START);
        result
    }

    async fn exchange_in(&mut self, buf: &mut Vec<u8>, request: &[u8], head: bool) -> Result<(Done, bool), ExErr> {
        let stream = self.stream.as_mut().expect("connected above");
        let io = |e: std::io::Error, started: bool| ExErr::Io(io_class(&e), started);
        stream.write_all(request).await.map_err(|e| io(e, false))?;
        self.parser.start(head);
        if let Some(limit) = self.capturing {
            self.capture.reset(limit);
        }
        let mut filled = 0usize;
        loop {
            if filled == buf.len() {
                // Only a head that does not fit gets here; the parser caps it.
                let grown = buf.len() * 2;
                buf.resize(grown, 0);
            }
            let n = match stream.read(&mut buf[filled..]).await {
                Ok(n) => n,
                Err(e) => return Err(io(e, filled > 0 || self.parser.started())),
            };
            if n == 0 {
                if filled == 0 && !self.parser.started() {
                    return Err(ExErr::Io(TransportError::ClosedMidResponse, false));
                }
                self.arrival = stream.rx_timestamp();
                return self.parser.eof().map(|d| (d, false)).map_err(ExErr::Proto);
            }
            filled += n;
            let fed = match self.capturing {
                None => self.parser.feed(&buf[..filled]),
                Some(_) => self.parser.feed_into(&buf[..filled], &mut self.capture),
            };
            match fed.map_err(ExErr::Proto)? {
                Feed::NeedMore { consumed } => {
                    buf.copy_within(consumed..filled, 0);
                    filled -= consumed;
                }
                Feed::Done { consumed, done } => {
                    self.arrival = stream.rx_timestamp();
                    return Ok((done, consumed < filled));
                }
            }
        }
    }
}
