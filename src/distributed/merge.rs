//! `onslaught merge`: the result files of a sharded run into one Report, exactly. Counters add;
//! histograms add (totals, interval by interval on the common time base, per endpoint, per
//! stage); each shard's intervals and health are kept beside the merged ones. The verdict (SLOs,
//! circuit breakers, generator-bound) is judged once, on the merged result.
use super::args::MergeArgs;
use crate::merge::{Merged, TimelineRow};
use crate::record::health::RowHealth;
use crate::record::histograms::percentile;
use crate::record::hists::{IntervalHists, ShardHists};
use crate::record::{Counters, Histograms, LabelStats, StageStats, TransportError};
use crate::report::shards::{Distributed, Member};
use crate::report::{CoreCounts, Judged, Report, RunEnd, StageRow, Status};
use std::collections::{BTreeMap, BTreeSet};

/// One shard's result file, loaded.
pub struct Shard {
    pub path: String,
    pub report: Report,
}

impl Shard {
    fn id(&self) -> &Distributed {
        self.report.distributed.as_ref().expect("checked by `check`")
    }
    fn index(&self) -> u64 {
        self.id().shard.unwrap_or(0)
    }
}

/// The whole command: load, check, merge, judge. Err: a usage error (exit 2), one line.
pub fn run(a: &MergeArgs) -> Result<Report, String> {
    let mut extra = crate::slo::SloSet::default();
    if let Some(file) = &a.slo_file {
        let set = crate::plan::load_slo_file(file).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            format!("{}\n--slo-file: {} error(s)", lines.join("\n"), errs.len())
        })?;
        extra.overlay(set);
    }
    extra.overlay(crate::slo::parse::flags(&a.slo).map_err(|e| format!("--slo: {e}"))?);
    let mut shards = Vec::new();
    for p in &a.results {
        let report = crate::report::result::load(p)?;
        shards.push(Shard { path: p.display().to_string(), report });
    }
    let (shards, missing) = check(shards, a.allow_partial)?;
    let mut r = merge(&shards, missing)?;
    judge(&mut r, extra)?;
    Ok(r)
}

/// The files belong together: each a shard's result, of one run (plan digest, shard count,
/// common start), each shard once, none missing (unless `allow_partial`). Sorted by shard.
pub fn check(shards: Vec<Shard>, allow_partial: bool) -> Result<(Vec<Shard>, Vec<u64>), String> {
    for s in &shards {
        let Some(d) = &s.report.distributed else {
            return Err(format!(
                "'{}' is not a shard's result (no run identity): write each shard with `onslaught run PLAN --shard K/N --start-at TIME --out FILE`",
                s.path
            ));
        };
        if d.shard.is_none() {
            return Err(format!("'{}' is a merged result: merge the shards' own result files", s.path));
        }
        if d.start_at_unix_ns.is_none() {
            return Err(format!(
                "'{}' was run without --start-at: shards merge only on a common time base; run every shard with the same --start-at",
                s.path
            ));
        }
    }
    let key = |s: &Shard| (s.id().plan_digest.clone(), s.id().shards, s.id().start_at_unix_ns);
    let mut votes: BTreeMap<_, usize> = BTreeMap::new();
    for s in &shards {
        *votes.entry(key(s)).or_default() += 1;
    }
    let first = shards.first().map(key);
    let best = votes.iter().map(|(k, n)| (*n, first.as_ref() == Some(k), k.clone())).max().map(|x| x.2);
    let reference = best.ok_or("no result files given")?;
    for s in &shards {
        foreign(s, &reference)?;
    }
    let n = reference.1;
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    for s in &shards {
        if let Some(other) = seen.insert(s.index(), &s.path) {
            return Err(format!(
                "'{}' and '{other}' are both shard {}/{n}: give each shard's result once",
                s.path,
                s.index()
            ));
        }
    }
    let missing: Vec<u64> = (0..n).filter(|k| !seen.contains_key(k)).collect();
    if !missing.is_empty() && !allow_partial {
        let names: Vec<String> = missing.iter().map(|k| format!("{k}/{n}")).collect();
        return Err(format!(
            "shard {} missing ({} of {n} result files given): give every shard's result file, or --allow-partial to merge what is there (the result is marked partial)",
            names.join(", "),
            shards.len()
        ));
    }
    let mut shards = shards;
    shards.sort_by_key(|s| s.index());
    Ok((shards, missing))
}

