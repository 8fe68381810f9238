//! TLS transport (rustls, ring provider): builds the run's shared `ClientConfig` from the TLS flags,
//! runs the handshake on a glommio `TcpStream` and wraps both as an AsyncRead/AsyncWrite stream.
//! Knows no HTTP and counts nothing: failures come back as `TlsFailure`, a Copy class that maps
//! onto `TransportError`.
//!
//! Why it looks like this:
//! - One `Arc<ClientConfig>` per run: its in-memory session cache is what lets a reconnect resume
//!   (TLS 1.3 tickets / 1.2 session ids) instead of paying a full handshake. The cache takes a lock
//!   once per handshake, never per request.
//! - Ciphertext goes through two per-connection buffers allocated once: `rx` takes one `recv` of up
//!   to 16 KiB (rustls alone reads 4 KiB at a time), `tx` collects every queued TLS record so that a
//!   flush is one `send`. Plaintext is never copied by us beyond what rustls does.
//! - `write` hands plaintext to rustls and tries to send it at once; `read` first sends anything
//!   still queued, so a request written without `flush` still goes out before its answer is awaited.
//! - A TCP EOF without close_notify reads as EOF (`Ok(0)`): HTTP/1.1 close-delimited bodies end that
//!   way and the response parser, not the transport, decides whether the body was complete.
use crate::record::TransportError;
use futures_lite::{AsyncRead, AsyncWrite};
use glommio::net::TcpStream;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, Error as RustlsError, HandshakeKind,
    InconsistentKeys, RootCertStore, SignatureScheme,
};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// The only application protocol we speak.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Ciphertext read per `recv`: one full TLS record (16 KiB of payload) or several small ones.
/// Per-connection memory; smaller means more syscalls for large bodies.
const RX_BUF: usize = 16 * 1024;

/// What the user asked for on the command line (curl's flags and meanings).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// `--cacert`: a PEM bundle that replaces the system roots.
    pub cacert: Option<PathBuf>,
    /// `--cert`: the client certificate chain (PEM), leaf first.
    pub client_cert: Option<PathBuf>,
    /// `--key`: the client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
    /// `--insecure`: accept any server certificate (handshake signatures are still checked).
    pub insecure: bool,
}

/// Build the run's client configuration. Errors are one line naming the flag and the fix.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let roots = roots(opts)?;
    let builder = match roots {
        Some(roots) => builder.with_root_certificates(roots),
        None => builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider))),
    };
    let mut cfg = match client_identity(opts)? {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| identity_error(opts, &e))?,
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(cfg))
}

/// The trust anchors: `--cacert` alone if given (as curl does), else the system's; none (any
/// certificate accepted) with `--insecure`. A given `--cacert` is read even then, to catch typos.
fn roots(opts: &TlsOptions) -> Result<Option<RootCertStore>, String> {
    let given = opts.cacert.as_deref().map(cacert_roots).transpose()?;
    if opts.insecure {
        return Ok(None);
    }
    match given {
        Some(store) => Ok(Some(store)),
        None => system_roots().map(Some),
    }
}

fn cacert_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for (i, cert) in read_certs("--cacert", path)?.into_iter().enumerate() {
        store.add(cert).map_err(|e| {
            format!("--cacert {}: certificate #{} is not a usable CA certificate ({e})", path.display(), i + 1)
        })?;
    }
    Ok(store)
}

/// The platform store (/etc/ssl/certs on Debian; SSL_CERT_FILE / SSL_CERT_DIR override it).
fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(found.certs);
    if store.is_empty() {
        let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
        return Err(format!(
            "no system CA certificates found{why}: install the ca-certificates package, pass --cacert FILE, \
             or --insecure to skip verification"
        ));
    }
    Ok(store)
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_identity(opts: &TlsOptions) -> Result<Option<Identity>, String> {
    match (&opts.client_cert, &opts.client_key) {
        (None, None) => Ok(None),
        (Some(_), None) => Err("--cert needs --key: pass the client certificate's private key with --key FILE".into()),
        (None, Some(_)) => Err("--key needs --cert: pass the client certificate with --cert FILE".into()),
        (Some(cert), Some(key)) => Ok(Some((read_certs("--cert", cert)?, read_key(key)?))),
    }
}

