//! Validation: Args (what the user wrote) into Config (what the engine runs). Every error names
//! the flag, what is wrong and how to fix it; nothing is sent before validation passes.
mod scenarios;
pub mod shard;

use crate::cli::RunArgs;
use crate::engine::{EngineSpec, Workload};
use crate::http::request::{RequestSpec, render};
use crate::report::RunConfig;
use crate::schedule::{RateStage, Schedule};
use crate::units::{parse_duration, parse_rate};
pub use crate::url::{Url, parse_url, parse_url_as};
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Clone, Debug)]
pub struct Config {
    pub engine: EngineSpec,
    pub report: RunConfig,
    pub json: Option<String>,
    pub spectrum: bool,
    /// Plan `slo:` < `--slo-file` < `ONSLAUGHT_SLO_*` < `--slo`.
    pub slo: crate::slo::SloSet,
    /// The target process or cgroup to sample (`--watch-pid`, `--watch-cgroup`).
    pub watch: Option<crate::watch::WatchSpec>,
    /// One shard of a distributed run (`--shard`, `--start-at`): its identity (crate::distributed).
    pub distributed: Option<crate::report::shards::Distributed>,
}

/// A configuration error: one line, naming the flag and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn flag<T>(name: &str, r: Result<T, String>) -> Result<T, ConfigError> {
    r.map_err(|e| ConfigError(format!("{name}: {e}")))
}

fn parse_cores(s: Option<&str>) -> Result<Vec<usize>, String> {
    let avail: Vec<usize> = core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|c| c.id).collect();
    let avail = if avail.is_empty() { vec![0] } else { avail };
    let Some(s) = s else { return Ok(avail) };
    if let Ok(n) = s.parse::<usize>() {
        if n == 0 || n > avail.len() {
            return Err(format!("'{s}': choose 1 to {} cores (this machine has {})", avail.len(), avail.len()));
        }
        return Ok(avail[..n].to_vec());
    }
    let mut list = Vec::new();
    for part in s.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let bad = || format!("'{s}' is not a core count or CPU list (e.g. 2, 0,2 or 1-3)");
        let (a, b): (usize, usize) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
        for c in a..=b {
            if !avail.contains(&c) {
                return Err(format!("CPU {c} is not available to this process (available: {avail:?})"));
            }
            if !list.contains(&c) {
                list.push(c);
            }
        }
    }
    if list.is_empty() {
        return Err(format!("'{s}' selects no CPU"));
    }
    Ok(list)
}

/// `Name: value`. Errors name the header at most, never its value (it may be a credential).
fn parse_header(h: &str) -> Result<(String, String), String> {
    let (n, v) = h
        .split_once(':')
        .ok_or_else(|| "a header has no colon: write it as 'Name: value' (the text is not shown)".to_string())?;
    let n = n.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if n.is_empty() || !n.chars().all(token) {
        return Err(format!(
            "a header name before the colon is not a valid name ({} characters; letters, digits and -)",
            n.chars().count()
        ));
    }
    if v.contains(['\r', '\n']) {
        return Err(format!("the value of '{n}' contains a line break: header values are one line"));
    }
    Ok((n.to_string(), v.trim().to_string()))
}

/// `-H`/`--body` text with its `${env:NAME}` and `${file:PATH}` references replaced by their values
/// (files relative to the working directory). Errors name the reference, never a value.
fn expand_secrets(name: &str, text: &str, env: &[(String, String)]) -> Result<String, ConfigError> {
    let (value, _) = crate::plan::expand(text, env, std::path::Path::new("."))
        .map_err(|e| ConfigError(format!("{name}: {e}; nothing was sent")))?;
    Ok(value)
}

/// `--url`, its `${env:NAME}` and `${file:PATH}` references resolved as in a plan; errors show
/// the URL as written, credentials hidden, never a resolved value.
fn quick_url(url_s: &str, env: &[(String, String)]) -> Result<Url, ConfigError> {
    let value = expand_secrets("--url", url_s, env)?;
    flag("--url", parse_url_as(&value, &crate::redact::url(url_s)))
}

/// A quick-mode `-H 'Name: value'`, its secret references resolved.
fn quick_header(h: &str, env: &[(String, String)]) -> Result<(String, String), ConfigError> {
    let (name, value) = flag("--header/-H", parse_header(h))?;
    let value = expand_secrets("--header/-H", &value, env)?;
    if value.contains(['\r', '\n']) {
        return Err(ConfigError(format!("--header/-H: a secret in the value of '{name}' contains a line break")));
    }
    Ok((name, value))
}

