//! Outcome classes and the counters they index (MEASUREMENT.md §3). Small Copy enums, no String
//! per failure; `AddAssign` merges shards and intervals.
use std::ops::AddAssign;

/// Transport-level failures, one counter each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportError {
    ConnectRefused,
    ConnectTimeout,
    Reset,
    ClosedMidResponse,
    Protocol,
    HeaderTooLarge,
    /// TLS: the server's certificate chain does not lead to a trusted root.
    TlsUnknownIssuer,
    /// TLS: the certificate is not valid for the host name.
    TlsBadHostname,
    /// TLS: the certificate is expired or not yet valid.
    TlsExpired,
    /// TLS: any other handshake or record-layer failure.
    Tls,
    PortsExhausted,
    FdExhausted,
    Other,
}

impl TransportError {
    pub const ALL: [TransportError; 13] = [
        TransportError::ConnectRefused,
        TransportError::ConnectTimeout,
        TransportError::Reset,
        TransportError::ClosedMidResponse,
        TransportError::Protocol,
        TransportError::HeaderTooLarge,
        TransportError::TlsUnknownIssuer,
        TransportError::TlsBadHostname,
        TransportError::TlsExpired,
        TransportError::Tls,
        TransportError::PortsExhausted,
        TransportError::FdExhausted,
        TransportError::Other,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TransportError::ConnectRefused => "connect_refused",
            TransportError::ConnectTimeout => "connect_timeout",
            TransportError::Reset => "reset",
            TransportError::ClosedMidResponse => "closed_mid_response",
            TransportError::Protocol => "protocol_error",
            TransportError::HeaderTooLarge => "header_too_large",
            TransportError::TlsUnknownIssuer => "tls_unknown_issuer",
            TransportError::TlsBadHostname => "tls_bad_hostname",
            TransportError::TlsExpired => "tls_expired",
            TransportError::Tls => "tls_handshake",
            TransportError::PortsExhausted => "local_ports_exhausted",
            TransportError::FdExhausted => "fds_exhausted",
            TransportError::Other => "other",
        }
    }
    /// Classifies an OS error from connect/read/write.
    pub fn from_io(e: &std::io::Error, connecting: bool) -> TransportError {
        use std::io::ErrorKind as K;
        match (e.raw_os_error(), e.kind()) {
            (Some(libc::EADDRNOTAVAIL), _) => TransportError::PortsExhausted,
            (Some(libc::EMFILE) | Some(libc::ENFILE), _) => TransportError::FdExhausted,
            (_, K::ConnectionRefused) => TransportError::ConnectRefused,
            (_, K::TimedOut) if connecting => TransportError::ConnectTimeout,
            (_, K::ConnectionReset) | (_, K::BrokenPipe) | (_, K::ConnectionAborted) => TransportError::Reset,
            (_, K::UnexpectedEof) => TransportError::ClosedMidResponse,
            _ => TransportError::Other,
        }
    }
}

/// How one intended request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Transport(TransportError),
    Timeout,
    Dropped,
}

/// Counts per outcome class. Conservation: intended = ok + http_error + transport + timeout +
/// dropped + incomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counters {
    pub intended: u64,
    pub sent: u64,
    pub ok: u64,
    pub http_error: u64,
    pub transport: [u64; TransportError::ALL.len()],
    pub timeout: u64,
    pub dropped: u64,
    pub incomplete: u64,
    /// New connections set up during the measured run.
    pub connects: u64,
    /// Of `sent`: sent after the measured window ended (grace period).
    pub sent_late: u64,
    /// Of ok + http_error: completed after the measured window ended.
    pub completed_late: u64,
    /// Responses per status code (index = code, 100..=599; others at 0).
    pub status: Box<[u64; 600]>,
    /// Closed model: virtual users started and retired (warm-up included; not outcomes). Their
    /// running difference is the number of active users.
    pub users_started: u64,
    pub users_retired: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            intended: 0,
            sent: 0,
            ok: 0,
            http_error: 0,
            transport: [0; TransportError::ALL.len()],
            timeout: 0,
            dropped: 0,
            incomplete: 0,
            connects: 0,
            sent_late: 0,
            completed_late: 0,
            status: Box::new([0; 600]),
            users_started: 0,
            users_retired: 0,
        }
    }
}

