//! The binary: parse arguments, call the library, map the outcome to an exit code.
use clap::Parser;
use onslaught::cli::{
    BreakpointArgs, CheckArgs, Cli, Command, CompareArgs, CompletionsArgs, GateArgs, ReportArgs, RunArgs, ServeArgs,
};
use onslaught::report::files::{Outputs, write_all};
use onslaught::report::preflight;
use onslaught::report::{compare, progress, result, terminal};
use std::io::Write;
use std::process::ExitCode;

/// Usage or configuration error (docs/exit-codes.md).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|e| usage_error(e));
    let code = match cli.command {
        Command::Run(a) => run(&a, &[]).map_or_else(|code| code, |r| r.verdict.exit_code as u8),
        Command::Gate(g) => gate(&g),
        Command::Breakpoint(b) => breakpoint(&b),
        Command::Check(a) => check(&a),
        Command::Serve(a) => serve(&a),
        Command::Report(a) => report(&a),
        Command::Compare(a) => compare(&a),
        Command::Merge(a) => merge(&a),
        Command::K8s(a) => k8s(&a),
        Command::Completions(a) => completions(&a),
        Command::Man => man(),
    };
    ExitCode::from(code)
}

/// Print a command-line error and exit 2 (help and version: 0); a mistyped subcommand that clap
/// finds nothing similar to gets our own suggestion (`rnu` → `run`).
fn usage_error(e: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::InvalidSubcommand
        && e.get(ContextKind::SuggestedSubcommand).is_none()
        && let Some(ContextValue::String(typed)) = e.get(ContextKind::InvalidSubcommand)
    {
        let cmd = <Cli as clap::CommandFactory>::command();
        let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_string()).collect();
        if let Some(near) = onslaught::suggest::nearest(typed, names.iter().map(String::as_str)) {
            let msg = format!("unrecognized subcommand '{typed}'\n\n  tip: a similar subcommand exists: '{near}'");
            cmd.clone().error(ErrorKind::InvalidSubcommand, msg).exit();
        }
    }
    e.exit()
}

/// Run, print the summary and write the reports; Err is the exit code of a configuration error
/// (nothing sent). Every destination, `appends` too, is checked before the first request; one
/// that fails only at the end is a warning: the verdict's exit code stands.
fn run(a: &RunArgs, appends: &[(&'static str, std::path::PathBuf)]) -> Result<onslaught::report::Report, u8> {
    let cfg = match onslaught::config::from_args(a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("onslaught: error: {e}");
            return Err(EXIT_CONFIG);
        }
    };
    let outputs = Outputs { json: cfg.json.clone(), result: a.out.clone(), writers: a.writers.clone() };
    let destinations = preflight::Plan {
        appends: appends.to_vec(),
        inputs: preflight::inputs_of(a, &data_files(&cfg)),
        ..preflight::Plan::of(&outputs)
    };
    if let Err(e) = destinations.check() {
        eprintln!("onslaught: error: {e}");
        return Err(EXIT_CONFIG);
    }
    let live = match live_exporter(a, &cfg) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("onslaught: error: {e}");
            return Err(EXIT_CONFIG);
        }
    };
    let stop = onslaught::signal::install();
    let tty = onslaught::report::tty::detect();
    let e = &cfg.engine;
    let span = progress::Span { warmup_ns: e.warmup_ns, duration_ns: e.duration_ns, interval_ns: e.interval_ns };
    let mut progress =
        progress::Progress::new(&e.schedule, e.shard, span, tty.redraw).with_scenarios(e.scenarios.len());
    let result = onslaught::run::execute_with(&cfg, stop, live.as_ref().map(|(x, _)| x), |row| {
        if !a.quiet {
            let _ = progress.row(row, &mut std::io::stderr().lock());
        }
    });
    let _ = progress.finish(&mut std::io::stderr().lock());
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onslaught: error: {e}");
            return Err(EXIT_CONFIG);
        }
    };
    let mut out = std::io::stdout().lock();
    let opts = terminal::Options { spectrum: cfg.spectrum, color: tty.color };
    let _ = terminal::write(&report, &opts, &mut out);
    let _ = out.flush();
    for e in write_all(&report, &outputs).err().unwrap_or_default() {
        lost(&report, &e);
    }
    if let Some((x, hold)) = live {
        if let (n @ 1.., Some(last)) = x.push_failures() {
            eprintln!("onslaught: WARNING: --push-every: {n} push(es) failed during the run; the last: {last}");
        }
        x.hold(hold);
    }
    Ok(report)
}

