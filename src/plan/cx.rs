//! The state of one validation (`Cx`): where errors go and how YAML paths map to positions, with
//! the helpers every validating module uses (a leaf inside plan: validate, stages and slo use it).
use super::error::{Diag, Issue, Mark};
use super::secrets::Secret;
use super::yaml::Index;
use crate::units::parse_duration;
use std::path::Path;

/// Shared state of one validation: where errors go and how paths map to positions.
pub(crate) struct Cx<'a> {
    pub diag: Diag,
    pub index: &'a Index<'a>,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    /// Names of data files that errors can point into (`Origin::Extra`).
    pub extra: Vec<String>,
    /// Inline references resolved so far (`${env:TOKEN}` → its value), each resolved once.
    pub inline: Vec<(String, Secret)>,
    /// Inline references that failed (reported at their first use only).
    pub inline_failed: Vec<String>,
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Cx<'_> {
    pub fn issue(&mut self, mark: Mark, path: &str, message: String, expected: &str, hint: &str) {
        let mut i = Issue::new(mark, path, message);
        i.expected = opt(expected);
        i.hint = opt(hint);
        self.diag.push(i);
    }

    /// An error about the value at `path`.
    pub fn err(&mut self, path: &str, message: impl Into<String>, expected: &str, hint: &str) {
        self.issue(self.index.value(path), path, message.into(), expected, hint);
    }

    /// An error about the key naming `path`.
    pub fn err_key(&mut self, path: &str, message: impl Into<String>, expected: &str, hint: &str) {
        self.issue(self.index.key(path), path, message.into(), expected, hint);
    }

    /// A required key that is absent: points at the mapping that should hold it.
    pub fn missing(&mut self, path: &str, expected: &str, hint: &str) {
        let key = path.rsplit('.').next().unwrap_or(path);
        self.err(path, format!("missing key `{key}`"), expected, hint);
    }

    /// A duration, its default when absent, or None after reporting.
    pub fn duration(&mut self, path: &str, text: Option<&str>, default: Option<u64>) -> Option<u64> {
        match (text, default) {
            (None, Some(d)) => Some(d),
            (None, None) => {
                self.missing(path, "a duration such as 250ms, 10s, 2m or 1h", "");
                None
            }
            (Some(t), _) => match parse_duration(t) {
                Ok(ns) => Some(ns),
                Err(_) => {
                    let hint = "units: ns, us, ms, s, m, h; a bare number is seconds";
                    self.err(path, format!("`{t}` is not a duration"), "a duration such as 250ms, 10s, 2m or 1h", hint);
                    None
                }
            },
        }
    }
}
