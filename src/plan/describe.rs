//! `onslaught check`: the expanded plan as text — stages with expected iterations, the weighted
//! mix with expected requests, steps, data and (redacted) secrets. Sends nothing; writes only to
//! the writer it is given.
use super::model::{JourneyKind, Plan, Think};
use super::stages::Model;
pub use crate::units::duration_text as human;
use std::fmt::Write as _;
use std::io::{self, Write};

fn count(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// Writes the expanded plan. Every secret value is redacted from the text before it is written.
pub fn describe(plan: &Plan, out: &mut impl Write) -> io::Result<()> {
    let mut s = String::new();
    let _ = write_plan(plan, &mut s);
    out.write_all(plan.redact(&s).as_bytes())
}

fn write_plan(plan: &Plan, s: &mut String) -> std::fmt::Result {
    let t = &plan.target;
    writeln!(s, "plan      {}", plan.file.display())?;
    let cores = t.cores.as_deref().unwrap_or("all");
    let conns = match plan.load.model {
        _ if !plan.scenarios.is_empty() => "connections per scenario".to_string(),
        Model::Open => format!("{} connections", t.connections),
        Model::Closed => "one connection per user".to_string(),
    };
    writeln!(
        s,
        "target    {}  ({conns}, cores {cores}, timeout {}, connect timeout {})",
        crate::redact::url(&t.base_url),
        human(t.timeout_ns),
        human(t.connect_timeout_ns)
    )?;
    for h in &t.headers {
        writeln!(s, "header    {}: {}", h.name, h.value)?;
    }
    writeln!(s, "seed      {}", plan.seed)?;
    profiles(plan, s)?;
    for v in views(plan) {
        if let Some(sc) = v.scenario {
            let conns = match (sc.load.model, sc.connections) {
                (Model::Closed, _) => "one connection per user".to_string(),
                (Model::Open, c) => format!("{} connections", c.unwrap_or(t.connections)),
            };
            writeln!(s, "\nscenario  {}  (starts at +{}, {conns})", sc.name, human(sc.start_ns))?;
        }
        model(v.load, s)?;
        stages(&v, s)?;
        mix(&v, s)?;
        steps(&v, s)?;
    }
    if !plan.data.is_empty() {
        writeln!(s, "\ndata")?;
        for d in &plan.data {
            let cols = d.columns.join(", ");
            let (file, mode, n) = (d.file.display(), d.mode.name(), d.len());
            writeln!(s, "  {:<12} {file}  {mode}, {n} rows, columns: {cols}", d.name)?;
        }
    }
    if !plan.secrets.is_empty() {
        writeln!(s, "\nsecrets")?;
        for (name, secret) in &plan.secrets {
            writeln!(s, "  {name:<12} {} = {}", secret.source(), super::secrets::REDACTED)?;
        }
    }
    slo(&plan.slo, s)?;
    writeln!(s, "\nnothing was sent (check only validates and expands the plan)")
}

/// A part of the plan with one load: the whole plan, or one of its scenarios.
struct View<'p> {
    scenario: Option<&'p super::model::Scenario>,
    load: &'p super::stages::Load,
    journeys: &'p [super::model::Journey],
    shares: &'p [f64],
}

fn views(plan: &Plan) -> Vec<View<'_>> {
    if plan.scenarios.is_empty() {
        return vec![View { scenario: None, load: &plan.load, journeys: &plan.journeys, shares: plan.mix.shares() }];
    }
    let view = |sc| View {
        scenario: Some(sc),
        load: &sc.load,
        journeys: &plan.journeys[sc.journeys.clone()],
        shares: sc.mix.shares(),
    };
    plan.scenarios.iter().map(view).collect()
}

fn model(load: &super::stages::Load, s: &mut String) -> std::fmt::Result {
    match load.model {
        Model::Open => {
            writeln!(s, "model     open: arrivals per second, each starts one iteration (latency CO-corrected)")?
        }
        Model::Closed => writeln!(s, "model     closed: virtual users, each looping its journey with think time")?,
    }
    if let Some(shape) = &load.shape {
        writeln!(s, "shape     {shape}")?;
    }
    Ok(())
}

/// The profile laid over the plan, and the others it defines.
fn profiles(plan: &Plan, s: &mut String) -> std::fmt::Result {
    if let Some(p) = &plan.profile {
        writeln!(s, "profile   {p} (its load and slo laid over the plan's)")?;
    }
    if plan.profiles.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = plan
        .profiles
        .iter()
        .map(|p| match &p.description {
            Some(d) => format!("{} ({d})", p.name),
            None => p.name.clone(),
        })
        .collect();
    writeln!(s, "profiles  {}  (choose with --profile NAME)", list.join(", "))
}

/// The plan's own SLOs (before --slo-file, ONSLAUGHT_SLO_* and --slo).
fn slo(set: &crate::slo::spec::SloSet, s: &mut String) -> std::fmt::Result {
    if set.is_empty() {
        return Ok(());
    }
    writeln!(s, "\nslo (the plan's; --slo-file, ONSLAUGHT_SLO_* and --slo override)")?;
    for r in &set.rules {
        writeln!(s, "  {:<24} {}", r.scope.label(), r.criterion())?;
    }
    if let Some(w) = set.abort_on_fail_ns {
        writeln!(s, "  abort_on_fail            the SLOs breached for {}", human(w))?;
    }
    if let Some(a) = &set.abort_if {
        writeln!(s, "  abort_if                 {}", a.text)?;
    }
    Ok(())
}

