//! The live metrics exporter: a small std::net HTTP/1.1 server on its own thread that answers
//! `GET /metrics` with the exposition the merge thread last published (`live`), and, with
//! `--push-every`, a thread that PUTs it to the Pushgateway on that period. Neither touches the
//! engine: publishing swaps one `Arc<String>` under a lock once per interval; a scrape clones the
//! Arc. Never prints: push failures are counted and the last one kept for the caller to report.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a scraper may take to send its request (a stuck one cannot hold the server up longer).
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest request head read.
const MAX_HEAD: usize = 8 * 1024;

/// Where and how to push repeatedly (`--push-gateway` with `--push-every`).
#[derive(Clone, Debug)]
pub struct PushEvery {
    pub gateway: String,
    pub every: Duration,
    /// The run label the group is named after.
    pub run: String,
}

#[derive(Default)]
struct State {
    /// The exposition a scrape gets.
    body: Arc<String>,
    /// The final values are published (no more pushes; `hold` may end).
    finished: bool,
    /// A scrape has been answered with the final values.
    final_served: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    /// Held while a push is in flight, so `finish` returns only once no live push can follow
    /// the end-of-run one.
    pushing: Mutex<()>,
    pushes_failed: AtomicU64,
    last_push_error: Mutex<Option<String>>,
}

/// A running exporter; dropping it stops its threads.
pub struct Exporter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Exporter {
    /// Listen on `listen` (`127.0.0.1:0` picks a free port: see `addr`) and, with `push`, start
    /// pushing. An address that cannot be bound is an error before any load is sent.
    pub fn start(listen: &str, push: Option<PushEvery>) -> Result<Exporter, String> {
        let addr: SocketAddr = listen
            .parse()
            .map_err(|_| format!("--metrics-listen '{listen}': not an address: give IP:PORT, e.g. 127.0.0.1:9464"))?;
        let listener = TcpListener::bind(addr).map_err(|e| format!("--metrics-listen {listen}: cannot listen: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("--metrics-listen {listen}: {e}"))?;
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let mut threads = vec![spawn("onslaught-metrics", move || serve(&listener, &s))?];
        if let Some(p) = push {
            let s = Arc::clone(&shared);
            threads.push(spawn("onslaught-push", move || push_loop(&p, &s))?);
        }
        Ok(Exporter { addr, shared, threads })
    }

    /// The bound address (the port chosen when 0 was given).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replace the exposition scrapes get.
    pub fn publish(&self, body: String) {
        let mut st = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        st.body = Arc::new(body);
        self.shared.changed.notify_all();
    }

    /// Publish the final values: pushing stops (the caller's end-of-run push sends them).
    pub fn finish(&self, body: String) {
        {
            let mut st = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            st.body = Arc::new(body);
            st.finished = true;
            self.shared.changed.notify_all();
        }
        drop(self.shared.pushing.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// After `finish`: keep serving until a scrape has fetched the final values or `max` has
    /// passed (so a scraper polling every few seconds still sees them), then stop.
    pub fn hold(self, max: Duration) {
        let deadline = Instant::now() + max;
        let mut st = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        while !st.final_served {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = self.shared.changed.wait_timeout(st, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Pushes that failed, and the last failure.
    pub fn push_failures(&self) -> (u64, Option<String>) {
        let last = self.shared.last_push_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (self.shared.pushes_failed.load(Ordering::Relaxed), last)
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500));
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, String> {
    std::thread::Builder::new().name(name.into()).spawn(f).map_err(|e| format!("cannot start {name}: {e}"))
}

/// The accept loop: one connection at a time (a scraper every few seconds needs no more).
fn serve(listener: &TcpListener, shared: &Shared) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(mut c) = conn {
            let _ = answer(&mut c, shared);
        }
    }
}

fn answer(c: &mut TcpStream, shared: &Shared) -> std::io::Result<()> {
    c.set_read_timeout(Some(READ_TIMEOUT))?;
    c.set_write_timeout(Some(READ_TIMEOUT))?;
    let head = read_head(c)?;
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    if path != "/metrics" {
        return respond(c, "404 Not Found", "text/plain", "not found: the metrics are at /metrics\n", method);
    }
    if method != "GET" && method != "HEAD" {
        return respond(c, "405 Method Not Allowed", "text/plain", "use GET\n", method);
    }
    let (body, was_final) = {
        let st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        (Arc::clone(&st.body), st.finished)
    };
    respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", &body, method)?;
    if was_final {
        let mut st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        st.final_served = true;
        shared.changed.notify_all();
    }
    Ok(())
}

fn read_head(c: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_HEAD {
        let n = c.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn respond(c: &mut TcpStream, status: &str, kind: &str, body: &str, method: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes())?;
    if method != "HEAD" {
        c.write_all(body.as_bytes())?;
    }
    c.flush()
}

/// Push the current exposition every `p.every` until the run finishes or the exporter stops.
fn push_loop(p: &PushEvery, shared: &Shared) {
    let mut next = Instant::now() + p.every;
    loop {
        let (body, _pushing) = {
            let mut st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if st.finished || shared.stop.load(Ordering::SeqCst) {
                    return;
                }
                let left = next.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                st = shared.changed.wait_timeout(st, left).unwrap_or_else(|p| p.into_inner()).0;
            }
            // Taken while the state is locked: `finish` (which sets `finished` first) then waits.
            (Arc::clone(&st.body), shared.pushing.lock().unwrap_or_else(|p| p.into_inner()))
        };
        next += p.every;
        if body.is_empty() {
            continue;
        }
        if let Err(e) = super::push::push_text(body.as_bytes(), &p.run, &p.gateway) {
            shared.pushes_failed.fetch_add(1, Ordering::Relaxed);
            *shared.last_push_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut c = TcpStream::connect(addr).unwrap();
        write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn serves_the_latest_body_and_hold_ends_once_the_final_one_is_fetched() {
        let x = Exporter::start("127.0.0.1:0", None).unwrap();
        x.publish("a 1\n".into());
        assert!(get(x.addr(), "/metrics").ends_with("\r\n\r\na 1\n"));
        assert!(get(x.addr(), "/").starts_with("HTTP/1.1 404"));
        x.finish("a 2\n".into());
        let addr = x.addr();
        let scraper = std::thread::spawn(move || get(addr, "/metrics"));
        let t = Instant::now();
        x.hold(Duration::from_secs(30));
        assert!(scraper.join().unwrap().ends_with("a 2\n"));
        assert!(t.elapsed() < Duration::from_secs(30), "hold ended at the final scrape");
    }

    #[test]
    fn a_bad_listen_address_is_a_clear_error() {
        let e = Exporter::start("localhost", None).err().unwrap();
        assert!(e.contains("--metrics-listen 'localhost': not an address"), "{e}");
    }
}
