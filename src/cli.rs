//! Command-line types only (clap derive). Validation into a Config happens in config.rs.
pub mod distributed;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "onslaught",
    version,
    about = "HTTP/1.1 load generator with honest (coordinated-omission-corrected) latency"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate load against a URL (quick mode, wrk2's flags).
    Run(Box<RunArgs>),
    /// Validate a test plan and print it expanded (stages, expected requests, weights); sends nothing.
    Check(CheckArgs),
    /// Run, judge the SLOs, run --on-fail on failure and append to a deployment report
    /// (a promotion gate; exit code as `run`'s).
    Gate(Box<GateArgs>),
    /// Find the highest rate the target sustains at its SLO: ramp constant-rate steps, bisect,
    /// confirm; report the maximum, knee, collapse and a recommended operating rate.
    Breakpoint(Box<BreakpointArgs>),
    /// Run the built-in target server (for demos, runner calibration and tests).
    Serve(ServeArgs),
    /// Regenerate reports from a result file written by `run --out`.
    Report(ReportArgs),
    /// Compare two runs (result files or JSON summaries): a Markdown table of deltas; exit 1 on a regression.
    Compare(CompareArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), e.g.
    /// `onslaught completions bash > /etc/bash_completion.d/onslaught`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `onslaught man > /usr/local/share/man/man1/onslaught.1`.
    Man,
    /// Merge the result files of a sharded run (`run --shard K/N --out`) exactly, and judge the
    /// SLOs once, on the merged result (exit code as `run`'s).
    Merge(Box<distributed::MergeArgs>),
    /// Print Kubernetes manifests that run a plan as N shards (an Indexed Job) and merge them.
    K8s(distributed::K8sArgs),
}

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// A test plan (YAML). Flags given beside it override the plan.
    pub plan: Option<std::path::PathBuf>,
    /// Override any scalar of the plan: --set load.warmup=10s (repeatable).
    #[arg(long = "set")]
    pub sets: Vec<String>,
    /// Lay the plan's profile NAME (its `load` and `slo`) over the plan: smoke, ci, load, stress,
    /// spike, soak, breakpoint, ... as the plan defines them. [env: ONSLAUGHT_PROFILE]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Target URL, e.g. http://127.0.0.1:8080/
    #[arg(long, short = 'u')]
    pub url: Option<String>,
    /// Constant arrival rate in requests/s (20k, 1.5M, 0.5). Without it: closed loop, as fast as possible.
    #[arg(long = "rate", short = 'R', allow_hyphen_values = true)]
    pub rate: Option<String>,
    /// Connections in total, split evenly over cores.
    /// [default: 50]
    #[arg(long = "connections", short = 'c', allow_hyphen_values = true)]
    pub connections: Option<String>,
    /// Measured duration (250ms, 10s, 2m, 1h).
    /// [default: 10s]
    #[arg(long = "duration", short = 'd', allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// Cores to use: a count (2) or a CPU list (0,2 or 1-3). Default: all.
    #[arg(long)]
    pub cores: Option<String>,
    /// Request header 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H')]
    pub headers: Vec<String>,
    /// HTTP method.
    #[arg(long = "method", short = 'm', default_value = "GET")]
    pub method: String,
    /// Request body: text, or @FILE to read it from a file.
    #[arg(long)]
    pub body: Option<String>,
    /// Total deadline per request, from its send.
    /// [default: 10s]
    #[arg(long)]
    pub timeout: Option<String>,
    /// Connect timeout.
    /// [default: 2s]
    #[arg(long = "connect-timeout")]
    pub connect_timeout: Option<String>,
    /// Warm-up before the measured window, excluded from the results.
    /// [default: 0s]
    #[arg(long)]
    pub warmup: Option<String>,
    /// How long to wait for responses in flight after the last slot (default: the timeout).
    #[arg(long)]
    pub grace: Option<String>,
    /// Timeline interval.
    #[arg(long, default_value = "1s")]
    pub interval: String,
    /// Spin this long before each intended time instead of sleeping (0 = off).
    #[arg(long, default_value = "0s")]
    pub spin: String,
    /// Send the requests due within each window of this width together, at its end (never
    /// early): fewer wake-ups of generator and target, at up to this much send lag. Latency
    /// still runs from each request's own intended time (0 = each at its own instant).
    #[arg(long = "send-window", default_value = "0s")]
    pub send_window: String,
    /// Send-lag p99 above which the run is marked generator-bound.
    #[arg(long = "max-send-lag", default_value = "1ms")]
    pub max_send_lag: String,
    /// Error rate (percent) above which the run fails.
    #[arg(long = "max-error-rate", default_value = "1")]
    pub max_error_rate: String,
    /// https: trust only the CA certificates in this PEM file (instead of the system roots).
    #[arg(long)]
    pub cacert: Option<std::path::PathBuf>,
    /// https: client certificate (PEM), with --key.
    #[arg(long)]
    pub cert: Option<std::path::PathBuf>,
    /// https: client private key (PEM), with --cert.
    #[arg(long)]
    pub key: Option<std::path::PathBuf>,
    /// https: accept any server certificate (NOT verified: the report says so).
    #[arg(long)]
    pub insecure: bool,
    /// A new connection for every request (measures connect and handshake costs).
    #[arg(long = "no-keepalive")]
    pub no_keepalive: bool,
    /// Print the full latency percentile spectrum.
    #[arg(long)]
    pub latency: bool,
    /// Write the result as JSON to FILE.
    #[arg(long)]
    pub json: Option<String>,
    /// An SLO: METRIC=THRESHOLD (p95=200ms, error_rate=1%, throughput=100/s, checks=99%), scoped
    /// with endpoint:NAME: or stage:NAME:, or abort_on_fail=30s, abort_if='error_rate > 5% for 10s'.
    /// Repeatable; overrides ONSLAUGHT_SLO_*, --slo-file and the plan's slo:.
    #[arg(long = "slo")]
    pub slo: Vec<String>,
    /// SLOs from a YAML file (the plan's `slo:` mapping at its top level).
    #[arg(long = "slo-file")]
    pub slo_file: Option<std::path::PathBuf>,
    /// No live progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Show the URL's query values in reports and on the terminal (hidden by default, as
    /// `?api_key=***`: a query often carries a key). A `${env:NAME}` in the URL is never shown resolved.
    #[arg(long = "show-query")]
    pub show_query: bool,
    /// Write the result file (summary plus every histogram) to FILE: `onslaught report` and
    /// `onslaught compare` read it.
    #[arg(long)]
    pub out: Option<String>,
    #[command(flatten)]
    pub writers: WriterArgs,
    /// Serve the run's metrics for Prometheus to scrape during the run, at http://ADDR/metrics
    /// (e.g. 0.0.0.0:9464; port 0 picks a free one, printed on stderr). Same names and labels
    /// as --prom, plus the current interval's (docs/reports.md).
    #[arg(long = "metrics-listen", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// After the run, keep serving --metrics-listen until the final values have been scraped
    /// once, or this long at most (e.g. 30s: one scrape interval of your Prometheus).
    #[arg(long = "metrics-hold", value_name = "DURATION", default_value = "0s", requires = "metrics_listen")]
    pub metrics_hold: String,
    /// Push the live metrics to --push-gateway every DURATION during the run (e.g. 15s), not only
    /// at the end.
    #[arg(long = "push-every", value_name = "DURATION", requires = "push_gateway")]
    pub push_every: Option<String>,
    /// Sample this process's CPU and memory each interval (the target, if it runs here).
    #[arg(long = "watch-pid", value_name = "PID", conflicts_with = "watch_cgroup")]
    pub watch_pid: Option<String>,
    /// Sample this cgroup v2 directory's CPU and memory each interval (a container or service).
    #[arg(long = "watch-cgroup", value_name = "PATH")]
    pub watch_cgroup: Option<std::path::PathBuf>,
    /// `--shard K/N`, `--shards N`, `--start-at TIME`: one shard of a distributed run.
    #[command(flatten)]
    pub shard: distributed::ShardArgs,
}

