//! The closed model: one virtual user per connection, looping iterations of its journeys while the
//! user schedule (crate::schedule::users) has it active. Each request's intended time is when the
//! user was ready to send it (its previous completion plus think time), so latency includes every
//! wait after that instant: reconnecting, and the generator's own lateness (docs/latency-model.md).
use super::ConnTask;
use crate::engine::clock::{now_ns, wait_until};
use crate::engine::shard::Slot;
use crate::engine::work::PlanWork;

impl ConnTask {
    /// Virtual user `v`'s life: each of its active periods in turn (start, loop, retire).
    pub async fn run_user(mut self, v: u64) {
        let shard = self.shard.clone();
        if let (Some(users), Some(work)) = (&shard.spec.users, shard.spec.plan) {
            self.vu = Some(v);
            let peak = users.peak().max(1);
            let mut iteration = 0u64;
            let mut from = 0u64;
            while let Some((start, stop)) = users.next_active(v, from) {
                from = stop;
                if shard.t0 + start >= shard.st.borrow().end {
                    break;
                }
                self.active(work, shard.t0 + start, shard.t0 + stop, peak, &mut iteration).await;
            }
        }
        shard.live.set(shard.live.get() - 1);
    }

    /// One active period `[start, stop)` (absolute): iterations back to back, each first step
    /// intended when the user is ready. The user retires at the first step intended at or after
    /// `stop` (or the run's end): a request in flight then finishes first, never cut off.
    async fn active(&mut self, work: &'static PlanWork, start: u64, stop: u64, peak: u64, iteration: &mut u64) {
        let shard = self.shard.clone();
        let v = self.vu.unwrap_or(0);
        wait_until(start).await;
        shard.record_at(now_ns(), |r| r.counters.users_started += 1);
        self.retire_at = stop;
        let mut ready = start;
        while ready < shard.st.borrow().end.min(stop) {
            wait_until(ready).await;
            // Iteration k of user v: a sequence number unique in the run, whatever the cores.
            let index = *iteration * peak + v;
            *iteration += 1;
            let slot = Slot { index, intended: ready, measured: shard.measured(ready) };
            if !shard.commit(self.ci, &slot) {
                break;
            }
            ready = self.iteration(work, slot).await;
        }
        // Active until its next step would have been due, or its period (or the run) ended: so
        // the active-user count follows the schedule, not the moment the user gave up.
        let limit = shard.st.borrow().end.min(stop);
        wait_until(ready.min(limit)).await;
        shard.record_at(now_ns(), |r| r.counters.users_retired += 1);
    }
}
