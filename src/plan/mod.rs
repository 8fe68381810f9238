//! Test plans: a YAML file (plus `ONSLAUGHT_*` environment overrides and `--set` flags) into a
//! validated, typed, immutable `Plan`, or every error in it at once with file:line:column, key
//! path, what was expected and a hint. Reads files (the plan, CSV data, secret files) and nothing
//! else: no network, no clock, no printing. The schema is documented in docs/plan-format.md.
//!
//! ```text
//! text ─yaml─► Node tree (positions) ─overrides─► Node tree ─de─► RawPlan ─validate─► Plan
//!                                        └──────── Index: key path → line:column ──────┘
//! ```
//! The engine's hot path uses: `Weights::pick*` (weighted choice), `Template::render` (request
//! parts), `extract_all` (correlation), `Checks::evaluate` (checks), `Think::sample`, `Vars`.
mod check;
mod cx;
mod data;
mod de;
mod describe;
mod error;
mod extract;
mod model;
mod overrides;
pub use overrides::RUN_VARS;
mod path;
mod profiles;
mod raw;
mod scenarios;
mod secrets;
mod slo;
mod stage_names;
mod stages;
mod template;
mod validate;
mod weights;
mod yaml;

pub use check::{Check, CheckFailure, CheckKind, Checks, Response, StatusSet};
pub use data::{DataSource, FeedMode};
pub use describe::{describe, human};
pub use error::PlanError;
pub use extract::{Extraction, Extractor, JsonPath, extract_all, extract_each};
pub use model::{
    DEFAULT_CONNECT_TIMEOUT_NS, DEFAULT_CONNECTIONS, DEFAULT_SEED, DEFAULT_TIMEOUT_NS, Header, Journey, JourneyKind,
    Plan, Scenario, Step, Target, Think,
};
pub use overrides::ENV_PREFIX;
pub use profiles::{ENV_VAR as PROFILE_ENV, ProfileInfo};
pub use secrets::{INLINE, REDACTED, Secret, expand};
pub use stages::{Load, Model, Shape, ShapeKind, Stage};
pub use template::{Func, Template, Vars};
pub use weights::{Rng, WeightError, Weights, hash, mix};

use error::{Diag, Issue, Mark, Sources};
use std::cell::RefCell;
use std::path::Path;

/// Loads the plan at `path`, applying overrides: `env` (the process environment; pairs named
/// `ONSLAUGHT_*` override plan keys, and `${env:NAME}` secrets are looked up in all of them),
/// then `sets` (`--set key.path=value`). Precedence: set > env > file > default. Command-line
/// flags are the caller's to apply over the returned Plan.
pub fn load(path: &Path, sets: &[String], env: &[(String, String)]) -> Result<Plan, Vec<PlanError>> {
    load_profile(path, None, sets, env)
}

/// As `load`, with the profile `--profile` names (None: `ONSLAUGHT_PROFILE` in `env`, else the
/// plan as written). Precedence: set > env > profile > file.
pub fn load_profile(
    path: &Path,
    profile: Option<&str>,
    sets: &[String],
    env: &[(String, String)],
) -> Result<Plan, Vec<PlanError>> {
    match std::fs::read_to_string(path) {
        Ok(text) => load_str_profile(&text, path, profile, sets, env),
        Err(e) => Err(vec![PlanError {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            path: String::new(),
            message: format!("cannot read the plan: {e}"),
            expected: Some("a readable YAML file".into()),
            hint: None,
        }]),
    }
}

/// An SLO file (`--slo-file`): the mapping a plan's `slo:` key holds, at the top of its own
/// YAML file. Errors have file:line:column as a plan's do.
pub fn load_slo_file(path: &Path) -> Result<crate::slo::spec::SloSet, Vec<PlanError>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        let expected = Some("a readable YAML file".to_string());
        vec![PlanError {
            file: file.clone(),
            line: 1,
            column: 1,
            path: String::new(),
            message: format!("cannot read the SLO file: {e}"),
            expected,
            hint: None,
        }]
    })?;
    let sources = Sources { file, ..Default::default() };
    let mut diag = Diag::default();
    let Some(root) = yaml::parse(&text, &mut diag) else {
        return Err(diag.finish(&sources));
    };
    let index = yaml::Index::build(&root);
    let diag = RefCell::new(diag);
    let raw: Option<raw::RawSlo> = de::from_node(&root, &diag, |_, _| None);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut cx = cx::Cx {
        diag: diag.into_inner(),
        index: &index,
        dir,
        env: &[],
        extra: Vec::new(),
        inline: Vec::new(),
        inline_failed: Vec::new(),
    };
    let set = raw.as_ref().and_then(|r| slo::slo(&mut cx, Some(r), ""));
    match set {
        Some(s) if cx.diag.is_empty() => Ok(s),
        _ => Err(cx.diag.finish(&sources)),
    }
}

/// As `load`, with the plan's text given; `path` names it in errors and anchors relative paths
/// (CSV and secret files are relative to its directory).
pub fn load_str(text: &str, path: &Path, sets: &[String], env: &[(String, String)]) -> Result<Plan, Vec<PlanError>> {
    load_str_profile(text, path, None, sets, env)
}

/// As `load_str`, with a profile (see `load_profile`).
pub fn load_str_profile(
    text: &str,
    path: &Path,
    profile: Option<&str>,
    sets: &[String],
    env: &[(String, String)],
) -> Result<Plan, Vec<PlanError>> {
    let mut diag = Diag::default();
    let mut sources = Sources { file: path.display().to_string(), ..Default::default() };
    let Some(mut root) = yaml::parse(text, &mut diag) else {
        return Err(diag.finish(&sources));
    };
    let choice = profiles::choose(profile, env);
    let defined = profiles::apply(&mut root, choice.as_ref(), &mut diag);
    sources.env = overrides::apply(&mut root, sets, env, &mut diag);
    let index = yaml::Index::build(&root);
    let diag = RefCell::new(diag);
    let raw: Option<raw::RawPlan> = de::from_node(&root, &diag, raw::key_hint);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut cx = cx::Cx {
        diag: diag.into_inner(),
        index: &index,
        dir,
        env,
        extra: Vec::new(),
        inline: Vec::new(),
        inline_failed: Vec::new(),
    };
    let plan = match &raw {
        Some(raw) => validate::plan(&mut cx, raw, path),
        None => {
            cx.diag.push(Issue::new(Mark::file(1, 1), "", "the plan could not be read"));
            None
        }
    };
    sources.extra = std::mem::take(&mut cx.extra);
    match plan {
        Some(mut p) if cx.diag.is_empty() => {
            p.profile = choice.map(|c| c.name.to_string());
            p.profiles = defined;
            Ok(p)
        }
        _ => Err(cx.diag.finish(&sources)),
    }
}
