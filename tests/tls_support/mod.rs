//! Test support for the TLS transport: a throwaway PKI made in-process with rcgen, PEM files in a
//! unique temp dir, a blocking rustls server on 127.0.0.1:0 (one std thread per connection), and
//! client helpers that run inside a glommio executor. Independent of the engine's code paths.
#![allow(dead_code)]
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use onslaught::engine::tls::{self, TlsFailure, TlsStream};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
pub const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
pub const CLOSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
pub const CLOSE_BODY: &[u8] = b"close-delimited body";

/// A certificate with its key, both as DER and as PEM.
pub struct Issued {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub key: KeyPair,
}

impl Issued {
    /// Read a PEM certificate and its PEM (PKCS#8) key, as scripts/tls-certs.sh writes them.
    pub fn from_files(dir: &Path, name: &str) -> Issued {
        let pem = std::fs::read_to_string(dir.join(format!("{name}.pem"))).expect("cert file");
        let key = std::fs::read_to_string(dir.join(format!("{name}.key"))).expect("key file");
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).expect("PEM certificate");
        Issued { der, pem, key: KeyPair::from_pem(&key).expect("PEM key") }
    }
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.der.clone()]
    }
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.key.serialize_der()).into()
    }
}

/// A CA certificate (its key lives on in the `Issuer` that signs with it).
pub struct Ca {
    pub der: CertificateDer<'static>,
    pub pem: String,
}

/// Two CAs (servers, clients) and the certificates they issued.
pub struct Pki {
    pub ca: Ca,
    pub server: Issued,
    pub expired: Issued,
    pub client_ca: Ca,
    pub client: Issued,
}

fn make_ca(name: &str) -> (Ca, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("ca key");
    let cert = params.self_signed(&key).expect("ca cert");
    (Ca { der: cert.der().clone(), pem: cert.pem() }, Issuer::new(params, key))
}

fn issue(names: &[&str], issuer: &Issuer<'static, KeyPair>, expired: bool) -> Issued {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("leaf params");
    if expired {
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
    }
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, issuer).expect("leaf cert");
    Issued { der: cert.der().clone(), pem: cert.pem(), key }
}

impl Pki {
    /// A PKI made by scripts/tls-certs.sh in `dir`.
    pub fn from_script(dir: &Path) -> Pki {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/tls-certs.sh");
        let status = std::process::Command::new(script).arg(dir).stdout(std::process::Stdio::null()).status();
        assert!(status.expect("run scripts/tls-certs.sh").success(), "scripts/tls-certs.sh failed");
        let ca = |name: &str| {
            let pem = std::fs::read_to_string(dir.join(format!("{name}.pem"))).expect("ca file");
            Ca { der: CertificateDer::from_pem_slice(pem.as_bytes()).expect("PEM CA"), pem }
        };
        Pki {
            ca: ca("ca"),
            server: Issued::from_files(dir, "server"),
            expired: Issued::from_files(dir, "expired"),
            client_ca: ca("client-ca"),
            client: Issued::from_files(dir, "client"),
        }
    }

    pub fn new() -> Pki {
        let (ca, ca_issuer) = make_ca("onslaught test CA");
        let (client_ca, client_issuer) = make_ca("onslaught client CA");
        Pki {
            server: issue(&["localhost", "127.0.0.1"], &ca_issuer, false),
            expired: issue(&["localhost", "127.0.0.1"], &ca_issuer, true),
            client: issue(&["client.test"], &client_issuer, false),
            ca,
            client_ca,
        }
    }
}

/// A unique directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!("onslaught-tls-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server config presenting `cert`; `client_ca`: require a client certificate issued by it.
pub fn server_config(cert: &Issued, client_ca: Option<&Ca>, alpn: bool) -> Arc<ServerConfig> {
    let builder = ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der.clone()).expect("client ca");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut cfg = builder.with_single_cert(cert.chain(), cert.key_der()).expect("server cert");
    if alpn {
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    Arc::new(cfg)
}

