//! The built-in target's JSON API over real sockets: login issues a token, the API answers only
//! requests that carry a valid one, bodies split across reads are read whole, oversized ones are
//! refused, and /__stats counts logins, authorized and rejected requests exactly.
mod serve_support;

use onslaught::serve::ServerStats;
use serve_support::{Client, one_core, start};

fn post(c: &mut Client, path: &str, auth: Option<&str>, body: &str) -> serve_support::Resp {
    let auth = auth.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    c.send(req.as_bytes());
    c.read_response(false)
}

fn get(c: &mut Client, path: &str, auth: Option<&str>) -> serve_support::Resp {
    let auth = auth.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    c.send(format!("GET {path} HTTP/1.1\r\nHost: t\r\n{auth}\r\n").as_bytes());
    c.read_response(false)
}

fn json(r: &serve_support::Resp) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {:?}", r.text()))
}

#[test]
fn a_session_login_list_detail_write_logout() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let r = post(&mut c, "/login", None, r#"{"user": "ann", "password": "pw"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let token = json(&r)["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32);
    assert_eq!(r.header("set-cookie"), Some(format!("session={token}; Path=/; HttpOnly").as_str()));
    // A second login gets another token.
    let other = json(&post(&mut c, "/login", None, r#"{"user": "bob", "password": "x"}"#))["token"].clone();
    assert_ne!(other.as_str(), Some(token.as_str()));

    let r = get(&mut c, "/api/items", Some(&token));
    assert_eq!((r.status, json(&r)["items"].as_array().map(Vec::len)), (200, Some(10)));
    let r = get(&mut c, "/api/items/7", Some(&token));
    assert_eq!((r.status, json(&r)["id"].as_u64()), (200, Some(7)));
    let r = post(&mut c, "/api/items", Some(&token), r#"{"name": "new"}"#);
    assert_eq!(r.status, 201);
    assert!(json(&r)["id"].as_u64().unwrap() > 1000);
    let r = post(&mut c, "/logout", Some(&token), "");
    assert_eq!((r.status, r.body.len()), (204, 0));
    assert_eq!(server.stats(), ServerStats { requests: 6, logins: 2, authorized: 4, rejected: 0 });
    let s = json(&get(&mut c, "/__stats", None));
    let paths = serde_json::json!({
        "POST /login": 2, "GET /api/items": 1, "GET /api/items/N": 1, "POST /api/items": 1, "POST /logout": 1
    });
    assert_eq!(s, serde_json::json!({ "requests": 6, "logins": 2, "authorized": 4, "rejected": 0, "paths": paths }));
    server.stop();
}

/// The learning-platform plans' background traffic: a health probe and a webhook sink, neither
/// needing a token, each counted on its own path.
#[test]
fn health_and_webhook_sink_answer_without_a_token_and_are_counted_per_path() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let r = get(&mut c, "/health", None);
    assert_eq!((r.status, json(&r)["status"].as_str()), (200, Some("ok")));
    let r = post(&mut c, "/webhooks/payments", None, r#"{"event": "payment.succeeded"}"#);
    assert_eq!((r.status, json(&r)["accepted"].as_bool()), (202, Some(true)));
    assert_eq!(post(&mut c, "/webhooks/crm", None, "").status, 202);
    assert_eq!(get(&mut c, "/webhooks/payments", None).status, 405);
    assert_eq!(post(&mut c, "/health", None, "").status, 405);
    assert_eq!(get(&mut c, "/webhooks/", None).status, 404);
    let p = server.paths();
    assert_eq!((p.get("/health"), p.get("POST /webhooks/NAME"), p.get("/status/CODE"), p.get("other")), (1, 2, 2, 1));
    assert_eq!(p.0.iter().sum::<u64>(), server.stats().requests);
    server.stop();
}

#[test]
fn requests_without_a_valid_token_are_401() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let forged = "0000000000000001".to_string() + "0000000000000000";
    let r = get(&mut c, "/api/items", None);
    assert_eq!((r.status, r.header("www-authenticate")), (401, Some("Bearer")));
    assert_eq!(get(&mut c, "/api/items/1", Some(&forged)).status, 401);
    assert_eq!(get(&mut c, "/api/items/1", Some("not-a-token")).status, 401);
    assert_eq!(post(&mut c, "/api/items", None, "{}").status, 401);
    assert_eq!(post(&mut c, "/logout", None, "").status, 401);
    // Bad credentials: 401; a body that is not JSON: 400.
    assert_eq!(post(&mut c, "/login", None, r#"{"user": "ann", "password": ""}"#).status, 401);
    assert_eq!(post(&mut c, "/login", None, r#"{"user": "ann"}"#).status, 401);
    assert_eq!(post(&mut c, "/login", None, "ann:pw").status, 400);
    // A token from another server is not valid here.
    let other = start(one_core());
    let mut c2 = Client::connect(other.addr);
    let foreign = json(&post(&mut c2, "/login", None, r#"{"user": "ann", "password": "pw"}"#))["token"].clone();
    assert_eq!(get(&mut c, "/api/items", foreign.as_str()).status, 401);
    // Wrong method on an API path.
    assert_eq!(get(&mut c, "/login", None).status, 405);
    assert_eq!(server.stats(), ServerStats { requests: 10, logins: 0, authorized: 0, rejected: 8 });
    other.stop();
    server.stop();
}

#[test]
fn bodies_split_across_reads_are_read_whole_and_big_ones_refused() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let body = r#"{"user": "ann", "password": "pw"}"#;
    let req = format!("POST /login HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    let (a, b) = req.as_bytes().split_at(req.len() - 10);
    // Two writes (TCP_NODELAY): the server may see the body arrive after the head.
    c.send(a);
    c.send(b);
    assert_eq!(c.read_response(false).status, 200);
    // Pipelined: two logins in one write.
    c.send(format!("{req}{req}").as_bytes());
    assert_eq!((c.read_response(false).status, c.read_response(false).status), (200, 200));
    let big = "x".repeat(16 * 1024 + 1);
    let r = post(&mut c, "/login", None, &big);
    assert_eq!((r.status, r.header("connection")), (413, Some("close")));
    assert!(c.closed_by_server());
    assert_eq!(server.stats().logins, 3);
    server.stop();
}
