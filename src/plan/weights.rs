//! Deterministic randomness for the hot path: a seedable splitmix64 generator and a weighted
//! chooser over a precomputed cumulative table. No allocation, no locks, no clock.

/// splitmix64 (Steele, Lea, Flood 2014): one add and three multiply-xorshifts per draw; passes
/// BigCrush; any seed, including 0, is fine. Each core owns its own (`for_core`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finaliser: a bijective mix of 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform 64-bit value that depends only on `(seed, n)`: for choices that must not depend on
/// which core handles slot `n`.
pub fn hash(seed: u64, n: u64) -> u64 {
    mix(seed ^ mix(n.wrapping_add(1).wrapping_mul(GOLDEN)))
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent stream per core from one plan seed.
    pub fn for_core(seed: u64, core: usize) -> Rng {
        Rng { state: hash(seed, core as u64 ^ 0xC0DE_0000_0000_0000) }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; bias below n / 2^64). `n` = 0 gives 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo <= hi`).
    #[inline]
    pub fn range_inclusive(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        if span > u64::MAX as u128 {
            return self.next_u64() as i64;
        }
        (lo as i128 + self.below(span as u64) as i128) as i64
    }
}

/// Weights normalised into a cumulative table over 2^32: item `i` is chosen when a uniform 32-bit
/// draw `r` satisfies `bound[i-1] <= r < bound[i]`, so its probability is its share of the total
/// (to 2^-32). Items of weight 0 are never chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    bounds: Box<[u64]>,
    shares: Box<[f64]>,
}

/// Why weights cannot be normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightError {
    /// No items.
    Empty,
    /// Item `i` is negative or not a finite number.
    Invalid(usize),
    /// Every weight is 0.
    ZeroTotal,
}

impl Weights {
    pub fn new(weights: &[f64]) -> Result<Weights, WeightError> {
        if weights.is_empty() {
            return Err(WeightError::Empty);
        }
        if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
            return Err(WeightError::Invalid(i));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(WeightError::ZeroTotal);
        }
        let shares: Box<[f64]> = weights.iter().map(|w| w / total).collect();
        let mut acc = 0.0;
        let mut bounds: Vec<u64> = weights
            .iter()
            .map(|w| {
                acc += w;
                ((acc / total) * 4_294_967_296.0).round() as u64
            })
            .collect();
        // The last positive item ends the table exactly at 2^32 whatever the rounding did.
        let last = weights.iter().rposition(|w| *w > 0.0).unwrap_or(0);
        for b in &mut bounds[last..] {
            *b = 1 << 32;
        }
        Ok(Weights { bounds: bounds.into(), shares })
    }

    /// The normalised weights (they sum to 1).
    pub fn shares(&self) -> &[f64] {
        &self.shares
    }

    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Picks an index with the next draw of `rng`.
    #[inline]
    pub fn pick(&self, rng: &mut Rng) -> usize {
        self.pick_with(rng.next_u64())
    }

    /// Picks an index from a given uniform 64-bit value (e.g. `hash(seed, slot)`), so the choice
    /// for a slot is the same whichever core runs it.
    #[inline]
    pub fn pick_with(&self, r: u64) -> usize {
        if self.bounds.len() == 1 {
            return 0;
        }
        let r = r >> 32;
        self.bounds.partition_point(|b| *b <= r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Reference output of splitmix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_ne!(Rng::for_core(1, 0), Rng::for_core(1, 1));
    }

    #[test]
    fn ranges_stay_inside() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            let v = r.range_inclusive(-3, 3);
            assert!((-3..=3).contains(&v));
            assert!(r.below(10) < 10);
        }
        assert_eq!(r.range_inclusive(5, 5), 5);
        r.range_inclusive(i64::MIN, i64::MAX);
    }

    #[test]
    fn weights_normalise_and_pick_in_proportion() {
        let w = Weights::new(&[70.0, 20.0, 0.0, 10.0]).unwrap();
        assert_eq!(w.shares(), &[0.7, 0.2, 0.0, 0.1]);
        let mut counts = [0u32; 4];
        let mut r = Rng::new(42);
        for _ in 0..100_000 {
            counts[w.pick(&mut r)] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!((69_000..71_000).contains(&counts[0]), "{counts:?}");
        assert!((19_000..21_000).contains(&counts[1]), "{counts:?}");
        assert!((9_300..10_700).contains(&counts[3]), "{counts:?}");
        // Table edges.
        assert_eq!(w.pick_with(0), 0);
        assert_eq!(w.pick_with(u64::MAX), 3);
        // Same seed, same sequence.
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        assert!((0..100).all(|_| w.pick(&mut a) == w.pick(&mut b)));
    }

    #[test]
    fn bad_weights() {
        assert_eq!(Weights::new(&[]), Err(WeightError::Empty));
        assert_eq!(Weights::new(&[1.0, -1.0]), Err(WeightError::Invalid(1)));
        assert_eq!(Weights::new(&[f64::NAN]), Err(WeightError::Invalid(0)));
        assert_eq!(Weights::new(&[0.0, 0.0]), Err(WeightError::ZeroTotal));
        assert_eq!(Weights::new(&[0.0, 3.0, 0.0]).unwrap().pick_with(u64::MAX), 1);
    }
}
