//! Correlation: pull a value out of a response (a JSON path, a header, a regex capture) into a
//! variable that later steps of the same iteration use. Compiled at load; run per response.
use super::template::Vars;
use regex::bytes::Regex;
use serde_json::Value;
use std::fmt;

/// Where a value comes from.
#[derive(Clone)]
pub enum Extractor {
    /// `$.a.b[0]`: dot keys and array indexes over the JSON body.
    Json(JsonPath),
    /// The first header of this name (case-insensitive).
    Header(String),
    /// The first match in the body: capture group 1 if the regex has one, else the whole match.
    Regex(Regex),
}

impl fmt::Debug for Extractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Extractor::Json(p) => write!(f, "Json({:?})", p.source),
            Extractor::Header(h) => write!(f, "Header({h:?})"),
            Extractor::Regex(r) => write!(f, "Regex({:?})", r.as_str()),
        }
    }
}

impl PartialEq for Extractor {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Extractor::Json(a), Extractor::Json(b)) => a == b,
            (Extractor::Header(a), Extractor::Header(b)) => a.eq_ignore_ascii_case(b),
            (Extractor::Regex(a), Extractor::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl fmt::Display for Extractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Extractor::Json(p) => write!(f, "json {}", p.source),
            Extractor::Header(h) => write!(f, "header {h}"),
            Extractor::Regex(r) => write!(f, "regex {}", r.as_str()),
        }
    }
}

/// A compiled JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    source: String,
    steps: Vec<JsonStep>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum JsonStep {
    Key(String),
    Index(usize),
}

impl JsonPath {
    /// `$`, then any of `.key`, `["key"]` / `['key']`, `[index]`.
    pub fn parse(s: &str) -> Result<JsonPath, String> {
        let bad = |why: &str| format!("`{s}` is not a JSON path: {why}");
        let mut rest = s.trim().strip_prefix('$').ok_or_else(|| bad("it must start with `$`"))?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return Err(bad("empty key after `.`"));
                }
                steps.push(JsonStep::Key(r[..end].to_string()));
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| bad("unclosed `[`"))?;
                let inner = r[..end].trim();
                let quoted = inner.len() >= 2
                    && ((inner.starts_with('"') && inner.ends_with('"'))
                        || (inner.starts_with('\'') && inner.ends_with('\'')));
                if quoted {
                    steps.push(JsonStep::Key(inner[1..inner.len() - 1].to_string()));
                } else {
                    let i = inner.parse().map_err(|_| bad("an index must be a whole number ≥ 0 or a quoted key"))?;
                    steps.push(JsonStep::Index(i));
                }
                rest = &r[end + 1..];
            } else {
                return Err(bad("expected `.key` or `[index]`"));
            }
        }
        Ok(JsonPath { source: s.trim().to_string(), steps })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value at this path: strings as they are, numbers and booleans as text, objects and
    /// arrays as JSON; `None` for null or absent.
    pub fn get(&self, v: &Value) -> Option<String> {
        let mut cur = v;
        for step in &self.steps {
            cur = match step {
                JsonStep::Key(k) => cur.get(k.as_str())?,
                JsonStep::Index(i) => cur.get(*i)?,
            };
        }
        match cur {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// One `extract:` entry of a step: the variable's name and slot in `Vars`.
#[derive(Clone, Debug, PartialEq)]
pub struct Extraction {
    pub name: String,
    pub slot: usize,
    pub from: Extractor,
}

fn header<'a>(headers: &[(&[u8], &'a [u8])], name: &str) -> Option<&'a [u8]> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| *v)
}

impl Extractor {
    /// The value, or `None` when the response does not have it. Parses the body for each JSON
    /// extraction: steps with several use `extract_all`, which parses once.
    pub fn extract(&self, headers: &[(&[u8], &[u8])], body: &[u8]) -> Option<String> {
        match self {
            Extractor::Json(p) => p.get(&serde_json::from_slice(body).ok()?),
            _ => self.extract_with(headers, body, None),
        }
    }

