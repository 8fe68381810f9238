//! Plans through the engine: the closed model (virtual users with think time, user ramps, the end
//! of a run) and per-stage results (requests attributed to the stage of their intended time).
mod support;
use onslaught::report::Report;
use support::*;

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

/// Writes `yaml` (with `{addr}` replaced) to a fresh file; the directory is removed on drop.
struct PlanFile(std::path::PathBuf);

impl PlanFile {
    fn new(name: &str, addr: std::net::SocketAddr, yaml: &str) -> PlanFile {
        let dir = std::env::temp_dir().join(format!("onslaught-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plan.yaml");
        std::fs::write(&path, yaml.replace("{addr}", &addr.to_string())).unwrap();
        PlanFile(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for PlanFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
    }
}

fn conserved_everywhere(r: &Report) {
    assert!(r.counts.conserved, "{:?}", r.counts);
    assert!(r.per_core.iter().all(|c| c.conserved), "{:?}", r.per_core);
    assert_eq!(r.per_core.iter().map(|c| c.intended).sum::<u64>(), r.counts.intended);
    assert!(r.stages.iter().all(|s| s.conserved), "{:?}", r.stages);
    assert_eq!(r.stages.iter().map(|s| s.intended).sum::<u64>(), r.counts.intended);
}

/// A user active for `len` ns, each request served in at least `cycle` = D + T: it intends at most
/// ceil(len / cycle) requests (its k-th is intended no earlier than k·cycle into its period). At
/// least floor((len − pause) / (cycle + eps)) when each round trip costs at most `eps` more than D
/// on average and the host stalls once for `pause`.
fn per_user_bounds(len: u64, cycle: u64, eps: u64, pause: u64) -> (u64, u64) {
    (len.saturating_sub(pause) / (cycle + eps), len.div_ceil(cycle))
}

/// Loopback and scheduling overhead per round trip, on average (debug builds on a shared CI
/// machine measure about 1.5 ms), and one host pause the counts must survive.
const EPS: u64 = 5 * MS;
const PAUSE: u64 = 50 * MS;

#[test]
fn closed_model_users_loop_at_delay_plus_think() {
    let _x = exclusive();
    let srv = target(|_| {});
    let (users, d, think, dur) = (10u64, 20 * MS, 30 * MS, 2 * S);
    let plan = PlanFile::new(
        "closed",
        srv.addr,
        "target: { base_url: 'http://{addr}' }\nload:\n  stages: [{ duration: 2s, users: 10 }]\nendpoints:\n  - { name: slow, path: /delay/20, think: 30ms }\n",
    );
    let r = run(&[plan.path(), "--cores", "2"]);
    conserved_everywhere(&r);
    let k = &r.counts;
    // Every user runs the whole stage: N · dur / (D + T) = 400 at most.
    let (lo, hi) = per_user_bounds(dur, d + think, EPS, PAUSE);
    assert!((users * lo..=users * hi).contains(&k.intended), "{} not in {}..={}", k.intended, users * lo, users * hi);
    assert_eq!(hi, 40);
    assert_eq!(k.ok + k.incomplete, k.intended, "{k:?}");
    assert_eq!(k.incomplete, 0, "nothing in flight outlives the grace period: {k:?}");
    assert_eq!(srv.stats().requests, k.ok);
    assert_eq!(r.config.users, Some(users));
    assert_eq!(r.config.connections, users as usize, "one connection per user");
    assert_eq!(k.connects, 0, "each user keeps its preopened connection");
    // Both users' halves: users split evenly over the 2 cores.
    let per_core: Vec<u64> = r.per_core.iter().map(|c| c.intended).collect();
    for c in &per_core {
        assert!((5 * lo..=5 * hi).contains(c), "{per_core:?}");
    }
    // Intended = when the user was ready, so latency = service time + send lag, request by
    // request: the means add up (to the histograms' 0.1% rounding).
    let (lat, svc, lag) = (r.latency.mean_ns, r.service_time.mean_ns, r.send_lag.mean_ns);
    assert!((lat - svc - lag).abs() <= 0.002 * lat + 2_000.0, "latency {lat} vs {svc} + {lag}");
    assert!(r.service_time.min_ns >= d, "the target answers after {d} ns: {}", r.service_time.min_ns);
    assert!(r.latency.min_ns >= r.service_time.min_ns);
    srv.stop();
}

#[test]
fn a_users_ramp_starts_and_retires_users_on_schedule() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = PlanFile::new(
        "users-ramp",
        srv.addr,
        "target: { base_url: 'http://{addr}' }\nload:\n  stages:\n    - { duration: 4s, users: 0 -> 8 }\n    - { duration: 2s, users: 8 -> 0 }\nendpoints:\n  - { name: slow, path: /delay/20, think: 30ms }\n",
    );
    let r = run(&[plan.path(), "--cores", "2"]);
    conserved_everywhere(&r);
    // User v is active while U(t) > v: from v · 0.5 s (+1 ns) on the way up to 4 s + (8 − v) · 0.25 s
    // on the way down (the highest-numbered user retires first).
    let period = |v: u64| (v * S / 2 + 1, 4 * S + (8 - v) * S / 4);
    // The active users at the end of each second: every start and retirement lies at least
    // 0.25 s before the next second boundary or on it, so lateness up to that cannot move one.
    for row in r.timeline.iter().filter(|t| t.interval < 6) {
        let end = (row.interval + 1) * S - 1;
        let want = (0..8).filter(|v| (period(*v).0..period(*v).1).contains(&end)).count() as u64;
        assert_eq!(row.users, want, "second {}: {:?}", row.interval, r.timeline);
    }
    let ups: Vec<u64> = r.timeline.iter().take(6).map(|t| t.users).collect();
    assert_eq!(ups, [2, 4, 6, 8, 5, 1]);
    assert_eq!(r.timeline.iter().find(|t| t.interval == 6).map(|t| t.users), Some(0));
    // Requests: each user's count within its bounds, summed.
    let (mut lo, mut hi) = (0, 0);
    for v in 0..8 {
        let (a, b) = period(v);
        let (l, h) = per_user_bounds(b - a, 50 * MS, EPS, PAUSE);
        lo += l;
        hi += h;
    }
    let k = &r.counts;
    assert!((lo..=hi).contains(&k.intended), "{} not in {lo}..={hi}", k.intended);
    assert_eq!(k.ok, k.intended, "{k:?}");
    assert_eq!(srv.stats().requests, k.ok);
    srv.stop();
}

/// MEASUREMENT.md §4 in the closed model: a user's request still in flight when the grace period
/// ends is incomplete, with its censored latency, and conservation still holds exactly.
#[test]
fn closed_model_requests_in_flight_at_the_end_are_incomplete() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = PlanFile::new(
        "closed-end",
        srv.addr,
        "target: { base_url: 'http://{addr}' }\nload:\n  stages: [{ duration: 1s, users: 4 }]\nendpoints:\n  - { name: slow, path: /delay/300 }\n",
    );
    // Each user sends at 0, ~0.3, ~0.6 and ~0.9 s (a 50 ms pause still leaves the 4th before 1 s):
    // the 4th would complete at ~1.2 s, after the 100 ms grace.
    let r = run(&[plan.path(), "--grace", "100ms", "--cores", "2"]);
    conserved_everywhere(&r);
    let k = &r.counts;
    assert_eq!((k.intended, k.ok, k.incomplete), (16, 12, 4), "{k:?}");
    // Censored at stop (end + grace): 0.2 s after an intended time of about 0.9 s.
    let c = &r.incomplete_censored;
    assert_eq!(c.count, 4);
    assert!(c.min_ns >= 100 * MS && c.max_ns <= 200 * MS + PAUSE, "{c:?}");
    assert_eq!(r.stages[0].incomplete, 4);
    srv.stop();
}

