//! Good plans: a full example loads into exactly the typed plan it describes, and its compiled
//! parts (templates, extraction, checks, feeders, weights) behave as documented.
use onslaught::plan::{
    Check, CheckKind, Extractor, FeedMode, JourneyKind, Model, Plan, Response, Rng, ShapeKind, Stage, Think, describe,
    extract_all, load, load_str,
};
use onslaught::units::Rate;
use std::path::{Path, PathBuf};

const KEY: &str = "k-secret-123";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans").join(name)
}

fn full() -> Plan {
    let env = vec![("TEST_API_KEY".to_string(), KEY.to_string())];
    load(&fixture("full.yaml"), &[], &env).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn rate(n: u64) -> Rate {
    Rate { num: n, den: 1 }
}

fn render(t: &onslaught::plan::Template, vars: &onslaught::plan::Vars, seed: u64) -> String {
    let mut out = Vec::new();
    t.render(vars, &mut Rng::new(seed), &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn target_load_and_weights() {
    let p = full();
    assert_eq!(p.seed, 42);
    assert_eq!(p.target.base_url, "http://127.0.0.1:8080/api");
    assert_eq!((p.target.url.host.as_str(), p.target.url.port), ("127.0.0.1", 8080));
    assert_eq!((p.target.connections, p.target.cores.as_deref()), (64, Some("2")));
    assert_eq!((p.target.timeout_ns, p.target.connect_timeout_ns), (5_000_000_000, 2_000_000_000));
    let names: Vec<&str> = p.target.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["Accept", "X-Api-Key"]);

    assert_eq!(p.load.model, Model::Open);
    assert_eq!(p.load.warmup_ns, 5_000_000_000);
    assert_eq!(
        p.load.stages,
        [
            Stage { duration_ns: 10_000_000_000, from: rate(0), to: rate(1000) },
            Stage { duration_ns: 30_000_000_000, from: rate(1000), to: rate(1000) },
        ]
    );
    assert_eq!(p.load.expected_iterations(), Some(35_000.0));

    let kinds: Vec<(&str, JourneyKind, f64)> = p.journeys.iter().map(|j| (j.name.as_str(), j.kind, j.weight)).collect();
    assert_eq!(
        kinds,
        [
            ("browse", JourneyKind::Endpoint, 60.0),
            ("admin", JourneyKind::Endpoint, 20.0),
            ("learner", JourneyKind::Journey, 20.0)
        ]
    );
    assert_eq!(p.mix.shares(), [0.6, 0.2, 0.2]);
    assert_eq!(p.slots, 3);
    // Deterministic per slot, whichever core asks.
    let picks: Vec<usize> = (0..10).map(|n| p.pick_journey(n)).collect();
    assert_eq!(picks, (0..10).map(|n| full().pick_journey(n)).collect::<Vec<_>>());
}

#[test]
fn endpoints_render_with_a_fixed_seed() {
    let p = full();
    let vars = p.vars();
    let browse = &p.journeys[0].steps[0];
    assert_eq!((browse.label.as_str(), browse.method.as_str()), ("browse", "GET"));
    let n = Rng::new(7).range_inclusive(1, 1000);
    assert_eq!(render(&browse.path, &vars, 7), format!("/api/items/{n}"));
    assert!(!browse.is_static());
    let admin = &p.journeys[1].steps[0];
    assert!(admin.is_static());
    assert_eq!(admin.path.as_static(), Some(&b"/api/admin"[..]));
    assert_eq!(admin.headers[1].value.as_static(), Some(KEY.as_bytes()));
    assert_eq!(admin.check.status().to_string(), "200, 204");
    assert_eq!(admin.think, Think::None);
}

#[test]
fn a_journey_iteration_end_to_end() {
    let p = full();
    let learner = &p.journeys[2];
    let [login, list, detail] = &learner.steps[..] else { panic!("three steps") };
    assert_eq!((login.label.as_str(), login.method.as_str()), ("learner/login", "POST"));
    assert_eq!(login.think, Think::Uniform { min_ns: 1_000_000_000, max_ns: 3_000_000_000 });
    assert_eq!(list.think, Think::Fixed(500_000_000));
    let hn = |s: &onslaught::plan::Step| s.headers.iter().map(|h| h.name.clone()).collect::<Vec<_>>();
    assert_eq!(hn(login), ["Accept", "X-Api-Key", "Content-Type"]);
    assert_eq!(hn(list), ["X-Api-Key", "Authorization", "Accept"], "a step's header replaces the default");

    let data = &p.data[0];
    assert_eq!((data.name.as_str(), data.mode, data.len()), ("user", FeedMode::PerUser, 3));
    assert_eq!(data.columns, ["name", "password"]);
    assert_eq!(data.row(1), ["bob", "say \"hi\""]);
    assert_eq!(data.row(0), ["ann", "p,1"]);

    let mut vars = p.vars();
    let mut rng = Rng::for_core(p.seed, 0);
    vars.begin(&p.data, 5, 1, &mut rng); // user 1 → row 1 (per_user)
    assert_eq!(render(login.body.as_ref().unwrap(), &vars, 0), r#"{"user": "bob", "password": "say "hi""}"#);

    let names: Vec<(&str, usize)> = login.extract.iter().map(|e| (e.name.as_str(), e.slot)).collect();
    assert_eq!(names, [("token", 0), ("session", 1)]);
    assert!(matches!(login.extract[0].from, Extractor::Json(_)));
    let headers: [(&[u8], &[u8]); 1] = [(b"x-session", b"s-1")];
    assert_eq!(extract_all(&login.extract, &headers, br#"{"token": "tok-9"}"#, &mut vars), 0);

    assert_eq!(render(&list.path, &vars, 0), "/api/items?session=s-1");
    assert_eq!(render(&list.headers[1].value, &vars, 0), "Bearer tok-9");
    let body = br#"<ul><li id="77">items</li></ul>"#;
    assert_eq!(extract_all(&list.extract, &[], body, &mut vars), 0);
    assert_eq!(render(&detail.path, &vars, 0), "/api/items/77?n=5");
    assert_eq!(render(&detail.headers[2].value, &vars, 0), "hunter2-db");

    // The list step's checks, in order, and the first failure of each kind.
    let shown: Vec<String> = list.check.list().iter().map(Check::to_string).collect();
    assert_eq!(
        shown,
        [
            "status in 2xx",
            "body contains \"items\"",
            "header Content-Type contains \"html\"",
            "header X-Id matches /^[0-9]+$/",
            "latency <= 500ms"
        ]
    );
    let h: [(&[u8], &[u8]); 2] = [(b"content-type", b"text/html"), (b"X-Id", b"42")];
    let ok = Response { status: 200, headers: &h, body, latency_ns: 1_000_000 };
    assert_eq!(list.check.evaluate(&ok), Ok(()));
    let slow = Response { latency_ns: 600_000_000, ..ok };
    assert_eq!(list.check.evaluate(&slow).unwrap_err().kind, CheckKind::MaxLatency);
    assert_eq!(list.check.evaluate(&Response { status: 302, ..ok }).unwrap_err().index, 0);
    // No check written: 2xx and 3xx pass.
    assert_eq!(detail.check.status().to_string(), "2xx, 3xx");
}

#[test]
fn closed_model_with_a_shape() {
    let p = load(&fixture("closed_shape.yaml"), &[], &[]).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(p.load.model, Model::Closed);
    assert_eq!(p.load.shape.as_ref().unwrap().kind, ShapeKind::Stress);
    let s = 1_000_000_000;
    // peak 10 × factor 2 in 2 steps: 10 then 20 users.
    assert_eq!(
        p.load.stages,
        [
            Stage { duration_ns: 10 * s, from: rate(0), to: rate(10) },
            Stage { duration_ns: 60 * s, from: rate(10), to: rate(10) },
            Stage { duration_ns: 10 * s, from: rate(10), to: rate(20) },
            Stage { duration_ns: 60 * s, from: rate(20), to: rate(20) },
            Stage { duration_ns: 30 * s, from: rate(20), to: rate(0) },
        ]
    );
    assert_eq!(p.load.expected_iterations(), None);
    assert_eq!(p.journeys[0].steps[0].think, Think::Fixed(s));
    // `check` shows the user stages and the peak.
    let mut out = Vec::new();
    describe(&p, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for line in [
        "(one connection per user, cores all,",
        "model     closed: virtual users, each looping its journey with think time",
        "       1         0s        10s  0 -> 10",
        "       4      1m20s         1m  20",
        "       5      2m20s        30s  20 -> 0",
        "  peak 20 users: user v runs while the count is above v",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

fn shape(yaml_shape: &str) -> Vec<Stage> {
    let text = format!(
        "target: {{ base_url: 'http://h' }}\nload: {{ shape: {yaml_shape} }}\nendpoints: [{{ name: a, path: / }}]\n"
    );
    load_str(&text, Path::new("p.yaml"), &[], &[]).unwrap_or_else(|e| panic!("{e:#?}")).load.stages
}

#[test]
fn named_shapes_expand_by_their_formulas() {
    let (s, m) = (1_000_000_000u64, 60_000_000_000u64);
    let c = |d: u64, v: u64| Stage::constant(d, rate(v));
    let r = |d: u64, a: u64, b: u64| Stage { duration_ns: d, from: rate(a), to: rate(b) };
    assert_eq!(shape("{ type: smoke }"), [c(m, 1)]);
    assert_eq!(shape("{ type: load, level: 100 }"), [r(2 * m, 0, 100), c(10 * m, 100), r(m, 100, 0)]);
    assert_eq!(shape("{ type: soak, level: 50, hold: 2h }"), [r(5 * m, 0, 50), c(120 * m, 50), r(5 * m, 50, 0)]);
    assert_eq!(
        shape("{ type: spike, base: 100 }"),
        [c(m, 100), r(10 * s, 100, 1000), c(m, 1000), r(10 * s, 1000, 100), c(2 * m, 100)]
    );
    assert_eq!(shape("{ type: breakpoint, max: 5k, duration: 20m }"), [r(20 * m, 0, 5000)]);
    let stress = shape("{ type: stress, peak: 100 }");
    assert_eq!(stress.len(), 9);
    assert_eq!(stress[1], c(2 * m, 75));
    assert_eq!(stress[7], c(2 * m, 300));
    assert_eq!(stress[8], r(m, 300, 0));
    // A zero-length phase is dropped.
    assert_eq!(shape("{ type: load, level: 10, ramp_up: 0s, ramp_down: 0s }"), [c(10 * m, 10)]);
}

#[test]
fn shape_parameter_errors() {
    let text = "target: { base_url: 'http://h' }\nload: { shape: { type: spike, level: 5 } }\nendpoints: [{ name: a, path: / }]\n";
    let errs = load_str(text, Path::new("p.yaml"), &[], &[]).unwrap_err();
    let got: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got,
        [
            "p.yaml:2:16: load.shape.base: missing key `base` (expected base (req/s); hint: the spike shape needs `base`)",
            "p.yaml:2:31: load.shape.level: `level` does not apply to the spike shape (expected its parameters: `base`, `peak`, `before`, `ramp`, `hold` or `after`)",
        ]
    );
}

#[test]
fn describe_shows_stages_mix_and_redacts_secrets() {
    let p = full();
    let mut out = Vec::new();
    describe(&p, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for line in [
        "  warmup         0s         5s  0                               0            0",
        "       1         5s        10s  0 -> 1000                   5_000        7_000",
        "       2        15s        30s  1000                       30_000       42_000",
        "   total                   45s  40s measured               35_000       49_000",
        "  learner/list         GET /api/items?session={{ session }}  (7_000)",
        "  browse               endpoint       60   60.00%     1       21_000       21_000",
        "  learner              journey        20   20.00%     3        7_000       21_000",
        "  api_key      ${env:TEST_API_KEY} = <redacted>",
        "  user         ",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains(KEY) && !text.contains("hunter2-db"), "{text}");
    assert!(text.contains("X-Api-Key: {{ api_key }}"), "{text}");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let p = full();
    let debug = format!("{p:?}");
    assert!(!debug.contains(KEY), "the env secret leaked");
    assert!(!debug.contains("hunter2-db"), "the file secret leaked");
    assert!(debug.contains("<redacted>"));
    assert!(!debug.contains("say \\\"hi"), "CSV rows are not printed either");
    assert_eq!(p.redact(&format!("sent X-Api-Key: {KEY} and {KEY}")), "sent X-Api-Key: <redacted> and <redacted>");
}
