//! What this host charges a process for waking up (`cargo bench --bench wake_cost [-- RATE
//! LAG_US]`): CPU time per system call, per short sleep, and per wake-up by another CPU, each
//! measured with the thread's CPU clock around a loop on the current CPU. A load generator that keeps every
//! send within LAG of its intended time must wake at least once per LAG (or per request, when
//! requests are further apart), so these figures bound its CPU per request at a fixed rate from
//! below, whatever the tool (docs/benchmarks.md, "What a wake-up costs on this host"). Run it
//! pinned (`taskset -c 1 cargo bench --bench wake_cost`); figures are for one host, never for
//! assertions.
use onslaught::record::health::thread_cpu_ns;
use std::time::Duration;

/// CPU ns per call of `f`, over `n` calls.
fn per_call(n: u64, mut f: impl FnMut()) -> f64 {
    let start = thread_cpu_ns();
    for _ in 0..n {
        f();
    }
    (thread_cpu_ns() - start) as f64 / n as f64
}

/// Pin the calling thread to `cpu`; false where it may not run there.
fn pin(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t with one bit set, passed by reference for this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// The CPU this thread runs on.
fn current_cpu() -> usize {
    // SAFETY: sched_getcpu has no arguments.
    unsafe { libc::sched_getcpu() }.max(0) as usize
}

/// Wake-ups of a thread blocked in `read` on a pipe, by a thread on `other` CPU that sleeps
/// `gap` then writes: the reader's CPU per wake-up (its CPU idles between them, as an
/// executor's does between slots, and another CPU wakes it, as a response does).
fn woken_by_another_cpu(n: u64, gap: Duration, other: usize) -> f64 {
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors we own and close below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    let (r, w) = (fds[0], fds[1]);
    let writer = std::thread::spawn(move || {
        pin(other);
        for _ in 0..n {
            std::thread::sleep(gap);
            // SAFETY: one byte from a local into the pipe's write end.
            unsafe { libc::write(w, [1u8].as_ptr().cast(), 1) };
        }
    });
    let mut b = [0u8; 1];
    // SAFETY: one byte into a local buffer from the pipe's read end.
    let cost = per_call(n, || unsafe {
        libc::read(r, b.as_mut_ptr().cast(), 1);
    });
    writer.join().expect("writer thread");
    // SAFETY: closing the descriptors pipe gave us.
    unsafe {
        libc::close(r);
        libc::close(w);
    }
    cost
}

fn main() {
    let args: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let rate = args.first().copied().unwrap_or(20_000.0);
    let lag_us = args.get(1).copied().unwrap_or(200.0);
    // SAFETY: getppid has no arguments and cannot fail.
    let syscall = per_call(1_000_000, || unsafe {
        libc::getppid();
    });
    let sleep = per_call(20_000, || std::thread::sleep(Duration::from_micros(50)));
    let me = current_cpu();
    pin(me);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let other = (0..cpus.max(2)).find(|c| *c != me).unwrap_or(0);
    let woken = woken_by_another_cpu(20_000, Duration::from_micros(50), other);
    println!("{:<62} {:>10}", format!("on CPU {me}"), "CPU ns");
    println!("{:<62} {:>10.0}", "one system call (getppid)", syscall);
    println!("{:<62} {:>10.0}", "one 50 us sleep (nanosleep: a timer, idle, its interrupt)", sleep);
    println!("{:<62} {:>10.0}", format!("one wake-up by CPU {other} (blocked read on a pipe, idle between)"), woken);
    // Every send within `lag` of its intended time: the generator's CPU leaves idle at least
    // once per lag (at most once per request), unless it never idles (it then spins: all of it).
    // Only a timer wakes it at an instant of its choosing: the sleep's cost is the one to pay.
    let wakes = rate.min(1e6 / lag_us);
    let floor = wakes * sleep / rate / 1000.0;
    let spin = 1e6 / rate;
    println!(
        "at {rate:.0} req/s with every send within {lag_us:.0} us: at least {wakes:.0} wake-ups/s, so at least \
         {:.1} us of CPU per request on wake-ups alone (never idling instead: {spin:.1} us)",
        floor.min(spin)
    );
}
