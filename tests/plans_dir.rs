//! Every plan in plans/ validates, and runs against the built-in target with zero errors (short
//! versions: -R and -d replace the stages, so each run takes a second).
mod support;
use support::*;

fn plans() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plans");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 8, "{v:?}");
    v
}

#[test]
fn every_plan_validates() {
    for p in plans() {
        if let Err(errs) = onslaught::plan::load(&p, &[], &[]) {
            panic!("{}: {}", p.display(), errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
        }
    }
}

#[test]
fn every_plan_runs_without_errors_against_the_built_in_target() {
    let _x = exclusive();
    let srv = target(|_| {});
    for p in plans() {
        let set = format!("target.base_url=http://{}", srv.addr);
        let before = srv.stats().requests;
        let r = run(&[p.to_str().unwrap(), "--set", &set, "-R", "100", "-d", "1s", "-c", "16", "--warmup", "0s"]);
        let k = &r.counts;
        assert!(k.conserved, "{}: {k:?}", p.display());
        assert_eq!(k.ok, k.intended, "{}: {k:?} {:?}", p.display(), r.verdict.reasons);
        assert!(k.intended >= 100, "{}: {k:?}", p.display());
        // Every request the run counted, the target answered (journey steps included).
        assert_eq!(srv.stats().requests - before, k.ok, "{}", p.display());
        assert!(r.endpoints.iter().all(|e| e.errors == 0), "{}: {:?}", p.display(), r.endpoints);
    }
    srv.stop();
}

#[test]
fn weights_70_20_10_hold_over_many_requests() {
    let _x = exclusive();
    let srv = target(|_| {});
    let set = format!("target.base_url=http://{}", srv.addr);
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/plans/load.yaml");
    // 20 000 requests: the binomial standard deviation of a 70% share is 0.32 points; allow 1.
    let r = run(&[plan, "--set", &set, "-R", "10000", "-d", "2s", "-c", "32", "--warmup", "0s"]);
    assert_eq!(r.counts.ok, 20_000, "{:?}", r.counts);
    let share = |name: &str| {
        let e = r.endpoints.iter().find(|e| e.name == name).unwrap();
        100.0 * e.requests as f64 / 20_000.0
    };
    for (name, want) in [("browse", 70.0), ("admin", 20.0), ("background", 10.0)] {
        let got = share(name);
        assert!((got - want).abs() < 1.0, "{name}: {got:.2}% vs {want}%");
    }
    srv.stop();
}

#[test]
fn ramp_0_to_1000_over_10s_sends_5000_following_the_ramp() {
    let _x = exclusive();
    let srv = target(|_| {});
    let dir = std::env::temp_dir().join(format!("onslaught-ramp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("ramp.yaml");
    std::fs::write(
        &plan,
        format!(
            "target: {{ base_url: http://{}, connections: 32 }}\nload:\n  stages:\n    - {{ duration: 10s, rate: 0 -> 1000 }}\nendpoints:\n  - {{ name: home, path: / }}\n",
            srv.addr
        ),
    )
    .unwrap();
    let r = run(&[plan.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.counts.intended, 5000);
    assert_eq!(r.counts.ok, 5000);
    // The one stage carries them all (per-stage results are exact, not from the timeline).
    assert_eq!((r.stages.len(), r.stages[0].intended, r.stages[0].ok), (1, 5000, 5000));
    assert_eq!(r.stages[0].target, "0 -> 1000 req/s");
    // Second k of the ramp carries the integral of the rate over it: 100·k + 50.
    for row in r.timeline.iter().filter(|t| t.interval < 10) {
        let want = 100 * row.interval + 50;
        assert!(row.sent.abs_diff(want) <= 1, "second {}: {} sent, want {want}", row.interval, row.sent);
    }
    srv.stop();
}