/// Raise RLIMIT_NOFILE to what the connections need, or say why it cannot be done.
pub fn ensure_fd_limit(connections: usize) -> Result<(), String> {
    let need = connections as u64 + 64;
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Ok(());
        }
        if lim.rlim_cur >= need {
            return Ok(());
        }
        if lim.rlim_max < need {
            return Err(format!(
                "{connections} connections need {need} file descriptors but the hard limit is {}: lower -c or raise the limit (ulimit -Hn {need}, LimitNOFILE= for systemd)",
                lim.rlim_max
            ));
        }
        lim.rlim_cur = need;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
            return Err(format!("cannot raise the file-descriptor limit to {need}: run `ulimit -n {need}` first"));
        }
    }
    Ok(())
}

/// A plan run: the plan (file < ONSLAUGHT_* env < --set), then quick-mode flags over it.
/// Every plan error is reported at once, one per line, with file:line:column.
fn from_plan(a: &RunArgs, path: &std::path::Path) -> Result<Config, ConfigError> {
    use crate::engine::work::PlanWork;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let plan = crate::plan::load_profile(path, a.profile.as_deref(), &a.sets, &env).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        ConfigError(format!("{}\n{} error(s) in the plan; nothing was sent", lines.join("\n"), errs.len()))
    })?;
    let slo = slo_set(a, Some(plan.slo.clone()), &env, &plan_labels(&plan))?;
    scenarios::check_slo(&slo, &plan)?;
    let work =
        PlanWork::new(scenarios::collapse(a, plan)).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    let t = &work.plan.target;
    let connections = plan_connections(a, t.connections)?;
    let timeout_ns = duration_flag("--timeout", &a.timeout, t.timeout_ns)?.max(1);
    let connect_timeout_ns =
        duration_flag("--connect-timeout", &a.connect_timeout, t.connect_timeout_ns)?.max(1_000_000);
    let load = &work.plan.load;
    let warmup_ns = duration_flag("--warmup", &a.warmup, load.warmup_ns)?;
    if !work.plan.scenarios.is_empty() {
        return from_scenarios(a, path, work, slo, warmup_ns);
    }
    let (stages, duration_ns) = plan_stages(a, load)?;
    // -R turns any plan into one constant open-model stage.
    let closed = load.model == crate::plan::Model::Closed && a.rate.is_none();
    // The plan's stage names, unless -R replaced its stages with one.
    let names = if a.rate.is_none() { load.names.clone() } else { Vec::new() };
    let stage_plan = stage_plans(&stages, &names, if closed { "users" } else { "req/s" });
    let stages_ns: Vec<u64> = stages.iter().map(|s| s.duration_ns).collect();
    let stages = with_warmup(stages, warmup_ns);
    let (schedule, users, connections) = match closed {
        true => closed_model(a, stages)?,
        false => (Schedule::Stages(stages), None, connections),
    };
    let mut cpus = flag("--cores", parse_cores(a.cores.as_deref().or(t.cores.as_deref())))?;
    cpus.truncate(connections);
    flag("--connections/-c", ensure_fd_limit(connections))?;
    let addr = flag("target.base_url", resolve(&t.url.host, t.url.port))?;
    let run = RunFlags::parse(a, timeout_ns)?;
    let parts = Parts { addr, connections, cpus, schedule, warmup_ns, duration_ns, timeout_ns, connect_timeout_ns };
    let report = RunConfig {
        plan: Some(path.display().to_string()),
        profile: work.plan.profile.clone(),
        labels: work.labels(),
        users: users.as_ref().map(|u| u.peak()),
        stages: stage_plan,
        label_checks: label_checks(&work.plan),
        ..parts.report(a, &run, t.base_url.clone(), "plan".into(), t.url.tls)
    };
    let tls = tls_target(&t.url, a)?;
    let work = std::sync::Arc::new(work);
    let workload = match users {
        Some(users) => Workload::Users(work, users),
        None => Workload::Plan(work),
    };
    let engine = EngineSpec { workload, stages_ns, ..engine_spec(a, &run, parts, tls) };
    assemble(a, engine, report, slo)
}

