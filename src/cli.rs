//! Command-line types only (clap derive). Validation into a Config happens in config.rs.
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
    /// Run the built-in target server (for demos, runner calibration and tests).
    Serve(ServeArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// A test plan (YAML). Flags given beside it override the plan.
    pub plan: Option<std::path::PathBuf>,
    /// Override any scalar of the plan: --set load.warmup=10s (repeatable).
    #[arg(long = "set")]
    pub sets: Vec<String>,
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
    /// Sample this process's CPU and memory each interval (the target, if it runs here).
    #[arg(long = "watch-pid", value_name = "PID", conflicts_with = "watch_cgroup")]
    pub watch_pid: Option<String>,
    /// Sample this cgroup v2 directory's CPU and memory each interval (a container or service).
    #[arg(long = "watch-cgroup", value_name = "PATH")]
    pub watch_cgroup: Option<std::path::PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// The plan file (YAML).
    pub plan: std::path::PathBuf,
    /// Override any scalar of the plan: --set load.warmup=10s (repeatable).
    #[arg(long = "set")]
    pub sets: Vec<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Executors (one per CPU). Default: all CPUs.
    #[arg(long, default_value = "0")]
    pub cores: usize,
    /// Capacity in requests/s; beyond it requests queue.
    #[arg(long)]
    pub capacity: Option<String>,
    /// Freeze for this long every --every (e.g. --stall 1s --every 10s).
    #[arg(long, requires = "every")]
    pub stall: Option<String>,
    #[arg(long, requires = "stall")]
    pub every: Option<String>,
    /// Where in each period the freeze starts (default: every − stall, so each period ends frozen).
    #[arg(long = "stall-at", requires = "stall")]
    pub stall_at: Option<String>,
}