/// How the test server answers each request.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    /// `RESPONSE`, keep-alive.
    Ok,
    /// A keep-alive response with a body of this many pattern bytes.
    Big(usize),
    /// `CLOSE_HEAD` + `CLOSE_BODY`, then close; with or without close_notify first.
    Close { notify: bool },
}

pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Serve TLS on 127.0.0.1:0; the listener thread lives until the test process exits.
pub fn serve(cfg: Arc<ServerConfig>, reply: Reply) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let cfg = cfg.clone();
            std::thread::spawn(move || handle(cfg, tcp, reply));
        }
    });
    addr
}

fn handle(cfg: Arc<ServerConfig>, tcp: TcpStream, reply: Reply) {
    tcp.set_nodelay(true).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut tls = StreamOwned::new(ServerConnection::new(cfg).unwrap(), tcp);
    let _ = answer(&mut tls, reply);
    // Let any alert or close reach the client, then wait for it to hang up: closing with unread
    // bytes would send a RST that could overtake them.
    let _ = tls.sock.shutdown(Shutdown::Write);
    let mut sink = [0u8; 4096];
    while matches!(tls.sock.read(&mut sink), Ok(n) if n > 0) {}
}

fn answer(tls: &mut StreamOwned<ServerConnection, TcpStream>, reply: Reply) -> io::Result<()> {
    loop {
        if !read_request(tls)? {
            return Ok(());
        }
        match reply {
            Reply::Ok => tls.write_all(RESPONSE)?,
            Reply::Big(n) => {
                tls.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").as_bytes())?;
                tls.write_all(&pattern(n))?;
            }
            Reply::Close { notify } => {
                tls.write_all(CLOSE_HEAD)?;
                tls.write_all(CLOSE_BODY)?;
                if notify {
                    tls.conn.send_close_notify();
                }
                tls.flush()?;
                return Ok(());
            }
        }
        tls.flush()?;
    }
}

/// Read one request head and its Content-Length body; false on a clean EOF before it.
fn read_request(tls: &mut impl Read) -> io::Result<bool> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tls.read(&mut byte)? == 0 {
            return Ok(false);
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let len = text.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; len];
    tls.read_exact(&mut body)?;
    assert_eq!(body, pattern(len), "request body arrived intact");
    Ok(true)
}

/// Run a future on a fresh single-thread glommio executor (small io_memory: CI memlock limits).
pub fn run<T>(fut: impl Future<Output = T>) -> T {
    let ex = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound).io_memory(64 * 1024).make();
    ex.expect("glommio executor").run(fut)
}

pub async fn dial(addr: SocketAddr, cfg: &Arc<ClientConfig>, host: &str) -> Result<TlsStream, TlsFailure> {
    let tcp = glommio::net::TcpStream::connect(addr).await.expect("tcp connect");
    tcp.set_nodelay(true).unwrap();
    tls::connect(tcp, cfg.clone(), tls::server_name(host).unwrap()).await
}

/// Read exactly `n` bytes, or fewer if EOF comes first.
pub async fn read_n(s: &mut TlsStream, n: usize) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        match s.read(&mut out[filled..]).await? {
            0 => break,
            k => filled += k,
        }
    }
    out.truncate(filled);
    Ok(out)
}

/// One request and its `RESPONSE`, byte for byte.
pub async fn exchange(s: &mut TlsStream) -> io::Result<()> {
    s.write_all(REQUEST).await?;
    let got = read_n(s, RESPONSE.len()).await?;
    assert_eq!(got, RESPONSE, "response bytes");
    Ok(())
}

/// Handshake plus one exchange: where a TLS 1.3 server's rejection of the client shows up.
pub async fn dial_and_exchange(addr: SocketAddr, cfg: &Arc<ClientConfig>, host: &str) -> Result<(), TlsFailure> {
    let mut s = dial(addr, cfg, host).await?;
    exchange(&mut s).await.map_err(|e| TlsFailure::from_io(&e))
}
