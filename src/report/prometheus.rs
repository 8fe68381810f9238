//! Prometheus text exposition (format 0.0.4) of a run: latency percentiles, throughput, error
//! rate, outcomes and SLO results, labelled by run and endpoint ("all" for the whole run). Pushed
//! to a Pushgateway by `push.rs`; names and labels are documented in docs/reports.md.
use super::Report;
use std::io::{self, Write};

pub fn write(r: &Report, out: &mut impl Write) -> io::Result<()> {
    measures(r, out)?;
    slo(r, &escape(&run_label(r)), out)
}

/// Every family but `loadtest_slo_pass` (what the live exposition shows while SLOs are not yet
/// judged): latency, throughput, rates, send lag and the request counters.
pub fn measures(r: &Report, out: &mut impl Write) -> io::Result<()> {
    overall(r, out)?;
    stages(r, &escape(&run_label(r)), out)?;
    scenarios(r, &escape(&run_label(r)), out)
}

/// Per scenario of a plan with `scenarios:`, labelled `scenario` with its name (none without).
fn scenarios(r: &Report, run: &str, out: &mut impl Write) -> io::Result<()> {
    if r.scenarios.is_empty() {
        return Ok(());
    }
    let name = "loadtest_scenario_requests_total";
    head(out, name, "Intended requests of each scenario by how they ended.", "counter")?;
    for sc in &r.scenarios {
        let (s, label) = (&sc.row, escape(&sc.row.name));
        writeln!(out, "{name}{{run=\"{run}\",scenario=\"{label}\",outcome=\"ok\"}} {}", s.ok)?;
        writeln!(out, "{name}{{run=\"{run}\",scenario=\"{label}\",outcome=\"error\"}} {}", s.errors)?;
    }
    let name = "loadtest_scenario_achieved_rate_per_second";
    head(out, name, "Requests each scenario sent per second of its window.", "gauge")?;
    for sc in &r.scenarios {
        writeln!(out, "{name}{{run=\"{run}\",scenario=\"{}\"}} {}", escape(&sc.row.name), sc.row.achieved_rps)?;
    }
    for q in ["p50", "p95", "p99"] {
        let name = format!("loadtest_scenario_latency_{q}_seconds");
        head(out, &name, &format!("Latency from the intended start within each scenario, {q}."), "gauge")?;
        for sc in &r.scenarios {
            let v = secs(sc.row.latency.p(q));
            writeln!(out, "{name}{{run=\"{run}\",scenario=\"{}\"}} {v}", escape(&sc.row.name))?;
        }
    }
    Ok(())
}

fn overall(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let run = run_label(r);
    let run = escape(&run);
    let mut all: Vec<(String, f64, f64, f64)> =
        vec![("all".into(), secs(r.latency.p("p50")), secs(r.latency.p("p95")), secs(r.latency.p("p99")))];
    all.extend(
        r.endpoints
            .iter()
            .map(|e| (escape(&e.name), secs(e.latency.p("p50")), secs(e.latency.p("p95")), secs(e.latency.p("p99")))),
    );
    for (q, pick) in [("p50", 1usize), ("p95", 2), ("p99", 3)] {
        let name = format!("loadtest_latency_{q}_seconds");
        head(
            out,
            &name,
            &format!("Latency from the intended start (corrected for coordinated omission), {q}."),
            "gauge",
        )?;
        for row in &all {
            let v = [row.1, row.2, row.3][pick - 1];
            writeln!(out, "{name}{{run=\"{run}\",endpoint=\"{}\"}} {v}", row.0)?;
        }
    }
    head(out, "loadtest_throughput_rps", "Completed responses per second of the measured window.", "gauge")?;
    writeln!(out, "loadtest_throughput_rps{{run=\"{run}\",endpoint=\"all\"}} {}", r.rates.throughput_rps)?;
    for e in &r.endpoints {
        writeln!(
            out,
            "loadtest_throughput_rps{{run=\"{run}\",endpoint=\"{}\"}} {}",
            escape(&e.name),
            e.requests as f64 / r.window_s.max(1e-9)
        )?;
    }
    head(
        out,
        "loadtest_target_rps",
        "Target arrival rate, requests per second (absent in closed-loop runs).",
        "gauge",
    )?;
    if let Some(t) = r.rates.target_rps {
        writeln!(out, "loadtest_target_rps{{run=\"{run}\",endpoint=\"all\"}} {t}")?;
    }
    head(out, "loadtest_achieved_rps", "Sent requests per second of the measured window.", "gauge")?;
    writeln!(out, "loadtest_achieved_rps{{run=\"{run}\",endpoint=\"all\"}} {}", r.rates.achieved_rps)?;
    head(out, "loadtest_error_rate", "Share of intended requests that did not end ok (0 to 1).", "gauge")?;
    writeln!(out, "loadtest_error_rate{{run=\"{run}\",endpoint=\"all\"}} {}", r.rates.error_rate)?;
    for e in &r.endpoints {
        let rate = if e.requests == 0 { 0.0 } else { e.errors as f64 / e.requests as f64 };
        writeln!(out, "loadtest_error_rate{{run=\"{run}\",endpoint=\"{}\"}} {rate}", escape(&e.name))?;
    }
    head(out, "loadtest_send_lag_p99_seconds", "Generator lateness (send minus intended time), p99.", "gauge")?;
    writeln!(out, "loadtest_send_lag_p99_seconds{{run=\"{run}\",endpoint=\"all\"}} {}", secs(r.send_lag.p("p99")))?;
    let host = "How late this host woke a sleeping thread before the load (the floor under send lag), p99.";
    head(out, "loadtest_host_timer_late_p99_seconds", host, "gauge")?;
    writeln!(out, "loadtest_host_timer_late_p99_seconds{{run=\"{run}\"}} {}", secs(r.generator.host_timer.p99_ns))?;
    if r.generator.host_timer_run.samples > 0 {
        let during = "How late this host woke a thread sleeping beside each executor during the run, p99.";
        head(out, "loadtest_host_timer_run_late_p99_seconds", during, "gauge")?;
        let p99 = secs(r.generator.host_timer_run.p99_ns);
        writeln!(out, "loadtest_host_timer_run_late_p99_seconds{{run=\"{run}\"}} {p99}")?;
    }
    requests(r, &run, out)
}

