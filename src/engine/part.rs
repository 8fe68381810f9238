//! One scenario's share of a shard: its schedule and workload (engine::Scenario), the absolute
//! ends of its measured stages (for per-stage results), where its stages sit in the run's stage
//! list, and which of the shard's connections are its own. Read-only once the shard is made.
use super::spec::{EngineSpec, Scenario};
use crate::schedule::{Schedule, core_slot_count};
use std::ops::Range;

pub(crate) struct Part {
    pub run: Scenario,
    /// Absolute end of each of its measured stages.
    stage_ends: Vec<u64>,
    /// Index of its first stage in the run's stage list (scenarios' stages follow each other).
    stage_base: usize,
    /// This core's connections that belong to it (the shard's connection indices).
    pub conns: Range<usize>,
}

impl Part {
    /// Every scenario's part of core lane `lane` of `lanes`, for the run that starts at `t0`.
    pub fn all(spec: &EngineSpec, t0: u64, lane: u64, lanes: u64) -> Vec<Part> {
        let (mut first_conn, mut stage_base) = (0, 0);
        spec.runs()
            .into_iter()
            .map(|run| {
                let n = Part::conns(&run, lane, lanes);
                let start = t0 + spec.warmup_ns + run.start_ns;
                let stage_ends = run
                    .stages_ns
                    .iter()
                    .scan(start, |at, d| {
                        *at += d;
                        Some(*at)
                    })
                    .collect();
                let part = Part { stage_ends, stage_base, conns: first_conn..first_conn + n, run };
                (first_conn, stage_base) = (first_conn + n, stage_base + part.run.stages_ns.len());
                part
            })
            .collect()
    }

    /// Scenario `run`'s connections on core lane `lane` of `lanes`: its share, and at least one
    /// in the open model, whose schedule gives every lane slots (a scenario with fewer
    /// connections than lanes, such as a probe with one, would otherwise leave a lane's slots
    /// unsent). The closed model's users are its connections: a lane may have none.
    pub fn conns(run: &Scenario, lane: u64, lanes: u64) -> usize {
        let share = core_slot_count(run.connections as u64, lane, lanes) as usize;
        let open = !matches!(run.schedule, Schedule::Saturate);
        if open { share.max(1) } else { share }
    }

    /// The open model: slots come from the schedule at their intended times.
    pub fn open(&self) -> bool {
        !matches!(self.run.schedule, Schedule::Saturate)
    }

    /// The run's stage that contains instant `t` (its last one for anything after it).
    pub fn stage_of(&self, t: u64) -> usize {
        let own = self.stage_ends.partition_point(|e| *e <= t).min(self.stage_ends.len().saturating_sub(1));
        self.stage_base + own
    }

    /// The intended instant of lane `k` of `n`'s first slot after `now` (None in the closed loop
    /// and after a staged schedule's last slot).
    pub fn next_due(&self, t0: u64, k: u64, n: u64, now: u64) -> Option<u64> {
        let s = &self.run.schedule;
        let j = s.slots_before(now.saturating_sub(t0) + 1)?;
        let mine = j + (k + n - j % n) % n;
        // A staged schedule has no slot after its last stage (u64::MAX).
        s.intended(mine).filter(|off| *off != u64::MAX).map(|off| t0 + off)
    }
}
