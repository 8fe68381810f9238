//! The built-in target over real sockets: endpoints, keep-alive, pipelining, split and bodied
//! requests, connection close rules, counting, multi-core start and stop.
mod serve_support;

use std::time::{Duration, Instant};

use onslaught::serve::{self, ServeError, ServeOptions, ServerStats};
use serve_support::{Client, one_core, start};

#[test]
fn endpoints_answer_exactly() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);

    let r = c.get("/");
    assert_eq!((r.status, r.text()), (200, "hello from onslaught\n"));
    assert_eq!(r.header("content-length"), Some("21"));

    let r = c.get("/bytes/0");
    assert_eq!((r.status, r.body.len()), (200, 0));
    let r = c.get("/bytes/100000");
    assert_eq!((r.status, r.body.len()), (200, 100_000));
    assert!(r.body.iter().all(|&b| b == b'x'));

    let r = c.get("/delay/0");
    assert_eq!((r.status, r.text()), (200, "hello from onslaught\n"));

    let r = c.get("/status/418");
    assert_eq!((r.status, r.text()), (418, "418 I'm a teapot\n"));
    let r = c.get("/status/503");
    assert_eq!((r.status, r.text()), (503, "503 Service Unavailable\n"));
    for code in [204, 304] {
        let r = c.get(&format!("/status/{code}"));
        assert_eq!((r.status, r.body.len(), r.header("content-length")), (code, 0, None));
    }
    // An interim 1xx is followed by a final answer to the same request.
    let r = c.get("/status/103");
    assert_eq!(r.status, 103);
    let r = c.read_response(false);
    assert_eq!((r.status, r.text()), (200, "hello from onslaught\n"));

    for path in ["/nope", "/status/600", "/status/abc", "/bytes/-1", "/delay/"] {
        let r = c.get(path);
        assert_eq!((r.status, r.text()), (404, "not found\n"), "{path}");
    }

    // 14 answers so far, /__stats itself not counted.
    let r = c.get("/__stats");
    assert_eq!((r.status, r.header("content-type")), (200, Some("application/json")));
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let paths = serde_json::json!({ "/": 1, "/bytes/N": 2, "/delay/MS": 1, "/status/CODE": 5, "other": 5 });
    assert_eq!(
        json,
        serde_json::json!({ "requests": 14, "logins": 0, "authorized": 0, "rejected": 0, "paths": paths })
    );
    assert_eq!(server.stats(), ServerStats { requests: 14, ..Default::default() });
    server.stop();
}

#[test]
fn head_requests_get_the_length_without_the_body() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    c.send(b"HEAD / HTTP/1.1\r\n\r\n");
    let r = c.read_response(true);
    assert_eq!((r.status, r.header("content-length"), r.body.len()), (200, Some("21"), 0));
    c.send(b"HEAD /bytes/5000 HTTP/1.1\r\n\r\n");
    let r = c.read_response(true);
    assert_eq!((r.status, r.header("content-length"), r.body.len()), (200, Some("5000"), 0));
    // The connection is still framed correctly afterwards.
    assert_eq!(c.get("/bytes/3").body, b"xxx");
}

#[test]
fn keep_alive_reuses_one_connection_and_counts_exactly() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    for _ in 0..100 {
        let r = c.get("/");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), None);
    }
    assert_eq!(server.stats().requests, 100);
    let json: serde_json::Value = serde_json::from_slice(&c.get("/__stats").body).unwrap();
    assert_eq!(json["requests"], 100);
    assert_eq!(server.stats().requests, 100);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let paths = ["/bytes/3", "/status/201", "/", "/bytes/70000", "/status/202", "/nope"];
    let all: String = paths.iter().map(|p| format!("GET {p} HTTP/1.1\r\nHost: t\r\n\r\n")).collect();
    c.send(all.as_bytes());
    let got: Vec<(u16, usize)> =
        paths.iter().map(|_| c.read_response(false)).map(|r| (r.status, r.body.len())).collect();
    assert_eq!(got, [(200, 3), (201, 12), (200, 21), (200, 70_000), (202, 13), (404, 10)]);
    assert_eq!(server.stats().requests, 6);
}

#[test]
fn many_pipelined_requests_in_one_write() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let all = "GET / HTTP/1.1\r\n\r\n".repeat(1000);
    c.send(all.as_bytes());
    for i in 0..1000 {
        assert_eq!(c.read_response(false).status, 200, "response {i}");
    }
    assert_eq!(server.stats().requests, 1000);
}

