//! The Markdown report: configuration, results table (each SLO and the run's own validity criteria
//! with threshold, actual, PASS/FAIL), latency, outcomes, target-rate attainment, generator health,
//! endpoints, stages, and charts (mermaid for GitHub/GitLab, sparklines for any viewer).
use super::fmt::{Point, pass_fail, pct, rps, series, slo_actual, slo_value};
use super::{Dist, MAX_INCOMPLETE, RATE_TOLERANCE, Report, SloRow};
use crate::units::fmt_ns;
use std::io::{self, Write};

/// Most points in a chart: consecutive intervals are merged beyond it.
const CHART_POINTS: usize = 60;

pub fn write(r: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# onslaught report: {} {}\n", r.config.method, cell(&r.config.url))?;
    verdict(r, out)?;
    configuration(r, out)?;
    results(r, out)?;
    latency(r, out)?;
    outcomes(r, out)?;
    attainment(r, out)?;
    health(r, out)?;
    super::shards::markdown(r, out)?;
    endpoints(r, out)?;
    scenarios(r, out)?;
    stages(r, out)?;
    charts(r, out)
}

/// `write`, then the percentile spectrum as an image: `svg`, the companion file's name (beside
/// the Markdown file; `spectrum_chart::standalone` draws it). Markdown viewers show an image
/// where they would not show inline SVG.
pub fn write_linked(r: &Report, out: &mut impl Write, svg: &str) -> io::Result<()> {
    write(r, out)?;
    writeln!(out, "## Percentile spectrum\n")?;
    writeln!(
        out,
        "Latency (from the intended time), service time (from the send) and send lag at every percentile, on HdrHistogram's logarithmic axis: where latency leaves service time, requests waited before they were sent.\n"
    )?;
    writeln!(out, "![Percentile spectrum: latency, service time and send lag]({})", svg.replace(' ', "%20"))
}

fn verdict(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let v = &r.verdict;
    let word = r.status_word();
    writeln!(out, "**Verdict: {word}** (exit code {})\n", v.exit_code)?;
    for reason in &v.reasons {
        writeln!(out, "- {}", cell(reason))?;
    }
    if !v.reasons.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

fn configuration(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let c = &r.config;
    writeln!(out, "## Configuration\n\n| Setting | Value |\n|---|---|")?;
    writeln!(out, "| Tool | {} |", cell(&r.tool))?;
    writeln!(out, "| Target | `{} {}` |", c.method, cell(&c.url))?;
    if let Some(p) = &c.plan {
        writeln!(out, "| Plan | `{}` |", cell(p))?;
    }
    if let Some(p) = &c.profile {
        writeln!(out, "| Profile | `{}` |", cell(p))?;
    }
    let model =
        c.target_rate.map_or("closed loop (as fast as possible)".to_string(), |t| format!("open, target {t} req/s"));
    let model = c.scenarios_line().unwrap_or(model);
    writeln!(out, "| Load model | {} |", cell(&model))?;
    writeln!(
        out,
        "| Duration | {} s configured, {:.3} s measured (+ {} s warm-up, excluded) |",
        c.duration_s, r.window_s, c.warmup_s
    )?;
    writeln!(out, "| Connections | {} over {} cores |", c.connections, c.cores)?;
    writeln!(out, "| Request timeout | {} s |", c.timeout_s)?;
    let tls = if c.tls_insecure { "**off (--insecure): certificates NOT verified**" } else { "on" };
    writeln!(out, "| TLS verification | {tls} |")?;
    if r.interrupted {
        writeln!(out, "| Interrupted | yes: the measured window was cut short |")?;
    }
    writeln!(out)
}

fn results(r: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Results\n")?;
    if r.slo.is_empty() {
        writeln!(out, "No SLOs were given; the run's own validity criteria:\n")?;
    }
    writeln!(out, "| Metric | Threshold | Actual | Result |\n|---|---|---|---|")?;
    for s in &r.slo {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&slo_metric(s)),
            cell(&slo_threshold(s)),
            slo_actual(s),
            pass_fail(s.pass)
        )?;
    }
    for (metric, threshold, actual, pass) in validity(r) {
        writeln!(out, "| {metric} | {threshold} | {actual} | {} |", pass_fail(pass))?;
    }
    writeln!(out)
}

