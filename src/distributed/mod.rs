//! Distributed runs (docs/distributed.md): one plan split into N shards that run on N hosts from
//! one common start, then merged exactly. This module stamps the run identity into a shard's
//! result; crate::config::shard turns a whole-run Config into shard K's (re-exported here),
//! crate::cli::distributed holds the flags (`args`), `start` the common start instant, `merge`
//! merges result files, `k8s` prints the manifests.
pub use crate::cli::distributed as args;
pub mod k8s;
pub mod merge;
pub mod start;

pub use crate::config::shard::{ENV_INDEX, ENV_SHARDS, ENV_START_AT, parse_shard, resolve_shard, shard_config};
use crate::report::Report;
use crate::report::shards::Distributed;

/// After the run: the shard's identity, its lateness against the common start, and the common
/// start as the `.hlog` StartTime (so every shard's log lines up).
pub fn stamp(report: &mut Report, shard: Option<&Distributed>, clock: crate::engine::RunClock) {
    let Some(mut d) = shard.cloned() else { return };
    if let Some(c) = d.clock.as_mut() {
        c.late_ms = clock.released_ns as f64 / 1e6;
        c.late = c.late_ms > c.late_bound_ms;
        if c.late {
            report.verdict.reasons.push(format!(
                "shard {}/{} started {:.0} ms after --start-at {} (bound {:.0} ms): its first requests left late and their latency counts from the common schedule; check this host's clock (NTP/chrony) and start time",
                d.shard.unwrap_or(0),
                d.shards,
                c.late_ms,
                d.start_at.as_deref().unwrap_or("?"),
                c.late_bound_ms
            ));
        }
    }
    if let Some(at) = d.start_at_unix_ns {
        report.histograms.start_unix_s = at as f64 / 1e9;
    }
    report.distributed = Some(d);
}
