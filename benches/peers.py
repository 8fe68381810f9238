#!/usr/bin/env python3
"""Side-by-side peer comparison (issue 10's table): onslaught vs wrk, wrk2, oha and h2load.

The target (nginx, one worker, scripts/nginx.sh) is pinned to NGINX_CPU, every generator to
GEN_CPU, with the same connections and duration; tools alternate within each round; medians of
RUNS rounds. Printed: closed loop requests per generator CPU-second (and the ratio to wrk),
fixed-rate generator CPU per request and latency p50 (and onslaught's send lag), peak RSS.

  python3 benches/peers.py [--runs 3] [--conns 64] [--duration 10] [--rate 20000[,2000,50000]]
                           [--only NAME,...] [--variant NAME:[ENV=V ...] [FLAGS ...]] ...

--rate takes a comma-separated list: each rate gets its own rows (CPU per request, latency p50,
p99 and p99.9, and onslaught's send lag at the same percentiles; wrk2 reports latency only, its
send lag is inside it). --variant adds onslaught columns run with extra environment and flags,
e.g. --variant "w100:--send-window 100us" --variant "nobatch:ONSLAUGHT_SLEEP_BATCH=0"; the
plain column is onslaught as built.

Peers come from PATH (wrk, h2load: Debian's wrk and nghttp2-client; oha: `cargo install oha`)
or from WRK=, WRK2=, OHA=, H2LOAD= (wrk2 is built outside this repository from its public
source: fetch github:giltene/wrk2, then `make`). A missing peer is listed as missing, never
silently left out. onslaught is ONSLAUGHT= or target/release/onslaught (built by this script).
Loopback only; every run ends after --duration.
"""
import argparse, json, os, re, shutil, socket, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peer(name, env):
    path = os.environ.get(env) or shutil.which(name)
    return path if path and os.access(path, os.X_OK) else None


