//! Bad plans: every error is reported at once, sorted, each with file:line:column, key path,
//! what was expected and a hint; nothing is loaded. One fixture per case in tests/fixtures/plans.
use onslaught::plan::{PlanError, load};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans").join(name)
}

fn errors(name: &str) -> Vec<PlanError> {
    load(&fixture(name), &[], &[]).expect_err("the plan is invalid")
}

/// (line, column, path) of each error.
fn places(errs: &[PlanError]) -> Vec<(usize, usize, &str)> {
    errs.iter().map(|e| (e.line, e.column, e.path.as_str())).collect()
}

fn one(name: &str) -> PlanError {
    let errs = errors(name);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = errs.into_iter().next().unwrap();
    assert_eq!(e.file, fixture(name).display().to_string());
    e
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let e = one("unknown_key.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (4, 3, "target.conections"));
    assert_eq!(e.message, "unknown key `conections`");
    assert!(e.expected.as_deref().unwrap().contains("`connections`"), "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `connections`?"));
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("{}:4:3: target.conections: unknown key", e.file)), "{shown}");
}

#[test]
fn wrong_type() {
    let e = one("wrong_type.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (4, 16, "target.connections"));
    assert_eq!(e.message, "wrong type: found `lots`");
    assert_eq!(e.expected.as_deref(), Some("a whole number ≥ 0"));
}

#[test]
fn negative_weight() {
    let e = one("negative_weight.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (9, 42, "endpoints[1].weight"));
    assert_eq!(e.message, "weight -5 is negative");
    assert_eq!(e.expected.as_deref(), Some("a number ≥ 0"));
    assert!(e.hint.is_some());
}

#[test]
fn unknown_variable_in_a_template() {
    let e = one("unknown_variable.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (16, 35, "journeys[0].steps[1].headers.Authorization"));
    assert_eq!(e.message, "unknown variable `tokn`");
    assert_eq!(e.hint.as_deref(), Some("did you mean `token`?"));
}

#[test]
fn unreadable_csv_points_at_the_csv_key() {
    let e = one("unreadable_csv.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (10, 16, "data.user.csv"));
    assert!(e.message.starts_with("cannot read CSV file `"), "{e}");
    assert!(e.message.contains("no-such-file.csv"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("relative to the plan file's directory"), "{e}");
}

#[test]
fn malformed_and_empty_csv() {
    let errs = errors("bad_csv.yaml");
    let ragged = fixture("data/ragged.csv").display().to_string();
    let plan = fixture("bad_csv.yaml").display().to_string();
    // The plan file's errors first, then the CSV file's.
    let got: Vec<(&str, usize, usize, &str)> =
        errs.iter().map(|e| (e.file.as_str(), e.line, e.column, e.path.as_str())).collect();
    assert_eq!(
        got,
        [(plan.as_str(), 8, 18, "data.nobody.csv"), (ragged.as_str(), 3, 1, "data.people.csv")],
        "{errs:#?}"
    );
    assert!(errs[0].message.contains("is empty"), "{}", errs[0]);
    assert_eq!(errs[1].message, "row has 1 fields but the header has 2");
}

#[test]
fn missing_env_secret() {
    let e = one("missing_env_secret.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (11, 12, "secrets.api_key"));
    assert_eq!(e.message, "environment variable `PLAN_TEST_UNSET_API_KEY` is not set");
    assert!(e.hint.as_deref().unwrap().contains("export PLAN_TEST_UNSET_API_KEY="), "{e}");
}

#[test]
fn invalid_duration() {
    let e = one("invalid_duration.yaml");
    assert_eq!((e.line, e.column, e.path.as_str()), (5, 11, "load.warmup"));
    assert_eq!(e.message, "`5 seconds` is not a duration");
    assert_eq!(e.expected.as_deref(), Some("a duration such as 250ms, 10s, 2m or 1h"));
}

#[test]
fn every_error_is_reported_sorted_with_its_position() {
    let errs = errors("many_errors.yaml");
    assert_eq!(
        places(&errs),
        [
            (4, 3, "target.timout"),
            (5, 16, "target.connections"),
            (7, 11, "load.warmup"),
            (9, 30, "load.stages[0].rate"),
            (10, 19, "load.stages[1].duration"),
            (12, 36, "endpoints[0].weight"),
            (13, 25, "endpoints[1].path"),
            (13, 72, "endpoints[1].check.status[1]"),
            (17, 31, "journeys[0].steps[0].think"),
            (19, 16, "data.user.csv"),
            (19, 40, "data.user.mode"),
            (21, 10, "secrets.token"),
        ],
        "{errs:#?}"
    );
    assert_eq!(errs[0].hint.as_deref(), Some("did you mean `timeout`?"));
    assert_eq!(errs[3].message, "`fast` is not a rate");
    assert_eq!(errs[6].message, "unknown variable `item_id`");
    assert_eq!(errs[10].hint.as_deref(), Some("did you mean `sequential`?"));
    // Every line reads FILE:LINE:COL: PATH: message (expected ...; hint: ...).
    let file = fixture("many_errors.yaml").display().to_string();
    for e in &errs {
        assert!(e.to_string().starts_with(&format!("{file}:{}:{}: {}: ", e.line, e.column, e.path)), "{e}");
    }
}

#[test]
fn yaml_syntax_error_has_a_position() {
    let e = one("syntax_error.yaml");
    assert!(e.message.starts_with("invalid YAML"), "{e}");
    assert_eq!((e.line, e.column), (5, 1));
}

#[test]
fn a_missing_plan_file() {
    let errs = load(&fixture("nope.yaml"), &[], &[]).unwrap_err();
    assert!(errs[0].message.starts_with("cannot read the plan"), "{:?}", errs[0]);
}

/// Smaller cases written inline after a valid `target`: (plan, [(line, column, path, message)]).
#[test]
fn more_bad_plans() {
    let lists = "load: { stages: [{ duration: 1s, rate: 5 }] }\n";
    type Expected<'a> = Vec<(usize, usize, &'a str, &'a str)>;
    let cases: Vec<(String, Expected)> = vec![
        (
            "load: { model: closed, stages: [{ duration: 1s, rate: 5 }] }\nendpoints: [{ name: a, path: / }]".into(),
            vec![(2, 55, "load.stages[0].rate", "`rate` does not fit the closed model")],
        ),
        (
            "load: { stages: [{ duration: 1s, users: 1.5 }, { duration: 0s, users: 2 }] }\nendpoints: [{ name: a, path: / }]"
                .into(),
            vec![
                (2, 41, "load.stages[0].users", "`1.5` is not a whole number of users"),
                (2, 60, "load.stages[1].duration", "a stage must last longer than 0s"),
            ],
        ),
        (
            "load: { shape: { type: spiky, base: 1 } }\nendpoints: [{ name: a, path: / }]".into(),
            vec![(2, 24, "load.shape.type", "unknown value `spiky`")],
        ),
        (
            "load: { stages: [], shape: { type: smoke } }\nendpoints: [{ name: a, path: / }]".into(),
            vec![(2, 28, "load.shape", "both `stages` and `shape` are given")],
        ),
        (
            format!("{lists}endpoints: [{{ name: a, path: /, headers: [x] }}, {{ name: a, path: x, method: 'G T' }}]"),
            vec![
                (3, 42, "endpoints[0].headers", "wrong type: found a list"),
                (3, 57, "endpoints[1].name", "the name `a` is already used by endpoints[0]"),
                (3, 66, "endpoints[1].path", "`x` does not start with `/`"),
                (3, 77, "endpoints[1].method", "`G T` is not an HTTP method"),
            ],
        ),
        (
            format!(
                "{lists}journeys: [{{ name: j, steps: [{{ path: /, extract: {{ t: {{ json: $.a, header: X }}, u: {{}}, v: {{ regex: '(' }} }} }}] }}]"
            ),
            vec![
                (3, 56, "journeys[0].steps[0].extract.t", "more than one source"),
                (3, 85, "journeys[0].steps[0].extract.u", "nothing to extract from"),
                (3, 101, "journeys[0].steps[0].extract.v.regex", "invalid regex `(`: unclosed group"),
            ],
        ),
        (
            format!("{lists}endpoints: [{{ name: a, path: /, weight: 0 }}]"),
            vec![(3, 12, "endpoints", "every weight is 0: nothing would ever be sent")],
        ),
        (format!("{lists}endpoints: []"), vec![(3, 12, "endpoints", "nothing to send: no endpoints and no journeys")]),
        (
            format!("{lists}endpoints: [{{ name: a, path: /, expect: [200] }}]\nstages: []"),
            vec![(3, 33, "endpoints[0].expect", "unknown key `expect`"), (4, 1, "stages", "unknown key `stages`")],
        ),
        (
            format!("{lists}endpoints: [{{ name: a, path: '/{{{{ user.nme }}}}' }}]\ndata: {{ user: {{ csv: data/users.csv }} }}"),
            vec![(3, 30, "endpoints[0].path", "data source `user` has no column `nme`")],
        ),
        (
            format!("{lists}endpoints: [{{ name: a, path: '/{{{{ k }}}}' }}]\nsecrets: {{ k: hunter2 }}"),
            vec![(4, 15, "secrets.k", "a secret must come from the environment or a file, not be written in the plan")],
        ),
    ];
    for (body, want) in cases {
        let text = format!("target: {{ base_url: 'http://h' }}\n{body}\n");
        let errs = onslaught::plan::load_str(&text, &fixture("inline.yaml"), &[], &[]).unwrap_err();
        let got: Vec<(usize, usize, &str, &str)> =
            errs.iter().map(|e| (e.line, e.column, e.path.as_str(), e.message.as_str())).collect();
        assert_eq!(got, want, "{text}");
    }
}
