//! Fuzz target `response`: response framing must never panic, never claim more bytes than it was
//! given, and reach the same verdict however the stream is split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onslaught::http::response::{Done, Feed, Limits, ProtoError, ResponseParser};

// Input: a flags byte, two bytes of split offset, then the byte stream from the server.
// Flags: bit 0 the request was HEAD; bit 1 small limits; bit 2 also feed byte by byte.
fuzz_target!(|data: &[u8]| {
    let [flags, hi, lo, input @ ..] = data else {
        return;
    };
    let head = flags & 1 != 0;
    let limits = if flags & 2 != 0 {
        Limits {
            max_head_bytes: 64,
            max_headers: 4,
        }
    } else {
        Limits::default()
    };
    let cut = usize::from(u16::from_be_bytes([*hi, *lo])) % (input.len() + 1);
    let whole = drive(input, head, limits, &[]);
    let split = drive(input, head, limits, &[cut]);
    assert_eq!(whole, split, "split at {cut}");
    if flags & 4 != 0 && input.len() <= 512 {
        let bytewise: Vec<usize> = (1..input.len()).collect();
        assert_eq!(whole, drive(input, head, limits, &bytewise), "byte by byte");
    }
});

/// The verdict and how many bytes the response took, feeding `input` cut at `cuts` like the
/// engine does (unconsumed bytes presented again), then `eof` if the pieces run out.
fn drive(
    input: &[u8],
    head: bool,
    limits: Limits,
    cuts: &[usize],
) -> Result<(Done, usize), ProtoError> {
    let mut p = ResponseParser::new(limits);
    p.start(head);
    let (mut buf, mut used, mut from) = (Vec::new(), 0, 0);
    for &cut in cuts.iter().chain([input.len()].iter()) {
        buf.extend_from_slice(&input[from..cut]);
        from = cut;
        let fed = p.feed(&buf)?;
        assert_eq!(p.started(), from > 0);
        match fed {
            Feed::NeedMore { consumed } => {
                assert!(
                    consumed <= buf.len(),
                    "consumed {consumed} of {}",
                    buf.len()
                );
                buf.drain(..consumed);
                used += consumed;
            }
            Feed::Done { consumed, done } => {
                assert!(
                    consumed <= buf.len(),
                    "consumed {consumed} of {}",
                    buf.len()
                );
                assert!(p.body_bytes() <= input.len() as u64);
                return Ok((done, used + consumed));
            }
        }
    }
    let done = p.eof()?;
    assert!(!done.keep_alive);
    Ok((done, used + buf.len()))
}
