//! `onslaught breakpoint`: find the highest offered rate the target sustains at its SLO. A ramp of
//! constant-rate steps (each a full engine run through `run::execute`: a settle period excluded as
//! warm-up, then a hold), bisection between the last pass and the first failure, a confirming
//! hold. The search itself is the pure state machine in `search`; `step` judges one run,
//! `analysis` derives knee, collapse and headroom, `write` and `html` format the result. This file
//! owns the options, the driver loop and the result model; it never prints (`on_step` does).
pub mod analysis;
pub mod html;
pub mod search;
pub mod step;
pub mod write;

use crate::config::{Config, ConfigError};
use crate::engine::{EngineError, StopFlag};
use crate::schedule::Schedule;
use crate::units::{Rate, parse_duration, parse_rate};
use analysis::Capacity;
use search::{Growth, Judgement, Outcome, Search, SearchSpec};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use step::{Limits, StepResult};

pub const SCHEMA_VERSION: u32 = 1;

/// Everything the breakpoint command decides beyond a run's own configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Options {
    pub search: SearchSpec,
    pub hold_s: f64,
    pub settle_s: f64,
    /// Hold of the confirming step (default: the hold).
    pub confirm_hold_s: f64,
    pub headroom: f64,
    pub limits: Limits,
    /// Failed steps run again this many times before the search believes them (0: never).
    #[serde(default)]
    pub recheck: u32,
}

/// The whole result: configuration, every step, the capacity section, the exit code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Breakpoint {
    pub schema_version: u32,
    pub tool: String,
    pub method: String,
    pub url: String,
    pub plan: Option<String>,
    pub connections: usize,
    pub cores: usize,
    /// The SLO criteria every step is judged by ("p99 <= 50ms").
    pub slo: Vec<String>,
    pub options: Options,
    /// In the order run.
    pub steps: Vec<StepResult>,
    pub capacity: Capacity,
    pub interrupted: bool,
    /// docs/exit-codes.md: 0 found (or held up to --max), 1 SLO failed without a usable maximum,
    /// 3 generator-limited, 4 interrupted.
    pub exit_code: i32,
}

/// A percentage ("40%", "40") as a ratio in [0, 1).
fn ratio(flag: &str, s: &str) -> Result<f64, ConfigError> {
    let v: Option<f64> = s.trim().trim_end_matches('%').trim().parse().ok();
    v.filter(|v| (0.0..100.0).contains(v))
        .map(|v| v / 100.0)
        .ok_or_else(|| ConfigError(format!("{flag}: '{s}' is not a percentage from 0 to 100 (e.g. 40%)")))
}

/// `1.5x` (a factor) or `+500`, `500/s`, `2k` (req/s added per step).
pub fn parse_growth(s: &str) -> Result<Growth, String> {
    let t = s.trim();
    if let Some(f) = t.strip_suffix('x').or_else(|| t.strip_prefix('x')) {
        return match f.trim().parse::<f64>() {
            Ok(k) if k > 1.0 && k.is_finite() => Ok(Growth::Factor(k)),
            _ => Err(format!("'{s}': a factor must be above 1, e.g. 1.5x")),
        };
    }
    let r = parse_rate(t.trim_start_matches('+'))
        .map_err(|_| format!("'{s}' is neither a factor (1.5x) nor an increment in req/s (+500, 500/s, 2k)"))?;
    Ok(Growth::Add(r.per_sec()))
}

fn duration_s(flag: &str, s: &str) -> Result<f64, ConfigError> {
    parse_duration(s).map(|ns| ns as f64 / 1e9).map_err(|e| ConfigError(format!("{flag}: {e}")))
}

fn rate(flag: &str, s: &str) -> Result<f64, ConfigError> {
    parse_rate(s).map(Rate::per_sec).map_err(|e| ConfigError(format!("{flag}: {e}")))
}

