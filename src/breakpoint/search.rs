//! The breakpoint search as a pure state machine over judged steps: which rate to offer next
//! (ramp, then bisection, then a confirming hold) and when to stop. No I/O and no clock, so every
//! path is unit-tested on synthetic results (tests below); `super::run_search` drives it.
use serde::{Deserialize, Serialize};

/// How the ramp grows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// Each step offers the previous rate times this (> 1).
    Factor(f64),
    /// Each step offers the previous rate plus this many req/s (> 0).
    Add(f64),
}

/// What the search needs to know; validated by the caller (start > 0, start <= max, ...).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSpec {
    pub start: f64,
    /// Never offered beyond this.
    pub max: f64,
    pub growth: Growth,
    /// Bisection stops once (fail − pass) <= resolution × fail (0.02: 2%).
    pub resolution: f64,
    /// Confirming holds tried, each a resolution lower, before the search gives up.
    pub confirm_tries: u32,
}

/// Which part of the search a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Ramp,
    Bisect,
    Confirm,
}

/// What one step showed (decided by `super::step::judge`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Judgement {
    /// Every SLO held.
    Pass,
    /// An SLO failed and the target, not the generator, was the limit.
    Fail { why: String },
    /// The generator could not offer the rate (or waited on itself): says nothing about the target.
    GeneratorLimited { why: String },
    /// Errors above the blast-radius limit: stop at once to protect the target.
    Blast { why: String },
    /// Ctrl-C (or the step could not run to its end).
    Interrupted,
}

/// How the search ended: what the maximum sustainable rate means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Refined by bisection and confirmed by a hold: the target's capacity at the SLO.
    Found { max: f64 },
    /// The SLO held at `--max`: the capacity is at least that (raise --max to look further).
    NotReached { max: f64 },
    /// The generator was the limit at `at`: the target's capacity is unknown above `last_pass`.
    GeneratorLimited { at: f64, last_pass: Option<f64> },
    /// Errors exploded at `at`: stopped without refining.
    Blast { at: f64, last_pass: Option<f64> },
    /// The very first step failed: the capacity is below `--start`.
    BelowStart { at: f64 },
    /// No rate held through its confirming hold (a noisy or drifting target).
    Unconfirmed { last_pass: Option<f64> },
    /// Stopped by Ctrl-C.
    Interrupted { last_pass: Option<f64> },
}

impl Outcome {
    /// The rate reported as the maximum sustainable one, and whether it is a measured capacity
    /// (true) or only a lower bound the search could establish (false).
    pub fn max_sustainable(&self) -> Option<(f64, bool)> {
        match *self {
            Outcome::Found { max } => Some((max, true)),
            Outcome::NotReached { max } => Some((max, false)),
            Outcome::GeneratorLimited { last_pass, .. }
            | Outcome::Blast { last_pass, .. }
            | Outcome::Unconfirmed { last_pass }
            | Outcome::Interrupted { last_pass } => last_pass.map(|r| (r, false)),
            Outcome::BelowStart { .. } => None,
        }
    }
}

/// The search state.
#[derive(Clone, Debug)]
pub struct Search {
    spec: SearchSpec,
    phase: Phase,
    /// Highest rate that passed (and, after bisection, the candidate being confirmed).
    pass: Option<f64>,
    /// Lowest rate that failed.
    fail: Option<f64>,
    /// Next ramp rate.
    ramp: f64,
    confirms_left: u32,
    outcome: Option<Outcome>,
}

impl Search {
    pub fn new(spec: SearchSpec) -> Search {
        Search {
            ramp: spec.start.min(spec.max),
            spec,
            phase: Phase::Ramp,
            pass: None,
            fail: None,
            confirms_left: spec.confirm_tries.max(1),
            outcome: None,
        }
    }

    /// The next step to run, or None when the search is over (see `outcome`).
    pub fn next(&self) -> Option<(f64, Phase)> {
        if self.outcome.is_some() {
            return None;
        }
        Some(match self.phase {
            Phase::Ramp => (self.ramp, Phase::Ramp),
            Phase::Bisect => (round(midpoint(self.pass, self.fail)), Phase::Bisect),
            Phase::Confirm => (self.pass.unwrap_or(self.spec.start), Phase::Confirm),
        })
    }

    /// The result once `next` is None.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Record the judgement of the step `next` proposed at `rate`.
    pub fn feed(&mut self, rate: f64, j: &Judgement) {
        let last_pass = self.pass;
        match j {
            Judgement::Interrupted => self.outcome = Some(Outcome::Interrupted { last_pass: self.confirmed() }),
            Judgement::GeneratorLimited { .. } => {
                self.outcome = Some(Outcome::GeneratorLimited { at: rate, last_pass: self.confirmed() })
            }
            Judgement::Blast { .. } => {
                self.outcome = Some(Outcome::Blast { at: rate, last_pass: self.confirmed().or(last_pass) })
            }
            Judgement::Pass => self.passed(rate),
            Judgement::Fail { .. } => self.failed(rate),
        }
    }