#[derive(Args, Debug, Clone)]
pub struct GateArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Run this shell command (sh -c) when the gate fails, e.g. a rollback; its exit status is reported.
    #[arg(long = "on-fail")]
    pub on_fail: Option<String>,
    /// Append a dated entry (verdict, reasons, metrics, rollback) to this Markdown file.
    #[arg(long = "append-report")]
    pub append_report: Option<std::path::PathBuf>,
}

/// `onslaught breakpoint`: run's flags (plan, --url, -c, --cores, --slo, ...; not -R, -d,
/// --warmup, which the search sets per step) plus the search's own.
#[derive(Args, Debug, Clone)]
pub struct BreakpointArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// First offered rate. [default: the plan's first rate, else --max / 10]
    #[arg(long)]
    pub start: Option<String>,
    /// Highest rate ever offered. [default: the plan's peak rate; required with --url]
    #[arg(long)]
    pub max: Option<String>,
    /// Growth per ramp step: a factor (1.5x) or an increment in req/s (+500, 2k).
    #[arg(long, default_value = "1.5x")]
    pub step: String,
    /// How long each step is measured, after its settle period.
    #[arg(long, default_value = "30s")]
    pub hold: String,
    /// Settle period at the start of each step, excluded from its results (warm-up).
    #[arg(long, default_value = "5s")]
    pub settle: String,
    /// Hold of the final confirming step. [default: --hold]
    #[arg(long = "confirm-hold")]
    pub confirm_hold: Option<String>,
    /// Bisection stops when the bracket is this narrow, relative to the failing rate.
    #[arg(long, default_value = "2%")]
    pub resolution: String,
    /// Share kept free below the maximum for the recommended operating rate.
    #[arg(long, default_value = "40%")]
    pub headroom: String,
    /// Error rate at which the search stops at once to protect the target.
    #[arg(long = "blast-radius", default_value = "50%")]
    pub blast_radius: String,
    /// Run a failed step again this many times before believing it (for noisy hosts).
    #[arg(long, default_value_t = 0)]
    pub recheck: u32,
    /// The knee: the first step whose p95 exceeds this multiple of the low-load p95 ...
    #[arg(long, default_value = "2x")]
    pub knee: String,
    /// ... and is at least this much above it.
    /// [default: a tenth of the tightest latency SLO, at least 1ms]
    #[arg(long = "knee-floor")]
    pub knee_floor: Option<String>,
}

