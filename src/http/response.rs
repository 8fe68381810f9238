//! Sans-I/O response framing (RFC 9112 §6.3): fed bytes, answers need-more / done / error.
//! PLACEHOLDER: the interface is fixed; the full implementation lands from the http work.

/// Why a response could not be framed. Small and Copy: it indexes counters on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtoError {
    /// The head is not valid HTTP/1.x.
    Malformed,
    /// The head exceeds `Limits::max_head_bytes`.
    HeaderTooLarge,
    /// More header fields than `Limits::max_headers`.
    TooManyHeaders,
    /// Content-Length malformed or conflicting.
    BadContentLength,
    /// Chunked framing broken (bad size line, overflow, oversized extension or trailer).
    BadChunk,
    /// A 101 Switching Protocols we never asked for.
    UnexpectedUpgrade,
    /// EOF before the response was complete.
    Truncated,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_head_bytes: usize,
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
        }
    }
}

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

pub struct ResponseParser {
    limits: Limits,
}

impl ResponseParser {
    pub fn new(limits: Limits) -> Self {
        ResponseParser { limits }
    }
    /// Prepare for the response to a new request (`head_request`: the request was HEAD).
    pub fn start(&mut self, _head_request: bool) {
        let _ = self.limits;
        todo!()
    }
    pub fn feed(&mut self, _data: &[u8]) -> Result<Feed, ProtoError> {
        todo!()
    }
    /// The peer closed: completes a close-delimited body, else `Truncated`.
    pub fn eof(&mut self) -> Result<Done, ProtoError> {
        todo!()
    }
    /// Whether any byte of the current response has been consumed.
    pub fn started(&self) -> bool {
        todo!()
    }
}
