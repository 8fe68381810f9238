//! The live progress line: a writer fed by the timeline, one completed interval at a time
//! (the engine never prints). On a terminal it redraws one line on stderr each interval; without
//! one (CI logs) it writes a plain line every 10 s instead, so logs stay readable.
use crate::merge::TimelineRow;
use crate::schedule::Schedule;
use crate::units::fmt_ns;
use std::io::Write;

/// Seconds between plain lines when stderr is not a terminal.
pub const PLAIN_EVERY_S: f64 = 10.0;

pub struct Progress {
    schedule: Schedule,
    /// `--shard K/N`: this runner's part of the schedule.
    shard: crate::schedule::ShardOf,
    warmup_s: f64,
    total_s: f64,
    interval_s: f64,
    /// Redraw in place (a terminal) or print a plain line every `PLAIN_EVERY_S`.
    tty: bool,
    /// A plan's scenarios (0: none): each has its own load, so the line names them, not a rate.
    scenarios: usize,
    next_plain_s: f64,
    errors: u64,
    drawn: bool,
}

/// The run's time shape, all the line needs besides the schedule: its warm-up, its measured
/// window and its interval (ns).
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub warmup_ns: u64,
    pub duration_ns: u64,
    pub interval_ns: u64,
}

impl Progress {
    /// `schedule` as this runner runs it (`shard`: its part of a distributed run).
    pub fn new(schedule: &Schedule, shard: crate::schedule::ShardOf, span: Span, tty: bool) -> Progress {
        Progress {
            schedule: schedule.clone(),
            shard,
            warmup_s: span.warmup_ns as f64 / 1e9,
            total_s: (span.warmup_ns + span.duration_ns) as f64 / 1e9,
            interval_s: span.interval_ns as f64 / 1e9,
            tty,
            scenarios: 0,
            next_plain_s: PLAIN_EVERY_S,
            errors: 0,
            drawn: false,
        }
    }

    /// A plan of `n` scenarios, each with its own load.
    pub fn with_scenarios(mut self, n: usize) -> Progress {
        self.scenarios = n;
        self
    }

    /// One completed interval.
    pub fn row(&mut self, row: &TimelineRow, out: &mut impl Write) -> std::io::Result<()> {
        self.errors += row.errors;
        let end_s = row.start_s + self.interval_s;
        if self.tty {
            self.drawn = true;
            write!(out, "\r\x1b[2K{}", self.line(row, end_s))?;
        } else if end_s + 1e-9 >= self.next_plain_s {
            while self.next_plain_s <= end_s + 1e-9 {
                self.next_plain_s += PLAIN_EVERY_S;
            }
            writeln!(out, "onslaught: {}", self.line(row, end_s))?;
        }
        out.flush()
    }

    /// Clear the line before the summary is printed.
    pub fn finish(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if self.drawn {
            write!(out, "\r\x1b[2K")?;
            self.drawn = false;
        }
        out.flush()
    }

    /// `12.0s/60.0s (48.0s left) | stage 2/3 | 498/s of 500/s | p99 1.23ms | errors 0 (0.00%)`.
    pub fn line(&self, row: &TimelineRow, end_s: f64) -> String {
        let left = (self.total_s - end_s).max(0.0);
        let rate = row.sent as f64 / self.interval_s;
        let target = match self.target_rps(row.start_s) {
            _ if self.scenarios > 0 => format!("over {} scenarios", self.scenarios),
            Some(t) => format!("of {t:.0}/s"),
            None => "closed loop".to_string(),
        };
        let outcomes = row.ok + row.errors;
        let pct = if outcomes == 0 { 0.0 } else { 100.0 * row.errors as f64 / outcomes as f64 };
        let p99 = if row.completed == 0 { "-".to_string() } else { fmt_ns(row.latency_p99_ns) };
        // Past the end, intervals of the grace period still arrive: say so rather than `14s/10s`.
        let when = if end_s > self.total_s + 1e-9 {
            format!("{0:.1}s/{0:.1}s (grace period: finishing in-flight requests)", self.total_s)
        } else {
            format!("{end_s:.1}s/{:.1}s ({left:.1}s left)", self.total_s)
        };
        format!(
            "{when} | {} | {rate:.0}/s {target} | p99 {p99} | errors {} ({pct:.2}% now)",
            self.stage(row.start_s),
            self.errors
        )
    }

