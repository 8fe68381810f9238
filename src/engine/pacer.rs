//! The open model's pacer: one per shard. It sleeps to the next due slot and hands every slot due
//! by then to the connections waiting for one, in the order they came free, so a request costs
//! no timer of its own (a connection waiting for its slot used to sleep on a glommio timer of its
//! own: an `Rc` and a timer-map insert per request). The slot itself also lives here.
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

/// A request taken from the schedule by a free connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub index: u64,
    /// Absolute intended instant (closed loop: the claim instant).
    pub intended: u64,
    /// Outside the warm-up: counted in the results.
    pub measured: bool,
    /// The scenario it belongs to (index into `Shard::parts`).
    pub sc: usize,
}

/// Where the pacer's slots come from (the shard's schedule).
pub(crate) trait Slots {
    /// When scenario `sc`'s next slot is to be sent (never before its intended instant), or
    /// None once it has issued its last.
    fn next_send(&self, sc: usize) -> Option<u64>;
    /// Take scenario `sc`'s next slot.
    fn claim(&self, sc: usize) -> Option<Slot>;
}

/// The pacer's state, shared by the pacer task and the connections waiting on it.
pub(crate) struct Pacer {
    /// Per connection: the slot the pacer handed it, not yet taken.
    handed: Vec<Option<Slot>>,
    /// Per connection: its waker while it waits for a slot (Some: it is in `line`).
    waiting: Vec<Option<Waker>>,
    /// Per scenario: the connections waiting for a slot, first free first.
    line: Vec<VecDeque<usize>>,
    /// The pacer task's waker, the instant it sleeps to (u64::MAX: until kicked), and whether
    /// a connection asked it to look again before then.
    waker: Option<Waker>,
    wake_at: u64,
    kicked: bool,
}

impl Pacer {
    pub fn new(conns: usize, scenarios: usize) -> Pacer {
        Pacer {
            handed: vec![None; conns],
            waiting: vec![None; conns],
            line: vec![VecDeque::new(); scenarios],
            waker: None,
            wake_at: u64::MAX,
            kicked: false,
        }
    }

