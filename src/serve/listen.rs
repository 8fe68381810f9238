//! Listening sockets for the built-in target: one per executor, all on one port through
//! SO_REUSEPORT so the kernel spreads connections over cores by hash. Owns the unsafe libc calls
//! for socket setup and shutdown; knows nothing about HTTP or executors.
//!
//! std's `TcpListener::bind` cannot set SO_REUSEPORT before binding, and glommio's can only be
//! called inside an executor (so its errors and the port chosen for port 0 would arrive late);
//! binding here, on the caller's thread, reports both at once.
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Accept-queue length asked for; the kernel caps it at `net.core.somaxconn`.
const BACKLOG: libc::c_int = 4096;

/// `n` (at least one) listeners on `addr`, in executor order, all blocking (glommio accepts
/// without blocking).
///
/// SO_REUSEPORT would let a second server of the same user join a port already served and
/// silently take part of its connections, so a probe socket without it binds first: it fails
/// with EADDRINUSE where anything listens on the address, and picks the port when `addr` has
/// port 0. The group binds the probe's address once the probe is closed.
pub(crate) fn bind_group(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpListener>> {
    let bound = TcpListener::from(bound_socket(addr, false)?).local_addr()?;
    (0..n.max(1)).map(|_| listen_on(bound)).collect()
}

/// Wake every accept waiting on this listener (they fail with EINVAL) and refuse new
/// connections; works through a duplicate of the descriptor, so the owner's fd stays valid.
pub(crate) fn shut_down(listener: &TcpListener) {
    // SAFETY: plain syscall on a descriptor we own for the duration of the call.
    unsafe { libc::shutdown(listener.as_raw_fd(), libc::SHUT_RDWR) };
}

fn listen_on(addr: SocketAddr) -> io::Result<TcpListener> {
    let sock = bound_socket(addr, true)?;
    // SAFETY: plain syscall on our descriptor.
    if unsafe { libc::listen(sock.as_raw_fd(), BACKLOG) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(TcpListener::from(sock))
}

/// A TCP socket with SO_REUSEADDR (so TIME_WAIT leftovers do not block the port), and
/// SO_REUSEPORT if asked, bound to `addr`.
fn bound_socket(addr: SocketAddr, reuseport: bool) -> io::Result<OwnedFd> {
    let domain = if addr.is_ipv6() { libc::AF_INET6 } else { libc::AF_INET };
    // SAFETY: socket(2) has no memory arguments; a valid result is owned right away.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    set_flag(&sock, libc::SO_REUSEADDR)?;
    if reuseport {
        set_flag(&sock, libc::SO_REUSEPORT)?;
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: storage holds a valid sockaddr of `len` bytes for this family.
    if unsafe { libc::bind(fd, (&raw const storage).cast(), len) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sock)
}

fn set_flag(sock: &OwnedFd, option: libc::c_int) -> io::Result<()> {
    let one: libc::c_int = 1;
    let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `one` outlives the call and `size` is its size.
    let rc = unsafe { libc::setsockopt(sock.as_raw_fd(), libc::SOL_SOCKET, option, (&raw const one).cast(), size) };
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage (and sockaddr_in / sockaddr_in6).
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            let sin = unsafe { &mut *(&raw mut storage).cast::<libc::sockaddr_in>() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            let sin6 = unsafe { &mut *(&raw mut storage).cast::<libc::sockaddr_in6>() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_shares_one_port() {
        let group = bind_group("127.0.0.1:0".parse().unwrap(), 3).unwrap();
        let addrs: Vec<SocketAddr> = group.iter().map(|l| l.local_addr().unwrap()).collect();
        assert_ne!(addrs[0].port(), 0);
        assert!(addrs.iter().all(|a| *a == addrs[0]), "{addrs:?}");
        std::net::TcpStream::connect(addrs[0]).unwrap();
    }

    #[test]
    fn ipv6_loopback_binds() {
        // Hosts without IPv6 cannot bind ::1; only check the address when it works.
        if let Ok(group) = bind_group("[::1]:0".parse().unwrap(), 1) {
            let a = group[0].local_addr().unwrap();
            assert!(a.is_ipv6() && a.port() != 0);
        }
    }

    #[test]
    fn taken_port_is_a_bind_error() {
        let plain = TcpListener::bind("127.0.0.1:0").unwrap();
        let err = bind_group(plain.local_addr().unwrap(), 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        // A group already serving a port is not joined by a second one.
        let group = bind_group("127.0.0.1:0".parse().unwrap(), 2).unwrap();
        let err = bind_group(group[0].local_addr().unwrap(), 2).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }
}
