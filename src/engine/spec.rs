//! What the engine is asked to do: the run's spec, handed in whole by config and read by every
//! executor (`EngineSpec`), and what each connection does (`Workload`, the run modes as data).
use crate::schedule::Schedule;
use std::net::SocketAddr;
use std::sync::Arc;

/// Everything the engine needs, and nothing else.
#[derive(Clone, Debug)]
pub struct EngineSpec {
    pub addr: SocketAddr,
    /// What each connection does (modes as data: decided once, when a connection is spawned).
    pub workload: Workload,
    /// false: a new connection per request (`--no-keepalive`, connection-churn tests).
    pub keep_alive: bool,
    /// Total connections, split evenly over cores.
    pub connections: usize,
    /// CPUs to pin one executor each to.
    pub cpus: Vec<usize>,
    pub schedule: Schedule,
    /// Excluded from results: requests intended (closed loop: sent) before t0 + warmup.
    pub warmup_ns: u64,
    /// Measured window after the warm-up.
    pub duration_ns: u64,
    /// Total deadline per request, from its send.
    pub timeout_ns: u64,
    pub connect_timeout_ns: u64,
    /// After the last slot: how long to wait for responses in flight.
    pub grace_ns: u64,
    pub interval_ns: u64,
    /// How long an idle executor keeps polling I/O and timers before it sleeps (0: never).
    pub spin_ns: u64,
    /// `--send-window`: open-model slots are sent at the end of the window of this width (from
    /// t0) that holds their intended time, together with the others due in it; 0: each at its
    /// own instant. Latency still runs from each slot's intended time; the wait is send lag.
    pub send_window_ns: u64,
    /// Status codes counted as ok (default 200..=399).
    pub ok_status: (u16, u16),
    /// https: the client configuration (one per run, so reconnects resume sessions) and the
    /// server name for SNI and verification.
    pub tls: Option<TlsTarget>,
    /// Durations of the measured load stages, in order (plan runs); empty: no per-stage results.
    pub stages_ns: Vec<u64>,
    /// `--shard K/N`: the part of the global schedule (and of `connections`, which stays the
    /// plan's total) this runner takes. Default 0/1: all of it.
    pub shard: crate::schedule::ShardOf,
    /// `--start-at`: t0 on the clock::now_ns scale, mapped from the wall clock (None: start as
    /// soon as every executor is ready).
    pub start_at: Option<u64>,
    /// A plan's `scenarios:`, run at once on every core. Empty: the run is one unnamed scenario
    /// made of `workload`, `schedule`, `connections` and `stages_ns` (`EngineSpec::runs`).
    pub scenarios: Vec<Scenario>,
}

/// One scenario of the run: its own workload, schedule (offsets from t0, its start offset a
/// leading stage of nothing), connections (the plan's total, split over cores as the run's are)
/// and measured stages.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub workload: Workload,
    pub schedule: Schedule,
    pub connections: usize,
    /// From the end of the warm-up to its first stage.
    pub start_ns: u64,
    /// Durations of its measured stages, in order.
    pub stages_ns: Vec<u64>,
}

impl EngineSpec {
    /// The scenarios the engine runs: the plan's, else the run's one unnamed scenario.
    pub fn runs(&self) -> Vec<Scenario> {
        if !self.scenarios.is_empty() {
            return self.scenarios.clone();
        }
        vec![Scenario {
            workload: self.workload.clone(),
            schedule: self.schedule.clone(),
            connections: self.connections,
            start_ns: 0,
            stages_ns: self.stages_ns.clone(),
        }]
    }
}

/// What the connections of a run do: the run modes, as data handed to the one connection loop
/// (engine/conn.rs). Which slots exist is the schedule's business (`EngineSpec::schedule`).
#[derive(Clone, Debug)]
pub enum Workload {
    /// Quick mode: one request, rendered once, for every slot.
    Single(Arc<Single>),
    /// A plan: every slot of the schedule runs one iteration of a weighted journey.
    Plan(Arc<super::work::PlanWork>),
    /// The closed model: each connection is a virtual user walking the plan's journeys while the
    /// user stages have it active (warm-up included). The schedule is then `Saturate` and
    /// `connections` the peak number of users.
    Users(Arc<super::work::PlanWork>, crate::schedule::UserStages),
}

/// Quick mode's request.
#[derive(Clone, Debug, Default)]
pub struct Single {
    /// Rendered once, sent as it is.
    pub bytes: Vec<u8>,
    /// A HEAD request (its response has no body, whatever its headers say).
    pub head: bool,
    /// Idempotent methods may be retried once when a reused idle connection turns out closed.
    pub idempotent: bool,
}

impl Workload {
    pub fn plan(&self) -> Option<&super::work::PlanWork> {
        match self {
            Workload::Single(_) => None,
            Workload::Plan(w) | Workload::Users(w, _) => Some(w),
        }
    }

    pub fn users(&self) -> Option<&crate::schedule::UserStages> {
        match self {
            Workload::Users(_, u) => Some(u),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct TlsTarget {
    pub config: Arc<rustls::ClientConfig>,
    pub name: rustls::pki_types::ServerName<'static>,
}
