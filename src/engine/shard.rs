//! One shard per pinned core: owns its connections' slot claims, its Recorder and its interval
//! flushes. Nothing here is shared with another core; the only way out is one Snapshot per
//! interval on the channel.
use super::clock::{now_ns, wait_until};
pub(crate) use super::pacer::Slot;
use super::pacer::{Pacer, Slots};
use super::part::Part;
use super::spec::EngineSpec;
use crate::record::{Recorder, Snapshot};
use crate::schedule::core_slot_count;
use crossbeam_channel::Sender;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

const NONE: u64 = u64::MAX;
/// `Shard::refill` waits for a gap at least this long before the next slot (several times what
/// allocating a recorder takes).
const QUIET_NS: u64 = 500_000;

/// The longest a sleep waits for a batch of responses (Shard::batch_sleeps).
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// How this shard's executor may wait for responses (Shard::batch_sleeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Batching {
    /// Wake for every response (plans, virtual users, mixed scenarios).
    Each,
    /// Open model, quick mode: while a connection waits for its slot, sleep to that slot (at
    /// most BATCH_WAIT) and read every response that arrived meanwhile then.
    ToNextSlot,
    /// Closed loop, quick mode: wake once half the requests in flight have their response (at
    /// most BATCH_WAIT after going to sleep).
    Half,
}

impl Batching {
    /// Batching applies to quick mode only: there a response ends its connection's work until
    /// its next slot, so reading it later changes nothing but the executor's wake-ups. A plan's
    /// next step, or a virtual user's think time, would start later. `ONSLAUGHT_SLEEP_BATCH=0`
    /// turns it off (for side-by-side measurement).
    fn of(parts: &[Part]) -> Batching {
        let off = std::env::var_os("ONSLAUGHT_SLEEP_BATCH").is_some_and(|v| v == "0");
        let quick = parts.iter().all(|p| matches!(p.run.workload, super::spec::Workload::Single(_)));
        if off || !quick || parts.is_empty() {
            Batching::Each
        } else if parts.iter().all(|p| p.open()) {
            Batching::ToNextSlot
        } else if parts.iter().all(|p| !p.open()) {
            Batching::Half
        } else {
            Batching::Each
        }
    }
}

pub(crate) struct Shard {
    pub spec: Arc<EngineSpec>,
    pub core: usize,
    /// This core's lane of the global schedule and the number of lanes (schedule::ShardOf):
    /// core k of c on shard K of N takes the slots i ≡ K + N·k (mod N·c).
    pub lane: u64,
    pub lanes: u64,
    pub t0: u64,
    pub st: RefCell<State>,
    /// Connection tasks still running.
    pub live: Cell<usize>,
    /// Each scenario's share of this shard (one for a run without scenarios).
    pub parts: Vec<Part>,
    tx: Sender<Snapshot>,
    /// How long before a timer the executor stops sleeping and polls, when its CPU is its own
    /// (timer_probe::Cadence; `adapt_lead`).
    pub lead_ns: u64,
    /// The executor's CPU wait so far (schedstat) and until when it counts as contended.
    contention: Cell<(u64, u64)>,
    /// Read buffers not lent to an exchange: as many as were ever in flight at once, not one per
    /// connection (an idle keep-alive connection holds no buffer).
    bufs: RefCell<Vec<Vec<u8>>>,
    /// How the executor waits for responses, the requests in flight, and the batch last asked
    /// of glommio (`batch_sleeps`).
    batching: Batching,
    in_flight: Cell<u32>,
    batch: Cell<u32>,
    /// The open model's pacer and the connections waiting on it (engine::pacer).
    pacer: RefCell<Pacer>,
}

