//! When the io_uring executor cannot start (locked-memory limit too low, as on many load runners
//! for non-root users), onslaught says why and how to fix it, exits 2, and never panics.
use std::os::unix::process::CommandExt;
use std::process::Command;

#[test]
fn low_memlock_limit_is_explained_not_a_panic() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onslaught"));
    cmd.args(["run", "--url", &url, "-R", "10", "-c", "1", "-d", "1s", "--cores", "1"]);
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing else.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            if libc::setrlimit(libc::RLIMIT_MEMLOCK, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("locked memory") && err.contains("ulimit -l"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(l.accept().is_err(), "nothing may be sent");
}
