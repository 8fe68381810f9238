//! Secrets: `${env:NAME}` and `${file:PATH}` resolved once at load, whether named under `secrets:`
//! or written inline in a template (`Bearer ${env:TOKEN}`) or a quick-mode flag. A secret's value
//! never shows in Debug output, in `check` output or in errors; `redact` scrubs it from any text a
//! writer emits.
use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub const REDACTED: &str = "<redacted>";

/// A resolved secret value. Debug prints `<redacted>`; only `expose` gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: Arc<str>,
    source: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} = {REDACTED})", self.source)
    }
}

impl Secret {
    pub fn new(value: String, source: String) -> Secret {
        Secret { value: value.into(), source }
    }
    /// The value itself: for building requests, never for printing.
    pub fn expose(&self) -> &str {
        &self.value
    }
    /// Where it came from, as written (`${env:API_KEY}`): safe to print.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Why a secret could not be resolved: message, expected, hint.
pub(crate) type SecretError = (String, String, String);

/// Resolves `${env:NAME}` from `env` or `${file:PATH}` relative to `dir`.
pub(crate) fn resolve(text: &str, env: &[(String, String)], dir: &Path) -> Result<Secret, SecretError> {
    let t = text.trim();
    let form = "`${env:NAME}` or `${file:PATH}`".to_string();
    let Some(inner) = t.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
        return Err((
            "a secret must come from the environment or a file, not be written in the plan".into(),
            form,
            "export it (`export API_KEY=...`) and write `${env:API_KEY}`".into(),
        ));
    };
    let value = match inner.split_once(':') {
        Some(("env", name)) if !name.is_empty() => match env.iter().find(|(k, _)| k == name) {
            Some((_, v)) if !v.is_empty() => v.clone(),
            Some(_) => {
                return Err((
                    format!("environment variable `{name}` is empty"),
                    "a non-empty value".into(),
                    format!("set it before running: export {name}=..."),
                ));
            }
            None => {
                return Err((
                    format!("environment variable `{name}` is not set"),
                    format!("`{name}` in the environment"),
                    format!("set it before running: export {name}=... (or read it from a file: ${{file:PATH}})"),
                ));
            }
        },
        Some(("file", p)) if !p.is_empty() => {
            let path = dir.join(p);
            let v = std::fs::read_to_string(&path).map_err(|e| {
                (
                    format!("cannot read secret file `{}`: {e}", path.display()),
                    "a readable file".into(),
                    "paths are relative to the plan file's directory".into(),
                )
            })?;
            let v = v.trim_end_matches(['\r', '\n']).to_string();
            if v.is_empty() {
                return Err((format!("secret file `{}` is empty", path.display()), "a value".into(), String::new()));
            }
            v
        }
        _ => return Err((format!("`{t}` is not a secret reference"), form, String::new())),
    };
    Ok(Secret::new(value, t.to_string()))
}

/// The name plans list inline references under (`check` prints it; never a valid secret name).
pub const INLINE: &str = "(inline)";

/// The `${env:...}` and `${file:...}` references in `text`, as byte ranges (the braces included).
/// Err: the text of a reference that is not closed.
pub(crate) fn references(text: &str) -> Result<Vec<(usize, usize)>, &str> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = ["${env:", "${file:"].iter().filter_map(|p| text[at..].find(p)).min() {
        let start = at + i;
        let Some(len) = text[start..].find('}') else { return Err(&text[start..]) };
        out.push((start, start + len + 1));
        at = start + len + 1;
    }
    Ok(out)
}

/// `text` with every `${env:NAME}` and `${file:PATH}` replaced by its value (quick-mode flags).
pub fn expand(text: &str, env: &[(String, String)], dir: &Path) -> Result<(String, Vec<Secret>), String> {
    let refs =
        references(text).map_err(|r| format!("`{r}` is not closed: write `${{env:NAME}}` or `${{file:PATH}}`"))?;
    let (mut out, mut found, mut at) = (String::new(), Vec::new(), 0);
    for (s, e) in refs {
        out.push_str(&text[at..s]);
        let secret =
            resolve(&text[s..e], env, dir).map_err(|(m, _, h)| if h.is_empty() { m } else { format!("{m}: {h}") })?;
        out.push_str(secret.expose());
        found.push(secret);
        at = e;
    }
    out.push_str(&text[at..]);
    Ok((out, found))
}

/// `text` with every occurrence of every secret value replaced by `<redacted>` (longest first, so
/// a secret containing another is scrubbed whole).
/// Secrets shorter than this are not scrubbed from free text: replacing every "x" or "42" would
/// destroy the output while protecting nothing (writers never print secret values anyway; this
/// is the safety net).
pub const MIN_SCRUB_LEN: usize = 4;

pub fn redact(secrets: &[(String, Secret)], text: &str) -> String {
    let mut values: Vec<&str> = secrets.iter().map(|(_, s)| s.expose()).filter(|v| v.len() >= MIN_SCRUB_LEN).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_string();
    for v in values {
        if out.contains(v) {
            out = out.replace(v, REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_secrets_do_not_shred_the_text() {
        let secrets = vec![("k".to_string(), super::Secret::new("x".to_string(), "env:K".to_string()))];
        assert_eq!(super::redact(&secrets, "max 1x"), "max 1x");
    }

    use super::*;

    #[test]
    fn env_and_file_secrets() {
        let env = vec![("API_KEY".to_string(), "k-123".to_string()), ("EMPTY".into(), String::new())];
        let dir = std::env::temp_dir();
        let s = resolve("${env:API_KEY}", &env, &dir).unwrap();
        assert_eq!(s.expose(), "k-123");
        assert_eq!(format!("{s:?}"), "Secret(${env:API_KEY} = <redacted>)");
        assert!(resolve("${env:NOPE}", &env, &dir).unwrap_err().0.contains("not set"));
        assert!(resolve("${env:EMPTY}", &env, &dir).unwrap_err().0.contains("empty"));
        assert!(resolve("hunter2", &env, &dir).unwrap_err().0.contains("not be written"));
        assert!(resolve("${vault:x}", &env, &dir).is_err());
        assert!(resolve("${file:does/not/exist}", &env, &dir).unwrap_err().0.contains("cannot read"));
    }

    #[test]
    fn inline_references_expand_in_place() {
        let env = vec![("TOKEN".to_string(), "t-42xyz".to_string())];
        let dir = std::env::temp_dir();
        assert_eq!(references("Bearer ${env:TOKEN} ${file:k} ${x}"), Ok(vec![(7, 19), (20, 29)]));
        assert_eq!(references("a ${env:T"), Err("${env:T"));
        let (text, found) = expand("Bearer ${env:TOKEN}!", &env, &dir).unwrap();
        assert_eq!((text.as_str(), found.len()), ("Bearer t-42xyz!", 1));
        assert_eq!(found[0].source(), "${env:TOKEN}");
        let e = expand("Bearer ${env:NOPE}", &env, &dir).unwrap_err();
        assert!(e.starts_with("environment variable `NOPE` is not set: set it before running"), "{e}");
        assert!(expand("${env:TOKEN", &env, &dir).unwrap_err().contains("not closed"));
        assert_eq!(expand("plain $HOME {x}", &env, &dir).unwrap().0, "plain $HOME {x}");
    }

    #[test]
    fn redaction_scrubs_every_occurrence() {
        let s = |v: &str| ("n".to_string(), Secret::new(v.into(), "${env:X}".into()));
        let secrets = vec![s("abcd"), s("abcdefg")];
        assert_eq!(redact(&secrets, "x abcdefg y abcd"), "x <redacted> y <redacted>");
    }
}