    /// The highest passing rate the search can stand behind now: during bisection and
    /// confirmation a pass is not confirmed yet, but the ramp's passes were full holds.
    fn confirmed(&self) -> Option<f64> {
        self.pass
    }

    fn passed(&mut self, rate: f64) {
        self.pass = Some(rate);
        match self.phase {
            Phase::Ramp if rate >= self.spec.max => self.outcome = Some(Outcome::NotReached { max: rate }),
            Phase::Ramp => self.ramp = round(self.grow(rate).min(self.spec.max)),
            Phase::Bisect => self.after_bisect(),
            Phase::Confirm => self.outcome = Some(Outcome::Found { max: rate }),
        }
    }

    fn failed(&mut self, rate: f64) {
        match self.phase {
            Phase::Ramp if self.pass.is_none() => self.outcome = Some(Outcome::BelowStart { at: rate }),
            Phase::Ramp | Phase::Bisect => {
                self.fail = Some(rate);
                self.after_bisect();
            }
            Phase::Confirm => {
                self.confirms_left -= 1;
                self.fail = Some(rate);
                let lower = round(rate * (1.0 - self.spec.resolution));
                if self.confirms_left == 0 || lower < self.spec.start.min(rate) {
                    self.pass = None;
                    self.outcome = Some(Outcome::Unconfirmed { last_pass: None });
                } else {
                    self.pass = Some(lower);
                }
            }
        }
    }

    /// Bisect until the bracket is within the resolution, then confirm its low end.
    fn after_bisect(&mut self) {
        let (Some(p), Some(f)) = (self.pass, self.fail) else { return };
        let mid = round(midpoint(self.pass, self.fail));
        let done = f - p <= self.spec.resolution * f || mid <= p || mid >= f;
        self.phase = if done { Phase::Confirm } else { Phase::Bisect };
    }

    fn grow(&self, rate: f64) -> f64 {
        match self.spec.growth {
            Growth::Factor(k) => rate * k,
            Growth::Add(d) => rate + d,
        }
    }
}

fn midpoint(p: Option<f64>, f: Option<f64>) -> f64 {
    (p.unwrap_or(0.0) + f.unwrap_or(0.0)) / 2.0
}

