//! Overrides: file < ONSLAUGHT_* environment < --set; an overriding value's errors point at it.
use onslaught::plan::{Plan, PlanError, load};
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/overrides.yaml")
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn sets(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

fn ok(s: &[&str], e: &[(&str, &str)]) -> Plan {
    load(&fixture(), &sets(s), &env(e)).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn err(s: &[&str], e: &[(&str, &str)]) -> Vec<String> {
    load(&fixture(), &sets(s), &env(e)).unwrap_err().iter().map(PlanError::to_string).collect()
}

#[test]
fn precedence_is_set_then_env_then_file() {
    let s = 1_000_000_000;
    assert_eq!(ok(&[], &[]).load.warmup_ns, 5 * s);
    assert_eq!(ok(&[], &[("ONSLAUGHT_LOAD_WARMUP", "7s")]).load.warmup_ns, 7 * s);
    assert_eq!(ok(&["load.warmup=9s"], &[]).load.warmup_ns, 9 * s);
    assert_eq!(ok(&["load.warmup=9s"], &[("ONSLAUGHT_LOAD_WARMUP", "7s")]).load.warmup_ns, 9 * s);
    // Later --set wins over an earlier one.
    assert_eq!(ok(&["load.warmup=9s", "load.warmup=1s"], &[]).load.warmup_ns, s);
}

#[test]
fn env_names_reach_nested_keys_items_and_new_keys() {
    let p = ok(
        &["target.headers.X-Trace=abc", "seed=7"],
        &[
            ("ONSLAUGHT_TARGET_CONNECTIONS", "32"),
            ("ONSLAUGHT_TARGET_BASE_URL", "http://10.0.0.1:9000/v1"),
            ("ONSLAUGHT_LOAD_STAGES_0_RATE", "0 -> 250"),
            ("ONSLAUGHT_ENDPOINTS_HOME_WEIGHT", "1"),
            ("HOME", "/root"),
        ],
    );
    assert_eq!(p.target.connections, 32);
    assert_eq!((p.target.url.host.as_str(), p.target.url.port), ("10.0.0.1", 9000));
    assert_eq!(p.journeys[0].steps[0].path.as_static(), Some(&b"/v1/"[..]));
    assert_eq!(p.load.stages[0].to.num, 250);
    assert_eq!(p.mix.shares(), [0.5, 0.5]);
    assert_eq!(p.seed, 7);
    assert_eq!(p.target.headers[0].name, "X-Trace");
    // --set can select an item by name as well as by index.
    assert_eq!(ok(&["endpoints.other.weight=0"], &[]).mix.shares(), [1.0, 0.0]);
    assert_eq!(ok(&["endpoints[1].weight=0"], &[]).mix.shares(), [1.0, 0.0]);
}

#[test]
fn errors_in_overrides_point_at_the_override() {
    assert_eq!(
        err(&["target.connections=x"], &[("ONSLAUGHT_LOAD_WARMUP", "soon")]),
        [
            "$ONSLAUGHT_LOAD_WARMUP:1:1: load.warmup: `soon` is not a duration (expected a duration such as 250ms, 10s, 2m or 1h; hint: units: ns, us, ms, s, m, h; a bare number is seconds)",
            "--set:1:20: target.connections: wrong type: found `x` (expected a whole number ≥ 0)",
        ]
    );
    let e = err(&["load.warmpu=5s"], &[]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("--set:1:1: load.warmpu: unknown key `warmpu`"), "{e:?}");
    assert!(e[0].ends_with("hint: did you mean `warmup`?)"), "{e:?}");
    let e = err(&["ok=1", "load.stages[3].rate=5", "load=1", "endpoints.nobody.weight=2", "x"], &[]);
    assert_eq!(
        e,
        [
            "--set:1:1: ok: unknown key `ok` (expected one of `target`, `seed`, `load`, `endpoints`, `journeys`, `data`, `secrets`, `slo` or `scenarios`)",
            "--set:2:1: load.stages[3].rate: `load.stages` has 1 item(s): there is no [3]",
            "--set:3:1: load: `load` is a mapping: an override sets one value; name a key inside it",
            "--set:4:1: endpoints.nobody.weight: `endpoints` has no item named `nobody`",
            "--set:5:1: (plan): `x` has no `=` (expected KEY.PATH=VALUE, e.g. load.warmup=10s)",
        ]
    );
}
