//! Profiles and stage names: one plan with `profiles:` runs each expansion (`--profile`), `check
//! --profile` prints it, an unknown profile is exit 2 with the defined ones; named stages reach
//! the report and `stage:NAME` SLO scopes; the built-in target's per-path counts equal the run's
//! per-endpoint counts exactly.
mod support;
use support::*;

const PLAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plans/profiles.yaml");

fn run_profile(
    profile: Option<&str>,
    extra: &[&str],
) -> (onslaught::report::Report, onslaught::serve::paths::PathCounts) {
    let srv = target(|_| {});
    let set = format!("target.base_url=http://{}", srv.addr);
    let mut args = vec![PLAN, "--set", &set, "-q"];
    if let Some(p) = profile {
        args.extend(["--profile", p]);
    }
    args.extend_from_slice(extra);
    let r = run(&args);
    let paths = srv.paths();
    srv.stop();
    (r, paths)
}

/// Every request the run counted, the target answered on the path of its endpoint, and nothing else.
fn assert_paths_match(r: &onslaught::report::Report, paths: &onslaught::serve::paths::PathCounts) {
    let by = |n: &str| r.endpoints.iter().find(|e| e.name == n).map_or(0, |e| e.requests);
    assert_eq!(paths.get("/"), by("home"), "{paths:?}");
    assert_eq!(paths.get("/health"), by("health"), "{paths:?}");
    assert_eq!(paths.get("POST /webhooks/NAME"), by("webhook"), "{paths:?}");
    assert_eq!(paths.0.iter().sum::<u64>(), r.counts.intended, "{paths:?}");
}

#[test]
fn smoke_load_and_spike_profiles_each_run_their_own_expansion() {
    let _x = exclusive();
    // (profile, stage names, arrivals the stages schedule: Σ d·(from + to)/2)
    let cases: [(&str, &[&str], u64); 3] = [
        ("smoke", &["smoke"], 30),
        ("load", &["ramp-up", "hold", "ramp-down"], 10 + 40 + 10),
        ("spike", &["before", "ramp-up", "peak", "ramp-down", "after"], 5 + 9 + 30 + 9 + 5),
    ];
    for (profile, names, expected) in cases {
        let (r, paths) = run_profile(Some(profile), &[]);
        let k = &r.counts;
        assert!(k.conserved, "{profile}: {k:?}");
        assert_eq!(k.ok, k.intended, "{profile}: {k:?} {:?}", r.verdict.reasons);
        // Ramps round at their ends: within one arrival per stage of the integral.
        let slack = names.len() as u64;
        assert!(k.intended.abs_diff(expected) <= slack, "{profile}: {} vs {expected}", k.intended);
        assert_eq!(r.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), names, "{profile}");
        assert_eq!(r.stages.iter().map(|s| s.intended).sum::<u64>(), k.intended, "{profile}");
        assert_paths_match(&r, &paths);
        assert_eq!(r.config.profile.as_deref(), Some(profile));
        let mut md = Vec::new();
        onslaught::report::markdown::write(&r, &mut md).unwrap();
        assert!(String::from_utf8(md).unwrap().contains(&format!("| Profile | `{profile}` |")));
        if profile == "load" {
            let hold = r.slo.iter().find(|s| s.scope == "stage:hold").expect("the profile's stage SLO");
            assert!(hold.actual.is_some() && hold.pass, "{hold:?}");
        }
    }
}

