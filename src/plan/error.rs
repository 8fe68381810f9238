//! Plan errors: where (file:line:column and key path), what, what was expected, and a hint. Owns the
//! collector every stage of loading pushes into, so that all errors are reported at once, sorted.
use std::fmt;

/// One problem in a plan. `file:line:column` points at the offending node: the plan file, an
/// override (`--set` with line = the argument's number, `$ONSLAUGHT_...` with line 1) or a data file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Key path, e.g. `load.stages[1].rate`; empty for the document itself.
    pub path: String,
    pub message: String,
    pub expected: Option<String>,
    pub hint: Option<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() { "(plan)" } else { &self.path };
        write!(f, "{}:{}:{}: {}: {}", self.file, self.line, self.column, path, self.message)?;
        match (&self.expected, &self.hint) {
            (Some(e), Some(h)) => write!(f, " (expected {e}; hint: {h})"),
            (Some(e), None) => write!(f, " (expected {e})"),
            (None, Some(h)) => write!(f, " (hint: {h})"),
            (None, None) => Ok(()),
        }
    }
}

impl std::error::Error for PlanError {}

/// Where a node came from. Ordered: errors in the plan file sort first, then env, then `--set`,
/// then data files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Origin {
    File,
    Env(u16),
    Set(u16),
    Extra(u16),
}

/// A position: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Mark {
    pub origin: Origin,
    pub line: u32,
    pub col: u32,
}

impl Mark {
    pub fn file(line: u32, col: u32) -> Mark {
        Mark { origin: Origin::File, line, col }
    }
}

/// The names of everything a Mark can point into.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    pub file: String,
    pub env: Vec<String>,
    pub extra: Vec<String>,
}

impl Sources {
    fn name(&self, o: Origin) -> String {
        match o {
            Origin::File => self.file.clone(),
            Origin::Env(i) => format!("${}", self.env.get(i as usize).map_or("ONSLAUGHT_?", |s| s.as_str())),
            Origin::Set(_) => "--set".to_string(),
            Origin::Extra(i) => self.extra.get(i as usize).cloned().unwrap_or_default(),
        }
    }
}

/// An error before it is given its file name.
#[derive(Clone, Debug)]
pub(crate) struct Issue {
    pub mark: Mark,
    pub path: String,
    pub message: String,
    pub expected: Option<String>,
    pub hint: Option<String>,
}

impl Issue {
    pub fn new(mark: Mark, path: &str, message: impl Into<String>) -> Issue {
        Issue { mark, path: path.to_string(), message: message.into(), expected: None, hint: None }
    }
    pub fn expected(mut self, e: impl Into<String>) -> Issue {
        self.expected = Some(e.into());
        self
    }
    pub fn hint(mut self, h: impl Into<String>) -> Issue {
        self.hint = Some(h.into());
        self
    }
    pub fn hint_opt(mut self, h: Option<String>) -> Issue {
        self.hint = h.or(self.hint);
        self
    }
}

/// Collects issues. A path with an issue is "poisoned": later stages stay quiet below it, so one
/// mistake is reported once rather than as a cascade.
#[derive(Debug, Default)]
pub(crate) struct Diag {
    issues: Vec<Issue>,
    poisoned: Vec<String>,
}

impl Diag {
    pub fn push(&mut self, issue: Issue) {
        if !self.is_poisoned(&issue.path) {
            self.push_always(issue);
        }
    }

    fn push_always(&mut self, issue: Issue) {
        self.poisoned.push(issue.path.clone());
        self.issues.push(issue);
    }

    /// Records an issue about something outside the tree (an override that could not be
    /// applied): it neither is silenced by nor silences issues in the tree.
    pub fn note(&mut self, issue: Issue) {
        self.issues.push(issue);
    }

    /// Whether `path` is at or below a path that already has an issue.
    pub fn is_poisoned(&self, path: &str) -> bool {
        self.poisoned.iter().any(|p| {
            p.is_empty()
                || path == p
                || (path.starts_with(p.as_str()) && matches!(path.as_bytes()[p.len()], b'.' | b'['))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// Every issue, named and sorted by position.
    pub fn finish(self, sources: &Sources) -> Vec<PlanError> {
        let mut issues = self.issues;
        issues.sort_by(|a, b| (a.mark, &a.path).cmp(&(b.mark, &b.path)));
        issues
            .into_iter()
            .map(|i| PlanError {
                file: sources.name(i.mark.origin),
                line: i.mark.line as usize,
                column: i.mark.col as usize,
                path: i.path,
                message: i.message,
                expected: i.expected,
                hint: i.hint,
            })
            .collect()
    }
}

/// `did you mean `x`?` for the candidate closest to `word`, when it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.eq_ignore_ascii_case(word) { 0 } else { distance(&lower, &c.to_ascii_lowercase()) };
        let limit = (c.chars().count().max(word.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// A comma list of `code` names: "`a`, `b` or `c`".
pub(crate) fn one_of<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_position_path_expected_and_hint() {
        let e = PlanError {
            file: "p.yaml".into(),
            line: 3,
            column: 5,
            path: "load.warmup".into(),
            message: "`5 sec` is not a duration".into(),
            expected: Some("a duration such as 10s".into()),
            hint: Some("units: ms, s, m, h".into()),
        };
        assert_eq!(
            e.to_string(),
            "p.yaml:3:5: load.warmup: `5 sec` is not a duration (expected a duration such as 10s; hint: units: ms, s, m, h)"
        );
        let bare = PlanError { expected: None, hint: None, ..e };
        assert_eq!(bare.to_string(), "p.yaml:3:5: load.warmup: `5 sec` is not a duration");
    }

    #[test]
    fn suggestions_only_when_close() {
        assert_eq!(did_you_mean("base_ur", ["base_url", "headers"]), Some("did you mean `base_url`?".into()));
        assert_eq!(did_you_mean("Weight", ["weight", "name"]), Some("did you mean `weight`?".into()));
        assert_eq!(did_you_mean("stagse", ["stages", "shape"]), Some("did you mean `stages`?".into()));
        assert_eq!(did_you_mean("zzz", ["stages", "shape"]), None);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("nmae", "name"), 1);
    }

    #[test]
    fn poison_covers_descendants_only() {
        let mut d = Diag::default();
        d.push(Issue::new(Mark::file(1, 1), "load.stages", "x"));
        assert!(d.is_poisoned("load.stages[0].rate"));
        assert!(d.is_poisoned("load.stages"));
        assert!(!d.is_poisoned("load.stages_x"));
        assert!(!d.is_poisoned("load"));
        d.push(Issue::new(Mark::file(2, 1), "load.stages[1]", "cascade"));
        assert_eq!(d.finish(&Sources::default()).len(), 1);
    }

    #[test]
    fn one_of_reads_naturally() {
        assert_eq!(one_of(["a"]), "`a`");
        assert_eq!(one_of(["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
