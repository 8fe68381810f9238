//! Response bytes for the built-in target: renders heads and small bodies into the connection's
//! output buffer (no I/O, no allocation beyond that buffer). The hot `/` answer is pre-rendered.
use std::io::Write;

use super::ServerStats;
use super::paths::PathCounts;
use super::request::Route;

/// Body of `/` and `/delay/MS`.
pub(crate) const HELLO: &[u8] = b"hello from onslaught\n";
/// The whole `/` answer on a kept-alive HTTP/1.1 connection, byte for byte what `render` would
/// build (a unit test holds them equal).
const HELLO_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 21\r\n\r\nhello from onslaught\n";
/// Source of `/bytes/N` bodies, written in slices of it.
pub(crate) static FILL: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// The Connection header an answer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conn {
    /// HTTP/1.1 kept alive: the default, no header.
    Default,
    /// The connection closes after this answer.
    Close,
    /// HTTP/1.0 kept alive on request.
    KeepAlive,
}

impl Conn {
    pub fn new(keep_alive: bool, http10: bool) -> Conn {
        match (keep_alive, http10) {
            (false, _) => Conn::Close,
            (true, true) => Conn::KeepAlive,
            (true, false) => Conn::Default,
        }
    }
}

/// What remains to be written after `render`: `fill` bytes from `FILL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub fill: u64,
}

/// Append the answer to `route` to `out`. `head_method`: leave the body out (its length stays).
/// `stats`: the figures `/__stats` reports. API routes are `api`'s; here they are 404.
pub(crate) fn render(out: &mut Vec<u8>, route: Route, conn: Conn, head_method: bool, stats: ServerStats) -> Rendered {
    let body: &[u8] = match route {
        Route::Root | Route::Delay(_) if conn == Conn::Default && !head_method => {
            out.extend_from_slice(HELLO_RESPONSE);
            return Rendered { fill: 0 };
        }
        Route::Root | Route::Delay(_) => HELLO,
        Route::Bytes(n) => {
            head(out, 200, Some(n), "application/octet-stream", conn);
            return Rendered { fill: if head_method { 0 } else { n } };
        }
        Route::Status(code) => return status(out, code, conn, head_method),
        Route::Stats => {
            render_stats(out, conn, head_method, stats, &PathCounts::default());
            return Rendered { fill: 0 };
        }
        Route::Health => return small_json(out, 200, b"{\"status\":\"ok\"}", conn, head_method),
        Route::Webhook => return small_json(out, 202, b"{\"accepted\":true}", conn, head_method),
        _ => b"not found\n",
    };
    let code = if matches!(route, Route::Root | Route::Delay(_)) { 200 } else { 404 };
    head(out, code, Some(body.len() as u64), "text/plain", conn);
    if !head_method {
        out.extend_from_slice(body);
    }
    Rendered { fill: 0 }
}

fn small_json(out: &mut Vec<u8>, code: u16, body: &[u8], conn: Conn, head_method: bool) -> Rendered {
    head(out, code, Some(body.len() as u64), "application/json", conn);
    if !head_method {
        out.extend_from_slice(body);
    }
    Rendered { fill: 0 }
}

/// The `/__stats` answer: the figures and the per-path counts.
pub(crate) fn render_stats(out: &mut Vec<u8>, conn: Conn, head_method: bool, stats: ServerStats, paths: &PathCounts) {
    let mut json = [0u8; STATS_JSON_MAX];
    let len = stats_json(&mut json, stats, paths);
    head(out, 200, Some(len as u64), "application/json", conn);
    if !head_method {
        out.extend_from_slice(&json[..len]);
    }
}

/// An error answer (`code` from `HeadError::status`); the connection closes after it.
pub(crate) fn render_error(out: &mut Vec<u8>, code: u16) {
    status(out, code, Conn::Close, false);
}

