//! Every plan in plans/ validates, and runs against the built-in target with zero errors (short
//! versions: -R and -d replace the stages, so each run takes a second).
mod support;
use support::*;

fn plans() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plans");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 5, "{v:?}");
    v
}

#[test]
fn every_plan_validates() {
    for p in plans() {
        if let Err(errs) = onslaught::plan::load(&p, &[], &[]) {
            panic!("{}: {}", p.display(), errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
        }
    }
}

#[test]
fn every_profile_of_every_plan_validates() {
    let mut seen = 0;
    for p in plans() {
        let plan = onslaught::plan::load(&p, &[], &[]).unwrap();
        for prof in &plan.profiles {
            seen += 1;
            if let Err(errs) = onslaught::plan::load_profile(&p, Some(&prof.name), &[], &[]) {
                panic!(
                    "{} --profile {}: {:?}",
                    p.display(),
                    prof.name,
                    errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
                );
            }
        }
    }
    assert!(seen >= 7, "plans/platform.yaml defines smoke, ci, load, stress, spike, soak and breakpoint");
}

#[test]
fn every_plan_runs_without_errors_against_the_built_in_target() {
    let _x = exclusive();
    let srv = target(|_| {});
    for p in plans() {
        let set = format!("target.base_url=http://{}", srv.addr);
        let before = srv.stats().requests;
        let r = run(&[p.to_str().unwrap(), "--set", &set, "-R", "100", "-d", "1s", "-c", "16", "--warmup", "0s"]);
        let k = &r.counts;
        assert!(k.conserved, "{}: {k:?}", p.display());
        assert_eq!(k.ok, k.intended, "{}: {k:?} {:?}", p.display(), r.verdict.reasons);
        assert!(k.intended >= 100, "{}: {k:?}", p.display());
        // Every request the run counted, the target answered (journey steps included).
        assert_eq!(srv.stats().requests - before, k.ok, "{}", p.display());
        assert!(r.endpoints.iter().all(|e| e.errors == 0), "{}: {:?}", p.display(), r.endpoints);
    }
    srv.stop();
}

/// A keep-alive HTTP/1.1 server that answers every request `200` with no body and counts request
/// paths: the target's own view of the mix, independent of onslaught's per-endpoint counts.
fn counting_server() -> (std::net::SocketAddr, std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>>)
{
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let counts = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let c = counts.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(conn) = conn else { continue };
            let c = c.clone();
            std::thread::spawn(move || {
                let mut w = conn.try_clone().unwrap();
                let mut r = BufReader::new(conn);
                let mut line = String::new();
                let mut path = None;
                while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if path.is_none() {
                        path = line.split(' ').nth(1).map(str::to_string);
                    } else if line == "\r\n" {
                        *c.lock().unwrap().entry(path.take().unwrap_or_default()).or_insert(0) += 1;
                        if w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").is_err() {
                            return;
                        }
                    }
                    line.clear();
                }
            });
        }
    });
    (addr, counts)
}

/// Issue 4: a 70/20/10 plan over 100 000 requests gives 70/20/10 within 0.5 points, per the
/// server's own counts (the binomial standard deviation of a 70% share over 100 000 is 0.14
/// points; the choice is seeded, so the run is also reproducible).
#[test]
fn weights_70_20_10_hold_over_100_000_requests_per_the_servers_counts() {
    let _x = exclusive();
    let (addr, counts) = counting_server();
    let dir = std::env::temp_dir().join(format!("onslaught-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("weights.yaml");
    std::fs::write(
        &plan,
        format!(
            "target: {{ base_url: http://{addr}, connections: 64 }}\nload:\n  stages:\n    - {{ duration: 5s, rate: 20000 }}\nendpoints:\n  - {{ name: browse, weight: 70, path: /browse }}\n  - {{ name: admin, weight: 20, path: /admin }}\n  - {{ name: background, weight: 10, path: /background }}\n"
        ),
    )
    .unwrap();
    let r = run(&[plan.to_str().unwrap(), "--warmup", "0s"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((r.counts.intended, r.counts.ok), (100_000, 100_000), "{:?}", r.counts);
    let seen = counts.lock().unwrap().clone();
    assert_eq!(seen.values().sum::<u64>(), 100_000, "{seen:?}");
    for (path, want) in [("/browse", 70.0), ("/admin", 20.0), ("/background", 10.0)] {
        let got = 100.0 * seen.get(path).copied().unwrap_or(0) as f64 / 100_000.0;
        eprintln!("{path}: {got:.3}% of the server's 100 000 (want {want}%)");
        assert!((got - want).abs() <= 0.5, "{path}: {got:.2}% vs {want}% ({seen:?})");
        let name = path.trim_start_matches('/');
        let e = r.endpoints.iter().find(|e| e.name == name).unwrap();
        assert_eq!(e.requests, seen[path], "onslaught's count for {name} is the server's");
    }
}

#[test]
fn ramp_0_to_1000_over_10s_sends_5000_following_the_ramp() {
    let _x = exclusive();
    let srv = target(|_| {});
    let dir = std::env::temp_dir().join(format!("onslaught-ramp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("ramp.yaml");
    std::fs::write(
        &plan,
        format!(
            "target: {{ base_url: http://{}, connections: 32 }}\nload:\n  stages:\n    - {{ duration: 10s, rate: 0 -> 1000 }}\nendpoints:\n  - {{ name: home, path: / }}\n",
            srv.addr
        ),
    )
    .unwrap();
    let r = run(&[plan.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.counts.intended, 5000);
    assert_eq!(r.counts.ok, 5000);
    // The one stage carries them all (per-stage results are exact, not from the timeline).
    assert_eq!((r.stages.len(), r.stages[0].intended, r.stages[0].ok), (1, 5000, 5000));
    assert_eq!(r.stages[0].target, "0 -> 1000 req/s");
    // Second k of the ramp carries the integral of the rate over it: 100·k + 50.
    for row in r.timeline.iter().filter(|t| t.interval < 10) {
        let want = 100 * row.interval + 50;
        assert!(row.sent.abs_diff(want) <= 1, "second {}: {} sent, want {want}", row.interval, row.sent);
    }
    srv.stop();
}
