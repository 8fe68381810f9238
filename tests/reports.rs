//! The report writers against golden files (tests/golden/, regenerated on purpose with
//! UPDATE_GOLDEN=1), the result file round trip, and each format checked by its own reader:
//! the hdrhistogram crate's interval-log reader, xmllint with a JUnit schema, promtool and an
//! exposition parser, headless Chromium. A sample run is built through the real merge from
//! recorded snapshots, so per-interval encoding is exercised too.
mod support;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use onslaught::merge;
use onslaught::record::{Instants, Outcome, Recorder, Snapshot};
use onslaught::report::{self, Report, RunConfig, RunEnd, SloRow, StageRow};
use onslaught::slo::Metric;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{promtool_checks, tool};

const INTERVALS: u64 = 5;
const INTERVAL_NS: u64 = 1_000_000_000;
/// Requests per interval; interval k answers request j in (k + 1) · (j + 1) · 100 µs.
const PER_INTERVAL: u64 = 40;

fn config() -> RunConfig {
    RunConfig {
        url: "http://127.0.0.1:8080/api?q=a|b".into(),
        method: "GET".into(),
        target_rate: Some(40.0),
        connections: 8,
        cores: 1,
        duration_s: 5.0,
        warmup_s: 0.0,
        timeout_s: 10.0,
        max_send_lag_ms: 1.0,
        max_error_rate: 0.01,
        tls_insecure: false,
        plan: Some("plans/checkout.yaml".into()),
        profile: None,
        labels: vec!["browse".into(), "buy \"now\"".into()],
        users: None,
        stages: Vec::new(),
        scenarios: Vec::new(),
        label_checks: Vec::new(),
    }
}

/// The recorded snapshots of a 5-interval run on one core: 200 requests, 195 ok, 4 http 503,
/// 1 timeout; latency grows with the interval so every chart has a shape.
fn snapshots() -> Vec<Snapshot> {
    let mut rec = Recorder { labels: vec![Default::default(), Default::default()], ..Recorder::default() };
    let mut out = Vec::new();
    for k in 0..INTERVALS {
        for j in 0..PER_INTERVAL {
            let t = k * INTERVAL_NS + j * (INTERVAL_NS / PER_INTERVAL);
            let lat = (k + 1) * (j + 1) * 100_000;
            let i = Instants { intended: t, sent: t + 20_000 + j * 1_000, completed: t + lat };
            rec.intended();
            rec.sent(&i);
            let label = (j % 2) as usize;
            if k == 4 && j == 39 {
                rec.failed(Outcome::Timeout);
                rec.label(label, false, false, None);
            } else {
                let ok = !(k == 3 && j < 4);
                rec.response(&i, if ok { 200 } else { 503 }, ok);
                rec.label(label, ok, false, Some(lat));
            }
        }
        let r = rec.take();
        out.push(Snapshot {
            core: 0,
            interval: k,
            counters: r.counters,
            hists: r.hists,
            labels: r.labels,
            stages: r.stages,
            scenarios: r.scenarios,
            health: Default::default(),
            last: k == INTERVALS - 1,
        });
    }
    out
}