/// `/status/CODE`. 204, 304 and 1xx carry neither body nor Content-Length (RFC 9110 §8.6 forbids
/// the header on 1xx and 204). A 1xx is interim, so it is followed by a final `/` answer: the
/// client sees the code it asked for and still gets a response to its request.
fn status(out: &mut Vec<u8>, code: u16, conn: Conn, head_method: bool) -> Rendered {
    match code {
        100..=199 => {
            let _ = write!(out, "HTTP/1.1 {code} {}\r\n\r\n", reason(code));
            return render(out, Route::Root, conn, head_method, ServerStats::default());
        }
        204 | 304 => head(out, code, None, "text/plain", conn),
        _ => {
            let phrase = reason(code);
            // "418 I'm a teapot\n"
            let len = 3 + 1 + phrase.len() + 1;
            head(out, code, Some(len as u64), "text/plain", conn);
            if !head_method {
                let _ = writeln!(out, "{code} {phrase}");
            }
        }
    }
    Rendered { fill: 0 }
}

fn head(out: &mut Vec<u8>, code: u16, length: Option<u64>, content_type: &str, conn: Conn) {
    head_with(out, code, length, content_type, conn, b"");
}

/// A head with `extra` header lines (each ending in CRLF) after the content type.
pub(crate) fn head_with(
    out: &mut Vec<u8>,
    code: u16,
    length: Option<u64>,
    content_type: &str,
    conn: Conn,
    extra: &[u8],
) {
    let _ = write!(out, "HTTP/1.1 {code} {}\r\ncontent-type: {content_type}\r\n", reason(code));
    out.extend_from_slice(extra);
    if let Some(n) = length {
        let _ = write!(out, "content-length: {n}\r\n");
    }
    match conn {
        Conn::Default => {}
        Conn::Close => out.extend_from_slice(b"connection: close\r\n"),
        Conn::KeepAlive => out.extend_from_slice(b"connection: keep-alive\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// Room for the `/__stats` body with every figure at u64::MAX.
/// The longest `/__stats` body: the four figures and every path class at u64::MAX.
const STATS_JSON_MAX: usize = 1024;

/// `{"requests": N, "logins": L, "authorized": A, "rejected": R, "paths": {...}}` into `buf`;
/// returns its length.
fn stats_json(buf: &mut [u8; STATS_JSON_MAX], s: ServerStats, paths: &PathCounts) -> usize {
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(
        cursor,
        "{{\"requests\": {}, \"logins\": {}, \"authorized\": {}, \"rejected\": {}, ",
        s.requests, s.logins, s.authorized, s.rejected
    );
    let _ = paths.write_json(&mut cursor);
    let _ = write!(cursor, "}}");
    cursor.position() as usize
}

/// The reason phrase for `code`: the registered one, else the name of its class.
pub(crate) fn reason(code: u16) -> &'static str {
    registered_reason(code).unwrap_or(match code {
        100..=199 => "Informational",
        200..=299 => "Success",
        300..=399 => "Redirection",
        400..=499 => "Client Error",
        _ => "Server Error",
    })
}

/// The registered reason phrases (RFC 9110 §15 and the IANA registry), by code, ascending.
const REGISTERED: &[(u16, &str)] = &[
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Content Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (418, "I'm a teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Content"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (511, "Network Authentication Required"),
];

fn registered_reason(code: u16) -> Option<&'static str> {
    REGISTERED.binary_search_by_key(&code, |(c, _)| *c).ok().map(|i| REGISTERED[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_reasons_are_sorted_for_the_binary_search() {
        assert!(REGISTERED.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!((reason(200), reason(418), reason(511)), ("OK", "I'm a teapot", "Network Authentication Required"));
        assert_eq!((reason(299), reason(499), reason(599)), ("Success", "Client Error", "Server Error"));
    }

    fn text(route: Route, conn: Conn, head_method: bool) -> (String, u64) {
        let mut out = Vec::new();
        let r = render(&mut out, route, conn, head_method, ServerStats { requests: 7, ..Default::default() });
        (String::from_utf8(out).unwrap(), r.fill)
    }

    #[test]
    fn prerendered_hello_matches_the_renderer() {
        let mut out = Vec::new();
        head(&mut out, 200, Some(HELLO.len() as u64), "text/plain", Conn::Default);
        out.extend_from_slice(HELLO);
        assert_eq!(out, HELLO_RESPONSE);
        assert_eq!(text(Route::Root, Conn::Default, false).0.as_bytes(), HELLO_RESPONSE);
        assert_eq!(text(Route::Delay(5), Conn::Default, false).0.as_bytes(), HELLO_RESPONSE);
    }

    #[test]
    fn connection_headers() {
        let (close, _) = text(Route::Root, Conn::Close, false);
        assert!(close.contains("\r\nconnection: close\r\n"), "{close}");
        assert!(close.ends_with("\r\n\r\nhello from onslaught\n"));
        let (keep, _) = text(Route::Root, Conn::KeepAlive, false);
        assert!(keep.contains("\r\nconnection: keep-alive\r\n"), "{keep}");
        assert_eq!(Conn::new(false, false), Conn::Close);
        assert_eq!(Conn::new(false, true), Conn::Close);
        assert_eq!(Conn::new(true, true), Conn::KeepAlive);
        assert_eq!(Conn::new(true, false), Conn::Default);
    }

    #[test]
    fn head_method_keeps_length_drops_body() {
        let (s, fill) = text(Route::Root, Conn::Default, true);
        assert!(s.contains("content-length: 21\r\n") && s.ends_with("\r\n\r\n"), "{s}");
        assert_eq!(fill, 0);
        let (s, fill) = text(Route::Bytes(1000), Conn::Default, true);
        assert!(s.contains("content-length: 1000\r\n") && s.ends_with("\r\n\r\n"), "{s}");
        assert_eq!(fill, 0);
    }

    #[test]
    fn bytes_leave_the_body_to_the_caller() {
        let (s, fill) = text(Route::Bytes(1000), Conn::Default, false);
        assert!(s.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(s.contains("content-length: 1000\r\n") && s.ends_with("\r\n\r\n"), "{s}");
        assert_eq!(fill, 1000);
    }

    #[test]
    fn statuses() {
        let (s, _) = text(Route::Status(418), Conn::Default, false);
        assert!(s.starts_with("HTTP/1.1 418 I'm a teapot\r\n"), "{s}");
        assert!(s.ends_with("content-length: 17\r\n\r\n418 I'm a teapot\n"), "{s}");
        let (s, _) = text(Route::Status(599), Conn::Default, false);
        assert!(s.ends_with("content-length: 17\r\n\r\n599 Server Error\n"), "{s}");
        for code in [204, 304] {
            let (s, _) = text(Route::Status(code), Conn::Default, false);
            assert!(!s.contains("content-length") && s.ends_with("\r\n\r\n"), "{s}");
        }
        let (s, _) = text(Route::Status(103), Conn::Default, false);
        let want = format!("HTTP/1.1 103 Early Hints\r\n\r\n{}", std::str::from_utf8(HELLO_RESPONSE).unwrap());
        assert_eq!(s, want);
        let (s, _) = text(Route::NotFound, Conn::Default, false);
        assert!(s.starts_with("HTTP/1.1 404 Not Found\r\n") && s.ends_with("\r\n\r\nnot found\n"));
    }

    #[test]
    fn stats_body_is_json() {
        let (s, _) = text(Route::Stats, Conn::Default, false);
        let body = "{\"requests\": 7, \"logins\": 0, \"authorized\": 0, \"rejected\": 0, \"paths\": {}}";
        assert!(s.ends_with(&format!("content-length: {}\r\n\r\n{body}", body.len())), "{s}");
        let mut buf = [0u8; STATS_JSON_MAX];
        let m = u64::MAX;
        let len = stats_json(
            &mut buf,
            ServerStats { requests: m, logins: m, authorized: m, rejected: m },
            &PathCounts([m; super::super::paths::PATHS.len()]),
        );
        let v: serde_json::Value = serde_json::from_slice(&buf[..len]).unwrap();
        assert_eq!(v["requests"].as_u64(), Some(u64::MAX));
        assert_eq!(v["rejected"].as_u64(), Some(u64::MAX));
    }

    #[test]
    fn errors_close() {
        let mut out = Vec::new();
        render_error(&mut out, 431);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{s}");
        assert!(s.contains("\r\nconnection: close\r\n"));
    }
}
