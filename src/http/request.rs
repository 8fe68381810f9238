//! Renders a request to bytes once, before the run; the hot path only copies them.

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

/// Render the request: request line, Host, User-Agent, user headers, Content-Length (when a body
/// is present or the method is POST/PUT/PATCH), optional Connection: close, blank line, body.
pub fn render(spec: &RequestSpec<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + spec.body.len());
    let has = |name: &str| {
        spec.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", spec.method, spec.target).as_bytes());
    if !has("host") {
        out.extend_from_slice(format!("Host: {}\r\n", spec.host).as_bytes());
    }
    if !has("user-agent") {
        out.extend_from_slice(
            concat!("User-Agent: onslaught/", env!("CARGO_PKG_VERSION"), "\r\n").as_bytes(),
        );
    }
    for (n, v) in spec.headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    let needs_len = !spec.body.is_empty() || matches!(spec.method, "POST" | "PUT" | "PATCH");
    if needs_len && !has("content-length") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", spec.body.len()).as_bytes());
    }
    if !spec.keep_alive && !has("connection") {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(spec.body);
    out
}
