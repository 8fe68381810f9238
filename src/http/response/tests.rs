//! Tests for response framing: every fixture is fed whole, split at every point, one byte at a
//! time and at random splits, emulating a caller that keeps the bytes not consumed; all must agree.

use super::*;
use crate::http::chunked::MAX_SIZE_LINE;

const GET: bool = false;
const HEAD: bool = true;
const DEFAULT: Limits = Limits { max_head_bytes: 64 * 1024, max_headers: 100 };

/// How a fed stream ended, in terms that must not depend on how it was split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Complete, by `feed` or (`eof`) by the peer closing; `left` input bytes were not consumed.
    Done {
        status: u16,
        keep_alive: bool,
        body: u64,
        left: usize,
        eof: bool,
    },
    Err(ProtoError),
}

/// Completed by `feed`, nothing left over.
const fn done(status: u16, keep_alive: bool, body: u64) -> Outcome {
    Outcome::Done { status, keep_alive, body, left: 0, eof: false }
}

/// Completed by `feed`, `left` bytes after it.
const fn done_left(status: u16, keep_alive: bool, body: u64, left: usize) -> Outcome {
    Outcome::Done { status, keep_alive, body, left, eof: false }
}

/// A close-delimited body completed by `eof`.
const fn closed(status: u16, body: u64) -> Outcome {
    Outcome::Done { status, keep_alive: false, body, left: 0, eof: true }
}

const fn err(e: ProtoError) -> Outcome {
    Outcome::Err(e)
}

const fn limits(max_head_bytes: usize, max_headers: usize) -> Limits {
    Limits { max_head_bytes, max_headers }
}

struct Case {
    name: &'static str,
    head: bool,
    input: &'static [u8],
    limits: Limits,
    expect: Outcome,
}

/// Feed `input` cut at `cuts` (ascending), keeping unconsumed bytes like the engine does; call
/// `eof` if the pieces run out first.
fn drive(input: &[u8], head: bool, limits: Limits, cuts: &[usize]) -> Outcome {
    let mut p = ResponseParser::new(limits);
    p.start(head);
    assert!(!p.started());
    let (mut buf, mut consumed, mut from) = (Vec::new(), 0, 0);
    for &cut in cuts.iter().chain([input.len()].iter()) {
        buf.extend_from_slice(&input[from..cut]);
        from = cut;
        let fed = p.feed(&buf);
        assert_eq!(p.started(), from > 0, "started() after {from} bytes");
        match fed {
            Err(e) => return Outcome::Err(e),
            Ok(Feed::NeedMore { consumed: n }) => {
                assert!(n <= buf.len(), "consumed {n} of {}", buf.len());
                buf.drain(..n);
                consumed += n;
                // Everything that could be used was used: the same bytes again change nothing.
                assert_eq!(p.feed(&buf), Ok(Feed::NeedMore { consumed: 0 }));
            }
            Ok(Feed::Done { consumed: n, done }) => {
                assert!(n <= buf.len(), "consumed {n} of {}", buf.len());
                let left = input.len() - consumed - n;
                let (status, keep_alive, body) = (done.status, done.keep_alive, p.body_bytes());
                return Outcome::Done { status, keep_alive, body, left, eof: false };
            }
        }
    }
    match p.eof() {
        Ok(d) => {
            let (status, keep_alive, body) = (d.status, d.keep_alive, p.body_bytes());
            assert!(buf.is_empty(), "eof completed with {} bytes unconsumed", buf.len());
            Outcome::Done { status, keep_alive, body, left: 0, eof: true }
        }
        Err(e) => Outcome::Err(e),
    }
}

/// Whole, at every single split point, and one byte at a time: all must give `expect`.
fn check_input(name: &str, input: &[u8], head: bool, limits: Limits, expect: Outcome) {
    assert_eq!(drive(input, head, limits, &[]), expect, "{name}: whole");
    for cut in 0..=input.len() {
        assert_eq!(drive(input, head, limits, &[cut]), expect, "{name}: split at {cut}");
    }
    let bytewise: Vec<usize> = (1..input.len()).collect();
    assert_eq!(drive(input, head, limits, &bytewise), expect, "{name}: byte by byte");
}

