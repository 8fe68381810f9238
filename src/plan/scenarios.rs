//! `scenarios:` — several named traffic models in one plan, each with its own load, requests,
//! start offset and connections. Checks what is particular to them (names, what may stand beside
//! them, SLO scopes that name them); their requests and loads are validated as the top level's
//! are, at their own key paths. A plan without `scenarios:` is one unnamed scenario.
use super::cx::Cx;
use super::model::Scenario;
use super::raw::{RawEndpoint, RawJourney, RawPlan, RawScenario};
use super::weights::Weights;
use super::{path, stages};
use std::ops::Range;

/// The requests of one part of the plan: the top level (`prefix` ""), or a scenario's
/// (`prefix` "scenarios[i].").
pub(crate) struct Requests<'r> {
    pub prefix: String,
    pub endpoints: &'r [RawEndpoint],
    pub journeys: &'r [RawJourney],
    /// `journeys:` was written (even empty): errors about nothing to send point there.
    pub has_journeys: bool,
}

/// The groups of requests the plan has: its scenarios' (after checking what stands beside
/// them), else the top level's.
pub(crate) fn groups<'r>(cx: &mut Cx<'_>, raw: &'r RawPlan) -> Vec<Requests<'r>> {
    let Some(list) = &raw.scenarios else {
        return vec![requests(String::new(), raw.endpoints.as_deref(), raw.journeys.as_deref())];
    };
    beside(cx, raw);
    if list.is_empty() {
        let hint = "e.g. `scenarios: [{ name: api, load: { stages: [...] }, endpoints: [...] }]`";
        cx.err("scenarios", "no scenarios", "at least one scenario", hint);
    }
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            requests(format!("{}.", path::index("scenarios", i)), s.endpoints.as_deref(), s.journeys.as_deref())
        })
        .collect()
}

fn requests<'r>(prefix: String, e: Option<&'r [RawEndpoint]>, j: Option<&'r [RawJourney]>) -> Requests<'r> {
    Requests { prefix, endpoints: e.unwrap_or(&[]), journeys: j.unwrap_or(&[]), has_journeys: j.is_some() }
}

/// `load`, `endpoints` and `journeys` belong to each scenario once there are scenarios.
fn beside(cx: &mut Cx<'_>, raw: &RawPlan) {
    let given =
        [("load", raw.load.is_some()), ("endpoints", raw.endpoints.is_some()), ("journeys", raw.journeys.is_some())];
    for (key, _) in given.iter().filter(|(_, g)| *g) {
        let hint =
            format!("move `{key}` into each scenario (`scenarios[i].{key}`), or drop `scenarios` for a one-model plan");
        cx.err_key(key, format!("`{key}` beside `scenarios`"), "`scenarios` alone", &hint);
    }
}

/// Every scenario, validated; `ranges` and `mixes` are each group's journeys and weights.
/// Some(empty) for a plan without scenarios; None after reporting a problem.
pub(crate) fn scenarios(
    cx: &mut Cx<'_>,
    raw: &RawPlan,
    ranges: &[Range<usize>],
    mixes: &[Option<Weights>],
) -> Option<Vec<Scenario>> {
    let Some(list) = &raw.scenarios else { return Some(Vec::new()) };
    let mut names: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let name = name(cx, i, s, &names);
        names.push(name.clone().unwrap_or_default());
        let sc = scenario(cx, i, s, ranges.get(i)?.clone(), mixes.get(i)?.clone());
        if let (Some(name), Some(mut sc)) = (name, sc) {
            sc.name = name;
            out.push(sc);
        }
    }
    (out.len() == list.len()).then_some(out)
}

/// Scenario `i` (all but its name).
fn scenario(
    cx: &mut Cx<'_>,
    i: usize,
    s: &RawScenario,
    journeys: Range<usize>,
    mix: Option<Weights>,
) -> Option<Scenario> {
    let p = path::index("scenarios", i);
    let load = stages::load_at(cx, s.load.as_ref(), &format!("{p}.load"));
    if load.as_ref().is_some_and(|l| l.warmup_ns > 0) {
        let hint = "a warm-up is the whole run's (`--warmup`); delay a scenario with `start:`";
        cx.err_key(&format!("{p}.load.warmup"), "a scenario has no warm-up of its own", "no `warmup` here", hint);
    }
    let start_ns = cx.duration(&format!("{p}.start"), s.start.as_deref(), Some(0));
    let connections = match s.connections {
        Some(0) => {
            cx.err(
                &format!("{p}.connections"),
                "0 connections",
                "a positive number",
                "leave it out for `target.connections`",
            );
            None
        }
        c => Some(c.map(|c| c as usize)),
    };
    Some(Scenario {
        name: String::new(),
        load: load?,
        start_ns: start_ns?,
        connections: connections?,
        journeys,
        mix: mix?,
    })
}

/// Scenario `i`'s name, checked: given, unique, usable in an SLO scope.
fn name(cx: &mut Cx<'_>, i: usize, s: &RawScenario, before: &[String]) -> Option<String> {
    let p = format!("{}.name", path::index("scenarios", i));
    let Some(n) = s.name.as_deref().map(str::trim) else {
        cx.missing(&p, "a name (it labels the scenario's results and SLO scopes)", "e.g. `name: learners`");
        return None;
    };
    let problem = if n.is_empty() {
        Some(("a scenario name is empty".to_string(), "e.g. `name: learners`".to_string()))
    } else if n.contains(':') {
        Some((
            format!("the scenario name `{n}` contains `:`"),
            "SLO scopes read `scenario:NAME:METRIC`; use `-`".into(),
        ))
    } else {
        before.iter().position(|b| b == n).map(|k| {
            (
                format!("the scenario name `{n}` is already used by scenarios[{k}]"),
                "scenario names must be unique".into(),
            )
        })
    };
    match problem {
        Some((msg, hint)) => {
            cx.err(&p, msg, "a unique name", &hint);
            None
        }
        None => Some(n.to_string()),
    }
}

/// `slo.scenarios` may only name scenarios the plan has.
pub(crate) fn check_slo_scopes(cx: &mut Cx<'_>, raw: &RawPlan) {
    let Some(given) = raw.slo.as_ref().and_then(|s| s.scenarios.as_ref()) else { return };
    let names: Vec<&str> = raw.scenarios.iter().flatten().filter_map(|s| s.name.as_deref()).collect();
    for (n, _) in &given.0 {
        if names.contains(&n.as_str()) {
            continue;
        }
        let p = path::key("slo.scenarios", n);
        let expected = if names.is_empty() {
            "no scenario scope: the plan has no `scenarios`".to_string()
        } else {
            format!("one of {}", super::error::one_of(names.iter().copied()))
        };
        let hint = super::error::did_you_mean(n, names.iter().copied()).unwrap_or_default();
        cx.err_key(&p, format!("`{n}` is not a scenario of this plan"), &expected, &hint);
    }
}
