//! Where a framed response's bytes go: nowhere (`Discard`, the engine's default: zero copies, O(1)
//! memory whatever the body's size), or a bounded `Capture` of the head and the first
//! `MAX_CAPTURE_BODY` bytes of the body, for plan steps that extract values or check the body or
//! headers. Never unbounded: beyond the bound the body is counted, not kept (`truncated`).

/// Receives what `ResponseParser::feed_into` frames. Both methods default to doing nothing.
pub trait Sink {
    /// The final head (status line to the blank line), once per response; interim 1xx heads are
    /// not passed.
    #[inline]
    fn head(&mut self, _head: &[u8]) {}
    /// Body bytes in order, chunk framing and trailers removed; called any number of times.
    #[inline]
    fn body(&mut self, _bytes: &[u8]) {}
}

/// Keeps nothing.
pub struct Discard;

impl Sink for Discard {}

/// Body bytes a capture keeps (64 KiB). Larger bodies are truncated to this prefix: a JSON
/// extraction from a truncated body fails (the document is incomplete), a `body_contains` check
/// looks at the prefix only. Heads are already capped by the parser (`Limits::max_head_bytes`).
pub const MAX_CAPTURE_BODY: usize = 64 * 1024;

/// The head and a bounded prefix of the body of one response. Reused: `reset` before each.
#[derive(Debug, Default)]
pub struct Capture {
    head: Vec<u8>,
    body: Vec<u8>,
    /// Most body bytes kept (0: the head only).
    limit: usize,
    /// Body bytes seen, kept or not.
    seen: u64,
}

impl Capture {
    /// Forget the last response; keep up to `body_limit` body bytes of the next.
    pub fn reset(&mut self, body_limit: usize) {
        self.head.clear();
        self.body.clear();
        self.limit = body_limit;
        self.seen = 0;
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The body kept: all of it, or its first `body_limit` bytes when `truncated`.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Whether the body was longer than what was kept.
    pub fn truncated(&self) -> bool {
        self.seen > self.body.len() as u64
    }

    /// The head's fields as (name, value) pairs, in order (at most the parser's header limit).
    pub fn headers(&self) -> Vec<(&[u8], &[u8])> {
        let mut slots = [httparse::EMPTY_HEADER; super::limits::HEADER_SLOTS];
        let mut r = httparse::Response::new(&mut slots);
        match r.parse(&self.head) {
            Ok(httparse::Status::Complete(_)) => r.headers.iter().map(|h| (h.name.as_bytes(), h.value)).collect(),
            _ => Vec::new(),
        }
    }
}

impl Sink for Capture {
    fn head(&mut self, head: &[u8]) {
        self.head.clear();
        self.head.extend_from_slice(head);
    }

    fn body(&mut self, bytes: &[u8]) {
        self.seen += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.body.len());
        self.body.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::response::{Feed, Limits, ResponseParser};

    /// Feed `input` cut at `cut` (keeping unconsumed bytes, as the engine does); the capture.
    fn capture(input: &[u8], cut: usize, limit: usize) -> Capture {
        let mut p = ResponseParser::new(Limits::default());
        let mut c = Capture::default();
        c.reset(limit);
        let mut buf = input[..cut].to_vec();
        let mut fed_all = cut == input.len();
        loop {
            match p.feed_into(&buf, &mut c).unwrap() {
                Feed::Done { .. } => return c,
                Feed::NeedMore { consumed } => {
                    buf.drain(..consumed);
                }
            }
            if fed_all {
                p.eof().unwrap();
                return c;
            }
            buf.extend_from_slice(&input[cut..]);
            fed_all = true;
        }
    }

    const FIXTURES: &[(&str, &[u8])] = &[
        ("length", b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Token: abc\r\n\r\nhello world"),
        ("chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Token: abc\r\n\r\n5\r\nhello\r\n6;e=1\r\n world\r\n0\r\nT: 1\r\n\r\n"),
        ("close", b"HTTP/1.1 200 OK\r\nConnection: close\r\nX-Token: abc\r\n\r\nhello world"),
        ("interim", b"HTTP/1.1 100 Continue\r\nX-Token: no\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Token: abc\r\n\r\nhello world"),
    ];

    #[test]
    fn captures_the_final_head_and_the_body_at_every_split_point() {
        for (name, input) in FIXTURES {
            for cut in 0..=input.len() {
                let c = capture(input, cut, MAX_CAPTURE_BODY);
                assert_eq!(c.body(), b"hello world", "{name} cut at {cut}");
                assert!(!c.truncated());
                let h = c.headers();
                let token: Vec<_> = h.iter().filter(|(n, _)| n.eq_ignore_ascii_case(b"x-token")).collect();
                assert_eq!(token, [&(&b"X-Token"[..], &b"abc"[..])], "{name} cut at {cut}");
                assert!(c.head().starts_with(b"HTTP/1.1 200 OK\r\n"));
            }
        }
    }

    #[test]
    fn the_body_is_kept_up_to_the_bound_and_counted_beyond() {
        for (name, input) in FIXTURES {
            for cut in [0, input.len() / 2, input.len()] {
                let c = capture(input, cut, 7);
                assert_eq!(c.body(), b"hello w", "{name}");
                assert!(c.truncated());
                let c = capture(input, cut, 0);
                assert_eq!(c.body(), b"", "{name}");
                assert!(c.truncated() && !c.headers().is_empty());
            }
        }
        // A body far beyond the bound keeps the bound, whatever arrives.
        let mut c = Capture::default();
        c.reset(MAX_CAPTURE_BODY);
        let chunk = vec![b'x'; 10_000];
        for _ in 0..100 {
            Sink::body(&mut c, &chunk);
        }
        assert_eq!(c.body().len(), MAX_CAPTURE_BODY);
        assert!(c.truncated());
        c.reset(MAX_CAPTURE_BODY);
        assert!(c.body().is_empty() && c.head().is_empty() && !c.truncated());
    }

    #[test]
    fn discard_is_the_default_feed() {
        let mut p = ResponseParser::new(Limits::default());
        let f = p.feed(FIXTURES[0].1).unwrap();
        assert!(matches!(f, Feed::Done { .. }));
        assert_eq!(p.body_bytes(), 11);
    }
}
