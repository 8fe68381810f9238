//! The HdrHistogram interval log (`.hlog`, format 1.3): one line per timeline interval with its
//! latency histogram (untagged) and its service time and send lag (`Tag=service_time`,
//! `Tag=send_lag`), V2 compressed and base64, readable by HistogramLogProcessor and the
//! hdrhistogram crate's interval_log reader. Values are nanoseconds; Interval_Max is milliseconds.
use super::Report;
use crate::record::hists::Encoded;
use std::io::{self, Write};

pub fn write(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let h = &r.histograms;
    writeln!(out, "#[Histogram log format version 1.3]")?;
    writeln!(out, "#[{}: latency from the intended start (untagged), Tag=service_time, Tag=send_lag]", r.tool)?;
    writeln!(out, "#[Values in nanoseconds; Interval_Max in milliseconds]")?;
    writeln!(out, "#[StartTime: {:.3} (seconds since epoch)]", h.start_unix_s)?;
    writeln!(out, "#[BaseTime: {:.3} (seconds since epoch)]", h.start_unix_s)?;
    writeln!(out, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")?;
    for i in &h.intervals {
        line(out, None, i.start_s, i.length_s, &i.latency)?;
        line(out, Some("service_time"), i.start_s, i.length_s, &i.service_time)?;
        line(out, Some("send_lag"), i.start_s, i.length_s, &i.send_lag)?;
        shard_lines(out, h, i.interval)?;
    }
    Ok(())
}

/// A merged result (`onslaught merge`): each shard's latency and send lag in this interval,
/// tagged `shard-K` and `shard-K-send_lag`.
fn shard_lines(out: &mut impl Write, h: &crate::record::hists::EncodedHists, interval: u64) -> io::Result<()> {
    for s in &h.shards {
        if let Some(i) = s.intervals.iter().find(|i| i.interval == interval) {
            line(out, Some(&format!("shard-{}", s.shard)), i.start_s, i.length_s, &i.latency)?;
            line(out, Some(&format!("shard-{}-send_lag", s.shard)), i.start_s, i.length_s, &i.send_lag)?;
        }
    }
    Ok(())
}

fn line(out: &mut impl Write, tag: Option<&str>, start: f64, len: f64, e: &Encoded) -> io::Result<()> {
    let h = e.decode().map_err(io::Error::other)?;
    let max_ms = if h.is_empty() { 0.0 } else { h.max() as f64 / 1e6 };
    let tag = tag.map_or(String::new(), |t| format!("Tag={t},"));
    writeln!(out, "{tag}{start:.3},{len:.3},{max_ms:.3},{}", e.base64())
}
