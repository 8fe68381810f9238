//! Waiting on the process clock (crate::clock) inside an executor: the sleep for an intended
//! instant.
use std::time::Duration;

pub use crate::clock::now_ns;

static NO_STAMPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A socket refused receive timestamps (SO_TIMESTAMPING): responses are then timed when read,
/// so no executor may defer reading them (Shard::batch_sleeps).
pub fn stamps_refused() {
    NO_STAMPS.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub fn stamps_work() -> bool {
    !NO_STAMPS.load(std::sync::atomic::Ordering::Relaxed)
}

/// The instant on this clock of a kernel receive timestamp `stamp` (CLOCK_REALTIME ns, from
/// SO_TIMESTAMPING), for a response sent at `sent`: now, less how long ago the stamp was on the
/// real-time clock (both clocks read together, so a step or slew of the real-time clock between
/// runs does not matter), kept within [`sent`, now]. Without a stamp: now.
pub fn arrived(stamp: Option<u64>, sent: u64) -> u64 {
    let now = now_ns();
    let Some(stamp) = stamp else { return now };
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime into a local timespec (the vDSO: no system call).
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    let real = (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64);
    now.saturating_sub(real.saturating_sub(stamp)).clamp(sent.min(now), now)
}

/// Wait until `t` (ns on this clock) on a glommio timer. Timers are cheap here: they live in the
/// executor's timer map, and the executor sleeps only to its timer lead before the earliest one,
/// then polls I/O until it is due (glommio patch 0010, set per shard from
/// timer_probe::Cadence): the sleep, then the spin, of MEASUREMENT.md §2.
pub async fn wait_until(t: u64) {
    let now = now_ns();
    if t > now {
        glommio::timer::sleep(Duration::from_nanos(t - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::{arrived, now_ns};
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;

    /// A server on 127.0.0.1:0 that accepts one connection and answers `reply` to every request
    /// up to and including one that starts with `LAST`.
    fn answer(reply: &'static [u8]) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut b = [0u8; 256];
            loop {
                let n = s.read(&mut b).unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(reply).unwrap();
                if b.starts_with(b"LAST") {
                    break;
                }
            }
        });
        (addr, server)
    }

    /// A response read long after it arrived keeps its arrival instant: the kernel stamps each
    /// segment (SO_TIMESTAMPING), so an executor that waits for several responses before reading
    /// them (Shard::batch_sleeps) moves no latency.
    #[test]
    fn a_response_read_late_keeps_the_kernels_arrival_instant() {
        let (addr, server) = answer(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        let ex = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound).make().unwrap();
        let (sent, seen, read_at, completed, n) = ex.run(async move {
            let mut s = glommio::net::TcpStream::connect(addr).await.unwrap();
            s.enable_rx_timestamps().unwrap();
            // The first socket to ask for stamps turns them on for the whole host through a
            // deferred kernel work item (net_enable_timestamp): until it has run, segments come
            // unstamped (a run of the whole suite once read this test's response without one).
            // Exchange until one is stamped.
            let mut buf = [0u8; 256];
            let mut stamped = false;
            for _ in 0..1000 {
                s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
                s.read(&mut buf).await.unwrap();
                if s.rx_timestamp().is_some() {
                    stamped = true;
                    break;
                }
            }
            assert!(stamped, "no receive stamp in 1000 responses");
            let sent = now_ns();
            s.write_all(b"LAST / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
            // Synchronise on the response itself: peek until it is in the socket.
            let mut one = [0u8; 1];
            // SAFETY: a 1-byte non-blocking peek into a local buffer, on a socket we own.
            while unsafe { libc::recv(s.as_raw_fd(), one.as_mut_ptr().cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) }
                < 1
            {
                std::hint::spin_loop();
            }
            let seen = now_ns();
            // Then read it 20 ms later on purpose (a pause of the VM only makes it later).
            while now_ns() < seen + 20_000_000 {
                std::hint::spin_loop();
            }
            let n = s.read(&mut buf).await.unwrap();
            let read_at = now_ns();
            (sent, seen, read_at, arrived(s.rx_timestamp(), sent), n)
        });
        server.join().unwrap();
        assert_eq!(n, 40, "the whole response in one read");
        assert!(completed >= sent, "arrival {completed} before the send {sent}");
        // The stamp is on the real-time clock, mapped at the read: if that clock moved against
        // the monotonic one in the 20 ms between (slewed or stepped by the host; 5-9 µs seen on
        // this project's VM in a few runs of 30), the mapped arrival moves by as much.
        assert!(
            completed <= seen + 50_000,
            "arrival {} ns after the response was seen in the socket",
            completed.saturating_sub(seen)
        );
        assert!(read_at - completed >= 20_000_000, "arrival only {} ns before the read", read_at - completed);
    }

    /// The bug: a sleep waiting for a batch of completions (glommio patch 13) lasted twice its
    /// timeout whenever some, but fewer than asked for, arrived meanwhile: liburing's wait entered
    /// the kernel again with the whole timeout. At 2 000 req/s that made send lag p50 180-270 µs.
    /// Here a response arrives during a 100 ms timer sleep that waits for 64 completions: the
    /// sleep must end with the timer (the bug: 200 ms; the bound leaves room for an 80 ms pause).
    #[test]
    fn a_batched_sleep_ends_with_its_timer_not_twice_its_timeout() {
        let (addr, server) = answer(b"pong");
        let ex = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound).make().unwrap();
        let (slept, n) = ex.run(async move {
            let mut s = glommio::net::TcpStream::connect(addr).await.unwrap();
            glommio::timer::set_sleep_batch(64, std::time::Duration::from_secs(1));
            s.write_all(b"LAST ping").await.unwrap();
            let reader = glommio::spawn_local(async move {
                let mut buf = [0u8; 16];
                s.read(&mut buf).await.unwrap()
            });
            let begin = now_ns();
            glommio::timer::sleep(std::time::Duration::from_millis(100)).await;
            let slept = now_ns() - begin;
            (slept, reader.await)
        });
        server.join().unwrap();
        assert_eq!(n, 4);
        assert!(slept >= 100_000_000, "woke early: {slept} ns");
        assert!(slept < 180_000_000, "a 100 ms sleep took {} ms", slept / 1_000_000);
    }

    #[test]
    fn without_a_stamp_the_arrival_is_now() {
        let before = now_ns();
        let t = arrived(None, before);
        assert!(t >= before && t <= now_ns());
        // A stamp from the future (a real-time clock stepped back) is clamped to now, one from
        // before the send to the send.
        let t = arrived(Some(u64::MAX), before);
        assert!(t >= before);
        assert_eq!(arrived(Some(1), before), before);
    }
}
