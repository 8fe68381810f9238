//! The terminal summary: wrk2's layout plus the three distributions, outcomes, rates and the
//! verdict, with loud warnings when the numbers describe the generator rather than the target.
use super::{Dist, QUANTILES, Report};
use crate::units::fmt_ns;
use std::io::Write;

pub struct Options {
    /// Print the full latency spectrum (`--latency`).
    pub spectrum: bool,
    /// ANSI colour for PASS/FAIL (only when stdout is a terminal).
    pub color: bool,
}

pub fn write(r: &Report, opts: &Options, out: &mut impl Write) -> std::io::Result<()> {
    header(r, out)?;
    distributions(r, out)?;
    outcomes(r, out)?;
    if !r.endpoints.is_empty() {
        endpoints(r, out)?;
        failed_checks(r, out)?;
    }
    if !r.scenarios.is_empty() {
        scenarios(r, out)?;
    }
    if r.stages.len() > 1 {
        stages(r, out)?;
    }
    resources(r, out)?;
    if opts.spectrum {
        spectrum(r, out)?;
    }
    slo_table(r, opts.color, out)?;
    writeln!(out)?;
    let v = &r.verdict;
    let word = r.status_word();
    writeln!(out, "  Verdict    {word} (exit code {})", v.exit_code)?;
    for reason in &v.reasons {
        writeln!(out, "  !!         {reason}")?;
    }
    Ok(())
}

/// What ran: method, duration, URL, cores, connections and the load model.
fn header(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let c = &r.config;
    let model = match (c.target_rate, c.users) {
        _ if !c.scenarios.is_empty() => c.scenarios_line().unwrap_or_default(),
        (_, Some(users)) => format!(
            "closed model: up to {users} virtual users, latency from when each user was ready to send (docs/latency-model.md)"
        ),
        (Some(rate), None) => {
            format!("target {} req/s, open model, latency corrected for coordinated omission", rate_str(rate))
        }
        (None, None) => "closed loop (saturation): no target rate".to_string(),
    };
    writeln!(out, "{} {}s test @ {}", c.method, c.duration_s, c.url)?;
    writeln!(out, "  {} cores, {} connections, {model}", c.cores, c.connections)?;
    if c.tls_insecure {
        writeln!(out, "  !! TLS certificates NOT verified (--insecure)")?;
    }
    if c.warmup_s > 0.0 {
        writeln!(out, "  warm-up {}s excluded from the results", c.warmup_s)?;
    }
    writeln!(out)
}

/// The three views of every request (latency, service time, send lag) and the connection costs.
fn distributions(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let head: Vec<String> =
        QUANTILES.iter().map(|(n, _)| if *n == "p100" { "max".into() } else { n.to_string() }).collect();
    writeln!(out, "  {:<34}{}", "", head.iter().map(|h| format!("{h:>10}")).collect::<String>())?;
    dist_row(out, "Latency (from intended time)", &r.latency)?;
    dist_row(out, "Service time (from actual send)", &r.service_time)?;
    dist_row(out, "Send lag (generator lateness)", &r.send_lag)?;
    if r.connect_time.count > 0 {
        dist_row(out, "Connect (new connections)", &r.connect_time)?;
    }
    if r.tls_handshake.count > 0 {
        dist_row(out, "  of which TLS handshake", &r.tls_handshake)?;
    }
    if r.counts.incomplete > 0 {
        dist_row(out, "Incomplete (censored at stop)", &r.incomplete_censored)?;
    }
    writeln!(out)
}