/// Options from the flags; `plan_peak` is the plan's highest rate and its first (start, peak),
/// used for the defaults of --start and --max.
pub fn options(a: &crate::cli::BreakpointArgs, plan: Option<(f64, f64)>) -> Result<Options, ConfigError> {
    let (start, max) = range(a, plan)?;
    let growth = parse_growth(&a.step).map_err(|e| ConfigError(format!("--step: {e}")))?;
    if let Growth::Add(d) = growth
        && (max - start) / d > 50.0
    {
        return Err(ConfigError(format!(
            "--step: +{d} req/s needs more than 50 steps from {start} to {max}: use a larger increment or a factor such as 1.5x"
        )));
    }
    let resolution = ratio("--resolution", &a.resolution)?;
    if resolution <= 0.0 {
        return Err(ConfigError("--resolution: must be above 0% (e.g. 2%)".into()));
    }
    let hold_s = duration_s("--hold", &a.hold)?;
    if hold_s <= 0.0 {
        return Err(ConfigError("--hold: must be longer than 0s (e.g. 30s)".into()));
    }
    let limits = limits(a)?;
    Ok(Options {
        search: SearchSpec { start, max, growth, resolution, confirm_tries: 3 },
        hold_s,
        settle_s: duration_s("--settle", &a.settle)?,
        confirm_hold_s: a.confirm_hold.as_deref().map_or(Ok(hold_s), |h| duration_s("--confirm-hold", h))?,
        headroom: ratio("--headroom", &a.headroom)?,
        limits,
        recheck: a.recheck,
    })
}

/// The rates the search spans, (start, max): `--start`/`--max`, else from the plan's first and
/// peak rates (`--start` defaults to a tenth of max).
fn range(a: &crate::cli::BreakpointArgs, plan: Option<(f64, f64)>) -> Result<(f64, f64), ConfigError> {
    let max = match (&a.max, plan) {
        (Some(m), _) => rate("--max", m)?,
        (None, Some((_, peak))) if peak > 0.0 => peak,
        _ => {
            return Err(ConfigError(
                "--max: missing: give the highest rate the search may offer (e.g. --max 10k); a plan's peak rate is the default".into(),
            ));
        }
    };
    let start = match (&a.start, plan) {
        (Some(s), _) => rate("--start", s)?,
        (None, Some((from, _))) if from > 0.0 && from < max => from,
        _ => search::round(max / 10.0),
    };
    if start > max {
        return Err(ConfigError(format!("--start: {start} req/s is above --max {max} req/s: lower --start")));
    }
    Ok((start, max))
}

/// When a step counts as broken: `--knee`, `--blast-radius`, `--knee-floor`.
fn limits(a: &crate::cli::BreakpointArgs) -> Result<Limits, ConfigError> {
    let knee_factor: f64 =
        a.knee.trim().trim_end_matches('x').parse().ok().filter(|k: &f64| *k > 1.0).ok_or_else(|| {
            ConfigError(format!("--knee: '{}' is not a multiple above 1 of the low-load p95 (e.g. 2x)", a.knee))
        })?;
    Ok(Limits {
        blast_error_rate: ratio("--blast-radius", &a.blast_radius)?,
        knee_factor,
        knee_floor_ns: match &a.knee_floor {
            Some(f) => parse_duration(f).map_err(|e| ConfigError(format!("--knee-floor: {e}")))?,
            None => Limits::default().knee_floor_ns,
        },
        ..Limits::default()
    })
}

/// The plan's (first rate, peak rate) of an open-model schedule, for the defaults.
pub fn plan_rates(cfg: &Config) -> Option<(f64, f64)> {
    let Schedule::Stages(st) = &cfg.engine.schedule else { return None };
    let measured = &st[st.len() - cfg.engine.stages_ns.len().min(st.len())..];
    let first = measured.first().map(|s| s.from.per_sec())?;
    let peak = measured.iter().flat_map(|s| [s.from.per_sec(), s.to.per_sec()]).fold(0.0, f64::max);
    Some((first, peak))
}