/// `--metrics-listen` (and `--push-every`): the exporter, bound before any load is sent, and how
/// long to hold it after the run. Its address is printed (port 0 picks one).
fn live_exporter(
    a: &RunArgs,
    cfg: &onslaught::config::Config,
) -> Result<Option<(onslaught::report::exporter::Exporter, std::time::Duration)>, String> {
    use onslaught::report::exporter::{Exporter, PushEvery};
    let dur = |flag: &str, v: &str| {
        onslaught::units::parse_duration(v)
            .map(std::time::Duration::from_nanos)
            .map_err(|e| format!("{flag} '{v}': {e}"))
    };
    let push = match (&a.push_every, &a.writers.push_gateway) {
        (Some(every), Some(gateway)) => {
            let every = dur("--push-every", every)?;
            if every < std::time::Duration::from_secs(1) {
                return Err(format!(
                    "--push-every {}: push at most once a second (e.g. 15s)",
                    a.push_every.as_deref().unwrap_or("")
                ));
            }
            let run = onslaught::report::live::run_label(&cfg.report);
            Some(PushEvery { gateway: gateway.clone(), every, run })
        }
        _ => None,
    };
    let listen = match (&a.metrics_listen, &push) {
        (Some(l), _) => l.clone(),
        // Pushing alone still needs the exposition built: an exporter on a loopback port.
        (None, Some(_)) => "127.0.0.1:0".to_string(),
        (None, None) => return Ok(None),
    };
    let hold = dur("--metrics-hold", &a.metrics_hold)?;
    let x = Exporter::start(&listen, push)?;
    if a.metrics_listen.is_some() {
        eprintln!("onslaught: live metrics at http://{}/metrics", x.addr());
    }
    Ok(Some((x, hold)))
}

/// A report that could not be written after the load: said loudly, the verdict kept.
fn lost(r: &onslaught::report::Report, what: &str) {
    let v = &r.verdict;
    eprintln!("onslaught: WARNING: {what}; the verdict stands: {:?} (exit code {})", v.status, v.exit_code);
}

/// The CSV files a plan reads (no output may replace one).
fn data_files(cfg: &onslaught::config::Config) -> Vec<std::path::PathBuf> {
    cfg.engine.workload.plan().map(|w| w.plan.data.iter().map(|d| d.file.clone()).collect()).unwrap_or_default()
}

/// `run`, then on failure the rollback command, then the deployment-report entry. The exit code
/// is the run's verdict (a configuration error: 2, with no rollback and no entry; the report's
/// file is checked with the others before the load, and one that fails after it is a warning).
fn gate(g: &GateArgs) -> u8 {
    let appends: Vec<_> = g.append_report.iter().map(|p| ("--append-report", p.clone())).collect();
    let report = match run(&g.run, &appends) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let failed = report.verdict.status != onslaught::report::Status::Pass;
    let rollback = match (&g.on_fail, failed) {
        (Some(cmd), true) => {
            eprintln!("onslaught gate: verdict {:?}: running --on-fail: {cmd}", report.verdict.status);
            let rb = onslaught::gate::rollback(cmd, &report);
            eprintln!("onslaught gate: --on-fail finished: {}", rb.status);
            Some(rb)
        }
        _ => None,
    };
    if let Some(path) = &g.append_report {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let entry = onslaught::gate::entry(&report, now, rollback.as_ref());
        if let Err(e) = onslaught::gate::append(path, &entry) {
            lost(&report, &format!("--append-report: cannot write '{}': {e}", path.display()));
        }
    }
    println!(
        "  Gate       {} (rollback triggered: {})",
        if failed { "BLOCKED" } else { "PASSED" },
        rollback.as_ref().map_or("N".to_string(), |rb| format!("Y, {}", rb.status))
    );
    report.verdict.exit_code as u8
}