/// "p99" for the whole run, "p99 (endpoint:login)" for a scope.
pub(crate) fn slo_metric(s: &SloRow) -> String {
    let metric = s.metric.name();
    if s.scope == "total" { metric.to_string() } else { format!("{metric} ({})", s.scope) }
}

/// The criterion without its metric ("p99 <= 200ms" → "<= 200ms"), else the threshold.
pub(crate) fn slo_threshold(s: &SloRow) -> String {
    match s.criterion.strip_prefix(s.metric.name()) {
        Some(rest) if !rest.trim().is_empty() => rest.trim().to_string(),
        _ => slo_value(s.metric, s.threshold),
    }
}

/// The run's own criteria (MEASUREMENT.md): (metric, threshold, actual, pass).
pub(crate) fn validity(r: &Report) -> Vec<(String, String, String, bool)> {
    let c = &r.config;
    let lag = r.send_lag.p("p99");
    let mut rows = vec![
        (
            "error rate (run limit)".into(),
            format!("<= {}", pct(c.max_error_rate)),
            pct(r.rates.error_rate),
            r.counts.intended > 0 && r.rates.error_rate <= c.max_error_rate,
        ),
        (
            "send lag p99 (generator health)".into(),
            format!("<= {}", fmt_ns((c.max_send_lag_ms * 1e6) as u64)),
            fmt_ns(lag),
            !r.verdict.generator_bound,
        ),
    ];
    if let Some(t) = r.rates.target_rps {
        rows.push((
            "achieved rate (target attainment)".into(),
            format!(">= {:.0}% of {}", 100.0 * RATE_TOLERANCE, rps(t)),
            format!("{} ({:.1}%)", rps(r.rates.achieved_rps), 100.0 * r.rates.achieved_rps / t),
            !r.verdict.target_rate_missed,
        ));
    }
    rows.push((
        "incomplete at the end".into(),
        format!("<= {}", pct(MAX_INCOMPLETE)),
        pct(r.rates.incomplete_rate),
        !r.verdict.too_many_incomplete,
    ));
    rows
}

fn latency(r: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "## Latency\n")?;
    writeln!(
        out,
        "Latency is measured from each request's intended start (corrected for coordinated omission); service time from its actual send, as closed-loop tools report it; send lag is the difference, the generator's own error bar.\n"
    )?;
    writeln!(
        out,
        "| Distribution | count | p50 | p90 | p95 | p99 | p99.9 | max | mean |\n|---|---|---|---|---|---|---|---|---|"
    )?;
    dist_row(out, "latency", &r.latency)?;
    dist_row(out, "service time", &r.service_time)?;
    dist_row(out, "send lag", &r.send_lag)?;
    for (name, d) in [
        ("connect", &r.connect_time),
        ("TLS handshake", &r.tls_handshake),
        ("incomplete (censored)", &r.incomplete_censored),
    ] {
        if d.count > 0 {
            dist_row(out, name, d)?;
        }
    }
    writeln!(out)
}

fn dist_row(out: &mut impl Write, name: &str, d: &Dist) -> io::Result<()> {
    let p: Vec<String> = ["p50", "p90", "p95", "p99", "p99.9", "p100"].iter().map(|q| fmt_ns(d.p(q))).collect();
    writeln!(out, "| {name} | {} | {} | {} |", d.count, p.join(" | "), fmt_ns(d.mean_ns.round() as u64))
}

