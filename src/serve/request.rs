//! Sans-I/O request heads for the built-in target: fed the unread bytes of a connection, answers
//! partial / one parsed head / error, and maps the path to a route. Never reads or writes a socket.
use std::mem::MaybeUninit;

/// Largest request head accepted; beyond it the connection gets 431 and is closed.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Header fields parsed per request; more is answered with 431.
const MAX_HEADERS: usize = 64;
/// Cap on `/bytes/N`: larger N are served with this many bytes.
pub(crate) const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Cap on `/delay/MS` (one hour): longer delays wait this long.
pub(crate) const MAX_DELAY_MS: u64 = 3_600_000;

/// What the path asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/`
    Root,
    /// `/bytes/N`: N bytes of body (capped at `MAX_BYTES`).
    Bytes(u64),
    /// `/delay/MS`: answered MS milliseconds late (capped at `MAX_DELAY_MS`).
    Delay(u64),
    /// `/status/CODE`, CODE in 100..=599.
    Status(u16),
    /// `/__stats`: the response counters as JSON; neither counted nor paced.
    Stats,
    NotFound,
    /// `POST /login` (JSON credentials in the body): a bearer token (see `api`).
    Login,
    /// `POST /logout`: 204 (token required).
    Logout,
    /// `GET /api/items`: the list (token required).
    Items,
    /// `GET /api/items/N`: one item (token required).
    Item(u64),
    /// `POST /api/items` (a JSON body): 201 with the new id (token required).
    CreateItem,
    /// `GET /health` (or HEAD): 200 `{"status":"ok"}`, no token (a liveness probe to poll).
    Health,
    /// `POST /webhooks/NAME`: 202 `{"accepted":true}`, no token; the body is discarded (a sink).
    Webhook,
}

impl Route {
    /// Routes whose request body is read (bounded by `MAX_API_BODY`) rather than discarded.
    pub fn reads_body(self) -> bool {
        matches!(self, Route::Login | Route::CreateItem)
    }

    /// The API routes (`api` answers them).
    pub fn is_api(self) -> bool {
        matches!(self, Route::Login | Route::Logout | Route::Items | Route::Item(_) | Route::CreateItem)
    }
}

/// Largest request body an API route reads (larger ones are answered 413 and the connection
/// closed); other routes discard their bodies whatever their size.
pub(crate) const MAX_API_BODY: u64 = 16 * 1024;

/// The `Authorization: Bearer` credential of a request, parsed but not yet verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bearer {
    /// No Authorization field.
    Absent,
    /// Present but not a bearer token of our shape (32 hex digits).
    Bad,
    /// id and MAC, as the token's two 16-hex-digit halves.
    Token(u64, u64),
}

/// Everything the connection needs from one request head, owned (the parser's borrows end here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// Bytes of the head, request line to the blank line included.
    pub len: usize,
    pub route: Route,
    /// Request body bytes that follow the head (Content-Length), to be read and discarded.
    pub body: u64,
    /// false: close the connection after answering.
    pub keep_alive: bool,
    /// HTTP/1.0: a kept-alive answer must say `Connection: keep-alive`.
    pub http10: bool,
    /// HEAD: the answer carries the length of the body but not the body.
    pub head_method: bool,
    pub bearer: Bearer,
}

/// Why a head was refused; each is answered with its status and the connection is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// Not HTTP/1.x, or Content-Length malformed or repeated with different values: 400.
    Malformed,
    /// Head over `MAX_HEAD_BYTES` or more than `MAX_HEADERS` fields: 431.
    TooLarge,
    /// A request body framed by Transfer-Encoding: 501 (only Content-Length bodies are read).
    TransferEncoding,
}

impl HeadError {
    pub fn status(self) -> u16 {
        match self {
            HeadError::Malformed => 400,
            HeadError::TooLarge => 431,
            HeadError::TransferEncoding => 501,
        }
    }
}

/// Parse the head at the start of `buf`. `Ok(None)`: incomplete, read more (the caller keeps
/// `buf` and appends); once `buf` is `MAX_HEAD_BYTES` long without a full head, `TooLarge`.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<Head>, HeadError> {
    // Uninitialised slots: no 64-field memset per request on the hot path.
    let mut fields = [const { MaybeUninit::<httparse::Header>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(buf, &mut fields) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD_BYTES => {
            return Err(HeadError::TooLarge);
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(_) => return Err(HeadError::Malformed),
    };
    if len > MAX_HEAD_BYTES {
        return Err(HeadError::TooLarge);
    }
    let http10 = req.version == Some(0);
    let mut body = None;
    let (mut close, mut keep) = (false, false);
    let mut bearer = Bearer::Absent;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = parse_u64(h.value).ok_or(HeadError::Malformed)?;
            if body.is_some_and(|b| b != n) {
                return Err(HeadError::Malformed);
            }
            body = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(HeadError::TransferEncoding);
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if h.name.eq_ignore_ascii_case("authorization") {
            bearer = parse_bearer(h.value);
        }
    }
    let method = req.method.unwrap_or("GET");
    let target = req.path.unwrap_or("/").as_bytes();
    Ok(Some(Head {
        len,
        route: api_route(method, target).unwrap_or_else(|| route(target)),
        body: body.unwrap_or(0),
        keep_alive: !close && (!http10 || keep),
        http10,
        head_method: method == "HEAD",
        bearer,
    }))
}

