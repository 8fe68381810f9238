//! Every place a command will write, checked before the first request is sent: each report file
//! can be created (its directory exists and takes a new file; a file there is writable, not a
//! directory or a device), no path is given twice or names an input, and the Pushgateway
//! answers a TCP connect. Opens files only to test them: it never truncates or writes one.
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the Pushgateway's connect may take at the start.
const GATEWAY_CONNECT: Duration = Duration::from_secs(3);

/// Where a command will write, and what it reads.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// `(flag, path)` of each file written whole (created or replaced).
    pub files: Vec<(&'static str, PathBuf)>,
    /// `(flag, path)` of each file appended to (created, with its directories, when missing).
    pub appends: Vec<(&'static str, PathBuf)>,
    /// `(what, path)` of each file the command reads: no output may replace one.
    pub inputs: Vec<(String, PathBuf)>,
    pub push_gateway: Option<String>,
}

impl Plan {
    /// The report files and push of `o`.
    pub fn of(o: &super::files::Outputs) -> Plan {
        let w = &o.writers;
        let given = [
            ("--out", &o.result),
            ("--json", &o.json),
            ("--md", &w.md),
            ("--html", &w.html),
            ("--prom", &w.prom),
            ("--junit", &w.junit),
            ("--hlog", &w.hlog),
        ];
        let files = given.into_iter().filter_map(|(f, p)| p.as_ref().map(|p| (f, PathBuf::from(p)))).collect();
        Plan { files, push_gateway: w.push_gateway.clone(), ..Plan::default() }
    }

    /// Each check in turn; the first failure, one line naming the flag and the path.
    pub fn check(&self) -> Result<(), String> {
        let mut seen: Vec<(String, PathBuf)> =
            self.inputs.iter().filter_map(|(what, p)| Some((what.clone(), identity(p)?))).collect();
        let outputs =
            self.files.iter().map(|(f, p)| (f, p, false)).chain(self.appends.iter().map(|(f, p)| (f, p, true)));
        for (flag, path, append) in outputs {
            let shown = path.display();
            let fail = |why: String| format!("{flag}: cannot write '{shown}': {why}; nothing was sent");
            if let Some(id) = identity(path) {
                if let Some((other, _)) = seen.iter().find(|(_, p)| *p == id) {
                    return Err(fail(format!("it is also {other}: give each output its own file")));
                }
                seen.push((format!("the file of {flag}"), id));
            }
            writable(path, append).map_err(fail)?;
        }
        match &self.push_gateway {
            Some(gw) => reachable(gw),
            None => Ok(()),
        }
    }
}

/// The files a run reads, each with what it is: the plan, `--slo-file`, `--body @FILE`, the TLS
/// files and the plan's CSV files (`data`).
pub fn inputs_of(a: &crate::cli::RunArgs, data: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let body = a.body.as_deref().and_then(|b| b.strip_prefix('@')).map(PathBuf::from);
    let named = [
        ("the plan", a.plan.clone()),
        ("the --slo-file", a.slo_file.clone()),
        ("the --body file", body),
        ("the --cacert file", a.cacert.clone()),
        ("the --cert file", a.cert.clone()),
        ("the --key file", a.key.clone()),
    ];
    let mut out: Vec<(String, PathBuf)> =
        named.into_iter().filter_map(|(what, p)| Some((what.to_string(), p?))).collect();
    out.extend(data.iter().map(|p| ("a data file of the plan".to_string(), p.clone())));
    out
}

/// The file `p` names, for comparing paths (`./a.json`, `a.json` and `d/../a.json` are one);
/// None for devices and pipes (writing one does not replace anything).
fn identity(p: &Path) -> Option<PathBuf> {
    match std::fs::metadata(p) {
        Ok(m) if !m.is_file() && !m.is_dir() => None,
        Ok(_) => std::fs::canonicalize(p).ok(),
        Err(_) => {
            let name = p.file_name()?;
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(std::fs::canonicalize(dir).ok()?.join(name))
        }
    }
}

/// Whether `path` can be written (or appended to, `append`), without changing it.
fn writable(path: &Path, append: bool) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err("it is a directory".into()),
        Ok(m) if m.file_type().is_char_device() && !harmless_device(path) => {
            Err("it is a device, not a file (/dev/null is accepted)".into())
        }
        Ok(m) if m.is_file() => std::fs::OpenOptions::new().write(true).open(path).map(drop).map_err(|e| e.to_string()),
        Ok(_) => Ok(()),
        Err(_) => creatable(path, append),
    }
}

