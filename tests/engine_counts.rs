//! Exact counts and rates against the built-in target: intended = R·D exactly, every response
//! seen by the server, conservation per core and merged, fractional and low rates.
mod support;
use support::*;

#[test]
fn constant_rate_counts_match_the_server_exactly() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let r = run(&["--url", &url, "-R", "2000", "-c", "20", "-d", "3s", "--cores", "2"]);
    let k = &r.counts;
    assert_eq!(k.intended, 6000);
    assert_eq!(k.ok, 6000);
    assert_eq!(k.sent, 6000);
    assert_eq!(k.http_error + k.transport_error + k.timeout + k.dropped + k.incomplete, 0);
    assert!(k.conserved);
    assert!(r.per_core.iter().all(|c| c.conserved));
    assert_eq!(r.per_core.iter().map(|c| c.intended).sum::<u64>(), 6000);
    // One schedule interleaved over 2 cores: each core owns exactly half the slots.
    assert!(r.per_core.iter().all(|c| c.intended == 3000), "{:?}", r.per_core);
    assert_eq!(srv.stats().requests, 6000);
    // Achieved rate is sent / measured window: exact by construction.
    assert!((r.rates.achieved_rps - 2000.0).abs() / 2000.0 < 0.005, "{}", r.rates.achieved_rps);
    srv.stop();
}

#[test]
fn fractional_rate_sends_exactly_the_schedule() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    // 0.5/s over 6 s: slots at 0, 2 and 4 s.
    let r = run(&["--url", &url, "-R", "0.5", "-c", "2", "-d", "6s"]);
    assert_eq!(r.counts.intended, 3);
    assert_eq!(r.counts.ok, 3);
    assert_eq!(srv.stats().requests, 3);
    srv.stop();
}

#[test]
fn low_rate_below_core_count_is_not_multiplied() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    // 2/s in total on 2 cores for 3 s: 6 requests, 3 per core (wrk2 would send 2/s per thread or none).
    let r = run(&["--url", &url, "-R", "2", "-c", "4", "-d", "3s", "--cores", "2"]);
    assert_eq!(r.counts.intended, 6);
    assert_eq!(r.counts.ok, 6);
    assert_eq!(srv.stats().requests, 6);
    assert_eq!(r.per_core.len(), 2);
    assert!(r.per_core.iter().all(|c| c.intended == 3));
    // Each per-second interval carries 2 sends.
    let sends: Vec<u64> = r.timeline.iter().map(|t| t.sent).collect();
    assert_eq!(sends.iter().sum::<u64>(), 6);
    assert!(sends.iter().take(3).all(|s| *s == 2), "{sends:?}");
    srv.stop();
}

#[test]
fn closed_loop_counts_are_conserved() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let r = run(&["--url", &url, "-c", "8", "-d", "1s"]);
    assert!(r.counts.ok > 100, "{}", r.counts.ok);
    assert!(r.counts.conserved);
    assert_eq!(r.counts.ok + r.counts.incomplete, r.counts.intended, "{:?}", r.counts);
    assert_eq!(srv.stats().requests, r.counts.ok);
    assert_eq!(r.config.target_rate, None);
    srv.stop();
}

#[test]
fn warmup_is_excluded_from_results() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let r = run(&["--url", &url, "-R", "100", "-c", "4", "-d", "2s", "--warmup", "1s"]);
    assert_eq!(r.counts.intended, 200);
    assert_eq!(srv.stats().requests, 300);
    srv.stop();
}

#[test]
fn refused_port_is_counted_not_crashed() {
    let _x = exclusive();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/");
    let r = run(&["--url", &url, "-R", "200", "-c", "10", "-d", "2s", "--timeout", "500ms"]);
    assert_eq!(r.counts.intended, 400);
    assert_eq!(r.counts.transport.get("connect_refused"), Some(&400));
    assert_eq!(r.counts.ok, 0);
    assert!(r.counts.conserved);
    assert_eq!(r.verdict.exit_code, 1);
}

#[test]
fn timeout_is_counted_once_per_request_and_connection_replaced() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/delay/3000", srv.addr);
    let started = std::time::Instant::now();
    let r = run(&["--url", &url, "-R", "10", "-c", "20", "-d", "1s", "--timeout", "300ms"]);
    assert_eq!(r.counts.intended, 10);
    assert_eq!(r.counts.timeout, 10, "{:?}", r.counts);
    assert_eq!(r.counts.ok, 0);
    assert!(r.counts.conserved);
    // Every request expired after 300 ms (+ the 10 ms sweep): the run did not wait for the 3 s answers.
    assert!(started.elapsed() < std::time::Duration::from_millis(2900), "{:?}", started.elapsed());
    srv.stop();
}

#[test]
fn no_keepalive_opens_one_connection_per_request() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let r = run(&["--url", &url, "-R", "500", "-c", "10", "-d", "1s", "--no-keepalive"]);
    assert_eq!(r.counts.ok, 500);
    // Every request but the first of each pre-connected connection needed a new one.
    assert!(r.counts.connects >= 490 && r.counts.connects <= 500, "{}", r.counts.connects);
    assert_eq!(r.connect_time.count, r.counts.connects);
    assert_eq!(srv.stats().requests, 500);
    srv.stop();
}

/// `--send-window 20ms` at 500/s: each slot (every 2 ms) goes at the end of its 20 ms window,
/// never before it, so the counts stay exact and the send lags are 0, 2, …, 18 ms in every
/// window (mean 9 ms) plus whatever the host adds; latency runs from each slot's own intended
/// time, so it contains the window too.
#[test]
fn a_send_window_sends_every_slot_at_its_windows_end_and_counts_stay_exact() {
    let _x = exclusive();
    let srv = target(|_| {});
    let url = format!("http://{}/", srv.addr);
    let r = run(&["--url", &url, "-R", "500", "-c", "20", "-d", "2s", "--cores", "1", "--send-window", "20ms"]);
    assert_eq!(r.counts.intended, 1000);
    assert_eq!(r.counts.ok, 1000);
    assert_eq!(srv.stats().requests, 1000);
    assert!(r.counts.conserved);
    let (lag, lat) = (r.send_lag.mean_ns / 1e6, r.latency.mean_ns / 1e6);
    // Never early: the mean cannot be below the window's own 9 ms (less the histogram's 0.1%).
    assert!(lag >= 8.99, "send lag mean {lag} ms");
    // A VM pause of 50 ms delays at most ~25 of the 1000 slots by up to 50 ms: +1.25 ms.
    assert!(lag <= 15.0, "send lag mean {lag} ms");
    assert!(r.send_lag.p("p50") >= 8_000_000, "send lag p50 {} ms", ms(r.send_lag.p("p50")));
    assert!(lat >= lag, "latency mean {lat} ms below send lag mean {lag} ms");
    srv.stop();
}
