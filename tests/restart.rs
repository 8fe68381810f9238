//! Target restart (issue 3): the built-in target is stopped for 2 s mid-run and restarted on the
//! same port. Errors appear only around the outage, the rate is back on target within a second of
//! the restart, the outage shows in latency p99.9, and conservation holds.
mod support;
use onslaught::serve::{ServeOptions, start};
use std::time::{Duration, Instant};
use support::*;

#[test]
fn outage_errors_stay_in_the_outage_window() {
    let _x = exclusive();
    let first = target(|_| {});
    let addr = first.addr;
    let url = format!("http://{addr}/");
    // Timeout 1 s: requests that cannot get a connection for 1 s fail as connect_refused (errors
    // inside the outage); the others wait and show the outage as latency.
    let cfg =
        config(&["--url", &url, "-R", "500", "-c", "20", "-d", "7s", "--connect-timeout", "200ms", "--timeout", "1s"]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    let runner = std::thread::spawn(move || onslaught::run::execute(&cfg, stop, |_| {}).unwrap());
    // Let the run start (bounded wait on the target's own count), then kill the target for 2 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    while first.stats().requests < 1000 {
        assert!(Instant::now() < deadline, "no traffic");
        std::thread::yield_now();
    }
    first.stop();
    let down_at = Instant::now();
    std::thread::sleep(Duration::from_secs(2)); // the outage itself, not a synchronisation
    let second = start(ServeOptions { listen: addr, cores: 1, ..ServeOptions::default() }).expect("restart");
    let outage = down_at.elapsed();
    let r = runner.join().unwrap();
    second.stop();
    assert!(r.counts.conserved, "{:?}", r.counts);
    assert_eq!(r.counts.intended, 3500);
    let errors: u64 = r.timeline.iter().map(|t| t.errors).sum();
    assert!(errors > 0, "the outage must show as errors (requests that waited past their timeout)");
    // Failed connects, sent requests that timed out, and requests never sent because their
    // timeout passed while they waited for a connection (dropped).
    let refused = r.counts.transport.get("connect_refused").copied().unwrap_or(0);
    assert_eq!(refused + r.counts.timeout + r.counts.dropped, errors);
    // Requests due in the last second of the outage waited for a connection, keeping their
    // intended times: the outage is in the latency tail, up to the 1 s timeout.
    let p999 = ms(r.latency.p("p99.9"));
    assert!(p999 > 500.0, "p99.9 {p999:.1} ms should show the {outage:?} outage");
    assert!(ms(r.latency.max_ns) < 1000.0 + 100.0, "max {}", ms(r.latency.max_ns));
    eprintln!(
        "restart: errors {errors}, latency p99.9 {p999:.1} ms, max {:.1} ms, outage {outage:?}",
        ms(r.latency.max_ns)
    );
    // The outage began about 2 s into the run (1000 requests at 500/s) and lasted `outage`.
    let rows_with_errors: Vec<u64> = r.timeline.iter().filter(|t| t.errors > 0).map(|t| t.interval).collect();
    let first_err = *rows_with_errors.first().unwrap();
    let last_err = *rows_with_errors.last().unwrap();
    assert!(first_err >= 1, "errors before the outage: {rows_with_errors:?}");
    let span = last_err - first_err + 1;
    assert!(span <= outage.as_secs() + 2, "errors spread over {span} intervals: {rows_with_errors:?}");
    // A second after the last error interval, the rate is back on target with no errors.
    for row in r.timeline.iter().filter(|t| t.interval > last_err + 1 && t.interval < 7) {
        assert_eq!(row.errors, 0, "{row:?}");
        assert!(row.ok >= 490, "rate not back: {row:?}");
    }
}