type Key = (String, u64, Option<u64>);

/// A shard of another run: say which part of its identity differs.
fn foreign(s: &Shard, reference: &Key) -> Result<(), String> {
    let d = s.id();
    let what = if d.plan_digest != reference.0 {
        format!(
            "plan digest {} differs from the other shards' {} (another plan, other overrides or settings)",
            d.plan_digest, reference.0
        )
    } else if d.shards != reference.1 {
        format!("it is one of {} shards, the others of {}", d.shards, reference.1)
    } else if d.start_at_unix_ns != reference.2 {
        let show = |t: Option<u64>| t.map_or("none".into(), super::start::format_time);
        format!("it started at {}, the others at {}", show(d.start_at_unix_ns), show(reference.2))
    } else {
        return Ok(());
    };
    Err(format!("'{}' is foreign to this run: {what}; remove it or merge it with its own run", s.path))
}

/// The merged Report (before judging): built by Report::build from the shards' data combined.
pub fn merge(shards: &[Shard], missing: Vec<u64>) -> Result<Report, String> {
    let first = &shards.first().ok_or("no result files given")?.report;
    let interval_ns = interval_ns(first);
    let (timeline, intervals) = timeline(shards, interval_ns)?;
    let mut m = Merged {
        totals: Counters::default(),
        hists: Histograms::new(),
        per_core: Vec::new(),
        timeline,
        labels: Vec::new(),
        stages: Vec::new(),
        scenarios: Vec::new(),
        intervals,
    };
    for s in shards {
        add_shard(&mut m, s)?;
    }
    let end = RunEnd {
        interrupted: shards.iter().any(|s| s.report.interrupted),
        window_s: shards.iter().map(|s| s.report.window_s).fold(0.0, f64::max),
    };
    let mut r = Report::build(m, config(shards), end);
    r.target = shards.iter().find_map(|s| s.report.target.clone());
    r.per_core = per_core(shards);
    for (i, row) in r.stages.iter_mut().enumerate() {
        row.conserved &= shards.iter().all(|s| s.report.stages.get(i).is_none_or(|x| x.conserved));
    }
    for (i, sc) in r.scenarios.iter_mut().enumerate() {
        sc.row.conserved &= shards.iter().all(|s| s.report.scenarios.get(i).is_none_or(|x| x.row.conserved));
    }
    let d = first.distributed.clone().unwrap_or_default();
    r.histograms.start_unix_s = d.start_at_unix_ns.map_or(first.histograms.start_unix_s, |t| t as f64 / 1e9);
    r.histograms.shards = shards
        .iter()
        .map(|s| ShardHists { shard: s.index(), intervals: s.report.histograms.intervals.clone() })
        .collect();
    r.distributed = Some(Distributed {
        shard: None,
        clock: None,
        members: shards.iter().map(member).collect(),
        partial: !missing.is_empty(),
        missing,
        ..d
    });
    Ok(r)
}

fn interval_ns(r: &Report) -> u64 {
    let s = r.histograms.intervals.first().map_or(1.0, |i| i.length_s);
    ((s * 1e9).round() as u64).max(1)
}

/// The run as configured, over all shards: their connections, cores, users and rates added.
fn config(shards: &[Shard]) -> crate::report::RunConfig {
    let mut c = shards[0].report.config.clone();
    let sum = |f: fn(&crate::report::RunConfig) -> usize| shards.iter().map(|s| f(&s.report.config)).sum();
    c.connections = sum(|c| c.connections);
    c.cores = sum(|c| c.cores);
    c.users = shards.iter().map(|s| s.report.config.users).sum();
    c.target_rate = shards.iter().map(|s| s.report.config.target_rate).sum();
    for (i, sc) in c.scenarios.iter_mut().enumerate() {
        sc.target_rps = shards.iter().map(|s| s.report.config.scenarios.get(i).and_then(|x| x.target_rps)).sum();
    }
    c
}

