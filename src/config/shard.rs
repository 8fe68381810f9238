//! A distributed run's shard (docs/distributed.md): the whole-run Config into shard K's
//! (`--shard K/N`, or a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`), its common start and the
//! digest that ties the shards of one run together. Part of assembling a run, so it lives with
//! config; crate::distributed re-exports it beside the merge and the manifests.
use super::{Config, ConfigError};
use crate::cli::RunArgs;
use crate::cli::distributed::ShardArgs;
use crate::report::shards::{Distributed, LATE_BOUND_MS, ShardClock, SloSpec};
use crate::schedule::ShardOf;

/// The index a Kubernetes Indexed Job gives each pod.
pub const ENV_INDEX: &str = "JOB_COMPLETION_INDEX";
/// The shard count, when `--shards` is not given (not a plan override: crate::plan::RUN_VARS).
pub const ENV_SHARDS: &str = crate::plan::RUN_VARS[0];
/// The common start, when `--start-at` is not given.
pub const ENV_START_AT: &str = crate::plan::RUN_VARS[1];

/// `K/N` → shard K of N.
pub fn parse_shard(s: &str) -> Result<ShardOf, String> {
    let bad = || format!("'{s}' is not K/N: give the shard index (from 0) and the shard count, e.g. --shard 0/4");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if count == 0 || index >= count {
        return Err(format!("'{s}': the index must be 0 to {} for {count} shards", count.saturating_sub(1)));
    }
    Ok(ShardOf { index, count })
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `--shard K/N`; else the count from `--shards`/$ONSLAUGHT_SHARDS and the index from
/// $JOB_COMPLETION_INDEX. None: not sharded ($JOB_COMPLETION_INDEX alone is not ours to read).
pub fn resolve_shard(a: &ShardArgs, env: &[(String, String)]) -> Result<Option<ShardOf>, ConfigError> {
    if let Some(s) = &a.shard {
        return parse_shard(s).map(Some).map_err(|e| ConfigError(format!("--shard: {e}")));
    }
    let (name, count) = match (&a.shards, var(env, ENV_SHARDS)) {
        (Some(n), _) => ("--shards", n.as_str()),
        (None, Some(n)) => ("$ONSLAUGHT_SHARDS", n),
        (None, None) => return Ok(None),
    };
    let Some(index) = var(env, ENV_INDEX) else {
        return Err(ConfigError(format!(
            "{name}: {count} shards, but which one is this? Give --shard K/{count}, or run it in a Kubernetes Indexed Job (which sets ${ENV_INDEX})"
        )));
    };
    parse_shard(&format!("{index}/{count}"))
        .map(Some)
        .map_err(|e| ConfigError(format!("{name} with ${ENV_INDEX}={index}: {e}")))
}

/// `--start-at`/$ONSLAUGHT_START_AT, ns since the Unix epoch: not more than a day ahead, and not
/// so far behind that the whole run is over.
fn resolve_start(a: &ShardArgs, env: &[(String, String)], run_ns: u64) -> Result<Option<u64>, ConfigError> {
    let (name, text) = match (&a.start_at, var(env, ENV_START_AT)) {
        (Some(t), _) => ("--start-at", t.as_str()),
        (None, Some(t)) => ("$ONSLAUGHT_START_AT", t),
        (None, None) => return Ok(None),
    };
    let at = crate::distributed::start::parse_time(text).map_err(|e| ConfigError(format!("{name}: {e}")))?;
    let now = crate::distributed::start::wall_now_ns();
    if at > now + 86_400_000_000_000 {
        return Err(ConfigError(format!(
            "{name}: {} is more than a day ahead; choose a nearer start",
            crate::distributed::start::format_time(at)
        )));
    }
    if at + run_ns < now {
        return Err(ConfigError(format!(
            "{name}: {} is {:.1}s ago, longer than the whole run: choose a time ahead (every shard waits for it)",
            crate::distributed::start::format_time(at),
            (now - at) as f64 / 1e9
        )));
    }
    Ok(Some(at))
}

/// The whole-run Config into this shard's, or unchanged when not distributed.
pub fn shard_config(a: &RunArgs, mut cfg: Config) -> Result<Config, ConfigError> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let shard = resolve_shard(&a.shard, &env)?;
    let run_ns = cfg.engine.warmup_ns + cfg.engine.duration_ns;
    let start_at = resolve_start(&a.shard, &env, run_ns)?;
    if shard.is_none() && start_at.is_none() {
        return Ok(cfg);
    }
    let shard = shard.unwrap_or_default();
    let plan_digest = digest(a, &cfg);
    split(&mut cfg, shard)?;
    let map = crate::distributed::start::ClockMap::read();
    cfg.engine.start_at = start_at.map(|at| map.monotonic(at));
    let slo = SloSpec::of(&cfg.slo);
    if shard.count > 1 {
        // A shard sees part of the load: its SLOs and breakers are judged on the merged result.
        cfg.slo = crate::slo::SloSet::default();
    }
    cfg.distributed = Some(Distributed {
        plan_digest,
        shards: shard.count,
        shard: Some(shard.index),
        start_at_unix_ns: start_at,
        start_at: start_at.map(crate::distributed::start::format_time),
        clock: start_at.map(|_| ShardClock {
            wall_minus_monotonic_s: map.offset_ns as f64 / 1e9,
            mapping_uncertainty_us: map.uncertainty_ns as f64 / 1e3,
            late_bound_ms: LATE_BOUND_MS,
            ..ShardClock::default()
        }),
        slo,
        ..Distributed::default()
    });
    Ok(cfg)
}

