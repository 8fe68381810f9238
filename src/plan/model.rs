//! The validated plan: typed, complete (defaults applied), immutable, ready to run. What the
//! engine reads; it never sees the YAML. Debug output never shows a secret value.
use super::check::Checks;
use super::data::DataSource;
use super::extract::Extraction;
use super::secrets::{Secret, redact};
use super::stages::Load;
use super::template::{Template, Vars};
use super::weights::{Rng, Weights};
use crate::url::Url;
use std::path::PathBuf;

pub const DEFAULT_SEED: u64 = 0x5EED;
pub const DEFAULT_CONNECTIONS: usize = 50;
pub const DEFAULT_TIMEOUT_NS: u64 = 10_000_000_000;
pub const DEFAULT_CONNECT_TIMEOUT_NS: u64 = 2_000_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The plan file as given.
    pub file: PathBuf,
    /// Seeds every random choice (weighted picks, random rows, `random_int`, `uuid`).
    pub seed: u64,
    pub target: Target,
    /// The load (with `scenarios:`, the first scenario's; each scenario's is in `scenarios`).
    pub load: Load,
    /// `scenarios:` (empty: the plan is one unnamed scenario, `load` over every journey).
    pub scenarios: Vec<Scenario>,
    /// Endpoints first (each a one-step journey, `kind: Endpoint`), then journeys, in file order.
    pub journeys: Vec<Journey>,
    /// The weighted choice over `journeys` (shares are the normalised weights).
    pub mix: Weights,
    pub data: Vec<DataSource>,
    pub secrets: Vec<(String, Secret)>,
    /// The most extraction slots any journey uses (size of `Vars`).
    pub slots: usize,
    /// `slo:` (before `--slo-file`, `ONSLAUGHT_SLO_*` and `--slo` are laid over it).
    pub slo: crate::slo::spec::SloSet,
    /// The profile laid over `load:` and `slo:` (`--profile`, `ONSLAUGHT_PROFILE`), if any.
    pub profile: Option<String>,
    /// Every profile the plan defines, in file order.
    pub profiles: Vec<super::profiles::ProfileInfo>,
}

/// One named scenario: its own load over its own journeys, from `start_ns` after t0, run beside
/// the others in the same engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub load: Load,
    /// Offset of its first stage from the run's start (after the warm-up).
    pub start_ns: u64,
    /// Its own connections (open model; None: `target.connections`).
    pub connections: Option<usize>,
    /// Its journeys: a range of `Plan::journeys` (label ids stay global across scenarios).
    pub journeys: std::ops::Range<usize>,
    /// The weighted choice over its journeys (index 0 is `journeys.start`).
    pub mix: Weights,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// As written (no secrets can appear in it).
    pub base_url: String,
    pub url: Url,
    /// Default headers, already merged into every step's `headers`.
    pub headers: Vec<Header>,
    pub timeout_ns: u64,
    pub connect_timeout_ns: u64,
    pub connections: usize,
    /// A count (`2`) or CPU list (`0,2`, `1-3`), checked against the machine by the caller.
    pub cores: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub name: String,
    pub value: Template,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JourneyKind {
    /// From `endpoints:`: one request.
    Endpoint,
    /// From `journeys:`: steps in order.
    Journey,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Journey {
    pub name: String,
    pub kind: JourneyKind,
    /// As written; `Plan::mix` holds the normalised share.
    pub weight: f64,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The name given (or `METHOD path` when none was).
    pub name: String,
    /// For per-request statistics: the endpoint's name, or `journey/step`.
    pub label: String,
    /// Upper case.
    pub method: String,
    /// The full request target: base_url's path followed by the step's path.
    pub path: Template,
    /// Target headers merged with the step's (a step's header replaces a default of the same name).
    pub headers: Vec<Header>,
    pub body: Option<Template>,
    pub extract: Vec<Extraction>,
    pub check: Checks,
    /// Pause after this step (before the next step, or the next iteration in the closed model).
    pub think: Think,
}

impl Step {
    /// Whether every part of the request is the same each time (render it once).
    pub fn is_static(&self) -> bool {
        self.path.is_static()
            && self.headers.iter().all(|h| h.value.is_static())
            && self.body.as_ref().is_none_or(|b| b.is_static())
    }
}

/// Think time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Think {
    None,
    Fixed(u64),
    /// Uniform in min..=max nanoseconds.
    Uniform {
        min_ns: u64,
        max_ns: u64,
    },
}

impl Think {
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match *self {
            Think::None => 0,
            Think::Fixed(ns) => ns,
            Think::Uniform { min_ns, max_ns } => min_ns + rng.below(max_ns - min_ns + 1),
        }
    }
}

impl Plan {
    /// `text` with every secret value replaced by `<redacted>`: for log and report writers.
    pub fn redact(&self, text: &str) -> String {
        redact(&self.secrets, text)
    }

    /// A fresh variable store for one shard.
    pub fn vars(&self) -> Vars {
        Vars::new(&self.data, self.slots)
    }

    /// Index into `journeys` for slot or user `n`: the same whichever core asks.
    pub fn pick_journey(&self, n: u64) -> usize {
        self.mix.pick_with(super::weights::hash(self.seed, n))
    }

    /// As `pick_journey`, for slot or user `n` of scenario `sc` (its own mix over its journeys).
    pub fn pick_journey_in(&self, sc: usize, n: u64) -> usize {
        match self.scenarios.get(sc) {
            Some(s) => s.journeys.start + s.mix.pick_with(super::weights::hash(self.seed ^ sc as u64, n)),
            None => self.pick_journey(n),
        }
    }

    /// The measured window the plan runs: its load's stages, or (with scenarios) until the
    /// scenario that ends last ends.
    pub fn measured_ns(&self) -> u64 {
        let ends = self.scenarios.iter().map(|s| s.start_ns + s.load.duration_ns());
        ends.max().unwrap_or(self.load.duration_ns())
    }

    /// Every step of every journey, with its journey.
    pub fn steps(&self) -> impl Iterator<Item = (&Journey, &Step)> {
        self.journeys.iter().flat_map(|j| j.steps.iter().map(move |s| (j, s)))
    }
}
