//! Correlation and checks against the built-in target's API (issue 4, must show): a journey whose
//! later steps need the token from its login succeeds 100%; the same API step without a token is
//! refused (401, counted as http_error and against its status check); a wrong extraction path or
//! a failing body check is counted per extraction / per check, ends the iteration, and
//! conservation stays exact.
mod support;
use onslaught::report::{EndpointRow, Report};
use support::*;

const JOURNEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/plans/journey.yaml");

fn endpoint<'a>(r: &'a Report, name: &str) -> &'a EndpointRow {
    r.endpoints.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("no {name} in {:?}", r.endpoints))
}

/// A plan file in a fresh temporary directory (removed by the caller with `remove_dir_all`).
fn plan_file(tag: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("onslaught-corr-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("plan.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_journey_using_the_login_token_succeeds_100_percent() {
    let _x = exclusive();
    let srv = target(|_| {});
    let base = format!("target.base_url=http://{}", srv.addr);
    // Shoppers only, so every iteration logs in; 128 connections hold iterations through their
    // think times.
    let r = run(&[
        JOURNEY,
        "--set",
        &base,
        "--set",
        "journeys.visitor.weight=0",
        "-R",
        "50",
        "-d",
        "2s",
        "-c",
        "128",
        "--warmup",
        "0s",
    ]);
    let k = &r.counts;
    assert!(k.conserved, "{k:?}");
    assert_eq!(k.ok, k.intended, "{k:?} {:?}", r.endpoints);
    let login = endpoint(&r, "shopper/login");
    // 50/s for 2 s: 100 iterations, each a login.
    assert_eq!(login.requests, 100);
    let names = ["shopper/login", "shopper/list", "shopper/detail", "shopper/write", "shopper/logout"];
    let mut prev = login.requests;
    for n in names {
        let e = endpoint(&r, n);
        assert_eq!((e.ok, e.errors, e.checks_failed), (e.requests, 0, 0), "{e:?}");
        assert!(e.checks.iter().chain(&e.extractions).all(|c| c.failed == 0), "{e:?}");
        // Later steps run only after earlier ones (think times may push the last past the end).
        assert!(e.requests <= prev && e.requests > 0, "{n}: {e:?}");
        prev = e.requests;
    }
    assert_eq!(endpoint(&r, "shopper/logout").checks[0].name, "status in 204");
    let api: u64 = names[1..].iter().map(|n| endpoint(&r, n).ok).sum();
    let s = srv.stats();
    // The target issued one token per iteration and accepted every later step's.
    assert_eq!((s.logins, s.authorized, s.rejected), (login.requests, api, 0), "{s:?}");
    assert_eq!(s.requests, k.ok);
    srv.stop();
}

#[test]
fn the_api_without_a_token_is_refused_and_counted_as_http_error() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = plan_file(
        "notoken",
        &format!(
            "target: {{ base_url: http://{} }}\nload: {{ stages: [ {{ duration: 1s, rate: 100 }} ] }}\nendpoints:\n  - {{ name: items, path: /api/items, check: {{ status: [200], body_contains: items }} }}\n",
            srv.addr
        ),
    );
    let r = run(&[plan.to_str().unwrap(), "-c", "8"]);
    let _ = std::fs::remove_dir_all(plan.parent().unwrap());
    let k = &r.counts;
    assert!(k.conserved, "{k:?}");
    assert_eq!((k.intended, k.ok, k.http_error), (100, 0, 100), "{k:?}");
    assert_eq!(k.status.get("401"), Some(&100));
    let e = endpoint(&r, "items");
    // Refused by status: the first check, not a later one.
    assert_eq!((e.requests, e.errors, e.checks_failed), (100, 100, 0), "{e:?}");
    assert_eq!(
        e.checks.iter().map(|c| (c.name.as_str(), c.failed)).collect::<Vec<_>>(),
        [("status in 200", 100), ("body contains \"items\"", 0)]
    );
    let s = srv.stats();
    assert_eq!((s.requests, s.rejected, s.authorized), (100, 100, 0), "{s:?}");
    srv.stop();
}

#[test]
fn a_wrong_extraction_path_fails_the_login_and_ends_each_iteration() {
    let _x = exclusive();
    let srv = target(|_| {});
    let base = format!("target.base_url=http://{}", srv.addr);
    let r = run(&[
        JOURNEY,
        "--set",
        &base,
        "--set",
        "journeys.visitor.weight=0",
        "--set",
        "journeys.shopper.steps.login.extract.token.json=$.tokn",
        "-R",
        "100",
        "-d",
        "1s",
        "-c",
        "16",
        "--warmup",
        "0s",
    ]);
    let k = &r.counts;
    assert!(k.conserved, "{k:?}");
    // Every login got its 200 but yielded no token: not ok, and nothing after it was sent.
    assert_eq!((k.intended, k.ok, k.http_error), (100, 0, 100), "{k:?}");
    assert_eq!(k.status.get("200"), Some(&100));
    let login = endpoint(&r, "shopper/login");
    assert_eq!((login.requests, login.errors, login.checks_failed), (100, 100, 100), "{login:?}");
    assert_eq!(login.extractions.len(), 1);
    assert_eq!((login.extractions[0].name.as_str(), login.extractions[0].failed), ("token <- json $.tokn", 100));
    assert!(login.checks.iter().all(|c| c.failed == 0), "{login:?}");
    for n in ["shopper/list", "shopper/detail", "shopper/write", "shopper/logout"] {
        assert_eq!(endpoint(&r, n).requests, 0, "{n}");
    }
    let s = srv.stats();
    assert_eq!((s.requests, s.logins, s.authorized, s.rejected), (100, 100, 0, 0), "{s:?}");
    srv.stop();
}

#[test]
fn a_failing_body_check_is_counted_per_check_and_ends_the_iteration() {
    let _x = exclusive();
    let srv = target(|_| {});
    let plan = plan_file(
        "bodycheck",
        &format!(
            r#"target: {{ base_url: http://{} }}
load: {{ stages: [ {{ duration: 1s, rate: 100 }} ] }}
journeys:
  - name: j
    steps:
      - name: login
        method: POST
        path: /login
        body: '{{"user": "u{{{{ seq() }}}}", "password": "pw"}}'
        extract: {{ token: {{ json: $.token }}, session: {{ header: Set-Cookie }} }}
        check: {{ header_matches: {{ Set-Cookie: '^session=[0-9a-f]{{32}};' }} }}
      - name: list
        path: /api/items
        headers: {{ Authorization: "Bearer {{{{ token }}}}" }}
        check: {{ status: [200], body_contains: '"id":1,', header_contains: {{ Content-Type: xml }} }}
      - name: logout
        method: POST
        path: /logout
        headers: {{ Authorization: "Bearer {{{{ token }}}}" }}
"#,
            srv.addr
        ),
    );
    let r = run(&[plan.to_str().unwrap(), "-c", "16"]);
    let _ = std::fs::remove_dir_all(plan.parent().unwrap());
    let k = &r.counts;
    assert!(k.conserved, "{k:?}");
    // 100 logins ok, 100 lists with a 200 that fail the header check, no logout.
    assert_eq!((k.intended, k.ok, k.http_error), (200, 100, 100), "{k:?}");
    let login = endpoint(&r, "j/login");
    assert_eq!((login.requests, login.ok), (100, 100), "{login:?}");
    let list = endpoint(&r, "j/list");
    assert_eq!((list.requests, list.errors, list.checks_failed), (100, 100, 100), "{list:?}");
    let failed: Vec<_> = list.checks.iter().map(|c| (c.name.as_str(), c.failed)).collect();
    assert_eq!(
        failed,
        [("status in 200", 0), ("body contains \"\\\"id\\\":1,\"", 0), ("header Content-Type contains \"xml\"", 100)]
    );
    assert_eq!(endpoint(&r, "j/logout").requests, 0);
    let s = srv.stats();
    assert_eq!((s.logins, s.authorized, s.rejected), (100, 100, 0), "{s:?}");
    srv.stop();
}

#[test]
fn a_body_check_on_a_body_larger_than_the_capture_sees_its_prefix_only() {
    let _x = exclusive();
    let srv = target(|_| {});
    // 1 MB bodies of `x`, read through the capture path: framed whole (the next request on the
    // connection still works), kept to the first 64 KiB.
    let plan = plan_file(
        "bigbody",
        &format!(
            "target: {{ base_url: http://{} }}\nload: {{ stages: [ {{ duration: 1s, rate: 50 }} ] }}\nendpoints:\n  - {{ name: xs, path: /bytes/1000000, check: {{ body_contains: xxxx }} }}\njourneys:\n  - {{ name: tail, steps: [ {{ name: get, path: /bytes/1000000, extract: {{ end: {{ regex: 'x{{65537}}' }} }} }} ] }}\n",
            srv.addr
        ),
    );
    let r = run(&[plan.to_str().unwrap(), "-c", "4"]);
    let _ = std::fs::remove_dir_all(plan.parent().unwrap());
    let k = &r.counts;
    assert!(k.conserved, "{k:?}");
    let (xs, tail) = (endpoint(&r, "xs"), endpoint(&r, "tail/get"));
    assert_eq!(xs.requests + tail.requests, 50);
    assert!(xs.requests > 0 && tail.requests > 0, "{xs:?} {tail:?}");
    assert_eq!((xs.ok, xs.errors), (xs.requests, 0), "{xs:?}");
    // 65 537 x's exist in the body but not in the 65 536 bytes kept.
    assert_eq!((tail.ok, tail.extractions[0].failed), (0, tail.requests), "{tail:?}");
    assert_eq!((k.ok, k.http_error, k.transport_error), (xs.requests, tail.requests, 0), "{k:?}");
    srv.stop();
}
