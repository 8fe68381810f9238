//! Per-shard recording: outcome classes, counters and the three latency histograms of
//! MEASUREMENT.md §1. Owned by one shard, never shared; merged by value (`AddAssign`).
pub mod counters;
pub mod histograms;

pub use counters::{Counters, Outcome, TransportError};
pub use histograms::Histograms;

/// One shard's recording for one interval, sent once per interval to the aggregator.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub core: usize,
    /// Interval index since t0 (interval length from the engine spec).
    pub interval: u64,
    pub counters: Counters,
    pub hists: Histograms,
    /// Set on the shard's last snapshot: nothing more will come from this core.
    pub last: bool,
}

/// What a shard records into: counters and histograms for the current interval.
#[derive(Debug)]
pub struct Recorder {
    pub counters: Counters,
    pub hists: Histograms,
    /// End of the measured window (clock ns): sends and completions at or after it are counted
    /// apart, so rates describe the window and not the grace period.
    pub window_end: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder { counters: Counters::default(), hists: Histograms::new(), window_end: u64::MAX }
    }
}

/// The instants of one request (CLOCK_MONOTONIC ns): intended, sent, completed.
#[derive(Clone, Copy, Debug)]
pub struct Instants {
    pub intended: u64,
    pub sent: u64,
    pub completed: u64,
}

impl Recorder {
    /// A request was claimed from the schedule.
    #[inline]
    pub fn intended(&mut self) {
        self.counters.intended += 1;
    }

    /// A request's first byte went to the socket.
    #[inline]
    pub fn sent(&mut self, t: &Instants) {
        self.counters.sent += 1;
        self.counters.sent_late += u64::from(t.sent >= self.window_end);
        self.hists.record_send_lag(t.sent.saturating_sub(t.intended));
    }

    /// A complete response arrived: latency (c − t) and service time (c − s) are recorded.
    #[inline]
    pub fn response(&mut self, t: &Instants, status: u16, ok: bool) {
        if ok {
            self.counters.ok += 1;
        } else {
            self.counters.http_error += 1;
        }
        self.counters.count_status(status);
        self.counters.completed_late += u64::from(t.completed >= self.window_end);
        self.hists.record_latency(t.completed.saturating_sub(t.intended));
        self.hists.record_service(t.completed.saturating_sub(t.sent));
    }

    /// The request failed without a complete response.
    #[inline]
    pub fn failed(&mut self, outcome: Outcome) {
        self.counters.add_outcome(outcome);
    }

    /// A new connection was set up in `ns` (connect, plus TLS handshake).
    pub fn connected(&mut self, ns: u64) {
        self.counters.connects += 1;
        self.hists.record_connect(ns);
    }

    /// Still unsent or in flight when the run stopped; `censored` = stop − t_i.
    pub fn incomplete(&mut self, censored: u64) {
        self.counters.incomplete += 1;
        self.hists.record_censored(censored);
    }

    /// Hand over this interval's data and start a fresh one.
    pub fn take(&mut self) -> Recorder {
        let fresh = Recorder { window_end: self.window_end, ..Recorder::default() };
        std::mem::replace(self, fresh)
    }
}