    /// Connection `ci` of open scenario `sc` asks for its next slot at `now()` (read only when
    /// nothing was handed to it): the one the pacer
    /// handed it; else, when it is not in line, the scenario's next slot if that is due (a
    /// connection that comes free after its slot was due takes it at once); else it waits in
    /// line (and kicks the pacer when its slot is earlier than the pacer's sleep).
    /// Ready(None): the scenario has issued its last slot.
    pub fn poll_slot(
        &mut self,
        src: &impl Slots,
        ci: usize,
        sc: usize,
        now: impl FnOnce() -> u64,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Slot>> {
        if let Some(slot) = self.handed[ci].take() {
            return Poll::Ready(Some(slot));
        }
        let in_line = self.waiting[ci].is_some();
        let Some(at) = src.next_send(sc) else {
            // The pacer releases the line when the scenario ends; a stray wake-up may come first.
            if in_line {
                self.waiting[ci] = None;
                self.line[sc].retain(|c| *c != ci);
            }
            return Poll::Ready(None);
        };
        if !in_line && at <= now() {
            return Poll::Ready(src.claim(sc));
        }
        if !in_line {
            self.line[sc].push_back(ci);
        }
        match &self.waiting[ci] {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => self.waiting[ci] = Some(cx.waker().clone()),
        }
        if at < self.wake_at {
            self.wake_at = at;
            self.kicked = true;
            if let Some(w) = self.waker.take() {
                w.wake();
            }
        }
        Poll::Pending
    }

    /// Hand every slot due by `now` to the connections in line, first free first, and release
    /// the line of a scenario that has ended. Returns when the next slot someone waits for is
    /// due: the pacer sleeps to it (u64::MAX: nobody waits; it sleeps until kicked).
    pub fn hand_due(&mut self, src: &impl Slots, now: u64) -> u64 {
        let mut next = u64::MAX;
        for sc in 0..self.line.len() {
            while let Some(&ci) = self.line[sc].front() {
                match src.next_send(sc) {
                    None => {
                        for ci in self.line[sc].drain(..) {
                            if let Some(w) = self.waiting[ci].take() {
                                w.wake();
                            }
                        }
                    }
                    Some(at) if at <= now => {
                        self.line[sc].pop_front();
                        self.handed[ci] = src.claim(sc);
                        if let Some(w) = self.waiting[ci].take() {
                            w.wake();
                        }
                    }
                    Some(at) => {
                        next = next.min(at);
                        break;
                    }
                }
            }
        }
        self.wake_at = next;
        self.kicked = false;
        next
    }

    /// The pacer's sleep ends early: a connection came in line for an earlier slot.
    pub fn poll_kicked(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.kicked {
            return Poll::Ready(());
        }
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The run is over: the slots handed to connections that never started them (they count
    /// as incomplete: Shard::account_incomplete).
    pub fn untaken(&mut self) -> Vec<Slot> {
        self.handed.iter_mut().filter_map(Option::take).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Pacer, Slot, Slots};
    use std::cell::Cell;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    /// One scenario whose slots are sent at `at[i]`.
    struct Fixed {
        at: Vec<u64>,
        next: Cell<usize>,
    }
    impl Slots for Fixed {
        fn next_send(&self, _sc: usize) -> Option<u64> {
            self.at.get(self.next.get()).copied()
        }
        fn claim(&self, sc: usize) -> Option<Slot> {
            let i = self.next.get();
            let intended = *self.at.get(i)?;
            self.next.set(i + 1);
            Some(Slot { index: i as u64, intended, measured: true, sc })
        }
    }

    /// Counts its wake-ups.
    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn waker() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }
    fn woken(c: &Count) -> usize {
        c.0.load(Ordering::SeqCst)
    }

    /// Two connections in line get the slots in the order they came free, each only once the
    /// pacer's clock has reached it, and the pacer sleeps to the next slot someone waits for.
    #[test]
    fn slots_go_to_the_first_free_connection_and_only_when_due() {
        let src = Fixed { at: vec![100, 200, 300], next: Cell::new(0) };
        let mut p = Pacer::new(2, 1);
        let (pacer, pw) = waker();
        assert!(p.poll_kicked(&mut Context::from_waker(&pw)).is_pending());
        let (c0, w0) = waker();
        let (c1, w1) = waker();
        assert_eq!(p.poll_slot(&src, 0, 0, || 50, &mut Context::from_waker(&w0)), Poll::Pending);
        assert_eq!(woken(&pacer), 1, "slot 0 (100) is before the pacer's sleep (none): kicked");
        assert_eq!(p.poll_slot(&src, 1, 0, || 60, &mut Context::from_waker(&w1)), Poll::Pending);
        assert_eq!(p.hand_due(&src, 99), 100, "nothing due at 99: sleep to 100");
        assert_eq!((woken(&c0), woken(&c1)), (0, 0));
        assert_eq!(p.hand_due(&src, 150), 200, "slot 0 handed to connection 0; connection 1 waits for 200");
        assert_eq!((woken(&c0), woken(&c1)), (1, 0));
        let got = p.poll_slot(&src, 0, 0, || 150, &mut Context::from_waker(&w0));
        assert_eq!(got, Poll::Ready(Some(Slot { index: 0, intended: 100, measured: true, sc: 0 })));
        assert_eq!(p.hand_due(&src, 250), u64::MAX, "slot 1 handed to connection 1; nobody waits");
        assert_eq!(woken(&c1), 1);
        assert!(
            matches!(p.poll_slot(&src, 1, 0, || 250, &mut Context::from_waker(&w1)), Poll::Ready(Some(s)) if s.index == 1)
        );
    }

    /// A connection that comes free after its slot was due takes it at once (no pacer round
    /// trip); one that comes free before waits.
    #[test]
    fn a_connection_free_after_its_slot_is_due_takes_it_at_once() {
        let src = Fixed { at: vec![100, 200], next: Cell::new(0) };
        let mut p = Pacer::new(1, 1);
        let (_, w) = waker();
        assert!(
            matches!(p.poll_slot(&src, 0, 0, || 120, &mut Context::from_waker(&w)), Poll::Ready(Some(s)) if s.index == 0)
        );
        assert_eq!(p.poll_slot(&src, 0, 0, || 150, &mut Context::from_waker(&w)), Poll::Pending);
        assert_eq!(
            p.poll_slot(&src, 0, 0, || 210, &mut Context::from_waker(&w)),
            Poll::Pending,
            "in line: waits for the pacer"
        );
        assert_eq!(p.hand_due(&src, 210), u64::MAX);
        assert!(
            matches!(p.poll_slot(&src, 0, 0, || 210, &mut Context::from_waker(&w)), Poll::Ready(Some(s)) if s.index == 1)
        );
    }

    /// When the scenario has issued its last slot, everyone in line is woken and gets None;
    /// a slot handed but never started is returned by `untaken`.
    #[test]
    fn an_ended_scenario_releases_its_line_and_untaken_slots_are_returned() {
        let src = Fixed { at: vec![100], next: Cell::new(0) };
        let mut p = Pacer::new(3, 1);
        let ws: Vec<_> = (0..3).map(|_| waker()).collect();
        for (ci, (_, w)) in ws.iter().enumerate() {
            assert_eq!(p.poll_slot(&src, ci, 0, || 10, &mut Context::from_waker(w)), Poll::Pending);
        }
        assert_eq!(p.hand_due(&src, 100), u64::MAX, "slot 0 handed; the line released");
        assert_eq!(ws.iter().map(|(c, _)| woken(c)).collect::<Vec<_>>(), vec![1, 1, 1]);
        for (ci, (_, w)) in ws.iter().enumerate().skip(1) {
            assert_eq!(p.poll_slot(&src, ci, 0, || 100, &mut Context::from_waker(w)), Poll::Ready(None));
        }
        let untaken = p.untaken();
        assert_eq!(untaken.iter().map(|s| s.index).collect::<Vec<_>>(), vec![0]);
        assert!(p.untaken().is_empty());
    }
}