/// Requests, their outcome classes (and whether they add up), rates and the error rate.
fn outcomes(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let k = &r.counts;
    writeln!(out, "  Requests   {} intended, {} sent in {:.2}s", k.intended, k.sent, r.window_s)?;
    writeln!(
        out,
        "  Outcomes   ok {}, http_error {}, transport_error {}, timeout {}, dropped {}, incomplete {}  ({})",
        k.ok,
        k.http_error,
        k.transport_error,
        k.timeout,
        k.dropped,
        k.incomplete,
        if k.conserved { "conservation holds" } else { "CONSERVATION BROKEN: please report this bug" }
    )?;
    if !k.transport.is_empty() {
        let t: Vec<String> = k.transport.iter().map(|(n, v)| format!("{n} {v}")).collect();
        writeln!(out, "  Transport  {}", t.join(", "))?;
    }
    if !k.status.is_empty() {
        let s: Vec<String> = k.status.iter().map(|(n, v)| format!("{n} x{v}")).collect();
        writeln!(out, "  Status     {}", s.join(", "))?;
    }
    let rt = &r.rates;
    let closed = match (r.config.scenarios.is_empty(), r.config.users.is_some()) {
        (false, _) => "per scenario (below)",
        (true, true) => "none (closed model)",
        (true, false) => "none (closed loop)",
    };
    let target = rt.target_rps.map_or(closed.to_string(), |t| format!("{t:.1}/s"));
    writeln!(
        out,
        "  Rate       target {target}, achieved {:.1}/s, throughput {:.1}/s",
        rt.achieved_rps, rt.throughput_rps
    )?;
    writeln!(out, "  Errors     {:.3}%", 100.0 * rt.error_rate)
}

/// Per named request of a plan: counts, ok/s and latency quantiles.
fn endpoints(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\n  {:<28}{:>10}{:>10}{:>9}{:>10}{:>10}{:>10}{:>10}",
        "Request", "count", "ok", "errors", "ok/s", "p50", "p95", "p99"
    )?;
    for e in &r.endpoints {
        writeln!(
            out,
            "  {:<28}{:>10}{:>10}{:>9}{:>10.1}{}",
            e.name,
            e.requests,
            e.ok,
            e.errors,
            e.ok_rps,
            latency_cells(&e.latency)
        )?;
    }
    Ok(())
}

/// Per scenario: its model and load, and what it measured (each its own schedule).
fn scenarios(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let w = r.scenarios.iter().map(|s| s.row.name.len()).max().unwrap_or(0).max(10);
    writeln!(
        out,
        "\n  {:<w$} {:<7}{:>12}  {:<22}{:>9}{:>9}{:>8}{:>10}{:>10}{:>10}{:>10}",
        "Scenario", "model", "time", "load", "intended", "ok", "errors", "sent/s", "p50", "p95", "p99"
    )?;
    for sc in &r.scenarios {
        let s = &sc.row;
        let time = format!("{}-{}s", trim(s.start_s), trim(s.end_s));
        writeln!(
            out,
            "  {:<w$} {:<7}{:>12}  {:<22}{}{}",
            s.name,
            sc.model,
            time,
            s.target,
            measured_cells(s),
            if s.conserved { "" } else { "  (not conserved)" }
        )?;
    }
    Ok(())
}

/// Per load stage: requests attributed by their intended time.
fn stages(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let w = r.stages.iter().map(|s| s.name.len()).max().unwrap_or(0).max(10);
    writeln!(
        out,
        "\n  {:<w$}{:>16}  {:<22}{:>9}{:>9}{:>8}{:>10}{:>10}{:>10}{:>10}",
        "Stage", "time", "target", "intended", "ok", "errors", "sent/s", "p50", "p95", "p99"
    )?;
    for s in &r.stages {
        let time = format!("{}-{}s", trim(s.start_s), trim(s.end_s));
        writeln!(out, "  {:<w$}{:>16}  {:<22}{}", s.name, time, s.target, measured_cells(s))?;
    }
    Ok(())
}

/// A stage's or scenario's measured columns: intended, ok, errors, sent/s, p50, p95, p99.
fn measured_cells(s: &super::StageRow) -> String {
    format!("{:>9}{:>9}{:>8}{:>10.1}{}", s.intended, s.ok, s.errors, s.achieved_rps, latency_cells(&s.latency))
}

