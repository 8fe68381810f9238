//! The TLS stream as the engine uses it: write a request, read the response, over and over on one
//! connection; large bodies both ways; close-delimited bodies end in a plain EOF.
mod tls_support;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use onslaught::engine::tls::{TlsOptions, client_config};
use rustls::ClientConfig;
use std::sync::Arc;
use tls_support::{CLOSE_BODY, CLOSE_HEAD, Pki, RESPONSE, Reply, dial, exchange, pattern, read_n, run, serve};

fn insecure() -> Arc<ClientConfig> {
    client_config(&TlsOptions { insecure: true, ..TlsOptions::default() }).expect("config")
}

fn server(reply: Reply) -> std::net::SocketAddr {
    let pki = Pki::new();
    serve(tls_support::server_config(&pki.server, None, true), reply)
}

#[test]
fn hundred_keep_alive_exchanges_on_one_stream() {
    let addr = server(Reply::Ok);
    let cfg = insecure();
    run(async {
        let mut s = dial(addr, &cfg, "localhost").await.expect("handshake");
        for i in 0..100 {
            exchange(&mut s).await.unwrap_or_else(|e| panic!("exchange {i}: {e}"));
        }
        s.close().await.expect("close_notify and close");
    });
}

#[test]
fn large_response_arrives_intact() {
    let n = 4 << 20;
    let addr = server(Reply::Big(n));
    let cfg = insecure();
    run(async {
        let mut s = dial(addr, &cfg, "localhost").await.unwrap();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").into_bytes();
        for _ in 0..2 {
            s.write_all(tls_support::REQUEST).await.unwrap();
            assert_eq!(read_n(&mut s, head.len()).await.unwrap(), head);
            assert!(read_n(&mut s, n).await.unwrap() == pattern(n), "body bytes");
        }
    });
}

#[test]
fn large_request_body_is_sent_intact() {
    let n = 4 << 20;
    let addr = server(Reply::Ok);
    let cfg = insecure();
    run(async {
        let mut s = dial(addr, &cfg, "localhost").await.unwrap();
        let head = format!("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {n}\r\n\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(&pattern(n));
        for _ in 0..2 {
            // The server checks the body; a write that never flushed would hang here.
            s.write_all(&request).await.unwrap();
            assert_eq!(read_n(&mut s, RESPONSE.len()).await.unwrap(), RESPONSE);
        }
    });
}

fn close_delimited(notify: bool) {
    let addr = server(Reply::Close { notify });
    let cfg = insecure();
    run(async {
        let mut s = dial(addr, &cfg, "localhost").await.unwrap();
        s.write_all(tls_support::REQUEST).await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.expect("EOF reads as Ok(0), not an error");
        assert_eq!(got, [CLOSE_HEAD, CLOSE_BODY].concat());
        let mut more = [0u8; 16];
        assert_eq!(s.read(&mut more).await.unwrap(), 0, "EOF stays EOF");
    });
}

#[test]
fn close_delimited_body_ends_in_eof_without_close_notify() {
    close_delimited(false);
}

#[test]
fn close_delimited_body_ends_in_eof_after_close_notify() {
    close_delimited(true);
}