#[test]
fn stages_of_100_then_200_per_second_send_200_then_400() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = PlanFile::new(
        "stages",
        srv.addr,
        "target: { base_url: 'http://{addr}', connections: 8 }\nload:\n  stages:\n    - { duration: 2s, rate: 100 }\n    - { duration: 2s, rate: 200 }\nendpoints:\n  - { name: home, path: / }\n",
    );
    let r = run(&[plan.path(), "--cores", "2"]);
    conserved_everywhere(&r);
    let got: Vec<(u64, u64, u64)> = r.stages.iter().map(|s| (s.intended, s.ok, s.errors)).collect();
    assert_eq!(got, [(200, 200, 0), (400, 400, 0)]);
    // Sends count within the measured window, as for the totals: only the last stage's final
    // requests can be sent after it (late by the send lag), and those are counted apart.
    assert_eq!(r.stages[0].sent, 200);
    assert_eq!(r.stages[1].sent + r.counts.sent_after_window, 400);
    assert_eq!(r.stages[0].achieved_rps, 100.0);
    assert_eq!(r.stages[1].achieved_rps, r.stages[1].sent as f64 / 2.0);
    assert_eq!(r.stages.iter().map(|s| s.latency.count).collect::<Vec<_>>(), [200, 400]);
    assert_eq!(srv.stats().requests, 600);
    // The same figures in the JSON result.
    let mut out = Vec::new();
    onslaught::report::json::write(&r, &mut out).unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let stages = j["stages"].as_array().unwrap();
    let field = |k: &str| stages.iter().map(|s| s[k].clone()).collect::<Vec<_>>();
    assert_eq!(field("intended"), [200, 400]);
    assert_eq!(field("ok"), [200, 400]);
    assert_eq!(field("target"), ["100 req/s", "200 req/s"]);
    assert_eq!(field("start_s"), [0.0, 2.0]);
    assert_eq!(field("end_s"), [2.0, 4.0]);
    assert_eq!(stages[1]["latency"]["count"], 400);
    // And in the terminal summary, one row per stage.
    let mut text = Vec::new();
    let opts = onslaught::report::terminal::Options { spectrum: false, color: false };
    onslaught::report::terminal::write(&r, &opts, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    let words = |name: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_default();
        line.split_whitespace().take(9).map(str::to_string).collect()
    };
    assert_eq!(words("stage 1"), ["stage", "1", "0-2s", "100", "req/s", "200", "200", "0", "100.0"], "{text}");
    let rate2 = format!("{:.1}", r.stages[1].achieved_rps);
    assert_eq!(words("stage 2"), ["stage", "2", "2-4s", "200", "req/s", "400", "400", "0", &rate2], "{text}");
    srv.stop();
}

