//! onslaught: a thread-per-core HTTP/1.1 load generator whose latencies are corrected for
//! coordinated omission.
//!
//! ```text
//! CLI flags ──parse──► Args ──validate──► Config (typed, checked, immutable)
//!   Config splits into: ScheduleSpec · EngineSpec · report options (each stage gets only its part)
//!
//! schedule (pure: slot i → intended ns) ──► engine: one shard per pinned core (glommio)
//!   shard loop: claim slot → wait for it → write request bytes → read → http::response framing
//!     └► record: Recorder (owned by the shard, never shared): histograms + counters
//!          every interval: swap, send ONE Snapshot per core over a bounded crossbeam channel
//! merge (plain thread): fold snapshots → Timeline (per interval) + Totals
//! report: Report::build(...) → writers(&Report, &mut impl Write): terminal · json · markdown · html ·
//!   junit · prometheus (+ Pushgateway) · hlog; the result file (--out) keeps every histogram
//! breakpoint: a search (pure state machine) over runs at constant rates → capacity report
//! ```
//!
//! The modules import one way only, in this order (docs/architecture.md; checked by
//! tests/architecture.rs): units, url, clock, signal, redact → slo::spec, slo::parse → cli → plan →
//! schedule → http → record → engine → merge → watch, slo::breaker → report → slo::evaluate →
//! config → run, gate, suggest, distributed, serve → breakpoint.
pub mod breakpoint;
pub mod cli;
pub mod clock;
pub mod config;
pub mod distributed;
pub mod engine;
pub mod gate;
pub mod http;
pub mod merge;
pub mod plan;
pub mod record;
pub mod redact;
pub mod report;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod serve_args;
pub mod signal;
pub mod slo;
pub mod suggest;
pub mod units;
pub mod url;
pub mod watch;