#[test]
fn named_stages_are_slo_scopes_and_reach_every_writer() {
    let _x = exclusive();
    let (r, _) = run_profile(None, &["--slo", "stage:plateau:error_rate=0%", "--slo", "stage:nope:p99=1s"]);
    assert_eq!(r.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["warm", "plateau"]);
    assert_eq!((r.stages[0].intended, r.stages[1].intended), (20, 40));
    let plateau = r.slo.iter().find(|s| s.scope == "stage:plateau").unwrap();
    assert_eq!((plateau.actual, plateau.pass), (Some(0.0), true), "{plateau:?}");
    let nope = r.slo.iter().find(|s| s.scope == "stage:nope").unwrap();
    assert_eq!((nope.actual, nope.pass), (None, false), "a stage that does not exist has no data");
    use onslaught::report::{html, json, junit, markdown, prometheus};
    let outs: [(&str, Vec<u8>); 5] = [
        ("md", {
            let mut o = Vec::new();
            markdown::write(&r, &mut o).unwrap();
            o
        }),
        ("html", {
            let mut o = Vec::new();
            html::write(&r, &mut o).unwrap();
            o
        }),
        ("json", {
            let mut o = Vec::new();
            json::write(&r, &mut o).unwrap();
            o
        }),
        ("junit", {
            let mut o = Vec::new();
            junit::write(&r, &mut o).unwrap();
            o
        }),
        ("prom", {
            let mut o = Vec::new();
            prometheus::write(&r, &mut o).unwrap();
            o
        }),
    ];
    for (name, bytes) in outs {
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("plateau"), "{name} names the stage:\n{text}");
    }
}

#[test]
fn check_prints_the_profile_expansion_and_an_unknown_profile_is_exit_2() {
    let o = bin().args(["check", PLAN, "--profile", "spike"]).output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("profile   spike") && t.contains("shape     spike { base: 10 req/s, peak: 60 req/s"), "{t}");
    for name in ["before", "ramp-up", "peak", "ramp-down", "after"] {
        assert!(t.lines().any(|l| l.starts_with("       ") && l.ends_with(&format!("  {name}"))), "{name}: {t}");
    }
    let o = bin().args(["check", PLAN, "--profile", "spkie"]).output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    let want = "profiles.yaml:15:1: profiles: --profile `spkie`: the plan defines no such profile (expected one of `smoke`, `load` or `spike`; hint: did you mean `spike`?)";
    assert!(t.contains(want), "{t}");
    let o = bin().args(["run", PLAN]).env("ONSLAUGHT_PROFILE", "nope").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("$ONSLAUGHT_PROFILE `nope`") && text(&o).contains("nothing was sent"), "{}", text(&o));
}

/// plans/platform.yaml against the built-in target: every request of every journey and endpoint
/// lands on its path, and the target's own per-path counts equal the run's per-endpoint counts.
#[test]
fn the_platform_plan_counts_match_the_targets_own_per_path_counts_exactly() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/plans/platform.yaml");
    let set = format!("target.base_url=http://{}", srv.addr);
    let r = run(&[plan, "--set", &set, "-R", "40", "-d", "2s", "--warmup", "0s", "-c", "128", "-q"]);
    let p = srv.paths();
    srv.stop();
    let n = |names: &[&str]| -> u64 {
        names.iter().map(|n| r.endpoints.iter().find(|e| e.name == *n).map_or(0, |e| e.requests)).sum()
    };
    assert!(r.counts.conserved && r.counts.ok == r.counts.intended, "{:?}", r.counts);
    assert_eq!(p.get("POST /login"), n(&["learner/login", "admin/login"]));
    assert_eq!(p.get("GET /api/items"), n(&["learner/dashboard", "admin/content"]));
    assert_eq!(p.get("GET /api/items/N"), n(&["learner/lesson"]));
    assert_eq!(p.get("POST /api/items"), n(&["learner/progress", "admin/publish"]));
    assert_eq!(p.get("POST /logout"), n(&["learner/logout", "admin/logout"]));
    assert_eq!(p.get("/health"), n(&["health"]));
    assert_eq!(p.get("POST /webhooks/NAME"), n(&["webhook"]));
    assert_eq!(p.0.iter().sum::<u64>(), r.counts.intended, "{p:?}");
    assert!(r.counts.intended >= 80, "{:?}", r.counts);
}
