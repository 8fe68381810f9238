//! Pure pacers: slot number → intended offset from t0 in integer nanoseconds (MEASUREMENT.md §2).
//! Never reads a clock. One global schedule, interleaved over cores.
use crate::units::Rate;

pub mod users;
pub use users::UserStages;

/// When requests are due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Closed loop: each connection sends its next request when the previous one completes; the
    /// intended time is the send instant (there is no schedule to fall behind).
    Saturate,
    /// Open model at a constant rate: t_i = floor(i · 1e9 / R).
    Constant(Rate),
    /// Open model over stages, each a duration with a constant or linearly ramping rate:
    /// t_i is where the integral of the rate reaches i.
    Stages(Vec<RateStage>),
}

/// One stage of a piecewise-linear rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateStage {
    pub duration_ns: u64,
    pub from: Rate,
    pub to: Rate,
}

impl RateStage {
    fn rates(&self) -> (f64, f64) {
        let f = |r: Rate| if r.den == 0 { 0.0 } else { r.num as f64 / r.den as f64 };
        (f(self.from), f(self.to))
    }
    /// Requests in the first `tau_ns` of the stage: a·τ + (b − a)·τ² / (2D).
    fn count_at(&self, tau_ns: u64) -> f64 {
        let (a, b) = self.rates();
        let (t, d) = (tau_ns as f64 / 1e9, self.duration_ns as f64 / 1e9);
        a * t + (b - a) * t * t / (2.0 * d)
    }
    /// Offset into the stage where the count reaches `n` (n within the stage's total).
    fn offset_of(&self, n: f64) -> u64 {
        let (a, b) = self.rates();
        let d = self.duration_ns as f64 / 1e9;
        let k = (b - a) / d; // rate slope, per s²
        let t = if k.abs() < 1e-12 { n / a } else { (-a + (a * a + 2.0 * k * n).max(0.0).sqrt()) / k };
        // Ceil to the nanosecond: never early.
        ((t * 1e9).ceil() as u64).min(self.duration_ns)
    }
}

impl Schedule {
    /// Intended offset of slot `i` from t0, in ns. `None` for the closed loop.
    pub fn intended(&self, i: u64) -> Option<u64> {
        match self {
            Schedule::Saturate => None,
            Schedule::Stages(st) => Some(stages_intended(st, i)),
            Schedule::Constant(r) => {
                // t_i = floor(i · 1e9 · den / num), exact in 128 bits.
                let t = (i as u128 * 1_000_000_000u128 * r.den as u128) / r.num as u128;
                Some(u64::try_from(t).unwrap_or(u64::MAX))
            }
        }
    }

    /// Number of slots whose intended time falls before `window_ns` (t_i < window): the
    /// requests the run must account for. `None` for the closed loop.
    pub fn slots_before(&self, window_ns: u64) -> Option<u64> {
        match self {
            Schedule::Saturate => None,
            Schedule::Stages(st) => Some(stages_slots_before(st, window_ns)),
            // floor(x) < W  ⇔  x < W  ⇔  i · 1e9 · den < W · num  ⇔  i < ceil(W · num / (1e9 · den))
            Schedule::Constant(r) => {
                let a = window_ns as u128 * r.num as u128;
                let b = 1_000_000_000u128 * r.den as u128;
                Some(u64::try_from(a.div_ceil(b)).unwrap_or(u64::MAX))
            }
        }
    }
}

/// Ramps use f64 for the square root, then ceil to the nanosecond; a sum within 1e-6 of a whole
/// number is taken as that number, so a 0 → 1000/s ramp over 10 s is exactly 5 000 requests.
const EPS: f64 = 1e-6;

fn stages_intended(stages: &[RateStage], i: u64) -> u64 {
    let mut start = 0u64;
    let mut before = 0.0f64;
    for s in stages {
        let total = s.count_at(s.duration_ns);
        if (i as f64) < before + total - EPS {
            return start + s.offset_of(i as f64 - before);
        }
        before += total;
        start += s.duration_ns;
    }
    u64::MAX
}

/// Slots with t_i < W, consistent with `stages_intended` by construction: a float estimate,
/// then corrected against the intended times themselves.
fn stages_slots_before(stages: &[RateStage], window_ns: u64) -> u64 {
    let mut n = stages_slots_estimate(stages, window_ns);
    while n > 0 && stages_intended(stages, n - 1) >= window_ns {
        n -= 1;
    }
    while stages_intended(stages, n) < window_ns {
        n += 1;
    }
    n
}

fn stages_slots_estimate(stages: &[RateStage], window_ns: u64) -> u64 {
    let mut start = 0u64;
    let mut before = 0.0f64;
    for s in stages {
        if window_ns < start + s.duration_ns {
            return (before + s.count_at(window_ns - start) - EPS).ceil().max(0.0) as u64;
        }
        before += s.count_at(s.duration_ns);
        start += s.duration_ns;
    }
    (before - EPS).ceil().max(0.0) as u64
}

/// The slots of core `k` of `n` below `total`: k, k+n, k+2n, …
pub fn core_slot_count(total: u64, k: u64, n: u64) -> u64 {
    if total > k { (total - k).div_ceil(n) } else { 0 }
}

