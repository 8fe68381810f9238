//! The percentile spectrum chart of the HTML report: latency, service time and send lag against
//! the percentile on HdrHistogram's logarithmic axis, x = −log10(1 − p) (0 at 0%, 1 at 90%, 2 at
//! 99%, 3 at 99.9%, ...), as inline SVG. The picture that shows coordinated omission at a glance:
//! where latency (from the intended time) leaves service time (from the send), requests waited
//! for the generator or a stalled server, and a closed-loop tool would have shown only the lower
//! curve. Drawn from the merged histograms, so a report regenerated from a result file has it too.
use super::Report;
use super::html::{label, nice};
use crate::record::histograms::percentile;
use hdrhistogram::Histogram;
use std::fmt::Write as _;

/// Curve colours (as the latency-over-time chart's p99, p50 and the transport-error colour).
pub const LATENCY: &str = "#d62728";
pub const SERVICE: &str = "#1f77b4";
pub const SEND_LAG: &str = "#8c564b";

const W: f64 = 760.0;
const H: f64 = 280.0;
const ML: f64 = 64.0;
const MR: f64 = 16.0;
const MT: f64 = 28.0;
const MB: f64 = 40.0;
/// Points per decade of the x axis.
const STEPS_PER_NINE: u32 = 20;

/// The right end of the axis: as many nines as the samples resolve (log10 of the count, rounded
/// up), at least 2 (99%) and at most 6 (99.9999%).
pub(crate) fn nines(count: u64) -> u32 {
    ((count.max(1) as f64).log10().ceil() as u32).clamp(2, 6)
}

/// "0%", "90%", "99%", "99.9%", ... for tick k (k nines).
pub(crate) fn tick_label(k: u32) -> String {
    match k {
        0 => "0%".into(),
        1 => "90%".into(),
        _ => format!("99.{}%", "9".repeat(k as usize - 2)).replace(".%", "%"),
    }
}

/// (x, value in ms) along the axis, from p = 0 to the last tick, where the value is the max.
pub(crate) fn curve(h: &Histogram<u64>, nines: u32) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let n = nines * STEPS_PER_NINE;
    (0..=n)
        .map(|i| {
            let x = f64::from(i) / f64::from(STEPS_PER_NINE);
            let q = if i == n { 1.0 } else { 1.0 - 10f64.powf(-x) };
            (x, percentile(h, q) as f64 / 1e6)
        })
        .collect()
}

/// A round axis top at or above `v`, finer than `html::nice` (a tail of 201 ms gets 300, not 500; quarters stay round).
fn top(v: f64) -> f64 {
    if v <= 0.0 {
        return nice(v);
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.6, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0].iter().map(|m| m * p).find(|t| *t >= v).unwrap_or(10.0 * p)
}

/// The chart, its heading and its legend (the HTML report's).
pub(crate) fn write(r: &Report, s: &mut String) -> std::fmt::Result {
    writeln!(
        s,
        "<h2>Percentile spectrum</h2>\n<p>Each curve's value at every percentile, on HdrHistogram's logarithmic axis (the right end is the maximum). Where latency rises above service time, requests waited before they were sent: that gap is what coordinated omission hides.</p>"
    )?;
    let (k, curves) = curves(r);
    svg(k, &curves, s, false)?;
    writeln!(s, "<p class=\"legend\">")?;
    for (name, colour, _) in &curves {
        writeln!(s, "<span><i class=\"sw\" style=\"background:{colour}\"></i>{name}</span>")?;
    }
    writeln!(s, "</p>")?;
    scenarios(r, s)
}

/// A plan with scenarios: each scenario's own spectrum (each is measured from its own schedule,
/// so each shows its own coordinated omission), from the result file's per-scenario histograms.
fn scenarios(r: &Report, s: &mut String) -> std::fmt::Result {
    for h in &r.histograms.scenarios {
        let decode = |e: Option<&crate::record::hists::Encoded>| {
            e.and_then(|e| e.decode().ok()).unwrap_or_else(crate::record::histograms::new_hist)
        };
        let latency = decode(Some(&h.latency));
        if latency.is_empty() {
            continue;
        }
        let (service, lag) = (decode(h.service_time.as_ref()), decode(h.send_lag.as_ref()));
        let name = super::fmt::xml(&h.name);
        writeln!(s, "<h3>Scenario {name}: percentile spectrum</h3>")?;
        let mut chart = String::new();
        let (k, curves) = curves_of(&latency, &service, &lag);
        svg(k, &curves, &mut chart, false)?;
        let tagged = format!("<svg class=\"spectrum-scenario\" data-scenario=\"{name}\"");
        s.push_str(&chart.replacen("<svg id=\"spectrum-chart\"", &tagged, 1));
    }
    Ok(())
}

/// The chart as an SVG document of its own, its legend drawn in it (the Markdown report's
/// companion file: Markdown viewers show an image, not inline SVG). None when nothing was
/// measured.
pub fn standalone(r: &Report) -> Option<String> {
    if r.hists.latency.is_empty() {
        return None;
    }
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (k, curves) = curves(r);
    svg(k, &curves, &mut s, true).ok()?;
    Some(s)
}

