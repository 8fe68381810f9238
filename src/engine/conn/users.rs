//! The closed model's virtual user: where one connection's slots come from when it is a user
//! (crate::schedule::users). Each active period of the user's stages is a run of iterations back
//! to back, each first step intended when the user was ready (its previous completion plus think
//! time), so latency includes every wait after that instant: reconnecting, and the generator's
//! own lateness (docs/latency-model.md).
use super::ConnTask;
use crate::engine::clock::{now_ns, wait_until};
use crate::engine::shard::Slot;
use crate::schedule::UserStages;

/// Virtual user `v`: the stages that say when it is active, and where it is in them.
pub(crate) struct User {
    pub v: u64,
    stages: UserStages,
    /// Users at the peak: iteration k of user v is slot k·peak + v, unique in the run.
    peak: u64,
    iteration: u64,
    /// Where to look for the next active period (offset from t0).
    from: u64,
    /// The active period being walked: when it stops (absolute); None between periods.
    stop: Option<u64>,
    /// When the user is ready for its next iteration (absolute).
    pub ready: u64,
}

impl User {
    pub fn new(v: u64, stages: &UserStages) -> User {
        let peak = stages.peak().max(1);
        User { v, stages: stages.clone(), peak, iteration: 0, from: 0, stop: None, ready: 0 }
    }

    /// The first slot of the user's next iteration, once it is due; None when the user has no
    /// active period left before the run's end. Entering a period counts a user started;
    /// leaving it, a user retired, at the first iteration intended at or after its stop (or the
    /// run's end): a request in flight then finishes first, never cut off.
    pub async fn next(&mut self, task: &mut ConnTask) -> Option<Slot> {
        let shard = task.shard.clone();
        loop {
            let end = shard.st.borrow().end;
            let Some(stop) = self.stop else {
                let (start, stop) = self.stages.next_active(self.v, self.from)?;
                self.from = stop;
                if shard.t0 + start >= end {
                    return None;
                }
                wait_until(shard.t0 + start).await;
                shard.record_at(now_ns(), |r| {
                    r.scenario = task.sc;
                    r.user(true)
                });
                task.retire_at = shard.t0 + stop;
                (self.ready, self.stop) = (shard.t0 + start, Some(shard.t0 + stop));
                continue;
            };
            let limit = end.min(stop);
            if self.ready < limit {
                wait_until(self.ready).await;
                let index = self.iteration * self.peak + self.v;
                self.iteration += 1;
                return Some(Slot { index, intended: self.ready, measured: shard.measured(self.ready), sc: task.sc });
            }
            // Active until its next step would have been due, or its period (or the run) ended:
            // so the active-user count follows the schedule, not the moment the user gave up.
            wait_until(self.ready.min(limit)).await;
            shard.record_at(now_ns(), |r| {
                r.scenario = task.sc;
                r.user(false)
            });
            self.stop = None;
        }
    }
}
