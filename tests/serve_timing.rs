//! The built-in target's timing knobs over real sockets: /delay, the capacity queue and the
//! periodic stall. Only lower bounds are tight; upper bounds leave room for a paused VM.
mod serve_support;

use std::time::{Duration, Instant};

use onslaught::serve::{ServeOptions, Stall};
use serve_support::{Client, one_core, start};

const MS: Duration = Duration::from_millis(1);

#[test]
fn delay_50_takes_at_least_50ms() {
    let server = start(one_core());
    let mut c = Client::connect(server.addr);
    let t0 = Instant::now();
    let r = c.get("/delay/50");
    let took = t0.elapsed();
    assert_eq!((r.status, r.text()), (200, "hello from onslaught\n"));
    assert!(took >= 50 * MS, "{took:?}");
    assert!(took < 5_000 * MS, "{took:?}");
}

#[test]
fn capacity_queues_requests_fifo() {
    // 100/s on one core: one departure every 10 ms, so 50 simultaneous requests drain in 0.5 s.
    let server = start(ServeOptions { capacity: Some(100.0), ..one_core() });
    let mut clients: Vec<Client> = (0..50).map(|_| Client::connect(server.addr)).collect();
    let t0 = Instant::now();
    for c in &mut clients {
        c.send_get("/");
    }
    let mut done = Vec::new();
    for c in &mut clients {
        assert_eq!(c.read_response(false).status, 200);
        done.push(t0.elapsed());
    }
    let last = *done.iter().max().unwrap();
    // The first request arrived after t0, so the last departure is at least 50 periods later.
    assert!(last >= 490 * MS, "last answer after {last:?}");
    assert!(last < 10_000 * MS, "last answer after {last:?}");
    // The queue drained: a later request waits about one period, not the whole queue.
    let t1 = Instant::now();
    assert_eq!(clients[0].get("/").status, 200);
    assert!(t1.elapsed() < 400 * MS, "after the burst: {:?}", t1.elapsed());
    assert_eq!(server.stats().requests, 51);
}

#[test]
fn stall_freezes_from_the_first_request_then_releases() {
    // Frozen during [E, E + 300 ms), [E + 1 s, E + 1.3 s), ... with E the first arrival.
    let stall = Stall { length: 300 * MS, every: 1_000 * MS, phase: Duration::ZERO };
    let server = start(ServeOptions { stall: Some(stall), ..one_core() });
    let mut first = Client::connect(server.addr);
    let mut second = Client::connect(server.addr);
    let t0 = Instant::now();
    first.send_get("/");
    let t1 = Instant::now();
    second.send_get("/bytes/1");
    assert_eq!(first.read_response(false).status, 200);
    assert_eq!(second.read_response(false).body, b"x");
    let second_took = t1.elapsed();
    let released = t0.elapsed();
    assert!(second_took >= 250 * MS, "second answered after {second_took:?}");
    assert!(released < 1_000 * MS, "released after {released:?}");
    // Now past the freeze (E + 300 ms..E + 1 s): answered promptly.
    let t2 = Instant::now();
    assert_eq!(first.get("/").status, 200);
    let third_took = t2.elapsed();
    assert!(third_took < 200 * MS, "third answered after {third_took:?}");
    // /__stats is never frozen, counted or paced.
    let stats: serde_json::Value = serde_json::from_slice(&first.get("/__stats").body).unwrap();
    assert_eq!(stats["requests"], 3);
}
