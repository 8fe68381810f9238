//! Scenarios: several traffic models in one run, in one engine on the same cores. Three at once
//! (20 users looping a slowed 4-step journey, a constant 50/s API mix, a health check every
//! 500 ms): each scenario's counts equal the built-in target's own per-path counts exactly, the
//! open scenario's rate holds while the users are slowed, conservation holds per scenario and in
//! total. Under a stalling target the open scenario follows MEASUREMENT.md §5 while the closed
//! one shows the closed model's picture (docs/latency-model.md). Bad scenario plans: one error
//! each, with file:line:column, exit 2.
mod support;
use onslaught::report::{Report, ScenarioRow};
use onslaught::serve::paths::PathCounts;
use std::path::Path;
use support::*;

const PLAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plans/scenarios.yaml");
/// The host pausing this VM: a pause of P adds at most P to any sample (co_contract.rs).
const PAUSE_MS: f64 = 40.0;

fn scenario<'r>(r: &'r Report, name: &str) -> &'r ScenarioRow {
    r.scenarios.iter().find(|s| s.row.name == name).unwrap_or_else(|| panic!("no scenario {name}: {:?}", r.scenarios))
}

fn requests(r: &Report, name: &str) -> u64 {
    r.endpoints.iter().find(|e| e.name == name).map_or(0, |e| e.requests)
}

/// A scenario's latency histogram, from the report's encoded ones.
fn latency(r: &Report, name: &str) -> hdrhistogram::Histogram<u64> {
    let h = r.histograms.scenarios.iter().find(|h| h.name == name).expect("a histogram per scenario");
    h.latency.decode().unwrap()
}

fn run_plan(plan: &str, extra: &[&str], stall: Option<onslaught::serve::Stall>) -> (Report, PathCounts) {
    let srv = target(|o| o.stall = stall);
    let set = format!("target.base_url=http://{}", srv.addr);
    let mut args = vec![plan, "--set", &set, "-q"];
    args.extend_from_slice(extra);
    let r = run(&args);
    let paths = srv.paths();
    srv.stop();
    (r, paths)
}

/// Every scenario conserved, and the scenarios add up to the run.
fn assert_conserved(r: &Report) {
    assert!(r.counts.conserved, "{:?}", r.counts);
    for s in &r.scenarios {
        assert!(s.row.conserved, "{}: {:?}", s.row.name, s.row);
    }
    assert_eq!(r.scenarios.iter().map(|s| s.row.intended).sum::<u64>(), r.counts.intended);
    assert_eq!(r.scenarios.iter().map(|s| s.row.ok).sum::<u64>(), r.counts.ok);
}