/// Every shard's cores, numbered on: shard 0's first.
fn per_core(shards: &[Shard]) -> Vec<CoreCounts> {
    let rows = shards.iter().flat_map(|s| s.report.per_core.iter());
    rows.enumerate().map(|(core, c)| CoreCounts { core, ..c.clone() }).collect()
}

/// Counters, totals, endpoints and stages of one shard into `m`.
fn add_shard(m: &mut Merged, s: &Shard) -> Result<(), String> {
    let r = &s.report;
    m.totals += &counters(r);
    m.hists.add(&r.histograms.total.decode().map_err(|e| format!("'{}': {e}", s.path))?);
    let decode = |e: Option<&crate::record::hists::NamedHist>| match e {
        Some(h) => h.latency.decode().map_err(|e| format!("'{}': {e}", s.path)),
        None => Ok(crate::record::histograms::new_hist()),
    };
    m.labels.resize_with(m.labels.len().max(r.endpoints.len()), Default::default);
    for (i, e) in r.endpoints.iter().enumerate() {
        let l = LabelStats {
            requests: e.requests,
            ok: e.ok,
            errors: e.errors,
            checks_failed: e.checks_failed,
            check_fails: e.checks.iter().map(|c| c.failed).collect(),
            extract_fails: e.extractions.iter().map(|c| c.failed).collect(),
            latency: decode(r.histograms.endpoints.get(i))?,
            classes: [0; 4],
        };
        m.labels[i].add(&l);
    }
    let rows: Vec<&StageRow> = r.stages.iter().collect();
    add_rows(&mut m.stages, &rows, |i| decode(r.histograms.stages.get(i)))?;
    let rows: Vec<&StageRow> = r.scenarios.iter().map(|s| &s.row).collect();
    add_rows(&mut m.scenarios, &rows, |i| decode(r.histograms.scenarios.get(i)))?;
    add_spectra(&mut m.scenarios, &r.histograms.scenarios).map_err(|e| format!("'{}': {e}", s.path))
}

/// Each scenario's service time and send lag (its percentile spectrum), where the shard kept them.
fn add_spectra(into: &mut [StageStats], hists: &[crate::record::hists::NamedHist]) -> Result<(), String> {
    let decode = |e: &Option<crate::record::hists::Encoded>| e.as_ref().map(|e| e.decode()).transpose();
    for (into, h) in into.iter_mut().zip(hists) {
        let s =
            StageStats { service: decode(&h.service_time)?, send_lag: decode(&h.send_lag)?, ..StageStats::default() };
        into.add(&s);
    }
    Ok(())
}

/// A shard's stage (or scenario) rows back into counts, added to `into`; `latency(i)` decodes
/// row i's histogram.
fn add_rows(
    into: &mut Vec<StageStats>,
    rows: &[&StageRow],
    latency: impl Fn(usize) -> Result<hdrhistogram::Histogram<u64>, String>,
) -> Result<(), String> {
    into.resize_with(into.len().max(rows.len()), Default::default);
    for (i, st) in rows.iter().enumerate() {
        let s = StageStats {
            intended: st.intended,
            sent: st.sent,
            ok: st.ok,
            http_error: 0,
            failed: st.errors - st.incomplete.min(st.errors),
            incomplete: st.incomplete,
            latency: Some(latency(i)?),
            ..StageStats::default()
        };
        into[i].add(&s);
    }
    Ok(())
}

