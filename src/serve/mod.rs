//! The built-in target (`onslaught serve`): thread-per-core HTTP/1.1 keep-alive server for demos,
//! runner calibration and tests. PLACEHOLDER: interface fixed; implementation lands from the serve work.
use std::net::SocketAddr;
use std::time::Duration;

/// How the built-in target behaves.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Number of executors (each pinned to one CPU); 0 means all CPUs.
    pub cores: usize,
    /// Total capacity in requests/s across all cores; beyond it requests queue (FIFO).
    pub capacity: Option<f64>,
    /// Periodic freeze: (stall length S, period T, phase P within the period), anchored at the
    /// first request received.
    pub stall: Option<Stall>,
}

#[derive(Clone, Copy, Debug)]
pub struct Stall {
    pub length: Duration,
    pub every: Duration,
    pub phase: Duration,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Responses written, all endpoints except `/__stats`.
    pub requests: u64,
}

pub struct ServerHandle {
    pub addr: SocketAddr,
}

#[derive(Debug)]
pub enum ServeError {
    Bind(std::io::Error),
    Executor(String),
}

pub fn start(_opts: ServeOptions) -> Result<ServerHandle, ServeError> {
    todo!()
}

impl ServerHandle {
    pub fn stats(&self) -> ServerStats {
        todo!()
    }
    /// Stop all executors and join them.
    pub fn stop(self) {
        todo!()
    }
}
