//! Micro-benchmarks of the per-request pieces of the hot path (`cargo bench --bench pieces
//! [-- FILTER]`): response framing per shape, slot scheduling, recording one request, merging a
//! snapshot, rendering a templated request. A plain harness (no benchmark crate): each piece runs
//! in batches timed with the monotonic clock; the median and the fastest batch are printed in ns
//! per operation. Figures are for comparing builds on one machine, never for assertions.
use onslaught::http::response::{Feed, Limits, ResponseParser};
use onslaught::record::histograms::Histograms;
use onslaught::record::{Instants, Recorder};
use onslaught::schedule::{RateStage, Schedule};
use onslaught::units::Rate;
use std::hint::black_box;
use std::time::Instant;

/// Batches per piece, and the target length of one batch.
const BATCHES: usize = 15;
const BATCH_NS: u128 = 20_000_000;

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    println!("{:<44} {:>12} {:>12}", "piece", "median ns/op", "best ns/op");
    for (name, piece) in pieces() {
        if wanted(name) {
            let (median, best) = measure(piece);
            println!("{name:<44} {median:>12.1} {best:>12.1}");
        }
    }
}

type Piece = Box<dyn FnMut(u64)>;

fn pieces() -> Vec<(&'static str, Piece)> {
    let mut all: Vec<(&'static str, Piece)> = Vec::new();
    for (name, bytes) in response_shapes() {
        all.push((name, framing(bytes)));
    }
    all.push(("schedule: constant 20k/s, slot -> ns", slot(Schedule::Constant(rate(20_000)))));
    all.push(("schedule: 3 stages with a ramp, slot -> ns", slot(stages())));
    all.push(("record: one request, three histograms", record()));
    all.push(("merge: one snapshot's histograms (1k values)", merge()));
    all.push(("render: templated plan request", render()));
    all
}

/// Calibrate a batch to ~20 ms, then time BATCHES of them: (median, best) ns per operation.
fn measure(mut piece: Piece) -> (f64, f64) {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        piece(n);
        if t.elapsed().as_nanos() * 4 >= BATCH_NS || n >= 1 << 30 {
            break;
        }
        n *= 4;
    }
    let mut per_op: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            piece(n);
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    per_op.sort_by(f64::total_cmp);
    (per_op[BATCHES / 2], per_op[0])
}

fn rate(per_s: u64) -> Rate {
    Rate { num: per_s, den: 1 }
}

fn response_shapes() -> Vec<(&'static str, Vec<u8>)> {
    let body = "x".repeat(612);
    let chunks = "80\r\n".to_string() + &"y".repeat(128) + "\r\n";
    vec![
        (
            "framing: nginx-like head, 612 B Content-Length",
            format!(
                "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 09:00:00 GMT\r\n\
                 Content-Type: text/html\r\nContent-Length: 612\r\nConnection: keep-alive\r\n\
                 Accept-Ranges: bytes\r\n\r\n{body}"
            )
            .into_bytes(),
        ),
        ("framing: minimal head, empty body", b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
        (
            "framing: chunked, 4 chunks of 128 B",
            format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n", chunks.repeat(4)).into_bytes(),
        ),
    ]
}

/// Frame one whole response per operation, reusing the parser as the engine does.
fn framing(bytes: Vec<u8>) -> Piece {
    let mut p = ResponseParser::new(Limits::default());
    Box::new(move |n| {
        for _ in 0..n {
            p.start(false);
            match p.feed(black_box(&bytes)) {
                Ok(Feed::Done { consumed, .. }) => assert_eq!(consumed, bytes.len()),
                other => panic!("fixture does not frame: {other:?}"),
            }
        }
    })
}

fn stages() -> Schedule {
    let st =
        |secs: u64, from: u64, to: u64| RateStage { duration_ns: secs * 1_000_000_000, from: rate(from), to: rate(to) };
    Schedule::Stages(vec![st(30, 0, 20_000), st(60, 20_000, 20_000), st(30, 20_000, 0)])
}

fn slot(s: Schedule) -> Piece {
    Box::new(move |n| {
        for i in 0..n {
            black_box(s.intended(black_box(i % 1_000_000)));
        }
    })
}

/// What the engine records for one successful request: intended, sent, response.
fn record() -> Piece {
    let mut r = Recorder::default();
    let mut t = 1_000_000_000u64;
    Box::new(move |n| {
        for i in 0..n {
            t += 50_000;
            let at = Instants { intended: t, sent: t + 20_000 + i % 7_000, completed: t + 120_000 + i % 900_000 };
            r.intended();
            r.sent(&at);
            r.response(&at, 200, true);
        }
        black_box(&r);
    })
}

/// The merge thread's work per core per interval: add a snapshot's histograms to the totals.
fn merge() -> Piece {
    let mut snap = Histograms::new();
    for i in 0..1_000u64 {
        snap.record_latency(50_000 + i * 997);
        snap.record_service(40_000 + i * 613);
        snap.record_send_lag(1_000 + i * 31);
    }
    let mut total = Histograms::new();
    Box::new(move |n| {
        for _ in 0..n {
            total.add(black_box(&snap));
        }
    })
}

const PLAN: &str = r#"
target: { base_url: "http://127.0.0.1:8080" }
load: { stages: [ { duration: 10s, rate: 100 } ] }
endpoints:
  - name: item
    method: POST
    path: "/api/items/{{ random_int(1, 1000) }}?seq={{ seq() }}"
    headers: { Content-Type: application/json, X-Request-Id: "{{ uuid() }}" }
    body: '{"name": "item {{ uuid() }}", "n": {{ random_int(1, 100) }}}'
"#;

fn render() -> Piece {
    let plan = onslaught::plan::load_str(PLAN, std::path::Path::new("bench.yaml"), &[], &[]).expect("bench plan loads");
    let work: &'static onslaught::engine::work::PlanWork =
        Box::leak(Box::new(onslaught::engine::work::PlanWork::new(plan).expect("bench plan prepares")));
    let step = work.step(0);
    let mut rng = onslaught::plan::Rng::new(7);
    let mut vars = work.plan.vars();
    let (mut out, mut body) = (Vec::new(), Vec::new());
    Box::new(move |n| {
        for i in 0..n {
            vars.begin(&[], i, 0, &mut rng);
            onslaught::engine::work::render(&work.host, step, &vars, &mut rng, &mut out, &mut body);
            black_box(&out);
        }
    })
}