/// A shard's counters back from its summary: every outcome class, status code and transport
/// class is there; responses completed after the window come from its throughput.
fn counters(r: &Report) -> Counters {
    let k = &r.counts;
    let mut c = Counters {
        intended: k.intended,
        sent: k.sent,
        ok: k.ok,
        http_error: k.http_error,
        timeout: k.timeout,
        dropped: k.dropped,
        incomplete: k.incomplete,
        connects: k.connects,
        sent_late: k.sent_after_window,
        ..Counters::default()
    };
    for t in TransportError::ALL {
        c.transport[t as usize] = k.transport.get(t.name()).copied().unwrap_or(0);
    }
    for (code, n) in &k.status {
        if let Some(slot) = code.parse::<usize>().ok().and_then(|i| c.status.get_mut(i)) {
            *slot = *n;
        }
    }
    let in_window = (r.rates.throughput_rps * r.window_s).round() as u64;
    c.completed_late = c.completed().saturating_sub(in_window);
    c
}

/// The merged timeline: per interval index, the shards' counts added, their interval
/// histograms added (percentiles from the sum), their health side by side.
fn timeline(shards: &[Shard], interval_ns: u64) -> Result<(Vec<TimelineRow>, Vec<IntervalHists>), String> {
    let rows: Vec<BTreeMap<u64, &TimelineRow>> =
        shards.iter().map(|s| s.report.timeline.iter().map(|r| (r.interval, r)).collect()).collect();
    let hists: Vec<BTreeMap<u64, &IntervalHists>> =
        shards.iter().map(|s| s.report.histograms.intervals.iter().map(|h| (h.interval, h)).collect()).collect();
    let keys: BTreeSet<u64> = rows.iter().flat_map(|r| r.keys().copied()).collect();
    let (mut out, mut encoded) = (Vec::new(), Vec::new());
    for k in keys {
        let mut h = Histograms::new();
        for (s, by) in shards.iter().zip(&hists) {
            if let Some(i) = by.get(&k) {
                let bad = |e: String| format!("'{}': interval {k}: {e}", s.path);
                let _ = h.latency.add(i.latency.decode().map_err(bad)?);
                let _ = h.service.add(i.service_time.decode().map_err(bad)?);
                let _ = h.send_lag.add(i.send_lag.decode().map_err(bad)?);
            }
        }
        let parts: Vec<(usize, Option<&TimelineRow>)> =
            shards.iter().zip(&rows).map(|(s, by)| (s.report.config.cores, by.get(&k).copied())).collect();
        out.push(row(k, interval_ns, &parts, &h));
        encoded.push(IntervalHists::of(k, interval_ns, &h));
    }
    Ok((out, encoded))
}

fn row(k: u64, interval_ns: u64, parts: &[(usize, Option<&TimelineRow>)], h: &Histograms) -> TimelineRow {
    let sum = |f: fn(&TimelineRow) -> u64| parts.iter().filter_map(|p| p.1).map(f).sum();
    TimelineRow {
        interval: k,
        start_s: (k * interval_ns) as f64 / 1e9,
        sent: sum(|r| r.sent),
        ok: sum(|r| r.ok),
        errors: sum(|r| r.errors),
        completed: sum(|r| r.completed),
        latency_p50_ns: percentile(&h.latency, 0.5),
        latency_p95_ns: percentile(&h.latency, 0.95),
        latency_p99_ns: percentile(&h.latency, 0.99),
        latency_p999_ns: percentile(&h.latency, 0.999),
        latency_max_ns: if h.latency.is_empty() { 0 } else { h.latency.max() },
        send_lag_p99_ns: percentile(&h.send_lag, 0.99),
        users: sum(|r| r.users),
        health: health(parts),
    }
}

