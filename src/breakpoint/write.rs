//! Breakpoint writers for the terminal, Markdown and JSON: the per-step table and the capacity
//! section. Each takes `(&Breakpoint, &mut impl Write)` and only formats (the HTML is in `html`).
use super::Breakpoint;
use super::search::{Judgement, Phase};
use super::step::StepResult;
use crate::units::fmt_ns;
use std::io::{self, Write};

/// Column titles of the step table (target CPU/memory only when watched).
pub fn columns(b: &Breakpoint) -> Vec<&'static str> {
    let mut c = vec![
        "#",
        "phase",
        "offered/s",
        "achieved/s",
        "throughput/s",
        "p50",
        "p95",
        "p99",
        "errors",
        "SLO",
        "generator-limited",
    ];
    if watched(b) {
        c.extend(["target CPU", "target mem"]);
    }
    c
}

/// Whether any step has target resource data (the monitor hook in `step::target_usage`).
pub fn watched(b: &Breakpoint) -> bool {
    b.steps.iter().any(|s| s.target.is_some())
}

/// One row of the step table, as text cells in `columns` order.
pub fn cells(b: &Breakpoint, s: &StepResult) -> Vec<String> {
    let phase = match s.phase {
        Phase::Ramp => "ramp",
        Phase::Bisect => "bisect",
        Phase::Confirm => "confirm",
    };
    let slo = match s.judgement {
        _ if s.rechecked => "FAIL, rechecked",
        Judgement::Pass => "PASS",
        Judgement::Interrupted => "-",
        Judgement::GeneratorLimited { .. } => "n/a",
        _ => "FAIL",
    };
    let mut c = vec![
        (s.index + 1).to_string(),
        phase.to_string(),
        format!("{}", s.offered_rps),
        format!("{:.1}", s.achieved_rps),
        format!("{:.1}", s.throughput_rps),
        fmt_ns(s.p50_ns),
        fmt_ns(s.p95_ns),
        fmt_ns(s.p99_ns),
        format!("{:.2}%", 100.0 * s.error_rate),
        slo.to_string(),
        if s.generator_limited() { "YES".into() } else { "no".into() },
    ];
    if watched(b) {
        c.push(s.target.map_or("-".into(), |t| format!("{:.2} cores", t.cpu_cores)));
        c.push(s.target.map_or("-".into(), |t| format!("{:.1} MiB", t.mem_bytes as f64 / 1048576.0)));
    }
    c
}

/// The capacity section as (label, value) lines, shared by every writer.
pub fn capacity_lines(b: &Breakpoint) -> Vec<(&'static str, String)> {
    let c = &b.capacity;
    let max = match (c.max_sustainable_rps, c.measured) {
        (Some(m), true) => format!("{m} req/s"),
        (Some(m), false) => format!("at least {m} req/s (a lower bound, not a measured capacity)"),
        (None, _) => "none: no step held the SLO".into(),
    };
    vec![
        ("Maximum sustainable rate", max),
        ("What it means", c.summary.clone()),
        ("Knee", c.knee.clone()),
        ("Collapse", c.collapse.clone()),
        (
            "Recommended operating rate",
            c.recommended_rps
                .map_or("-".into(), |r| format!("{r} req/s (the maximum less {:.0}% headroom)", 100.0 * c.headroom)),
        ),
        ("Saturated first", c.saturated_first.clone()),
    ]
}

/// The terminal summary (stdout).
pub fn terminal(b: &Breakpoint, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "Breakpoint search: {} {}", b.method, b.url)?;
    let o = &b.options;
    writeln!(
        out,
        "  SLO {}; steps from {} to at most {} req/s, hold {}s after {}s settle, resolution {:.1}%",
        b.slo.join(", "),
        o.search.start,
        o.search.max,
        o.hold_s,
        o.settle_s,
        100.0 * o.search.resolution
    )?;
    writeln!(out, "  {} connections over {} cores\n", b.connections, b.cores)?;
    let cols = columns(b);
    let rows: Vec<Vec<String>> = b.steps.iter().map(|s| cells(b, s)).collect();
    let width: Vec<usize> =
        (0..cols.len()).map(|i| rows.iter().map(|r| r[i].len()).chain([cols[i].len()]).max().unwrap_or(0)).collect();
    let line = |v: Vec<String>| v.iter().zip(&width).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ");
    writeln!(out, "  {}", line(cols.iter().map(|c| c.to_string()).collect()))?;
    for r in rows {
        writeln!(out, "  {}", line(r))?;
    }
    writeln!(out)?;
    for (k, v) in capacity_lines(b) {
        writeln!(out, "  {k:<27} {v}")?;
    }
    for e in &b.capacity.evidence {
        writeln!(out, "  evidence: {e}")?;
    }
    for a in &b.capacity.advice {
        writeln!(out, "  advice: {a}")?;
    }
    writeln!(out, "  exit code {}", b.exit_code)
}