#[test]
fn three_scenarios_count_exactly_and_the_open_rate_holds_while_users_are_slowed() {
    let _x = exclusive();
    let (r, paths) = run_plan(PLAN, &[], None);
    assert_conserved(&r);
    assert_eq!(r.counts.ok, r.counts.intended, "{:?}", r.verdict.reasons);
    // Each scenario's requests, and only those, reached its own paths.
    let users = scenario(&r, "users");
    let steps = ["learner/login", "learner/slow", "learner/lesson", "learner/logout"];
    let targets = ["POST /login", "/delay/MS", "GET /api/items/N", "POST /logout"];
    for (step, path) in steps.iter().zip(targets) {
        assert_eq!(paths.get(path), requests(&r, step), "{step}: {paths:?}");
    }
    assert_eq!(users.row.intended, targets.iter().map(|p| paths.get(p)).sum::<u64>(), "{paths:?}");
    let api = scenario(&r, "api");
    assert_eq!((paths.get("/"), paths.get("/bytes/N")), (requests(&r, "home"), requests(&r, "bytes")));
    assert_eq!(api.row.intended, paths.get("/") + paths.get("/bytes/N"));
    let health = scenario(&r, "health");
    assert_eq!(paths.get("/health"), health.row.intended);
    assert_eq!(paths.0.iter().sum::<u64>(), r.counts.intended, "{paths:?}");
    // The open scenarios follow their own schedules exactly: R·D arrivals, sent in the window but
    // for those a pause of the VM at the very end could push past it (R·PAUSE).
    assert_eq!(api.row.intended, 150, "{:?}", api.row);
    let late = (50.0 * PAUSE_MS / 1000.0).ceil() as u64;
    assert!(api.row.sent + late >= 150 && api.row.sent <= 150, "{:?}", api.row);
    assert!(api.row.achieved_rps >= 50.0 * (150 - late) as f64 / 150.0, "{:?}", api.row);
    assert_eq!(health.row.intended, 6, "every 500 ms for 3 s");
    // The users are slowed by the journey's 100 ms step: each iteration takes at least
    // 100 ms + 3 × 50 ms of think, so 20 users start at most 20·ceil(3 s / 250 ms) iterations;
    // the slowdown shows in that step's latency, not in the open scenario's rate or latency.
    assert!(requests(&r, "learner/login") <= 20 * 12, "{}", requests(&r, "learner/login"));
    assert!(requests(&r, "learner/login") >= 20, "every user ran");
    let slow = r.endpoints.iter().find(|e| e.name == "learner/slow").unwrap();
    assert!(ms(slow.latency.p("p50")) >= 100.0, "{:?}", slow.latency);
    assert!(ms(api.row.latency.p("p95")) < 2.0 + PAUSE_MS, "{:?}", api.row.latency);
    assert_eq!((users.model.as_str(), api.model.as_str()), ("closed", "open"));
    assert_eq!(users.endpoints, steps);
    let slo = r.slo.iter().find(|s| s.scope == "scenario:api").expect("the plan's scenario SLO");
    assert!(slo.pass, "{slo:?}");
    assert_every_writer_shows_the_scenarios(&r);
}

/// Every writer has a per-scenario part, and the result file keeps it (so `report` and `merge`
/// regenerate it).
fn assert_every_writer_shows_the_scenarios(r: &Report) {
    use onslaught::report::{html, json, markdown, prometheus, result};
    let mut md = Vec::new();
    markdown::write(r, &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.contains("## Scenarios") && md.contains("| api | open | 0-3 s | 50 req/s | 16 | 150 | 150 | 0 |"),
        "{md}"
    );
    let mut html = Vec::new();
    html::write(r, &mut html).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<table id=\"scenarios\">") && html.contains("<td>users</td><td>closed</td>"), "{html}");
    // Each scenario's own percentile spectrum: latency, service time and send lag.
    assert_eq!(html.matches("<svg class=\"spectrum-scenario\"").count(), r.scenarios.len(), "{html}");
    for sc in &r.scenarios {
        let at = html.find(&format!("data-scenario=\"{}\"", sc.row.name)).expect("the scenario's spectrum");
        let chart = &html[at..at + html[at..].find("</svg>").unwrap()];
        assert_eq!(chart.matches("<polyline class=\"series\"").count(), 3, "{chart}");
    }
    let mut prom = Vec::new();
    prometheus::write(r, &mut prom).unwrap();
    let prom = String::from_utf8(prom).unwrap();
    assert!(
        prom.contains("loadtest_scenario_requests_total{run=\"scenarios\",scenario=\"api\",outcome=\"ok\"} 150"),
        "{prom}"
    );
    let mut j = Vec::new();
    json::write(r, &mut j).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
    assert_eq!(v["scenarios"][1]["name"], "api");
    assert_eq!(v["scenarios"][1]["intended"], 150);
    let mut out = Vec::new();
    result::write(r, &mut out).unwrap();
    let back = result::parse(std::str::from_utf8(&out).unwrap()).unwrap();
    assert_eq!(back.scenarios.len(), 3);
    assert_eq!(back.histograms.scenarios.len(), 3);
    // Kept per scenario: service time for every response its latency counts, send lag per send.
    for h in &back.histograms.scenarios {
        let latency = h.latency.decode().unwrap();
        let service = h.service_time.as_ref().expect("service time kept").decode().unwrap();
        let lag = h.send_lag.as_ref().expect("send lag kept").decode().unwrap();
        assert!(
            !latency.is_empty() && service.len() == latency.len(),
            "{}: {} {}",
            h.name,
            latency.len(),
            service.len()
        );
        assert!(lag.len() >= latency.len(), "{}: {} sends, {} responses", h.name, lag.len(), latency.len());
    }
    let mut terminal = Vec::new();
    let opts = onslaught::report::terminal::Options { spectrum: false, color: false };
    onslaught::report::terminal::write(r, &opts, &mut terminal).unwrap();
    let terminal = String::from_utf8(terminal).unwrap();
    assert!(terminal.contains("Scenario") && terminal.contains("users      closed"), "{terminal}");
}

