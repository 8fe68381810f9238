//! A plan step's verdict on its response: checks (status in a set, body contains, header
//! contains / matches, max latency), then extraction into the iteration's variables. Decides
//! which steps capture their response (the others keep the parser's zero-copy discard path) and
//! what a failure is counted as. Pure: no I/O, no clock, no recording.
//!
//! Rules (docs/plan-format.md, "When a step fails"):
//! - the checks run in the plan's order; the first that fails is the step's failure (index 0 is
//!   the status check: an unexpected status is an `http_error`);
//! - extraction runs only when every check passed; a variable that finds nothing is a failure of
//!   that extraction (its variable stays unset);
//! - either failure makes the request not ok (an `http_error` in the conservation counters, as
//!   its response was complete) and ends the iteration: later steps are not sent, and, never
//!   having been due, are not counted as intended.
use crate::http::capture::{Capture, MAX_CAPTURE_BODY};
use crate::plan::{Check, Response, Step, Vars, extract_each};

pub use crate::record::Failure;

/// How much of the response a step needs kept: None, nothing (discard path); Some(0), the head;
/// Some(n), the head and up to n body bytes.
pub fn capture_limit(step: &Step) -> Option<usize> {
    let body =
        step.check.needs_body() || step.extract.iter().any(|e| !matches!(e.from, crate::plan::Extractor::Header(_)));
    let head =
        step.check.list().iter().any(|c| matches!(c, Check::HeaderContains { .. } | Check::HeaderMatches { .. }))
            || !step.extract.is_empty();
    if body {
        Some(MAX_CAPTURE_BODY)
    } else if head {
        Some(0)
    } else {
        None
    }
}

/// The verdict on a complete response: the first failure, if any. Extracted values go into
/// `vars`. `capture` is what the step kept (None: nothing, headers and body then look empty).
/// `latency_ns` is from the intended time: `max_latency` bounds what a user would see.
pub fn judge(
    step: &Step,
    status: u16,
    latency_ns: u64,
    capture: Option<&Capture>,
    vars: Option<&mut Vars>,
) -> Option<Failure> {
    let headers = capture.map(Capture::headers).unwrap_or_default();
    let body = capture.map_or(&[][..], Capture::body);
    let r = Response { status, headers: &headers, body, latency_ns };
    if let Err(f) = step.check.evaluate(&r) {
        return Some(Failure::Check(f.index));
    }
    let mut missed = None;
    if let Some(vars) = vars {
        extract_each(&step.extract, &headers, body, vars, |i| {
            missed.get_or_insert(Failure::Extract(i as u16));
        });
    }
    missed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::capture::Sink;
    use crate::plan::Plan;

    fn plan(steps: &str) -> Plan {
        let text = format!(
            "target: {{ base_url: http://127.0.0.1:1 }}\nload: {{ stages: [ {{ duration: 1s, rate: 1 }} ] }}\njourneys:\n  - name: j\n    steps:\n{steps}"
        );
        crate::plan::load_str(&text, std::path::Path::new("t.yaml"), &[], &[]).expect("plan loads")
    }

    fn captured(head: &str, body: &str) -> Capture {
        let mut c = Capture::default();
        c.reset(MAX_CAPTURE_BODY);
        Sink::head(&mut c, head.as_bytes());
        Sink::body(&mut c, body.as_bytes());
        c
    }

    const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Session: s-1\r\n\r\n";

    #[test]
    fn only_steps_that_look_at_the_response_capture_it() {
        let p = plan(
            "      - { path: /a }\n      - { path: /b, check: { status: [200], max_latency: 1s } }\n      - { path: /c, check: { header_matches: { X-Id: '^1' } } }\n      - { path: /d, extract: { s: { header: X-Session } } }\n      - { path: /e, check: { body_contains: ok } }\n      - { path: /f, extract: { t: { json: $.token } } }\n",
        );
        let limits: Vec<_> = p.journeys[0].steps.iter().map(capture_limit).collect();
        let m = Some(MAX_CAPTURE_BODY);
        assert_eq!(limits, [None, None, Some(0), Some(0), m, m]);
    }

    #[test]
    fn body_and_header_checks() {
        let p = plan(
            "      - path: /a\n        check: { status: [200], body_contains: '\"items\"', header_contains: { Content-Type: json }, header_matches: { X-Session: '^s-[0-9]+$' }, max_latency: 1s }\n",
        );
        let s = &p.journeys[0].steps[0];
        let ok = captured(HEAD, r#"{"items":[]}"#);
        assert_eq!(judge(s, 200, 1_000, Some(&ok), None), None);
        assert_eq!(judge(s, 401, 1_000, Some(&ok), None), Some(Failure::Check(0)));
        assert_eq!(judge(s, 200, 1_000, Some(&captured(HEAD, "{}")), None), Some(Failure::Check(1)));
        let plain = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Session: s-1\r\n\r\n";
        assert_eq!(judge(s, 200, 1_000, Some(&captured(plain, r#""items""#)), None), Some(Failure::Check(2)));
        let odd = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Session: s-x\r\n\r\n";
        assert_eq!(judge(s, 200, 1_000, Some(&captured(odd, r#""items""#)), None), Some(Failure::Check(3)));
        let missing = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";
        assert_eq!(judge(s, 200, 1_000, Some(&captured(missing, r#""items""#)), None), Some(Failure::Check(3)));
        assert_eq!(judge(s, 200, 2_000_000_000, Some(&ok), None), Some(Failure::Check(4)));
        // A body check sees only what was captured: past the bound, a needle is not found.
        let mut big = Capture::default();
        big.reset(MAX_CAPTURE_BODY);
        Sink::head(&mut big, HEAD.as_bytes());
        Sink::body(&mut big, &vec![b' '; MAX_CAPTURE_BODY]);
        Sink::body(&mut big, br#""items""#);
        assert!(big.truncated());
        assert_eq!(judge(s, 200, 1_000, Some(&big), None), Some(Failure::Check(1)));
    }

    #[test]
    fn extraction_fills_vars_and_counts_what_it_missed() {
        let p = plan(
            "      - path: /login\n        extract: { token: { json: $.token }, session: { header: X-Session }, id: { regex: 'id=(\\d+)' } }\n      - { path: '/x/{{ token }}/{{ session }}/{{ id }}' }\n",
        );
        let s = &p.journeys[0].steps[0];
        let mut vars = p.vars();
        let c = captured(HEAD, r#"{"token":"t-1","note":"id=42"}"#);
        assert_eq!(judge(s, 200, 1, Some(&c), Some(&mut vars)), None);
        let slot = |name: &str| s.extract.iter().find(|e| e.name == name).unwrap().slot;
        assert_eq!(vars.get(slot("token")), Some(&b"t-1"[..]));
        assert_eq!(vars.get(slot("session")), Some(&b"s-1"[..]));
        assert_eq!(vars.get(slot("id")), Some(&b"42"[..]));
        let mut vars = p.vars();
        let c = captured(HEAD, r#"{"tok":"t-1","note":"id=42"}"#);
        assert_eq!(judge(s, 200, 1, Some(&c), Some(&mut vars)), Some(Failure::Extract(0)));
        assert_eq!(vars.get(slot("token")), None);
        assert_eq!(vars.get(slot("id")), Some(&b"42"[..]));
        // A failed check skips extraction.
        let mut vars = p.vars();
        assert_eq!(judge(s, 500, 1, Some(&c), Some(&mut vars)), Some(Failure::Check(0)));
        assert_eq!(vars.get(slot("id")), None);
    }
}
