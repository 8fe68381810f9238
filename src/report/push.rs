//! Pushing the Prometheus exposition to a Pushgateway (`--push-gateway URL`): one blocking
//! HTTP/1.1 PUT over std::net, after the run (never during it, so it costs the measurement
//! nothing). PUT replaces the group `job=onslaught, run=<run label>` (the Pushgateway API).
use super::Report;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Connect, write and read deadlines for the push.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of the Pushgateway's answer we read (its status line and an error text).
const MAX_ANSWER: u64 = 64 * 1024;

/// Where the metrics go: `<gateway path>/metrics/job/onslaught/run/<run label>`.
pub fn push_path(base: &str, run: &str) -> String {
    format!("{}/metrics/job/onslaught/run/{}", base.trim_end_matches('/'), percent(run))
}

/// PUT the report's exposition to the Pushgateway at `gateway` (http://HOST:PORT[/PREFIX]).
pub fn push(r: &Report, gateway: &str) -> Result<(), String> {
    let mut body = Vec::new();
    super::prometheus::write(r, &mut body).map_err(|e| e.to_string())?;
    push_text(&body, &super::prometheus::run_label(r), gateway)
}

/// PUT `body` (an exposition) as the group of run label `run` (`--push-every` pushes the live
/// exposition this way).
pub fn push_text(body: &[u8], run: &str, gateway: &str) -> Result<(), String> {
    let shown = crate::redact::url(gateway);
    let url = crate::url::parse_url(gateway).map_err(|e| format!("--push-gateway: {e}"))?;
    if url.tls {
        return Err(format!(
            "--push-gateway '{shown}': https is not supported; use http:// (e.g. a local gateway or a sidecar)"
        ));
    }
    let path = push_path(url.target.split('?').next().unwrap_or("/"), run);
    let host = if url.host.contains(':') { format!("[{}]", url.host) } else { url.host.clone() };
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}:{}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: onslaught\r\n\r\n",
        url.port,
        body.len()
    );
    let fail = |e: std::io::Error| format!("--push-gateway {shown}: {e}");
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(fail)?
        .next()
        .ok_or_else(|| format!("--push-gateway {shown}: host has no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(fail)?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(fail)?;
    s.set_read_timeout(Some(TIMEOUT)).map_err(fail)?;
    s.write_all(head.as_bytes()).map_err(fail)?;
    s.write_all(body).map_err(fail)?;
    let mut answer = Vec::new();
    s.take(MAX_ANSWER).read_to_end(&mut answer).map_err(fail)?;
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or("");
    let code: u16 = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    if (200..300).contains(&code) {
        Ok(())
    } else {
        let detail = text.split("\r\n\r\n").nth(1).unwrap_or("").trim();
        Err(format!("--push-gateway {shown}: answered '{status_line}' {detail}"))
    }
}

/// A path segment: unreserved characters kept, everything else percent-encoded.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