/// plans/platform.yaml as written runs its four scenarios at once against the built-in target
/// (the smoke profile, each scenario cut to 2 s): every scenario's requests land on its own paths.
#[test]
fn the_platform_plan_runs_its_scenarios_against_the_built_in_target() {
    let _x = exclusive();
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/plans/platform.yaml");
    let cut = [
        "scenarios.learners.load.shape.duration=2s",
        "scenarios.admins.load.shape.duration=2s",
        "scenarios.health.load.stages[0].duration=2s",
        "scenarios.background.load.shape.duration=2s",
    ];
    let mut extra = vec!["--profile", "smoke"];
    for c in &cut {
        extra.extend(["--set", c]);
    }
    let (r, p) = run_plan(plan, &extra, None);
    assert_conserved(&r);
    assert_eq!(r.counts.ok, r.counts.intended, "{:?}", r.verdict.reasons);
    let names: Vec<&str> = r.scenarios.iter().map(|s| s.row.name.as_str()).collect();
    assert_eq!(names, ["learners", "admins", "health", "background"]);
    let n = |names: &[&str]| -> u64 { names.iter().map(|n| requests(&r, n)).sum() };
    assert_eq!(scenario(&r, "background").row.intended, 2, "1/s for 2 s");
    assert_eq!(p.get("POST /webhooks/NAME") + p.get("/status/CODE"), n(&["webhook", "cron"]));
    assert_eq!(scenario(&r, "health").row.intended, p.get("/health"));
    assert_eq!(p.get("POST /login"), n(&["learner/login", "admin/login"]));
    assert_eq!(scenario(&r, "learners").row.intended, n(&["learner/login", "learner/dashboard", "learner/lesson"]));
    assert!(requests(&r, "learner/login") >= 3 && requests(&r, "admin/login") >= 1, "every user logged in");
    assert_eq!(p.0.iter().sum::<u64>(), r.counts.intended, "{p:?}");
}