/// A plan run with `scenarios:` (config::scenarios): each its own schedule and connections.
fn from_scenarios(
    a: &RunArgs,
    path: &std::path::Path,
    work: crate::engine::work::PlanWork,
    slo: crate::slo::SloSet,
    warmup_ns: u64,
) -> Result<Config, ConfigError> {
    let work = std::sync::Arc::new(work);
    let built = scenarios::build(a, &work, warmup_ns)?;
    let t = &work.plan.target;
    let timeout_ns = duration_flag("--timeout", &a.timeout, t.timeout_ns)?.max(1);
    let connect_timeout_ns =
        duration_flag("--connect-timeout", &a.connect_timeout, t.connect_timeout_ns)?.max(1_000_000);
    let mut cpus = flag("--cores", parse_cores(a.cores.as_deref().or(t.cores.as_deref())))?;
    cpus.truncate(built.connections);
    flag("--connections/-c", ensure_fd_limit(built.connections))?;
    let addr = flag("target.base_url", resolve(&t.url.host, t.url.port))?;
    let run = RunFlags::parse(a, timeout_ns)?;
    let (schedule, connections, duration_ns) = (Schedule::Saturate, built.connections, built.duration_ns);
    let parts = Parts { addr, connections, cpus, schedule, warmup_ns, duration_ns, timeout_ns, connect_timeout_ns };
    let report = RunConfig {
        plan: Some(path.display().to_string()),
        profile: work.plan.profile.clone(),
        labels: work.labels(),
        users: built.users,
        stages: built.stages,
        scenarios: built.plans,
        label_checks: label_checks(&work.plan),
        ..parts.report(a, &run, t.base_url.clone(), "plan".into(), t.url.tls)
    };
    let tls = tls_target(&t.url, a)?;
    let stages_ns = built.scenarios.iter().flat_map(|s| s.stages_ns.iter().copied()).collect();
    let workload = Workload::Plan(work);
    let engine = EngineSpec { workload, stages_ns, scenarios: built.scenarios, ..engine_spec(a, &run, parts, tls) };
    assemble(a, engine, report, slo)
}

/// A duration flag over the plan's value.
fn duration_flag(name: &str, v: &Option<String>, plan: u64) -> Result<u64, ConfigError> {
    match v {
        Some(v) => flag(name, parse_duration(v)),
        None => Ok(plan),
    }
}

/// `-c` over the plan's `target.connections` (open model).
fn plan_connections(a: &RunArgs, plan: usize) -> Result<usize, ConfigError> {
    let Some(c) = &a.connections else { return Ok(plan.max(1)) };
    let n = c.parse().ok().filter(|c: &usize| *c > 0);
    flag("--connections/-c", n.ok_or_else(|| format!("'{c}' is not a positive number of connections")))
}

/// The plan's stages and measured duration, or `-R` (with `-d`) as one constant stage instead.
fn plan_stages(a: &RunArgs, load: &crate::plan::Load) -> Result<(Vec<RateStage>, u64), ConfigError> {
    match (&a.rate, &a.duration) {
        (Some(r), d) => {
            let rate = flag("--rate/-R", parse_rate(r))?;
            let duration_ns = duration_flag("--duration/-d", d, load.duration_ns())?;
            Ok((vec![RateStage { duration_ns, from: rate, to: rate }], duration_ns))
        }
        (None, Some(_)) => Err(ConfigError("--duration/-d: a plan's duration comes from its stages; give -R too (one constant stage), or --set load.stages[N].duration=...".into())),
        (None, None) => Ok((
            load.stages.iter().map(|s| RateStage { duration_ns: s.duration_ns, from: s.from, to: s.to }).collect(),
            load.duration_ns(),
        )),
    }
}

/// A warm-up is the schedule's first stage, at the first stage's starting rate.
pub(crate) fn with_warmup(mut stages: Vec<RateStage>, warmup_ns: u64) -> Vec<RateStage> {
    if warmup_ns > 0 {
        let first = stages.first().map_or(crate::units::Rate { num: 0, den: 1 }, |s| s.from);
        stages.insert(0, RateStage { duration_ns: warmup_ns, from: first, to: first });
    }
    stages
}

