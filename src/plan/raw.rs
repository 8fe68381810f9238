//! What the user wrote: the YAML schema as serde types, every key optional so that validation
//! (validate.rs) can say what is missing with a useful hint. Nothing here is checked beyond types.
use super::de::{RawMap, fields_of};
use serde::Deserialize;

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlan {
    pub target: Option<RawTarget>,
    pub seed: Option<u64>,
    pub load: Option<RawLoad>,
    pub endpoints: Option<Vec<RawEndpoint>>,
    pub journeys: Option<Vec<RawJourney>>,
    pub data: Option<RawMap<RawData>>,
    pub secrets: Option<RawMap<String>>,
    pub slo: Option<RawSlo>,
    pub scenarios: Option<Vec<RawScenario>>,
}

/// One item of `scenarios:`: a named traffic model with its own load, requests, start offset
/// and connections, run at the same time as the others.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Option<String>,
    pub start: Option<String>,
    pub connections: Option<u64>,
    pub load: Option<RawLoad>,
    pub endpoints: Option<Vec<RawEndpoint>>,
    pub journeys: Option<Vec<RawJourney>>,
}

/// `slo:` (and a `--slo-file`): global criteria, per-endpoint and per-stage ones, breakers.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSlo {
    pub p50: Option<String>,
    pub p75: Option<String>,
    pub p90: Option<String>,
    pub p95: Option<String>,
    pub p99: Option<String>,
    #[serde(rename = "p99.9")]
    pub p99_9: Option<String>,
    #[serde(rename = "p99.99")]
    pub p99_99: Option<String>,
    pub max: Option<String>,
    pub error_rate: Option<String>,
    pub throughput: Option<String>,
    pub checks: Option<String>,
    /// The latency criteria grouped (`latency: { p95: 250ms }`), as deployment specs write them.
    pub latency: Option<RawLatency>,
    pub endpoints: Option<RawMap<RawCriteria>>,
    pub stages: Option<RawMap<RawCriteria>>,
    /// Per scenario, by name (`scenario:NAME` scopes).
    pub scenarios: Option<RawMap<RawCriteria>>,
    pub abort_on_fail: Option<RawAbortOnFail>,
    pub abort_if: Option<String>,
}

/// The criteria of one endpoint or stage (the metrics of `RawSlo`, nothing else).
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCriteria {
    pub p50: Option<String>,
    pub p75: Option<String>,
    pub p90: Option<String>,
    pub p95: Option<String>,
    pub p99: Option<String>,
    #[serde(rename = "p99.9")]
    pub p99_9: Option<String>,
    #[serde(rename = "p99.99")]
    pub p99_99: Option<String>,
    pub max: Option<String>,
    pub error_rate: Option<String>,
    pub throughput: Option<String>,
    pub checks: Option<String>,
    pub latency: Option<RawLatency>,
}

/// `latency:` under `slo:` (or an endpoint or stage of it): the latency criteria as a group,
/// beside the flat form (`p95: 250ms` and `latency: { p95: 250ms }` mean the same).
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLatency {
    pub p50: Option<String>,
    pub p75: Option<String>,
    pub p90: Option<String>,
    pub p95: Option<String>,
    pub p99: Option<String>,
    #[serde(rename = "p99.9")]
    pub p99_9: Option<String>,
    #[serde(rename = "p99.99")]
    pub p99_99: Option<String>,
    pub max: Option<String>,
}

