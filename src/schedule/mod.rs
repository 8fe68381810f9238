//! Pure pacers: slot number → intended offset from t0 in integer nanoseconds (MEASUREMENT.md §2).
//! Never reads a clock. One global schedule, interleaved over cores.
use crate::units::Rate;

/// When requests are due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Closed loop: each connection sends its next request when the previous one completes; the
    /// intended time is the send instant (there is no schedule to fall behind).
    Saturate,
    /// Open model at a constant rate: t_i = floor(i · 1e9 / R).
    Constant(Rate),
}

impl Schedule {
    /// Intended offset of slot `i` from t0, in ns. `None` for the closed loop.
    pub fn intended(&self, i: u64) -> Option<u64> {
        match self {
            Schedule::Saturate => None,
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
            // floor(x) < W  ⇔  x < W  ⇔  i · 1e9 · den < W · num  ⇔  i < ceil(W · num / (1e9 · den))
            Schedule::Constant(r) => {
                let a = window_ns as u128 * r.num as u128;
                let b = 1_000_000_000u128 * r.den as u128;
                Some(u64::try_from(a.div_ceil(b)).unwrap_or(u64::MAX))
            }
        }
    }
}

/// The slots of core `k` of `n` below `total`: k, k+n, k+2n, …
pub fn core_slot_count(total: u64, k: u64, n: u64) -> u64 {
    if total > k { (total - k).div_ceil(n) } else { 0 }
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

    #[test]
    fn interleaving_covers_every_slot_once() {
        for (total, n) in [(10, 2), (11, 2), (1, 4), (0, 3), (50_000, 16)] {
            let sum: u64 = (0..n).map(|k| core_slot_count(total, k, n)).sum();
            assert_eq!(sum, total);
        }
    }
}
