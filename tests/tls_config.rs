//! TLS configuration from the CLI flags (errors name the flag and the fix), server names, and how
//! rustls and socket failures map onto counter classes. No network.
mod tls_support;

use onslaught::engine::tls::{self, TlsFailure, TlsOptions, classify_io, client_config, server_name};
use onslaught::record::TransportError;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, Error as RustlsError};
use std::io::{Error, ErrorKind};
use tls_support::{Pki, TempDir};

fn config_error(opts: &TlsOptions) -> String {
    match client_config(opts) {
        Ok(_) => panic!("expected a config error for {opts:?}"),
        Err(e) => e,
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{msg:?} should mention {p:?}");
    }
    assert!(!msg.contains('\n'), "one line: {msg:?}");
}

#[test]
fn missing_cacert_file_names_the_flag() {
    let opts = TlsOptions { cacert: Some("/nonexistent/ca.pem".into()), ..TlsOptions::default() };
    assert_mentions(&config_error(&opts), &["--cacert", "/nonexistent/ca.pem", "not found"]);
    // A given path is checked even when verification is off: a typo is still a typo.
    let insecure = TlsOptions { insecure: true, ..opts };
    assert_mentions(&config_error(&insecure), &["--cacert", "not found"]);
}

#[test]
fn cacert_without_a_certificate_is_refused() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let not_certs = dir.write("key.pem", &pki.server.key.serialize_pem());
    let opts = TlsOptions { cacert: Some(not_certs), ..TlsOptions::default() };
    assert_mentions(&config_error(&opts), &["--cacert", "no certificate"]);
}

#[test]
fn cert_and_key_come_together() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let cert = dir.write("client.pem", &pki.client.pem);
    let key = dir.write("client.key", &pki.client.key.serialize_pem());
    let only_cert = TlsOptions { client_cert: Some(cert), insecure: true, ..TlsOptions::default() };
    assert_mentions(&config_error(&only_cert), &["--cert", "--key"]);
    let only_key = TlsOptions { client_key: Some(key), insecure: true, ..TlsOptions::default() };
    assert_mentions(&config_error(&only_key), &["--key", "--cert"]);
}

#[test]
fn key_must_match_the_certificate() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let opts = TlsOptions {
        client_cert: Some(dir.write("client.pem", &pki.client.pem)),
        client_key: Some(dir.write("other.key", &pki.server.key.serialize_pem())),
        insecure: true,
        ..TlsOptions::default()
    };
    assert_mentions(&config_error(&opts), &["--key", "does not match", "--cert"]);
}

#[test]
fn key_file_problems_name_the_flag() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let cert = dir.write("client.pem", &pki.client.pem);
    let no_key =
        TlsOptions { client_cert: Some(cert.clone()), client_key: Some(cert.clone()), ..TlsOptions::default() };
    assert_mentions(&config_error(&no_key), &["--key", "no private key"]);
    let missing = TlsOptions { client_key: Some(dir.0.join("absent.key")), ..no_key };
    assert_mentions(&config_error(&missing), &["--key", "absent.key", "not found"]);
    let bad_cert = TlsOptions { client_cert: Some(dir.0.join("absent.pem")), ..missing };
    assert_mentions(&config_error(&bad_cert), &["--cert", "absent.pem", "not found"]);
}

#[test]
fn valid_options_build_a_config_offering_http11() {
    let (pki, dir) = (Pki::new(), TempDir::new());
    let full = TlsOptions {
        cacert: Some(dir.write("ca.pem", &pki.ca.pem)),
        client_cert: Some(dir.write("client.pem", &pki.client.pem)),
        client_key: Some(dir.write("client.key", &pki.client.key.serialize_pem())),
        insecure: false,
    };
    let insecure = TlsOptions { insecure: true, ..TlsOptions::default() };
    for opts in [TlsOptions::default(), full, insecure] {
        let cfg = client_config(&opts).unwrap_or_else(|e| panic!("{opts:?}: {e}"));
        assert_eq!(cfg.alpn_protocols, vec![tls::ALPN_HTTP11.to_vec()]);
    }
}

#[test]
fn server_names_accept_dns_names_and_ip_addresses() {
    assert!(matches!(server_name("localhost"), Ok(ServerName::DnsName(_))));
    assert!(matches!(server_name("example.com"), Ok(ServerName::DnsName(_))));
    assert!(matches!(server_name("127.0.0.1"), Ok(ServerName::IpAddress(_))));
    assert!(matches!(server_name("::1"), Ok(ServerName::IpAddress(_))));
    assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
    let err = server_name("not a host!").unwrap_err();
    assert!(err.contains("not a host!") && err.contains("DNS name"), "{err}");
}

#[test]
fn rustls_errors_map_to_failure_classes() {
    use CertificateError as C;
    let table = [
        (RustlsError::InvalidCertificate(C::UnknownIssuer), TlsFailure::UnknownIssuer),
        (RustlsError::InvalidCertificate(C::NotValidForName), TlsFailure::BadHostname),
        (RustlsError::InvalidCertificate(C::Expired), TlsFailure::Expired),
        (RustlsError::InvalidCertificate(C::NotValidYet), TlsFailure::Expired),
        (RustlsError::InvalidCertificate(C::BadSignature), TlsFailure::Handshake),
        (RustlsError::DecryptError, TlsFailure::Handshake),
        (RustlsError::AlertReceived(rustls::AlertDescription::CertificateRequired), TlsFailure::Handshake),
    ];
    for (err, want) in table {
        assert_eq!(TlsFailure::from_rustls(&err), want, "{err:?}");
        let wrapped = Error::new(ErrorKind::InvalidData, err);
        assert_eq!(classify_io(&wrapped), Some(want));
        assert_eq!(TlsFailure::from_io(&wrapped), want);
    }
    let plain = Error::from(ErrorKind::ConnectionReset);
    assert_eq!(classify_io(&plain), None);
    assert_eq!(TlsFailure::from_io(&plain), TlsFailure::Io(ErrorKind::ConnectionReset));
}

#[test]
fn failures_map_to_transport_errors() {
    let table = [
        (TlsFailure::UnknownIssuer, TransportError::TlsUnknownIssuer),
        (TlsFailure::BadHostname, TransportError::TlsBadHostname),
        (TlsFailure::Expired, TransportError::TlsExpired),
        (TlsFailure::Handshake, TransportError::Tls),
        (TlsFailure::Io(ErrorKind::ConnectionRefused), TransportError::ConnectRefused),
        (TlsFailure::Io(ErrorKind::TimedOut), TransportError::ConnectTimeout),
        (TlsFailure::Io(ErrorKind::ConnectionReset), TransportError::Reset),
        (TlsFailure::Io(ErrorKind::BrokenPipe), TransportError::Reset),
        (TlsFailure::Io(ErrorKind::UnexpectedEof), TransportError::ClosedMidResponse),
        (TlsFailure::Io(ErrorKind::PermissionDenied), TransportError::Other),
    ];
    for (failure, want) in table {
        assert_eq!(failure.transport_error(), want, "{failure:?}");
    }
}
