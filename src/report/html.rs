//! The self-contained HTML report: inline CSS and inline SVG charts (latency p50/p95/p99 over
//! time, the percentile spectrum (`spectrum_chart`), throughput against the target rate, outcome
//! breakdown), the results table, latency,
//! endpoints and stages. No script, font or network: it opens from a file anywhere, offline.
//! scripts/html-check.sh renders it in headless Chromium and checks the charts are drawn.
use super::fmt::{Point, pass_fail, pct, rps, series, slo_actual, xml};
use super::markdown::{slo_metric, slo_threshold, validity};
use super::{Dist, Report, Status};
use crate::units::fmt_ns;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Series colours; scripts/html-check.sh looks for these exact pixels in the screenshot.
pub const P50: &str = "#1f77b4";
pub const P95: &str = "#ff7f0e";
pub const P99: &str = "#d62728";
pub const THROUGHPUT: &str = "#2ca02c";
pub const ACHIEVED: &str = "#bcbd22";
pub const TARGET: &str = "#9467bd";
/// Outcome colours: ok, http_error, transport_error, timeout, dropped, incomplete.
pub const OUTCOMES: [&str; 6] = ["#17becf", "#e6a700", "#8c564b", "#e377c2", "#7f7f7f", "#393b79"];

const CHART_POINTS: usize = 300;
const W: f64 = 760.0;
const H: f64 = 260.0;
/// Plot margins: left, right, top, bottom.
const ML: f64 = 64.0;
const MR: f64 = 16.0;
const MT: f64 = 28.0;
const MB: f64 = 36.0;

pub fn write(r: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut s = String::new();
    page(r, &mut s).map_err(io::Error::other)?;
    out.write_all(s.as_bytes())
}