/// Latency p50, p95 and p99, ten columns each.
fn latency_cells(d: &super::Dist) -> String {
    format!("{:>10}{:>10}{:>10}", fmt_ns(d.p("p50")), fmt_ns(d.p("p95")), fmt_ns(d.p("p99")))
}

/// The generator's health and the watched target's resources, one line each.
fn resources(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "  Generator  {}", super::health::generator_line(&r.generator))?;
    writeln!(
        out,
        "  Timer      {}",
        super::lag::line(&r.send_lag, &r.generator.host_timer, &r.generator.host_timer_run)
    )?;
    if let Some(t) = &r.target {
        writeln!(out, "  Target     {}", super::health::target_line(t))?;
    }
    if let Some(d) = &r.distributed {
        writeln!(out, "  Shards     {}", super::shards::line(d))?;
    }
    Ok(())
}

/// One line per check or extraction that failed at least once, under the request table.
fn failed_checks(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    for e in &r.endpoints {
        let rows = e.checks.iter().map(|c| ("check", c)).chain(e.extractions.iter().map(|c| ("extract", c)));
        for (kind, c) in rows.filter(|(_, c)| c.failed > 0) {
            writeln!(out, "  !! {} {kind} failed {}x: {}", e.name, c.failed, c.name)?;
        }
    }
    Ok(())
}

/// The SLO criteria: scope and metric, threshold, actual, PASS/FAIL.
fn slo_table(r: &Report, color: bool, out: &mut impl Write) -> std::io::Result<()> {
    if r.slo.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n  {:<34}{:>16}{:>12}  result", "SLO", "threshold", "actual")?;
    for row in &r.slo {
        let actual = row.actual.map_or_else(|| "no data".to_string(), |a| row.metric.show(a));
        let threshold = row.criterion.split_once(' ').map_or(row.criterion.as_str(), |(_, t)| t);
        let metric = row.metric.name();
        let name = if row.scope == "total" { metric.to_string() } else { format!("{} {metric}", row.scope) };
        let result = match (row.pass, color) {
            (true, true) => "\x1b[32mPASS\x1b[0m",
            (false, true) => "\x1b[31mFAIL\x1b[0m",
            (true, false) => "PASS",
            (false, false) => "FAIL",
        };
        writeln!(out, "  {name:<34}{threshold:>16}{actual:>12}  {result}")?;
    }
    Ok(())
}

/// 2, 2.5, 0.125: seconds without trailing zeros.
fn trim(x: f64) -> String {
    let t = format!("{x:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn dist_row(out: &mut impl Write, name: &str, d: &Dist) -> std::io::Result<()> {
    let cells: String = QUANTILES.iter().map(|(q, _)| format!("{:>10}", fmt_ns(d.p(q)))).collect();
    writeln!(out, "  {name:<34}{cells}")
}

/// HdrHistogram's standard percentile-distribution layout (values in milliseconds).
fn spectrum(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "\n  Latency distribution (HdrHistogram percentile output, from intended time)")?;
    writeln!(out, "{:>12} {:>14} {:>10} {:>14}\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")?;
    for l in &r.spectrum {
        let inv = if l.quantile < 1.0 { format!("{:>14.2}", 1.0 / (1.0 - l.quantile)) } else { String::new() };
        writeln!(out, "{:>12.3} {:>14.12} {:>10} {inv}", l.value_ns as f64 / 1e6, l.quantile, l.total)?;
    }
    let d = &r.latency;
    writeln!(
        out,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]\n#[Max     = {:>12.3}, Total count    = {:>12}]",
        d.mean_ns / 1e6,
        d.stdev_ns / 1e6,
        d.max_ns as f64 / 1e6,
        d.count
    )
}

/// 20000, 0.5, 666.7: whole rates without decimals, others to 0.1 (0.5 and below to 0.001).
fn rate_str(r: f64) -> String {
    if (r - r.round()).abs() < 1e-9 {
        format!("{r:.0}")
    } else if r < 1.0 {
        format!("{r:.3}").trim_end_matches('0').to_string()
    } else {
        format!("{r:.1}")
    }
}
