//! The command-line types of distributed runs (clap derive): `--shard`/`--shards`/`--start-at`
//! (flattened into `run` and `gate`), `onslaught merge` and `onslaught k8s`.
use super::WriterArgs;
use clap::Args;

/// Which part of the plan this runner takes, and when it starts (docs/distributed.md).
#[derive(Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Run shard K of N (0-based): the slots i ≡ K (mod N) of the plan's one schedule (closed
    /// model: its users v ≡ K (mod N)). Merge the N result files with `onslaught merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The shard count, the index coming from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    /// Also $ONSLAUGHT_SHARDS.
    #[arg(long, value_name = "N")]
    pub shards: Option<String>,
    /// Start t0 at this wall-clock instant (RFC 3339, e.g. 2026-01-31T12:00:00Z, or Unix
    /// seconds), so that every shard runs on one time base. Also $ONSLAUGHT_START_AT.
    #[arg(long = "start-at", value_name = "TIME")]
    pub start_at: Option<String>,
}

impl ShardArgs {
    pub fn is_set(&self) -> bool {
        self.shard.is_some() || self.shards.is_some() || self.start_at.is_some()
    }
}

#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// The shards' result files (`run --shard K/N --out FILE`), one per shard.
    #[arg(required = true)]
    pub results: Vec<std::path::PathBuf>,
    /// Write the merged result file (summary plus every histogram) to FILE.
    #[arg(long)]
    pub out: Option<String>,
    /// Write the merged JSON summary to FILE.
    #[arg(long)]
    pub json: Option<String>,
    /// Print the full latency percentile spectrum.
    #[arg(long)]
    pub latency: bool,
    #[command(flatten)]
    pub writers: WriterArgs,
    /// An SLO judged on the merged result (as `run --slo`), over those the shards were given.
    #[arg(long = "slo")]
    pub slo: Vec<String>,
    /// SLOs from a YAML file (the plan's `slo:` mapping at its top level).
    #[arg(long = "slo-file")]
    pub slo_file: Option<std::path::PathBuf>,
    /// Merge what is there when shards are missing: the result is marked partial (INVALID RUN).
    #[arg(long = "allow-partial")]
    pub allow_partial: bool,
}

#[derive(Args, Debug, Clone)]
pub struct K8sArgs {
    /// The test plan (YAML): it goes into a ConfigMap.
    pub plan: std::path::PathBuf,
    /// Number of shards (pods, each on its own node).
    #[arg(long)]
    pub shards: u64,
    /// Container image with onslaught (at /usr/local/bin/onslaught or on PATH) and /bin/sh.
    #[arg(long)]
    pub image: String,
    /// Common start this long after the manifests are printed (time to schedule the pods and
    /// pull the image).
    #[arg(long = "start-in", default_value = "60s", conflicts_with = "start_at")]
    pub start_in: String,
    /// Common start at this instant instead (RFC 3339 or Unix seconds).
    #[arg(long = "start-at")]
    pub start_at: Option<String>,
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Name of the Job (and prefix of the other objects).
    #[arg(long, default_value = "onslaught")]
    pub name: String,
    /// Whole cores requested (and limited) per shard.
    #[arg(long = "cores-per-shard", default_value_t = 4)]
    pub cores_per_shard: u32,
    /// Memory requested (and limited) per shard.
    #[arg(long, default_value = "2Gi")]
    pub memory: String,
    /// Storage class of the shared results volume (it must support ReadWriteMany).
    #[arg(long = "storage-class")]
    pub storage_class: Option<String>,
    /// Run the plan's profile NAME on every shard (checked here: an unknown one is exit 2).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}
