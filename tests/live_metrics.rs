//! Live metrics: during a bounded run, `--metrics-listen 127.0.0.1:0` (address printed on stderr)
//! serves valid exposition (promtool) whose counters only grow and whose final values equal the
//! `--prom` file's; `--push-every` pushes the live exposition to a Pushgateway during the run; the
//! Grafana dashboard in docs/grafana/ queries only metric names the exporter emits.
mod support;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use support::*;

/// Two named stages: 1 s at 20/s, then 1 s at 40/s; three endpoints.
const PLAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plans/profiles.yaml");
const INTENDED: u64 = 20 + 40;

struct Observed {
    /// Every scrape, in order; the last has `loadtest_run_finished 1`.
    scrapes: Vec<String>,
    /// The `--prom` file.
    file: String,
    /// Bodies PUT to the fake Pushgateway, in order.
    pushes: Vec<String>,
    /// Requests the built-in target answered.
    served: u64,
}

/// `name{labels}` → value, for every sample line.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

/// The family names a text declares (`# TYPE name kind`).
fn families(text: &str) -> BTreeSet<String> {
    text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).map(|l| l.split(' ').next().unwrap().to_string()).collect()
}

fn get(addr: &str) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    write!(c, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut s = String::new();
    c.read_to_string(&mut s).unwrap();
    assert!(s.starts_with("HTTP/1.1 200 OK"), "{s}");
    s.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// A Pushgateway stand-in: answers every request 200 and keeps each body.
fn fake_gateway() -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let b = bodies.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let mut r = BufReader::new(c);
            let mut len = 0usize;
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 2 {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                line.clear();
            }
            let mut body = vec![0u8; len];
            r.read_exact(&mut body).unwrap();
            b.lock().unwrap().push(String::from_utf8(body).unwrap());
            let _ = r.get_mut().write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (addr, bodies)
}

/// One bounded run of PLAN, scraped every 250 ms until its final values are out (at most 60 s).
fn observe() -> &'static Observed {
    static ONCE: OnceLock<Observed> = OnceLock::new();
    ONCE.get_or_init(|| observe_plan(PLAN))
}

/// The same for the three-scenario plan of tests/scenarios.rs.
fn observe_scenarios() -> &'static Observed {
    static ONCE: OnceLock<Observed> = OnceLock::new();
    ONCE.get_or_init(|| observe_plan(SCENARIOS))
}

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plans/scenarios.yaml");