pub(crate) struct State {
    pub rec: Recorder,
    /// Per scenario: next slot index this core hands out (open: k, k+n, …; closed: a sequence).
    pub next: Vec<u64>,
    /// Per scenario, open model: slots of the whole run below this index are due (shrinks on
    /// Ctrl-C).
    pub total: Vec<u64>,
    /// Absolute instant after which no new slot is issued.
    pub end: u64,
    /// Per connection: intended instant of its measured request in flight, or NONE.
    pub inflight: Vec<u64>,
    /// Per connection: deadline of the request in flight (NONE: none), whether it has passed,
    /// and the waker of the connection's `Expiry`. Checked by the control tick, so a request
    /// costs no timer of its own (glommio re-arms its kernel timeout whenever the earliest timer
    /// changes, which per-request timers would do on every request).
    pub deadline: Vec<u64>,
    pub expired: Vec<bool>,
    pub waker: Vec<Option<Waker>>,
    /// Index of the interval being recorded, and the instant it ends.
    pub interval: u64,
    pub interval_end: u64,
    /// The executor's own health this interval (record::health): CPU time, connection backlog.
    pub health: crate::record::health::Probe,
    /// The next interval's recorder, made ahead of time by the control tick (`refill`), so a
    /// flush at an interval boundary, where a slot is often due, allocates nothing.
    pub spare: Option<Recorder>,
}

impl Shard {
    /// Core `k` of `n`'s shard of the run that starts at `t0`, with `conns` connections; its
    /// snapshots leave on `tx`.
    pub fn new(
        spec: Arc<EngineSpec>,
        k: usize,
        n: usize,
        t0: u64,
        conns: usize,
        tx: Sender<Snapshot>,
        lead_ns: u64,
    ) -> Shard {
        let (lane, lanes) = spec.shard.lane(k, n);
        let end = t0 + spec.warmup_ns + spec.duration_ns;
        let parts = Part::all(&spec, t0, lane, lanes);
        let window = spec.warmup_ns + spec.duration_ns;
        let total = parts.iter().map(|p| p.run.schedule.slots_before(window).unwrap_or(u64::MAX)).collect();
        let st = State {
            rec: Self::recorder(&spec, &parts, end),
            next: parts.iter().map(|p| if p.open() { lane } else { 0 }).collect(),
            total,
            end,
            inflight: vec![NONE; conns],
            deadline: vec![NONE; conns],
            expired: vec![false; conns],
            waker: vec![None; conns],
            interval: 0,
            interval_end: t0 + spec.interval_ns,
            health: crate::record::health::Probe::new(),
            spare: None,
        };
        let bufs = RefCell::new(Vec::new());
        let st = RefCell::new(st);
        let contention = Cell::new((crate::record::health::thread_runq_ns(), 0));
        let batching = Batching::of(&parts);
        let parts_len = parts.len();
        Shard {
            spec,
            core: k,
            lane,
            lanes,
            t0,
            st,
            live: Cell::new(conns),
            parts,
            tx,
            lead_ns,
            contention,
            bufs,
            batching,
            in_flight: Cell::new(0),
            batch: Cell::new(1),
            pacer: RefCell::new(Pacer::new(conns, parts_len)),
        }
    }

    /// The shard's first recorder: a slot per label (global over scenarios), per stage of every
    /// scenario, and per named scenario.
    fn recorder(spec: &EngineSpec, parts: &[Part], end: u64) -> Recorder {
        let labels = parts.first().and_then(|p| p.run.workload.plan()).map_or(0, |w| w.steps.len());
        let stages = parts.iter().map(|p| p.run.stages_ns.len()).sum();
        Recorder {
            window_end: end,
            labels: (0..labels).map(|_| Default::default()).collect(),
            stages: (0..stages).map(|_| Default::default()).collect(),
            scenarios: spec.scenarios.iter().map(|_| Default::default()).collect(),
            ..Recorder::default()
        }
    }

    /// The scenario connection `ci` belongs to.
    pub fn scenario_of(&self, ci: usize) -> usize {
        self.parts.iter().position(|p| p.conns.contains(&ci)).unwrap_or(0)
    }

    /// Control tick: poll to timers (the lead) only while the executor has its CPU to itself.
    /// Where it waited for its CPU since the last tick (over `CONTENDED_WAIT_NS`), others want that CPU: polling would
    /// be charged to the executor by the scheduler, which then loses its turn at the next
    /// wake-up (two busy loops on a 2-core VM, 200 req/s: send lag p99 0.9 ms without a lead,
    /// 2.7 ms with 50 µs, 4.0 ms with 200 µs). It then sleeps to its timers for
    /// `CONTENDED_HOLD_NS` after the last wait seen.
    pub fn adapt_lead(&self, now: u64) {
        if self.lead_ns == 0 {
            return;
        }
        let (mark, until) = self.contention.get();
        let runq = crate::record::health::thread_runq_ns();
        let until = if runq.saturating_sub(mark) > CONTENDED_WAIT_NS { now + CONTENDED_HOLD_NS } else { until };
        self.contention.set((runq, until));
        let lead = if now < until { 0 } else { self.lead_ns };
        glommio::timer::set_timer_lead(std::time::Duration::from_nanos(lead));
    }