/// Take shard K's part: its connections (the closed model: its users), its cores, its rate.
fn split(cfg: &mut Config, shard: ShardOf) -> Result<(), ConfigError> {
    let e = &mut cfg.engine;
    let total = e.connections as u64;
    let mine = shard.share(total);
    // Refused on every shard alike, not only on those that would get none.
    if total < shard.count {
        let what = if e.workload.users().is_some() { "virtual users at the peak" } else { "connections" };
        return Err(ConfigError(format!(
            "--shard: the run has {total} {what}, fewer than its {} shards: every shard needs one; use at most {total} shards{}",
            shard.count,
            if e.workload.users().is_some() { "" } else { " or raise -c" }
        )));
    }
    e.shard = shard;
    e.cpus.truncate(mine as usize);
    let r = &mut cfg.report;
    r.connections = mine as usize;
    r.cores = e.cpus.len();
    r.users = r.users.map(|_| mine);
    let (w, d) = (e.warmup_ns, e.duration_ns);
    let slots = |t: u64| e.schedule.slots_before(t).map(|n| shard.share(n));
    r.target_rate = slots(w + d).zip(slots(w)).map(|(end, start)| (end - start) as f64 / (d as f64 / 1e9));
    super::scenarios::share_targets(cfg, shard);
    Ok(())
}

/// FNV-1a over everything that makes two shards parts of one run: the plan file and its
/// overrides, the schedule, the window, the interval and the SLOs. Cores and connections may
/// differ from host to host and are left out.
fn digest(a: &RunArgs, cfg: &Config) -> String {
    let mut h = Fnv::new();
    if let Some(p) = &a.plan {
        h.write(&std::fs::read(p).unwrap_or_default());
    }
    for s in &a.sets {
        h.write(s.as_bytes());
    }
    let e = &cfg.engine;
    let shape = format!(
        "{:?}|{:?}|{}|{}|{}|{}|{:?}",
        e.schedule,
        e.workload.users(),
        e.warmup_ns,
        e.duration_ns,
        e.interval_ns,
        e.timeout_ns,
        e.stages_ns
    );
    h.write(shape.as_bytes());
    // The plan's path may differ from host to host; its bytes are hashed above.
    let r = crate::report::RunConfig { connections: 0, cores: 0, plan: None, ..cfg.report.clone() };
    h.write(serde_json::to_string(&r).unwrap_or_default().as_bytes());
    h.write(serde_json::to_string(&SloSpec::of(&cfg.slo)).unwrap_or_default().as_bytes());
    format!("{:016x}", h.0)
}

struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes.iter().chain(&[0xff]) {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_flags_and_the_indexed_job_environment() {
        let none = ShardArgs::default();
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let flag = ShardArgs { shard: Some("2/3".into()), ..none.clone() };
        assert_eq!(resolve_shard(&flag, &[]).unwrap(), Some(ShardOf { index: 2, count: 3 }));
        let job = env(&[(ENV_INDEX, "3"), (ENV_SHARDS, "4")]);
        assert_eq!(resolve_shard(&none, &job).unwrap(), Some(ShardOf { index: 3, count: 4 }));
        let count = ShardArgs { shards: Some("8".into()), ..none.clone() };
        assert_eq!(resolve_shard(&count, &job).unwrap(), Some(ShardOf { index: 3, count: 8 }));
        assert_eq!(resolve_shard(&none, &env(&[(ENV_INDEX, "1")])).unwrap(), None);
        let e = resolve_shard(&count, &[]).unwrap_err().0;
        assert!(e.starts_with("--shards: 8 shards, but which one") && e.contains(ENV_INDEX), "{e}");
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            let a = ShardArgs { shard: Some(bad.into()), ..none.clone() };
            assert!(resolve_shard(&a, &[]).unwrap_err().0.starts_with("--shard: "), "{bad}");
        }
    }
}
