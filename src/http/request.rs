//! Renders a request to bytes once, before the run; the hot path only copies them. Nothing here
//! runs per request, and nothing here checks what the user wrote (the plan validator does).

/// Idempotent methods (RFC 9110 §9.2.2): safe to send again when a reused connection turns out
/// to have been closed before any response byte arrived.
pub fn idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE")
}

/// What one request looks like, before rendering.
#[derive(Clone, Debug)]
pub struct RequestSpec<'a> {
    pub method: &'a str,
    /// Path and query, starting with '/'.
    pub target: &'a str,
    /// Value of the Host header (host, plus :port when not the scheme's default).
    pub host: &'a str,
    /// User headers, in order; they override our defaults (Host, User-Agent) case-insensitively.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// false adds `Connection: close`.
    pub keep_alive: bool,
}

const USER_AGENT: &str = concat!("onslaught/", env!("CARGO_PKG_VERSION"));

/// Render the request: request line, Host, User-Agent, user headers, Content-Length (when a body
/// is present or the method is POST/PUT/PATCH, unless the user framed it with Content-Length or
/// Transfer-Encoding), optional Connection: close, blank line, body.
pub fn render(spec: &RequestSpec<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + spec.body.len());
    let has = |name: &str| spec.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    line(&mut out, &[spec.method, " ", spec.target, " HTTP/1.1"]);
    if !has("host") {
        line(&mut out, &["Host: ", spec.host]);
    }
    if !has("user-agent") {
        line(&mut out, &["User-Agent: ", USER_AGENT]);
    }
    for (name, value) in spec.headers {
        line(&mut out, &[name, ": ", value]);
    }
    let needs_len = !spec.body.is_empty() || matches!(spec.method, "POST" | "PUT" | "PATCH");
    if needs_len && !has("content-length") && !has("transfer-encoding") {
        line(&mut out, &["Content-Length: ", &spec.body.len().to_string()]);
    }
    if !spec.keep_alive && !has("connection") {
        line(&mut out, &["Connection: close"]);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(spec.body);
    out
}

/// Append the parts, then CRLF.
fn line(out: &mut Vec<u8>, parts: &[&str]) {
    for part in parts {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(method: &'a str, headers: &'a [(String, String)], body: &'a [u8]) -> RequestSpec<'a> {
        RequestSpec { method, target: "/a?b=1", host: "example.com:8080", headers, body, keep_alive: true }
    }

    fn text(spec: &RequestSpec<'_>) -> String {
        String::from_utf8(render(spec)).unwrap()
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn get_has_request_line_host_and_user_agent_only() {
        let expected = format!("GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: {USER_AGENT}\r\n\r\n");
        assert_eq!(text(&spec("GET", &[], b"")), expected);
    }

    #[test]
    fn post_without_body_gets_content_length_zero() {
        for method in ["POST", "PUT", "PATCH"] {
            assert!(text(&spec(method, &[], b"")).ends_with("Content-Length: 0\r\n\r\n"), "{method}");
        }
    }

    #[test]
    fn body_gets_content_length_and_follows_the_blank_line() {
        let out = text(&spec("POST", &[], b"{\"a\":1}"));
        assert!(out.ends_with("Content-Length: 7\r\n\r\n{\"a\":1}"), "{out}");
    }

    #[test]
    fn get_with_body_gets_content_length() {
        assert!(text(&spec("GET", &[], b"xy")).ends_with("Content-Length: 2\r\n\r\nxy"));
    }

    #[test]
    fn user_headers_override_defaults_case_insensitively() {
        let headers = owned(&[("HOST", "other"), ("user-agent", "me/1"), ("X-A", "b")]);
        let out = text(&spec("GET", &headers, b""));
        assert_eq!(out, "GET /a?b=1 HTTP/1.1\r\nHOST: other\r\nuser-agent: me/1\r\nX-A: b\r\n\r\n");
    }

    #[test]
    fn user_content_length_is_not_duplicated() {
        let headers = owned(&[("content-length", "3")]);
        let out = text(&spec("POST", &headers, b"abc"));
        assert_eq!(out.matches("ontent-").count(), 1, "{out}");
    }

    #[test]
    fn user_transfer_encoding_suppresses_content_length() {
        let headers = owned(&[("Transfer-Encoding", "chunked")]);
        let out = text(&spec("POST", &headers, b"3\r\nabc\r\n0\r\n\r\n"));
        assert!(!out.contains("Content-Length"), "{out}");
    }

    #[test]
    fn not_keep_alive_adds_connection_close_once() {
        let mut s = spec("GET", &[], b"");
        s.keep_alive = false;
        assert!(text(&s).ends_with("Connection: close\r\n\r\n"));
        let headers = owned(&[("Connection", "close")]);
        let s = RequestSpec { headers: &headers, ..s };
        assert_eq!(text(&s).matches("onnection").count(), 1);
    }

    #[test]
    fn rendered_request_parses_back() {
        let headers = owned(&[("Accept", "*/*")]);
        let bytes = render(&spec("PUT", &headers, b"hello"));
        let mut slots = [httparse::EMPTY_HEADER; 8];
        let mut req = httparse::Request::new(&mut slots);
        let len = req.parse(&bytes).unwrap().unwrap();
        assert_eq!((req.method, req.path, req.version), (Some("PUT"), Some("/a?b=1"), Some(1)));
        let names: Vec<_> = req.headers.iter().map(|h| h.name).collect();
        assert_eq!(names, ["Host", "User-Agent", "Accept", "Content-Length"]);
        assert_eq!(&bytes[len..], b"hello");
    }
}
