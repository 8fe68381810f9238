//! HTTPS against nginx with a self-signed CA (made by scripts/tls-certs.sh through
//! scripts/nginx.sh): without --cacert every request fails as unknown issuer and the exit code
//! says so; with it all succeed; a wrong host name fails as bad hostname; --insecure is recorded.
mod support;
use std::process::Command;
use support::*;

struct Nginx {
    dir: String,
    port: u16,
}

impl Nginx {
    fn start() -> Nginx {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("onslaught-nginx-tls-{}", std::process::id()));
        let dir = dir.to_str().unwrap().to_string();
        let n = Nginx { dir, port };
        n.script(&["start", &port.to_string(), "", "tls"]);
        n
    }
    fn script(&self, args: &[&str]) {
        let s = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/nginx.sh");
        let out = Command::new("bash").arg(s).args(args).env("NGINX_DIR", &self.dir).output().unwrap();
        assert!(out.status.success(), "nginx.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    fn url(&self, host: &str) -> String {
        format!("https://{host}:{}/", self.port)
    }
    fn ca(&self) -> String {
        format!("{}/pki/ca.pem", self.dir)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.script(&["stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn https_verification_outcomes_against_nginx() {
    let _x = exclusive();
    let n = Nginx::start();
    let ca = n.ca();
    let base = ["-R", "200", "-c", "4", "-d", "1s"];
    // 1. System roots do not trust our CA: every request is tls_unknown_issuer, the run fails.
    let url = n.url("localhost");
    let r = run(&[&["--url", url.as_str()][..], &base].concat());
    assert_eq!(r.counts.transport.get("tls_unknown_issuer"), Some(&200), "{:?}", r.counts);
    assert_eq!(r.verdict.exit_code, 1);
    // 2. With --cacert: all succeed.
    let r = run(&[&["--url", url.as_str(), "--cacert", ca.as_str()][..], &base].concat());
    assert_eq!(r.counts.ok, 200, "{:?}", r.counts);
    assert!(!r.config.tls_insecure);
    // 3. A name the certificate does not cover (127.0.0.2 reaches the same nginx).
    let other = n.url("127.0.0.2");
    let r = run(&[&["--url", other.as_str(), "--cacert", ca.as_str()][..], &base].concat());
    assert_eq!(r.counts.transport.get("tls_bad_hostname"), Some(&200), "{:?}", r.counts);
    // 4. --insecure accepts it, and the result says verification was off.
    let r = run(&[&["--url", other.as_str(), "--insecure"][..], &base].concat());
    assert_eq!(r.counts.ok, 200, "{:?}", r.counts);
    assert!(r.config.tls_insecure);
}
