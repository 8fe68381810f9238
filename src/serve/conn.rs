//! One keep-alive connection of the built-in target: read, frame requests (pipelined or split
//! across reads), wait until each answer is due, write answers in order. Owns the connection's
//! buffers; the timing rules live in `pacing`, the bytes in `request` and `response`.
use std::io;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;

use super::request::{self, Head, Route};
use super::response::{self, FILL};
use super::{Core, api};

/// Initial read buffer; it grows (to `request::MAX_HEAD_BYTES`) only for larger heads.
const READ_BUF: usize = 8 * 1024;
/// Answers are gathered up to about this size before a write; `/bytes` bodies beyond it are
/// written straight from `FILL`.
const WRITE_CHUNK: usize = 16 * 1024;

/// Serve one accepted connection until the peer closes, asks to close, or an I/O error.
pub(crate) async fn serve(stream: TcpStream, core: Rc<Core>) {
    // Answers are whole by the time they are written: Nagle would only delay them.
    let _ = stream.set_nodelay(true);
    let mut conn = Connection {
        stream,
        buf: vec![0; READ_BUF],
        start: 0,
        end: 0,
        out: Vec::with_capacity(WRITE_CHUNK),
        arrival: 0,
        body: Vec::new(),
    };
    // An I/O error ends this connection only; there is nobody to report it to. Stop closes
    // `closing`, which ends the race and drops the connection wherever it was waiting.
    let work = async {
        let _ = conn.run(&core).await;
    };
    let stop = async {
        let _ = core.closing.acquire(1).await;
    };
    futures_lite::future::or(work, stop).await;
}

struct Connection {
    stream: TcpStream,
    /// Read buffer; the unread bytes are `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Answers not yet written.
    out: Vec<u8>,
    /// When the last read returned (ns since the server's base); only kept while pacing is on.
    arrival: u64,
    /// The request body of an API route that reads one (reused; at most `MAX_API_BODY`).
    body: Vec<u8>,
}

impl Connection {
    async fn run(&mut self, core: &Core) -> io::Result<()> {
        loop {
            match request::parse_head(&self.buf[self.start..self.end]) {
                Ok(Some(head)) => {
                    self.start += head.len;
                    if !head.route.reads_body() {
                        self.discard_body(head.body, core).await?;
                    } else if head.body > request::MAX_API_BODY {
                        core.count(head.route);
                        response::render_error(&mut self.out, 413);
                        return self.flush().await;
                    } else {
                        self.read_body(head.body as usize, core).await?;
                    }
                    self.answer(&head, core).await?;
                    if !head.keep_alive {
                        return self.flush().await;
                    }
                }
                Ok(None) => {
                    // Everything buffered is answered: send it before waiting for more.
                    self.flush().await?;
                    if !self.read_more(core).await? {
                        return Ok(());
                    }
                }
                Err(e) => {
                    core.count(Route::NotFound);
                    response::render_error(&mut self.out, e.status());
                    return self.flush().await;
                }
            }
        }
    }

    /// Read once into the free end of the buffer, making room first. `false`: the peer closed.
    async fn read_more(&mut self, core: &Core) -> io::Result<bool> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, self.end - self.start);
            } else {
                // parse_head refuses heads of MAX_HEAD_BYTES, so this stops growing there.
                let len = (self.buf.len() * 2).min(request::MAX_HEAD_BYTES);
                self.buf.resize(len, 0);
            }
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if core.pacing.is_active() {
            self.arrival = core.now_ns();
        }
        self.end += n;
        Ok(n > 0)
    }

    /// Skip a Content-Length request body, reading as much of it as has not arrived.
    async fn discard_body(&mut self, mut left: u64, core: &Core) -> io::Result<()> {
        loop {
            let take = left.min((self.end - self.start) as u64);
            self.start += take as usize;
            left -= take;
            if left == 0 {
                return Ok(());
            }
            if !self.read_more(core).await? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Read a body of `len` bytes (at most `MAX_API_BODY`, which fits the buffer) into `body`.
    async fn read_body(&mut self, len: usize, core: &Core) -> io::Result<()> {
        while self.end - self.start < len {
            if !self.read_more(core).await? {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        self.body.clear();
        self.body.extend_from_slice(&self.buf[self.start..self.start + len]);
        self.start += len;
        Ok(())
    }

    /// Wait until the answer is due, then queue it (and write a large body).
    async fn answer(&mut self, head: &Head, core: &Core) -> io::Result<()> {
        let conn = response::Conn::new(head.keep_alive, head.http10);
        if head.route == Route::Stats {
            // Introspection: neither counted nor paced.
            response::render_stats(&mut self.out, conn, head.head_method, core.stats(), &core.paths());
            return Ok(());
        }
        if core.pacing.is_active() {
            let due = core.due(self.arrival);
            let now = core.now_ns();
            if due > now {
                self.flush().await?;
                glommio::timer::sleep(Duration::from_nanos(due - now)).await;
            }
        }
        if let Route::Delay(ms) = head.route {
            self.flush().await?;
            glommio::timer::sleep(Duration::from_millis(ms)).await;
        }
        // Counted before the bytes leave, so a client that has its answer sees it counted.
        core.count(head.route);
        let route = if core.failing() { Route::Status(500) } else { head.route };
        if route.is_api() {
            let tally = api::render(&mut self.out, route, conn, head.bearer, &self.body, &core.api_ctx());
            core.tally(tally);
            return self.flush_if_full().await;
        }
        let rendered = response::render(&mut self.out, route, conn, head.head_method, Default::default());
        self.write_fill(rendered.fill).await?;
        self.flush_if_full().await
    }

    async fn flush_if_full(&mut self) -> io::Result<()> {
        if self.out.len() >= WRITE_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Append `n` body bytes: into `out` up to `WRITE_CHUNK`, the rest written from `FILL`.
    async fn write_fill(&mut self, n: u64) -> io::Result<()> {
        let room = WRITE_CHUNK.saturating_sub(self.out.len()) as u64;
        let first = n.min(room) as usize;
        self.out.extend_from_slice(&FILL[..first]);
        let mut left = n - first as u64;
        if left == 0 {
            return Ok(());
        }
        self.flush().await?;
        while left > 0 {
            let chunk = left.min(FILL.len() as u64) as usize;
            self.stream.write_all(&FILL[..chunk]).await?;
            left -= chunk as u64;
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }
}
