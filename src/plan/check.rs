//! Checks per step: status in a set, body contains, header contains / matches, latency under a
//! bound. Evaluated per response; a failure is a small Copy value (which check, what kind) that
//! indexes counters, never a String.
use memchr::memmem::Finder;
use regex::bytes::Regex;
use std::fmt;

/// The statuses a check accepts (100–599), as a bitset.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StatusSet([u64; 8]);

impl StatusSet {
    pub const EMPTY: StatusSet = StatusSet([0; 8]);

    /// 200–399: what quick mode counts as a success.
    pub fn default_ok() -> StatusSet {
        let mut s = StatusSet::EMPTY;
        (200..400).for_each(|c| s.insert(c));
        s
    }

    pub fn insert(&mut self, code: u16) {
        if (100..600).contains(&code) {
            let i = (code - 100) as usize;
            self.0[i / 64] |= 1 << (i % 64);
        }
    }

    #[inline]
    pub fn contains(&self, code: u16) -> bool {
        (100..600).contains(&code) && {
            let i = (code - 100) as usize;
            self.0[i / 64] & (1 << (i % 64)) != 0
        }
    }

    /// Adds `200`, or a class `2xx`.
    pub fn add_pattern(&mut self, p: &str) -> Result<(), String> {
        let p = p.trim();
        let bad = || format!("`{p}` is not a status: use a code from 100 to 599 (200) or a class (2xx)");
        if let Some(d) = p.strip_suffix("xx").or_else(|| p.strip_suffix("XX")) {
            let d: u16 = d.parse().ok().filter(|d| (1..=5).contains(d)).ok_or_else(bad)?;
            (d * 100..d * 100 + 100).for_each(|c| self.insert(c));
            return Ok(());
        }
        let c: u16 = p.parse().ok().filter(|c| (100..600).contains(c)).ok_or_else(bad)?;
        self.insert(c);
        Ok(())
    }

    pub fn codes(&self) -> impl Iterator<Item = u16> + '_ {
        (100..600).filter(|c| self.contains(*c))
    }
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusSet({self})")
    }
}

/// Compact: whole classes as `2xx`, runs as `200-204`, else codes.
impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut c = 100;
        while c < 600 {
            if c % 100 == 0 && (c..c + 100).all(|x| self.contains(x)) {
                parts.push(format!("{}xx", c / 100));
                c += 100;
            } else if self.contains(c) {
                let mut end = c;
                while end + 1 < 600 && self.contains(end + 1) && (end + 1) % 100 != 0 {
                    end += 1;
                }
                parts.push(if end > c { format!("{c}-{end}") } else { c.to_string() });
                c = end + 1;
            } else {
                c += 1;
            }
        }
        f.write_str(&parts.join(", "))
    }
}

/// One check.
#[derive(Clone)]
pub enum Check {
    Status(StatusSet),
    BodyContains(Finder<'static>),
    HeaderContains { name: String, needle: Finder<'static> },
    HeaderMatches { name: String, regex: Regex },
    MaxLatency(u64),
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self {
            Check::Status(set) => write!(f, "status in {set}"),
            Check::BodyContains(n) => write!(f, "body contains {:?}", s(n.needle())),
            Check::HeaderContains { name, needle } => write!(f, "header {name} contains {:?}", s(needle.needle())),
            Check::HeaderMatches { name, regex } => write!(f, "header {name} matches /{}/", regex.as_str()),
            Check::MaxLatency(ns) => write!(f, "latency <= {}", crate::units::duration_text(*ns)),
        }
    }
}

/// Which kind of check failed: indexes counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Status,
    BodyContains,
    HeaderContains,
    HeaderMatches,
    MaxLatency,
}

/// The first failing check of a step: its index in `Checks::list()` and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CheckFailure {
    pub index: u16,
    pub kind: CheckKind,
}

/// What a check looks at.
#[derive(Clone, Copy, Debug)]
pub struct Response<'a> {
    pub status: u16,
    pub headers: &'a [(&'a [u8], &'a [u8])],
    pub body: &'a [u8],
    /// The response time the bound applies to (the engine documents which one it passes).
    pub latency_ns: u64,
}

/// A step's checks, in order; the first is always the status check.
#[derive(Clone, Debug, PartialEq)]
pub struct Checks {
    list: Vec<Check>,
}