/// Report files, written by `run` and by `report`.
#[derive(Args, Debug, Clone, Default)]
pub struct WriterArgs {
    /// Write a Markdown report to FILE.
    #[arg(long)]
    pub md: Option<String>,
    /// Write a self-contained HTML report (inline SVG charts) to FILE.
    #[arg(long)]
    pub html: Option<String>,
    /// Write Prometheus text exposition to FILE.
    #[arg(long)]
    pub prom: Option<String>,
    /// Write JUnit XML (one test case per SLO) to FILE.
    #[arg(long)]
    pub junit: Option<String>,
    /// Write an HdrHistogram interval log to FILE.
    #[arg(long)]
    pub hlog: Option<String>,
    /// PUT the Prometheus metrics to this Pushgateway (http://HOST:PORT).
    #[arg(long = "push-gateway")]
    pub push_gateway: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// A result file written by `run --out`.
    pub result: std::path::PathBuf,
    /// Write the JSON summary to FILE.
    #[arg(long)]
    pub json: Option<String>,
    /// Print the full latency percentile spectrum.
    #[arg(long)]
    pub latency: bool,
    #[command(flatten)]
    pub writers: WriterArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// The baseline: a result file (run --out) or a JSON summary (run --json).
    pub base: std::path::PathBuf,
    /// The candidate, in either form.
    pub candidate: std::path::PathBuf,
    /// Largest allowed regression, METRIC=PERCENT (repeatable): p50, p95, p99, p99.9, max and
    /// throughput relative to the base; error_rate in percentage points.
    /// [default when none is given: p99=10% throughput=10% error_rate=1%]
    #[arg(long = "max-regression")]
    pub max_regression: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// The plan file (YAML).
    pub plan: std::path::PathBuf,
    /// Override any scalar of the plan: --set load.warmup=10s (repeatable).
    #[arg(long = "set")]
    pub sets: Vec<String>,
    /// Expand with the plan's profile NAME laid over it (without: the plan as written, and every
    /// profile it defines is checked too). [env: ONSLAUGHT_PROFILE]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Executors, one per CPU (0: all). [default: all CPUs]
    #[arg(long, default_value = "0", hide_default_value = true)]
    pub cores: usize,
    /// Capacity in requests/s; beyond it requests queue.
    #[arg(long)]
    pub capacity: Option<String>,
    /// A pool of N workers, each busy --service-time per request: capacity N / service time
    /// (split over the cores; exact with --cores 1). Instead of --capacity.
    #[arg(long, requires = "service_time")]
    pub workers: Option<String>,
    /// Per-request service time of each worker (with --workers), e.g. 10ms.
    #[arg(long = "service-time", requires = "workers")]
    pub service_time: Option<String>,
    /// Freeze for this long every --every (e.g. --stall 1s --every 10s).
    #[arg(long, requires = "every")]
    pub stall: Option<String>,
    /// The period of the freeze (with --stall): one --stall in every --every, e.g. 10s.
    #[arg(long, requires = "stall")]
    pub every: Option<String>,
    /// Where in each period the freeze starts (default: every − stall, so each period ends frozen).
    #[arg(long = "stall-at", requires = "stall")]
    pub stall_at: Option<String>,
    /// From this long after the first request on, answer every request with 500 (e.g. 2s).
    #[arg(long = "fail-after")]
    pub fail_after: Option<String>,
}