    /// A read buffer of at least `size` bytes for one exchange (a returned one when there is).
    pub fn lend_buf(&self, size: usize) -> Vec<u8> {
        self.bufs.borrow_mut().pop().unwrap_or_else(|| vec![0; size])
    }

    /// Take a lent buffer back; one grown past `keep` bytes (a large head) shrinks to a quarter.
    pub fn return_buf(&self, mut buf: Vec<u8>, keep: usize) {
        if buf.len() > keep {
            buf.truncate(keep / 4);
            buf.shrink_to_fit();
        }
        self.bufs.borrow_mut().push(buf);
    }
    /// When a slot intended at `t` is sent: at the end of its `--send-window` (from t0), or at
    /// `t` without one.
    pub fn send_at(&self, t: u64) -> u64 {
        send_at(t, self.t0, self.spec.send_window_ns)
    }

    /// Scenario `sc` is an open model.
    pub fn open(&self, sc: usize) -> bool {
        self.parts[sc].open()
    }
    pub fn measured(&self, t: u64) -> bool {
        t >= self.t0 + self.spec.warmup_ns
    }

    /// Point the recorder at the stage and scenario of a request of scenario `sc` intended at `t`.
    fn aim(&self, rec: &mut Recorder, sc: usize, t: u64) {
        rec.stage = self.parts[sc].stage_of(t);
        rec.scenario = sc;
    }

    /// Connection `ci` of open scenario `sc` waits for its next slot (engine::pacer).
    pub fn poll_slot(&self, ci: usize, sc: usize, cx: &mut Context<'_>) -> Poll<Option<Slot>> {
        self.pacer.borrow_mut().poll_slot(self, ci, sc, now_ns, cx)
    }

    /// The pacer task of a shard with an open scenario (engine::pacer): sleeps to the next slot
    /// someone waits for, hands out every slot due, and so on until the shard drops it.
    pub async fn pace(self: Rc<Self>) {
        loop {
            let at = self.pacer.borrow_mut().hand_due(&*self, now_ns());
            let kicked = std::future::poll_fn(|cx| self.pacer.borrow_mut().poll_kicked(cx));
            if at == u64::MAX { kicked.await } else { futures_lite::future::or(wait_until(at), kicked).await }
        }
    }

    /// Take scenario `sc`'s next slot, or None when it has issued its last.
    pub fn claim(&self, sc: usize) -> Option<Slot> {
        let mut st = self.st.borrow_mut();
        let st = &mut *st;
        let next = st.next[sc];
        match self.parts[sc].run.schedule.intended(next) {
            Some(off) => {
                if next >= st.total[sc] {
                    return None;
                }
                st.next[sc] += self.lanes;
                let intended = self.t0 + off;
                Some(Slot { index: next, intended, measured: self.measured(intended), sc })
            }
            None => {
                let now = now_ns();
                if now >= st.end {
                    return None;
                }
                st.next[sc] += 1;
                Some(Slot { index: next, intended: now, measured: self.measured(now), sc })
            }
        }
    }

    /// The slot is due and about to be served: count it as intended (once) and in flight.
    /// False when a Ctrl-C moved the end before it (it is then not part of the run).
    pub fn commit(&self, ci: usize, slot: &Slot) -> bool {
        let mut st = self.st.borrow_mut();
        if self.open(slot.sc) && slot.index >= st.total[slot.sc] {
            return false;
        }
        if slot.measured {
            // Counted in the interval of its intended time (never later than now).
            self.roll(&mut st, slot.intended);
            self.aim(&mut st.rec, slot.sc, slot.intended);
            st.rec.intended();
            st.inflight[ci] = slot.intended;
        }
        true
    }

    pub fn settle(&self, ci: usize) {
        self.st.borrow_mut().inflight[ci] = NONE;
    }

    /// Start the clock on connection `ci`'s request: it expires at `deadline`.
    pub fn arm(&self, ci: usize, deadline: u64) {
        let mut st = self.st.borrow_mut();
        st.deadline[ci] = deadline;
        st.expired[ci] = false;
        self.in_flight.set(self.in_flight.get() + 1);
        self.batch_sleeps();
    }