fn page(r: &Report, s: &mut String) -> std::fmt::Result {
    let c = &r.config;
    let title = xml(&format!("onslaught report: {} {}", c.method, c.url));
    writeln!(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>")?;
    writeln!(s, "<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>")?;
    verdict(r, s)?;
    config(r, s)?;
    results(r, s)?;
    let pts = series(r, CHART_POINTS);
    writeln!(
        s,
        "<h2>Latency over time</h2>\n<p>From each request's intended start (corrected for coordinated omission); each point is the worst interval it covers.</p>"
    )?;
    let lat: [(&str, &str, Pick); 3] =
        [("p50", P50, |p| p.p50_ms), ("p95", P95, |p| p.p95_ms), ("p99", P99, |p| p.p99_ms)];
    chart(s, "latency-chart", "ms", &pts, &lat, None)?;
    super::spectrum_chart::write(r, s)?;
    writeln!(
        s,
        "<h2>Throughput over time</h2>\n<p>Requests sent and responses completed per second, against the target rate (dashed).</p>"
    )?;
    let thr: [(&str, &str, Pick); 2] =
        [("achieved (sent)", ACHIEVED, |p| p.sent_rps), ("throughput (completed)", THROUGHPUT, |p| p.throughput_rps)];
    chart(s, "throughput-chart", "req/s", &pts, &thr, r.rates.target_rps)?;
    attainment(r, s)?;
    outcomes(r, s)?;
    latency_table(r, s)?;
    endpoints(r, s)?;
    scenarios(r, s)?;
    stages(r, s)?;
    writeln!(s, "<footer>{}</footer>\n</body>\n</html>", xml(&r.tool))
}

pub(crate) const CSS: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:980px}\
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}th{background:#f2f2f2}.PASS{color:#1a7f37;font-weight:bold}\
.FAIL{color:#c62828;font-weight:bold}.verdict{font-size:1.3em;font-weight:bold}svg{display:block;margin:8px 0}\
.legend span{display:inline-block;margin-right:16px}.sw{display:inline-block;width:14px;height:4px;margin-right:4px;vertical-align:middle}";

fn verdict(r: &Report, s: &mut String) -> std::fmt::Result {
    let v = &r.verdict;
    let word = r.status_word();
    let class = if v.status == Status::Pass { "PASS" } else { "FAIL" };
    writeln!(s, "<p class=\"verdict\">Verdict: <span class=\"{class}\">{word}</span> (exit code {})</p>", v.exit_code)?;
    if !v.reasons.is_empty() {
        writeln!(s, "<ul>")?;
        for reason in &v.reasons {
            writeln!(s, "<li>{}</li>", xml(reason))?;
        }
        writeln!(s, "</ul>")?;
    }
    Ok(())
}

fn config(r: &Report, s: &mut String) -> std::fmt::Result {
    let c = &r.config;
    writeln!(s, "<h2>Configuration</h2>\n<table>")?;
    let model = c.target_rate.map_or("closed loop".to_string(), |t| format!("open, target {t} req/s"));
    let model = c.scenarios_line().unwrap_or(model);
    let mut rows = vec![
        ("Tool", r.tool.clone()),
        ("Target", format!("{} {}", c.method, c.url)),
        ("Load model", model),
        ("Duration", format!("{} s configured, {:.3} s measured, {} s warm-up", c.duration_s, r.window_s, c.warmup_s)),
        ("Connections", format!("{} over {} cores", c.connections, c.cores)),
        ("Request timeout", format!("{} s", c.timeout_s)),
        ("TLS verification", if c.tls_insecure { "OFF (--insecure)".into() } else { "on".into() }),
    ];
    if let Some(p) = &c.plan {
        let profile = c.profile.as_ref().map_or(String::new(), |n| format!(" (profile {n})"));
        rows.insert(2, ("Plan", format!("{p}{profile}")));
    }
    for (k, v) in rows {
        writeln!(s, "<tr><th>{k}</th><td>{}</td></tr>", xml(&v))?;
    }
    writeln!(s, "</table>")
}

fn results(r: &Report, s: &mut String) -> std::fmt::Result {
    writeln!(
        s,
        "<h2>Results</h2>\n<table id=\"slo\">\n<tr><th>Metric</th><th>Threshold</th><th>Actual</th><th>Result</th></tr>"
    )?;
    let mut row = |m: &str, t: &str, a: &str, pass: bool| {
        let pf = pass_fail(pass);
        writeln!(s, "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{pf}\">{pf}</td></tr>", xml(m), xml(t), xml(a))
    };
    for slo in &r.slo {
        row(&slo_metric(slo), &slo_threshold(slo), &slo_actual(slo), slo.pass)?;
    }
    for (m, t, a, pass) in validity(r) {
        row(&m, &t, &a, pass)?;
    }
    writeln!(s, "</table>")
}

type Pick = fn(&Point) -> f64;

/// A line chart of the series over time, with a dashed horizontal line at `target`.
fn chart(
    s: &mut String,
    id: &str,
    unit: &str,
    pts: &[Point],
    series: &[(&str, &str, Pick)],
    target: Option<f64>,
) -> std::fmt::Result {
    let top = series.iter().flat_map(|(_, _, f)| pts.iter().map(f)).chain(target).fold(0.0, f64::max);
    let (t0, t1) = (pts.first().map_or(0.0, |p| p.t_s), pts.last().map_or(1.0, |p| p.t_s));
    let frame = Frame { t0, t1, span: if t1 > t0 { t1 - t0 } else { 1.0 }, ymax: nice(top) };
    chart_open(s, id, (W, H), (ML, MR, MT, MB))?;
    axes(s, &frame, unit)?;
    if let Some(t) = target {
        let (x2, yt) = (W - MR, frame.y(t));
        writeln!(
            s,
            "<line class=\"target\" x1=\"{ML}\" x2=\"{x2}\" y1=\"{yt:.1}\" y2=\"{yt:.1}\" stroke=\"{TARGET}\" stroke-width=\"3\" stroke-dasharray=\"10 5\"/>"
        )?;
    }
    for (name, colour, f) in series {
        let p: Vec<String> = pts.iter().map(|p| format!("{:.1},{:.1}", frame.x(p.t_s), frame.y(f(p)))).collect();
        writeln!(
            s,
            "<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\" points=\"{}\"/>",
            p.join(" ")
        )?;
        if pts.len() < 3 {
            for p in pts {
                writeln!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{colour}\"/>",
                    frame.x(p.t_s),
                    frame.y(f(p))
                )?;
            }
        }
    }
    writeln!(s, "</svg>")?;
    legend(s, series, target.is_some())
}

/// A chart's scales: time `t0..t1` across (`span` > 0), `0..ymax` up.
struct Frame {
    t0: f64,
    t1: f64,
    span: f64,
    ymax: f64,
}

impl Frame {
    fn x(&self, t: f64) -> f64 {
        ML + (W - ML - MR) * (t - self.t0) / self.span
    }

    fn y(&self, v: f64) -> f64 {
        H - MB - (H - MT - MB) * v / self.ymax
    }
}

/// Five horizontal grid lines with their values, the first and last time, and the unit.
fn axes(s: &mut String, f: &Frame, unit: &str) -> std::fmt::Result {
    for i in 0..=4 {
        let v = f.ymax * f64::from(i) / 4.0;
        let (x2, yv, xt, yt, l) = (W - MR, f.y(v), ML - 6.0, f.y(v) + 4.0, label(v));
        writeln!(
            s,
            "<line x1=\"{ML}\" x2=\"{x2}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#eee\"/><text x=\"{xt}\" y=\"{yt:.1}\" font-size=\"11\" text-anchor=\"end\">{l}</text>"
        )?;
    }
    writeln!(
        s,
        "<text x=\"{ML}\" y=\"{}\" font-size=\"11\">{:.0} s</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{:.0} s</text>",
        H - MB + 16.0,
        f.t0,
        W - MR,
        H - MB + 16.0,
        f.t1
    )?;
    writeln!(s, "<text x=\"8\" y=\"18\" font-size=\"12\">{unit}</text>")
}

/// The colour of each series, and of the target line when there is one.
fn legend(s: &mut String, series: &[(&str, &str, Pick)], target: bool) -> std::fmt::Result {
    writeln!(s, "<p class=\"legend\">")?;
    for (name, colour, _) in series {
        writeln!(s, "<span><i class=\"sw\" style=\"background:{colour}\"></i>{name}</span>")?;
    }
    if target {
        writeln!(s, "<span><i class=\"sw\" style=\"background:{TARGET}\"></i>target</span>")?;
    }
    writeln!(s, "</p>")
}

/// A round axis top at or above v: 1, 2 or 5 times a power of ten.
pub(crate) fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|t| *t >= v).unwrap_or(10.0 * p)
}

