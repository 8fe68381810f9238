//! TLS handshakes against a loopback rustls server: each certificate failure lands in its own
//! class, --cacert / --insecure / client certificates behave like curl's, sessions resume on a
//! shared config, and ALPN settles on http/1.1.
mod tls_support;

use onslaught::engine::tls::{TlsFailure, TlsOptions, client_config};
use onslaught::record::TransportError;
use rustls::ClientConfig;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use tls_support::{Pki, Reply, TempDir, dial, dial_and_exchange, exchange, run, serve, server_config};

fn trusting_ca(pki: &Pki, dir: &TempDir) -> Arc<ClientConfig> {
    let opts = TlsOptions { cacert: Some(dir.write("ca.pem", &pki.ca.pem)), ..TlsOptions::default() };
    client_config(&opts).expect("config")
}

fn insecure() -> Arc<ClientConfig> {
    client_config(&TlsOptions { insecure: true, ..TlsOptions::default() }).expect("config")
}

fn outcome(addr: SocketAddr, cfg: &Arc<ClientConfig>, host: &str) -> Result<(), TlsFailure> {
    run(dial_and_exchange(addr, cfg, host))
}

#[test]
fn system_roots_do_not_trust_a_private_ca() {
    let pki = Pki::new();
    let addr = serve(server_config(&pki.server, None, false), Reply::Ok);
    let cfg = client_config(&TlsOptions::default()).expect("system roots (install ca-certificates)");
    let got = outcome(addr, &cfg, "localhost");
    assert_eq!(got, Err(TlsFailure::UnknownIssuer));
    assert_eq!(TlsFailure::UnknownIssuer.transport_error(), TransportError::TlsUnknownIssuer);
}

#[test]
fn cacert_replaces_the_roots() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let addr = serve(server_config(&pki.server, None, false), Reply::Ok);
    assert_eq!(outcome(addr, &trusting_ca(&pki, &dir), "localhost"), Ok(()));
    assert_eq!(outcome(addr, &trusting_ca(&pki, &dir), "127.0.0.1"), Ok(()));
    // Another CA's bundle: the server's issuer is unknown.
    let other = TlsOptions { cacert: Some(dir.write("other.pem", &pki.client_ca.pem)), ..TlsOptions::default() };
    assert_eq!(outcome(addr, &client_config(&other).unwrap(), "localhost"), Err(TlsFailure::UnknownIssuer));
}

#[test]
fn wrong_name_is_bad_hostname() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let addr = serve(server_config(&pki.server, None, false), Reply::Ok);
    assert_eq!(outcome(addr, &trusting_ca(&pki, &dir), "wrong.example"), Err(TlsFailure::BadHostname));
    assert_eq!(outcome(addr, &trusting_ca(&pki, &dir), "127.0.0.2"), Err(TlsFailure::BadHostname));
}

#[test]
fn expired_certificate_is_expired() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let addr = serve(server_config(&pki.expired, None, false), Reply::Ok);
    assert_eq!(outcome(addr, &trusting_ca(&pki, &dir), "localhost"), Err(TlsFailure::Expired));
}

#[test]
fn insecure_accepts_unknown_issuer_wrong_name_and_expired() {
    let pki = Pki::new();
    let good = serve(server_config(&pki.server, None, false), Reply::Ok);
    let expired = serve(server_config(&pki.expired, None, false), Reply::Ok);
    let cfg = insecure();
    assert_eq!(outcome(good, &cfg, "localhost"), Ok(()));
    assert_eq!(outcome(good, &cfg, "wrong.example"), Ok(()));
    assert_eq!(outcome(expired, &cfg, "localhost"), Ok(()));
}

