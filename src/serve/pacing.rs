//! When a response may leave: the stall windows and the per-core capacity queue, as pure integer
//! arithmetic on nanoseconds (no clock read here, no I/O), so every rule is table-tested.
//!
//! All instants are nanoseconds since the server's base `Instant` (CLOCK_MONOTONIC).
use super::{ServeOptions, Stall};

/// The periodic freeze in nanoseconds: frozen during `[epoch + k·every + phase,
/// epoch + k·every + phase + length)` for every k ≥ 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StallNs {
    pub length: u64,
    pub every: u64,
    pub phase: u64,
}

impl StallNs {
    /// `None` when the stall cannot freeze anything (zero length or zero period).
    pub fn new(stall: &Stall) -> Option<StallNs> {
        let s = StallNs {
            length: duration_ns(stall.length),
            every: duration_ns(stall.every),
            phase: duration_ns(stall.phase),
        };
        (s.length > 0 && s.every > 0).then_some(s)
    }

    /// When a request arriving at `arrival` may be handled: the end of the freeze window holding
    /// it, else `arrival` itself. Windows are half-open, so a request arriving exactly when a
    /// freeze ends is not delayed. A request that arrived before the epoch (another core set it a
    /// moment later) is not delayed either.
    pub fn release(&self, epoch: u64, arrival: u64) -> u64 {
        let Some(rel) = arrival.checked_sub(epoch) else {
            return arrival;
        };
        let Some(since_first) = rel.checked_sub(self.phase) else {
            return arrival;
        };
        let start = since_first - since_first % self.every + self.phase;
        let end = epoch.saturating_add(start).saturating_add(self.length);
        arrival.max(end)
    }
}

/// The whole timing model of one core: stall first, then the FIFO single-server queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pacing {
    /// Service time of each server of the per-core queue, in ns: `1 / (capacity / cores)` with
    /// one server, or the workers' service time; `None`: unlimited.
    pub period: Option<u64>,
    /// Servers per core (1 for `capacity`; the core's share of `workers`).
    pub servers: usize,
    pub stall: Option<StallNs>,
}

impl Pacing {
    pub fn new(opts: &ServeOptions, cores: usize) -> Pacing {
        let stall = opts.stall.as_ref().and_then(StallNs::new);
        match opts.workers {
            Some(w) => {
                Pacing { period: Some(duration_ns(w.service).max(1)), servers: (w.count / cores.max(1)).max(1), stall }
            }
            None => Pacing { period: opts.capacity.and_then(|c| period_ns(c, cores)), servers: 1, stall },
        }
    }

    /// Whether `due` needs the clock at all: false means every response leaves at once.
    pub fn is_active(&self) -> bool {
        self.period.is_some() || self.stall.is_some()
    }

    /// When the response to a request arriving at `arrival` is written.
    /// `epoch` is the first request's arrival (only read with a stall); `free_at` is the core's
    /// queue state, when each server is next free: the request takes the earliest-free server
    /// (FIFO), departure = max(ready, free) + period.
    pub fn due(&self, epoch: u64, arrival: u64, free_at: &mut [u64]) -> u64 {
        let ready = match &self.stall {
            Some(s) => s.release(epoch, arrival),
            None => arrival,
        };
        let first_free = free_at.iter_mut().min_by_key(|f| **f);
        match (self.period, first_free) {
            (Some(p), Some(free)) => {
                let departure = ready.max(*free).saturating_add(p);
                *free = departure;
                departure
            }
            _ => ready,
        }
    }
}

/// Per-core service time in ns for a total `capacity` (requests/s) split over `cores`.
/// Non-positive or non-finite capacities mean "no limit" (validation belongs to the caller).
fn period_ns(capacity: f64, cores: usize) -> Option<u64> {
    if !(capacity.is_finite() && capacity > 0.0) {
        return None;
    }
    let ns = (1e9 * cores.max(1) as f64 / capacity).round();
    Some(ns.clamp(1.0, u64::MAX as f64) as u64)
}

