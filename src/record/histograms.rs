//! The per-shard HdrHistograms: latency (c − t), service time (c − s), send lag (s − t), and the
//! censored latency of incomplete requests (stop − t). Nanoseconds, 3 significant digits,
//! 1 µs to 24 h; values above the top are clamped and counted, never dropped.
use hdrhistogram::Histogram;

/// Lowest discernible value: 1 µs.
pub const LOW_NS: u64 = 1_000;
/// Highest trackable value: 24 h.
pub const HIGH_NS: u64 = 24 * 3_600 * 1_000_000_000;
pub const SIGFIG: u8 = 3;

pub fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(LOW_NS, HIGH_NS, SIGFIG).expect("static histogram bounds are valid")
}

#[derive(Clone, Debug)]
pub struct Histograms {
    pub latency: Histogram<u64>,
    pub service: Histogram<u64>,
    pub send_lag: Histogram<u64>,
    pub censored: Histogram<u64>,
    /// Connection set-up: TCP connect (plus TLS handshake on https), per new connection.
    pub connect: Histogram<u64>,
    /// Of `connect`, the TLS handshake alone (https).
    pub handshake: Histogram<u64>,
    /// Samples clamped to HIGH_NS.
    pub clamped: u64,
}

impl Default for Histograms {
    fn default() -> Self {
        Self::new()
    }
}

impl Histograms {
    pub fn new() -> Self {
        Histograms {
            latency: new_hist(),
            service: new_hist(),
            send_lag: new_hist(),
            censored: new_hist(),
            connect: new_hist(),
            handshake: new_hist(),
            clamped: 0,
        }
    }

    #[inline]
    fn rec(h: &mut Histogram<u64>, clamped: &mut u64, v: u64) {
        let v = if v > HIGH_NS {
            *clamped += 1;
            HIGH_NS
        } else {
            v
        };
        // In range by construction: record cannot fail. Never record_correct: samples are
        // already measured from the intended time (MEASUREMENT.md §1).
        let _ = h.record(v);
    }
    #[inline]
    pub fn record_latency(&mut self, v: u64) {
        Self::rec(&mut self.latency, &mut self.clamped, v)
    }
    #[inline]
    pub fn record_service(&mut self, v: u64) {
        Self::rec(&mut self.service, &mut self.clamped, v)
    }
    #[inline]
    pub fn record_send_lag(&mut self, v: u64) {
        Self::rec(&mut self.send_lag, &mut self.clamped, v)
    }
    pub fn record_censored(&mut self, v: u64) {
        Self::rec(&mut self.censored, &mut self.clamped, v)
    }
    pub fn record_connect(&mut self, v: u64) {
        Self::rec(&mut self.connect, &mut self.clamped, v)
    }
    pub fn record_handshake(&mut self, v: u64) {
        Self::rec(&mut self.handshake, &mut self.clamped, v)
    }

    pub fn add(&mut self, o: &Histograms) {
        // Same bounds everywhere: add cannot fail.
        let _ = self.latency.add(&o.latency);
        let _ = self.service.add(&o.service);
        let _ = self.send_lag.add(&o.send_lag);
        let _ = self.censored.add(&o.censored);
        let _ = self.connect.add(&o.connect);
        let _ = self.handshake.add(&o.handshake);
        self.clamped += o.clamped;
    }
}

/// Nearest-rank percentile (ceil(q·N)), as MEASUREMENT.md §1 defines it; 0 when empty.
pub fn percentile(h: &Histogram<u64>, q: f64) -> u64 {
    if h.is_empty() {
        return 0;
    }
    if q >= 1.0 {
        return h.highest_equivalent(h.max());
    }
    let rank = ((q * h.len() as f64).ceil() as u64).max(1);
    let mut seen = 0u64;
    for v in h.iter_recorded() {
        seen += v.count_at_value();
        if seen >= rank {
            return h.highest_equivalent(v.value_iterated_to());
        }
    }
    h.highest_equivalent(h.max())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut h = new_hist();
        for v in 1..=100u64 {
            h.record(v * 1_000_000).unwrap();
        }
        // ceil(0.5 * 100) = 50th value = 50 ms (within 0.1%)
        let p50 = percentile(&h, 0.5);
        assert!((50_000_000..=50_050_000).contains(&p50), "{p50}");
        let p99 = percentile(&h, 0.99);
        assert!((99_000_000..=99_100_000).contains(&p99), "{p99}");
        let p100 = percentile(&h, 1.0);
        assert!((100_000_000..=100_100_000).contains(&p100), "{p100}");
        assert_eq!(percentile(&new_hist(), 0.5), 0);
    }

    #[test]
    fn clamps_and_counts_above_top() {
        let mut hs = Histograms::new();
        hs.record_latency(HIGH_NS * 2);
        assert_eq!(hs.clamped, 1);
        assert_eq!(hs.latency.len(), 1);
    }
}