/// The base run configuration and the search options from the command line. The run flags the
/// search sets per step (-R, -d, --warmup) and the run-only outputs are refused with the fix.
pub fn configure(b: &crate::cli::BreakpointArgs) -> Result<(Config, Options), ConfigError> {
    let a = &b.run;
    let refused = [
        ("--rate/-R", a.rate.is_some(), "use --start, --max and --step"),
        ("--duration/-d", a.duration.is_some(), "use --hold"),
        ("--warmup", a.warmup.is_some(), "use --settle"),
        ("--out", a.out.is_some(), "use --json for the breakpoint result"),
        ("--prom", a.writers.prom.is_some(), "breakpoint writes --json, --md and --html"),
        ("--junit", a.writers.junit.is_some(), "breakpoint writes --json, --md and --html"),
        ("--hlog", a.writers.hlog.is_some(), "breakpoint writes --json, --md and --html"),
        ("--push-gateway", a.writers.push_gateway.is_some(), "breakpoint writes --json, --md and --html"),
        ("--shard/--shards/--start-at", a.shard.is_set(), "a breakpoint search runs on one host"),
        ("--metrics-listen", a.metrics_listen.is_some(), "live metrics are for run and gate"),
        ("--push-every", a.push_every.is_some(), "live metrics are for run and gate"),
    ];
    if let Some((flag, _, fix)) = refused.iter().find(|r| r.1) {
        return Err(ConfigError(format!("{flag}: not a breakpoint flag (each step is set by the search): {fix}")));
    }
    let plan = match &a.plan {
        Some(_) => plan_rates(&crate::config::from_args(a)?),
        None => None,
    };
    let opts = options(b, plan)?;
    let fixed = crate::cli::RunArgs {
        rate: Some(opts.search.start.to_string()),
        duration: Some(format!("{}s", opts.hold_s)),
        warmup: Some(format!("{}s", opts.settle_s)),
        ..a.clone()
    };
    let cfg = crate::config::from_args(&fixed)?;
    check_slo(&cfg)?;
    let mut opts = opts;
    if b.knee_floor.is_none() {
        opts.limits.knee_floor_ns = default_knee_floor(&cfg.slo);
    }
    Ok((cfg, opts))
}

/// A tenth of the tightest global latency SLO, at least 1 ms: a knee is a climb that matters
/// next to the SLO, not a blip of loopback noise.
pub fn default_knee_floor(slo: &crate::slo::SloSet) -> u64 {
    let tightest = slo
        .rules
        .iter()
        .filter(|r| r.scope == crate::slo::Scope::Total && matches!(r.metric, crate::slo::Metric::Latency(_)))
        .map(|r| r.threshold)
        .fold(f64::INFINITY, f64::min);
    let tenth = if tightest.is_finite() { (tightest * 1e8) as u64 } else { 0 };
    tenth.max(Limits::default().knee_floor_ns)
}

/// Check what a breakpoint search cannot use: no SLO, stage-scoped SLOs.
pub fn check_slo(cfg: &Config) -> Result<(), ConfigError> {
    if cfg.slo.rules.is_empty() {
        return Err(ConfigError(
            "breakpoint: no SLO to search against: give one in the plan's slo:, with --slo-file, or --slo p99=50ms"
                .into(),
        ));
    }
    if let Some(r) = cfg.slo.rules.iter().find(|r| matches!(r.scope, crate::slo::Scope::Stage(_))) {
        return Err(ConfigError(format!(
            "slo: {} ({}) is scoped to a stage, but every breakpoint step is one constant-rate stage: drop the stage scope",
            r.scope.label(),
            r.criterion()
        )));
    }
    Ok(())
}

