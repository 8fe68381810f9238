//! Load over time: stages (a duration with a constant value or a linear ramp) for the arrival rate
//! (open model) or the number of virtual users (closed model), and the named shapes that expand
//! into stages from a few parameters. Formulas are in docs/plan-format.md and on `expand` below.
use super::cx::Cx;
use super::raw::{RawLoad, RawModel, RawShape, RawShapeKind, RawStage};
use crate::units::{Rate, parse_rate};
use std::fmt;

/// Open: arrivals at a rate, each starting one iteration (latency CO-corrected). Closed: a number
/// of virtual users, each looping iterations with think time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    Open,
    Closed,
}

impl Model {
    /// What stage values count.
    pub fn unit(self) -> &'static str {
        match self {
            Model::Open => "req/s",
            Model::Closed => "users",
        }
    }
}

/// One stage: the value goes linearly from `from` to `to` over `duration_ns` (constant when equal).
/// Values are arrivals per second (open) or users (closed, whole numbers: `den` = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage {
    pub duration_ns: u64,
    pub from: Rate,
    pub to: Rate,
}

pub const ZERO: Rate = Rate { num: 0, den: 1 };

impl Stage {
    pub fn constant(duration_ns: u64, v: Rate) -> Stage {
        Stage { duration_ns, from: v, to: v }
    }

    pub fn is_ramp(&self) -> bool {
        self.from != self.to
    }

    /// The value at `t_ns` into the stage: from + (to − from) · t / d.
    pub fn value_at(&self, t_ns: u64) -> f64 {
        let (a, b) = (self.from.per_sec(), self.to.per_sec());
        a + (b - a) * (t_ns.min(self.duration_ns) as f64 / self.duration_ns.max(1) as f64)
    }

    /// The integral of the value over the stage: d · (from + to) / 2. In the open model, the
    /// number of arrivals (iterations) the stage schedules.
    pub fn integral(&self) -> f64 {
        self.duration_ns as f64 / 1e9 * (self.from.per_sec() + self.to.per_sec()) / 2.0
    }
}

/// The named shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeKind {
    Smoke,
    Load,
    Stress,
    Spike,
    Soak,
    Breakpoint,
}

impl ShapeKind {
    pub fn name(self) -> &'static str {
        match self {
            ShapeKind::Smoke => "smoke",
            ShapeKind::Load => "load",
            ShapeKind::Stress => "stress",
            ShapeKind::Spike => "spike",
            ShapeKind::Soak => "soak",
            ShapeKind::Breakpoint => "breakpoint",
        }
    }

    /// Its parameters and their defaults (None: required).
    fn params(self) -> &'static [(&'static str, Option<&'static str>)] {
        match self {
            ShapeKind::Smoke => &[("level", Some("1")), ("duration", Some("1m"))],
            ShapeKind::Load => {
                &[("level", None), ("ramp_up", Some("2m")), ("hold", Some("10m")), ("ramp_down", Some("1m"))]
            }
            ShapeKind::Stress => &[
                ("peak", None),
                ("factor", Some("3")),
                ("steps", Some("4")),
                ("ramp", Some("30s")),
                ("hold", Some("2m")),
                ("ramp_down", Some("1m")),
            ],
            ShapeKind::Spike => &[
                ("base", None),
                ("peak", Some("10 × base")),
                ("before", Some("1m")),
                ("ramp", Some("10s")),
                ("hold", Some("1m")),
                ("after", Some("2m")),
            ],
            ShapeKind::Soak => {
                &[("level", None), ("ramp_up", Some("5m")), ("hold", Some("4h")), ("ramp_down", Some("5m"))]
            }
            ShapeKind::Breakpoint => &[("start", Some("0")), ("max", None), ("duration", Some("10m"))],
        }
    }
}

/// A shape as the plan gave it, every parameter resolved (defaults filled in), for `check`.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub kind: ShapeKind,
    pub params: Vec<(&'static str, String)>,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p: Vec<String> = self.params.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        write!(f, "{} {{ {} }}", self.kind.name(), p.join(", "))
    }
}

/// The whole load profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    pub model: Model,
    /// Run before the first stage at its starting value; excluded from results.
    pub warmup_ns: u64,
    pub stages: Vec<Stage>,
    /// The shape the stages were expanded from, if any.
    pub shape: Option<Shape>,
    /// Each stage's name, as reports and `stage:NAME` SLO scopes use it: the plan's `name:`, a
    /// shape's phase name ("ramp-up", "hold", ...), else "stage N" (1-based).
    pub names: Vec<String>,
}

