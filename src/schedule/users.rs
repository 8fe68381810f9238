//! The closed model's user schedule: a piecewise-linear user count U(t) over stages, and when each
//! virtual user is active. Pure, integer and exact; never reads a clock.
//!
//! User `v` (0-based) is active while `U(t) > v`, so `ceil(U(t))` users are active at `t`: a
//! constant stage of N users runs users 0..N; a ramp 0 -> N over d starts user `v` just after
//! `v·d/N` and a ramp N -> 0 retires user `v` at `(N − v)·d/N`, the highest-numbered first.
use super::RateStage;

/// User stages (whole numbers of users), warm-up included, offsets from t0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserStages(pub Vec<RateStage>);

impl UserStages {
    /// The most users ever active at once.
    pub fn peak(&self) -> u64 {
        self.0.iter().map(|s| users(s.from).max(users(s.to))).max().unwrap_or(0)
    }

    /// Users active at offset `t_ns`: ceil(U(t)). After the last stage: 0.
    pub fn active_at(&self, t_ns: u64) -> u64 {
        let mut start = 0u64;
        for s in &self.0 {
            if t_ns < start + s.duration_ns {
                let (a, b, d, tau) =
                    (users(s.from) as i128, users(s.to) as i128, s.duration_ns as i128, (t_ns - start) as i128);
                // U = (a·d + (b − a)·τ) / d, rounded up.
                let num = a * d + (b - a) * tau;
                return num.div_euclid(d) as u64 + u64::from(num.rem_euclid(d) != 0);
            }
            start += s.duration_ns;
        }
        0
    }

    /// User `v`'s next active period `[start, stop)` that ends after `from_ns` (start clipped to
    /// `from_ns`), or None when it is never active again.
    pub fn next_active(&self, v: u64, from_ns: u64) -> Option<(u64, u64)> {
        let mut start = 0u64;
        let mut period: Option<(u64, u64)> = None;
        for s in &self.0 {
            let (lo, hi) = active_within(s, v);
            if lo < hi {
                let (a, b) = (start + lo, start + hi);
                period = match period {
                    // Touching the previous stage's period: one period.
                    Some((p, q)) if q == a => Some((p, b)),
                    Some((p, q)) if q > from_ns => return Some((p.max(from_ns), q)),
                    _ => Some((a, b)),
                };
            }
            start += s.duration_ns;
        }
        period.filter(|(_, q)| *q > from_ns).map(|(p, q)| (p.max(from_ns), q))
    }
}

fn users(r: crate::units::Rate) -> u64 {
    r.num / r.den.max(1)
}

/// Where within stage `s` user `v` is active: `[lo, hi)` offsets into the stage (empty: lo = hi).
/// U is monotonic within a stage, so this is one interval.
fn active_within(s: &RateStage, v: u64) -> (u64, u64) {
    let (a, b, d) = (users(s.from) as u128, users(s.to) as u128, s.duration_ns);
    let v = v as u128;
    if a > v && b > v {
        (0, d)
    } else if a <= v && b <= v {
        (d, d)
    } else if b > a {
        // Rising: U(τ) > v ⇔ τ > (v − a)·d/(b − a); the first whole nanosecond after that.
        let first = (v - a) * d as u128 / (b - a) + 1;
        (u64::try_from(first).unwrap_or(d).min(d), d)
    } else {
        // Falling: U(τ) > v ⇔ τ < (a − v)·d/(a − b); the first nanosecond not before that.
        let stop = ((a - v) * d as u128).div_ceil(a - b);
        (0, u64::try_from(stop).unwrap_or(d).min(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Rate;

    const S: u64 = 1_000_000_000;

    fn st(d_s: u64, a: u64, b: u64) -> RateStage {
        RateStage { duration_ns: d_s * S, from: Rate::from_int(a), to: Rate::from_int(b) }
    }

    #[test]
    fn constant_users_are_active_the_whole_stage() {
        let u = UserStages(vec![st(10, 3, 3)]);
        assert_eq!(u.peak(), 3);
        assert_eq!(u.next_active(0, 0), Some((0, 10 * S)));
        assert_eq!(u.next_active(2, 4 * S), Some((4 * S, 10 * S)));
        assert_eq!(u.next_active(3, 0), None);
        assert_eq!(u.next_active(0, 10 * S), None);
        assert_eq!((u.active_at(0), u.active_at(10 * S - 1), u.active_at(10 * S)), (3, 3, 0));
    }

    #[test]
    fn a_ramp_up_starts_user_v_just_after_v_d_over_n() {
        // 0 -> 50 over 30 s: user v starts at v · 0.6 s (+1 ns), stays to the end.
        let u = UserStages(vec![st(30, 0, 50)]);
        assert_eq!(u.next_active(0, 0), Some((1, 30 * S)));
        assert_eq!(u.next_active(10, 0), Some((6 * S + 1, 30 * S)));
        assert_eq!(u.next_active(49, 0), Some((29_400_000_001, 30 * S)));
        // ceil(U): one user at 1 ns, 50 users from 29.4 s on.
        let table = [(0, 0), (1, 1), (6 * S, 10), (6 * S + 1, 11), (29 * S, 49), (29_400_000_001, 50)];
        for (t, n) in table {
            assert_eq!(u.active_at(t), n, "t = {t}");
        }
    }

    #[test]
    fn a_ramp_down_retires_the_highest_users_first() {
        // hold 4 for 2 s, then 4 -> 0 over 4 s: user v retires at 2 s + (4 − v) s.
        let u = UserStages(vec![st(2, 4, 4), st(4, 4, 0)]);
        for v in 0..4 {
            assert_eq!(u.next_active(v, 0), Some((0, (2 + 4 - v) * S)), "user {v}");
        }
        assert_eq!(u.active_at(3 * S), 3);
        assert_eq!(u.active_at(3 * S - 1), 4);
    }

    #[test]
    fn a_user_can_come_back_in_a_later_stage() {
        // 2 users, 0 users, then 0 -> 2: user 1 runs [0, 1 s), then from 2.5 s on.
        let u = UserStages(vec![st(1, 2, 2), st(1, 0, 0), st(1, 0, 2)]);
        assert_eq!(u.next_active(1, 0), Some((0, S)));
        assert_eq!(u.next_active(1, S), Some((2_500_000_001, 3 * S)));
        assert_eq!(u.next_active(1, 3 * S), None);
        // Stages that touch merge into one period.
        let u = UserStages(vec![st(1, 0, 2), st(1, 2, 2), st(1, 2, 0)]);
        assert_eq!(u.next_active(1, 0), Some((500_000_001, 2_500_000_000)));
    }

    /// The periods and the count agree: user v is active at t exactly when v < active_at(t).
    #[test]
    fn periods_agree_with_the_count() {
        let u = UserStages(vec![st(3, 0, 7), st(2, 7, 7), st(3, 7, 2), st(1, 2, 5), st(2, 5, 0)]);
        for v in 0..u.peak() + 1 {
            let mut periods = Vec::new();
            let mut from = 0;
            while let Some((a, b)) = u.next_active(v, from) {
                assert!(a < b && a >= from, "user {v}: {a}..{b}");
                periods.push((a, b));
                from = b;
            }
            for t in (0..11 * S).step_by(S as usize / 8) {
                let inside = periods.iter().any(|(a, b)| (*a..*b).contains(&t));
                assert_eq!(inside, v < u.active_at(t), "user {v} at {t}: {periods:?}");
            }
        }
    }
}
