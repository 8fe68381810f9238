//! The run identity of a distributed run (`--shard K/N`, `--start-at`) as result files carry it,
//! and what a merged result keeps of each shard (its clock, its health). Data only: the shard
//! side is filled by crate::distributed, the merge by crate::distributed::merge (docs/distributed.md).
use super::Status;
use super::health::GeneratorHealth;
use crate::slo::{Rule, Scope, SloSet};
use serde::{Deserialize, Serialize};

/// A shard that starts later than this after `--start-at` says so (stderr, its result, and the
/// merged verdict's reasons): its first requests were sent late, and their latency counts from
/// the common schedule.
pub const LATE_BOUND_MS: f64 = 20.0;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Distributed {
    /// FNV-1a (64 bits, hex) of the plan file, its overrides and every setting that shapes the
    /// arrival stream or the results' layout; shards with another digest belong to another run.
    pub plan_digest: String,
    /// N: how many shards the plan was split into.
    pub shards: u64,
    /// K: this result's shard (0-based); None in a merged result.
    pub shard: Option<u64>,
    /// The common start (`--start-at`), ns since the Unix epoch, and as RFC 3339; None: each
    /// shard started when it was ready (no common time base: merge refuses).
    pub start_at_unix_ns: Option<u64>,
    pub start_at: Option<String>,
    /// A shard's clock at its start; None in a merged result.
    pub clock: Option<ShardClock>,
    /// The SLOs given to the shards: judged by `onslaught merge` on the merged result only.
    pub slo: SloSpec,
    /// Merged: one entry per shard merged, in shard order.
    pub members: Vec<Member>,
    /// Merged with `--allow-partial`: the shards that were missing.
    pub missing: Vec<u64>,
    /// Merged without every shard: the totals cover only part of the plan.
    pub partial: bool,
}

/// How a shard's monotonic clock was tied to the common wall-clock start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShardClock {
    /// Wall clock minus monotonic clock when the start was mapped (seconds): the offset used.
    pub wall_minus_monotonic_s: f64,
    /// Half the time between the clock reads that gave the offset: how exact the mapping is.
    pub mapping_uncertainty_us: f64,
    /// How long after the common start the executors were released (negative: on time, with the
    /// usual 5 ms lead).
    pub late_ms: f64,
    /// `late_ms` above LATE_BOUND_MS.
    pub late: bool,
    pub late_bound_ms: f64,
}

/// One shard as the merged result keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Member {
    pub shard: u64,
    /// The result file it came from.
    pub file: String,
    pub cores: usize,
    pub connections: usize,
    pub intended: u64,
    pub ok: u64,
    pub clock: Option<ShardClock>,
    /// The shard's own send lag (ms), and its generator's health (docs/generator-health.md).
    pub send_lag_p99_ms: f64,
    pub generator: GeneratorHealth,
    /// The shard's run was generator-bound, and why.
    pub generator_bound: bool,
    pub bound_reason: Option<String>,
    /// The shard's own verdict (without SLOs: those are judged on the merged result).
    pub status: Option<Status>,
}

/// One SLO rule, exactly (the threshold in base units, as crate::slo keeps it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloRuleSpec {
    /// "total", "endpoint:<name>" or "stage:<name>".
    pub scope: String,
    pub metric: String,
    pub threshold: f64,
}

/// An SloSet as a result file carries it, so that merge judges what the shards were given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SloSpec {
    pub rules: Vec<SloRuleSpec>,
    pub abort_on_fail_ns: Option<u64>,
    /// `abort_if` as written (`error_rate > 5% for 10s`).
    pub abort_if: Option<String>,
}

impl SloSpec {
    pub fn of(set: &SloSet) -> SloSpec {
        SloSpec {
            rules: set
                .rules
                .iter()
                .map(|r| SloRuleSpec {
                    scope: r.scope.label(),
                    metric: r.metric.name().to_string(),
                    threshold: r.threshold,
                })
                .collect(),
            abort_on_fail_ns: set.abort_on_fail_ns,
            abort_if: set.abort_if.as_ref().map(|a| a.text.clone()),
        }
    }

