//! No input from the network can panic onslaught or grow its memory without bound (issue 3):
//! a 1 MiB response header is a header_too_large error; a 1 GiB body is counted and discarded
//! with the generator's peak RSS staying small.
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

/// Serves `head` then `body_len` bytes of body to every request, on every connection.
fn server(head: Vec<u8>, body_len: u64) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let head = head.clone();
            std::thread::spawn(move || {
                let chunk = vec![b'x'; 1 << 20];
                let mut req = [0u8; 4096];
                while c.read(&mut req).map(|n| n > 0).unwrap_or(false) {
                    if c.write_all(&head).is_err() {
                        return;
                    }
                    let mut left = body_len;
                    while left > 0 {
                        let n = left.min(chunk.len() as u64) as usize;
                        if c.write_all(&chunk[..n]).is_err() {
                            return;
                        }
                        left -= n as u64;
                    }
                }
            });
        }
    });
    format!("http://{addr}/")
}

/// Runs the binary; returns (exit code, stdout, peak RSS of the child in KiB).
fn onslaught(args: &[&str]) -> (i32, String, i64) {
    let out = Command::new(env!("CARGO_BIN_EXE_onslaught")).args(args).output().unwrap();
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), ru.ru_maxrss)
}

#[test]
fn one_mib_header_is_header_too_large_not_a_crash() {
    let mut head = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 1 << 20));
    head.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let url = server(head, 0);
    let json = std::env::temp_dir().join(format!("onslaught-bighead-{}.json", std::process::id()));
    let (code, out, _) =
        onslaught(&["run", "--url", &url, "-R", "20", "-c", "2", "-d", "1s", "--json", json.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_eq!(code, 1, "{out}");
    assert_eq!(v["counts"]["intended"], 20);
    assert_eq!(v["counts"]["transport"]["header_too_large"], 20, "{}", v["counts"]);
    assert_eq!(v["counts"]["conserved"], true);
}

#[test]
fn one_gib_body_is_counted_and_discarded() {
    let url = server(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n".to_vec(), 1 << 30);
    let (code, out, peak_kib) = onslaught(&[
        "run",
        "--url",
        &url,
        "-R",
        "1",
        "-c",
        "1",
        "-d",
        "1s",
        "--timeout",
        "60s",
        // This test is about memory; one sample cannot judge send lag on a shared CI host.
        "--max-send-lag",
        "1s",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok 1,"), "{out}");
    // Histograms, rings and buffers are a few MiB; a stored body would be 1 GiB.
    eprintln!("1 GiB body: generator peak RSS {peak_kib} KiB");
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
}