/// The closed model: the stages count virtual users, each with its own connection (no `-c`).
fn closed_model(
    a: &RunArgs,
    stages: Vec<RateStage>,
) -> Result<(Schedule, Option<crate::schedule::UserStages>, usize), ConfigError> {
    let users = crate::schedule::UserStages(stages);
    if a.connections.is_some() {
        return Err(ConfigError(format!(
            "--connections/-c: the closed model opens one connection per virtual user ({} at the peak); change the users in the plan's stages instead",
            users.peak()
        )));
    }
    let peak = usize::try_from(users.peak()).unwrap_or(usize::MAX).max(1);
    Ok((Schedule::Saturate, Some(users), peak))
}

/// The run's Config from its parts, with what every run takes from the flags alike.
fn assemble(
    a: &RunArgs,
    engine: EngineSpec,
    report: RunConfig,
    slo: crate::slo::SloSet,
) -> Result<Config, ConfigError> {
    Ok(Config {
        engine,
        report,
        json: a.json.clone(),
        spectrum: a.latency,
        slo,
        watch: watch_of(a)?,
        distributed: None,
    })
}

/// The measured stages as reports show them: the name (the plan's, else "stage N"), start and
/// end in seconds, the target.
pub(crate) fn stage_plans(
    stages: &[crate::schedule::RateStage],
    names: &[String],
    unit: &str,
) -> Vec<crate::report::StagePlan> {
    let mut start = 0u64;
    stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let end = start + s.duration_ns;
            let target =
                if s.from == s.to { format!("{} {unit}", s.from) } else { format!("{} -> {} {unit}", s.from, s.to) };
            let p = crate::report::StagePlan {
                name: names.get(i).cloned().unwrap_or_else(|| format!("stage {}", i + 1)),
                start_s: start as f64 / 1e9,
                end_s: end as f64 / 1e9,
                target,
            };
            start = end;
            p
        })
        .collect()
}

/// https: the rustls client configuration from --cacert/--cert/--key/--insecure (errors name
/// the flag); None for http.
fn tls_target(url: &Url, a: &RunArgs) -> Result<Option<crate::engine::TlsTarget>, ConfigError> {
    use crate::engine::tls;
    if !url.tls {
        return Ok(None);
    }
    let opts = tls::TlsOptions {
        cacert: a.cacert.clone(),
        client_cert: a.cert.clone(),
        client_key: a.key.clone(),
        insecure: a.insecure,
    };
    let config = tls::client_config(&opts).map_err(ConfigError)?;
    let name = tls::server_name(&url.host).map_err(|e| ConfigError(format!("--url: {e}")))?;
    Ok(Some(crate::engine::TlsTarget { config, name }))
}

/// What quick and plan mode each decide for themselves.
struct Parts {
    addr: SocketAddr,
    connections: usize,
    cpus: Vec<usize>,
    schedule: Schedule,
    warmup_ns: u64,
    duration_ns: u64,
    timeout_ns: u64,
    connect_timeout_ns: u64,
}

impl Parts {
    /// The configuration as reports show it. The target rate is what the schedule intends over
    /// the measured window (warm-up excluded) divided by its length: the same window the achieved
    /// rate is measured over.
    fn report(&self, a: &RunArgs, run: &RunFlags, url: String, method: String, tls: bool) -> RunConfig {
        let (w, d) = (self.warmup_ns, self.duration_ns);
        let slots = |t: u64| self.schedule.slots_before(t);
        let target_rate = slots(w + d).zip(slots(w)).map(|(end, start)| (end - start) as f64 / (d as f64 / 1e9));
        RunConfig {
            url,
            method,
            target_rate,
            connections: self.connections,
            cores: self.cpus.len(),
            duration_s: d as f64 / 1e9,
            warmup_s: w as f64 / 1e9,
            timeout_s: self.timeout_ns as f64 / 1e9,
            max_send_lag_ms: run.max_send_lag_ns as f64 / 1e6,
            max_error_rate: run.max_error_rate,
            tls_insecure: tls && a.insecure,
            plan: None,
            profile: None,
            labels: Vec::new(),
            users: None,
            stages: Vec::new(),
            scenarios: Vec::new(),
            label_checks: Vec::new(),
        }
    }
}