impl Default for Checks {
    fn default() -> Self {
        Checks { list: vec![Check::Status(StatusSet::default_ok())] }
    }
}

impl Checks {
    /// `list` must start with a `Status` check (the validator puts one there).
    pub fn new(list: Vec<Check>) -> Checks {
        Checks { list }
    }

    pub fn list(&self) -> &[Check] {
        &self.list
    }

    /// Whether a check needs the body (so the engine can skip keeping it).
    pub fn needs_body(&self) -> bool {
        self.list.iter().any(|c| matches!(c, Check::BodyContains(_)))
    }

    /// The status set of the first check.
    pub fn status(&self) -> StatusSet {
        match self.list.first() {
            Some(Check::Status(s)) => *s,
            _ => StatusSet::default_ok(),
        }
    }

    /// `Ok` when every check passes, else the first that fails.
    pub fn evaluate(&self, r: &Response<'_>) -> Result<(), CheckFailure> {
        for (i, c) in self.list.iter().enumerate() {
            let (ok, kind) = match c {
                Check::Status(set) => (set.contains(r.status), CheckKind::Status),
                Check::BodyContains(n) => (n.find(r.body).is_some(), CheckKind::BodyContains),
                Check::HeaderContains { name, needle } => {
                    (header(r.headers, name).is_some_and(|v| needle.find(v).is_some()), CheckKind::HeaderContains)
                }
                Check::HeaderMatches { name, regex } => {
                    (header(r.headers, name).is_some_and(|v| regex.is_match(v)), CheckKind::HeaderMatches)
                }
                Check::MaxLatency(ns) => (r.latency_ns <= *ns, CheckKind::MaxLatency),
            };
            if !ok {
                return Err(CheckFailure { index: i as u16, kind });
            }
        }
        Ok(())
    }
}

fn header<'a>(headers: &[(&[u8], &'a [u8])], name: &str) -> Option<&'a [u8]> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(p: &[&str]) -> StatusSet {
        let mut s = StatusSet::EMPTY;
        p.iter().for_each(|x| s.add_pattern(x).unwrap());
        s
    }

    #[test]
    fn status_sets() {
        let s = set(&["2xx", "404"]);
        assert!(s.contains(200) && s.contains(299) && s.contains(404));
        assert!(!s.contains(300) && !s.contains(99) && !s.contains(600));
        assert_eq!(s.to_string(), "2xx, 404");
        assert_eq!(set(&["200", "201", "202", "204"]).to_string(), "200-202, 204");
        assert_eq!(StatusSet::default_ok().to_string(), "2xx, 3xx");
        for bad in ["6xx", "0xx", "99", "600", "abc", ""] {
            let mut s = StatusSet::EMPTY;
            assert!(s.add_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn evaluation_reports_the_first_failure() {
        let checks = Checks::new(vec![
            Check::Status(set(&["200"])),
            Check::BodyContains(Finder::new("items").into_owned()),
            Check::HeaderContains { name: "content-type".into(), needle: Finder::new("json").into_owned() },
            Check::HeaderMatches { name: "X-Id".into(), regex: Regex::new("^[0-9]+$").unwrap() },
            Check::MaxLatency(500_000_000),
        ]);
        let h: [(&[u8], &[u8]); 2] = [(b"Content-Type", b"application/json"), (b"x-id", b"123")];
        let ok = Response { status: 200, headers: &h, body: b"{\"items\":[]}", latency_ns: 1_000 };
        assert_eq!(checks.evaluate(&ok), Ok(()));
        let fail = |r: Response<'_>| checks.evaluate(&r).unwrap_err();
        assert_eq!(fail(Response { status: 500, ..ok }), CheckFailure { index: 0, kind: CheckKind::Status });
        assert_eq!(fail(Response { body: b"{}", ..ok }).kind, CheckKind::BodyContains);
        assert_eq!(fail(Response { headers: &h[1..], ..ok }).index, 2);
        let h2: [(&[u8], &[u8]); 2] = [(b"Content-Type", b"json"), (b"x-id", b"12a")];
        assert_eq!(fail(Response { headers: &h2, ..ok }).kind, CheckKind::HeaderMatches);
        assert_eq!(fail(Response { latency_ns: 500_000_001, ..ok }).kind, CheckKind::MaxLatency);
        assert_eq!(checks.list()[4].to_string(), "latency <= 500ms");
        assert!(checks.needs_body());
    }
}