/// Which part of the one global schedule a runner takes (`--shard K/N`): the slots `i ≡ K (mod
/// N)`. Its cores then interleave those again: core `k` of `c` is *lane* `K + N·k` of `N·c`, and
/// takes the slots `i ≡ K + N·k (mod N·c)`. Lanes of all shards partition the slots, so N runners
/// together produce exactly the plan's arrival stream, at the plan's integer intended times.
/// The closed model splits virtual users the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardOf {
    pub index: u64,
    pub count: u64,
}

impl Default for ShardOf {
    fn default() -> Self {
        ShardOf { index: 0, count: 1 }
    }
}

impl ShardOf {
    /// Core `core` of `cores` of this shard: (lane, lanes).
    pub fn lane(&self, core: usize, cores: usize) -> (u64, u64) {
        (self.index + self.count * core as u64, self.count * cores as u64)
    }

    /// How many of the first `total` slots (or users, or connections) are this shard's.
    pub fn share(&self, total: u64) -> u64 {
        core_slot_count(total, self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::parse_rate;

    fn c(r: &str) -> Schedule {
        Schedule::Constant(parse_rate(r).unwrap())
    }

    #[test]
    fn constant_table() {
        // (rate, slot, intended ns)
        let table = [
            ("3", 4, 1_333_333_333),
            ("3", 3, 1_000_000_000),
            ("1000", 1, 1_000_000),
            ("0.5", 1, 2_000_000_000),
            ("0.5", 3, 6_000_000_000),
            ("20k", 7, 350_000),
            ("1.5M", 3, 2_000),
            ("7", 1, 142_857_142),
        ];
        for (r, i, t) in table {
            assert_eq!(c(r).intended(i), Some(t), "rate {r} slot {i}");
        }
    }

    #[test]
    fn slot_counts() {
        assert_eq!(c("5000").slots_before(10_000_000_000), Some(50_000));
        assert_eq!(c("0.5").slots_before(20_000_000_000), Some(10));
        assert_eq!(c("2").slots_before(10_000_000_000), Some(20));
        assert_eq!(c("3").slots_before(1_000_000_000), Some(3));
        assert_eq!(c("3").slots_before(1_000_000_001), Some(4));
        assert_eq!(Schedule::Saturate.slots_before(1), None);
        // Every counted slot is inside the window and the next one is not.
        for r in ["3", "7", "0.5", "1000", "12345.678"] {
            let s = c(r);
            let n = s.slots_before(9_876_543_210).unwrap();
            assert!(s.intended(n - 1).unwrap() < 9_876_543_210);
            assert!(s.intended(n).unwrap() >= 9_876_543_210);
        }
    }

    fn stage(d_s: u64, from: u64, to: u64) -> RateStage {
        RateStage { duration_ns: d_s * 1_000_000_000, from: Rate::from_int(from), to: Rate::from_int(to) }
    }

    #[test]
    fn ramp_integral_is_exact() {
        // 0 → 1000/s over 10 s: 5 000 requests; at 5 s, 1 250 (a quarter of the area).
        let s = Schedule::Stages(vec![stage(10, 0, 1000)]);
        assert_eq!(s.slots_before(10_000_000_000), Some(5_000));
        assert_eq!(s.slots_before(5_000_000_000), Some(1_250));
        // Slot 1250 is due at exactly 5 s; slot 0 at 0.
        assert_eq!(s.intended(1_250), Some(5_000_000_000));
        assert_eq!(s.intended(0), Some(0));
        // Then a hold: 10 s at 1000/s adds 10 000.
        let s = Schedule::Stages(vec![stage(10, 0, 1000), stage(10, 1000, 1000)]);
        assert_eq!(s.slots_before(20_000_000_000), Some(15_000));
        assert_eq!(s.intended(5_000), Some(10_000_000_000));
        assert_eq!(s.intended(6_000), Some(11_000_000_000));
    }

    #[test]
    fn stage_schedule_is_monotonic_and_counts_agree() {
        let s = Schedule::Stages(vec![stage(3, 50, 400), stage(2, 400, 400), stage(4, 400, 10)]);
        let n = s.slots_before(9_000_000_000).unwrap();
        let mut last = 0;
        for i in 0..n {
            let t = s.intended(i).unwrap();
            assert!(t >= last && t < 9_000_000_000, "slot {i}");
            last = t;
        }
        assert_eq!(s.slots_before(last + 1), Some(n));
    }

    /// Every slot of the global schedule is taken by exactly one lane of one shard, for any
    /// number of shards and cores per shard (cores may differ from shard to shard).
    #[test]
    fn shards_and_cores_partition_the_schedule() {
        let total = 1_001u64;
        for n in 1..=5u64 {
            let mut seen = vec![0u32; total as usize];
            for k in 0..n {
                let cores = 1 + (k as usize % 3);
                let shard = ShardOf { index: k, count: n };
                let mut mine = 0;
                for core in 0..cores {
                    let (lane, lanes) = shard.lane(core, cores);
                    let mut i = lane;
                    while i < total {
                        seen[i as usize] += 1;
                        i += lanes;
                    }
                    mine += core_slot_count(total, lane, lanes);
                }
                assert_eq!(mine, shard.share(total), "shard {k}/{n}");
            }
            assert!(seen.iter().all(|c| *c == 1), "{n} shards: every slot exactly once");
        }
    }

    #[test]
    fn interleaving_covers_every_slot_once() {
        for (total, n) in [(10, 2), (11, 2), (1, 4), (0, 3), (50_000, 16)] {
            let sum: u64 = (0..n).map(|k| core_slot_count(total, k, n)).sum();
            assert_eq!(sum, total);
        }
    }
}