    pub fn disarm(&self, ci: usize) {
        let mut st = self.st.borrow_mut();
        st.deadline[ci] = NONE;
        st.waker[ci] = None;
        self.in_flight.set(self.in_flight.get().saturating_sub(1));
        self.batch_sleeps();
    }

    /// Tell the executor how many responses its next sleep may wait for (glommio patch 13):
    /// every sleep and wake-up of an executor costs more CPU on a VM than a request
    /// (docs/benchmarks.md), and responses are stamped by the kernel on arrival
    /// (engine::clock::arrived), so reading several at once moves no latency.
    /// - ToNextSlot: while some connection is free (it waits for its slot on a timer, which ends
    ///   the sleep), wait for all of them; when every connection is busy, a due slot may be
    ///   waiting for the first response: wake for it.
    /// - Half: wake when half of those in flight are in.
    fn batch_sleeps(&self) {
        let n = self.in_flight.get();
        let want = match self.batching {
            Batching::Each => return,
            _ if !super::clock::stamps_work() => 1,
            Batching::ToNextSlot if n > 0 && (n as usize) < self.live.get() => u32::MAX,
            Batching::ToNextSlot => 1,
            Batching::Half => (n / 2).max(1),
        };
        if want != self.batch.get() {
            self.batch.set(want);
            glommio::timer::set_sleep_batch(want, BATCH_WAIT);
        }
    }

    /// The sweeper: expire every request whose deadline has passed and wake its connection.
    pub fn expire(&self, now: u64) {
        let mut st = self.st.borrow_mut();
        let st = &mut *st;
        for ci in 0..st.deadline.len() {
            if st.deadline[ci] <= now {
                st.deadline[ci] = NONE;
                st.expired[ci] = true;
                if let Some(w) = st.waker[ci].take() {
                    w.wake();
                }
            }
        }
    }

    /// Ctrl-C (first): issue nothing intended after `now`; keep what is already due.
    pub fn begin_stop(&self, now: u64) {
        let mut st = self.st.borrow_mut();
        st.end = st.end.min(now);
        st.rec.window_end = st.end;
        for (p, total) in self.parts.iter().zip(st.total.iter_mut()) {
            if let Some(n) = p.run.schedule.slots_before(now.saturating_sub(self.t0)) {
                *total = (*total).min(n);
            }
        }
    }

    /// Record into the interval that contains instant `at`, flushing the intervals it ends first,
    /// so every sample lands in the interval of its own timestamp (not of whichever task ran first
    /// at a boundary).
    pub fn record_at(&self, at: u64, f: impl FnOnce(&mut Recorder)) {
        let mut st = self.st.borrow_mut();
        self.roll(&mut st, at);
        f(&mut st.rec);
    }

    /// `record_at` for one request: what `f` records is also attributed to the load stage of the
    /// request's intended time.
    pub fn record_slot(&self, slot: &Slot, at: u64, f: impl FnOnce(&mut Recorder)) {
        self.record_at(at, |r| {
            self.aim(r, slot.sc, slot.intended);
            f(r)
        });
    }

    fn roll(&self, st: &mut State, at: u64) {
        while at >= st.interval_end {
            self.send(st, false);
            st.interval += 1;
            st.interval_end += self.spec.interval_ns;
        }
    }

    fn send(&self, st: &mut State, last: bool) {
        let rec = match st.spare.take() {
            Some(spare) => st.rec.take_into(spare),
            None => st.rec.take(),
        };
        let snap = Snapshot {
            core: self.core,
            interval: st.interval,
            counters: rec.counters,
            hists: rec.hists,
            labels: rec.labels,
            stages: rec.stages,
            scenarios: rec.scenarios,
            last,
            health: st.health.take(),
        };
        // The aggregator outlives the shards; a closed channel means nobody wants the data.
        let _ = self.tx.send(snap);
    }