    fn extract_with(&self, headers: &[(&[u8], &[u8])], body: &[u8], json: Option<&Value>) -> Option<String> {
        match self {
            Extractor::Json(p) => p.get(json?),
            Extractor::Header(name) => {
                header(headers, name).map(|v| String::from_utf8_lossy(v.trim_ascii()).into_owned())
            }
            Extractor::Regex(re) => {
                let caps = re.captures(body)?;
                let m = caps.get(1).or_else(|| caps.get(0))?;
                Some(String::from_utf8_lossy(m.as_bytes()).into_owned())
            }
        }
    }
}

/// Runs every extraction of a step into `vars` (parsing a JSON body at most once). Returns how
/// many found nothing; their variables stay unset and render as empty.
pub fn extract_all(list: &[Extraction], headers: &[(&[u8], &[u8])], body: &[u8], vars: &mut Vars) -> u32 {
    let mut missed = 0;
    extract_each(list, headers, body, vars, |_| missed += 1);
    missed
}

/// As `extract_all`, calling `on_miss` with the index in `list` of each extraction that found
/// nothing (so the engine can count failures per variable).
pub fn extract_each(
    list: &[Extraction],
    headers: &[(&[u8], &[u8])],
    body: &[u8],
    vars: &mut Vars,
    mut on_miss: impl FnMut(usize),
) {
    let needs_json = list.iter().any(|e| matches!(e.from, Extractor::Json(_)));
    let json: Option<Value> = if needs_json { serde_json::from_slice(body).ok() } else { None };
    for (i, e) in list.iter().enumerate() {
        match e.from.extract_with(headers, body, json.as_ref()) {
            Some(v) => vars.set(e.slot, v.as_bytes()),
            None => on_miss(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"token":"t-1","user":{"id":42,"roles":["a","b"],"ok":true,"none":null},"odd key":{"x":1}}"#;

    #[test]
    fn json_paths() {
        let get = |p: &str| Extractor::Json(JsonPath::parse(p).unwrap()).extract(&[], BODY);
        assert_eq!(get("$.token").as_deref(), Some("t-1"));
        assert_eq!(get("$.user.id").as_deref(), Some("42"));
        assert_eq!(get("$.user.roles[1]").as_deref(), Some("b"));
        assert_eq!(get("$.user.roles").as_deref(), Some(r#"["a","b"]"#));
        assert_eq!(get("$['odd key'].x").as_deref(), Some("1"));
        assert_eq!(get("$.user.ok").as_deref(), Some("true"));
        assert_eq!(get("$.user.none"), None);
        assert_eq!(get("$.missing"), None);
        assert_eq!(get("$.user.roles[9]"), None);
        let p = JsonPath::parse("$.token").unwrap();
        assert_eq!(Extractor::Json(p).extract(&[], b"not json"), None);
        for bad in ["token", "$.", "$[x]", "$[1", "$x"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_and_regex() {
        let h: [(&[u8], &[u8]); 2] = [(b"Content-Type", b"application/json"), (b"X-Session", b" s-9 ")];
        assert_eq!(Extractor::Header("x-session".into()).extract(&h, b"").as_deref(), Some("s-9"));
        assert_eq!(Extractor::Header("nope".into()).extract(&h, b""), None);
        let re = |s: &str| Extractor::Regex(Regex::new(s).unwrap());
        assert_eq!(re(r"token=(\w+)").extract(&h, b"a token=xyz; b").as_deref(), Some("xyz"));
        assert_eq!(re(r"\d+").extract(&h, b"id 123").as_deref(), Some("123"));
        assert_eq!(re(r"zzz").extract(&h, b"id 123"), None);
    }

    #[test]
    fn extract_all_fills_slots() {
        let list = vec![
            Extraction { name: "t".into(), slot: 0, from: Extractor::Json(JsonPath::parse("$.token").unwrap()) },
            Extraction {
                name: "r".into(),
                slot: 1,
                from: Extractor::Json(JsonPath::parse("$.user.roles[0]").unwrap()),
            },
            Extraction { name: "m".into(), slot: 2, from: Extractor::Header("missing".into()) },
        ];
        let mut vars = Vars::new(&[], 3);
        assert_eq!(extract_all(&list, &[], BODY, &mut vars), 1);
        assert_eq!(vars.get(0), Some(&b"t-1"[..]));
        assert_eq!(vars.get(1), Some(&b"a"[..]));
        assert_eq!(vars.get(2), None);
    }
}