fn sample() -> Report {
    let (tx, rx) = crossbeam_channel::unbounded();
    for s in snapshots() {
        tx.send(s).unwrap();
    }
    let m = merge::collect(&rx, 1, INTERVAL_NS, |_| {});
    let mut r = Report::build(m, config(), RunEnd { interrupted: false, window_s: 5.0 });
    r.tool = "onslaught (golden)".into();
    r.histograms.start_unix_s = 1_700_000_000.25;
    // The host timer probe: 150 sleeps every 2 ms that woke 40..189 µs late (p50 114 µs, p99
    // 188 µs) before the load, and 1 000 during it, 50..1049 µs late.
    let mut during = onslaught::record::histograms::new_hist();
    for i in 0..1_000u64 {
        during.record(50_000 + i * 1_000).unwrap();
    }
    r.set_host_timer(&(0..150u64).map(|i| 40_000 + i * 1_000).collect::<Vec<_>>(), &during, 2_000_000);
    let dist = r.latency.clone();
    r.stages = vec![
        StageRow {
            index: 0,
            name: "ramp".into(),
            start_s: 0.0,
            end_s: 2.0,
            target: "0 -> 40 req/s".into(),
            intended: 80,
            ok: 80,
            errors: 0,
            achieved_rps: 40.0,
            latency: dist.clone(),
            sent: 80,
            incomplete: 0,
            conserved: true,
        },
        StageRow {
            index: 1,
            name: "steady".into(),
            start_s: 2.0,
            end_s: 5.0,
            target: "40 req/s".into(),
            intended: 120,
            ok: 115,
            errors: 5,
            achieved_rps: 40.0,
            latency: dist,
            sent: 120,
            incomplete: 0,
            conserved: true,
        },
    ];
    let row = |scope: &str, metric: &str, criterion: &str, threshold: f64, actual: Option<f64>, pass: bool| SloRow {
        scope: scope.into(),
        metric: Metric::from_name(metric).expect("a metric name"),
        criterion: criterion.into(),
        threshold,
        actual,
        pass,
    };
    r.slo = vec![
        row("total", "p99", "p99 <= 10ms", 0.01, Some(r.latency.p("p99") as f64 / 1e9), false),
        row("total", "error_rate", "error_rate <= 5%", 0.05, Some(r.rates.error_rate), true),
        row("endpoint:browse", "p95", "p95 <= 2s", 2.0, Some(r.endpoints[0].latency.p("p95") as f64 / 1e9), true),
        row("stage:steady", "throughput", "throughput >= 30 req/s", 30.0, None, false),
    ];
    r
}

fn render(w: fn(&Report, &mut Vec<u8>) -> std::io::Result<()>, r: &Report) -> String {
    let mut b = Vec::new();
    w(r, &mut b).unwrap();
    String::from_utf8(b).unwrap()
}

/// Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it (review the diff before committing).
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; create it with UPDATE_GOLDEN=1 cargo test --test reports", path.display())
    });
    if want != actual {
        let line = want.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from the golden file at line {}:\n want: {:?}\n  got: {:?}\n(UPDATE_GOLDEN=1 regenerates it on purpose)",
            line + 1,
            want.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onslaught-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn sample_run_is_what_was_recorded() {
    let r = sample();
    assert_eq!(r.counts.intended, INTERVALS * PER_INTERVAL);
    assert_eq!((r.counts.ok, r.counts.http_error, r.counts.timeout), (195, 4, 1));
    assert_eq!(r.timeline.len(), INTERVALS as usize);
    assert_eq!(r.histograms.intervals.len(), INTERVALS as usize);
    assert_eq!(r.endpoints.len(), 2);
}

#[test]
fn markdown_golden() {
    let md = render(report::markdown::write, &sample());
    assert!(md.contains("| p99 | <= 10ms |") && md.contains("| FAIL |"), "{md}");
    assert!(md.contains("| throughput (stage:steady) | >= 30 req/s | no data | FAIL |"), "{md}");
    assert!(md.contains("```mermaid") && md.contains("## Stages") && md.contains("## Endpoints"));
    golden("report.md", &md);
}

#[test]
fn json_golden() {
    golden("report.json", &render(report::json::write, &sample()));
}

#[test]
fn prometheus_golden() {
    golden("report.prom", &render(report::prometheus::write, &sample()));
}

#[test]
fn junit_golden() {
    golden("report.xml", &render(report::junit::write, &sample()));
}

#[test]
fn html_golden() {
    golden("report.html", &render(report::html::write, &sample()));
}

#[test]
fn hlog_golden() {
    golden("report.hlog", &render(report::hlog::write, &sample()));
}

#[test]
fn result_file_regenerates_byte_identical_reports() {
    let r = sample();
    let text = render(report::result::write, &r);
    let back = report::result::parse(&text).unwrap();
    for (name, w) in [
        ("markdown", report::markdown::write as fn(&Report, &mut Vec<u8>) -> std::io::Result<()>),
        ("json", report::json::write),
        ("prometheus", report::prometheus::write),
        ("junit", report::junit::write),
        ("html", report::html::write),
        ("hlog", report::hlog::write),
        ("result", report::result::write),
    ] {
        assert!(render(w, &r) == render(w, &back), "{name} differs after the result file round trip");
    }
    assert_eq!(back.hists.latency, r.hists.latency);
    assert_eq!(back.spectrum.len(), r.spectrum.len());
}

#[test]
fn result_file_errors_say_what_and_how() {
    let e = report::result::parse("{\"format\":\"onslaught-result\",\"version\":99}").unwrap_err();
    assert!(e.contains("version 99") && e.contains("use the onslaught that wrote it"), "{e}");
    let e = report::result::parse("{\"schema_version\":1}").unwrap_err();
    assert!(e.contains("not an onslaught result file") && e.contains("--out"), "{e}");
    assert!(report::result::parse("nope").unwrap_err().contains("not JSON"));
}

#[test]
fn hlog_is_read_back_by_the_hdrhistogram_log_reader_with_identical_counts() {
    let r = sample();
    let log = render(report::hlog::write, &r);
    let mut start = None;
    let mut untagged = Vec::new();
    let mut tagged = 0;
    for e in IntervalLogIterator::new(log.as_bytes()) {
        match e.expect("every line parses") {
            LogEntry::StartTime(t) => start = Some(t.as_secs_f64()),
            LogEntry::BaseTime(_) => {}
            LogEntry::Interval(i) => {
                let bytes = base64_decode(i.encoded_histogram());
                let h: hdrhistogram::Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
                match i.tag() {
                    None => untagged.push((i.start_timestamp().as_secs_f64(), h)),
                    Some(_) => tagged += 1,
                }
            }
        }
    }
    assert!((start.unwrap() - 1_700_000_000.25).abs() < 1e-3);
    assert_eq!(tagged, 2 * INTERVALS as usize);
    assert_eq!(untagged.len(), INTERVALS as usize);
    let snaps = snapshots();
    let mut total = 0;
    for ((t, h), s) in untagged.iter().zip(&snaps) {
        assert_eq!(*t, s.interval as f64);
        assert_eq!(h, &s.hists.latency, "interval {} histogram", s.interval);
        total += h.len();
    }
    assert_eq!(total, r.latency.count);
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn junit_validates_against_the_junit_schema() {
    let r = sample();
    let xml = render(report::junit::write, &r);
    assert_eq!(xml.matches("<testcase ").count(), r.slo.len() + 1);
    assert_eq!(xml.matches("<failure ").count(), 2, "p99 and the no-data throughput; the run itself is valid");
    assert!(xml.contains("name=\"run validity\" time=\"5.000\"/>"), "{xml}");
    assert!(xml.contains("actual no data"), "{xml}");
    let Some(xmllint) = tool("xmllint") else { return };
    let path = tmp("report.xml");
    std::fs::write(&path, &xml).unwrap();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit.xsd");
    let o = Command::new(xmllint).arg("--noout").arg("--schema").arg(&xsd).arg(&path).output().unwrap();
    assert!(o.status.success(), "xmllint: {}", String::from_utf8_lossy(&o.stderr));
}

/// `--md` writes the percentile spectrum as an SVG file beside the Markdown, linked from it: a
/// document xmllint parses, with the three curves drawn over the sample's data.
#[test]
fn markdown_links_its_percentile_spectrum_as_a_companion_svg() {
    let r = sample();
    let d = tmp("md-svg");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("result.json"), render(report::result::write, &r)).unwrap();
    let o = support::bin().args(["report", "result.json", "--md", "run.md"]).current_dir(&d).output().unwrap();
    assert!(support::text(&o).contains("Verdict"), "{}", support::text(&o));
    let md = std::fs::read_to_string(d.join("run.md")).unwrap();
    let svg = report::spectrum_chart::standalone(&r).expect("the sample has latencies");
    let at = report::files::spectrum_path(d.join("run.md").to_str().unwrap(), &svg);
    let name = at.file_name().unwrap().to_str().unwrap();
    assert!(md.ends_with(&format!("![Percentile spectrum: latency, service time and send lag]({name})\n")), "{md}");
    assert_eq!(std::fs::read_to_string(&at).unwrap(), svg, "the linked file is the chart");
    assert_eq!(svg.matches("<polyline class=\"series\"").count(), 3, "{svg}");
    assert!(svg.contains(">99%</text>") && svg.contains(">latency (from intended time)</text>"), "{svg}");
    let Some(xmllint) = tool("xmllint") else { return };
    let o = Command::new(xmllint).arg("--noout").arg(&at).output().unwrap();
    assert!(o.status.success(), "xmllint: {}", String::from_utf8_lossy(&o.stderr));
}

/// One sample line of the exposition format: name{label="value",...} number.
/// (metric name, labels in order, value).
type Sample = (String, Vec<(String, String)>, f64);

fn parse_sample(line: &str) -> Result<Sample, String> {
    let (series, value) = line.rsplit_once(' ').ok_or("no value")?;
    let value: f64 = value.parse().map_err(|_| format!("bad value '{value}'"))?;
    let (name, labels) = match series.split_once('{') {
        Some((n, rest)) => (n, rest.strip_suffix('}').ok_or("unclosed '{'")?),
        None => (series, ""),
    };
    let name_ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    if !name_ok(name) {
        return Err(format!("bad metric name '{name}'"));
    }
    let mut out = Vec::new();
    let mut rest = labels;
    while !rest.is_empty() {
        let (k, v) = rest.split_once("=\"").ok_or("label without =\"")?;
        if !name_ok(k) {
            return Err(format!("bad label name '{k}'"));
        }
        let mut val = String::new();
        let mut chars = v.char_indices();
        let end = loop {
            match chars.next().ok_or("unterminated label value")? {
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    'n' => val.push('\n'),
                    c @ ('\\' | '"') => val.push(c),
                    c => return Err(format!("bad escape \\{c}")),
                },
                (i, '"') => break i,
                (_, c) => val.push(c),
            }
        };
        out.push((k.to_string(), val));
        rest = v[end + 1..].strip_prefix(',').unwrap_or(&v[end + 1..]);
    }
    Ok((name.to_string(), out, value))
}

