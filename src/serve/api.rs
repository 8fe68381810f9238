//! The built-in target's small JSON API, for testing journeys with correlation (docs/serve.md):
//! `POST /login` issues a bearer token; `GET /api/items`, `GET /api/items/N`, `POST /api/items`
//! and `POST /logout` require one. Renders answers into the connection's output buffer (no I/O,
//! no allocation beyond that buffer); says which `/__stats` counter each answer adds to.
//!
//! Tokens are stateless: 16 hex digits of id, then 16 of a MAC of the id keyed with a secret the
//! server draws at start (SipHash via `RandomState`, a fresh random key per process). A token is
//! valid for the life of the server that issued it and no other; it cannot be guessed from
//! earlier ones. `POST /logout` answers 204 and, being stateless, revokes nothing.
use std::hash::{BuildHasher, RandomState};
use std::io::Write;

use super::request::{Bearer, Route};
use super::response::{Conn, head_with};

/// Items `GET /api/items/N` knows: 1..=ITEMS.
pub(crate) const ITEMS: u64 = 1000;
/// Items `GET /api/items` lists.
const LISTED: u64 = 10;
/// Longest user name `POST /login` accepts.
const MAX_USER: usize = 64;

/// The key tokens are signed with, drawn once per server.
#[derive(Clone, Debug)]
pub(crate) struct Keys(RandomState);

impl Keys {
    pub fn new() -> Keys {
        Keys(RandomState::new())
    }

    fn mac(&self, id: u64) -> u64 {
        self.0.hash_one(id)
    }

    /// The token for `id`: 32 lowercase hex digits.
    pub fn mint(&self, id: u64) -> [u8; 32] {
        let mut t = [0u8; 32];
        hex16(&mut t[..16], id);
        hex16(&mut t[16..], self.mac(id));
        t
    }

    pub fn valid(&self, bearer: Bearer) -> bool {
        matches!(bearer, Bearer::Token(id, mac) if self.mac(id) == mac)
    }
}

fn hex16(out: &mut [u8], v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in out.iter_mut().enumerate() {
        *b = HEX[(v >> (60 - 4 * i) & 15) as usize];
    }
}

/// Which `/__stats` counter an answer adds to (besides `requests`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tally {
    /// A successful login.
    Login,
    /// An API request that carried a valid token.
    Authorized,
    /// Answered 401: bad credentials, or no valid token.
    Rejected,
    /// Neither (a malformed login body: 400).
    Other,
}

/// What the API needs from its core: the key, and a fresh number per login or created item.
pub(crate) struct Ctx<'a> {
    pub keys: &'a Keys,
    /// Unique across cores: a per-core sequence interleaved by core index.
    pub next_id: u64,
}

/// Append the answer to an API `route` to `out`.
pub(crate) fn render(out: &mut Vec<u8>, route: Route, conn: Conn, bearer: Bearer, body: &[u8], cx: &Ctx<'_>) -> Tally {
    if route == Route::Login {
        return login(out, conn, body, cx);
    }
    if !cx.keys.valid(bearer) {
        json(out, 401, conn, b"www-authenticate: Bearer\r\n", |w| write!(w, "{{\"error\":\"unauthorized\"}}"));
        return Tally::Rejected;
    }
    match route {
        Route::Items => json(out, 200, conn, b"", |w| {
            write!(w, "{{\"items\":[")?;
            for id in 1..=LISTED {
                let sep = if id > 1 { "," } else { "" };
                write!(w, "{sep}{{\"id\":{id},\"name\":\"item-{id}\"}}")?;
            }
            write!(w, "],\"total\":{ITEMS}}}")
        }),
        Route::Item(id @ 1..=ITEMS) => json(out, 200, conn, b"", |w| {
            let price = 100 + id * 37 % 9900;
            write!(w, "{{\"id\":{id},\"name\":\"item-{id}\",\"price_cents\":{price},\"in_stock\":{}}}", id % 7 != 0)
        }),
        Route::Item(_) => json(out, 404, conn, b"", |w| write!(w, "{{\"error\":\"no such item\"}}")),
        Route::CreateItem if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() => {
            let id = ITEMS + cx.next_id;
            json(out, 201, conn, b"", |w| write!(w, "{{\"id\":{id}}}"))
        }
        Route::CreateItem => json(out, 400, conn, b"", |w| write!(w, "{{\"error\":\"the body must be JSON\"}}")),
        _ => head_with(out, 204, None, "application/json", conn, b""),
    }
    Tally::Authorized
}

#[derive(serde::Deserialize)]
struct Credentials<'a> {
    #[serde(borrow)]
    user: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    password: Option<std::borrow::Cow<'a, str>>,
}

/// `{"user": U, "password": P}`: any user of 1–64 letters, digits and `._@-`, any non-empty
/// password. 200 with `{"token": T, "user": U}` and a `session` cookie holding T; 401 otherwise.
fn login(out: &mut Vec<u8>, conn: Conn, body: &[u8], cx: &Ctx<'_>) -> Tally {
    let Ok(c) = serde_json::from_slice::<Credentials<'_>>(body) else {
        json(out, 400, conn, b"", |w| write!(w, "{{\"error\":\"the body must be a JSON object\"}}"));
        return Tally::Other;
    };
    let user_ok = |u: &str| {
        (1..=MAX_USER).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
    };
    match (c.user.as_deref(), c.password.as_deref()) {
        (Some(user), Some(pw)) if user_ok(user) && !pw.is_empty() => {
            let token = cx.keys.mint(cx.next_id);
            let token = std::str::from_utf8(&token).unwrap_or_default();
            let mut cookie = [0u8; 80];
            let n = {
                let mut w = std::io::Cursor::new(&mut cookie[..]);
                let _ = write!(w, "set-cookie: session={token}; Path=/; HttpOnly\r\n");
                w.position() as usize
            };
            json(out, 200, conn, &cookie[..n], |w| write!(w, "{{\"token\":\"{token}\",\"user\":\"{user}\"}}"));
            Tally::Login
        }
        _ => {
            json(out, 401, conn, b"", |w| write!(w, "{{\"error\":\"bad credentials\"}}"));
            Tally::Rejected
        }
    }
}