/// The API's routes by method and path (query ignored); a known path with another method is
/// `405`. None: not an API path.
pub(crate) fn api_route(method: &str, target: &[u8]) -> Option<Route> {
    let path = target.split(|&b| b == b'?').next().unwrap_or(target);
    let (get, post) = (method == "GET", method == "POST");
    let r = match path {
        b"/login" if post => Route::Login,
        b"/logout" if post => Route::Logout,
        b"/api/items" if get => Route::Items,
        b"/api/items" if post => Route::CreateItem,
        b"/login" | b"/logout" | b"/api/items" => Route::Status(405),
        b"/health" if get || method == "HEAD" => Route::Health,
        b"/health" => Route::Status(405),
        _ if path.len() > 10 && path.starts_with(b"/webhooks/") => {
            if post {
                Route::Webhook
            } else {
                Route::Status(405)
            }
        }
        _ => match path.strip_prefix(b"/api/items/").map(parse_u64) {
            Some(Some(id)) if get => Route::Item(id),
            Some(Some(_)) => Route::Status(405),
            Some(None) => Route::NotFound,
            None => return None,
        },
    };
    Some(r)
}

/// `Bearer <32 hex digits>` (scheme in any case): the token's halves.
fn parse_bearer(value: &[u8]) -> Bearer {
    let v = value.trim_ascii();
    let Some((scheme, token)) = v.split_at_checked(6) else { return Bearer::Bad };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Bearer::Bad;
    }
    let token = token.trim_ascii_start();
    if token.len() != 32 || token.len() == v.len() - 6 {
        return Bearer::Bad;
    }
    match (parse_hex(&token[..16]), parse_hex(&token[16..])) {
        (Some(id), Some(mac)) => Bearer::Token(id, mac),
        _ => Bearer::Bad,
    }
}

/// Exactly 16 lowercase hex digits.
fn parse_hex(s: &[u8]) -> Option<u64> {
    s.iter().try_fold(0u64, |n, &b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(n << 4 | u64::from(d))
    })
}

/// Map a request target to its route; the query string is ignored.
pub(crate) fn route(target: &[u8]) -> Route {
    let path = match target.iter().position(|&b| b == b'?') {
        Some(q) => &target[..q],
        None => target,
    };
    match path {
        b"/" => return Route::Root,
        b"/__stats" => return Route::Stats,
        _ => {}
    }
    if let Some(n) = path.strip_prefix(b"/bytes/").and_then(parse_u64) {
        return Route::Bytes(n.min(MAX_BYTES));
    }
    if let Some(ms) = path.strip_prefix(b"/delay/").and_then(parse_u64) {
        return Route::Delay(ms.min(MAX_DELAY_MS));
    }
    match path.strip_prefix(b"/status/").and_then(parse_u64) {
        Some(code @ 100..=599) => Route::Status(code as u16),
        _ => Route::NotFound,
    }
}

