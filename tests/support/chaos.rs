//! A misbehaving HTTP/1.1 server for tests (std threads, loopback, port 0): per request it answers
//! normally, or injects a fault chosen by a seeded xorshift: reset (SO_LINGER 0), close mid-body,
//! 503, or a delay. It counts what it did, so tests can check the client's view against it.
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct ChaosStats {
    pub ok: AtomicU64,
    pub status_503: AtomicU64,
    pub resets: AtomicU64,
    pub mid_body_closes: AtomicU64,
    pub delayed: AtomicU64,
}

pub struct Chaos {
    pub addr: SocketAddr,
    pub stats: Arc<ChaosStats>,
    stop: Arc<AtomicBool>,
}

impl Chaos {
    /// `fault_pct`: percentage of requests that get a fault (split evenly over the four kinds).
    pub fn start(fault_pct: u64, seed: u64) -> Chaos {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let stats = Arc::new(ChaosStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (stats.clone(), stop.clone());
        std::thread::spawn(move || {
            for (i, conn) in l.incoming().enumerate() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                let rng = seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                std::thread::spawn(move || serve(conn, &st, fault_pct, rng));
            }
        });
        Chaos { addr, stats, stop }
    }

    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn next(r: &mut u64) -> u64 {
    *r ^= *r << 13;
    *r ^= *r >> 7;
    *r ^= *r << 17;
    *r
}

fn serve(mut c: TcpStream, st: &ChaosStats, fault_pct: u64, mut rng: u64) {
    let _ = c.set_nodelay(true);
    let mut buf = Vec::new();
    while super::wire::read_head(&mut c, &mut buf) {
        let roll = next(&mut rng) % 100;
        if roll >= fault_pct {
            st.ok.fetch_add(1, Ordering::SeqCst);
            if c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").is_err() {
                return;
            }
            continue;
        }
        match roll % 4 {
            0 => {
                st.resets.fetch_add(1, Ordering::SeqCst);
                super::wire::linger_zero(&c);
                return; // dropping with linger 0 sends RST
            }
            1 => {
                st.mid_body_closes.fetch_add(1, Ordering::SeqCst);
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
                let _ = c.shutdown(std::net::Shutdown::Both);
                return;
            }
            2 => {
                st.status_503.fetch_add(1, Ordering::SeqCst);
                if c.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n").is_err() {
                    return;
                }
            }
            _ => {
                st.delayed.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(next(&mut rng) % 20));
                st.ok.fetch_add(1, Ordering::SeqCst);
                if c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").is_err() {
                    return;
                }
            }
        }
    }
}