/// `onslaught breakpoint`: the search, one line per step on stderr, the table and capacity on
/// stdout, then --json/--md/--html. Ctrl-C ends the search and still writes what was measured.
fn breakpoint(b: &BreakpointArgs) -> u8 {
    use onslaught::breakpoint::{self as bp, write};
    let (cfg, opts) = match bp::configure(b) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("onslaught breakpoint: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let o = &b.run;
    let outputs = Outputs { json: o.json.clone(), result: None, writers: o.writers.clone() };
    let destinations = preflight::Plan { inputs: preflight::inputs_of(o, &[]), ..preflight::Plan::of(&outputs) };
    if let Err(e) = destinations.check() {
        eprintln!("onslaught breakpoint: error: {e}");
        return EXIT_CONFIG;
    }
    let stop = onslaught::signal::install();
    let quiet = b.run.quiet;
    let result = bp::run_search(&cfg, &opts, stop, |s| {
        if !quiet {
            eprintln!(
                "onslaught breakpoint: step {} {:?} {} req/s: p99 {}, errors {:.2}%: {:?}",
                s.index + 1,
                s.phase,
                s.offered_rps,
                onslaught::units::fmt_ns(s.p99_ns),
                100.0 * s.error_rate,
                s.judgement
            );
        }
    });
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onslaught breakpoint: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = write::terminal(&r, &mut out);
    let _ = out.flush();
    write_breakpoint_files(b, &r);
    r.exit_code as u8
}

/// The capacity report's files (--json, --md, --html); a file that cannot be written is a
/// warning, never a change of the result.
fn write_breakpoint_files(b: &BreakpointArgs, r: &onslaught::breakpoint::Breakpoint) {
    use onslaught::breakpoint::{self as bp, write};
    type W = fn(&bp::Breakpoint, &mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>;
    let jobs: [(&str, &Option<String>, W); 3] = [
        ("--json", &b.run.json, |r, f| write::json(r, f)),
        ("--md", &b.run.writers.md, |r, f| write::markdown(r, f)),
        ("--html", &b.run.writers.html, |r, f| bp::html::write(r, f)),
    ];
    for (flag, path, w) in jobs {
        let Some(path) = path else { continue };
        let done = std::fs::File::create(path).and_then(|f| {
            let mut f = std::io::BufWriter::new(f);
            w(r, &mut f)?;
            f.flush()
        });
        if let Err(e) = done {
            let code = r.exit_code;
            eprintln!(
                "onslaught breakpoint: WARNING: {flag}: cannot write '{path}': {e}; the result stands (exit code {code})"
            );
        }
    }
}

/// Print each report-writing failure; true when there was none.
fn written(r: Result<(), Vec<String>>) -> bool {
    let errors = r.err().unwrap_or_default();
    for e in &errors {
        eprintln!("onslaught: error: {e}");
    }
    errors.is_empty()
}

/// `onslaught report RESULT`: the terminal summary again, and any report file asked for.
fn report(a: &ReportArgs) -> u8 {
    let r = match result::load(&a.result) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onslaught report: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let mut out = std::io::stdout().lock();
    let color = onslaught::report::tty::detect().color;
    let _ = terminal::write(&r, &terminal::Options { spectrum: a.latency, color }, &mut out);
    let _ = out.flush();
    let outputs = Outputs { json: a.json.clone(), result: None, writers: a.writers.clone() };
    let inputs = vec![("the result file".to_string(), a.result.clone())];
    if let Err(e) = (preflight::Plan { inputs, ..preflight::Plan::of(&outputs) }).check() {
        eprintln!("onslaught report: error: {e}");
        return EXIT_CONFIG;
    }
    if written(write_all(&r, &outputs)) { 0 } else { EXIT_CONFIG }
}

/// `onslaught merge SHARD...`: the merged terminal summary and files; exit code as `run`'s.
/// Destinations are checked first: no output may replace a shard's file.
fn merge(a: &onslaught::distributed::args::MergeArgs) -> u8 {
    let outputs = Outputs { json: a.json.clone(), result: a.out.clone(), writers: a.writers.clone() };
    let inputs = a.results.iter().map(|p| ("a shard's result file".to_string(), p.clone())).collect();
    if let Err(e) = (preflight::Plan { inputs, ..preflight::Plan::of(&outputs) }).check() {
        eprintln!("onslaught merge: error: {e}");
        return EXIT_CONFIG;
    }
    let r = match onslaught::distributed::merge::run(a) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onslaught merge: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let mut out = std::io::stdout().lock();
    let color = onslaught::report::tty::detect().color;
    let _ = terminal::write(&r, &terminal::Options { spectrum: a.latency, color }, &mut out);
    let _ = out.flush();
    if written(write_all(&r, &outputs)) { r.verdict.exit_code as u8 } else { EXIT_CONFIG }
}

/// `onslaught k8s PLAN --shards N --image IMAGE`: the manifests on stdout.
fn k8s(a: &onslaught::distributed::args::K8sArgs) -> u8 {
    match onslaught::distributed::k8s::from_args(a) {
        Ok(o) => {
            print!("{}", onslaught::distributed::k8s::manifests(&o));
            0
        }
        Err(e) => {
            eprintln!("onslaught k8s: error: {e}");
            EXIT_CONFIG
        }
    }
}

/// `onslaught compare BASE CANDIDATE`: 0 no regression, 1 regression, 2 bad input.
fn compare(a: &CompareArgs) -> u8 {
    let given: Vec<&str> = a.max_regression.iter().map(String::as_str).collect();
    let specs = if given.is_empty() { compare::DEFAULT_TOLERANCES.to_vec() } else { given };
    let tolerances: Result<Vec<_>, _> = specs.iter().map(|s| compare::parse_tolerance(s)).collect();
    let loaded = tolerances.and_then(|t| Ok((t, compare::load(&a.base)?, compare::load(&a.candidate)?)));
    let (tol, base, cand) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("onslaught compare: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let names = (a.base.display().to_string(), a.candidate.display().to_string());
    let mut out = std::io::stdout().lock();
    match compare::write(&base, &cand, (&names.0, &names.1), &tol, &mut out) {
        Ok(regressions) if regressions.is_empty() => 0,
        Ok(_) => 1,
        Err(e) => {
            eprintln!("onslaught compare: error: {e}");
            EXIT_CONFIG
        }
    }
}

/// Load a plan (file, then ONSLAUGHT_* environment, then --set), or print every error.
fn load_plan(path: &std::path::Path, profile: Option<&str>, sets: &[String]) -> Result<onslaught::plan::Plan, u8> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    onslaught::plan::load_profile(path, profile, sets, &env).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        let n = errors.len();
        eprintln!("onslaught: {n} error{} in the plan; nothing was sent", if n == 1 { "" } else { "s" });
        EXIT_CONFIG
    })
}