/// Decimal digits only (no sign, no spaces), at most 19 of them so it cannot overflow.
fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        parse_head(raw.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn routes() {
        let table: &[(&str, Route)] = &[
            ("/", Route::Root),
            ("/?x=1", Route::Root),
            ("/__stats", Route::Stats),
            ("/bytes/0", Route::Bytes(0)),
            ("/bytes/1234", Route::Bytes(1234)),
            ("/bytes/99999999999", Route::Bytes(MAX_BYTES)),
            ("/delay/50", Route::Delay(50)),
            ("/delay/99999999999", Route::Delay(MAX_DELAY_MS)),
            ("/status/100", Route::Status(100)),
            ("/status/418", Route::Status(418)),
            ("/status/599", Route::Status(599)),
            ("/status/600", Route::NotFound),
            ("/status/99", Route::NotFound),
            ("/status/", Route::NotFound),
            ("/bytes/-1", Route::NotFound),
            ("/bytes/1x", Route::NotFound),
            ("/bytes/99999999999999999999", Route::NotFound),
            ("/delay", Route::NotFound),
            ("/nope", Route::NotFound),
            ("//", Route::NotFound),
        ];
        for &(path, want) in table {
            assert_eq!(route(path.as_bytes()), want, "{path}");
        }
    }

    #[test]
    fn api_routes_by_method() {
        let table: &[(&str, &str, Option<Route>)] = &[
            ("POST", "/login", Some(Route::Login)),
            ("GET", "/login", Some(Route::Status(405))),
            ("POST", "/logout", Some(Route::Logout)),
            ("GET", "/api/items", Some(Route::Items)),
            ("GET", "/api/items?page=2", Some(Route::Items)),
            ("POST", "/api/items", Some(Route::CreateItem)),
            ("DELETE", "/api/items", Some(Route::Status(405))),
            ("GET", "/api/items/42", Some(Route::Item(42))),
            ("PUT", "/api/items/42", Some(Route::Status(405))),
            ("GET", "/api/items/x", Some(Route::NotFound)),
            ("GET", "/", None),
            ("POST", "/bytes/3", None),
        ];
        for &(m, p, want) in table {
            assert_eq!(api_route(m, p.as_bytes()), want, "{m} {p}");
        }
    }

    #[test]
    fn bearer_tokens() {
        let t = "00000000000000ff0123456789abcdef";
        let ok = Bearer::Token(0xff, 0x0123_4567_89ab_cdef);
        assert_eq!(parse_bearer(format!("Bearer {t}").as_bytes()), ok);
        assert_eq!(parse_bearer(format!("bearer   {t} ").as_bytes()), ok);
        for bad in ["", "Bearer", "Bearer ", "Basic abc", &format!("Bearer{t}"), &format!("Bearer {t}0")] {
            assert_eq!(parse_bearer(bad.as_bytes()), Bearer::Bad, "{bad:?}");
        }
        assert_eq!(parse_bearer(format!("Bearer {}", t.to_uppercase()).as_bytes()), Bearer::Bad);
        let h = head(&format!("GET /api/items HTTP/1.1\r\nAuthorization: Bearer {t}\r\n\r\n"));
        assert_eq!((h.route, h.bearer), (Route::Items, ok));
        assert_eq!(head("GET / HTTP/1.1\r\n\r\n").bearer, Bearer::Absent);
    }

    #[test]
    fn keep_alive_rules() {
        let table: &[(&str, bool, bool)] = &[
            ("GET / HTTP/1.1\r\n\r\n", true, false),
            ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false, false),
            ("GET / HTTP/1.1\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", false, false),
            ("GET / HTTP/1.0\r\n\r\n", false, true),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, true),
            ("GET / HTTP/1.0\r\nConnection: Upgrade, Keep-Alive\r\n\r\n", true, true),
        ];
        for &(raw, keep_alive, http10) in table {
            let h = head(raw);
            assert_eq!((h.keep_alive, h.http10), (keep_alive, http10), "{raw:?}");
        }
    }

    #[test]
    fn head_fields() {
        let raw = "POST /bytes/7 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        let h = head(raw);
        assert_eq!(h.len, raw.len() - 5);
        assert_eq!(h.route, Route::Bytes(7));
        assert_eq!(h.body, 5);
        assert!(!h.head_method);
        assert!(head("HEAD / HTTP/1.1\r\n\r\n").head_method);
        let same = "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(head(same).body, 3);
    }

    #[test]
    fn refused_heads() {
        let table: &[(&str, HeadError)] = &[
            ("GARBAGE\0\r\n\r\n", HeadError::Malformed),
            ("GET / HTTP/2.0\r\n\r\n", HeadError::Malformed),
            ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HeadError::Malformed),
            ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", HeadError::Malformed),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::TransferEncoding),
        ];
        for &(raw, want) in table {
            assert_eq!(parse_head(raw.as_bytes()), Err(want), "{raw:?}");
        }
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(MAX_HEADERS + 1));
        assert_eq!(parse_head(many.as_bytes()), Err(HeadError::TooLarge));
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_HEAD_BYTES));
        assert_eq!(parse_head(long.as_bytes()), Err(HeadError::TooLarge));
        assert_eq!(parse_head(&long.as_bytes()[..MAX_HEAD_BYTES - 1]), Ok(None));
    }

    #[test]
    fn every_split_point_is_partial_then_complete() {
        let raw = b"GET /status/204 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        for cut in 0..raw.len() {
            assert_eq!(parse_head(&raw[..cut]), Ok(None), "cut at {cut}");
        }
        let h = parse_head(raw).unwrap().unwrap();
        assert_eq!((h.len, h.route, h.keep_alive), (raw.len(), Route::Status(204), false));
    }

    #[test]
    fn pipelined_heads_parse_one_at_a_time() {
        let raw = b"GET / HTTP/1.1\r\n\r\nGET /bytes/3 HTTP/1.1\r\n\r\n";
        let first = parse_head(raw).unwrap().unwrap();
        assert_eq!((first.len, first.route), (18, Route::Root));
        let second = parse_head(&raw[first.len..]).unwrap().unwrap();
        assert_eq!(second.route, Route::Bytes(3));
    }
}