type Curve = (&'static str, &'static str, Vec<(f64, f64)>);

/// The axis' nines (as many as the latency's count resolves) and the three curves along it.
fn curves(r: &Report) -> (u32, [Curve; 3]) {
    curves_of(&r.hists.latency, &r.hists.service, &r.hists.send_lag)
}

fn curves_of(latency: &Histogram<u64>, service: &Histogram<u64>, send_lag: &Histogram<u64>) -> (u32, [Curve; 3]) {
    let k = nines(latency.len());
    let curves = [
        ("latency (from intended time)", LATENCY, curve(latency, k)),
        ("service time (from send)", SERVICE, curve(service, k)),
        ("send lag", SEND_LAG, curve(send_lag, k)),
    ];
    (k, curves)
}

/// The `<svg>` element; `own_legend`: the legend drawn inside it, above the plot.
fn svg(k: u32, curves: &[Curve; 3], s: &mut String, own_legend: bool) -> std::fmt::Result {
    let ymax = top(curves.iter().flat_map(|c| c.2.iter().map(|p| p.1)).fold(0.0, f64::max));
    let x = |v: f64| ML + (W - ML - MR) * v / f64::from(k);
    let y = |v: f64| H - MB - (H - MT - MB) * v / ymax;
    writeln!(
        s,
        "<svg id=\"spectrum-chart\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">"
    )?;
    if own_legend {
        writeln!(s, "<title>Percentile spectrum: latency, service time and send lag</title>")?;
        writeln!(s, "<rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>")?;
    }
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        let (yv, l) = (y(v), label(v));
        writeln!(
            s,
            "<line x1=\"{ML}\" x2=\"{}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{l}</text>",
            W - MR,
            ML - 6.0,
            yv + 4.0
        )?;
    }
    for t in 0..=k {
        let xt = x(f64::from(t));
        writeln!(
            s,
            "<line x1=\"{xt:.1}\" x2=\"{xt:.1}\" y1=\"{MT}\" y2=\"{}\" stroke=\"#eee\"/><text x=\"{xt:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            H - MB,
            H - MB + 16.0,
            tick_label(t)
        )?;
    }
    writeln!(s, "<text x=\"8\" y=\"18\" font-size=\"12\">ms</text>")?;
    writeln!(s, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">percentile</text>", W / 2.0, H - 6.0)?;
    // Send lag first, latency last: where latency and service time meet, latency is on top.
    for (name, colour, pts) in curves.iter().rev() {
        let p: Vec<String> = pts.iter().map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b))).collect();
        writeln!(
            s,
            "<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\" points=\"{}\"/>",
            p.join(" ")
        )?;
    }
    if own_legend {
        legend(curves, s)?;
    }
    writeln!(s, "</svg>")
}

/// The legend inside the SVG: a colour swatch and a name per curve, along the top margin.
fn legend(curves: &[Curve; 3], s: &mut String) -> std::fmt::Result {
    for (i, (name, colour, _)) in curves.iter().enumerate() {
        let x0 = 120.0 + 210.0 * i as f64;
        writeln!(
            s,
            "<rect x=\"{x0}\" y=\"10\" width=\"14\" height=\"4\" fill=\"{colour}\"/><text x=\"{}\" y=\"16\" font-size=\"11\">{name}</text>",
            x0 + 18.0
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_is_minus_log10_of_one_minus_p() {
        let mut h = crate::record::histograms::new_hist();
        for v in 1..=1000u64 {
            h.record(v * 1_000_000).unwrap();
        }
        // x = 1 is p90, x = 2 is p99: the curve's points there are those percentiles.
        let c = curve(&h, 3);
        assert_eq!((c[20].0, c[40].0), (1.0, 2.0));
        assert!((c[40].1 - 990.0).abs() <= 1.0, "{:?}", c[40]);
        let labels: Vec<String> = (0..=4).map(tick_label).collect();
        assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%"]);
        assert_eq!((nines(10), nines(5_000), nines(10u64.pow(9))), (2, 4, 6));
        assert_eq!((top(201.6), top(19.0), top(0.0)), (300.0, 20.0, 1.0));
    }

    #[test]
    fn a_curve_rises_to_the_max_at_the_last_tick() {
        let mut h = crate::record::histograms::new_hist();
        for v in 1..=1000u64 {
            h.record(v * 1_000_000).unwrap();
        }
        let c = curve(&h, 3);
        assert_eq!(c.len(), 61);
        assert!(c.windows(2).all(|w| w[1].1 >= w[0].1), "monotone");
        // 90% of 1..=1000 ms is 900 ms; the end is the max, 1000 ms (within the histogram's 3 digits).
        assert!((c[20].1 - 900.0).abs() <= 1.0, "{:?}", c[20]);
        assert!((c[60].1 - 1000.0).abs() <= 1.0, "{:?}", c[60]);
        assert!(curve(&crate::record::histograms::new_hist(), 3).is_empty());
    }
}
