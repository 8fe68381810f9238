//! Table-driven: every response shape and fault, replayed byte by byte by a raw server, through
//! the real engine. Each row: the script, and how every one of the run's requests must end.
#[path = "support/script.rs"]
mod script;
mod support;
#[path = "support/wire.rs"]
mod wire;
use script::Act::*;
use support::*;

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

/// (name, script, method, expected outcome: "ok", "http_error", "timeout" or a transport class)
fn table() -> Vec<(&'static str, Vec<script::Act>, &'static str, &'static str)> {
    vec![
        ("content_length", vec![Write(OK)], "GET", "ok"),
        (
            "split_everywhere",
            vec![
                Write(b"HTT"),
                Pause(2),
                Write(b"P/1.1 200 OK\r\nCont"),
                Pause(2),
                Write(b"ent-Length: 5\r\n\r"),
                Pause(2),
                Write(b"\nhel"),
                Pause(2),
                Write(b"lo"),
            ],
            "GET",
            "ok",
        ),
        (
            "chunked",
            vec![Write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
            )],
            "GET",
            "ok",
        ),
        ("close_delimited", vec![Write(b"HTTP/1.1 200 OK\r\n\r\nbody until close"), Close], "GET", "ok"),
        ("http10", vec![Write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), Close], "GET", "ok"),
        ("head_with_length", vec![Write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")], "HEAD", "ok"),
        ("no_body_204", vec![Write(b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n")], "GET", "ok"),
        ("interim_100", vec![Write(b"HTTP/1.1 100 Continue\r\n\r\n"), Pause(2), Write(OK)], "GET", "ok"),
        (
            "connection_close",
            vec![Write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"), Close],
            "GET",
            "ok",
        ),
        (
            "te_and_cl",
            vec![Write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            )],
            "GET",
            "ok",
        ),
        // Bytes nobody asked for, arriving while the connection is idle, must not be read as the
        // next request's response: the connection is replaced.
        ("unsolicited_bytes_when_idle", vec![Write(OK), Pause(5), Write(b"HTTP/1.1 500 JUNK\r\n\r\n")], "GET", "ok"),
        // A server that closes an idle keep-alive connection without saying so.
        ("silent_idle_close", vec![Write(OK), Pause(5), Close], "GET", "ok"),
        ("status_503", vec![Write(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n")], "GET", "http_error"),
        ("unsolicited_101", vec![Write(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")], "GET", "protocol_error"),
        (
            "conflicting_lengths",
            vec![Write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok")],
            "GET",
            "protocol_error",
        ),
        (
            "bad_chunk",
            vec![Write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")],
            "GET",
            "protocol_error",
        ),
        ("garbage", vec![Write(b"NOT HTTP AT ALL\r\n\r\n")], "GET", "protocol_error"),
        ("reset", vec![Rst], "POST", "reset"),
        (
            "close_mid_body",
            vec![Write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"), Close],
            "GET",
            "closed_mid_response",
        ),
        (
            "half_close_mid_head",
            vec![Write(b"HTTP/1.1 200 OK\r\nContent-"), HalfClose, Hang],
            "GET",
            "closed_mid_response",
        ),
        ("never_answers", vec![Hang], "GET", "timeout"),
    ]
}

#[test]
fn every_response_shape_and_fault_ends_in_its_outcome() {
    let _x = exclusive();
    for (name, script, method, want) in table() {
        let addr = script::start(script);
        let url = format!("http://{addr}/");
        let r = run(&["--url", &url, "-m", method, "-R", "20", "-c", "10", "-d", "500ms", "--timeout", "300ms"]);
        let k = &r.counts;
        assert_eq!(k.intended, 10, "{name}");
        assert!(k.conserved, "{name}: {k:?}");
        let got = match want {
            "ok" => k.ok,
            "http_error" => k.http_error,
            "timeout" => k.timeout,
            class => k.transport.get(class).copied().unwrap_or(0),
        };
        assert_eq!(got, 10, "{name}: want every request as {want}: {k:?}");
    }
}
