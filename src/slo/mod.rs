//! Service-level objectives: the rules (`SloSet`), their evaluation against a finished `Report`
//! (`evaluate`, pure) and against the live timeline (`breaker`, which only says when to stop).
//! Parsing of thresholds, `--slo` flags and `ONSLAUGHT_SLO_*` variables is in `parse`; the plan's
//! `slo:` key and `--slo-file` are read by crate::plan (positioned errors). Never prints.
//!
//! A criterion passes when the actual value is on the good side of the threshold *or equal to
//! it*: `p99 <= 200ms`, `error_rate <= 1%`, `throughput >= 100/s`, `checks >= 99%`. A criterion
//! with no samples to judge has no actual value and fails ("no data"): an SLO never passes for
//! want of evidence.
pub mod breaker;
pub mod evaluate;
pub mod parse;
pub mod spec;

pub use spec::*;

#[cfg(test)]
mod tests;