fn outcomes(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let k = &r.counts;
    let share = |n: u64| if k.intended == 0 { "-".to_string() } else { pct(n as f64 / k.intended as f64) };
    writeln!(out, "## Outcomes\n\n| Outcome | Count | Share |\n|---|---|---|")?;
    for (name, n) in k.outcomes() {
        writeln!(out, "| {name} | {n} | {} |", share(n))?;
    }
    writeln!(out, "| **intended** | {} | {} |\n", k.intended, share(k.intended))?;
    let conserved = if k.conserved { "holds" } else { "**BROKEN** (please report this bug)" };
    writeln!(out, "Conservation (intended = sum of outcomes): {conserved}.")?;
    if !k.status.is_empty() {
        let s: Vec<String> = k.status.iter().map(|(c, n)| format!("{c} x{n}")).collect();
        writeln!(out, "Status codes: {}.", s.join(", "))?;
    }
    if !k.transport.is_empty() {
        let t: Vec<String> = k.transport.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(out, "Transport errors: {}.", t.join(", "))?;
    }
    writeln!(out)
}

fn attainment(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let t = &r.rates;
    writeln!(
        out,
        "## Target-rate attainment\n\n| Target | Achieved (sent) | Throughput (completed) | Attained |\n|---|---|---|---|"
    )?;
    match t.target_rps {
        Some(target) => writeln!(
            out,
            "| {} | {} | {} | {:.1}% |\n",
            rps(target),
            rps(t.achieved_rps),
            rps(t.throughput_rps),
            100.0 * t.achieved_rps / target
        ),
        None => writeln!(out, "| none (closed loop) | {} | {} | - |\n", rps(t.achieved_rps), rps(t.throughput_rps)),
    }
}

fn health(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let d = &r.send_lag;
    writeln!(out, "## Generator health\n")?;
    let bound = if r.verdict.generator_bound {
        "**generator-bound**: requests left late, so latencies describe the generator, not the target"
    } else {
        "not generator-bound: requests left on time"
    };
    writeln!(
        out,
        "Send lag p50 {}, p99 {}, max {} (limit p99 {} ms): {bound}.\n",
        fmt_ns(d.p("p50")),
        fmt_ns(d.p("p99")),
        fmt_ns(d.max_ns),
        r.config.max_send_lag_ms
    )?;
    writeln!(out, "Generator: {}.\n", super::health::generator_line(&r.generator))?;
    writeln!(out, "Timer: {}.\n", super::lag::line(&r.send_lag, &r.generator.host_timer, &r.generator.host_timer_run))?;
    match &r.target {
        Some(t) => writeln!(out, "Target: {}.\n", super::health::target_line(t))?,
        None => writeln!(out, "Target resources: not watched (`--watch-pid PID` or `--watch-cgroup PATH`).\n")?,
    }
    writeln!(out, "| Core | Intended | OK | Conserved |\n|---|---|---|---|")?;
    for c in &r.per_core {
        writeln!(out, "| {} | {} | {} | {} |", c.core, c.intended, c.ok, if c.conserved { "yes" } else { "NO" })?;
    }
    writeln!(out)
}

fn endpoints(r: &Report, out: &mut impl Write) -> io::Result<()> {
    if r.endpoints.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Endpoints\n")?;
    writeln!(
        out,
        "| Request | Requests | OK | Errors | Checks failed | ok/s | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|---|---|"
    )?;
    for e in &r.endpoints {
        let l = &e.latency;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.1} | {} | {} | {} | {} |",
            cell(&e.name),
            e.requests,
            e.ok,
            e.errors,
            e.checks_failed,
            e.ok_rps,
            fmt_ns(l.p("p50")),
            fmt_ns(l.p("p95")),
            fmt_ns(l.p("p99")),
            fmt_ns(l.max_ns)
        )?;
    }
    writeln!(out)
}