/// `|` and line breaks would break a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report: configuration, capacity section, step table, step reasons, and a chart
/// (mermaid) of p99 and throughput against offered rate.
pub fn markdown(b: &Breakpoint, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# onslaught breakpoint: {} {}\n", b.method, md(&b.url))?;
    let o = &b.options;
    writeln!(out, "## Configuration\n\n| Setting | Value |\n|---|---|")?;
    writeln!(out, "| Tool | {} |", b.tool)?;
    if let Some(p) = &b.plan {
        writeln!(out, "| Plan | `{}` |", md(p))?;
    }
    writeln!(out, "| SLO | {} |", md(&b.slo.join(", ")))?;
    let growth = match o.search.growth {
        super::search::Growth::Factor(k) => format!("x{k}"),
        super::search::Growth::Add(d) => format!("+{d} req/s"),
    };
    writeln!(out, "| Steps | from {} req/s, {growth} per step, never above {} req/s |", o.search.start, o.search.max)?;
    writeln!(
        out,
        "| Each step | {} s settle (excluded), {} s hold; confirming hold {} s |",
        o.settle_s, o.hold_s, o.confirm_hold_s
    )?;
    writeln!(out, "| Resolution | {:.1}% |", 100.0 * o.search.resolution)?;
    writeln!(out, "| Blast radius | stop at once above {:.0}% errors |", 100.0 * o.limits.blast_error_rate)?;
    writeln!(out, "| Connections | {} over {} cores |\n", b.connections, b.cores)?;
    writeln!(out, "## Capacity\n\n| | |\n|---|---|")?;
    for (k, v) in capacity_lines(b) {
        writeln!(out, "| {k} | {} |", md(&v))?;
    }
    writeln!(out)?;
    if !b.capacity.evidence.is_empty() {
        writeln!(out, "Evidence:\n")?;
        for e in &b.capacity.evidence {
            writeln!(out, "- {}", md(e))?;
        }
        writeln!(out)?;
    }
    for a in &b.capacity.advice {
        writeln!(out, "> {}\n", md(a))?;
    }
    writeln!(out, "## Steps\n")?;
    let cols = columns(b);
    writeln!(out, "| {} |\n|{}|", cols.join(" | "), "---|".repeat(cols.len()))?;
    for s in &b.steps {
        writeln!(out, "| {} |", cells(b, s).join(" | "))?;
    }
    writeln!(out)?;
    for s in &b.steps {
        if let Judgement::Fail { why } | Judgement::Blast { why } | Judgement::GeneratorLimited { why } = &s.judgement {
            writeln!(out, "- step {} ({} req/s): {}", s.index + 1, s.offered_rps, md(why))?;
        }
    }
    chart(b, out)
}

/// A mermaid xy chart of latency p99 (ms) and throughput against offered rate (steps by rate).
fn chart(b: &Breakpoint, out: &mut impl Write) -> io::Result<()> {
    let mut by_rate: Vec<&StepResult> = b.steps.iter().filter(|s| s.requests > 0).collect();
    if by_rate.is_empty() {
        return Ok(());
    }
    by_rate.sort_by(|a, b| a.offered_rps.total_cmp(&b.offered_rps));
    let x: Vec<String> = by_rate.iter().map(|s| format!("\"{}\"", s.offered_rps)).collect();
    let list =
        |f: fn(&StepResult) -> f64| by_rate.iter().map(|s| format!("{:.2}", f(s))).collect::<Vec<_>>().join(", ");
    writeln!(out, "\n## Latency and throughput against offered rate\n")?;
    writeln!(out, "```mermaid\nxychart-beta\n    title \"p99 latency (ms) by offered rate (req/s)\"")?;
    writeln!(
        out,
        "    x-axis [{}]\n    y-axis \"ms\"\n    line [{}]\n```\n",
        x.join(", "),
        list(|s| s.p99_ns as f64 / 1e6)
    )?;
    writeln!(out, "```mermaid\nxychart-beta\n    title \"throughput (req/s) by offered rate (req/s)\"")?;
    writeln!(out, "    x-axis [{}]\n    y-axis \"req/s\"\n    line [{}]\n```", x.join(", "), list(|s| s.throughput_rps))
}

/// The JSON result (schema: docs/capacity-planning.md).
pub fn json(b: &Breakpoint, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, b).map_err(io::Error::other)?;
    writeln!(out)
}
