//! Test support for the built-in target: a blocking HTTP/1.1 client that frames responses
//! itself (independent of the server's code) and a one-core server on 127.0.0.1:0.
#![allow(dead_code)]
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use onslaught::serve::{self, ServeOptions, ServerHandle};

/// Options for a one-core server on loopback with an OS-chosen port.
pub fn one_core() -> ServeOptions {
    ServeOptions { cores: 1, ..ServeOptions::default() }
}

pub fn start(opts: ServeOptions) -> ServerHandle {
    serve::start(opts).expect("server starts")
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut hits = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        hits.next().map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        // A broken server fails the test instead of hanging it.
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client { stream, buf: Vec::new() }
    }

    pub fn send(&mut self, raw: &[u8]) {
        self.stream.write_all(raw).expect("write");
    }

    pub fn send_get(&mut self, path: &str) {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
    }

    pub fn get(&mut self, path: &str) -> Resp {
        self.send_get(path);
        self.read_response(false)
    }

    /// Read one response (an interim 1xx counts as one).
    pub fn read_response(&mut self, head_request: bool) -> Resp {
        loop {
            if let Some(resp) = self.try_frame(head_request) {
                return resp;
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk).expect("read response");
            assert!(n > 0, "server closed mid-response; have {:?}", String::from_utf8_lossy(&self.buf));
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn try_frame(&mut self, head_request: bool) -> Option<Resp> {
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut fields);
        let head_len = match parsed.parse(&self.buf).expect("valid response head") {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => return None,
        };
        let status = parsed.code.unwrap();
        let headers: Vec<(String, String)> =
            parsed.headers.iter().map(|h| (h.name.to_string(), String::from_utf8(h.value.to_vec()).unwrap())).collect();
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse::<usize>().expect("numeric content-length"));
        let bodiless = head_request || status < 200 || status == 204 || status == 304;
        let body_len = if bodiless { 0 } else { length.expect("content-length on a response with a body") };
        if self.buf.len() < head_len + body_len {
            return None;
        }
        let body = self.buf[head_len..head_len + body_len].to_vec();
        self.buf.drain(..head_len + body_len);
        Some(Resp { status, headers, body })
    }

    /// Whether the server closed the connection (EOF or reset) with nothing more to read.
    pub fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => self.buf.is_empty(),
            Ok(_) => false,
            Err(e) => matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted),
        }
    }
}