impl RawLatency {
    /// (metric name, threshold text) of every criterion written, in `crate::slo::spec::METRICS` order.
    pub fn written(&self) -> Vec<(&'static str, &str)> {
        let all = [&self.p50, &self.p75, &self.p90, &self.p95, &self.p99, &self.p99_9, &self.p99_99, &self.max];
        crate::slo::spec::METRICS.iter().zip(all).filter_map(|(m, v)| Some((*m, v.as_deref()?))).collect()
    }
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAbortOnFail {
    pub window: Option<String>,
}

impl RawSlo {
    /// The global criteria, as (metric name, text) in the order of `crate::slo::spec::METRICS`.
    pub fn criteria(&self) -> RawCriteria {
        RawCriteria {
            p50: self.p50.clone(),
            p75: self.p75.clone(),
            p90: self.p90.clone(),
            p95: self.p95.clone(),
            p99: self.p99.clone(),
            p99_9: self.p99_9.clone(),
            p99_99: self.p99_99.clone(),
            max: self.max.clone(),
            error_rate: self.error_rate.clone(),
            throughput: self.throughput.clone(),
            checks: self.checks.clone(),
            latency: self.latency.clone(),
        }
    }
}

impl RawCriteria {
    /// (metric name, threshold text) of every criterion written, in `crate::slo::spec::METRICS` order.
    pub fn written(&self) -> Vec<(&'static str, &str)> {
        let all = [
            &self.p50,
            &self.p75,
            &self.p90,
            &self.p95,
            &self.p99,
            &self.p99_9,
            &self.p99_99,
            &self.max,
            &self.error_rate,
            &self.throughput,
            &self.checks,
        ];
        crate::slo::spec::METRICS.iter().zip(all).filter_map(|(m, v)| Some((*m, v.as_deref()?))).collect()
    }
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub base_url: Option<String>,
    pub headers: Option<RawMap<String>>,
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    pub connections: Option<u64>,
    pub cores: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawModel {
    Open,
    Closed,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoad {
    pub model: Option<RawModel>,
    pub warmup: Option<String>,
    pub stages: Option<Vec<RawStage>>,
    pub shape: Option<RawShape>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    /// Names the stage in every report and in `stage:NAME` SLO scopes (default: "stage N").
    pub name: Option<String>,
    pub duration: Option<String>,
    pub rate: Option<String>,
    pub users: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawShapeKind {
    Smoke,
    Load,
    Stress,
    Spike,
    Soak,
    Breakpoint,
}

/// Every shape's parameters in one struct; which apply to which shape is checked in stages.rs.
#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShape {
    #[serde(rename = "type")]
    pub kind: Option<RawShapeKind>,
    pub level: Option<String>,
    pub base: Option<String>,
    pub peak: Option<String>,
    pub start: Option<String>,
    pub max: Option<String>,
    pub factor: Option<f64>,
    pub steps: Option<u32>,
    pub duration: Option<String>,
    pub ramp_up: Option<String>,
    pub hold: Option<String>,
    pub ramp_down: Option<String>,
    pub ramp: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoint {
    pub name: Option<String>,
    pub weight: Option<f64>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Option<RawMap<String>>,
    pub body: Option<String>,
    pub check: Option<RawCheck>,
    pub think: Option<String>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJourney {
    pub name: Option<String>,
    pub weight: Option<f64>,
    pub steps: Option<Vec<RawStep>>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub name: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub headers: Option<RawMap<String>>,
    pub body: Option<String>,
    pub extract: Option<RawMap<RawExtract>>,
    pub check: Option<RawCheck>,
    pub think: Option<String>,
}

/// Exactly one of the three.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExtract {
    pub json: Option<String>,
    pub header: Option<String>,
    pub regex: Option<String>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    pub status: Option<Vec<String>>,
    pub body_contains: Option<String>,
    pub header_contains: Option<RawMap<String>>,
    pub header_matches: Option<RawMap<String>>,
    pub max_latency: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawFeedMode {
    Sequential,
    Random,
    PerUser,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    pub csv: Option<String>,
    pub mode: Option<RawFeedMode>,
}

/// Every key name the schema knows (for reading `ONSLAUGHT_TARGET_BASE_URL` as `target.base_url`).
pub(crate) fn known_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = [
        fields_of::<RawPlan>(),
        fields_of::<RawTarget>(),
        fields_of::<RawLoad>(),
        fields_of::<RawStage>(),
        fields_of::<RawShape>(),
        fields_of::<RawEndpoint>(),
        fields_of::<RawJourney>(),
        fields_of::<RawStep>(),
        fields_of::<RawExtract>(),
        fields_of::<RawCheck>(),
        fields_of::<RawData>(),
        fields_of::<RawSlo>(),
        fields_of::<RawLatency>(),
        fields_of::<RawAbortOnFail>(),
        fields_of::<RawScenario>(),
    ]
    .concat();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Hints for keys written at the wrong level (did-you-mean cannot see those).
pub(crate) fn key_hint(parent: &str, key: &str) -> Option<String> {
    let last = parent.rsplit(['.']).next().unwrap_or("");
    let in_item = |name: &str| last.starts_with(name) && last.ends_with(']');
    let h = match (key, parent) {
        ("rate" | "users" | "duration", "load") => {
            format!("`{key}` belongs in a stage: `stages: [{{ duration: 1m, rate: 100 }}]`, or use a `shape`")
        }
        ("stages" | "shape" | "warmup" | "model", "") => format!("`{key}` goes under `load:`"),
        ("base_url" | "headers" | "timeout" | "connections" | "cores", "") => format!("`{key}` goes under `target:`"),
        ("url", "target") => "the key is `base_url`".to_string(),
        ("profile", "") => "the key is `profiles` (a mapping of named variants of `load` and `slo`)".to_string(),
        ("expect" | "expected" | "status", _) if in_item("endpoints") || in_item("steps") => {
            "expected statuses go in `check: { status: [200, 204] }`".to_string()
        }
        ("extract", _) if in_item("endpoints") => {
            "an endpoint is a single request: extract in a journey step so a later step can use it".to_string()
        }
        ("weight", _) if in_item("steps") => "steps run in order; weight the journey instead".to_string(),
        ("method" | "path" | "headers" | "body", _) if in_item("journeys") => {
            format!("`{key}` belongs to a step: `steps: [{{ path: /x }}]`")
        }
        _ => return None,
    };
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_cover_the_schema() {
        let k = known_keys();
        for key in ["base_url", "max_latency", "body_contains", "connect_timeout", "ramp_up", "type", "csv"] {
            assert!(k.contains(&key), "{key}");
        }
        assert!(!k.contains(&"per_user"), "values are not keys");
    }

    #[test]
    fn misplaced_keys_get_hints() {
        assert!(key_hint("load", "rate").unwrap().contains("stage"));
        assert!(key_hint("endpoints[2]", "expect").unwrap().contains("check"));
        assert!(key_hint("journeys[0].steps[1]", "weight").is_some());
        assert_eq!(key_hint("target", "bogus"), None);
    }
}