fn identity_error(opts: &TlsOptions, e: &RustlsError) -> String {
    let (cert, key) = (display(&opts.client_cert), display(&opts.client_key));
    match e {
        RustlsError::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
            format!("--key {key} does not match the certificate in --cert {cert}: pass the key it was issued for")
        }
        other => format!("--key {key}: unusable private key ({other}); use an RSA, ECDSA or Ed25519 key"),
    }
}

fn display(p: &Option<PathBuf>) -> String {
    p.as_deref().map(|p| p.display().to_string()).unwrap_or_default()
}

fn read_certs(flag: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| pem_error(flag, path, e))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no certificate in it; expected PEM with -----BEGIN CERTIFICATE----- blocks",
            path.display()
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| match e {
        pem::Error::NoItemsFound => format!(
            "--key {}: no private key in it; expected PEM with a -----BEGIN PRIVATE KEY----- \
             (or RSA / EC PRIVATE KEY) block",
            path.display()
        ),
        other => pem_error("--key", path, other),
    })
}

fn pem_error(flag: &str, path: &Path, e: pem::Error) -> String {
    let path = path.display();
    match e {
        pem::Error::Io(io) if io.kind() == ErrorKind::NotFound => format!("{flag} {path}: file not found"),
        pem::Error::Io(io) => format!("{flag} {path}: cannot read it ({io})"),
        other => format!("{flag} {path}: not valid PEM ({other})"),
    }
}

/// The server name to verify the certificate against (and send as SNI when it is a DNS name).
/// Accepts DNS names and IP addresses, IPv6 with or without brackets.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    ServerName::try_from(bare.to_owned())
        .map_err(|_| format!("{host:?} is not a valid TLS server name: expected a DNS name or an IP address"))
}

/// `--insecure`: trusts any certificate, but still checks that the server signed the handshake
/// with the key in it (so the numbers measure a real TLS handshake).
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, RustlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, RustlsError> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, RustlsError> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// How a TLS connection failed, small enough to index a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsFailure {
    /// The certificate chain does not lead to a trusted root.
    UnknownIssuer,
    /// The certificate is not valid for the server name.
    BadHostname,
    /// The certificate is expired or not yet valid.
    Expired,
    /// Any other handshake, alert or record-layer failure (including EOF mid-handshake).
    Handshake,
    /// The socket failed underneath.
    Io(ErrorKind),
}

impl TlsFailure {
    pub fn transport_error(self) -> TransportError {
        match self {
            TlsFailure::UnknownIssuer => TransportError::TlsUnknownIssuer,
            TlsFailure::BadHostname => TransportError::TlsBadHostname,
            TlsFailure::Expired => TransportError::TlsExpired,
            TlsFailure::Handshake => TransportError::Tls,
            // The handshake is part of connecting: a timeout there is a connect timeout.
            TlsFailure::Io(kind) => TransportError::from_io(&io::Error::from(kind), true),
        }
    }

    pub fn from_rustls(e: &RustlsError) -> TlsFailure {
        use CertificateError as C;
        match e {
            RustlsError::InvalidCertificate(C::UnknownIssuer) => TlsFailure::UnknownIssuer,
            RustlsError::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
                TlsFailure::BadHostname
            }
            RustlsError::InvalidCertificate(
                C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
            ) => TlsFailure::Expired,
            _ => TlsFailure::Handshake,
        }
    }

    /// Any error from this module's I/O: a rustls error if one is inside, else the socket's kind.
    pub fn from_io(e: &io::Error) -> TlsFailure {
        classify_io(e).unwrap_or(TlsFailure::Io(e.kind()))
    }
}

/// The TLS class of an error returned by `TlsStream`'s reads and writes, if it is a TLS error
/// (rustls errors travel as `InvalidData` with the `rustls::Error` inside).
pub fn classify_io(e: &io::Error) -> Option<TlsFailure> {
    let inner = e.get_ref()?.downcast_ref::<RustlsError>()?;
    Some(TlsFailure::from_rustls(inner))
}

