//! The binary: parse arguments, call the library, map the outcome to an exit code.
use clap::Parser;
use onslaught::cli::{CheckArgs, Cli, Command, CompareArgs, ReportArgs, RunArgs, ServeArgs};
use onslaught::report::files::{Outputs, write_all};
use onslaught::report::{compare, result, terminal};
use std::io::Write;
use std::process::ExitCode;

/// Usage or configuration error (docs/exit-codes.md).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(a) => run(&a),
        Command::Check(a) => check(&a),
        Command::Serve(a) => serve(&a),
        Command::Report(a) => report(&a),
        Command::Compare(a) => compare(&a),
    };
    ExitCode::from(code)
}

fn run(a: &RunArgs) -> u8 {
    let cfg = match onslaught::config::from_args(a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("onslaught: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let stop = onslaught::signal::install();
    let report = match onslaught::run::execute(&cfg, stop, |_| {}) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onslaught: error: {e}");
            return EXIT_CONFIG;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = terminal::write(&report, &terminal::Options { spectrum: cfg.spectrum }, &mut out);
    let _ = out.flush();
    let outputs = Outputs { json: cfg.json.clone(), result: a.out.clone(), writers: a.writers.clone() };
    if !written(write_all(&report, &outputs)) {
        return EXIT_CONFIG;
    }
    report.verdict.exit_code as u8
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
    let _ = terminal::write(&r, &terminal::Options { spectrum: a.latency }, &mut out);
    let _ = out.flush();
    let outputs = Outputs { json: a.json.clone(), result: None, writers: a.writers.clone() };
    if written(write_all(&r, &outputs)) { 0 } else { EXIT_CONFIG }
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
fn load_plan(path: &std::path::Path, sets: &[String]) -> Result<onslaught::plan::Plan, u8> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    onslaught::plan::load(path, sets, &env).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        let n = errors.len();
        eprintln!("onslaught: {n} error{} in the plan; nothing was sent", if n == 1 { "" } else { "s" });
        EXIT_CONFIG
    })
}

fn check(a: &CheckArgs) -> u8 {
    match load_plan(&a.plan, &a.sets) {
        Ok(plan) => {
            let mut out = std::io::stdout().lock();
            let _ = onslaught::plan::describe(&plan, &mut out);
            let _ = out.flush();
            0
        }
        Err(code) => code,
    }
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
