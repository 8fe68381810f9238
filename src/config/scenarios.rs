//! A plan's `scenarios:` into the engine's scenarios (engine::Scenario) and what reports show of
//! them: each scenario's schedule (its start offset a leading stage of nothing, after the run's
//! warm-up), its connections (open: its own or `target.connections`; closed: its peak users), its
//! stages named `SCENARIO/STAGE` in the run's stage list.
use super::ConfigError;
use crate::cli::RunArgs;
use crate::engine::{Scenario, Workload, work::PlanWork};
use crate::plan::Model;
use crate::report::{ScenarioPlan, StagePlan};
use crate::schedule::{RateStage, Schedule, ShardOf, UserStages};
use crate::units::Rate;

const ZERO: Rate = Rate { num: 0, den: 1 };
use std::sync::Arc;

/// The engine's and the reports' view of every scenario of the plan.
pub(crate) struct Built {
    pub scenarios: Vec<Scenario>,
    pub stages: Vec<StagePlan>,
    pub plans: Vec<ScenarioPlan>,
    /// The measured window: the end of the scenario that ends last.
    pub duration_ns: u64,
    pub connections: usize,
    /// The most virtual users at once over the closed scenarios (None: none is closed).
    pub users: Option<u64>,
}

/// `-R` turns any plan into one constant open-model stage: a plan with scenarios too, then run
/// as one unnamed scenario over every request, weighted as written (`Plan::mix`).
pub(crate) fn collapse(a: &RunArgs, mut plan: crate::plan::Plan) -> crate::plan::Plan {
    if a.rate.is_some() {
        plan.scenarios.clear();
    }
    plan
}

/// Flags that mean one load for the whole run do not fit a plan of several (without `-R`).
fn refuse_flags(a: &RunArgs) -> Result<(), ConfigError> {
    let hint = "a plan with scenarios has a load per scenario: use --profile, or --set scenarios[I].load..., \
                or -R to run every request as one open-model stage";
    let given = [("--duration/-d", a.duration.is_some()), ("--connections/-c", a.connections.is_some())];
    match given.iter().find(|(_, g)| *g) {
        Some((f, _)) => Err(ConfigError(format!("{f}: {hint}"))),
        None => Ok(()),
    }
}

pub(crate) fn build(a: &RunArgs, work: &Arc<PlanWork>, warmup_ns: u64) -> Result<Built, ConfigError> {
    refuse_flags(a)?;
    let mut b = Built {
        scenarios: Vec::new(),
        stages: Vec::new(),
        plans: Vec::new(),
        duration_ns: 0,
        connections: 0,
        users: None,
    };
    for s in &work.plan.scenarios {
        let (run, own) = engine_scenario(s, work, warmup_ns);
        if s.load.model == Model::Closed {
            b.users = Some(b.users.unwrap_or(0) + run.connections as u64);
        }
        b.duration_ns = b.duration_ns.max(s.start_ns + s.load.duration_ns());
        b.connections += run.connections;
        b.stages.extend(stage_plans(s, &own));
        b.plans.push(plan_of(s, work, &own, &run, warmup_ns));
        b.scenarios.push(run);
    }
    Ok(b)
}

/// Scenario `s` for the engine (its schedule: the warm-up, its start offset as a stage of
/// nothing, then its stages), and its own measured stages.
fn engine_scenario(s: &crate::plan::Scenario, work: &Arc<PlanWork>, warmup_ns: u64) -> (Scenario, Vec<RateStage>) {
    let plan = &work.plan;
    let lead = RateStage { duration_ns: s.start_ns, from: ZERO, to: ZERO };
    let own: Vec<RateStage> =
        s.load.stages.iter().map(|x| RateStage { duration_ns: x.duration_ns, from: x.from, to: x.to }).collect();
    let stages: Vec<RateStage> =
        std::iter::once(lead).filter(|l| l.duration_ns > 0).chain(own.iter().copied()).collect();
    let stages = super::with_warmup(stages, warmup_ns);
    let (workload, schedule, connections) = match s.load.model {
        Model::Closed => {
            let users = UserStages(stages);
            let peak = users.peak().max(1) as usize;
            (Workload::Users(work.clone(), users), Schedule::Saturate, peak)
        }
        Model::Open => {
            let c = s.connections.unwrap_or(plan.target.connections).max(1);
            (Workload::Plan(work.clone()), Schedule::Stages(stages), c)
        }
    };
    let stages_ns = own.iter().map(|x| x.duration_ns).collect();
    (Scenario { workload, schedule, connections, start_ns: s.start_ns, stages_ns }, own)
}

