//! What of a URL may be shown: every report, log line and error message shows a target URL
//! through `url`, which hides the parts that carry credentials (userinfo and query values).
//! Pure text in, text out; it never parses more than it must, so it also works on malformed input.

/// What replaces a hidden part.
pub const HIDDEN: &str = "***";

/// `s` with its userinfo (`user:pass@`) and every query value (`?k=v&k2=v2`) replaced by `***`:
/// `http://u:p@h/p?api_key=K&x` → `http://***@h/p?api_key=***&x`. Keys stay (they say what was
/// sent), values go; a fragment is dropped as a query value would be.
pub fn url(s: &str) -> String {
    let (scheme, rest) = match s.find("://") {
        Some(i) => s.split_at(i + 3),
        None => ("", s),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(i) => format!("{HIDDEN}{}", &authority[i..]),
        None => authority.to_string(),
    };
    format!("{scheme}{authority}{}", target(tail))
}

/// A request target (path and query) with its query values hidden: `/p?k=v` → `/p?k=***`.
pub fn target(t: &str) -> String {
    let t = t.split('#').next().unwrap_or("");
    let Some((path, query)) = t.split_once('?') else { return t.to_string() };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) => format!("{k}={HIDDEN}"),
            None if pair.is_empty() => String::new(),
            None => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// A plan's request target as `check` prints it: literal query values hidden as in `target`,
/// while a value that is a template (`{{ seq() }}`) or a secret reference (`${env:KEY}`) stays,
/// since it shows how the value is made and holds no secret itself.
pub fn plan_target(t: &str) -> String {
    let Some((path, query)) = t.split_once('?') else { return t.to_string() };
    let shown = |v: &str| v.starts_with("{{") || v.starts_with("${");
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !shown(v) => format!("{k}={HIDDEN}"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_path_keeps_templates_and_references_but_hides_literal_values() {
        assert_eq!(
            plan_target("/api?api_key=K3Y&seq={{ seq() }}&t=${env:TOKEN}&flag"),
            "/api?api_key=***&seq={{ seq() }}&t=${env:TOKEN}&flag"
        );
        assert_eq!(plan_target("/items/{{ item }}"), "/items/{{ item }}");
    }

    #[test]
    fn hides_userinfo_and_query_values() {
        let cases = [
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
            ("http://h/p?api_key=K3Y", "http://h/p?api_key=***"),
            ("http://h?a=1&b&c=", "http://h?a=***&b&c=***"),
            ("http://user:p4ss@h:9/x?t=1#frag", "http://***@h:9/x?t=***"),
            ("https://u@h", "https://***@h"),
            ("not a url?k=v", "not a url?k=***"),
            ("http://h/a@b", "http://h/a@b"),
        ];
        for (given, shown) in cases {
            assert_eq!(url(given), shown, "{given}");
        }
    }
}
