//! SLO rules as data: the metrics a criterion can name, where it applies, its threshold, and the
//! set of a run (a leaf: the plan and the flags build it, merge's breakers and the report's
//! evaluation read it). Parsing is in `parse`, evaluation against a Report in `evaluate`.

/// Every metric an SLO can name, in the order the hint lists them.
pub const METRICS: [&str; 11] =
    ["p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99", "max", "error_rate", "throughput", "checks"];

/// What a criterion measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Latency from the intended time (CO-corrected) at a named quantile ("p99") or "max".
    Latency(&'static str),
    /// (requests − ok) / requests.
    ErrorRate,
    /// Responses per second of the measured window.
    Throughput,
    /// Share of requests whose checks all passed.
    Checks,
}

impl Metric {
    /// The metric called `name`, or None (the caller reports it with `METRICS` as the hint).
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "error_rate" => Some(Metric::ErrorRate),
            "throughput" => Some(Metric::Throughput),
            "checks" => Some(Metric::Checks),
            _ => METRICS[..8].iter().find(|m| **m == name).map(|m| Metric::Latency(m)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Latency(q) => q,
            Metric::ErrorRate => "error_rate",
            Metric::Throughput => "throughput",
            Metric::Checks => "checks",
        }
    }

    /// Lower is better (a ceiling), else a floor.
    pub fn is_ceiling(self) -> bool {
        matches!(self, Metric::Latency(_) | Metric::ErrorRate)
    }

    /// The boundary passes: `actual <= threshold` for ceilings, `actual >= threshold` for floors.
    pub fn passes(self, actual: f64, threshold: f64) -> bool {
        if self.is_ceiling() { actual <= threshold } else { actual >= threshold }
    }

    /// A value in base units (seconds, ratio, req/s) as people write it: 200ms, 1%, 100/s.
    pub fn show(self, v: f64) -> String {
        match self {
            Metric::Latency(_) => {
                let ns = (v * 1e9).round();
                let (x, unit) = match ns {
                    n if n < 1e3 => (n, "ns"),
                    n if n < 1e6 => (n / 1e3, "us"),
                    n if n < 1e9 => (n / 1e6, "ms"),
                    n => (n / 1e9, "s"),
                };
                format!("{}{unit}", trim(x, 2))
            }
            Metric::ErrorRate | Metric::Checks => format!("{}%", trim(100.0 * v, 3)),
            Metric::Throughput => format!("{}/s", trim(v, 1)),
        }
    }
}

/// Written as its name ("p99", "error_rate"): the result file keeps the text people read.
impl serde::Serialize for Metric {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Read from its name; an unknown name (a hand-edited file) is an error naming the metrics.
impl<'de> serde::Deserialize<'de> for Metric {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        Metric::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown SLO metric '{name}': one of {}", METRICS.join(", ")))
        })
    }
}

/// `v` to at most `places` decimals, without trailing zeros.
fn trim(v: f64, places: usize) -> String {
    let s = format!("{v:.places$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// Where a criterion applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole measured window.
    Total,
    /// One named request of the plan (an endpoint's name, or `journey/step`).
    Endpoint(String),
    /// One load stage, by its name or its index (`stages[].index` in the JSON).
    Stage(String),
    /// One scenario of the plan, by its name.
    Scenario(String),
    /// One named request of one scenario: (scenario, request).
    ScenarioEndpoint(String, String),
}

impl Scope {
    /// The scope `label` spells (its inverse: how a result file's SLOs are read back).
    pub fn from_label(s: &str) -> Option<Scope> {
        if s == "total" {
            return Some(Scope::Total);
        }
        let (kind, rest) = s.split_once(':')?;
        match kind {
            "endpoint" => Some(Scope::Endpoint(rest.into())),
            "stage" => Some(Scope::Stage(rest.into())),
            "scenario" => Some(match rest.split_once(":endpoint:") {
                Some((sc, n)) => Scope::ScenarioEndpoint(sc.into(), n.into()),
                None => Scope::Scenario(rest.into()),
            }),
            _ => None,
        }
    }

    /// As `SloRow::scope` spells it: "total", "endpoint:<name>", "stage:<name>",
    /// "scenario:<name>", "scenario:<name>:endpoint:<name>".
    pub fn label(&self) -> String {
        match self {
            Scope::Total => "total".into(),
            Scope::Endpoint(n) => format!("endpoint:{n}"),
            Scope::Stage(n) => format!("stage:{n}"),
            Scope::Scenario(n) => format!("scenario:{n}"),
            Scope::ScenarioEndpoint(s, n) => format!("scenario:{s}:endpoint:{n}"),
        }
    }
}

/// One criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub scope: Scope,
    pub metric: Metric,
    /// Base units: seconds for latency, a ratio for error_rate and checks, req/s for throughput.
    pub threshold: f64,
}

impl Rule {
    /// "p99 <= 200ms".
    pub fn criterion(&self) -> String {
        let op = if self.metric.is_ceiling() { "<=" } else { ">=" };
        format!("{} {op} {}", self.metric.name(), self.metric.show(self.threshold))
    }
}

/// `abort_if: error_rate > 5% for 10s`: stop when the metric is beyond the threshold in every
/// timeline interval of the last `for_ns`.
#[derive(Clone, Debug, PartialEq)]
pub struct AbortIf {
    pub metric: Metric,
    pub threshold: f64,
    pub for_ns: u64,
    /// As written (for the abort reason).
    pub text: String,
}

/// Every SLO of a run, merged from plan, `--slo-file`, environment and flags.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SloSet {
    pub rules: Vec<Rule>,
    /// `abort_on_fail: { window: 30s }`: stop when the global criteria are breached in every
    /// interval of the last window.
    pub abort_on_fail_ns: Option<u64>,
    pub abort_if: Option<AbortIf>,
}

impl SloSet {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.abort_on_fail_ns.is_none() && self.abort_if.is_none()
    }

    /// Adds `rule`, replacing one with the same scope and metric (a later source overrides).
    pub fn set(&mut self, rule: Rule) {
        match self.rules.iter_mut().find(|r| r.scope == rule.scope && r.metric == rule.metric) {
            Some(r) => *r = rule,
            None => self.rules.push(rule),
        }
    }

    /// `over` on top of `self`: its rules replace or add, its abort settings replace.
    pub fn overlay(&mut self, over: SloSet) {
        for r in over.rules {
            self.set(r);
        }
        if over.abort_on_fail_ns.is_some() {
            self.abort_on_fail_ns = over.abort_on_fail_ns;
        }
        if over.abort_if.is_some() {
            self.abort_if = over.abort_if;
        }
    }

    /// Whether a global error-rate criterion is given (it replaces `--max-error-rate`).
    pub fn has_total_error_rate(&self) -> bool {
        self.rules.iter().any(|r| r.scope == Scope::Total && r.metric == Metric::ErrorRate)
    }
}

/// Metrics the breakers can judge, for error messages.
pub const JUDGED: &str = "p50, p95, p99, p99.9, max or error_rate";

/// Whether the timeline can judge `m` per interval (abort_on_fail and abort_if can use it); the
/// breaker's own `value` agrees (slo::breaker tests).
pub fn judged_per_interval(m: Metric) -> bool {
    matches!(m, Metric::Latency("p50" | "p95" | "p99" | "p99.9" | "max") | Metric::ErrorRate)
}