/// A scenario's stages as reports show them: `SCENARIO/STAGE`, in seconds of the measured window.
fn stage_plans(s: &crate::plan::Scenario, own: &[RateStage]) -> Vec<StagePlan> {
    let named: Vec<String> = s.load.names.iter().map(|n| format!("{}/{n}", s.name)).collect();
    let mut plans = super::stage_plans(own, &named, s.load.model.unit());
    for p in &mut plans {
        p.start_s += s.start_ns as f64 / 1e9;
        p.end_s += s.start_ns as f64 / 1e9;
    }
    plans
}

/// What reports show of a scenario: its model, window, load and requests.
fn plan_of(s: &crate::plan::Scenario, work: &PlanWork, own: &[RateStage], run: &Scenario, w: u64) -> ScenarioPlan {
    let unit = s.load.model.unit();
    let target = match own {
        [one] if one.from == one.to => format!("{} {unit}", one.from),
        _ => {
            let peak = own.iter().flat_map(|x| [x.from, x.to]).max_by(|x, y| x.per_sec().total_cmp(&y.per_sec()));
            let peak = peak.unwrap_or(ZERO);
            format!("{} stages, peak {peak} {unit}", own.len())
        }
    };
    let journeys = &work.plan.journeys[s.journeys.clone()];
    ScenarioPlan {
        name: s.name.clone(),
        model: if s.load.model == Model::Open { "open" } else { "closed" }.into(),
        start_s: s.start_ns as f64 / 1e9,
        end_s: (s.start_ns + s.load.duration_ns()) as f64 / 1e9,
        target,
        connections: run.connections,
        target_rps: target_rps(&run.schedule, w + s.start_ns, s.load.duration_ns()),
        endpoints: journeys.iter().flat_map(|j| j.steps.iter().map(|st| st.label.clone())).collect(),
    }
}

/// Open model: the arrivals the schedule intends over `[from, from + d)` (offsets from t0) per
/// second of it, as the run's own target rate is (config::Parts::report). None when closed.
fn target_rps(schedule: &Schedule, from: u64, d: u64) -> Option<f64> {
    share_rps(schedule, from, d, ShardOf::default())
}

/// `target_rps` of shard `shard`'s part of the schedule (its lanes' slots).
fn share_rps(schedule: &Schedule, from: u64, d: u64, shard: ShardOf) -> Option<f64> {
    let slots = |t: u64| schedule.slots_before(t).map(|n| shard.share(n));
    slots(from + d).zip(slots(from)).map(|(end, start)| (end - start) as f64 / (d.max(1) as f64 / 1e9))
}

/// A distributed run's shard (config::shard): each open scenario's target rate is its part of
/// the scenario's schedule, as the run's is.
pub(crate) fn share_targets(cfg: &mut super::Config, shard: ShardOf) {
    let w = cfg.engine.warmup_ns;
    for (p, run) in cfg.report.scenarios.iter_mut().zip(&cfg.engine.scenarios) {
        let (from, d) = ((p.start_s * 1e9).round() as u64, ((p.end_s - p.start_s) * 1e9).round() as u64);
        p.target_rps = share_rps(&run.schedule, w + from, d, shard);
    }
}

/// An SLO scope that names a scenario must name one of the plan's (and, with an endpoint, one of
/// that scenario's requests).
pub(crate) fn check_slo(set: &crate::slo::SloSet, plan: &crate::plan::Plan) -> Result<(), ConfigError> {
    use crate::slo::Scope;
    let names: Vec<&str> = plan.scenarios.iter().map(|s| s.name.as_str()).collect();
    for r in &set.rules {
        let (sc, endpoint) = match &r.scope {
            Scope::Scenario(sc) => (sc, None),
            Scope::ScenarioEndpoint(sc, e) => (sc, Some(e)),
            _ => continue,
        };
        let Some(s) = plan.scenarios.iter().find(|s| &s.name == sc) else {
            let known = if names.is_empty() {
                "the plan has no scenarios".into()
            } else {
                format!("its scenarios are {}", names.join(", "))
            };
            return Err(ConfigError(format!(
                "slo: scenario `{sc}` ({}) is not a scenario of this plan: {known}",
                r.criterion()
            )));
        };
        let labels: Vec<&str> =
            plan.journeys[s.journeys.clone()].iter().flat_map(|j| j.steps.iter().map(|st| st.label.as_str())).collect();
        if let Some(e) = endpoint.filter(|e| !labels.contains(&e.as_str())) {
            return Err(ConfigError(format!(
                "slo: `{e}` ({}) is not a request of scenario `{sc}`: its requests are {}",
                r.criterion(),
                labels.join(", ")
            )));
        }
    }
    Ok(())
}