/// Rates are offered in whole req/s from 100/s up, in thousandths below (exact in the schedule).
pub fn round(r: f64) -> f64 {
    if r >= 100.0 { r.round() } else { (r * 1000.0).round() / 1000.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(start: f64, max: f64, growth: Growth) -> SearchSpec {
        SearchSpec { start, max, growth, resolution: 0.02, confirm_tries: 3 }
    }

    /// Run the search against a target that passes below `capacity` (exclusive) and answers
    /// `above` at or beyond it; returns every (rate, phase) offered and the outcome.
    fn drive(s: SearchSpec, capacity: f64, above: Judgement) -> (Vec<(f64, Phase)>, Outcome) {
        let mut search = Search::new(s);
        let mut offered = Vec::new();
        while let Some((rate, phase)) = search.next() {
            assert!(offered.len() < 100, "the search must end: {offered:?}");
            offered.push((rate, phase));
            let j = if rate < capacity { Judgement::Pass } else { above.clone() };
            search.feed(rate, &j);
        }
        (offered, search.outcome().cloned().unwrap())
    }

    fn fail() -> Judgement {
        Judgement::Fail { why: "p99".into() }
    }

    #[test]
    fn ramp_multiplies_then_bisects_to_the_resolution_then_confirms() {
        let (offered, outcome) = drive(spec(1000.0, 8000.0, Growth::Factor(1.5)), 4000.0, fail());
        let ramp: Vec<f64> = offered.iter().filter(|o| o.1 == Phase::Ramp).map(|o| o.0).collect();
        assert_eq!(ramp, [1000.0, 1500.0, 2250.0, 3375.0, 5063.0]);
        let bisect: Vec<f64> = offered.iter().filter(|o| o.1 == Phase::Bisect).map(|o| o.0).collect();
        // 3375..5063 → 4219 f, 3797 p, 4008 f, 3903 p, 3956 p: 3956..4008 is within 2% of 4008.
        assert_eq!(bisect, [4219.0, 3797.0, 4008.0, 3903.0, 3956.0]);
        assert_eq!(offered.last(), Some(&(3956.0, Phase::Confirm)));
        assert_eq!(outcome, Outcome::Found { max: 3956.0 });
        let (max, exact) = outcome.max_sustainable().unwrap();
        assert!(exact && (4000.0 - max) / 4000.0 <= 0.02, "{max}");
    }

    #[test]
    fn additive_steps_and_never_beyond_max() {
        let (offered, outcome) = drive(spec(500.0, 1800.0, Growth::Add(500.0)), 1e9, fail());
        let rates: Vec<f64> = offered.iter().map(|o| o.0).collect();
        assert_eq!(rates, [500.0, 1000.0, 1500.0, 1800.0]);
        assert_eq!(outcome, Outcome::NotReached { max: 1800.0 });
        assert_eq!(outcome.max_sustainable(), Some((1800.0, false)));
    }

    #[test]
    fn every_offer_stays_within_max_and_resolution_holds() {
        for capacity in [120.0, 999.0, 3333.0, 7777.0] {
            let (offered, outcome) = drive(spec(100.0, 8000.0, Growth::Factor(2.0)), capacity, fail());
            assert!(offered.iter().all(|o| o.0 <= 8000.0 && o.0 >= 100.0), "{offered:?}");
            let Outcome::Found { max } = outcome else { panic!("{capacity}: {outcome:?}") };
            assert!(max < capacity && max >= capacity * 0.97, "capacity {capacity}: {max}");
        }
    }

    #[test]
    fn first_step_failing_means_below_start() {
        let (offered, outcome) = drive(spec(1000.0, 8000.0, Growth::Factor(2.0)), 10.0, fail());
        assert_eq!(offered, [(1000.0, Phase::Ramp)]);
        assert_eq!(outcome, Outcome::BelowStart { at: 1000.0 });
        assert_eq!(outcome.max_sustainable(), None);
    }

    #[test]
    fn blast_radius_stops_at_once_without_bisection() {
        let blast = Judgement::Blast { why: "errors 80%".into() };
        let (offered, outcome) = drive(spec(1000.0, 8000.0, Growth::Factor(2.0)), 3000.0, blast);
        assert_eq!(offered.iter().map(|o| o.0).collect::<Vec<_>>(), [1000.0, 2000.0, 4000.0]);
        assert_eq!(outcome, Outcome::Blast { at: 4000.0, last_pass: Some(2000.0) });
        assert_eq!(outcome.max_sustainable(), Some((2000.0, false)));
    }

    #[test]
    fn generator_limit_is_never_a_capacity() {
        let g = Judgement::GeneratorLimited { why: "send lag".into() };
        let (offered, outcome) = drive(spec(1000.0, 8000.0, Growth::Factor(2.0)), 3000.0, g);
        assert_eq!(offered.len(), 3);
        assert_eq!(outcome, Outcome::GeneratorLimited { at: 4000.0, last_pass: Some(2000.0) });
        let (_, exact) = outcome.max_sustainable().unwrap();
        assert!(!exact, "a generator limit is only a lower bound");
    }

    #[test]
    fn interrupted_keeps_what_was_measured() {
        let mut s = Search::new(spec(100.0, 1000.0, Growth::Factor(2.0)));
        s.feed(100.0, &Judgement::Pass);
        assert_eq!(s.next(), Some((200.0, Phase::Ramp)));
        s.feed(200.0, &Judgement::Interrupted);
        assert_eq!(s.next(), None);
        assert_eq!(s.outcome(), Some(&Outcome::Interrupted { last_pass: Some(100.0) }));
    }

    #[test]
    fn failed_confirmation_steps_down_then_gives_up() {
        let mut s = Search::new(SearchSpec { confirm_tries: 2, ..spec(1000.0, 2000.0, Growth::Factor(2.0)) });
        s.feed(1000.0, &Judgement::Pass);
        s.feed(2000.0, &fail());
        // Bisect 1000..2000 down to 2%: drive with capacity 1990 (everything below passes).
        while let Some((rate, Phase::Bisect)) = s.next() {
            s.feed(rate, &if rate < 1990.0 { Judgement::Pass } else { fail() });
        }
        let (c1, phase) = s.next().unwrap();
        assert_eq!(phase, Phase::Confirm);
        s.feed(c1, &fail());
        assert_eq!(s.next(), Some((round(c1 * 0.98), Phase::Confirm)), "one resolution lower");
        s.feed(round(c1 * 0.98), &fail());
        assert_eq!(s.next(), None);
        assert_eq!(s.outcome(), Some(&Outcome::Unconfirmed { last_pass: None }));
    }

    #[test]
    fn rounding() {
        assert_eq!(round(4218.75), 4219.0);
        assert_eq!(round(12.34567), 12.346);
    }
}