def timed(cmd, out_path):
    """Run cmd pinned to GEN_CPU; (CPU seconds, peak RSS MiB, sleeps) of the tool. The peak is the
    process's own VmHWM, polled (getrusage's maxrss would include the forking Python's image);
    sleeps are its voluntary context switches (each one a wake-up later: on a VM the costliest
    thing a fixed-rate generator does, `cargo bench --bench wake_cost`)."""
    pinned = ["taskset", "-c", os.environ.get("GEN_CPU", "1")] + cmd
    deadline = time.monotonic() + ARGS.duration * 3 + 30
    with open(out_path, "w") as out:
        child = subprocess.Popen(pinned, stdout=out, stderr=subprocess.STDOUT)
    hwm_kib = 0
    while True:
        hwm_kib = max(hwm_kib, vm_hwm_kib(child.pid))
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = status
            return usage.ru_utime + usage.ru_stime, hwm_kib / 1024.0, usage.ru_nvcsw
        if time.monotonic() > deadline:
            child.kill()
        time.sleep(0.05)


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def dur_ms(text):
    """'1.02ms' / '850.00us' / '1.2s' -> ms."""
    m = re.match(r"([\d.]+)\s*(us|µs|ms|s|m)", text.strip())
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return v * {"us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


# Each tool: closed(url) and fixed(url, rate) give a command line and a parser of its output
# (text, json path) -> (requests completed, latency p50 ms or None, send lag p99 ms or None).
def wrk_like(path, fixed_rate=None):
    cmd = [path, "-t1", f"-c{ARGS.conns}", f"-d{ARGS.duration}s", "--latency"]
    if fixed_rate:
        cmd += [f"-R{fixed_rate}"]
    return cmd + [URL]

def parse_wrk(text, _):
    n = re.search(r"(\d+) requests in", text)
    def pct(p):
        m = re.search(r"^\s*%s(?:\.0+)?%%\s+(\S+)" % re.escape(p), text, re.M)
        return dur_ms(m.group(1)) if m else None
    return (int(n.group(1)) if n else 0), (pct("50"), pct("99"), pct("99.9")), None

def oha_cmd(path, fixed_rate, out_json):
    cmd = [path, "--no-tui", "--output-format", "json", "-c", str(ARGS.conns), "-z", f"{ARGS.duration}s"]
    if fixed_rate:
        cmd += ["-q", str(fixed_rate), "--latency-correction"]
    return cmd + [URL]

def parse_oha(text, _):
    try:
        r = json.loads(text[text.index("{"):])
    except (ValueError, json.JSONDecodeError):
        return 0, None, None
    total = sum(r.get("statusCodeDistribution", {}).values())
    pc = r.get("latencyPercentiles", {})
    ms_ = lambda k: pc[k] * 1e3 if pc.get(k) is not None else None
    return total, (ms_("p50"), ms_("p99"), ms_("p99.9")), None

def h2load_cmd(path, fixed_rate):
    cmd = [path, "--h1", "-t1", f"-c{ARGS.conns}", f"-D{ARGS.duration}"]
    if fixed_rate:
        per_client = fixed_rate / ARGS.conns
        cmd += [f"--rps={per_client:g}"]
    return cmd + [URL]

def parse_h2load(text, _):
    m = re.search(r"requests: \d+ total, \d+ started, (\d+) done", text)
    return (int(m.group(1)) if m else 0), None, None  # h2load prints no percentiles

def ons_cmd(path, fixed_rate, out_json, env=(), flags=()):
    cmd = ["env", *env, path, "run", "--url", URL, "-c", str(ARGS.conns), "-d", f"{ARGS.duration}s",
           "--cores", "1", "--json", out_json, "-q", *flags]
    if fixed_rate:
        cmd += ["-R", str(fixed_rate)]
    return cmd

def parse_ons(_, out_json):
    try:
        r = json.load(open(out_json))
    except (OSError, json.JSONDecodeError):
        return 0, None, None
    ok = r["counts"]["ok"]
    def three(d):
        p = d["percentiles"]
        return tuple(p[k] / 1e6 if p.get(k) is not None else None for k in ("p50", "p99", "p99.9"))
    return ok, three(r["latency"]), three(r["send_lag"])


def variant(spec):
    """'NAME:ENV=V --flag value' -> (name, env list, flag list)."""
    name, _, rest = spec.partition(":")
    words = rest.split()
    env = [w for w in words if "=" in w and not w.startswith("-")]
    return name, env, [w for w in words if w not in env]


def tools():
    ons = os.environ.get("ONSLAUGHT") or os.path.join(ROOT, "target/release/onslaught")
    found = {
        "wrk": peer("wrk", "WRK"), "wrk2": peer("wrk2", "WRK2"), "oha": peer("oha", "OHA"),
        "h2load": peer("h2load", "H2LOAD"), "onslaught": ons if os.access(ons, os.X_OK) else None,
    }
    table = {
        "wrk": (lambda p, r, j: wrk_like(p) if not r else None, parse_wrk),
        "wrk2": (lambda p, r, j: wrk_like(p, r or 10**9), parse_wrk),
        "oha": (oha_cmd, parse_oha),
        "h2load": (lambda p, r, j: h2load_cmd(p, r), parse_h2load),
        "onslaught": (ons_cmd, parse_ons),
    }
    for spec in ARGS.variant:
        name, env, flags = variant(spec)
        found[name] = found["onslaught"]
        table[name] = ((lambda e, f: lambda p, r, j: ons_cmd(p, r, j, e, f))(env, flags), parse_ons)
    only = set(ARGS.only.split(",")) if ARGS.only else set(found)
    return {k: (found[k],) + table[k] for k in found if k in only}


def round_of(tools_, rate, tmp, results):
    for name, (path, make, parse) in tools_.items():
        if not path:
            continue
        out_json, out_txt = os.path.join(tmp, f"{name}.json"), os.path.join(tmp, f"{name}.txt")
        cmd = make(path, rate, out_json)
        if cmd is None:
            continue  # wrk has no fixed-rate mode
        cpu, rss, sleeps = timed(cmd, out_txt)
        n, p50, lag = parse(open(out_txt, errors="replace").read(), out_json)
        results.setdefault(name, []).append((n, cpu, rss, p50, lag, sleeps))
        lat = p50[0] if p50 else None
        per = f"  {cpu / n * 1e6:6.1f} us/req" if n else ""
        print(f"  {name:10} {n:>9} requests  CPU {cpu:6.2f} s{per}  RSS {rss:6.1f} MiB  p50 {fmt(lat)}", flush=True)


def fmt(v, unit="ms", scale=1.0, digits=2):
    return "-" if v is None else f"{v * scale:.{digits}f} {unit}"


def med(rows, f):
    vals = [f(r) for r in rows if f(r) is not None]
    return statistics.median(vals) if vals else None


def main():
    tmp = tempfile.mkdtemp()
    tools_ = tools()
    print(f"{URL}: nginx on CPU {os.environ.get('NGINX_CPU', '0')}, generators on CPU "
          f"{os.environ.get('GEN_CPU', '1')}, {ARGS.conns} connections, {ARGS.duration}s runs, {ARGS.runs} rounds")
    for name, (path, _, _) in tools_.items():
        print(f"  {name:10} {path or 'MISSING (see --help for where it comes from)'}")
    closed, fixed = {}, {rate: {} for rate in RATES}
    for i in range(ARGS.runs):
        print(f"round {i + 1}: closed loop")
        round_of(tools_, None, tmp, closed)
        for rate in RATES:
            print(f"round {i + 1}: fixed {rate}/s")
            round_of(tools_, rate, tmp, fixed[rate])
    report(tools_, closed, fixed)


def report(tools_, closed, fixed):
    d = ARGS.duration
    wrk_cpu = med(closed.get("wrk", []), lambda r: r[0] / r[1] if r[1] else None)
    print(f"\n{'(medians of ' + str(ARGS.runs) + ')':44}" + "".join(f"{n:>14}" for n in tools_))
    def row(label, f):
        print(f"{label:44}" + "".join(f"{f(n):>14}" for n in tools_))
    def per_cpu_s(n):
        v = med(closed.get(n, []), lambda r: r[0] / r[1] if r[1] else None)
        if v is None:
            return "-"
        return f"{v / 1e3:.0f}k" + (f" {v / wrk_cpu:.2f}x" if wrk_cpu else "")
    row("closed loop: requests per CPU-second", per_cpu_s)
    row("closed loop: requests per second", lambda n: (lambda v: "-" if v is None else f"{v / d / 1e3:.1f}k")(med(closed.get(n, []), lambda r: r[0])))
    pcts = ("p50", "p99", "p99.9")
    for rate in RATES:
        rows = fixed[rate]
        row(f"fixed {rate}/s: CPU per request", lambda n: fmt(med(rows.get(n, []), lambda r: r[1] / r[0] if r[0] else None), "us", 1e6))
        row(f"fixed {rate}/s: sleeps per second", lambda n: fmt(med(rows.get(n, []), lambda r: r[5] / ARGS.duration), "/s", digits=0))
        for i, p in enumerate(pcts):
            row(f"fixed {rate}/s: latency {p}", lambda n: fmt(med(rows.get(n, []), lambda r: r[3][i] if r[3] else None)))
        for i, p in enumerate(pcts):
            row(f"fixed {rate}/s: send lag {p}", lambda n: fmt(med(rows.get(n, []), lambda r: r[4][i] if r[4] else None)))
    row("peak RSS", lambda n: fmt(med(closed.get(n, []) + sum((fixed[r].get(n, []) for r in RATES), []), lambda r: r[2]), "MiB"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rate", default="20000")
    ap.add_argument("--only", default="")
    ap.add_argument("--variant", action="append", default=[])
    ARGS = ap.parse_args()
    RATES = [int(r) for r in ARGS.rate.split(",")]
    if not os.environ.get("ONSLAUGHT"):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    port = free_port()
    env = dict(os.environ, NGINX_DIR=tempfile.mkdtemp())
    subprocess.run([os.path.join(ROOT, "scripts/nginx.sh"), "start", str(port), os.environ.get("NGINX_CPU", "0")],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    URL = f"http://127.0.0.1:{port}/"
    try:
        main()
    finally:
        subprocess.run([os.path.join(ROOT, "scripts/nginx.sh"), "stop"], env=env, check=False)