/// Per scenario (plans with `scenarios:`): each its own model, load and measurements.
fn scenarios(r: &Report, out: &mut impl Write) -> io::Result<()> {
    if r.scenarios.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Scenarios\n")?;
    writeln!(
        out,
        "| Scenario | Model | Window | Load | Connections | Intended | OK | Errors | Achieved | p50 | p95 | p99 | Conserved |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )?;
    for sc in &r.scenarios {
        let (s, l) = (&sc.row, &sc.row.latency);
        writeln!(
            out,
            "| {} | {} | {}-{} s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&s.name),
            sc.model,
            s.start_s,
            s.end_s,
            cell(&s.target),
            sc.connections,
            s.intended,
            s.ok,
            s.errors,
            rps(s.achieved_rps),
            fmt_ns(l.p("p50")),
            fmt_ns(l.p("p95")),
            fmt_ns(l.p("p99")),
            if s.conserved { "yes" } else { "**no**" }
        )?;
    }
    writeln!(out)
}

fn stages(r: &Report, out: &mut impl Write) -> io::Result<()> {
    if r.stages.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Stages\n")?;
    writeln!(
        out,
        "| Stage | Window | Target | Intended | OK | Errors | Achieved | p50 | p95 | p99 |\n|---|---|---|---|---|---|---|---|---|---|"
    )?;
    for s in &r.stages {
        let l = &s.latency;
        writeln!(
            out,
            "| {} | {}-{} s | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&s.name),
            s.start_s,
            s.end_s,
            cell(&s.target),
            s.intended,
            s.ok,
            s.errors,
            rps(s.achieved_rps),
            fmt_ns(l.p("p50")),
            fmt_ns(l.p("p95")),
            fmt_ns(l.p("p99"))
        )?;
    }
    writeln!(out)
}

fn charts(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let pts = series(r, CHART_POINTS);
    if pts.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Charts\n")?;
    writeln!(out, "Seconds since the start (warm-up included); each point is the worst interval it covers.\n")?;
    let x: Vec<String> = pts.iter().map(|p| format!("\"{}\"", num(p.t_s))).collect();
    let line = |f: fn(&Point) -> f64| pts.iter().map(|p| num(f(p))).collect::<Vec<_>>().join(", ");
    writeln!(out, "Latency (ms), lines from bottom to top: p50, p95, p99.\n")?;
    writeln!(
        out,
        "```mermaid\nxychart-beta\n    title \"Latency over time (ms)\"\n    x-axis \"s\" [{}]\n    y-axis \"ms\"",
        x.join(", ")
    )?;
    writeln!(
        out,
        "    line [{}]\n    line [{}]\n    line [{}]\n```\n",
        line(|p| p.p50_ms),
        line(|p| p.p95_ms),
        line(|p| p.p99_ms)
    )?;
    writeln!(out, "Throughput (completed responses/s), with the target rate when there is one.\n")?;
    writeln!(
        out,
        "```mermaid\nxychart-beta\n    title \"Throughput over time (req/s)\"\n    x-axis \"s\" [{}]\n    y-axis \"req/s\"",
        x.join(", ")
    )?;
    writeln!(out, "    bar [{}]", line(|p| p.throughput_rps))?;
    if let Some(t) = r.rates.target_rps {
        writeln!(out, "    line [{}]", vec![num(t); pts.len()].join(", "))?;
    }
    writeln!(out, "```\n")?;
    writeln!(out, "```text")?;
    spark(out, "p50 ms", &pts.iter().map(|p| p.p50_ms).collect::<Vec<_>>())?;
    spark(out, "p95 ms", &pts.iter().map(|p| p.p95_ms).collect::<Vec<_>>())?;
    spark(out, "p99 ms", &pts.iter().map(|p| p.p99_ms).collect::<Vec<_>>())?;
    spark(out, "req/s", &pts.iter().map(|p| p.throughput_rps).collect::<Vec<_>>())?;
    spark(out, "errors/s", &pts.iter().map(|p| p.errors_rps).collect::<Vec<_>>())?;
    writeln!(out, "```")
}

/// One sparkline: blocks scaled from 0 to the series' maximum, then min and max.
fn spark(out: &mut impl Write, name: &str, v: &[f64]) -> io::Result<()> {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = v.iter().copied().fold(0.0, f64::max);
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let line: String = v
        .iter()
        .map(|x| if max > 0.0 { BLOCKS[((x / max) * 7.0).round().clamp(0.0, 7.0) as usize] } else { BLOCKS[0] })
        .collect();
    writeln!(out, "{name:>9} {line}  min {} max {}", num(min), num(max))
}

/// A number with at most two decimals and no trailing zeros: 1, 1.5, 0.25.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A table cell: pipes escaped, line breaks flattened.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
