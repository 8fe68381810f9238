//! The binary: parse arguments, call the library, map the outcome to an exit code.
use clap::Parser;
use onslaught::cli::{CheckArgs, Cli, Command, RunArgs, ServeArgs};
use onslaught::report::{json, terminal};
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
    if let Some(path) = &cfg.json {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            json::write(&report, &mut w)?;
            w.flush()
        });
        if let Err(e) = written {
            eprintln!("onslaught: error: --json: cannot write '{path}': {e}");
            return EXIT_CONFIG;
        }
    }
    report.verdict.exit_code as u8
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