#[test]
fn prometheus_parses_as_the_exposition_format() {
    let r = sample();
    let text = render(report::prometheus::write, &r);
    let mut typed = std::collections::HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# TYPE ") {
            let (name, kind) = t.split_once(' ').unwrap();
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(typed.insert(name.to_string(), kind.to_string()).is_none(), "TYPE twice: {line}");
        } else if !line.starts_with("# HELP ") {
            samples.push(parse_sample(line).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
    }
    for (name, labels, _) in &samples {
        assert!(typed.contains_key(name), "sample before/without its TYPE: {name}");
        assert_eq!(labels[0].0, "run");
        assert_eq!(labels[0].1, "checkout");
    }
    let get = |name: &str, endpoint: &str, extra: Option<(&str, &str)>| {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && l.iter().any(|(k, v)| k == "endpoint" && v == endpoint)
                    && extra.is_none_or(|(ek, ev)| l.iter().any(|(k, v)| k == ek && v == ev))
            })
            .unwrap_or_else(|| panic!("no {name} for {endpoint}"))
            .2
    };
    assert_eq!(get("loadtest_latency_p99_seconds", "all", None), r.latency.p("p99") as f64 / 1e9);
    assert_eq!(get("loadtest_latency_p95_seconds", "buy \"now\"", None), r.endpoints[1].latency.p("p95") as f64 / 1e9);
    assert_eq!(get("loadtest_requests_total", "all", Some(("outcome", "timeout"))), 1.0);
    assert_eq!(get("loadtest_requests_total", "all", Some(("outcome", "http_error"))), 4.0);
    assert_eq!(get("loadtest_error_rate", "all", None), r.rates.error_rate);
    assert_eq!(get("loadtest_slo_pass", "all", Some(("criterion", "p99 <= 10ms"))), 0.0);
    assert_eq!(get("loadtest_slo_pass", "browse", Some(("criterion", "p95 <= 2s"))), 1.0);
    assert_eq!(get("loadtest_throughput_rps", "all", None), r.rates.throughput_rps);
    let Some(promtool) = tool("promtool") else { return };
    promtool_checks(promtool, &text);
}

#[test]
fn html_is_self_contained_and_renders_its_charts_in_chromium() {
    let html = render(report::html::write, &sample());
    for banned in ["<script", "src=", "href=", "@import", "url(", "<link"] {
        assert!(!html.contains(banned), "the HTML report must need nothing from outside: found {banned}");
    }
    for id in ["latency-chart", "throughput-chart", "outcome-chart", "id=\"slo\"", "id=\"endpoints\"", "id=\"stages\""]
    {
        assert!(html.contains(id), "{id} missing");
    }
    let Some(_) = tool("chromium") else { return };
    let path = tmp("report.html");
    std::fs::write(&path, &html).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/html-check.sh");
    let o = Command::new("bash").arg(script).arg(&path).arg(tmp("report.png")).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "html-check.sh: {text}");
    assert!(text.contains("html-check: ok"), "{text}");
}