fn observe_plan(plan: &str) -> Observed {
    {
        let _x = exclusive();
        let srv = target(|_| {});
        let (gateway, pushed) = fake_gateway();
        let prom = scratch("live", "run").join("run.prom");
        let set = format!("target.base_url=http://{}", srv.addr);
        let gw = format!("http://{gateway}");
        let mut child = bin()
            .args(["run", plan, "--set", &set, "-q"])
            .args(["--metrics-listen", "127.0.0.1:0", "--metrics-hold", "30s", "--prom", prom.to_str().unwrap()])
            .args(["--push-gateway", &gw, "--push-every", "1s"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(err.read_line(&mut line).unwrap() > 0, "the run ended without printing its metrics address");
            if let Some(rest) = line.trim().strip_prefix("onslaught: live metrics at http://") {
                break rest.trim_end_matches("/metrics").to_string();
            }
        };
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        let (mut scrapes, started) = (Vec::new(), Instant::now());
        loop {
            let body = get(&addr);
            let done = samples(&body).iter().any(|(k, v)| k.starts_with("loadtest_run_finished") && *v == 1.0);
            scrapes.push(body);
            if done || started.elapsed() > Duration::from_secs(60) {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "the run passes");
        let served = srv.stats().requests;
        srv.stop();
        let pushes = pushed.lock().unwrap().clone();
        Observed { scrapes, file: std::fs::read_to_string(&prom).unwrap(), pushes, served }
    }
}

#[test]
fn scrapes_during_a_run_are_valid_only_grow_and_end_equal_to_the_prom_file() {
    let o = observe();
    let last = samples(o.scrapes.last().unwrap());
    assert_eq!(last.get("loadtest_run_finished{run=\"profiles\"}"), Some(&1.0), "the run ended: {last:?}");
    let ok = "loadtest_requests_total{run=\"profiles\",endpoint=\"all\",outcome=\"ok\"}";
    assert_eq!(last[ok], INTENDED as f64, "every intended request ok");
    assert_eq!(o.served, INTENDED, "the target answered each once");
    let stage_ok =
        |s: &str| last[&format!("loadtest_stage_requests_total{{run=\"profiles\",stage=\"{s}\",outcome=\"ok\"}}")];
    assert_eq!((stage_ok("warm"), stage_ok("plateau")), (20.0, 40.0), "stages by name");
    // Scraped mid-run: some requests counted, the run not finished.
    let mid = o.scrapes.iter().map(|s| samples(s)).filter(|s| s.get(ok).is_some_and(|v| *v > 0.0));
    assert!(mid.filter(|s| s["loadtest_run_finished{run=\"profiles\"}"] == 0.0).count() >= 2, "{}", o.scrapes.len());
    // Counters only grow, scrape after scrape.
    let counters: Vec<String> = o
        .scrapes
        .last()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter(|l| l.ends_with(" counter"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert!(counters.len() >= 2, "{counters:?}");
    let mut seen: BTreeMap<String, f64> = BTreeMap::new();
    for s in &o.scrapes {
        let is_counter = |k: &str| counters.iter().any(|c| k.starts_with(&format!("{c}{{")));
        for (k, v) in samples(s).into_iter().filter(|(k, _)| is_counter(k)) {
            let before = seen.insert(k.clone(), v).unwrap_or(0.0);
            assert!(v >= before, "{k} went from {before} to {v}");
        }
    }
    // The final scrape holds the file's every sample, with the same value.
    let file = samples(&o.file);
    assert!(file.len() > 10, "{}", o.file);
    for (k, v) in &file {
        assert_eq!(last.get(k), Some(v), "{k}");
    }
    let Some(promtool) = tool("promtool") else { return };
    for s in &o.scrapes {
        promtool_checks(promtool, s);
    }
}

#[test]
fn push_every_pushes_the_live_exposition_during_the_run() {
    let o = observe();
    let live = o.pushes.iter().filter(|b| b.contains("loadtest_run_finished{run=\"profiles\"} 0")).count();
    assert!(live >= 1, "pushed during the run: {} pushes", o.pushes.len());
    // The end-of-run push is the file's exposition, as without --push-every.
    assert_eq!(o.pushes.last().map(String::as_str), Some(o.file.as_str()));
}

#[test]
fn the_grafana_dashboard_queries_only_metrics_the_exporter_emits() {
    let o = observe();
    // A plan with scenarios emits their families too: the dashboard may query both.
    let emitted: BTreeSet<String> = families(o.scrapes.last().unwrap())
        .union(&families(observe_scenarios().scrapes.last().unwrap()))
        .cloned()
        .collect();
    for f in onslaught::report::live::FAMILIES.iter().chain(&onslaught::report::live::SCENARIO_FAMILIES) {
        assert!(emitted.contains(*f), "{f} is documented but not emitted");
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana/onslaught.json");
    let dash: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let panels = dash["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8, "{}", panels.len());
    let mut used = BTreeSet::new();
    for p in panels {
        let targets = p["targets"].as_array().unwrap_or_else(|| panic!("panel {} has no targets", p["title"]));
        assert!(!targets.is_empty(), "panel {}", p["title"]);
        for t in targets {
            let expr = t["expr"].as_str().unwrap_or_else(|| panic!("panel {}: a target without expr", p["title"]));
            used.extend(metric_names(expr));
        }
    }
    used.extend(metric_names(dash["templating"]["list"][0]["query"]["query"].as_str().unwrap()));
    let unknown: Vec<_> = used.iter().filter(|n| !emitted.contains(*n)).collect();
    assert!(unknown.is_empty(), "the dashboard queries metrics nothing emits: {unknown:?}");
    assert!(used.len() >= 12, "{used:?}");
}

/// Identifiers in a PromQL expression that name onslaught's metrics.
fn metric_names(expr: &str) -> Vec<String> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with("loadtest_"))
        .map(str::to_string)
        .collect()
}

/// A plan with scenarios: each interval has per-scenario and per-endpoint series (the same names
/// and labels as the file's), valid exposition; per-scenario interval counts add up to what each
/// scenario's file counter says at the end, and the final scrape equals the file.
#[test]
fn scenario_runs_show_each_scenario_and_endpoint_per_interval() {
    let o = observe_scenarios();
    let last = samples(o.scrapes.last().unwrap());
    let file = samples(&o.file);
    for (k, v) in &file {
        assert_eq!(last.get(k), Some(v), "{k}");
    }
    let sc = |s: &str| format!("{{run=\"scenarios\",scenario=\"{s}\"}}");
    let total = |s: &str| {
        file[&format!("loadtest_scenario_requests_total{{run=\"scenarios\",scenario=\"{s}\",outcome=\"ok\"}}")]
    };
    assert_eq!(total("api"), 150.0, "50/s for 3 s");
    // Mid-run scrapes: the open scenario offered its rate in the interval, the users were active,
    // each endpoint had its own latency series.
    let mid: Vec<_> = o
        .scrapes
        .iter()
        .map(|s| samples(s))
        .filter(|s| s.get("loadtest_run_finished{run=\"scenarios\"}") == Some(&0.0))
        .collect();
    let offered = format!("loadtest_interval_scenario_offered_rps{}", sc("api"));
    let seen: Vec<f64> = mid.iter().filter_map(|s| s.get(&offered).copied()).collect();
    assert!(seen.contains(&50.0), "the api scenario offered 50/s in a full interval: {seen:?}");
    let users = format!("loadtest_scenario_active_users{}", sc("users"));
    assert!(mid.iter().any(|s| s.get(&users) == Some(&20.0)), "20 users active mid-run");
    assert!(mid.iter().any(|s| s.get(&format!("loadtest_scenario_active_users{}", sc("api"))) == Some(&0.0)));
    let slow = "loadtest_interval_latency_p50_seconds{run=\"scenarios\",endpoint=\"learner/slow\"}";
    assert!(mid.iter().any(|s| s.get(slow).is_some_and(|v| *v >= 0.1)), "the slowed step's own latency per interval");
    let errors = "loadtest_interval_errors{run=\"scenarios\",endpoint=\"home\",class=\"timeout\"}";
    assert!(mid.iter().any(|s| s.get(errors) == Some(&0.0)), "errors by class per endpoint");
    let Some(promtool) = tool("promtool") else { return };
    for s in &o.scrapes {
        promtool_checks(promtool, s);
    }
}

/// A `--metrics-listen` address that cannot be bound is a configuration error: exit 2, one line
/// naming the flag, and nothing sent to the target.
#[test]
fn an_unusable_metrics_address_is_exit_2_before_any_load() {
    let srv = target(|_| {});
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let url = format!("http://{}/", srv.addr);
    for (addr, want) in [
        (taken.as_str(), format!("--metrics-listen {taken}: cannot listen")),
        ("localhost:9464", "--metrics-listen 'localhost:9464': not an address".to_string()),
    ] {
        let o = bin()
            .args(["run", "--url", &url, "-R", "10", "-d", "1s", "-q", "--metrics-listen", addr])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&want), "{err}");
    }
    let o = bin().args(["run", "--url", &url, "-R", "10", "-d", "1s", "-q", "--push-every", "15s"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "--push-every needs --push-gateway");
    assert_eq!(srv.stats().requests, 0, "nothing was sent");
    srv.stop();
}