    /// What the schedule asked for over the interval starting at `start_s`.
    fn target_rps(&self, start_s: f64) -> Option<f64> {
        let (a, b) = ((start_s * 1e9) as u64, ((start_s + self.interval_s) * 1e9) as u64);
        let slots = |t: u64| self.schedule.slots_before(t).map(|n| self.shard.share(n));
        let n = slots(b)? - slots(a)?;
        Some(n as f64 / self.interval_s)
    }

    fn stage(&self, start_s: f64) -> String {
        if start_s < self.warmup_s {
            return "warm-up".into();
        }
        let Schedule::Stages(stages) = &self.schedule else { return "steady".into() };
        // A warm-up is the schedule's first stage (config.rs): not counted as a plan stage.
        let skip = usize::from(self.warmup_s > 0.0);
        let mut end = 0.0;
        for (i, s) in stages.iter().enumerate() {
            end += s.duration_ns as f64 / 1e9;
            if start_s < end - 1e-9 && i >= skip {
                return format!("stage {}/{}", i + 1 - skip, stages.len() - skip);
            }
        }
        "grace".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Rate;

    fn progress(tty: bool) -> Progress {
        let r = |n| Rate { num: n, den: 1 };
        let stages = vec![
            crate::schedule::RateStage { duration_ns: 10_000_000_000, from: r(100), to: r(100) },
            crate::schedule::RateStage { duration_ns: 20_000_000_000, from: r(200), to: r(200) },
        ];
        Progress {
            schedule: Schedule::Stages(stages),
            shard: Default::default(),
            warmup_s: 0.0,
            total_s: 30.0,
            interval_s: 1.0,
            tty,
            scenarios: 0,
            next_plain_s: PLAIN_EVERY_S,
            errors: 0,
            drawn: false,
        }
    }

    fn row(k: u64, sent: u64, errors: u64) -> TimelineRow {
        TimelineRow {
            interval: k,
            start_s: k as f64,
            sent,
            ok: sent - errors,
            errors,
            completed: sent,
            latency_p50_ns: 1_000_000,
            latency_p95_ns: 2_000_000,
            latency_p99_ns: 3_000_000,
            latency_p999_ns: 4_000_000,
            latency_max_ns: 5_000_000,
            send_lag_p99_ns: 1_000,
            ..Default::default()
        }
    }

    #[test]
    fn line_has_time_stage_rate_p99_and_errors() {
        let mut p = progress(true);
        let mut out = Vec::new();
        p.row(&row(11, 198, 2), &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "\r\x1b[2K12.0s/30.0s (18.0s left) | stage 2/2 | 198/s of 200/s | p99 3.00ms | errors 2 (1.01% now)"
        );
        let mut out = Vec::new();
        p.finish(&mut out).unwrap();
        assert_eq!(out, b"\r\x1b[2K");
    }

    #[test]
    fn without_a_terminal_a_plain_line_every_ten_seconds() {
        let mut p = progress(false);
        let mut out = Vec::new();
        for k in 0..30 {
            p.row(&row(k, 100, 0), &mut out).unwrap();
        }
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[0].starts_with("onslaught: 10.0s/30.0s") && lines[2].starts_with("onslaught: 30.0s/30.0s"));
        assert!(!s.contains('\r'));
    }

    #[test]
    fn grace_period_line_does_not_read_past_the_duration() {
        // Was `32.0s/30.0s (0.0s left)` for intervals of the grace period.
        let p = progress(true);
        let line = p.line(&row(31, 0, 0), 32.0);
        assert!(line.starts_with("30.0s/30.0s (grace period: finishing in-flight requests) | "), "{line}");
    }
}