/// Requests per iteration, averaged over the mix: Σ share × steps.
fn steps_per_iteration(v: &View<'_>) -> f64 {
    v.journeys.iter().zip(v.shares).map(|(j, w)| w * j.steps.len() as f64).sum()
}

fn stages(v: &View<'_>, s: &mut String) -> std::fmt::Result {
    let load = v.load;
    let open = load.model == Model::Open;
    let per = steps_per_iteration(v);
    let (unit, it, rq) = if open { ("rate (req/s)", "iterations", "requests") } else { ("users", "", "") };
    let row = |s: &mut String, c: [&str; 7]| {
        let line = format!("  {:>6}  {:>9}  {:>9}  {:<20} {:>12} {:>12}  {}", c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        writeln!(s, "{}", line.trim_end())
    };
    writeln!(s, "\nstages")?;
    row(s, ["#", "start", "duration", unit, it, rq, "name"])?;
    let counts = |n: f64| if open { (count(n), count(n * per)) } else { (String::new(), String::new()) };
    let mut start = v.scenario.map_or(0, |sc| sc.start_ns);
    if load.warmup_ns > 0 {
        let v = load.stages.first().map(|st| st.from).unwrap_or(super::stages::ZERO);
        let (i, r) = counts(load.warmup_ns as f64 / 1e9 * v.per_sec());
        row(s, ["warmup", "0s", &human(load.warmup_ns), &v.to_string(), &i, &r, ""])?;
        start = load.warmup_ns;
    }
    for (n, st) in load.stages.iter().enumerate() {
        let v = if st.is_ramp() { format!("{} -> {}", st.from, st.to) } else { format!("{}", st.from) };
        let (i, r) = counts(st.integral());
        let name = load.names.get(n).map_or("", String::as_str);
        row(s, [&(n + 1).to_string(), &human(start), &human(st.duration_ns), &v, &i, &r, name])?;
        start += st.duration_ns;
    }
    let (i, r) = counts(load.expected_iterations().unwrap_or(0.0));
    row(s, ["total", "", &human(start), &format!("{} measured", human(load.duration_ns())), &i, &r, ""])?;
    if !open {
        let users = |r: crate::units::Rate| r.num / r.den.max(1);
        let peak = load.stages.iter().map(|st| users(st.from).max(users(st.to))).max().unwrap_or(0);
        writeln!(
            s,
            "  peak {peak} users: user v runs while the count is above v (ramps start or retire one at a time)"
        )?;
    }
    Ok(())
}

fn mix(v: &View<'_>, s: &mut String) -> std::fmt::Result {
    let total = v.load.expected_iterations();
    writeln!(s, "\nmix (normalised weights; expected counts over the measured stages)")?;
    writeln!(
        s,
        "  {:<20} {:<8} {:>8} {:>8} {:>5} {:>12} {:>12}",
        "name", "kind", "weight", "share", "steps", "iterations", "requests"
    )?;
    for (j, &share) in v.journeys.iter().zip(v.shares) {
        let kind = if j.kind == JourneyKind::Endpoint { "endpoint" } else { "journey" };
        let (it, req) = match total {
            Some(t) => (count(t * share), count(t * share * j.steps.len() as f64)),
            None => ("-".into(), "-".into()),
        };
        let pct = format!("{:.2}%", share * 100.0);
        writeln!(s, "  {:<20} {kind:<8} {:>8} {pct:>8} {:>5} {it:>12} {req:>12}", j.name, j.weight, j.steps.len())?;
    }
    if total.is_none() {
        writeln!(s, "  (closed model: counts depend on response and think times)")?;
    }
    Ok(())
}

fn steps(v: &View<'_>, s: &mut String) -> std::fmt::Result {
    writeln!(s, "\nrequests (expected count over the measured stages)")?;
    let total = v.load.expected_iterations();
    for (j, &share) in v.journeys.iter().zip(v.shares) {
        for st in &j.steps {
            let n = total.map(|t| format!("  ({})", count(t * share))).unwrap_or_default();
            let path = crate::redact::plan_target(&st.path.to_string());
            writeln!(s, "  {:<20} {} {path}{n}", st.label, st.method)?;
            step(st, s)?;
        }
    }
    Ok(())
}

fn step(st: &super::model::Step, s: &mut String) -> std::fmt::Result {
    let pad = "";
    for h in &st.headers {
        writeln!(s, "  {pad:<20}   {}: {}", h.name, h.value)?;
    }
    if let Some(b) = &st.body {
        writeln!(s, "  {pad:<20}   body: {b}")?;
    }
    let checks: Vec<String> = st.check.list().iter().map(|c| c.to_string()).collect();
    writeln!(s, "  {pad:<20}   check: {}", checks.join("; "))?;
    for e in &st.extract {
        writeln!(s, "  {pad:<20}   extract: {} <- {}", e.name, e.from)?;
    }
    match st.think {
        Think::None => Ok(()),
        Think::Fixed(ns) => writeln!(s, "  {pad:<20}   think: {}", human(ns)),
        Think::Uniform { min_ns, max_ns } => writeln!(s, "  {pad:<20}   think: {}..{}", human(min_ns), human(max_ns)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        let s = 1_000_000_000;
        assert_eq!(human(0), "0s");
        assert_eq!(human(250_000_000), "250ms");
        assert_eq!(human(10 * s), "10s");
        assert_eq!(human(90 * s), "1m30s");
        assert_eq!(human(4 * 3600 * s), "4h");
        assert_eq!(human(1_500_000_000), "1.5s");
        assert_eq!(count(1234567.4), "1_234_567");
        assert_eq!(count(999.0), "999");
    }
}