/// A JSON answer: the body is written into a stack buffer first, for its length.
fn json(
    out: &mut Vec<u8>,
    code: u16,
    conn: Conn,
    extra: &[u8],
    body: impl FnOnce(&mut std::io::Cursor<&mut [u8]>) -> std::io::Result<()>,
) {
    let mut buf = [0u8; 1024];
    let mut w = std::io::Cursor::new(&mut buf[..]);
    // Every body above fits in the buffer (the longest, the list, is under 400 bytes).
    let _ = body(&mut w);
    let len = w.position() as usize;
    head_with(out, code, Some(len as u64), "application/json", conn, extra);
    out.extend_from_slice(&buf[..len]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(route: Route, bearer: Bearer, body: &str) -> (Tally, u16, String, String) {
        let keys = Keys::new();
        answer_with(&keys, route, bearer, body)
    }

    fn answer_with(keys: &Keys, route: Route, bearer: Bearer, body: &str) -> (Tally, u16, String, String) {
        let mut out = Vec::new();
        let t = render(&mut out, route, Conn::Default, bearer, body.as_bytes(), &Ctx { keys, next_id: 5 });
        let s = String::from_utf8(out).unwrap();
        let (head, body) = s.split_once("\r\n\r\n").unwrap();
        let code = head[9..12].parse().unwrap();
        let len: usize =
            head.lines().find_map(|l| l.strip_prefix("content-length: ")).map_or(0, |n| n.parse().unwrap());
        assert_eq!(len, body.len(), "{head}");
        (t, code, head.to_string(), body.to_string())
    }

    fn token(keys: &Keys, id: u64) -> Bearer {
        let t = keys.mint(id);
        let s = std::str::from_utf8(&t).unwrap();
        Bearer::Token(u64::from_str_radix(&s[..16], 16).unwrap(), u64::from_str_radix(&s[16..], 16).unwrap())
    }

    #[test]
    fn login_issues_a_token_the_same_server_accepts() {
        let keys = Keys::new();
        let (t, code, head, body) =
            answer_with(&keys, Route::Login, Bearer::Absent, r#"{"user": "ann", "password": "pw"}"#);
        assert_eq!((t, code), (Tally::Login, 200));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let tok = v["token"].as_str().unwrap();
        assert_eq!((tok.len(), v["user"].as_str()), (32, Some("ann")));
        assert!(head.contains(&format!("set-cookie: session={tok}; Path=/; HttpOnly")), "{head}");
        assert!(keys.valid(token(&keys, 5)));
        // Another server's key (or a forged MAC) is refused.
        assert!(!Keys::new().valid(token(&keys, 5)));
        assert!(!keys.valid(Bearer::Token(5, 0)) && !keys.valid(Bearer::Absent) && !keys.valid(Bearer::Bad));
    }

    #[test]
    fn bad_credentials_are_401_and_bad_json_400() {
        for body in [
            r#"{"user": "ann"}"#,
            r#"{"password": "pw"}"#,
            r#"{"user": "", "password": "pw"}"#,
            r#"{"user": "ann", "password": ""}"#,
            r#"{"user": "a b", "password": "pw"}"#,
        ] {
            assert_eq!(answer(Route::Login, Bearer::Absent, body).0, Tally::Rejected, "{body}");
        }
        let (t, code, ..) = answer(Route::Login, Bearer::Absent, "user=ann");
        assert_eq!((t, code), (Tally::Other, 400));
    }

    #[test]
    fn api_routes_need_a_valid_token() {
        let keys = Keys::new();
        let ok = token(&keys, 9);
        for route in [Route::Items, Route::Item(1), Route::CreateItem, Route::Logout] {
            for bad in [Bearer::Absent, Bearer::Bad, Bearer::Token(9, 1)] {
                let (t, code, head, _) = answer_with(&keys, route, bad, "{}");
                assert_eq!((t, code), (Tally::Rejected, 401), "{route:?}");
                assert!(head.contains("www-authenticate: Bearer"));
            }
            assert_eq!(answer_with(&keys, route, ok, "{}").0, Tally::Authorized);
        }
        let (_, code, _, body) = answer_with(&keys, Route::Items, ok, "");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((code, v["items"].as_array().unwrap().len(), v["items"][2]["id"].as_u64()), (200, 10, Some(3)));
        let (_, code, _, body) = answer_with(&keys, Route::Item(42), ok, "");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((code, v["id"].as_u64(), v["name"].as_str()), (200, Some(42), Some("item-42")));
        assert_eq!(answer_with(&keys, Route::Item(0), ok, "").1, 404);
        assert_eq!(answer_with(&keys, Route::Item(ITEMS + 1), ok, "").1, 404);
        let (_, code, _, body) = answer_with(&keys, Route::CreateItem, ok, r#"{"name": "x"}"#);
        assert_eq!((code, body), (201, format!("{{\"id\":{}}}", ITEMS + 5)));
        assert_eq!(answer_with(&keys, Route::CreateItem, ok, "nope").1, 400);
        let (_, code, head, body) = answer_with(&keys, Route::Logout, ok, "");
        assert_eq!((code, body.as_str()), (204, ""));
        assert!(!head.contains("content-length"));
    }
}
