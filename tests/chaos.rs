//! Conservation under chaos (issue 3): against a server injecting 10% random faults (reset,
//! mid-body close, 503, delays), over 20 runs, every intended request ends in exactly one outcome,
//! per core and merged, and the client's counts match what the server did.
#[path = "support/chaos.rs"]
mod chaos;
mod support;
#[path = "support/wire.rs"]
mod wire;
use std::sync::atomic::Ordering;
use support::*;

#[test]
fn conservation_holds_under_ten_percent_faults_over_twenty_runs() {
    let _x = exclusive();
    for run_no in 0..20u64 {
        let srv = chaos::Chaos::start(10, 0xC0FFEE + run_no);
        let url = format!("http://{}/", srv.addr);
        let r = run(&["--url", &url, "-R", "400", "-c", "16", "-d", "500ms", "--cores", "2", "--timeout", "2s"]);
        let k = &r.counts;
        assert_eq!(k.intended, 200, "run {run_no}");
        assert!(k.conserved, "run {run_no}: {k:?}");
        assert!(r.per_core.iter().all(|c| c.conserved), "run {run_no}: {:?}", r.per_core);
        assert_eq!(k.incomplete, 0, "run {run_no}: {k:?}");
        let s = &srv.stats;
        // Every 503 the server sent is an http_error; every 200 it sent is an ok.
        assert_eq!(k.http_error, s.status_503.load(Ordering::SeqCst), "run {run_no}: {k:?}");
        assert_eq!(k.ok, s.ok.load(Ordering::SeqCst), "run {run_no}: {k:?}");
        // Resets and mid-body closes are transport errors, never silently retried into oks
        // (a reset before any response byte on a reused connection may be retried once, so the
        // server may see more requests than the client intended, never fewer).
        let faults = s.resets.load(Ordering::SeqCst) + s.mid_body_closes.load(Ordering::SeqCst);
        assert!(k.transport_error <= faults, "run {run_no}: {k:?} vs {faults} faults");
        assert_eq!(k.ok + k.http_error + k.transport_error + k.timeout + k.dropped, 200, "run {run_no}: {k:?}");
        eprintln!(
            "run {run_no}: ok {} http_error {} transport_error {} timeout {} (server: {} resets and mid-body closes)",
            k.ok, k.http_error, k.transport_error, k.timeout, faults
        );
        srv.stop();
    }
}