fn duration_ns(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MS: u64 = 1_000_000;

    fn stall(length_ms: u64, every_ms: u64, phase_ms: u64) -> StallNs {
        StallNs::new(&Stall {
            length: Duration::from_millis(length_ms),
            every: Duration::from_millis(every_ms),
            phase: Duration::from_millis(phase_ms),
        })
        .unwrap()
    }

    #[test]
    fn stall_release_table() {
        let epoch = 5_000 * MS;
        // (length, every, phase, arrival after epoch) → release after epoch
        let table: &[(u64, u64, u64, u64, u64)] = &[
            (300, 1000, 0, 0, 300),
            (300, 1000, 0, 1, 300),
            (300, 1000, 0, 299, 300),
            (300, 1000, 0, 300, 300),
            (300, 1000, 0, 400, 400),
            (300, 1000, 0, 999, 999),
            (300, 1000, 0, 1000, 1300),
            (300, 1000, 0, 7150, 7300),
            // phase T − S: the freeze ends each period
            (300, 1000, 700, 0, 0),
            (300, 1000, 700, 699, 699),
            (300, 1000, 700, 700, 1000),
            (300, 1000, 700, 999, 1000),
            (300, 1000, 700, 1000, 1000),
            (300, 1000, 700, 2850, 3000),
            // phase beyond the period: the first window starts at the phase
            (100, 1000, 1500, 1200, 1200),
            (100, 1000, 1500, 1550, 1600),
            (100, 1000, 1500, 2550, 2600),
        ];
        for &(len, every, phase, at, want) in table {
            let s = stall(len, every, phase);
            let got = s.release(epoch, epoch + at * MS);
            assert_eq!(got, epoch + want * MS, "S={len} T={every} P={phase} at={at}");
        }
    }

    #[test]
    fn arrival_before_epoch_is_not_delayed() {
        let s = stall(300, 1000, 0);
        assert_eq!(s.release(10 * MS, 9 * MS), 9 * MS);
    }

    #[test]
    fn degenerate_stalls_are_off() {
        let zero = Duration::ZERO;
        let one = Duration::from_secs(1);
        let none = |length, every| StallNs::new(&Stall { length, every, phase: zero });
        assert_eq!(none(zero, one), None);
        assert_eq!(none(one, zero), None);
    }

    #[test]
    fn capacity_period_table() {
        assert_eq!(period_ns(100.0, 1), Some(10 * MS));
        assert_eq!(period_ns(100.0, 4), Some(40 * MS));
        assert_eq!(period_ns(3.0, 1), Some(333_333_333));
        assert_eq!(period_ns(0.5, 1), Some(2_000 * MS));
        assert_eq!(period_ns(1e12, 1), Some(1));
        assert_eq!(period_ns(0.0, 1), None);
        assert_eq!(period_ns(-1.0, 1), None);
        assert_eq!(period_ns(f64::NAN, 1), None);
        assert_eq!(period_ns(f64::INFINITY, 1), None);
    }

    #[test]
    fn fifo_queue_departures() {
        let p = Pacing { period: Some(10 * MS), servers: 1, stall: None };
        let mut last = [0];
        // a burst of 5 at t=100ms departs 10 ms apart
        let burst: Vec<u64> = (0..5).map(|_| p.due(0, 100 * MS, &mut last) / MS).collect();
        assert_eq!(burst, [110, 120, 130, 140, 150]);
        // the queue has drained by 500 ms: served after one period
        assert_eq!(p.due(0, 500 * MS, &mut last), 510 * MS);
        // arriving while busy: waits for the previous departure
        assert_eq!(p.due(0, 505 * MS, &mut last), 520 * MS);
    }

    #[test]
    fn stall_then_queue() {
        let p = Pacing { period: Some(10 * MS), servers: 1, stall: Some(stall(300, 1000, 0)) };
        let mut last = [0];
        let epoch = 1_000 * MS;
        // three frozen requests are released at 300 ms and then queue
        let got: Vec<u64> =
            [0, 50, 100].iter().map(|a| (p.due(epoch, epoch + a * MS, &mut last) - epoch) / MS).collect();
        assert_eq!(got, [310, 320, 330]);
    }

    #[test]
    fn worker_pool_departures() {
        // 3 workers of 30 ms: capacity 100/s. A burst of 7 at t=0 leaves in threes, 30 ms apart.
        let p = Pacing { period: Some(30 * MS), servers: 3, stall: None };
        let mut free = [0; 3];
        let burst: Vec<u64> = (0..7).map(|_| p.due(0, 0, &mut free) / MS).collect();
        assert_eq!(burst, [30, 30, 30, 60, 60, 60, 90]);
        // Later, with workers free, a request is served at once.
        assert_eq!(p.due(0, 500 * MS, &mut free), 530 * MS);
    }

    #[test]
    fn inactive_pacing_answers_at_arrival() {
        let p = Pacing::default();
        assert!(!p.is_active());
        let mut last = [0];
        assert_eq!(p.due(0, 42, &mut last), 42);
        assert_eq!(last, [0]);
    }
}