/// The engine spec both modes share; the workload (request bytes or plan) is set by the caller.
fn engine_spec(a: &RunArgs, run: &RunFlags, p: Parts, tls: Option<crate::engine::TlsTarget>) -> EngineSpec {
    EngineSpec {
        addr: p.addr,
        workload: Workload::Single(Default::default()),
        keep_alive: !a.no_keepalive,
        connections: p.connections,
        cpus: p.cpus,
        schedule: p.schedule,
        warmup_ns: p.warmup_ns,
        duration_ns: p.duration_ns,
        timeout_ns: p.timeout_ns,
        connect_timeout_ns: p.connect_timeout_ns,
        grace_ns: run.grace_ns,
        interval_ns: run.interval_ns,
        spin_ns: run.spin_ns,
        send_window_ns: run.send_window_ns,
        ok_status: (200, 399),
        tls,
        stages_ns: Vec::new(),
        shard: Default::default(),
        start_at: None,
        scenarios: Vec::new(),
    }
}

/// The flags that mean the same in quick and plan mode.
struct RunFlags {
    grace_ns: u64,
    interval_ns: u64,
    spin_ns: u64,
    send_window_ns: u64,
    max_send_lag_ns: u64,
    /// A fraction (the flag is a percentage).
    max_error_rate: f64,
}

impl RunFlags {
    fn parse(a: &RunArgs, timeout_ns: u64) -> Result<RunFlags, ConfigError> {
        let dur = |name: &str, v: &str| flag(name, parse_duration(v));
        let interval_ns = dur("--interval", &a.interval)?;
        if interval_ns < 10_000_000 {
            return Err(ConfigError("--interval: must be at least 10ms".into()));
        }
        let v = &a.max_error_rate;
        let pct = v.trim_end_matches('%').parse().ok().filter(|p: &f64| (0.0..=100.0).contains(p));
        let pct = flag("--max-error-rate", pct.ok_or_else(|| format!("'{v}' is not a percentage from 0 to 100")))?;
        Ok(RunFlags {
            grace_ns: a.grace.as_deref().map_or(Ok(timeout_ns), |g| dur("--grace", g))?,
            interval_ns,
            spin_ns: dur("--spin", &a.spin)?,
            send_window_ns: dur("--send-window", &a.send_window)?,
            max_send_lag_ns: dur("--max-send-lag", &a.max_send_lag)?,
            max_error_rate: pct / 100.0,
        })
    }
}

/// `--watch-pid` / `--watch-cgroup`, checked now: a missing process or cgroup is a usage error.
fn watch_of(a: &RunArgs) -> Result<Option<crate::watch::WatchSpec>, ConfigError> {
    crate::watch::parse_watch(a.watch_pid.as_deref(), a.watch_cgroup.as_deref()).map_err(ConfigError)
}

/// Resolve once, at start.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let mut addrs = (host, port).to_socket_addrs().map_err(|e| format!("cannot resolve host '{host}': {e}"))?;
    addrs.next().ok_or_else(|| format!("host '{host}' resolves to no address"))
}

pub fn from_args(a: &RunArgs) -> Result<Config, ConfigError> {
    let whole = match &a.plan {
        Some(plan) => from_plan(a, plan)?,
        None => quick(a)?,
    };
    shard::shard_config(a, whole)
}

/// `-m`, upper-cased: letters only.
fn quick_method(m: &str) -> Result<String, ConfigError> {
    let method = m.to_ascii_uppercase();
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ConfigError(format!("--method/-m: '{m}' is not an HTTP method (GET, POST, ...)")));
    }
    Ok(method)
}

/// `--body`: `@FILE` read as bytes, else the text with its secret references resolved.
fn quick_body(body: Option<&str>, env: &[(String, String)]) -> Result<Vec<u8>, ConfigError> {
    match body {
        Some(b) if b.starts_with('@') => {
            flag("--body", std::fs::read(&b[1..]).map_err(|e| format!("cannot read '{}': {e}", &b[1..])))
        }
        Some(b) => Ok(expand_secrets("--body", b, env)?.into_bytes()),
        None => Ok(Vec::new()),
    }
}

/// The Host header: the port only when it is not the scheme's, an IPv6 address in brackets.
fn host_header(url: &Url) -> String {
    if url.port == if url.tls { 443 } else { 80 } {
        url.host.clone()
    } else if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    }
}