    /// Back into an SloSet; an entry this onslaught cannot read is an error naming it.
    pub fn to_set(&self) -> Result<SloSet, String> {
        let mut set = SloSet { abort_on_fail_ns: self.abort_on_fail_ns, ..SloSet::default() };
        for r in &self.rules {
            let metric = crate::slo::parse::metric(&r.metric)?;
            let scope = Scope::from_label(&r.scope).ok_or_else(|| {
                format!("SLO scope `{}` is not total, endpoint:NAME, stage:NAME or scenario:NAME", r.scope)
            })?;
            set.set(Rule { scope, metric, threshold: r.threshold });
        }
        if let Some(text) = &self.abort_if {
            set.abort_if = Some(crate::slo::parse::abort_if(text)?);
        }
        Ok(set)
    }
}

/// One line for the terminal summary: which shard this is, or what was merged.
pub fn line(d: &Distributed) -> String {
    let start = d.start_at.as_deref().map_or(String::new(), |s| format!(", common start {s}"));
    let Some(k) = d.shard else {
        let lags: Vec<String> = d.members.iter().map(|m| format!("{:.2}", m.send_lag_p99_ms)).collect();
        let latest = d.members.iter().filter_map(|m| m.clock.as_ref()).map(|c| c.late_ms).fold(f64::MIN, f64::max);
        let missing: Vec<String> = d.missing.iter().map(|k| format!("{k}/{}", d.shards)).collect();
        return format!(
            "{} of {} merged{} (plan {}){start}{}; send lag p99 per shard {} ms",
            d.members.len(),
            d.shards,
            if d.partial { format!(", PARTIAL: {} missing", missing.join(", ")) } else { String::new() },
            d.plan_digest,
            if latest > f64::MIN { format!(", latest shard released {latest:+.1} ms from it") } else { String::new() },
            lags.join(" / ")
        );
    };
    let clock = d.clock.as_ref().map_or(String::new(), |c| {
        format!(", released {:+.1} ms from it{}", c.late_ms, if c.late { " (LATE)" } else { "" })
    });
    format!("shard {k}/{} of plan {}{start}{clock}; merge the shards with `onslaught merge`", d.shards, d.plan_digest)
}

/// The Markdown report's "Shards" section (distributed runs only): one row per shard merged.
pub fn markdown(r: &super::Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let Some(d) = &r.distributed else { return Ok(()) };
    writeln!(
        out,
        "## Shards

{}.
",
        line(d)
    )?;
    if d.members.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "| Shard | Cores | Connections | Intended | OK | Send lag p99 | Started | Generator | Its verdict |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
    for m in &d.members {
        let started = m
            .clock
            .as_ref()
            .map_or("-".into(), |c| format!("{:+.1} ms{}", c.late_ms, if c.late { " **late**" } else { "" }));
        writeln!(
            out,
            "| {}/{} | {} | {} | {} | {} | {:.2} ms | {started} | {} | {} |",
            m.shard,
            d.shards,
            m.cores,
            m.connections,
            m.intended,
            m.ok,
            m.send_lag_p99_ms,
            if m.generator_bound { "**bound**" } else { "ok" },
            m.status.map_or("-".into(), |s| format!("{s:?}").to_lowercase())
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slo_spec_round_trips_exactly() {
        let items: Vec<String> = ["p99=1.234567ms", "endpoint:login:error_rate=0.5%", "stage:ramp:p95=200ms"]
            .iter()
            .chain(&["abort_on_fail=30s", "abort_if=error_rate > 5% for 10s"])
            .map(|s| s.to_string())
            .collect();
        let set = crate::slo::parse::flags(&items).unwrap();
        let spec = SloSpec::of(&set);
        let json = serde_json::to_string(&spec).unwrap();
        let back: SloSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_set().unwrap(), set);
    }
}