#[test]
fn the_closed_model_refuses_a_connection_count() {
    let dir = std::env::temp_dir().join(format!("onslaught-closed-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("plan.yaml");
    let yaml = "target: { base_url: 'http://127.0.0.1:9' }\nload: { stages: [{ duration: 1s, users: 3 }] }\nendpoints: [{ name: a, path: / }]\n";
    std::fs::write(&path, yaml).unwrap();
    let p = path.to_str().unwrap();
    let parse = |args: &[&str]| {
        let mut argv = vec!["onslaught", "run", p];
        argv.extend_from_slice(args);
        let cli = <onslaught::cli::Cli as clap::Parser>::try_parse_from(argv).unwrap();
        let onslaught::cli::Command::Run(a) = cli.command else { unreachable!() };
        onslaught::config::from_args(&a)
    };
    let e = parse(&["-c", "10"]).unwrap_err();
    assert!(
        e.0.starts_with("--connections/-c: the closed model opens one connection per virtual user (3 at the peak)"),
        "{e}"
    );
    let cfg = parse(&[]).unwrap();
    assert_eq!((cfg.engine.connections, cfg.report.users), (3, Some(3)));
    // -R turns the plan into one open-model stage: connections apply again.
    let cfg = parse(&["-R", "10", "-d", "1s", "-c", "4"]).unwrap();
    assert_eq!((cfg.engine.connections, cfg.report.users), (4, None));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_users_plan_runs_as_a_closed_model_without_errors() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/plans/users.yaml");
    let set = format!("target.base_url=http://{}", srv.addr);
    // A short version: 1 s per stage.
    let mut args = vec![plan, "--set", &set];
    let sets = ["load.stages[0].duration=1s", "load.stages[1].duration=1s", "load.stages[2].duration=1s"];
    for s in &sets {
        args.extend(["--set", s]);
    }
    let r = run(&args);
    conserved_everywhere(&r);
    let k = &r.counts;
    assert_eq!(k.ok, k.intended, "{k:?} {:?}", r.verdict.reasons);
    assert!(k.intended >= 50, "every user sends its first request: {k:?}");
    assert_eq!(srv.stats().requests, k.ok);
    assert_eq!(r.config.users, Some(50));
    let users: Vec<u64> = r.timeline.iter().map(|t| t.users).collect();
    // Ends of seconds 1, 2 and 3: 50 users (ramp done), 50 (hold), then all retired.
    assert_eq!(users[..3], [50, 50, 1], "{users:?}");
    srv.stop();
}