#[test]
fn html_spectrum_draws_latency_service_time_and_send_lag_on_the_log_percentile_axis() {
    let r = sample();
    let html = render(report::html::write, &r);
    let svg =
        html.split("<svg id=\"spectrum-chart\"").nth(1).expect("the spectrum chart").split("</svg>").next().unwrap();
    for name in ["latency (from intended time)", "service time (from send)", "send lag"] {
        let line =
            svg.lines().find(|l| l.contains(&format!("data-series=\"{name}\""))).unwrap_or_else(|| panic!("{name}"));
        // Points from 0% to the last tick, 20 per nine.
        let nines = (r.hists.latency.len() as f64).log10().ceil().clamp(2.0, 6.0) as usize;
        assert_eq!(line.matches(',').count(), nines * 20 + 1, "{name}");
    }
    for tick in [">0%<", ">90%<", ">99%<"] {
        assert!(svg.contains(tick), "{tick}");
    }
    // Latency from the intended time is never below service time from the send, percentile by
    // percentile: the latency curve lies on or above (smaller y) the service-time curve.
    let ys = |name: &str| -> Vec<f64> {
        let l = svg.lines().find(|l| l.contains(&format!("data-series=\"{name}\""))).unwrap();
        let pts = l.split("points=\"").nth(1).unwrap().trim_end_matches("\"/>");
        pts.split(' ').map(|p| p.split(',').nth(1).unwrap().parse().unwrap()).collect()
    };
    let (lat, svc) = (ys("latency (from intended time)"), ys("service time (from send)"));
    assert!(lat.iter().zip(&svc).all(|(l, s)| l <= s), "{lat:?} {svc:?}");
}

#[test]
fn long_runs_chart_at_most_the_point_budget() {
    let mut r = sample();
    let row = r.timeline[0].clone();
    r.timeline = (0..3_600u64).map(|k| merge::TimelineRow { interval: k, start_s: k as f64, ..row.clone() }).collect();
    let md = render(report::markdown::write, &r);
    let xaxis = md.lines().find(|l| l.contains("x-axis")).unwrap();
    assert_eq!(xaxis.matches(',').count() + 1, 60, "{xaxis}");
    let html = render(report::html::write, &r);
    let poly = html.lines().find(|l| l.contains("data-series=\"p99\"")).unwrap();
    assert_eq!(poly.matches(',').count(), 300);
}

#[test]
fn pushgateway_receives_the_exposition_by_put() {
    let r = sample();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Read, Write};
        let mut got = Vec::new();
        for answer in [
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\n\r\nbad label",
        ] {
            let (s, _) = listener.accept().unwrap();
            let mut rd = BufReader::new(s.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0;
            loop {
                let mut l = String::new();
                rd.read_line(&mut l).unwrap();
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                head.push_str(&l);
                if l == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            rd.read_exact(&mut body).unwrap();
            (&s).write_all(answer.as_bytes()).unwrap();
            got.push((head, String::from_utf8(body).unwrap()));
        }
        got
    });
    let gw = format!("http://{addr}");
    report::push::push(&r, &gw).expect("a 200 is success");
    let e = report::push::push(&r, &gw).unwrap_err();
    assert!(e.contains("400 Bad Request") && e.contains("bad label"), "{e}");
    let got = server.join().unwrap();
    let (head, body) = &got[0];
    assert!(head.starts_with("PUT /metrics/job/onslaught/run/checkout HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/plain; version=0.0.4"), "{head}");
    assert_eq!(body, &render(report::prometheus::write, &r));
}

#[test]
fn compare_flags_a_p99_regression_and_shows_endpoints() {
    let base = sample();
    let mut cand = sample();
    cand.latency.percentiles.insert("p99".into(), base.latency.p("p99") * 2);
    let tol = [report::compare::parse_tolerance("p99=10%").unwrap()];
    let mut out = Vec::new();
    let reg = report::compare::write(&base, &cand, ("a.json", "b.json"), &tol, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(reg.len(), 1, "{text}");
    assert!(reg[0].starts_with("p99 +100.0%"), "{reg:?}");
    assert!(text.contains("| latency p99 |") && text.contains("**REGRESSION**"), "{text}");
    assert!(text.contains("| browse | p99 |"), "{text}");
    let same = report::compare::write(&base, &base, ("a", "a"), &tol, &mut Vec::new()).unwrap();
    assert!(same.is_empty());
}
