//! Sans-I/O response framing (RFC 9112 §6.3): fed bytes, answers need-more / done / error.
//! It owns the head (httparse, header slots on the stack) and the rules that say where a body
//! ends. It never touches a socket, never allocates per response and never keeps body bytes:
//! they are counted and handed to a `Sink` — `Discard` by default, so a 1 GiB body costs O(1)
//! memory; a bounded `Capture` for plan steps that extract or check the body (`feed_into`).
//!
//! Its verdict on a byte stream does not depend on how the stream is split across `feed` calls
//! (the tests check every split point), so the engine may hand it whatever a read returned.

use std::mem::MaybeUninit;

use super::capture::{Discard, Sink};
use super::chunked::Chunked;
pub use super::limits::{HEADER_SLOTS, Limits, ProtoError};

/// A complete response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub status: u16,
    /// false: the connection must be closed after this response.
    pub keep_alive: bool,
}

/// The answer to one `feed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Give me more bytes. `consumed` bytes of the input are used up; the caller must present the
    /// rest again (followed by new bytes) on the next call.
    NeedMore { consumed: usize },
    /// The response is complete after `consumed` bytes of this input; anything after it is not
    /// part of this response.
    Done { consumed: usize, done: Done },
}

/// Where the parser is within the current response.
#[derive(Clone, Copy, Debug)]
enum State {
    /// Waiting for a complete head (interim 1xx heads are consumed here too).
    Head,
    /// A Content-Length body with this many bytes left.
    Length(u64),
    /// A chunked body.
    Chunked(Chunked),
    /// A body that ends when the peer closes.
    Close,
    /// The response is complete.
    Finished(Done),
    /// The response failed; the error is repeated until `start`.
    Failed(ProtoError),
}

/// Frames one response at a time. Reuse it: `start` before each response.
pub struct ResponseParser {
    limits: Limits,
    head_request: bool,
    state: State,
    started: bool,
    status: u16,
    keep_alive: bool,
    body_bytes: u64,
}

impl ResponseParser {
    /// A parser ready for the response to a non-HEAD request, as after `start(false)`.
    pub fn new(limits: Limits) -> Self {
        ResponseParser {
            limits,
            head_request: false,
            state: State::Head,
            started: false,
            status: 0,
            keep_alive: false,
            body_bytes: 0,
        }
    }

    /// Prepare for the response to a new request (`head_request`: the request was HEAD).
    pub fn start(&mut self, head_request: bool) {
        *self = ResponseParser { head_request, ..ResponseParser::new(self.limits) };
    }

    /// Consume what can be consumed of `data`: every byte not yet consumed, with new ones
    /// appended. While the head is incomplete nothing is consumed (save whole interim
    /// responses); after it, body bytes are consumed as they come. After `Done`, or after an
    /// error, it answers the same until `start`.
    pub fn feed(&mut self, data: &[u8]) -> Result<Feed, ProtoError> {
        self.feed_into(data, &mut Discard)
    }

    /// As `feed`, handing the final head (once, whole) and every body byte (once, in order,
    /// chunk framing removed) to `sink`. The sink sees the same bytes however `data` is split.
    pub fn feed_into(&mut self, data: &[u8], sink: &mut impl Sink) -> Result<Feed, ProtoError> {
        self.started |= !data.is_empty();
        let result = self.advance(data, sink);
        if let Err(e) = result {
            self.state = State::Failed(e);
        }
        result
    }

    /// The peer closed: completes a close-delimited body, else `Truncated`.
    pub fn eof(&mut self) -> Result<Done, ProtoError> {
        match self.state {
            State::Close => {
                let done = Done { status: self.status, keep_alive: false };
                self.state = State::Finished(done);
                Ok(done)
            }
            State::Finished(done) => Ok(done),
            State::Failed(e) => Err(e),
            _ => Err(ProtoError::Truncated),
        }
    }