fn check(name: &str) {
    let case = CASES.iter().find(|c| c.name == name).expect("a case of that name");
    check_input(case.name, case.input, case.head, case.limits, case.expect);
}

/// Each line becomes a `#[test]` of that name and an entry in `CASES`.
macro_rules! cases {
    ($($name:ident: $req:ident $input:expr $(, $limits:expr)? => $expect:expr;)*) => {
        const CASES: &[Case] = &[$(Case {
            name: stringify!($name),
            head: $req,
            input: $input,
            limits: cases!(@limits $($limits)?),
            expect: $expect,
        }),*];
        $(#[test] fn $name() { check(stringify!($name)) })*
    };
    (@limits) => { DEFAULT };
    (@limits $limits:expr) => { $limits };
}

use ProtoError::*;

cases! {
    // Content-Length.
    content_length_basic: GET b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        => done(200, true, 5);
    content_length_zero: GET b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" => done(200, true, 0);
    content_length_duplicates_identical_ok: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello"
        => done(200, true, 5);
    content_length_comma_list_identical_ok: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5 ,5\r\n\r\nhello" => done(200, true, 5);
    content_length_duplicates_conflicting_is_error: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"
        => err(BadContentLength);
    content_length_comma_list_conflicting_is_error: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello" => err(BadContentLength);
    content_length_negative_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello"
        => err(BadContentLength);
    content_length_plus_sign_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"
        => err(BadContentLength);
    content_length_non_digit_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: 5a\r\n\r\nhello"
        => err(BadContentLength);
    content_length_hex_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello"
        => err(BadContentLength);
    content_length_inner_space_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: 1 0\r\n\r\n"
        => err(BadContentLength);
    content_length_empty_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nhello"
        => err(BadContentLength);
    content_length_empty_list_member_is_error: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 5,,5\r\n\r\nhello" => err(BadContentLength);
    content_length_overflow_is_error: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n" => err(BadContentLength);
    content_length_u64_max_parses_then_eof_is_truncated: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc" => err(Truncated);
    content_length_leading_zeros_ok: GET b"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567"
        => done(200, true, 7);
    content_length_tabs_around_value_ok: GET b"HTTP/1.1 200 OK\r\nContent-Length:\t3\t\r\n\r\nabc"
        => done(200, true, 3);
    content_length_name_case_insensitive: GET b"HTTP/1.1 200 OK\r\ncontent-LENGTH: 3\r\n\r\nabc"
        => done(200, true, 3);
    content_length_truncated_body_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"
        => err(Truncated);

    // Responses without a body, whatever their headers say.
    head_response_with_content_length_has_no_body: HEAD
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" => done(200, true, 0);
    head_response_leaves_following_bytes: HEAD
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" => done_left(200, true, 0, 5);
    head_response_with_chunked_has_no_body: HEAD
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" => done(200, true, 0);
    head_response_ignores_bad_content_length: HEAD
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n" => done(200, true, 0);
    head_response_without_length_keeps_alive: HEAD b"HTTP/1.1 200 OK\r\n\r\n" => done(200, true, 0);
    status_204_has_no_body_whatever_the_headers_say: GET
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello" => done_left(204, true, 0, 5);
    status_204_without_length_keeps_alive: GET b"HTTP/1.1 204 No Content\r\n\r\n"
        => done(204, true, 0);
    status_204_ignores_bad_content_length: GET
        b"HTTP/1.1 204 No Content\r\nContent-Length: -1\r\n\r\n" => done(204, true, 0);
    status_304_has_no_body_even_if_chunked: GET
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        => done_left(304, true, 0, 5);

    // Interim responses.
    interim_100_then_200: GET
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        => done(200, true, 2);
    interim_103_early_hints_then_200: GET
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
          HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" => done(200, true, 2);
    interim_several_then_204: GET
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\
          HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        => done(204, true, 0);
    interim_then_eof_is_truncated: GET b"HTTP/1.1 100 Continue\r\n\r\n" => err(Truncated);
    interim_to_head_request_then_200: HEAD
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        => done(200, true, 0);
    interim_heads_do_not_count_toward_the_next_head_limit: GET
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        limits(38, 100) => done(200, true, 2);
    interim_with_content_length_has_no_body: GET
        b"HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        => done(204, true, 0);
    unsolicited_101_is_error: GET
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        => err(UnexpectedUpgrade);
    interim_then_101_is_error: GET
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n"
        => err(UnexpectedUpgrade);

    // Transfer-Encoding.
    chunked_basic: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" => done(200, true, 11);
    chunked_empty_body: GET b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        => done(200, true, 0);
    te_and_cl_is_chunked_and_closes: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n0\r\n\r\n" => done(200, false, 5);
    te_and_bad_cl_is_chunked_and_closes: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n\
          5\r\nhello\r\n0\r\n\r\n" => done(200, false, 5);
    te_gzip_then_chunked_is_chunked: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        => done(200, true, 5);
    te_split_across_fields_is_chunked: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n0\r\n\r\n" => done(200, true, 5);
    te_name_and_value_case_insensitive: GET
        b"HTTP/1.1 200 OK\r\ntransfer-ENCODING: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        => done(200, true, 5);
    te_chunked_not_final_is_close_delimited: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        => closed(200, 15);
    te_without_chunked_overrides_content_length: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabcdef"
        => closed(200, 6);
    te_empty_is_close_delimited: GET b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\nabc"
        => closed(200, 3);

    // Chunked framing.
    chunked_with_extensions_and_trailers: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;name=value;flag\r\nhello\r\n3 ; q=\"a;b\"\r\nabc\r\n0;last\r\n\
          Expires: never\r\nX-Sum: 42\r\n\r\n" => done(200, true, 8);
    chunked_uppercase_and_leading_zero_hex: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00A\r\n0123456789\r\n0000\r\n\r\n"
        => done(200, true, 10);
    chunked_space_after_size_ok: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\t\r\n\r\n"
        => done(200, true, 5);
    chunked_extra_bytes_after_final_crlf_left_unconsumed: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1"
        => done_left(200, true, 0, 8);
    chunk_size_overflow_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"
        => err(BadChunk);
    chunk_size_u64_max_then_eof_is_truncated: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc"
        => err(Truncated);
    chunk_size_bad_hex_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" => err(BadChunk);
    chunk_size_negative_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n" => err(BadChunk);
    chunk_size_plus_sign_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n" => err(BadChunk);
    chunk_size_0x_prefix_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n" => err(BadChunk);
    chunk_size_missing_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n" => err(BadChunk);
    chunk_size_leading_space_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n" => err(BadChunk);
    chunk_size_bare_lf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n" => err(BadChunk);
    chunk_size_cr_without_lf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\rhello\r\n" => err(BadChunk);
    chunk_data_missing_crlf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n"
        => err(BadChunk);
    chunk_data_bare_lf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"
        => err(BadChunk);
    chunk_extension_bare_lf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n"
        => err(BadChunk);
    chunked_trailer_bare_lf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n" => err(BadChunk);
    chunked_final_cr_without_lf_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rX" => err(BadChunk);
    chunked_missing_final_crlf_then_eof_is_truncated: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" => err(Truncated);
    chunked_truncated_in_data_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel" => err(Truncated);
    chunked_trailer_section_at_limit_ok: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        limits(64, 100) => done(200, true, 0);
    chunked_trailer_section_too_large_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        limits(64, 100) => err(BadChunk);
    chunked_too_many_trailer_fields_is_error: GET
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
        limits(1024, 2) => err(BadChunk);

    // HTTP/1.0 and Connection.
    http10_close_delimited: GET b"HTTP/1.0 200 OK\r\n\r\nhello" => closed(200, 5);
    http10_with_content_length_closes: GET b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        => done(200, false, 5);
    http10_keep_alive_with_content_length: GET
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello"
        => done(200, true, 5);
    http10_keep_alive_token_case_insensitive: GET
        b"HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"
        => done(200, true, 0);
    http10_keep_alive_without_length_still_closes: GET
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nhello" => closed(200, 5);
    http10_chunked_closes: GET
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        => done(200, false, 0);
    connection_close_token_list_case_insensitive: GET
        b"HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n"
        => done(200, false, 0);
    connection_close_in_second_field: GET
        b"HTTP/1.1 200 OK\r\nConnection: foo\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        => done(200, false, 0);
    connection_keep_alive_and_close_closes: GET
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n"
        => done(200, false, 0);
    connection_token_must_match_exactly: GET
        b"HTTP/1.1 200 OK\r\nConnection: closed, x-close\r\nContent-Length: 0\r\n\r\n"
        => done(200, true, 0);
    connection_close_on_bodyless_response: GET
        b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n" => done(304, false, 0);

    // No length at all, and what follows a response.
    no_length_is_close_delimited: GET b"HTTP/1.1 200 OK\r\n\r\nhello world" => closed(200, 11);
    no_length_empty_body_close_delimited: GET b"HTTP/1.1 200 OK\r\n\r\n" => closed(200, 0);
    extra_bytes_after_response_are_left_unconsumed: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n"
        => done_left(200, true, 5, 17);

    // Head limits.
    header_too_large: GET b"HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        limits(32, 100) => err(HeaderTooLarge);
    header_too_large_without_end: GET b"HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        limits(32, 100) => err(HeaderTooLarge);
    header_exactly_at_limit_ok: GET b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        limits(38, 100) => done(200, true, 2);
    header_one_over_limit_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        limits(37, 100) => err(HeaderTooLarge);
    endless_blank_lines_hit_the_head_limit: GET b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n",
        limits(16, 100) => err(HeaderTooLarge);
    too_many_headers: GET b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits(1024, 2)
        => err(TooManyHeaders);
    headers_exactly_at_count_limit_ok: GET
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nB: 2\r\n\r\n", limits(1024, 2)
        => done(200, true, 0);
    no_headers_allowed_but_none_sent_ok: GET b"HTTP/1.1 204 No Content\r\n\r\n", limits(1024, 0)
        => done(204, true, 0);

    // Malformed or truncated heads.
    malformed_status_code: GET b"HTTP/1.1 2x0 OK\r\n\r\n" => err(Malformed);
    malformed_version: GET b"HTTP/2.0 200 OK\r\n\r\n" => err(Malformed);
    malformed_header_name_with_space: GET b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n"
        => err(Malformed);
    malformed_garbage: GET b"hello world\r\n\r\n" => err(Malformed);
    status_below_100_is_malformed: GET b"HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n"
        => err(Malformed);
    obs_fold_is_malformed: GET b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"
        => err(Malformed);
    truncated_head_is_error: GET b"HTTP/1.1 200 OK\r\nContent-Le" => err(Truncated);
    empty_stream_is_truncated: GET b"" => err(Truncated);
    status_without_reason_ok: GET b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"
        => done(200, true, 0);
    bare_lf_head_is_accepted: GET b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"
        => done(200, true, 2);
    leading_blank_line_is_skipped: GET b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        => done(200, true, 0);
    unknown_status_is_final: GET b"HTTP/1.1 599 Odd\r\nContent-Length: 1\r\n\r\nx"
        => done(599, true, 1);
}

const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// A chunked response whose first size line is `line` bytes long (CRLF excluded).
fn size_line_of(line: usize) -> Vec<u8> {
    let mut input = CHUNKED_HEAD.to_vec();
    input.extend_from_slice(b"1;");
    input.resize(CHUNKED_HEAD.len() + line, b'x');
    input.extend_from_slice(b"\r\nz\r\n0\r\n\r\n");
    input
}

#[test]
fn chunk_size_line_at_cap_ok() {
    let input = size_line_of(MAX_SIZE_LINE);
    check_input("size line at cap", &input, GET, DEFAULT, done(200, true, 1));
}

#[test]
fn chunk_size_line_too_long_is_error() {
    let input = size_line_of(MAX_SIZE_LINE + 1);
    check_input("size line over cap", &input, GET, DEFAULT, err(BadChunk));
}

/// A head with `fields` header fields, the last of them Content-Length: 0.
fn head_with_fields(fields: usize) -> Vec<u8> {
    let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
    for _ in 1..fields {
        input.extend_from_slice(b"X: y\r\n");
    }
    input.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    input
}

#[test]
fn max_headers_is_clamped_to_header_slots() {
    let lim = limits(1 << 20, 10_000);
    let full = head_with_fields(HEADER_SLOTS);
    check_input("all slots", &full, GET, lim, done(200, true, 0));
    let over = head_with_fields(HEADER_SLOTS + 1);
    check_input("one over the slots", &over, GET, lim, err(TooManyHeaders));
}

/// Feed a body of `len` bytes in 64 KiB pieces from one reused buffer.
fn stream_body(p: &mut ResponseParser, len: u64) {
    let block = vec![b'z'; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        assert_eq!(p.feed(&block[..n]), Ok(Feed::NeedMore { consumed: n }));
        left -= n as u64;
    }
}

#[test]
fn one_gib_content_length_body_is_counted_not_stored() {
    const GIB: u64 = 1 << 30;
    let mut p = ResponseParser::new(DEFAULT);
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n";
    assert_eq!(p.feed(head), Ok(Feed::NeedMore { consumed: head.len() }));
    stream_body(&mut p, GIB - 1);
    let fin = p.feed(b"zEXTRA");
    assert_eq!(fin, Ok(Feed::Done { consumed: 1, done: Done { status: 200, keep_alive: true } }));
    assert_eq!(p.body_bytes(), GIB);
}

#[test]
fn one_gib_chunked_body_is_counted_not_stored() {
    const GIB: u64 = 1 << 30;
    let mut p = ResponseParser::new(DEFAULT);
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n";
    assert_eq!(p.feed(head), Ok(Feed::NeedMore { consumed: head.len() }));
    stream_body(&mut p, GIB);
    let fin = p.feed(b"\r\n0\r\n\r\n");
    assert_eq!(fin, Ok(Feed::Done { consumed: 7, done: Done { status: 200, keep_alive: true } }));
    assert_eq!(p.body_bytes(), GIB);
}

#[test]
fn parser_state_is_small_and_fixed() {
    // No buffers inside: what a 1 GiB body costs is this, whatever its length.
    assert!(std::mem::size_of::<ResponseParser>() <= 96);
}

#[test]
fn started_is_false_until_a_byte_is_fed() {
    let mut p = ResponseParser::new(DEFAULT);
    p.start(false);
    assert!(!p.started());
    assert_eq!(p.feed(b""), Ok(Feed::NeedMore { consumed: 0 }));
    assert!(!p.started());
    assert_eq!(p.eof(), Err(Truncated)); // the engine tells idle from mid-response by started()
    p.start(false);
    assert_eq!(p.feed(b"H"), Ok(Feed::NeedMore { consumed: 0 }));
    assert!(p.started());
}

#[test]
fn started_stays_true_after_an_interim_response() {
    let mut p = ResponseParser::new(DEFAULT);
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    assert_eq!(p.feed(interim), Ok(Feed::NeedMore { consumed: interim.len() }));
    assert!(p.started());
    assert_eq!(p.feed(b""), Ok(Feed::NeedMore { consumed: 0 }));
    assert!(p.started());
}

#[test]
fn start_resets_for_a_pipelined_second_response() {
    let stream = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 No\r\n\r\nrest";
    let mut p = ResponseParser::new(DEFAULT);
    let Ok(Feed::Done { consumed, done }) = p.feed(stream) else { panic!("first response") };
    assert_eq!((done.status, done.keep_alive, p.body_bytes()), (200, true, 1));
    p.start(false);
    assert!(!p.started());
    assert_eq!(p.body_bytes(), 0);
    let rest = &stream[consumed..];
    assert_eq!(p.feed(rest), Ok(Feed::NeedMore { consumed: rest.len() }));
    assert_eq!(p.eof(), Ok(Done { status: 404, keep_alive: false }));
    assert_eq!(p.body_bytes(), 4);
}

#[test]
fn start_remembers_head_request_only_until_the_next_start() {
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let mut p = ResponseParser::new(DEFAULT);
    p.start(true);
    assert!(matches!(p.feed(resp), Ok(Feed::Done { consumed: 38, .. })));
    p.start(false);
    assert!(matches!(p.feed(resp), Ok(Feed::Done { consumed: 40, .. })));
}

#[test]
fn error_repeats_until_start() {
    let mut p = ResponseParser::new(DEFAULT);
    assert_eq!(p.feed(b"garbage\r\n\r\n"), Err(Malformed));
    assert_eq!(p.feed(b"HTTP/1.1 200 OK\r\n\r\n"), Err(Malformed));
    assert_eq!(p.eof(), Err(Malformed));
    p.start(false);
    assert_eq!(p.feed(b"HTTP/1.1 204 No\r\n\r\n").map(|_| ()), Ok(()));
}

#[test]
fn done_repeats_until_start() {
    let mut p = ResponseParser::new(DEFAULT);
    let done = Done { status: 204, keep_alive: true };
    let fed = p.feed(b"HTTP/1.1 204 No\r\n\r\nmore");
    assert_eq!(fed, Ok(Feed::Done { consumed: 19, done }));
    assert_eq!(p.feed(b"more"), Ok(Feed::Done { consumed: 0, done }));
    assert_eq!(p.eof(), Ok(done));
}

#[test]
fn body_bytes_counts_chunk_data_only() {
    let mut p = ResponseParser::new(DEFAULT);
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n";
    assert!(matches!(p.feed(input), Ok(Feed::Done { .. })));
    assert_eq!(p.body_bytes(), 3);
}

#[test]
fn default_limits() {
    let l = Limits::default();
    assert_eq!((l.max_head_bytes, l.max_headers), (DEFAULT.max_head_bytes, DEFAULT.max_headers));
}

/// A tiny xorshift64 PRNG: reproducible, and no crate for it.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn random_splits_agree_with_whole() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for case in CASES {
        for round in 0..300 {
            let mut cuts: Vec<usize> = (0..1 + rng.below(8)).map(|_| rng.below(case.input.len() + 1)).collect();
            cuts.sort_unstable();
            let got = drive(case.input, case.head, case.limits, &cuts);
            assert_eq!(got, case.expect, "{} round {round}: cuts {cuts:?}", case.name);
        }
    }
}

#[test]
fn random_splits_of_pipelined_fixtures_agree() {
    // Two good responses back to back: the first must end exactly where the second begins.
    let mut rng = XorShift(42);
    let good: Vec<&Case> =
        CASES.iter().filter(|c| matches!(c.expect, Outcome::Done { left: 0, eof: false, .. })).collect();
    for _ in 0..2000 {
        let (a, b) = (good[rng.below(good.len())], good[rng.below(good.len())]);
        let stream = [a.input, b.input].concat();
        let cut = rng.below(stream.len() + 1);
        let got = drive(&stream, a.head, a.limits, &[cut]);
        let Outcome::Done { left, .. } = got else { panic!("{} then {}: {got:?}", a.name, b.name) };
        assert_eq!(left, b.input.len(), "{} then {}", a.name, b.name);
    }
}