/// The shards' health in one interval: their cores side by side (a shard without the interval
/// counts as idle), process figures added, shares weighted by cores.
fn health(parts: &[(usize, Option<&TimelineRow>)]) -> RowHealth {
    let mut h = RowHealth::default();
    let mut weight = 0.0;
    for (cores, row) in parts {
        let none = RowHealth::default();
        let r = row.map_or(&none, |r| &r.health);
        let pad = |v: &[f64]| (0..*cores).map(|i| v.get(i).copied().unwrap_or(0.0)).collect::<Vec<_>>();
        h.core_busy.extend(pad(&r.core_busy));
        h.core_runq.extend(pad(&r.core_runq));
        h.backlog_max = h.backlog_max.max(r.backlog_max);
        h.backlog_mean += r.backlog_mean * *cores as f64;
        h.waiting_share += r.waiting_share * *cores as f64;
        h.gen_cpu_cores += r.gen_cpu_cores;
        h.gen_rss_bytes += r.gen_rss_bytes;
        h.fds += r.fds;
        h.sockets += r.sockets;
        h.target_cpu_cores = h.target_cpu_cores.or(r.target_cpu_cores);
        h.target_mem_bytes = h.target_mem_bytes.or(r.target_mem_bytes);
        weight += *cores as f64;
    }
    if weight > 0.0 {
        h.backlog_mean /= weight;
        h.waiting_share /= weight;
    }
    h
}

/// What the merged result keeps of one shard.
fn member(s: &Shard) -> Member {
    let r = &s.report;
    Member {
        shard: s.index(),
        file: s.path.clone(),
        cores: r.config.cores,
        connections: r.config.connections,
        intended: r.counts.intended,
        ok: r.counts.ok,
        clock: s.id().clock.clone(),
        send_lag_p99_ms: r.send_lag.p("p99") as f64 / 1e6,
        generator: r.generator.clone(),
        generator_bound: r.verdict.generator_bound,
        bound_reason: r.verdict.reasons.iter().find(|l| l.starts_with("generator-bound")).cloned(),
        status: Some(r.verdict.status),
    }
}

/// The one verdict: the shards' SLOs (with `extra` over them) and circuit breakers judged on the
/// merged result and timeline; then what only the shards know (generator-bound, late, missing).
pub fn judge(r: &mut Report, extra: crate::slo::SloSet) -> Result<(), String> {
    let d = r.distributed.clone().unwrap_or_default();
    let mut set = d.slo.to_set()?;
    set.overlay(extra);
    let slo = crate::slo::evaluate::evaluate(r, &set);
    let interval_ns = interval_ns(r);
    let end_s = r.config.warmup_s + r.config.duration_s;
    let mut breaker = crate::slo::breaker::Breaker::new(&set, interval_ns, end_s);
    let aborted = r.timeline.iter().find_map(|row| breaker.feed(row)).map(|why| {
        format!("{why} (judged on the merged timeline after the run: the shards themselves ran to the end)")
    });
    r.judge(Judged { slo, replaces_max_error_rate: set.has_total_error_rate(), aborted });
    shard_verdict(r, &d);
    Ok(())
}

/// A shard's generator-bound run makes the merged run invalid; a late start and missing shards
/// are said too.
fn shard_verdict(r: &mut Report, d: &Distributed) {
    let n = d.shards;
    let v = &mut r.verdict;
    let mut invalid = false;
    for m in d.members.iter().filter(|m| m.generator_bound) {
        let why = m.bound_reason.as_deref().unwrap_or("generator-bound");
        v.reasons.push(format!("shard {}/{n} ({}): {why}", m.shard, m.file));
        v.generator_bound = true;
        invalid = true;
        if r.generator.bound_cause.is_none() {
            r.generator.bound_cause = m.generator.bound_cause;
        }
    }
    for m in &d.members {
        if let Some(c) = m.clock.as_ref().filter(|c| c.late) {
            v.reasons.push(format!(
                "shard {}/{n} started {:.0} ms after the common start (bound {:.0} ms): its first requests left late",
                m.shard, c.late_ms, c.late_bound_ms
            ));
        }
    }
    if d.partial {
        let names: Vec<String> = d.missing.iter().map(|k| format!("{k}/{n}")).collect();
        v.reasons.insert(
            0,
            format!("partial: shard {} missing, so the totals cover only part of the plan", names.join(", ")),
        );
        invalid = true;
    }
    if invalid && v.status == Status::Pass {
        v.status = Status::Invalid;
    }
    v.exit_code = v.status.exit_code();
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