    /// Whether any byte of the current response (interim responses included) has been fed since
    /// `start`: false means the peer closed an idle connection, not one mid-response.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Body bytes of the current response seen so far (chunk framing and trailers excluded).
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes
    }

    fn advance(&mut self, data: &[u8], sink: &mut impl Sink) -> Result<Feed, ProtoError> {
        let mut used = 0;
        while let State::Head = self.state {
            match self.head(&data[used..], sink)? {
                Some(n) => used += n,
                None => return Ok(Feed::NeedMore { consumed: used }),
            }
        }
        let rest = &data[used..];
        match self.state {
            State::Length(left) => {
                let take = left.min(rest.len() as u64);
                self.body_bytes += take;
                sink.body(&rest[..take as usize]);
                used += take as usize;
                if take == left {
                    return Ok(self.finish(used));
                }
                self.state = State::Length(left - take);
            }
            State::Chunked(mut chunked) => {
                let (n, done) = chunked.decode(rest, &self.limits, &mut self.body_bytes, sink)?;
                used += n;
                if done {
                    return Ok(self.finish(used));
                }
                self.state = State::Chunked(chunked);
            }
            State::Close => {
                self.body_bytes += rest.len() as u64;
                sink.body(rest);
                used = data.len();
            }
            State::Finished(done) => {
                return Ok(Feed::Done { consumed: used, done });
            }
            State::Failed(e) => return Err(e),
            State::Head => unreachable!("the loop above leaves the head state"),
        }
        Ok(Feed::NeedMore { consumed: used })
    }

    fn finish(&mut self, consumed: usize) -> Feed {
        let done = self.done();
        self.state = State::Finished(done);
        Feed::Done { consumed, done }
    }

    /// Parse one head at the start of `data`: `None` while incomplete, else its length. An
    /// interim (1xx) head leaves the state at `Head`; a final one picks the body framing.
    fn head(&mut self, data: &[u8], sink: &mut impl Sink) -> Result<Option<usize>, ProtoError> {
        // Only a window of max_head_bytes is parsed: the verdict is then the same whether the
        // bytes came at once or one by one (httparse errors on a prefix hold for the whole).
        let window = &data[..data.len().min(self.limits.max_head_bytes)];
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; HEADER_SLOTS];
        let slots = &mut slots[..self.limits.max_headers.min(HEADER_SLOTS)];
        let mut head = httparse::Response::new(&mut []);
        let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut head, window, slots);
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if data.len() > window.len() => {
                return Err(ProtoError::HeaderTooLarge);
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(ProtoError::TooManyHeaders),
            Err(_) => return Err(ProtoError::Malformed),
        };
        let status = head.code.unwrap_or(0);
        match status {
            0..=99 => return Err(ProtoError::Malformed),
            101 => return Err(ProtoError::UnexpectedUpgrade),
            100..=199 => return Ok(Some(len)), // interim: skipped, the final response follows
            _ => {}
        }
        let fields = Fields::scan(head.headers);
        self.frame(status, head.version == Some(0), &fields)?;
        sink.head(&data[..len]);
        Ok(Some(len))
    }

    /// Apply RFC 9112 §6.3 to a final head: decide keep-alive and how the body ends. (Rule 2,
    /// a 2xx answer to CONNECT, cannot arise: we never send CONNECT.)
    fn frame(&mut self, status: u16, http10: bool, f: &Fields) -> Result<(), ProtoError> {
        self.status = status;
        self.keep_alive = !f.close && (!http10 || f.keep_alive);
        if f.chunked.is_some() && (f.length != Length::Absent || http10) {
            // Both framings (a smuggling vector), or Transfer-Encoding in HTTP/1.0, which has
            // none: frame this response by it, but reuse nothing after it (§6.1, §6.3 rule 3).
            self.keep_alive = false;
        }
        self.state = if self.head_request || status == 204 || status == 304 {
            State::Finished(self.done())
        } else if let Some(chunked) = f.chunked {
            if chunked {
                State::Chunked(Chunked::new())
            } else {
                State::Close // Transfer-Encoding not ending in chunked: read until close
            }
        } else {
            match f.length {
                Length::Bad => return Err(ProtoError::BadContentLength),
                Length::Absent => State::Close,
                Length::Is(0) => State::Finished(self.done()),
                Length::Is(n) => State::Length(n),
            }
        };
        if let State::Close = self.state {
            self.keep_alive = false;
        }
        Ok(())
    }

    fn done(&self) -> Done {
        Done { status: self.status, keep_alive: self.keep_alive }
    }
}

/// What Content-Length said, all its fields and list members taken together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    Absent,
    Is(u64),
    Bad,
}

impl Length {
    /// Fold one more field value in: identical values agree, anything else is `Bad`.
    fn add(self, value: &[u8]) -> Length {
        value.split(|&b| b == b',').fold(self, |acc, part| match (acc, decimal(trim(part))) {
            (Length::Bad, _) | (_, None) => Length::Bad,
            (Length::Absent, Some(n)) => Length::Is(n),
            (Length::Is(a), Some(b)) if a == b => Length::Is(a),
            (Length::Is(_), Some(_)) => Length::Bad,
        })
    }
}

/// The header fields that matter to framing, gathered in one pass.
struct Fields {
    length: Length,
    /// Transfer-Encoding present: whether its final coding is chunked.
    chunked: Option<bool>,
    /// Connection carries `close`.
    close: bool,
    /// Connection carries `keep-alive`.
    keep_alive: bool,
}

impl Fields {
    fn scan(headers: &[httparse::Header<'_>]) -> Fields {
        let mut f = Fields { length: Length::Absent, chunked: None, close: false, keep_alive: false };
        for h in headers {
            // The name's length picks the one comparison worth making.
            let name = h.name.as_bytes();
            match name.len() {
                10 if name.eq_ignore_ascii_case(b"connection") => {
                    for token in list(h.value) {
                        f.close |= token.eq_ignore_ascii_case(b"close");
                        f.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                    }
                }
                14 if name.eq_ignore_ascii_case(b"content-length") => {
                    f.length = f.length.add(h.value);
                }
                17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                    let mut last = f.chunked.unwrap_or(false);
                    for coding in list(h.value) {
                        last = coding.eq_ignore_ascii_case(b"chunked");
                    }
                    f.chunked = Some(last);
                }
                _ => {}
            }
        }
        f
    }
}

/// The non-empty members of a comma-separated field value, trimmed of blank space.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim).filter(|m| !m.is_empty())
}

/// Strip OWS (spaces and tabs, nothing else) from both ends.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A non-empty run of ASCII digits that fits in u64 (no sign, no blank space).
fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests;
