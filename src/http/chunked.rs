//! The chunked transfer-coding decoder (RFC 9112 §7.1): a byte-driven, bounded state machine that
//! counts chunk data and keeps none of it. It knows nothing of heads, connections or sockets.
//!
//! It consumes every byte it is given until the message ends, so a caller that re-presents
//! unconsumed bytes never makes it look at the same byte twice, and the verdict on any input is
//! the same however that input is split across calls.

use super::capture::Sink;
use super::limits::{Limits, ProtoError};

/// Longest chunk-size line accepted, extensions included, CRLF excluded. Real servers send a few
/// hex digits; anything near this is an attack or a bug, and it bounds the work per line.
pub const MAX_SIZE_LINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The first hex digit of a chunk-size line.
    SizeStart,
    /// More hex digits, or what ends them.
    Size,
    /// Blank space after the digits (BWS before `;`).
    SizeSpace,
    /// Inside chunk extensions, up to CR. Their grammar is not checked: they are ignored.
    Ext,
    /// CR of the size line seen; LF must follow.
    SizeLf,
    /// `size` bytes of chunk data left.
    Data,
    /// The CR that must follow chunk data.
    DataCr,
    /// The LF that must follow chunk data.
    DataLf,
    /// Start of a trailer field line, or of the CRLF ending the message.
    TrailerStart,
    /// Inside a trailer field line.
    TrailerLine,
    /// CR of a trailer line seen; LF must follow.
    TrailerLf,
    /// CR of the last line seen; LF ends the message.
    FinalLf,
    /// The message is over.
    Done,
}

/// Decoder state for one chunked body. Small and `Copy`: it lives inside the response parser.
#[derive(Clone, Copy, Debug)]
pub struct Chunked {
    step: Step,
    /// The chunk size being read, then the data bytes left of that chunk.
    size: u64,
    /// Bytes of the current size line, or of the whole trailer section.
    line: usize,
    /// Trailer field lines seen.
    fields: usize,
}

impl Chunked {
    pub fn new() -> Self {
        Chunked { step: Step::SizeStart, size: 0, line: 0, fields: 0 }
    }

    /// Decode `data`; answers how many bytes were used and whether the body ended there. Until it
    /// ends, every byte is used. Chunk data bytes are counted in `body` and handed to `sink`
    /// (the engine's `Discard` keeps none of them).
    pub fn decode(
        &mut self,
        data: &[u8],
        limits: &Limits,
        body: &mut u64,
        sink: &mut impl Sink,
    ) -> Result<(usize, bool), ProtoError> {
        let mut at = 0;
        while at < data.len() {
            if self.step == Step::Data {
                let take = self.size.min((data.len() - at) as u64);
                self.size -= take;
                *body += take;
                sink.body(&data[at..at + take as usize]);
                at += take as usize;
                if self.size == 0 {
                    self.step = Step::DataCr;
                }
                continue;
            }
            self.byte(data[at], limits)?;
            at += 1;
            if self.step == Step::Done {
                return Ok((at, true));
            }
        }
        Ok((at, self.step == Step::Done))
    }

    fn byte(&mut self, b: u8, limits: &Limits) -> Result<(), ProtoError> {
        self.count(b, limits)?;
        self.step = match (self.step, b) {
            (Step::SizeStart, _) => {
                self.size = u64::from(hex(b).ok_or(ProtoError::BadChunk)?);
                Step::Size
            }
            (Step::Size, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F') => {
                if self.size >> 60 != 0 {
                    return Err(ProtoError::BadChunk); // one more digit would overflow u64
                }
                self.size = self.size << 4 | u64::from(hex(b).unwrap_or(0));
                Step::Size
            }
            (Step::Size | Step::SizeSpace, b' ' | b'\t') => Step::SizeSpace,
            (Step::Size | Step::SizeSpace, b';') => Step::Ext,
            (Step::Size | Step::SizeSpace | Step::Ext, b'\r') => Step::SizeLf,
            (Step::Ext, _) if b != b'\n' && b != 0 => Step::Ext,
            (Step::SizeLf, b'\n') if self.size == 0 => {
                self.line = 0;
                Step::TrailerStart
            }
            (Step::SizeLf, b'\n') => Step::Data,
            (Step::DataCr, b'\r') => Step::DataLf,
            (Step::DataLf, b'\n') => {
                self.line = 0;
                Step::SizeStart
            }
            (Step::TrailerStart, b'\r') => Step::FinalLf,
            (Step::TrailerStart, _) if is_tchar(b) => {
                self.fields += 1;
                if self.fields > limits.max_headers {
                    return Err(ProtoError::BadChunk);
                }
                Step::TrailerLine
            }
            (Step::TrailerLine, b'\r') => Step::TrailerLf,
            (Step::TrailerLine, _) if b != b'\n' && b != 0 => Step::TrailerLine,
            (Step::TrailerLf, b'\n') => Step::TrailerStart,
            (Step::FinalLf, b'\n') => Step::Done,
            _ => return Err(ProtoError::BadChunk),
        };
        Ok(())
    }

    /// Charge one byte to the budget of the size line (CR excluded) or of the trailer section.
    fn count(&mut self, b: u8, limits: &Limits) -> Result<(), ProtoError> {
        let cap = match self.step {
            Step::SizeStart | Step::Size | Step::SizeSpace | Step::Ext if b != b'\r' => MAX_SIZE_LINE,
            Step::TrailerStart | Step::TrailerLine | Step::TrailerLf | Step::FinalLf => limits.max_head_bytes,
            _ => return Ok(()),
        };
        self.line += 1;
        if self.line > cap {
            return Err(ProtoError::BadChunk);
        }
        Ok(())
    }
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked::new()
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 9110 `tchar`: what a field name is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> Result<(usize, bool, u64), ProtoError> {
        let mut c = Chunked::new();
        let mut body = 0;
        let (used, done) = c.decode(input, &Limits::default(), &mut body, &mut crate::http::capture::Discard)?;
        Ok((used, done, body))
    }

    #[test]
    fn hex_digits_both_cases() {
        assert_eq!(hex(b'0'), Some(0));
        assert_eq!(hex(b'a'), Some(10));
        assert_eq!(hex(b'F'), Some(15));
        assert_eq!(hex(b'g'), None);
        assert_eq!(hex(b'-'), None);
    }

    #[test]
    fn largest_chunk_size_fits_and_one_more_digit_overflows() {
        assert_eq!(run(b"ffffffffffffffff\r\n"), Ok((18, false, 0)));
        assert_eq!(run(b"10000000000000000\r\n"), Err(ProtoError::BadChunk));
    }

    #[test]
    fn stops_at_the_end_of_the_message() {
        assert_eq!(run(b"3\r\nabc\r\n0\r\n\r\nrest"), Ok((13, true, 3)));
    }

    #[test]
    fn size_line_cap_counts_extensions() {
        let mut line = b"1;".to_vec();
        line.resize(MAX_SIZE_LINE, b'x');
        line.extend_from_slice(b"\r\n");
        assert_eq!(run(&line), Ok((line.len(), false, 0)));
        line.insert(3, b'x');
        assert_eq!(run(&line), Err(ProtoError::BadChunk));
    }

    #[test]
    fn trailer_must_start_with_a_field_name() {
        assert_eq!(run(b"0\r\n: x\r\n\r\n"), Err(ProtoError::BadChunk));
        assert_eq!(run(b"0\r\n x\r\n\r\n"), Err(ProtoError::BadChunk));
        assert_eq!(run(b"0\r\nX: y\r\n\r\n"), Ok((11, true, 0)));
    }
}