/// The stall plan: an open scenario at R = 200/s with a connection per frozen request (C = 150 >
/// R·S = 100: no drain term), and 10 closed users looping one request with 50 ms think time, both
/// against a target that freezes S = 500 ms every T = 2 s; the second stall ends with the run.
const STALL_PLAN: &str = "
target: { base_url: http://127.0.0.1:8080, cores: \"1\", timeout: 5s }
scenarios:
  - name: arrivals
    connections: 150
    load: { stages: [{ duration: 4s, rate: 200 }] }
    endpoints: [{ name: item, path: /delay/1 }]
  - name: users
    load: { stages: [{ duration: 4s, users: 10 }] }
    endpoints: [{ name: home, path: /, think: 50ms }]
";

/// d + S − T·(1 − q) in ms (MEASUREMENT.md §5); d below the knee.
fn model(q: f64, d: f64, s: f64, t: f64) -> f64 {
    if q <= 1.0 - s / t { d } else { d + s - t * (1.0 - q) }
}

#[test]
fn under_a_stall_the_open_scenario_follows_the_model_and_the_closed_one_shows_one_slow_request_per_user() {
    let _x = exclusive();
    let dir = scratch("scenarios", "stall");
    let plan = dir.join("stall.yaml");
    std::fs::write(&plan, STALL_PLAN).unwrap();
    let (r, paths) = run_plan(plan.to_str().unwrap(), &[], stall(500, 2000, 1500));
    assert_conserved(&r);
    assert_eq!(r.counts.ok, r.counts.intended, "{:?}", r.verdict.reasons);
    let open = scenario(&r, "arrivals");
    assert_eq!((open.row.intended, paths.get("/delay/MS")), (800, 800));
    let h = latency(&r, "arrivals");
    let (d, s, t) = (1.0, 500.0, 2000.0);
    // Just below and above the knee (q = 0.75), never at it; tolerances as in co_contract.rs.
    for q in [0.5, 0.7, 0.8, 0.9, 0.95, 0.99] {
        let (got, want) = (ms(h.value_at_quantile(q)), model(q, d, s, t));
        let tol = want * 0.001 + (2.0f64).max(want * 0.005) + PAUSE_MS;
        assert!((got - want).abs() <= tol, "open q={q}: {got:.2} ms, model {want:.2} ± {tol:.2}");
    }
    // Closed model: each user has exactly one request caught by each stall (it waits out the
    // rest of the stall; 50 ms of think means it was sent within ~51 ms of the stall's start, so
    // it waits over 400 ms); the requests it would have made meanwhile never exist.
    let closed = scenario(&r, "users");
    assert_eq!(closed.row.intended, paths.get("/"));
    let h = latency(&r, "users");
    let slow = h.count_between(300_000_000, u64::MAX);
    assert_eq!(slow, 10 * 2, "one slow request per user per stall");
    // Everything else is fast: the stall is 20 samples of the closed scenario, a tail its
    // percentiles show only beyond 1 − 20/N, while the open scenario's p90 is over 300 ms.
    let fast = h.count_between(0, ((d + PAUSE_MS) * 1e6) as u64);
    assert_eq!(fast + slow, closed.row.ok, "nothing between a normal answer and a stalled one");
    assert!(ms(closed.row.latency.p("p50")) < d + PAUSE_MS, "{:?}", closed.row.latency);
    assert!(ms(open.row.latency.p("p95")) > 300.0, "{:?}", open.row.latency);
}

fn errors(text: &str) -> Vec<onslaught::plan::PlanError> {
    onslaught::plan::load_str(text, Path::new("p.yaml"), &[], &[]).expect_err("the plan is invalid")
}

const HEAD: &str = "target: { base_url: http://127.0.0.1:8080 }\n";

#[test]
fn bad_scenarios_are_one_positioned_error_each() {
    let cases: [(&str, (usize, usize), &str, &str); 5] = [
        (
            "scenarios:\n  - { name: a, load: { stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: x, path: / }] }\n  - { name: a, load: { stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: y, path: / }] }\n",
            (4, 13),
            "scenarios[1].name",
            "already used by scenarios[0]",
        ),
        (
            "scenarios:\n  - name: a\n    load: { stages: [{ duration: 1s, rate: 1 }] }\n",
            (3, 9),
            "scenarios[0].endpoints",
            "nothing to send",
        ),
        (
            "load: { stages: [{ duration: 1s, rate: 1 }] }\nscenarios:\n  - { name: a, load: { stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: x, path: / }] }\n",
            (2, 1),
            "load",
            "`load` beside `scenarios`",
        ),
        (
            "scenarios:\n  - { name: a, load: { stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: x, path: / }] }\nslo:\n  scenarios:\n    b: { p99: 1s }\n",
            (6, 5),
            "slo.scenarios.b",
            "`b` is not a scenario of this plan",
        ),
        (
            "scenarios:\n  - { name: a, load: { warmup: 2s, stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: x, path: / }] }\n",
            (3, 24),
            "scenarios[0].load.warmup",
            "no warm-up of its own",
        ),
    ];
    for (body, at, path, message) in cases {
        let errs = errors(&format!("{HEAD}{body}"));
        assert_eq!(errs.len(), 1, "{errs:#?}");
        let e = &errs[0];
        assert_eq!(((e.line, e.column), e.path.as_str()), (at, path), "{e}");
        assert!(e.message.contains(message), "{e}");
        assert!(e.to_string().starts_with(&format!("p.yaml:{}:{}: ", at.0, at.1)), "{e}");
    }
}

#[test]
fn bad_scenario_input_exits_2_and_sends_nothing() {
    let dir = scratch("scenarios", "bad");
    let bad = dir.join("dup.yaml");
    let dup = "scenarios:\n  - { name: a, load: { stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: x, path: / }] }\n  - { name: a, load: { stages: [{ duration: 1s, rate: 1 }] }, endpoints: [{ name: y, path: / }] }\n";
    std::fs::write(&bad, format!("{HEAD}{dup}")).unwrap();
    let o = bin().args(["run", bad.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("dup.yaml:4:13: scenarios[1].name"), "{}", text(&o));
    for slo in ["scenario:nope:p99=1s", "scenario:api:endpoint:health:p99=1s"] {
        let o = bin().args(["run", PLAN, "--slo", slo]).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("slo:"), "{}", text(&o));
    }
    let o = bin().args(["run", PLAN, "-c", "10"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--connections/-c: a plan with scenarios has a load per scenario"), "{}", text(&o));
}

#[test]
fn check_prints_each_scenarios_schedule_and_profiles_override_a_scenarios_load() {
    let o = bin().args(["check", PLAN]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    for line in
        ["scenario  users  (starts at +0s, one connection per user)", "scenario  api  (starts at +0s, 16 connections)"]
    {
        assert!(out.contains(line), "{out}");
    }
    // The api scenario's 150 arrivals, the health scenario's 6.
    assert!(out.contains("   total                    3s  3s measured                   150          150"), "{out}");
    assert!(out.contains("   total                    3s  3s measured                     6            6"), "{out}");
    let o = bin().args(["check", PLAN, "--profile", "busy"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("       1         0s         2s  100                           200          200"), "{out}");
}

/// Regression: an open scenario with fewer connections than cores (a probe with one) left the
/// slots of the cores without one of its connections unsent, counted incomplete at the end. Each
/// core now has at least one connection of every open scenario.
#[test]
fn an_open_scenario_with_fewer_connections_than_cores_sends_every_slot() {
    let _x = exclusive();
    let dir = scratch("scenarios", "one-conn");
    let plan = dir.join("probe.yaml");
    let text = "target: { base_url: http://127.0.0.1:8080, cores: \"2\" }
scenarios:
  - { name: probe, connections: 1, load: { stages: [{ duration: 1s, rate: 10 }] }, endpoints: [{ name: health, path: /health }] }
  - { name: api, connections: 1, load: { stages: [{ duration: 1s, rate: 20 }] }, endpoints: [{ name: home, path: / }] }
";
    std::fs::write(&plan, text).unwrap();
    let (r, paths) = run_plan(plan.to_str().unwrap(), &[], None);
    assert_conserved(&r);
    assert_eq!((scenario(&r, "probe").row.ok, paths.get("/health")), (10, 10), "{:?}", r.counts);
    assert_eq!((scenario(&r, "api").row.ok, paths.get("/")), (20, 20), "{:?}", r.counts);
    assert_eq!(r.counts.incomplete, 0);
}

/// Each open scenario's rate is judged as the run's is: one that cannot keep its own (one
/// connection for requests of 100 ms at 50/s, the rest dropped by a 200 ms timeout) makes the run
/// invalid with a reason naming it, while the other scenario keeps its rate.
#[test]
fn an_open_scenario_that_misses_its_own_rate_is_named_in_the_verdict() {
    let _x = exclusive();
    let dir = scratch("scenarios", "missed");
    let plan = dir.join("missed.yaml");
    let text = "target: { base_url: http://127.0.0.1:8080, cores: \"1\", timeout: 200ms }
scenarios:
  - { name: starved, connections: 1, load: { stages: [{ duration: 1s, rate: 50 }] }, endpoints: [{ name: slow, path: /delay/100 }] }
  - { name: fine, connections: 4, load: { stages: [{ duration: 1s, rate: 20 }] }, endpoints: [{ name: home, path: / }] }
";
    std::fs::write(&plan, text).unwrap();
    let (r, _) = run_plan(plan.to_str().unwrap(), &[], None);
    assert_conserved(&r);
    let starved = scenario(&r, "starved");
    assert_eq!(starved.target_rps, Some(50.0));
    // One connection serves at most 1 s / 100 ms = 10 (+1 for a pause's slack) of the 50.
    assert!(starved.row.sent <= 11, "{:?}", starved.row);
    assert!(r.verdict.target_rate_missed, "{:?}", r.verdict);
    let line = r.verdict.reasons.iter().find(|l| l.starts_with("target rate missed: scenario starved: achieved"));
    assert!(line.is_some(), "{:?}", r.verdict.reasons);
    assert!(!r.verdict.reasons.iter().any(|l| l.contains("scenario fine")), "{:?}", r.verdict.reasons);
    assert_eq!(scenario(&r, "fine").row.ok, 20);
}

/// A distributed run of a plan with scenarios: two shards (`--shard K/2`, one `--start-at`),
/// merged by `onslaught merge`: each scenario's counts are the two shards' together, equal to the
/// target's own per-path counts, the open scenario's arrivals are its schedule's exactly, and each
/// scenario stays conserved.
#[test]
fn two_shards_of_a_scenario_plan_merge_per_scenario() {
    let _x = exclusive();
    let srv = target(|_| {});
    let dir = scratch("scenarios", "shards");
    let set = format!("target.base_url=http://{}", srv.addr);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64 + 1500;
    let start = format!("{}.{:03}", now / 1000, now % 1000);
    let out = |k: u32| dir.join(format!("s{k}.json")).display().to_string();
    let children: Vec<_> = (0..2)
        .map(|k| {
            let shard = format!("{k}/2");
            // Two generators and the target share this VM's two cores: a late send is not what
            // this test judges (its counts are), so the lag criterion is not the shards' verdict.
            let args = [
                PLAN,
                "--set",
                &set,
                "-q",
                "--shard",
                &shard,
                "--start-at",
                &start,
                "--out",
                &out(k),
                "--max-send-lag",
                "10s",
            ];
            bin().arg("run").args(args).stdout(std::process::Stdio::null()).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(0), "each shard passes");
    }
    let merged = dir.join("merged.json");
    let o = bin().args(["merge", &out(0), &out(1), "--out", merged.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = onslaught::report::result::load(&merged).unwrap();
    let paths = srv.paths();
    srv.stop();
    assert_conserved(&r);
    assert_eq!(scenario(&r, "api").row.intended, 150, "50/s for 3 s over both shards");
    assert_eq!(scenario(&r, "api").target_rps, Some(50.0), "the shards' targets together");
    assert_eq!(scenario(&r, "api").row.intended, paths.get("/") + paths.get("/bytes/N"));
    assert_eq!(scenario(&r, "health").row.intended, paths.get("/health"));
    let users = ["POST /login", "/delay/MS", "GET /api/items/N", "POST /logout"];
    assert_eq!(scenario(&r, "users").row.intended, users.iter().map(|p| paths.get(p)).sum::<u64>());
    assert_eq!(paths.0.iter().sum::<u64>(), r.counts.intended, "{paths:?}");
}