/// An exact schedule rate for an offered rate (thousandths of a request per second).
fn exact(rate: f64) -> Rate {
    let num = (rate * 1000.0).round().max(1.0) as u64;
    let g = gcd(num, 1000);
    Rate { num: num / g, den: 1000 / g }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The run of one step: the base configuration at a constant rate, `settle` excluded as warm-up,
/// then `hold` measured. No per-stage results (the step is one stage); no files.
pub fn step_config(base: &Config, rate: f64, settle_s: f64, hold_s: f64) -> Config {
    let mut c = base.clone();
    let r = exact(rate);
    let (w, d) = ((settle_s * 1e9).round() as u64, (hold_s * 1e9).round().max(1.0) as u64);
    c.engine.schedule = Schedule::Constant(r);
    // An open-model step: a closed model's plan runs its journeys per slot instead.
    if let crate::engine::Workload::Users(work, _) = &c.engine.workload {
        c.engine.workload = crate::engine::Workload::Plan(work.clone());
    }
    c.engine.warmup_ns = w;
    c.engine.duration_ns = d;
    c.engine.stages_ns.clear();
    c.report.stages.clear();
    c.report.users = None;
    c.report.warmup_s = settle_s;
    c.report.duration_s = d as f64 / 1e9;
    let slots = |t| c.engine.schedule.slots_before(t).unwrap_or(0);
    c.report.target_rate = Some((slots(w + d) - slots(w)) as f64 / (d as f64 / 1e9));
    c.json = None;
    c
}

/// Run the search: one engine run per step until the search ends or `stop` is raised (Ctrl-C:
/// the step in progress ends as a run does, and what was measured is kept). `on_step` sees each
/// judged step as it completes.
pub fn run_search(
    base: &Config,
    opts: &Options,
    stop: StopFlag,
    mut on_step: impl FnMut(&StepResult),
) -> Result<Breakpoint, EngineError> {
    let mut search = Search::new(opts.search);
    let mut steps: Vec<StepResult> = Vec::new();
    while let Some((rate, phase)) = search.next() {
        if stop.load(Ordering::SeqCst) > 0 {
            search.feed(rate, &Judgement::Interrupted);
            break;
        }
        let hold = if phase == search::Phase::Confirm { opts.confirm_hold_s } else { opts.hold_s };
        let cfg = step_config(base, rate, opts.settle_s, hold);
        for attempt in 0..=opts.recheck {
            let report = crate::run::execute(&cfg, stop.clone(), |_| {})?;
            // A circuit breaker (abort_on_fail, abort_if) ends this step only, not the search.
            if report.aborted.is_some() && crate::signal::first_stop_ns().is_none() {
                stop.store(0, Ordering::SeqCst);
            }
            let mut s = StepResult::of(steps.len(), phase, rate, &report, &cfg.slo);
            s.judgement = step::judge(&s, steps.iter().find(|s| !s.rechecked), &opts.limits);
            // --recheck: a failure is run again before the search believes it (noisy hosts).
            s.rechecked = matches!(s.judgement, Judgement::Fail { .. }) && attempt < opts.recheck;
            on_step(&s);
            let done = !s.rechecked;
            if done {
                search.feed(rate, &s.judgement);
            }
            steps.push(s);
            if done {
                break;
            }
        }
    }
    let outcome = search.outcome().cloned().unwrap_or(Outcome::Interrupted { last_pass: None });
    Ok(build(base, opts, steps, outcome))
}

/// The result model from the steps and the outcome.
pub fn build(base: &Config, opts: &Options, steps: Vec<StepResult>, outcome: Outcome) -> Breakpoint {
    let capacity = analysis::capacity(&steps, &outcome, &opts.limits, opts.headroom);
    let exit_code = match outcome {
        Outcome::Found { .. } | Outcome::NotReached { .. } => 0,
        Outcome::GeneratorLimited { .. } => 3,
        Outcome::Interrupted { .. } => 4,
        Outcome::Blast { .. } | Outcome::BelowStart { .. } | Outcome::Unconfirmed { .. } => 1,
    };
    let c = &base.report;
    Breakpoint {
        schema_version: SCHEMA_VERSION,
        tool: concat!("onslaught ", env!("CARGO_PKG_VERSION")).to_string(),
        method: c.method.clone(),
        url: c.url.clone(),
        plan: c.plan.clone(),
        connections: c.connections,
        cores: c.cores,
        slo: base.slo.rules.iter().map(|r| format!("{} {}", r.scope.label(), r.criterion())).collect(),
        options: opts.clone(),
        steps,
        interrupted: matches!(outcome, Outcome::Interrupted { .. }),
        capacity,
        exit_code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_flags() {
        assert_eq!(parse_growth("1.5x"), Ok(Growth::Factor(1.5)));
        assert_eq!(parse_growth("x2"), Ok(Growth::Factor(2.0)));
        assert_eq!(parse_growth("+500"), Ok(Growth::Add(500.0)));
        assert_eq!(parse_growth("2k"), Ok(Growth::Add(2000.0)));
        assert!(parse_growth("1x").is_err());
        assert!(parse_growth("fast").is_err());
    }

    #[test]
    fn exact_rates() {
        assert_eq!(exact(4219.0), Rate { num: 4219, den: 1 });
        assert_eq!(exact(12.5), Rate { num: 25, den: 2 });
    }
}
