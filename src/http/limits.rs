//! What bounds response framing and how it fails: `Limits`, `ProtoError` and the header slot
//! count (a leaf inside http: the head parser, the chunked decoder and the capture share them).

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

/// Bounds on what one response may make the parser look at.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest head (status line, fields, blank line); also caps a chunked trailer section.
    pub max_head_bytes: usize,
    /// Most header fields in one head (clamped to [`HEADER_SLOTS`]); also caps trailer fields.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_head_bytes: 64 * 1024, max_headers: 100 }
    }
}

/// Header slots on the stack, left uninitialised until httparse fills them (32 bytes each).
pub const HEADER_SLOTS: usize = 256;