/// Handshake to completion over an open TCP connection.
///
/// In TLS 1.3 the client finishes first: a server that refuses the client's certificate says so
/// with an alert that surfaces on the first read. Classify read/write errors with `classify_io`
/// (a TLS class) falling back to `TransportError::from_io(&e, false)` for plain socket errors.
pub async fn connect(
    tcp: TcpStream,
    cfg: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> Result<TlsStream, TlsFailure> {
    let conn = ClientConnection::new(cfg, name).map_err(|e| TlsFailure::from_rustls(&e))?;
    let mut stream = TlsStream::new(tcp, conn);
    futures_lite::future::poll_fn(|cx| stream.poll_handshake(cx)).await?;
    Ok(stream)
}

/// A client TLS connection on a glommio TCP stream.
pub struct TlsStream {
    tcp: TcpStream,
    conn: ClientConnection,
    /// Ciphertext from the socket not yet given to rustls: `rx[rx_pos..rx_end]`.
    rx: Box<[u8]>,
    rx_pos: usize,
    rx_end: usize,
    /// Ciphertext taken from rustls not yet sent: `tx[tx_pos..]`.
    tx: Vec<u8>,
    tx_pos: usize,
    close_sent: bool,
}

impl TlsStream {
    fn new(tcp: TcpStream, conn: ClientConnection) -> Self {
        let rx = vec![0; RX_BUF].into_boxed_slice();
        TlsStream { tcp, conn, rx, rx_pos: 0, rx_end: 0, tx: Vec::new(), tx_pos: 0, close_sent: false }
    }

    /// The rustls side: negotiated version, cipher suite, ALPN, handshake kind.
    pub fn session(&self) -> &ClientConnection {
        &self.conn
    }

    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// The handshake resumed a cached session (no certificate exchange).
    pub fn resumed(&self) -> bool {
        self.conn.handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// The application protocol the server chose, if it chose one.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.conn.alpn_protocol()
    }

    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TlsFailure>> {
        loop {
            ready!(self.poll_send(cx)).map_err(|e| TlsFailure::from_io(&e))?;
            if !self.conn.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            if !ready!(self.poll_recv(cx)).map_err(|e| TlsFailure::from_io(&e))? {
                // The server hung up mid-handshake: a TLS-level refusal, not a transport fault.
                return Poll::Ready(Err(TlsFailure::Handshake));
            }
        }
    }

    /// Send every TLS record rustls has queued: they are gathered in `tx`, then sent in one go.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.tx_pos < self.tx.len() {
                let n = ready!(Pin::new(&mut self.tcp).poll_write(cx, &self.tx[self.tx_pos..]))?;
                if n == 0 {
                    return Poll::Ready(Err(ErrorKind::WriteZero.into()));
                }
                self.tx_pos += n;
                continue;
            }
            self.tx.clear();
            self.tx_pos = 0;
            if !self.conn.wants_write() {
                return Poll::Ready(Ok(()));
            }
            self.conn.write_tls(&mut self.tx)?;
        }
    }

    /// Give rustls more ciphertext (from `rx`, refilled by one `recv` when empty) and decrypt it.
    /// `Ok(false)`: the socket reached EOF (rustls has been told).
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.rx_pos == self.rx_end {
            let n = ready!(Pin::new(&mut self.tcp).poll_read(cx, &mut self.rx))?;
            (self.rx_pos, self.rx_end) = (0, n);
        }
        // An empty slice reads as EOF, which is what rustls must hear after the socket's EOF.
        let mut pending = &self.rx[self.rx_pos..self.rx_end];
        let fed = self.conn.read_tls(&mut pending)?;
        self.rx_pos += fed;
        if let Err(e) = self.conn.process_new_packets() {
            // Best effort: tell the server why (rustls queued an alert).
            let _ = self.poll_send(cx);
            return Poll::Ready(Err(io::Error::new(ErrorKind::InvalidData, e)));
        }
        Poll::Ready(Ok(fed > 0))
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Whatever was written goes out before we wait for an answer to it.
        if let Poll::Ready(Err(e)) = this.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        loop {
            match this.conn.reader().read(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                // EOF without close_notify: HTTP/1.1 framing decides if anything is missing.
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Poll::Ready(Ok(0)),
                Err(e) => return Poll::Ready(Err(e)),
            }
            ready!(this.poll_recv(cx))?;
        }
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Backpressure: records from earlier writes leave first.
        ready!(this.poll_send(cx))?;
        let n = this.conn.writer().write(buf)?;
        if n == 0 && !buf.is_empty() {
            return Poll::Ready(Err(ErrorKind::WriteZero.into()));
        }
        // Send now; if the socket is full, the next write, read or flush finishes the job.
        if let Poll::Ready(Err(e)) = this.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.tcp).poll_flush(cx)
    }

    /// Sends close_notify, then closes the socket.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.close_sent {
            this.conn.send_close_notify();
            this.close_sent = true;
        }
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.tcp).poll_close(cx)
    }
}
