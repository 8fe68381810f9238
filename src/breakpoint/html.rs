//! The breakpoint HTML report: self-contained (inline CSS and SVG, no script or network), with the
//! capacity section, charts of p50/p95/p99 and of throughput against offered rate, and the step
//! table. Styles, colours and axis helpers are the run report's (crate::report::html).
use super::Breakpoint;
use super::step::StepResult;
use super::write::{capacity_lines, cells, columns};
use crate::report::fmt::xml;
use crate::report::html::{ACHIEVED, CSS, P50, P95, P99, TARGET, THROUGHPUT, chart_open, label, nice};
use std::fmt::Write as _;
use std::io::{self, Write};

const W: f64 = 760.0;
const H: f64 = 280.0;
const ML: f64 = 64.0;
const MR: f64 = 16.0;
const MT: f64 = 28.0;
const MB: f64 = 40.0;

pub fn write(b: &Breakpoint, out: &mut impl Write) -> io::Result<()> {
    let mut s = String::new();
    page(b, &mut s).map_err(io::Error::other)?;
    out.write_all(s.as_bytes())
}

type Pick = fn(&StepResult) -> f64;

fn page(b: &Breakpoint, s: &mut String) -> std::fmt::Result {
    let title = xml(&format!("onslaught breakpoint: {} {}", b.method, b.url));
    writeln!(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>")?;
    writeln!(s, "<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>")?;
    writeln!(s, "<p>SLO: {}. Exit code {}.</p>", xml(&b.slo.join(", ")), b.exit_code)?;
    writeln!(s, "<h2>Capacity</h2>\n<table id=\"capacity\">")?;
    for (k, v) in capacity_lines(b) {
        writeln!(s, "<tr><th>{k}</th><td style=\"text-align:left\">{}</td></tr>", xml(&v))?;
    }
    writeln!(s, "</table>")?;
    for (title, lines) in [("Evidence", &b.capacity.evidence), ("Advice", &b.capacity.advice)] {
        if !lines.is_empty() {
            writeln!(s, "<p>{title}:</p>\n<ul>")?;
            for l in lines {
                writeln!(s, "<li>{}</li>", xml(l))?;
            }
            writeln!(s, "</ul>")?;
        }
    }
    let mut pts: Vec<&StepResult> = b.steps.iter().filter(|x| x.requests > 0).collect();
    pts.sort_by(|a, b| a.offered_rps.total_cmp(&b.offered_rps));
    writeln!(
        s,
        "<h2>Latency against offered rate</h2>\n<p>From each request's intended start (corrected for coordinated omission), per step.</p>"
    )?;
    let lat: [(&str, &str, Pick); 3] = [
        ("p50", P50, |p| p.p50_ns as f64 / 1e6),
        ("p95", P95, |p| p.p95_ns as f64 / 1e6),
        ("p99", P99, |p| p.p99_ns as f64 / 1e6),
    ];
    chart(s, "latency-chart", "ms", &pts, &lat, b.capacity.knee_rps)?;
    writeln!(
        s,
        "<h2>Throughput against offered rate</h2>\n<p>Sent and completed per second; the dashed line is the offered rate (a step on it kept up).</p>"
    )?;
    let thr: [(&str, &str, Pick); 3] = [
        ("offered", TARGET, |p| p.offered_rps),
        ("achieved (sent)", ACHIEVED, |p| p.achieved_rps),
        ("throughput (completed)", THROUGHPUT, |p| p.throughput_rps),
    ];
    chart(s, "throughput-chart", "req/s", &pts, &thr, b.capacity.max_sustainable_rps)?;
    writeln!(s, "<h2>Steps</h2>\n<table id=\"steps\">\n<tr>")?;
    for c in columns(b) {
        write!(s, "<th>{c}</th>")?;
    }
    writeln!(s, "</tr>")?;
    for st in &b.steps {
        let row: String = cells(b, st).iter().map(|c| format!("<td>{}</td>", xml(c))).collect();
        writeln!(s, "<tr>{row}</tr>")?;
    }
    writeln!(s, "</table>\n<footer>{}</footer>\n</body>\n</html>", xml(&b.tool))
}

/// A line chart against offered rate, with a vertical marker at `mark` (the knee or the max).
fn chart(
    s: &mut String,
    id: &str,
    unit: &str,
    pts: &[&StepResult],
    series: &[(&str, &str, Pick)],
    mark: Option<f64>,
) -> std::fmt::Result {
    let ymax = nice(series.iter().flat_map(|(_, _, f)| pts.iter().map(|p| f(p))).fold(0.0, f64::max));
    // The x axis ends at the next tenth of its round top (5063 → 6000), so the points fill it.
    let top = pts.iter().map(|p| p.offered_rps).fold(0.0, f64::max);
    let tenth = nice(top) / 10.0;
    let frame = Frame { xmax: ((top / tenth).ceil() * tenth).max(tenth), ymax };
    chart_open(s, id, (W, H), (ML, MR, MT, MB))?;
    axes(s, &frame, unit)?;
    if let Some(m) = mark {
        writeln!(
            s,
            "<line class=\"mark\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{MT}\" y2=\"{1}\" stroke=\"#555\" stroke-dasharray=\"4 4\"/>",
            frame.x(m),
            H - MB
        )?;
    }
    for (name, colour, f) in series {
        let p: Vec<String> =
            pts.iter().map(|p| format!("{:.1},{:.1}", frame.x(p.offered_rps), frame.y(f(p)))).collect();
        let dash = if *colour == TARGET { " stroke-dasharray=\"10 5\"" } else { "" };
        writeln!(
            s,
            "<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\"{dash} points=\"{}\"/>",
            p.join(" ")
        )?;
        for p in pts {
            let (cx, cy) = (frame.x(p.offered_rps), frame.y(f(p)));
            writeln!(s, "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"{colour}\"/>")?;
        }
    }
    writeln!(s, "</svg>\n<p class=\"legend\">")?;
    for (name, colour, _) in series {
        writeln!(s, "<span><i class=\"sw\" style=\"background:{colour}\"></i>{name}</span>")?;
    }
    writeln!(s, "</p>")
}

/// A chart's scales: offered rate `0..xmax` across, `0..ymax` up.
struct Frame {
    xmax: f64,
    ymax: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        ML + (W - ML - MR) * v / self.xmax
    }

    fn y(&self, v: f64) -> f64 {
        H - MB - (H - MT - MB) * v / self.ymax
    }
}

/// Five grid lines with their values on both axes, and the axes' units.
fn axes(s: &mut String, f: &Frame, unit: &str) -> std::fmt::Result {
    for i in 0..=4 {
        let (v, h) = (f.ymax * f64::from(i) / 4.0, f.xmax * f64::from(i) / 4.0);
        let (yv, xv) = (f.y(v), f.x(h));
        writeln!(
            s,
            "<line x1=\"{ML}\" x2=\"{}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            W - MR,
            ML - 6.0,
            yv + 4.0,
            label(v)
        )?;
        writeln!(
            s,
            "<text x=\"{xv:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            H - MB + 16.0,
            label(h)
        )?;
    }
    writeln!(
        s,
        "<text x=\"8\" y=\"18\" font-size=\"12\">{unit}</text><text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">offered req/s</text>",
        W - MR,
        H - 4.0
    )
}