impl Load {
    /// Total of the stages (the measured window), warm-up excluded.
    pub fn duration_ns(&self) -> u64 {
        self.stages.iter().map(|s| s.duration_ns).sum()
    }

    /// Open model: arrivals scheduled over the stages (warm-up excluded). Closed: None.
    pub fn expected_iterations(&self) -> Option<f64> {
        (self.model == Model::Open).then(|| self.stages.iter().map(Stage::integral).sum())
    }
}

/// `0`, `500`, `1.5k` (open) or a whole number of users (closed).
pub(crate) fn parse_value(s: &str, model: Model) -> Result<Rate, String> {
    let t = s.trim();
    let zero = !t.is_empty() && t.trim_end_matches("/s").chars().all(|c| c == '0' || c == '.');
    let r = if zero { Ok(ZERO) } else { parse_rate(t) };
    match (r, model) {
        (Ok(r), Model::Open) => Ok(r),
        (Ok(r), Model::Closed) if r.den == 1 => Ok(r),
        (_, Model::Open) => Err(format!("`{t}` is not a rate")),
        (_, Model::Closed) => Err(format!("`{t}` is not a whole number of users")),
    }
}

fn scale(r: Rate, factor: f64, model: Model) -> Rate {
    let v = r.per_sec() * factor;
    match model {
        Model::Closed => Rate::from_int(v.round().max(if v > 0.0 { 1.0 } else { 0.0 }) as u64),
        Model::Open => {
            let milli = (v * 1000.0).round() as u64;
            let g = gcd(milli, 1000);
            if milli == 0 { ZERO } else { Rate { num: milli / g, den: 1000 / g } }
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Validates `load:` into a Load.
pub(crate) fn load(cx: &mut Cx<'_>, raw: Option<&RawLoad>) -> Option<Load> {
    load_at(cx, raw, "load")
}

/// Validates the load at key path `base` (`load`, or `scenarios[i].load`) into a Load.
pub(crate) fn load_at(cx: &mut Cx<'_>, raw: Option<&RawLoad>, base: &str) -> Option<Load> {
    let Some(raw) = raw else {
        cx.missing(base, "`stages` or a `shape`", "add `load: { stages: [{ duration: 30s, rate: 100 }] }`");
        return None;
    };
    let warmup_ns = cx.duration(&format!("{base}.warmup"), raw.warmup.as_deref(), Some(0));
    let explicit = raw.model.map(|m| match m {
        RawModel::Open => Model::Open,
        RawModel::Closed => Model::Closed,
    });
    let (stages, model, shape, names) = match (&raw.stages, &raw.shape) {
        (Some(_), Some(_)) => {
            let hint = "stages list each phase; a shape expands into stages: keep one";
            cx.err(&format!("{base}.shape"), "both `stages` and `shape` are given", "one of them", hint);
            return None;
        }
        (None, None) => {
            let hint = "e.g. `stages: [{ duration: 30s, rate: 100 }]` or `shape: { type: load, level: 100 }`";
            cx.missing(&format!("{base}.stages"), "`stages` or a `shape`", hint);
            return None;
        }
        (Some(st), None) => {
            let names = super::stage_names::written(cx, st, base);
            let (stages, model) = stage_list(cx, st, explicit, base)?;
            (stages, model, None, names?)
        }
        (None, Some(sh)) => {
            let model = explicit.unwrap_or(Model::Open);
            let (stages, shape, names) = expand(cx, sh, model, base)?;
            (stages, model, Some(shape), names)
        }
    };
    Some(Load { model, warmup_ns: warmup_ns?, stages, shape, names })
}

fn stage_list(cx: &mut Cx<'_>, raw: &[RawStage], explicit: Option<Model>, base: &str) -> Option<(Vec<Stage>, Model)> {
    if raw.is_empty() {
        cx.err(&format!("{base}.stages"), "no stages", "at least one stage", "e.g. `- { duration: 30s, rate: 100 }`");
        return None;
    }
    // The model follows from the key the stages use (`rate` or `users`), unless `model` says it.
    let first = raw.iter().find_map(|s| match (&s.rate, &s.users) {
        (Some(_), None) => Some(Model::Open),
        (None, Some(_)) => Some(Model::Closed),
        _ => None,
    });
    let model = explicit.or(first).unwrap_or(Model::Open);
    let mut out = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let p = format!("{base}.stages[{i}]");
        let d = cx.duration(&format!("{p}.duration"), s.duration.as_deref(), None);
        if d == Some(0) {
            cx.err(&format!("{p}.duration"), "a stage must last longer than 0s", "a positive duration", "");
        }
        let (key, text) = match (&s.rate, &s.users, model) {
            (Some(r), None, Model::Open) => ("rate", r),
            (None, Some(u), Model::Closed) => ("users", u),
            (None, None, _) => {
                let k = if model == Model::Open { "rate" } else { "users" };
                cx.missing(&format!("{p}.{k}"), &format!("`{k}`"), "");
                continue;
            }
            (Some(_), Some(_), _) => {
                cx.err(&format!("{p}.users"), "a stage has `rate` or `users`, not both", "one of them", "");
                continue;
            }
            (r, _, m) => {
                let (k, other) = if r.is_some() { ("rate", "users") } else { ("users", "rate") };
                let why = if explicit.is_some() { "`load.model` says" } else { "the first stage says" };
                let hint =
                    format!("{why} {}: use `{other}` in every stage", if m == Model::Open { "open" } else { "closed" });
                cx.err(
                    &format!("{p}.{k}"),
                    format!("`{k}` does not fit the {} model", model_name(m)),
                    &format!("`{other}`"),
                    &hint,
                );
                continue;
            }
        };
        let path = format!("{p}.{key}");
        if let (Some(v), Some(d)) = (ramp(cx, &path, text, model), d) {
            out.push(Stage { duration_ns: d, from: v.0, to: v.1 });
        }
    }
    (out.len() == raw.len()).then_some((out, model))
}

fn model_name(m: Model) -> &'static str {
    match m {
        Model::Open => "open",
        Model::Closed => "closed",
    }
}

/// `100` or `0 -> 1000` (also `→`).
fn ramp(cx: &mut Cx<'_>, path: &str, text: &str, model: Model) -> Option<(Rate, Rate)> {
    let parts: Vec<&str> = text.split("->").flat_map(|p| p.split('→')).collect();
    let expected = match model {
        Model::Open => "a rate (100, 1.5k) or a ramp (0 -> 1000)",
        Model::Closed => "a number of users (50) or a ramp (0 -> 50)",
    };
    let parsed: Result<Vec<Rate>, String> = parts.iter().map(|p| parse_value(p, model)).collect();
    match (parsed, parts.len()) {
        (Ok(v), 1) => Some((v[0], v[0])),
        (Ok(v), 2) => Some((v[0], v[1])),
        (Ok(_), _) => {
            cx.err(path, format!("`{text}` has more than one `->`"), expected, "a stage ramps between two values");
            None
        }
        (Err(e), _) => {
            cx.err(path, e, expected, "");
            None
        }
    }
}

/// Expands a shape. With V the level and durations as named:
/// smoke: [V for duration]; load and soak: [0→V over ramp_up, V for hold, V→0 over ramp_down];
/// stress: for k in 1..=steps, L_k = peak·factor·k/steps: [L_{k−1}→L_k over ramp, L_k for hold],
/// then L_steps→0 over ramp_down (L_0 = 0); spike: [base for before, base→peak over ramp, peak
/// for hold, peak→base over ramp, base for after]; breakpoint: [start→max over duration].
fn expand(cx: &mut Cx<'_>, raw: &RawShape, model: Model, base: &str) -> Option<(Vec<Stage>, Shape, Vec<String>)> {
    let at = format!("{base}.shape");
    if cx.diag.is_poisoned(&format!("{at}.type")) {
        return None;
    }
    let Some(kind) = raw.kind else {
        let kinds = "`smoke`, `load`, `stress`, `spike`, `soak` or `breakpoint`";
        cx.missing(&format!("{at}.type"), kinds, "e.g. `shape: { type: load, level: 100 }`");
        return None;
    };
    let kind = ShapeKind::of(kind);
    let mut p = ShapeParams { cx, raw, kind, model, ok: true, shown: Vec::new(), at };
    p.reject_foreign();
    let stages = match kind {
        ShapeKind::Smoke => {
            let (v, d) = (p.level("level"), p.dur("duration"));
            vec![Stage::constant(d, v)]
        }
        ShapeKind::Load | ShapeKind::Soak => {
            let (v, up, hold, down) = (p.level("level"), p.dur("ramp_up"), p.dur("hold"), p.dur("ramp_down"));
            ramp_hold_down(v, up, hold, down)
        }
        ShapeKind::Stress => p.stress(),
        ShapeKind::Spike => p.spike(),
        ShapeKind::Breakpoint => {
            let (start, max, d) = (p.level("start"), p.level("max"), p.dur("duration"));
            vec![Stage { duration_ns: d, from: start, to: max }]
        }
    };
    let (ok, shown) = (p.ok, p.shown);
    let phases = phase_names(kind, stages.len());
    // Zero-length phases (e.g. `ramp_down: 0s`) are dropped; every phase may not be.
    let (stages, names): (Vec<Stage>, Vec<String>) =
        stages.into_iter().zip(phases).filter(|(s, _)| s.duration_ns > 0).unzip();
    if ok && stages.is_empty() {
        cx.err(&format!("{base}.shape"), "every phase of the shape lasts 0s", "a positive duration", "");
        return None;
    }
    ok.then_some((stages, Shape { kind, params: shown }, names))
}

/// The names of a shape's `n` phases, before zero-length phases are dropped (see
/// stages::expand for the phases of each shape).
fn phase_names(kind: ShapeKind, n: usize) -> Vec<String> {
    let fixed: &[&str] = match kind {
        ShapeKind::Smoke => &["smoke"],
        ShapeKind::Load | ShapeKind::Soak => &["ramp-up", "hold", "ramp-down"],
        ShapeKind::Spike => &["before", "ramp-up", "peak", "ramp-down", "after"],
        ShapeKind::Breakpoint => &["ramp"],
        ShapeKind::Stress => &[],
    };
    if kind != ShapeKind::Stress {
        return fixed.iter().map(|s| s.to_string()).collect();
    }
    // Stress: `ramp k` and `hold k` for each step k, then `ramp-down`.
    let steps = n.saturating_sub(1) / 2;
    let mut out: Vec<String> = (1..=steps).flat_map(|k| [format!("ramp {k}"), format!("hold {k}")]).collect();
    out.push("ramp-down".into());
    out
}

fn ramp_hold_down(v: Rate, up: u64, hold: u64, down: u64) -> Vec<Stage> {
    vec![
        Stage { duration_ns: up, from: ZERO, to: v },
        Stage::constant(hold, v),
        Stage { duration_ns: down, from: v, to: ZERO },
    ]
}

impl ShapeKind {
    fn of(raw: RawShapeKind) -> ShapeKind {
        match raw {
            RawShapeKind::Smoke => ShapeKind::Smoke,
            RawShapeKind::Load => ShapeKind::Load,
            RawShapeKind::Stress => ShapeKind::Stress,
            RawShapeKind::Spike => ShapeKind::Spike,
            RawShapeKind::Soak => ShapeKind::Soak,
            RawShapeKind::Breakpoint => ShapeKind::Breakpoint,
        }
    }
}

struct ShapeParams<'c, 'a, 'r> {
    cx: &'c mut Cx<'a>,
    raw: &'r RawShape,
    kind: ShapeKind,
    model: Model,
    ok: bool,
    shown: Vec<(&'static str, String)>,
    /// The shape's key path (`load.shape`, or a scenario's).
    at: String,
}

impl ShapeParams<'_, '_, '_> {
    /// stress: for k in 1..=steps, L_k = peak·factor·k/steps: [L_{k−1}→L_k over ramp, L_k for
    /// hold], then L_steps→0 over ramp_down.
    fn stress(&mut self) -> Vec<Stage> {
        let (peak, factor, steps) = (self.level("peak"), self.factor(), self.steps());
        let (ramp, hold, down) = (self.dur("ramp"), self.dur("hold"), self.dur("ramp_down"));
        let mut out = Vec::new();
        let mut prev = ZERO;
        for k in 1..=steps {
            let level = scale(peak, factor * k as f64 / steps as f64, self.model);
            out.push(Stage { duration_ns: ramp, from: prev, to: level });
            out.push(Stage::constant(hold, level));
            prev = level;
        }
        out.push(Stage { duration_ns: down, from: prev, to: ZERO });
        out
    }

    /// spike: [base for before, base→peak over ramp, peak for hold, peak→base over ramp, base for
    /// after]; the peak defaults to ten times the base.
    fn spike(&mut self) -> Vec<Stage> {
        let base = self.level("base");
        let peak = match self.raw.peak {
            Some(_) => self.level("peak"),
            None => self.derived("peak", scale(base, 10.0, self.model)),
        };
        let (before, ramp, hold, after) = (self.dur("before"), self.dur("ramp"), self.dur("hold"), self.dur("after"));
        vec![
            Stage::constant(before, base),
            Stage { duration_ns: ramp, from: base, to: peak },
            Stage::constant(hold, peak),
            Stage { duration_ns: ramp, from: peak, to: base },
            Stage::constant(after, base),
        ]
    }

    fn given(&self) -> [(&'static str, bool); 14] {
        let r = self.raw;
        [
            ("level", r.level.is_some()),
            ("base", r.base.is_some()),
            ("peak", r.peak.is_some()),
            ("start", r.start.is_some()),
            ("max", r.max.is_some()),
            ("factor", r.factor.is_some()),
            ("steps", r.steps.is_some()),
            ("duration", r.duration.is_some()),
            ("ramp_up", r.ramp_up.is_some()),
            ("hold", r.hold.is_some()),
            ("ramp_down", r.ramp_down.is_some()),
            ("ramp", r.ramp.is_some()),
            ("before", r.before.is_some()),
            ("after", r.after.is_some()),
        ]
    }

    fn reject_foreign(&mut self) {
        let own: Vec<&str> = self.kind.params().iter().map(|(k, _)| *k).collect();
        for (key, given) in self.given() {
            if given && !own.contains(&key) {
                let path = format!("{}.{key}", self.at);
                let msg = format!("`{key}` does not apply to the {} shape", self.kind.name());
                let expected = format!("its parameters: {}", super::error::one_of(own.iter().copied()));
                let hint = super::error::did_you_mean(key, own.iter().copied()).unwrap_or_default();
                self.cx.err_key(&path, msg, &expected, &hint);
                self.ok = false;
            }
        }
    }

    fn text(&self, key: &str) -> Option<String> {
        let r = self.raw;
        let v = match key {
            "level" => &r.level,
            "base" => &r.base,
            "peak" => &r.peak,
            "start" => &r.start,
            "max" => &r.max,
            "duration" => &r.duration,
            "ramp_up" => &r.ramp_up,
            "hold" => &r.hold,
            "ramp_down" => &r.ramp_down,
            "ramp" => &r.ramp,
            "before" => &r.before,
            "after" => &r.after,
            _ => &None,
        };
        v.clone()
    }

    fn default(&self, key: &str) -> Option<&'static str> {
        self.kind.params().iter().find(|(k, _)| *k == key).and_then(|(_, d)| *d)
    }

    fn level(&mut self, key: &'static str) -> Rate {
        let path = format!("{}.{key}", self.at);
        let Some(text) = self.text(key).or_else(|| self.default(key).map(str::to_string)) else {
            let what = format!("{} ({})", key, self.model.unit());
            self.cx.missing(&path, &what, &format!("the {} shape needs `{key}`", self.kind.name()));
            self.ok = false;
            return ZERO;
        };
        match parse_value(&text, self.model) {
            Ok(v) => {
                self.shown.push((key, format!("{v} {}", self.model.unit())));
                v
            }
            Err(e) => {
                let expected = match self.model {
                    Model::Open => "a rate such as 100 or 1.5k",
                    Model::Closed => "a whole number of users",
                };
                self.cx.err(&path, e, expected, "");
                self.ok = false;
                ZERO
            }
        }
    }

    fn derived(&mut self, key: &'static str, v: Rate) -> Rate {
        self.shown.push((key, format!("{v} {}", self.model.unit())));
        v
    }

    fn dur(&mut self, key: &'static str) -> u64 {
        let path = format!("{}.{key}", self.at);
        let default = self.default(key).and_then(|d| crate::units::parse_duration(d).ok());
        match self.cx.duration(&path, self.text(key).as_deref(), default) {
            Some(ns) => {
                self.shown.push((key, crate::units::duration_text(ns)));
                ns
            }
            None => {
                self.ok = false;
                0
            }
        }
    }

    fn factor(&mut self) -> f64 {
        let f = self.raw.factor.unwrap_or(3.0);
        if f <= 0.0 {
            self.cx.err(
                &format!("{}.factor", self.at),
                format!("factor {f} is not positive"),
                "a number > 0, e.g. 3",
                "",
            );
            self.ok = false;
        }
        self.shown.push(("factor", format!("{f}")));
        f
    }

    fn steps(&mut self) -> u32 {
        let s = self.raw.steps.unwrap_or(4);
        if s == 0 {
            self.cx.err(&format!("{}.steps", self.at), "steps must be at least 1", "a whole number ≥ 1", "");
            self.ok = false;
        }
        self.shown.push(("steps", s.to_string()));
        s.max(1)
    }
}

#[cfg(test)]
mod phase_tests {
    use super::*;

    #[test]
    fn shape_phases_are_named_one_per_stage() {
        assert_eq!(phase_names(ShapeKind::Spike, 5), ["before", "ramp-up", "peak", "ramp-down", "after"]);
        assert_eq!(phase_names(ShapeKind::Stress, 5), ["ramp 1", "hold 1", "ramp 2", "hold 2", "ramp-down"]);
        assert_eq!(phase_names(ShapeKind::Load, 3).len(), 3);
    }
}
