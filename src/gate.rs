//! Gate mode (`onslaught gate`): after a run, run the rollback command when the verdict is not a
//! pass, and append a dated entry to a deployment report. The run itself is `run`'s; this file
//! owns only the command and the entry (pure formatting apart from `rollback` and `append`).
use crate::report::{Report, SloRow, Status};
use crate::units::fmt_ns;
use std::io::Write;
use std::path::Path;

/// What the rollback command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollback {
    pub command: String,
    /// "exit 0", "exit 3", "killed by signal 9", or why it could not start.
    pub status: String,
    pub success: bool,
}

/// Run `command` with `sh -c`, stdout and stderr inherited. It sees the verdict in
/// `ONSLAUGHT_VERDICT` (`failed`, `invalid`, `interrupted`) and `ONSLAUGHT_EXIT_CODE`.
pub fn rollback(command: &str, report: &Report) -> Rollback {
    use std::os::unix::process::ExitStatusExt;
    let result = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("ONSLAUGHT_VERDICT", status_word(report.verdict.status).to_ascii_lowercase())
        .env("ONSLAUGHT_EXIT_CODE", report.verdict.exit_code.to_string())
        .status();
    let (status, success) = match result {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => (format!("exit {c}"), c == 0),
            (None, Some(sig)) => (format!("killed by signal {sig}"), false),
            (None, None) => ("unknown".to_string(), false),
        },
        Err(e) => (format!("could not start sh: {e}"), false),
    };
    Rollback { command: command.to_string(), status, success }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Failed => "FAILED",
        Status::Invalid => "INVALID",
        Status::Interrupted => "INTERRUPTED",
    }
}

/// As `status_word`, but a breaker's stop reads ABORTED.
fn verdict_word(r: &Report) -> &'static str {
    if r.aborted.is_some() { "ABORTED" } else { status_word(r.verdict.status) }
}

/// `2026-11-22 08:30:05 UTC` from seconds since the Unix epoch (proleptic Gregorian calendar).
pub fn utc(unix_s: u64) -> String {
    let (days, secs) = ((unix_s / 86_400) as i64, unix_s % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// One deployment-report entry (Markdown): when, verdict, reasons, metrics, rollback.
pub fn entry(r: &Report, unix_s: u64, rollback: Option<&Rollback>) -> String {
    let v = &r.verdict;
    let pass = v.status == Status::Pass;
    let subject = r.config.plan.as_deref().unwrap_or(&r.config.url);
    let mut s = format!("## {} — {} — {subject}\n\n", utc(unix_s), if pass { "PASS" } else { "FAIL" });
    s += &format!("- Verdict: {} (exit code {})\n", verdict_word(r), v.exit_code);
    if let Some(why) = &r.aborted {
        s += &format!("- Aborted: {why}\n");
    }
    s += &reasons(&v.reasons);
    if !r.slo.is_empty() {
        s += &slos(&r.slo);
    }
    s += &metrics(r);
    s += &match rollback {
        Some(rb) => format!("- Rollback triggered: Y (`{}`: {})\n", rb.command, rb.status),
        None if pass => "- Rollback triggered: N\n".to_string(),
        None => "- Rollback triggered: N (no --on-fail command)\n".to_string(),
    };
    s + "\n"
}

/// The verdict's reasons, one item each (or that every criterion passed).
fn reasons(reasons: &[String]) -> String {
    if reasons.is_empty() {
        return "- Reasons: none (every criterion passed)\n".into();
    }
    let mut s = "- Reasons:\n".to_string();
    for reason in reasons {
        s += &format!("  - {reason}\n");
    }
    s
}

/// Every SLO criterion on one line: scope, criterion, actual value, PASS/FAIL.
fn slos(rows: &[SloRow]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|row| {
            let actual = row.actual.map_or_else(|| "no data".into(), |a| row.metric.show(a));
            let scope = if row.scope == "total" { String::new() } else { format!("{} ", row.scope) };
            format!("{scope}{} (actual {actual}) {}", row.criterion, if row.pass { "PASS" } else { "FAIL" })
        })
        .collect();
    format!("- SLOs: {}\n", rows.join("; "))
}

/// The run's headline figures: requests, rates, errors, latency percentiles.
fn metrics(r: &Report) -> String {
    let (k, rt, l) = (&r.counts, &r.rates, &r.latency);
    let target = rt.target_rps.map_or("closed loop".to_string(), |t| format!("target {t:.1}/s"));
    format!(
        "- Metrics: {} requests in {:.1}s, {target}, achieved {:.1}/s, throughput {:.1}/s, errors {:.2}%, latency p50 {} p95 {} p99 {} max {}\n",
        k.intended,
        r.window_s,
        rt.achieved_rps,
        rt.throughput_rps,
        100.0 * rt.error_rate,
        fmt_ns(l.p("p50")),
        fmt_ns(l.p("p95")),
        fmt_ns(l.p("p99")),
        fmt_ns(l.max_ns)
    )
}

/// Append `entry` to `path`, creating it (with a title) when missing.
pub fn append(path: &Path, entry: &str) -> std::io::Result<()> {
    let fresh = !path.exists();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    if fresh {
        f.write_all(b"# Deployment report\n\nOne entry per `onslaught gate` run, newest last.\n\n")?;
    }
    f.write_all(entry.as_bytes())?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_336_205), "2026-11-22 08:30:05 UTC");
    }
}