    /// Control tick: how many of this core's due slots no connection has taken yet (open model;
    /// the closed loop has no due time, so nothing can wait).
    pub fn sample_backlog(&self, now: u64) {
        let mut st = self.st.borrow_mut();
        let (k, n) = (self.lane, self.lanes);
        let mut waiting = 0;
        for (sc, p) in self.parts.iter().enumerate() {
            let due = p.run.schedule.slots_before(now.saturating_sub(self.t0)).map_or(0, |d| d.min(st.total[sc]));
            waiting += core_slot_count(due, k, n).saturating_sub(core_slot_count(st.next[sc], k, n));
        }
        st.health.backlog(waiting);
    }

    /// Make the next interval's recorder now, unless one of this core's slots is due within
    /// `QUIET_NS` (allocating a recorder's histograms takes long enough to make that slot late;
    /// the next tick tries again). The closed loop has no due times: it refills at once.
    pub fn refill(&self, now: u64) {
        let mut st = self.st.borrow_mut();
        if st.spare.is_none() && self.next_due(now).is_none_or(|t| t >= now + QUIET_NS) {
            st.spare = Some(st.rec.fresh());
        }
    }

    /// Where the control tick wanted at `tick` runs instead: clear of this core's slots. A tick
    /// due within `SLOT_GUARD_NS` before a slot (or a quarter of it after) would run first when both wake together and make
    /// that slot late by its work (at 100 slots per second per core a 10 ms tick locks onto the
    /// slots' phase: send lag p99 81-228 µs from the tick alone), so it moves to halfway between
    /// that slot and the next. Flushes and sweeps may run that much later: they only read clocks.
    pub fn clear_of_slots(&self, tick: u64) -> u64 {
        clear_of_slots(tick, |t| self.next_due(t))
    }

    /// The intended instant of this core's first slot after `now`, of any scenario (None in the
    /// closed loop and after every staged schedule's last slot; engine::part::Part::next_due).
    fn next_due(&self, now: u64) -> Option<u64> {
        self.parts.iter().filter_map(|p| p.next_due(self.t0, self.lane, self.lanes, now)).min()
    }

    /// The last snapshot: everything left, in the interval of `at`.
    pub fn finish(&self, at: u64) {
        let mut st = self.st.borrow_mut();
        self.roll(&mut st, at);
        self.send(&mut st, true);
    }

    /// A measured slot of scenario `sc` intended at `t` that was never sent by the run's end at
    /// `stop`: intended, and incomplete.
    fn unsent(&self, rec: &mut Recorder, sc: usize, t: u64, stop: u64) {
        self.aim(rec, sc, t);
        rec.intended();
        rec.incomplete(stop.saturating_sub(t));
    }

    /// Run end: whatever is in flight or due but unsent is incomplete, censored at `stop`.
    pub fn account_incomplete(&self, stop: u64) {
        let mut st = self.st.borrow_mut();
        let st = &mut *st;
        self.roll(st, stop);
        for (ci, t) in st.inflight.iter_mut().enumerate() {
            if *t != NONE {
                self.aim(&mut st.rec, self.scenario_of(ci), *t);
                st.rec.incomplete(stop.saturating_sub(*t));
                *t = NONE;
            }
        }
        // Slots the pacer handed to a connection that had not started them yet.
        for slot in self.pacer.borrow_mut().untaken() {
            if slot.measured {
                self.unsent(&mut st.rec, slot.sc, slot.intended, stop);
            }
        }
        for (sc, p) in self.parts.iter().enumerate().filter(|(_, p)| p.open()) {
            let mut j = st.next[sc];
            while j < st.total[sc] {
                let t = self.t0 + p.run.schedule.intended(j).unwrap_or(0);
                if self.measured(t) {
                    self.unsent(&mut st.rec, sc, t, stop);
                }
                j += self.lanes;
            }
            st.next[sc] = st.total[sc];
        }
    }
}

impl Slots for Shard {
    /// When scenario `sc`'s next slot is sent (`send_at` its intended instant), without taking it.
    fn next_send(&self, sc: usize) -> Option<u64> {
        let st = self.st.borrow();
        let next = st.next[sc];
        if next >= st.total[sc] {
            return None;
        }
        self.parts[sc].run.schedule.intended(next).map(|off| self.send_at(self.t0.saturating_add(off)))
    }
    fn claim(&self, sc: usize) -> Option<Slot> {
        Shard::claim(self, sc)
    }
}