/// Quick mode: one request from the flags.
fn quick(a: &RunArgs) -> Result<Config, ConfigError> {
    let url_s = a.url.as_deref().ok_or_else(|| ConfigError(NO_URL.into()))?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let url = quick_url(url_s, &env)?;
    let schedule = match &a.rate {
        Some(r) => Schedule::Constant(flag("--rate/-R", parse_rate(r))?),
        None => Schedule::Saturate,
    };
    let connections = plan_connections(a, 50)?;
    let t = QuickTimes::of(a)?;
    let run = RunFlags::parse(a, t.timeout_ns)?;
    let mut cpus = flag("--cores", parse_cores(a.cores.as_deref()))?;
    // A core without a connection could never serve its share of the schedule.
    cpus.truncate(connections);
    let (request, method) = quick_request(a, &url, &env)?;
    flag("--connections/-c", ensure_fd_limit(connections))?;
    let addr: SocketAddr = flag("--url", resolve(&url.host, url.port))?;
    let QuickTimes { warmup_ns, duration_ns, timeout_ns, connect_timeout_ns } = t;
    let parts = Parts { addr, connections, cpus, schedule, warmup_ns, duration_ns, timeout_ns, connect_timeout_ns };
    let shown = if a.show_query { url_s.to_string() } else { crate::redact::url(url_s) };
    let report = parts.report(a, &run, shown, method.clone(), url.tls);
    let engine = EngineSpec {
        workload: Workload::Single(std::sync::Arc::new(crate::engine::Single {
            bytes: request,
            head: method == "HEAD",
            idempotent: crate::http::request::idempotent(&method),
        })),
        ..engine_spec(a, &run, parts, tls_target(&url, a)?)
    };
    let slo = slo_set(a, None, &env, &[])?;
    assemble(a, engine, report, slo)
}

const NO_URL: &str =
    "--url: missing: give the target, e.g. --url http://127.0.0.1:8080/, or a test plan: onslaught run PLAN.yaml";

/// Quick mode's durations from the flags, with their defaults (10 s run, 10 s timeout, 2 s
/// connect timeout, no warm-up), ns.
struct QuickTimes {
    warmup_ns: u64,
    duration_ns: u64,
    timeout_ns: u64,
    connect_timeout_ns: u64,
}

impl QuickTimes {
    fn of(a: &RunArgs) -> Result<QuickTimes, ConfigError> {
        let dur =
            |name: &str, v: &Option<String>, default: &str| flag(name, parse_duration(v.as_deref().unwrap_or(default)));
        let duration_ns = dur("--duration/-d", &a.duration, "10s")?;
        if duration_ns == 0 {
            return Err(ConfigError("--duration/-d: must be longer than 0s".into()));
        }
        let timeout_ns = dur("--timeout", &a.timeout, "10s")?;
        if timeout_ns == 0 {
            return Err(ConfigError("--timeout: must be longer than 0s".into()));
        }
        let connect_timeout_ns = dur("--connect-timeout", &a.connect_timeout, "2s")?.max(1_000_000);
        let warmup_ns = dur("--warmup", &a.warmup, "0s")?;
        Ok(QuickTimes { warmup_ns, duration_ns, timeout_ns, connect_timeout_ns })
    }
}

/// Quick mode's request bytes (`-m`, `-H`, `--body`, keep-alive unless `--no-keepalive`) and
/// its method.
fn quick_request(a: &RunArgs, url: &Url, env: &[(String, String)]) -> Result<(Vec<u8>, String), ConfigError> {
    let headers = a.headers.iter().map(|h| quick_header(h, env)).collect::<Result<Vec<_>, _>>()?;
    let method = quick_method(&a.method)?;
    let body = quick_body(a.body.as_deref(), env)?;
    let request = render(&RequestSpec {
        method: &method,
        target: &url.target,
        host: &host_header(url),
        headers: &headers,
        body: &body,
        keep_alive: !a.no_keepalive,
    });
    Ok((request, method))
}

/// The names SLOs may scope to: every request label of the plan.
/// Per label: its checks and extractions as a person reads them, by index (for the report's
/// per-check failure counts).
fn label_checks(plan: &crate::plan::Plan) -> Vec<crate::report::LabelChecks> {
    plan.steps()
        .map(|(_, s)| crate::report::LabelChecks {
            checks: s.check.list().iter().map(|c| c.to_string()).collect(),
            extracts: s.extract.iter().map(|e| format!("{} <- {}", e.name, e.from)).collect(),
        })
        .collect()
}

fn plan_labels(plan: &crate::plan::Plan) -> Vec<String> {
    plan.steps().map(|(_, s)| s.label.clone()).collect()
}