pub(crate) fn label(v: f64) -> String {
    if v >= 100.0 || v == v.round() { format!("{v:.0}") } else { format!("{v:.2}") }
}

fn attainment(r: &Report, s: &mut String) -> std::fmt::Result {
    let t = &r.rates;
    writeln!(
        s,
        "<h2>Target rate</h2>\n<table>\n<tr><th>Target</th><th>Achieved (sent)</th><th>Throughput (completed)</th><th>Attained</th></tr>"
    )?;
    let (target, attained) = t
        .target_rps
        .map_or(("none (closed loop)".into(), "-".into()), |x| (rps(x), format!("{:.1}%", 100.0 * t.achieved_rps / x)));
    writeln!(
        s,
        "<tr><td>{target}</td><td>{}</td><td>{}</td><td>{attained}</td></tr>\n</table>",
        rps(t.achieved_rps),
        rps(t.throughput_rps)
    )
}

fn outcomes(r: &Report, s: &mut String) -> std::fmt::Result {
    let k = &r.counts;
    let parts = k.outcomes();
    let total = parts.iter().map(|p| p.1).sum::<u64>().max(1) as f64;
    writeln!(
        s,
        "<h2>Outcomes</h2>\n<svg id=\"outcome-chart\" width=\"{W}\" height=\"40\" viewBox=\"0 0 {W} 40\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
    )?;
    let mut x = 0.0;
    for ((name, n), colour) in parts.iter().zip(OUTCOMES) {
        let w = W * *n as f64 / total;
        if w > 0.0 {
            writeln!(
                s,
                "<rect data-outcome=\"{name}\" x=\"{x:.1}\" y=\"4\" width=\"{w:.1}\" height=\"32\" fill=\"{colour}\"/>"
            )?;
        }
        x += w;
    }
    writeln!(s, "</svg>\n<table>\n<tr><th>Outcome</th><th>Count</th><th>Share</th></tr>")?;
    for ((name, n), colour) in parts.iter().zip(OUTCOMES) {
        let share = if k.intended == 0 { "-".into() } else { pct(*n as f64 / k.intended as f64) };
        writeln!(
            s,
            "<tr><td><i class=\"sw\" style=\"background:{colour}\"></i>{name}</td><td>{n}</td><td>{share}</td></tr>"
        )?;
    }
    writeln!(s, "<tr><th>intended</th><th>{}</th><th></th></tr>\n</table>", k.intended)?;
    if !k.status.is_empty() {
        let codes: Vec<String> = k.status.iter().map(|(c, n)| format!("{c} x{n}")).collect();
        writeln!(s, "<p>Status codes: {}</p>", xml(&codes.join(", ")))?;
    }
    Ok(())
}