#[test]
fn requests_split_across_writes() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let raw = b"POST /bytes/4 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloGET /status/202 HTTP/1.1\r\n\r\n";
    for byte in raw {
        c.send(std::slice::from_ref(byte));
    }
    let r = c.read_response(false);
    assert_eq!((r.status, r.body.as_slice()), (200, b"xxxx".as_slice()));
    assert_eq!(c.read_response(false).status, 202);
    // Split at the end of the head, then in the middle of the body.
    let raw = b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyGET /bytes/2 HTTP/1.1\r\n\r\n";
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    for part in [&raw[..head_end], &raw[head_end..head_end + 2], &raw[head_end + 2..]] {
        c.send(part);
    }
    assert_eq!(c.read_response(false).status, 200);
    assert_eq!(c.read_response(false).body, b"xx");
}

#[test]
fn large_request_bodies_are_read_and_discarded() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let body = vec![b'b'; 300_000];
    let mut raw = format!("PUT /status/201 HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    raw.extend_from_slice(&body);
    raw.extend_from_slice(b"GET /bytes/1 HTTP/1.1\r\n\r\n");
    c.send(&raw);
    assert_eq!(c.read_response(false).status, 201);
    assert_eq!(c.read_response(false).body, b"x");
    assert_eq!(server.stats().requests, 2);
}

#[test]
fn large_request_heads_are_accepted_up_to_the_limit() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let filler = "a".repeat(40_000);
    c.send(format!("GET / HTTP/1.1\r\nX-Filler: {filler}\r\n\r\n").as_bytes());
    assert_eq!(c.read_response(false).status, 200);
    let huge = "a".repeat(70_000);
    c.send(format!("GET / HTTP/1.1\r\nX-Filler: {huge}\r\n\r\n").as_bytes());
    let r = c.read_response(false);
    assert_eq!((r.status, r.header("connection")), (431, Some("close")));
}

#[test]
fn connection_close_is_honoured() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    c.send(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.closed_by_server());
    assert_eq!(server.stats().requests, 1);
}

#[test]
fn http10_closes_unless_kept_alive() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    c.send(b"GET /bytes/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!((r.status, r.header("connection"), r.body.len()), (200, Some("keep-alive"), 2));
    c.send(b"GET / HTTP/1.0\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.closed_by_server());
}

#[test]
fn malformed_requests_get_400_and_close() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    c.send(b"NOT HTTP AT ALL\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!((r.status, r.header("connection")), (400, Some("close")));
    assert!(c.closed_by_server());
    let mut c = Client::connect(server.addr);
    c.send(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(c.read_response(false).status, 501);
    assert!(c.closed_by_server());
}

#[test]
fn a_delay_does_not_hold_up_other_connections() {
    let server = start(one_core());
    let mut slow = Client::connect(server.addr);
    let mut fast = Client::connect(server.addr);
    let t0 = Instant::now();
    slow.send_get("/delay/1500");
    assert_eq!(fast.get("/").status, 200);
    let fast_done = t0.elapsed();
    assert_eq!(slow.read_response(false).status, 200);
    let slow_done = t0.elapsed();
    assert!(slow_done >= Duration::from_millis(1500), "{slow_done:?}");
    assert!(fast_done < Duration::from_millis(1000), "fast {fast_done:?} waited for the delay");
}

#[test]
fn stop_returns_with_idle_keep_alive_connections_open() {
    let server = start(one_core());
    let mut idle = Client::connect(server.addr);
    assert_eq!(idle.get("/").status, 200);
    let mut delayed = Client::connect(server.addr);
    delayed.send_get("/delay/60000");
    let t0 = Instant::now();
    server.stop();
    assert!(t0.elapsed() < Duration::from_secs(10), "stop took {:?}", t0.elapsed());
    assert!(idle.closed_by_server());
    assert!(delayed.closed_by_server());
}

#[test]
fn port_zero_reports_the_bound_port_and_taken_ports_fail() {
    let server = start(one_core());
    assert!(server.addr.ip().is_loopback());
    assert_ne!(server.addr.port(), 0);
    let taken = serve::start(ServeOptions { listen: server.addr, ..one_core() });
    assert!(matches!(taken, Err(ServeError::Bind(_))), "{:?}", taken.err());
    assert_eq!(Client::connect(server.addr).get("/").status, 200);
}

#[test]
fn several_cores_share_one_port() {
    let server = start(ServeOptions { cores: 3, ..ServeOptions::default() });
    assert_eq!(server.cores(), 3);
    let mut clients: Vec<Client> = (0..30).map(|_| Client::connect(server.addr)).collect();
    for round in 0..4 {
        for c in &mut clients {
            c.send_get("/bytes/10");
        }
        for c in &mut clients {
            assert_eq!(c.read_response(false).body.len(), 10, "round {round}");
        }
    }
    assert_eq!(server.stats().requests, 120);
    server.stop();
}

#[test]
fn all_cores_by_default() {
    let server = start(ServeOptions::default());
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert!(server.cores() >= 1 && server.cores() <= cpus, "{} of {cpus}", server.cores());
    assert_eq!(Client::connect(server.addr).get("/").status, 200);
}
