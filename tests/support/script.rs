//! A raw server that replays byte scripts (tests only; std threads, 127.0.0.1:0): for every
//! request it reads a request head, then performs the script: writes (split wherever the script
//! splits them), pauses between them, RST (SO_LINGER 0), half-close, close, or never answer.
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Act {
    Write(&'static [u8]),
    Pause(u64),
    /// Reset the connection (SO_LINGER 0, then close).
    Rst,
    /// Shut down our sending side; keep reading.
    HalfClose,
    /// Close the connection.
    Close,
    /// Never answer (hold the connection open).
    Hang,
}

/// Serve `script` to every request on every connection.
pub fn start(script: Vec<Act>) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let script = script.clone();
            std::thread::spawn(move || serve(c, &script));
        }
    });
    addr
}

fn serve(mut c: TcpStream, script: &[Act]) {
    let _ = c.set_nodelay(true);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while super::wire::read_head(&mut c, &mut buf) {
        for act in script {
            match act {
                Act::Write(b) => {
                    if c.write_all(b).is_err() {
                        return;
                    }
                }
                Act::Pause(ms) => std::thread::sleep(Duration::from_millis(*ms)),
                Act::Rst => {
                    super::wire::linger_zero(&c);
                    return;
                }
                Act::HalfClose => {
                    let _ = c.shutdown(Shutdown::Write);
                }
                Act::Close => return,
                Act::Hang => {
                    while c.read(&mut chunk).map(|n| n > 0).unwrap_or(false) {}
                    return;
                }
            }
        }
    }
}
