//! The plan workload: which journey a slot runs (a deterministic weighted choice per slot) and the
//! bytes of each step's request (rendered once when static, else per request from templates).
use crate::plan::{Plan, Rng, Think, Vars, hash};

/// One step, ready to send.
#[derive(Debug)]
pub struct StepWork {
    /// (journey, step) in the plan.
    pub at: (usize, usize),
    /// Rendered once when nothing in the request varies.
    pub fixed: Option<Vec<u8>>,
    pub head: bool,
    pub idempotent: bool,
    pub think: Think,
    /// What of the response its checks and extractions need kept (`correlate::capture_limit`);
    /// None: nothing, the zero-copy discard path.
    pub capture: Option<usize>,
}

/// A plan, prepared for the engine. Lives for the whole process (`leak`), so per-connection
/// template state can borrow from it.
#[derive(Debug)]
pub struct PlanWork {
    pub plan: Plan,
    /// Host header value.
    pub host: String,
    /// All steps of all journeys, flattened; a step's index is its label id.
    pub steps: Vec<StepWork>,
    /// Per journey: its steps' range in `steps`.
    pub journeys: Vec<std::ops::Range<usize>>,
    /// Wall-clock ns at t0 of the run's clock, for `timestamp()`.
    pub unix_at_clock_zero: u64,
}

impl PlanWork {
    pub fn new(plan: Plan) -> Result<PlanWork, String> {
        let url = &plan.target.url;
        let host = if url.port == if url.tls { 443 } else { 80 } {
            url.host.clone()
        } else {
            format!("{}:{}", url.host, url.port)
        };
        let mut steps = Vec::new();
        let mut journeys = Vec::new();
        let mut rng = Rng::new(plan.seed);
        let vars = plan.vars();
        for (ji, j) in plan.journeys.iter().enumerate() {
            let start = steps.len();
            for (k, s) in j.steps.iter().enumerate() {
                let mut fixed = None;
                if s.is_static() {
                    let mut out = Vec::new();
                    render(&host, s, &vars, &mut rng, &mut out, &mut Vec::new());
                    fixed = Some(out);
                }
                let idempotent = crate::http::request::idempotent(&s.method);
                let capture = super::correlate::capture_limit(s);
                steps.push(StepWork {
                    at: (ji, k),
                    fixed,
                    head: s.method == "HEAD",
                    idempotent,
                    think: s.think,
                    capture,
                });
            }
            journeys.push(start..steps.len());
        }
        drop(vars);
        let unix_now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let unix_at_clock_zero = unix_now.saturating_sub(super::clock::now_ns());
        Ok(PlanWork { plan, host, steps, journeys, unix_at_clock_zero })
    }

    pub fn labels(&self) -> Vec<String> {
        self.plan.steps().map(|(_, s)| s.label.clone()).collect()
    }

    /// The journey slot `n` runs, and the iteration's random source (both depend only on the
    /// slot and the seed, never on the core).
    /// `sc`: the slot's scenario (its own mix over its own journeys; 0 in a plan without).
    pub fn pick(&self, sc: usize, n: u64) -> (usize, Rng) {
        let seed = self.plan.seed ^ 0x5EED_1234 ^ ((sc as u64) << 32);
        (self.plan.pick_journey_in(sc, n), Rng::new(hash(seed, n)))
    }

    pub fn step(&self, i: usize) -> &crate::plan::Step {
        let (j, k) = self.steps[i].at;
        &self.plan.journeys[j].steps[k]
    }
}

/// Render one step's request into `out` (cleared first); `body` is scratch space.
pub fn render(host: &str, s: &crate::plan::Step, vars: &Vars, rng: &mut Rng, out: &mut Vec<u8>, body: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(s.method.as_bytes());
    out.push(b' ');
    s.path.render(vars, rng, out);
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let has = |n: &str| s.headers.iter().any(|h| h.name.eq_ignore_ascii_case(n));
    if !has("host") {
        out.extend_from_slice(b"Host: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !has("user-agent") {
        out.extend_from_slice(concat!("User-Agent: onslaught/", env!("CARGO_PKG_VERSION"), "\r\n").as_bytes());
    }
    for h in &s.headers {
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        h.value.render(vars, rng, out);
        out.extend_from_slice(b"\r\n");
    }
    body.clear();
    if let Some(b) = &s.body {
        b.render(vars, rng, body);
    }
    if !body.is_empty() || matches!(s.method.as_str(), "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, body.len());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// Appends `n` in decimal without allocating (this runs per templated request).
fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal() {
        for n in [0usize, 7, 10, 12345, usize::MAX] {
            let mut v = Vec::new();
            super::push_decimal(&mut v, n);
            assert_eq!(v, n.to_string().into_bytes());
        }
    }
}