/// The SLOs of a run, each source over the one before: plan < `--slo-file` < env < `--slo`.
/// An endpoint scope must name a request of the plan.
fn slo_set(
    a: &RunArgs,
    plan: Option<crate::slo::SloSet>,
    env: &[(String, String)],
    labels: &[String],
) -> Result<crate::slo::SloSet, ConfigError> {
    use crate::slo::{Scope, parse};
    let mut set = plan.unwrap_or_default();
    if let Some(file) = &a.slo_file {
        let over = crate::plan::load_slo_file(file).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            ConfigError(format!(
                "{}
--slo-file: {} error(s); nothing was sent",
                lines.join("\n"),
                errs.len()
            ))
        })?;
        set.overlay(over);
    }
    set.overlay(parse::env(env).map_err(ConfigError)?);
    set.overlay(flag("--slo", parse::flags(&a.slo))?);
    let judged = |r: &&crate::slo::Rule| r.scope == Scope::Total && crate::slo::breaker::judges(r.metric);
    if set.abort_on_fail_ns.is_some() && !set.rules.iter().any(|r| judged(&r)) {
        return Err(ConfigError(format!(
            "slo: abort_on_fail needs a global criterion it can judge each interval ({}); add e.g. p99=400ms or error_rate=1%",
            crate::slo::breaker::JUDGED
        )));
    }
    for r in &set.rules {
        if let Scope::Endpoint(name) = &r.scope
            && !labels.contains(name)
        {
            let known = if labels.is_empty() {
                "quick mode has no named requests".to_string()
            } else {
                format!("the plan's requests are {}", labels.join(", "))
            };
            return Err(ConfigError(format!(
                "slo: endpoint `{name}` ({}) is not a request of this run: {known}",
                r.criterion()
            )));
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/a?b=1").unwrap(),
            Url { host: "127.0.0.1".into(), port: 8080, tls: false, target: "/a?b=1".into() }
        );
        assert_eq!(
            parse_url("http://localhost").unwrap(),
            Url { host: "localhost".into(), port: 80, tls: false, target: "/".into() }
        );
        assert_eq!(
            parse_url("http://[::1]:9/x").unwrap(),
            Url { host: "::1".into(), port: 9, tls: false, target: "/x".into() }
        );
        for bad in ["127.0.0.1:8080", "http://", "http://h:0/", "http://h:99999/", "ftp://x", "http://h:x/"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(parse_header("X-A: b c").unwrap(), ("X-A".into(), "b c".into()));
        assert!(parse_header("NoColon").is_err());
        assert!(parse_header(": v").is_err());
        assert!(parse_header("Bad Name: v").is_err());
        let env = vec![("TOKEN".to_string(), "t-9f8e".to_string()), ("NL".to_string(), "a\nb".to_string())];
        let h = quick_header("Authorization: Bearer ${env:TOKEN}", &env).unwrap();
        assert_eq!(h, ("Authorization".into(), "Bearer t-9f8e".into()));
        let e = quick_header("Authorization: Bearer ${env:NOPE}", &env).unwrap_err().0;
        assert!(e.starts_with("--header/-H: environment variable `NOPE` is not set"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        let e = quick_header("X-A: ${env:NL}", &env).unwrap_err().0;
        assert_eq!(e, "--header/-H: a secret in the value of 'X-A' contains a line break");
    }

    #[test]
    fn bad_flags_name_the_flag() {
        let base = RunArgs { url: Some("http://127.0.0.1:1/".into()), ..Default::default() };
        type Case = (&'static str, fn(&mut RunArgs));
        let cases: [Case; 5] = [
            ("--rate", |a| a.rate = Some("0".into())),
            ("--rate", |a| a.rate = Some("-5".into())),
            ("--duration", |a| a.duration = Some("abc".into())),
            ("--header", |a| a.headers = vec!["nocolon".into()]),
            ("--url", |a| a.url = Some("not a url".into())),
        ];
        for (name, f) in cases {
            let mut a = RunArgs {
                connections: Some("1".into()),
                duration: Some("1s".into()),
                timeout: Some("1s".into()),
                connect_timeout: Some("1s".into()),
                warmup: Some("0s".into()),
                interval: "1s".into(),
                spin: "0s".into(),
                send_window: "0s".into(),
                max_send_lag: "1ms".into(),
                max_error_rate: "1".into(),
                method: "GET".into(),
                ..base.clone()
            };
            f(&mut a);
            let e = from_args(&a).unwrap_err();
            assert!(e.0.starts_with(name), "{name}: {e}");
        }
    }
}