/// `check`: the plan expanded (with the chosen profile laid over it). Without a profile, every
/// profile the plan defines is loaded too, so a broken one fails the check before it is run.
fn check(a: &CheckArgs) -> u8 {
    let plan = match load_plan(&a.plan, a.profile.as_deref(), &a.sets) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let mut out = std::io::stdout().lock();
    let _ = onslaught::plan::describe(&plan, &mut out);
    let _ = out.flush();
    if plan.profile.is_some() {
        return 0;
    }
    let broken: Vec<&str> = plan
        .profiles
        .iter()
        .filter(|p| load_plan(&a.plan, Some(&p.name), &a.sets).is_err())
        .map(|p| p.name.as_str())
        .collect();
    if broken.is_empty() {
        return 0;
    }
    eprintln!(
        "onslaught check: profile(s) {} do not load (see above); check one with --profile NAME",
        broken.join(", ")
    );
    EXIT_CONFIG
}

fn serve(a: &ServeArgs) -> u8 {
    let opts = match onslaught::serve_args::options_from_args(a) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("onslaught serve: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let handle = match onslaught::serve::start(opts) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("onslaught serve: error: {e}");
            return EXIT_CONFIG;
        }
    };
    eprintln!("onslaught serve: listening on http://{}/ (Ctrl-C to stop)", handle.addr);
    let stop = onslaught::signal::install();
    while stop.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let served = handle.stats().requests;
    handle.stop();
    eprintln!("onslaught serve: stopped after {served} responses");
    0
}

/// `onslaught completions SHELL`: the completion script on stdout (clap_complete).
fn completions(a: &CompletionsArgs) -> u8 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(a.shell, &mut cmd, "onslaught", &mut std::io::stdout());
    0
}

/// `onslaught man`: the man page on stdout (clap_mangen); docs/cli.md says how to install it.
fn man() -> u8 {
    let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
    match page.render(&mut std::io::stdout()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("onslaught man: error: {e}");
            EXIT_CONFIG
        }
    }
}
