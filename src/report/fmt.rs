//! Number formatting shared by the text writers (Markdown, HTML, JUnit, compare), so a value reads
//! the same in every report.
use super::SloRow;
use crate::slo::spec::Metric;
use crate::units::fmt_ns;

/// An SLO value in its metric's unit: latency in ns/us/ms/s, rates in percent, throughput in req/s.
pub fn slo_value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::ErrorRate | Metric::Checks => pct(v),
        Metric::Throughput => format!("{v:.1} req/s"),
        Metric::Latency(_) => fmt_ns((v * 1e9).round().max(0.0) as u64),
    }
}

/// The actual value of an SLO row, or "no data".
pub fn slo_actual(s: &SloRow) -> String {
    s.actual.map_or_else(|| "no data".to_string(), |v| slo_value(s.metric, v))
}

pub fn pass_fail(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

/// A ratio as a percentage with three decimals: 0.00123 → "0.123%".
pub fn pct(ratio: f64) -> String {
    format!("{:.3}%", 100.0 * ratio)
}

/// Requests per second with one decimal.
pub fn rps(v: f64) -> String {
    format!("{v:.1}/s")
}

/// Milliseconds with two decimals, for charts and tables of series.
pub fn ms(ns: u64) -> f64 {
    (ns as f64 / 1e4).round() / 100.0
}

/// One point of a time-series chart: a bucket of consecutive timeline intervals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Bucket start, seconds since t0.
    pub t_s: f64,
    /// The worst (highest) interval percentile within the bucket, ms: a chart never hides a spike.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Completed responses per second over the bucket.
    pub throughput_rps: f64,
    /// Sent requests per second over the bucket.
    pub sent_rps: f64,
    /// Not-ok outcomes per second over the bucket.
    pub errors_rps: f64,
}

/// The timeline as at most `max` points (consecutive intervals merged), so a chart of a day-long
/// run stays small.
pub fn series(r: &super::Report, max: usize) -> Vec<Point> {
    let rows = &r.timeline;
    if rows.is_empty() {
        return Vec::new();
    }
    let len_s = interval_s(r);
    let per = rows.len().div_ceil(max.max(1));
    rows.chunks(per)
        .map(|c| {
            let secs = len_s * c.len() as f64;
            let sum = |f: fn(&crate::merge::TimelineRow) -> u64| c.iter().map(f).sum::<u64>() as f64 / secs;
            let worst = |f: fn(&crate::merge::TimelineRow) -> u64| ms(c.iter().map(f).max().unwrap_or(0));
            Point {
                t_s: c[0].start_s,
                p50_ms: worst(|t| t.latency_p50_ns),
                p95_ms: worst(|t| t.latency_p95_ns),
                p99_ms: worst(|t| t.latency_p99_ns),
                throughput_rps: sum(|t| t.completed),
                sent_rps: sum(|t| t.sent),
                errors_rps: sum(|t| t.errors),
            }
        })
        .collect()
}

/// The timeline interval length, seconds: from the histograms, else from the rows, else 1 s.
pub fn interval_s(r: &super::Report) -> f64 {
    if let Some(i) = r.histograms.intervals.first() {
        return i.length_s;
    }
    match r.timeline.as_slice() {
        [a, b, ..] if b.start_s > a.start_s => (b.start_s - a.start_s) / (b.interval - a.interval).max(1) as f64,
        _ => 1.0,
    }
}

/// Text for XML and HTML: `& < > " '` escaped.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}