/// The end of the window of width `w` (windows start at `t0`) that holds `t`: never before `t`.
fn send_at(t: u64, t0: u64, w: u64) -> u64 {
    if w == 0 || t <= t0 {
        return t;
    }
    t0 + (t - t0).div_ceil(w).saturating_mul(w)
}

/// `Shard::clear_of_slots` over `next_due(t)`: the core's first slot intended after `t`.
fn clear_of_slots(tick: u64, next_due: impl Fn(u64) -> Option<u64>) -> u64 {
    let Some(slot) = next_due(tick.saturating_sub(SLOT_GUARD_NS / 4)) else { return tick };
    if slot > tick.saturating_add(SLOT_GUARD_NS) {
        return tick;
    }
    let after = next_due(slot).unwrap_or(slot + 2 * SLOT_GUARD_NS);
    slot + (after - slot) / 2
}

/// How far before one of the core's slots the control tick may not run (`Shard::clear_of_slots`):
/// more than the tick's own work takes.
const SLOT_GUARD_NS: u64 = 1_000_000;

/// After the executor was seen waiting for its CPU, how long it sleeps to its timers instead of
/// polling to them (`Shard::adapt_lead`).
const CONTENDED_HOLD_NS: u64 = 100_000_000;
/// Waiting for the CPU this long in one control tick (10 ms) is contention; a prompt wake-up
/// waits microseconds.
const CONTENDED_WAIT_NS: u64 = 500_000;

/// Resolves when connection `ci`'s armed deadline has passed (see `Shard::expire`).
pub(crate) struct Expiry {
    pub shard: Rc<Shard>,
    pub ci: usize,
}

impl Future for Expiry {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.shard.st.borrow_mut();
        if st.expired[self.ci] {
            return Poll::Ready(());
        }
        match &st.waker[self.ci] {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.waker[self.ci] = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::{SLOT_GUARD_NS, clear_of_slots, send_at};

    /// `--send-window 100us` from t0 = 1 000: each slot goes at the end of its window, never
    /// before its intended time; slots in one window go together; no window: as intended.
    #[test]
    fn a_send_window_sends_each_slot_at_the_end_of_its_window_never_early() {
        let (t0, w) = (1_000, 100_000);
        assert_eq!(send_at(t0, t0, w), t0);
        for (t, at) in [(t0 + 1, t0 + w), (t0 + 50_000, t0 + w), (t0 + w, t0 + w), (t0 + w + 1, t0 + 2 * w)] {
            assert_eq!(send_at(t, t0, w), at, "slot at {t}");
            assert!(send_at(t, t0, w) >= t);
        }
        assert_eq!(send_at(t0 + 12_345, t0, 0), t0 + 12_345);
    }

    /// Slots every 10 ms from 0 up to (not including) `last`.
    fn every_10ms(last: u64) -> impl Fn(u64) -> Option<u64> {
        move |t| Some((t / 10_000_000 + 1) * 10_000_000).filter(|s| *s < last)
    }

    /// The bug: at 100 slots per second per core the 10 ms control tick locked onto the slots'
    /// phase and ran its work just before each one (send lag p99 81-228 µs from the tick alone).
    #[test]
    fn the_control_tick_does_not_land_on_a_slot_at_100_slots_per_second() {
        let due = every_10ms(u64::MAX);
        // Just before a slot, on it and just after it: moved halfway to the next slot.
        for tick in [10_000_000 - 50_000, 10_000_000, 10_000_000 + 100_000, 10_000_000 - SLOT_GUARD_NS + 1] {
            assert_eq!(clear_of_slots(tick, &due), 15_000_000, "tick at {tick}");
        }
        // Clear of slots already: kept.
        for tick in [5_000_000, 10_000_000 - SLOT_GUARD_NS - 1, 10_000_000 + SLOT_GUARD_NS / 2] {
            assert_eq!(clear_of_slots(tick, &due), tick, "tick at {tick}");
        }
        // After the schedule's last slot there is nothing to keep clear of; before the last one,
        // the tick moves past it by the guard.
        let ends = every_10ms(20_000_001);
        assert_eq!(clear_of_slots(30_000_000, &ends), 30_000_000);
        assert_eq!(clear_of_slots(20_000_000, &ends), 20_000_000 + SLOT_GUARD_NS);
        // The closed loop has no slots.
        assert_eq!(clear_of_slots(10_000_000, |_| None), 10_000_000);
    }
}