impl Counters {
    #[inline]
    pub fn add_outcome(&mut self, o: Outcome) {
        match o {
            Outcome::Transport(t) => self.transport[t as usize] += 1,
            Outcome::Timeout => self.timeout += 1,
            Outcome::Dropped => self.dropped += 1,
        }
    }
    #[inline]
    pub fn count_status(&mut self, status: u16) {
        let i = if (100..600).contains(&status) { status as usize } else { 0 };
        self.status[i] += 1;
    }
    pub fn transport_total(&self) -> u64 {
        self.transport.iter().sum()
    }
    pub fn transport_of(&self, t: TransportError) -> u64 {
        self.transport[t as usize]
    }
    /// Requests that ended in exactly one outcome.
    pub fn accounted(&self) -> u64 {
        self.ok + self.http_error + self.transport_total() + self.timeout + self.dropped + self.incomplete
    }
    /// MEASUREMENT.md §3.
    pub fn conserved(&self) -> bool {
        self.intended == self.accounted()
    }
    pub fn completed(&self) -> u64 {
        self.ok + self.http_error
    }
    pub fn errors(&self) -> u64 {
        self.intended - self.ok.min(self.intended)
    }
}

impl AddAssign<&Counters> for Counters {
    fn add_assign(&mut self, o: &Counters) {
        self.intended += o.intended;
        self.sent += o.sent;
        self.ok += o.ok;
        self.http_error += o.http_error;
        for (a, b) in self.transport.iter_mut().zip(o.transport.iter()) {
            *a += b;
        }
        self.timeout += o.timeout;
        self.dropped += o.dropped;
        self.incomplete += o.incomplete;
        self.connects += o.connects;
        self.sent_late += o.sent_late;
        self.completed_late += o.completed_late;
        for (a, b) in self.status.iter_mut().zip(o.status.iter()) {
            *a += b;
        }
        self.users_started += o.users_started;
        self.users_retired += o.users_retired;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_classes() {
        let e = |n| std::io::Error::from_raw_os_error(n);
        assert_eq!(TransportError::from_io(&e(libc::EADDRNOTAVAIL), true), TransportError::PortsExhausted);
        assert_eq!(TransportError::from_io(&e(libc::EMFILE), true), TransportError::FdExhausted);
        assert_eq!(TransportError::from_io(&e(libc::ENFILE), false), TransportError::FdExhausted);
        assert_eq!(TransportError::from_io(&e(libc::ECONNREFUSED), true), TransportError::ConnectRefused);
        assert_eq!(TransportError::from_io(&e(libc::ETIMEDOUT), true), TransportError::ConnectTimeout);
        assert_eq!(TransportError::from_io(&e(libc::ECONNRESET), false), TransportError::Reset);
        assert_eq!(TransportError::from_io(&e(libc::EPIPE), false), TransportError::Reset);
    }

    #[test]
    fn conservation_survives_merge() {
        let mut a = Counters { intended: 5, ok: 2, incomplete: 1, ..Default::default() };
        a.add_outcome(Outcome::Timeout);
        a.add_outcome(Outcome::Transport(TransportError::Reset));
        let mut b = Counters { intended: 3, http_error: 3, ..Default::default() };
        b.count_status(503);
        assert!(a.conserved() && b.conserved());
        a += &b;
        assert!(a.conserved());
        assert_eq!(a.accounted(), 8);
        assert_eq!(a.status[503], 1);
        assert_eq!(a.transport_of(TransportError::Reset), 1);
    }
}