fn latency_table(r: &Report, s: &mut String) -> std::fmt::Result {
    writeln!(
        s,
        "<h2>Latency</h2>\n<table>\n<tr><th>Distribution</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>"
    )?;
    let row = |s: &mut String, name: &str, d: &Dist| {
        let cells: String = ["p50", "p90", "p95", "p99", "p99.9", "p100"]
            .iter()
            .map(|q| format!("<td>{}</td>", fmt_ns(d.p(q))))
            .collect();
        writeln!(s, "<tr><td>{name}</td><td>{}</td>{cells}</tr>", d.count)
    };
    row(s, "latency (from intended start)", &r.latency)?;
    row(s, "service time (from send)", &r.service_time)?;
    row(s, "send lag (generator)", &r.send_lag)?;
    writeln!(s, "</table>")?;
    writeln!(s, "<p>Generator: {}.</p>", xml(&super::health::generator_line(&r.generator)))?;
    writeln!(
        s,
        "<p>Timer: {}.</p>",
        xml(&super::lag::line(&r.send_lag, &r.generator.host_timer, &r.generator.host_timer_run))
    )?;
    match &r.target {
        Some(t) => writeln!(s, "<p>Target: {}.</p>", xml(&super::health::target_line(t))),
        None => writeln!(
            s,
            "<p>Target resources: not watched (<code>--watch-pid</code> or <code>--watch-cgroup</code>).</p>"
        ),
    }
}

fn endpoints(r: &Report, s: &mut String) -> std::fmt::Result {
    if r.endpoints.is_empty() {
        return Ok(());
    }
    writeln!(
        s,
        "<h2>Endpoints</h2>\n<table id=\"endpoints\">\n<tr><th>Request</th><th>Requests</th><th>OK</th><th>Errors</th><th>Checks failed</th><th>ok/s</th><th>p50</th><th>p95</th><th>p99</th></tr>"
    )?;
    for e in &r.endpoints {
        let l = &e.latency;
        writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml(&e.name),
            e.requests,
            e.ok,
            e.errors,
            e.checks_failed,
            e.ok_rps,
            fmt_ns(l.p("p50")),
            fmt_ns(l.p("p95")),
            fmt_ns(l.p("p99"))
        )?;
    }
    writeln!(s, "</table>")
}

/// Per scenario (plans with `scenarios:`): each its own model, load and measurements.
fn scenarios(r: &Report, s: &mut String) -> std::fmt::Result {
    if r.scenarios.is_empty() {
        return Ok(());
    }
    writeln!(
        s,
        "<h2>Scenarios</h2>\n<table id=\"scenarios\">\n<tr><th>Scenario</th><th>Model</th><th>Window</th><th>Load</th><th>Connections</th><th>Intended</th><th>OK</th><th>Errors</th><th>Achieved</th><th>p50</th><th>p95</th><th>p99</th><th>Conserved</th></tr>"
    )?;
    for sc in &r.scenarios {
        let (st, l) = (&sc.row, &sc.row.latency);
        writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}-{} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml(&st.name),
            sc.model,
            st.start_s,
            st.end_s,
            xml(&st.target),
            sc.connections,
            st.intended,
            st.ok,
            st.errors,
            rps(st.achieved_rps),
            fmt_ns(l.p("p50")),
            fmt_ns(l.p("p95")),
            fmt_ns(l.p("p99")),
            if st.conserved { "yes" } else { "no" }
        )?;
    }
    writeln!(s, "</table>")
}

fn stages(r: &Report, s: &mut String) -> std::fmt::Result {
    if r.stages.is_empty() {
        return Ok(());
    }
    writeln!(
        s,
        "<h2>Stages</h2>\n<table id=\"stages\">\n<tr><th>Stage</th><th>Window</th><th>Target</th><th>Intended</th><th>OK</th><th>Errors</th><th>Achieved</th><th>p50</th><th>p95</th><th>p99</th></tr>"
    )?;
    for st in &r.stages {
        let l = &st.latency;
        writeln!(
            s,
            "<tr><td>{}</td><td>{}-{} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml(&st.name),
            st.start_s,
            st.end_s,
            xml(&st.target),
            st.intended,
            st.ok,
            st.errors,
            rps(st.achieved_rps),
            fmt_ns(l.p("p50")),
            fmt_ns(l.p("p95")),
            fmt_ns(l.p("p99"))
        )?;
    }
    writeln!(s, "</table>")
}

/// Open a chart: the `<svg>` element and its plot area (`w`×`h` pixels, margins left, right,
/// top, bottom). Shared by the run report and the breakpoint report.
pub(crate) fn chart_open(
    s: &mut String,
    id: &str,
    (w, h): (f64, f64),
    (ml, mr, mt, mb): (f64, f64, f64, f64),
) -> std::fmt::Result {
    writeln!(
        s,
        "<svg id=\"{id}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
    )?;
    writeln!(
        s,
        "<rect x=\"{ml}\" y=\"{mt}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#bbb\"/>",
        w - ml - mr,
        h - mt - mb
    )
}