#[test]
fn required_client_certificate() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let addr = serve(server_config(&pki.server, Some(&pki.client_ca), false), Reply::Ok);
    // TLS 1.3: the client finishes its side first; the refusal arrives as an alert on first read.
    assert_eq!(outcome(addr, &trusting_ca(&pki, &dir), "localhost"), Err(TlsFailure::Handshake));
    let with_cert = |cert: &tls_support::Issued| TlsOptions {
        cacert: Some(dir.write("ca.pem", &pki.ca.pem)),
        client_cert: Some(dir.write("client.pem", &cert.pem)),
        client_key: Some(dir.write("client.key", &cert.key.serialize_pem())),
        insecure: false,
    };
    let cfg = client_config(&with_cert(&pki.client)).expect("config");
    assert_eq!(outcome(addr, &cfg, "localhost"), Ok(()));
    // A certificate the server's client CA did not issue is refused.
    let stranger = client_config(&with_cert(&pki.server)).expect("config");
    assert_eq!(outcome(addr, &stranger, "localhost"), Err(TlsFailure::Handshake));
}

#[test]
fn a_shared_config_resumes_sessions() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let addr = serve(server_config(&pki.server, None, false), Reply::Ok);
    let cfg = trusting_ca(&pki, &dir);
    run(async {
        let mut first = dial(addr, &cfg, "localhost").await.expect("first handshake");
        assert!(!first.resumed());
        // Session tickets arrive after the handshake: read a response to take them in.
        exchange(&mut first).await.unwrap();
        drop(first);
        let mut second = dial(addr, &cfg, "localhost").await.expect("second handshake");
        assert!(second.resumed(), "the reconnect resumed: {:?}", second.session().handshake_kind());
        exchange(&mut second).await.unwrap();
        let fresh = trusting_ca(&pki, &dir);
        let third = dial(addr, &fresh, "localhost").await.expect("handshake with a new config");
        assert!(!third.resumed(), "a new config starts with an empty cache");
    });
}

#[test]
fn alpn_settles_on_http11_when_offered() {
    let pki = Pki::new();
    let offering = serve(server_config(&pki.server, None, true), Reply::Ok);
    let silent = serve(server_config(&pki.server, None, false), Reply::Ok);
    let cfg = insecure();
    run(async {
        let s = dial(offering, &cfg, "localhost").await.unwrap();
        assert_eq!(s.alpn(), Some(&b"http/1.1"[..]));
        let s = dial(silent, &cfg, "localhost").await.unwrap();
        assert_eq!(s.alpn(), None);
    });
}

/// A plain TCP peer that reads the ClientHello, writes `reply`, then closes.
fn not_tls(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let mut hello = [0u8; 5];
            let _ = tcp.read_exact(&mut hello);
            let _ = tcp.write_all(reply);
            let _ = tcp.shutdown(std::net::Shutdown::Write);
            let mut rest = Vec::new();
            let _ = tcp.read_to_end(&mut rest);
        }
    });
    addr
}

#[test]
fn a_peer_that_does_not_speak_tls_is_a_handshake_failure() {
    let cfg = insecure();
    let plain_http = not_tls(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(run(async { dial(plain_http, &cfg, "localhost").await.err() }), Some(TlsFailure::Handshake));
    let hangs_up = not_tls(b"");
    assert_eq!(run(async { dial(hangs_up, &cfg, "localhost").await.err() }), Some(TlsFailure::Handshake));
}

/// scripts/tls-certs.sh (openssl) makes certificates that behave like the in-process ones: the
/// script's files load as --cacert / --cert / --key. Skipped, with a note, without openssl.
#[test]
fn openssl_script_certificates_work_as_flags() {
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = TempDir::new();
    let files = dir.0.join("pki");
    let pki = Pki::from_script(&files);
    let good = serve(server_config(&pki.server, Some(&pki.client_ca), false), Reply::Ok);
    let expired = serve(server_config(&pki.expired, None, false), Reply::Ok);
    let opts = TlsOptions {
        cacert: Some(files.join("ca.pem")),
        client_cert: Some(files.join("client.pem")),
        client_key: Some(files.join("client.key")),
        insecure: false,
    };
    let cfg = client_config(&opts).expect("the script's files load");
    assert_eq!(outcome(good, &cfg, "localhost"), Ok(()));
    assert_eq!(outcome(good, &cfg, "127.0.0.1"), Ok(()));
    assert_eq!(outcome(good, &cfg, "wrong.example"), Err(TlsFailure::BadHostname));
    assert_eq!(outcome(expired, &cfg, "localhost"), Err(TlsFailure::Expired));
}