fn requests(r: &Report, run: &str, out: &mut impl Write) -> io::Result<()> {
    head(out, "loadtest_requests_total", "Intended requests by how they ended.", "counter")?;
    let k = &r.counts;
    for (o, n) in k.outcomes() {
        writeln!(out, "loadtest_requests_total{{run=\"{run}\",endpoint=\"all\",outcome=\"{o}\"}} {n}")?;
    }
    for e in &r.endpoints {
        let name = escape(&e.name);
        writeln!(out, "loadtest_requests_total{{run=\"{run}\",endpoint=\"{name}\",outcome=\"ok\"}} {}", e.ok)?;
        writeln!(out, "loadtest_requests_total{{run=\"{run}\",endpoint=\"{name}\",outcome=\"error\"}} {}", e.errors)?;
    }
    Ok(())
}

/// Per load stage of a plan, labelled `stage` with its name (none in quick mode).
fn stages(r: &Report, run: &str, out: &mut impl Write) -> io::Result<()> {
    if r.stages.is_empty() {
        return Ok(());
    }
    head(out, "loadtest_stage_requests_total", "Intended requests of each load stage by how they ended.", "counter")?;
    for st in &r.stages {
        let stage = escape(&st.name);
        writeln!(out, "loadtest_stage_requests_total{{run=\"{run}\",stage=\"{stage}\",outcome=\"ok\"}} {}", st.ok)?;
        writeln!(
            out,
            "loadtest_stage_requests_total{{run=\"{run}\",stage=\"{stage}\",outcome=\"error\"}} {}",
            st.errors
        )?;
    }
    for q in ["p95", "p99"] {
        let name = format!("loadtest_stage_latency_{q}_seconds");
        head(out, &name, &format!("Latency from the intended start within each load stage, {q}."), "gauge")?;
        for st in &r.stages {
            writeln!(out, "{name}{{run=\"{run}\",stage=\"{}\"}} {}", escape(&st.name), secs(st.latency.p(q)))?;
        }
    }
    Ok(())
}

fn slo(r: &Report, run: &str, out: &mut impl Write) -> io::Result<()> {
    head(
        out,
        "loadtest_slo_pass",
        "1 when the criterion passed, 0 when it failed; criterion=\"verdict\" is the whole run.",
        "gauge",
    )?;
    let pass = u8::from(r.verdict.status == super::Status::Pass);
    writeln!(out, "loadtest_slo_pass{{run=\"{run}\",endpoint=\"all\",criterion=\"verdict\"}} {pass}")?;
    for s in &r.slo {
        let endpoint = s.scope.strip_prefix("endpoint:").map_or("all".to_string(), escape);
        let scoped = s.scope.starts_with("stage:") || s.scope.starts_with("scenario:");
        let scope = if scoped { format!("{} ", s.scope) } else { String::new() };
        writeln!(
            out,
            "loadtest_slo_pass{{run=\"{run}\",endpoint=\"{endpoint}\",criterion=\"{}\"}} {}",
            escape(&format!("{scope}{}", s.criterion)),
            u8::from(s.pass)
        )?;
    }
    Ok(())
}

pub(crate) fn head(out: &mut impl Write, name: &str, help: &str, kind: &str) -> io::Result<()> {
    writeln!(out, "# HELP {name} {}\n# TYPE {name} {kind}", help.replace('\\', "\\\\").replace('\n', "\\n"))
}

/// The `run` label: the plan's file name without extension, else "quick".
pub fn run_label(r: &Report) -> String {
    super::live::run_label(&r.config)
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// A label value: backslash, double quote and line feed escaped (exposition format).
pub(crate) fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