/// The null device and the standard streams: writing there loses nothing a user wanted kept.
fn harmless_device(path: &Path) -> bool {
    let named = ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"];
    let real = std::fs::canonicalize(path).unwrap_or_default();
    named.iter().any(|d| path == Path::new(d)) || real == Path::new("/dev/null") || real.starts_with("/dev/pts")
}

/// A missing file: its directory must exist (for `append`: its nearest existing ancestor) and
/// take a new file, tried by creating it and removing it again.
fn creatable(path: &Path, append: bool) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        if append {
            let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("."));
            return probe_dir(existing);
        }
        return Err(format!("the directory '{}' does not exist", dir.display()));
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => {
            drop(f);
            std::fs::remove_file(path).map_err(|e| format!("cannot remove the test file: {e}"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Whether a file can be created in `dir` (an ancestor of a missing append report's directory).
fn probe_dir(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("'{}' is not a directory", dir.display()));
    }
    let probe = dir.join(format!(".onslaught-probe-{}", std::process::id()));
    creatable(&probe, false).map_err(|e| format!("cannot create its directory in '{}': {e}", dir.display()))
}

/// The Pushgateway accepts a TCP connection now (the push itself comes after the run).
fn reachable(gateway: &str) -> Result<(), String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let shown = crate::redact::url(gateway);
    let url = crate::url::parse_url(gateway).map_err(|e| format!("--push-gateway: {e}; nothing was sent"))?;
    if url.tls {
        return Err(format!("--push-gateway '{shown}': https is not supported; use http://; nothing was sent"));
    }
    let fail = |e: String| format!("--push-gateway '{shown}': {e}; nothing was sent");
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| fail(e.to_string()))?
        .next()
        .ok_or_else(|| fail("the host has no address".into()))?;
    TcpStream::connect_timeout(&addr, GATEWAY_CONNECT).map(drop).map_err(|e| fail(format!("cannot connect: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("onslaught-preflight-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn files(list: &[(&'static str, PathBuf)]) -> Plan {
        Plan { files: list.to_vec(), ..Plan::default() }
    }

    #[test]
    fn unwritable_destinations_are_named_and_nothing_is_left_behind() {
        let d = dir("unwritable");
        let cases = [
            ("--json", PathBuf::from("/nonexistent/dir/r.json"), "does not exist"),
            ("--md", PathBuf::from("/proc/x.md"), "cannot write '/proc/x.md'"),
            ("--out", PathBuf::from("/dev/full"), "it is a device"),
            ("--json", d.clone(), "it is a directory"),
        ];
        for (flag, path, why) in cases {
            let e = files(&[(flag, path.clone())]).check().unwrap_err();
            assert!(e.starts_with(flag) && e.contains(why) && e.ends_with("nothing was sent"), "{e}");
        }
        let fine = d.join("r.json");
        files(&[("--json", fine.clone()), ("--md", "/dev/null".into())]).check().unwrap();
        assert!(!fine.exists(), "the probe left its file behind");
    }

    #[test]
    fn a_path_given_twice_or_equal_to_an_input_is_refused() {
        let d = dir("twice");
        let e = files(&[("--json", d.join("same.txt")), ("--md", d.join("./same.txt"))]).check().unwrap_err();
        assert!(e.starts_with("--md:") && e.contains("it is also the file of --json"), "{e}");
        std::fs::write(d.join("plan.yaml"), "x").unwrap();
        let mut p = files(&[("--json", d.join("plan.yaml"))]);
        p.inputs.push(("the plan".into(), d.join("plan.yaml")));
        let e = p.check().unwrap_err();
        assert!(e.contains("it is also the plan"), "{e}");
        assert_eq!(std::fs::read_to_string(d.join("plan.yaml")).unwrap(), "x");
    }

    #[test]
    fn an_append_report_may_create_its_directories() {
        let d = dir("append");
        let p = Plan { appends: vec![("--append-report", d.join("a/b/deploy.md"))], ..Plan::default() };
        p.check().unwrap();
        assert!(!d.join("a").exists());
        let p = Plan { appends: vec![("--append-report", "/proc/x.md".into())], ..Plan::default() };
        assert!(p.check().unwrap_err().starts_with("--append-report: cannot write '/proc/x.md'"));
    }

    #[test]
    fn an_unreachable_gateway_is_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let p = Plan { push_gateway: Some(format!("http://{addr}")), ..Plan::default() };
        p.check().unwrap();
        drop(l);
        let e = p.check().unwrap_err();
        assert!(e.starts_with("--push-gateway") && e.contains("cannot connect"), "{e}");
    }
}
