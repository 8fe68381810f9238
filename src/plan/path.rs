//! Key paths (`load.stages[1].rate`, `target.headers["X.Y"]`): how errors name a node and how
//! `--set` addresses one. One spelling, shared by the parser, the validator and the overrides.

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

fn plain(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `parent.key`, or `parent["odd key"]` when the key is not a plain word.
pub(crate) fn key(parent: &str, k: &str) -> String {
    if plain(k) {
        if parent.is_empty() { k.to_string() } else { format!("{parent}.{k}") }
    } else {
        format!("{parent}[\"{}\"]", k.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// `parent[i]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// Parses `a.b[0]["c.d"]` into segments.
pub(crate) fn parse(path: &str) -> Result<Vec<Seg>, String> {
    let bad = |why: &str| format!("`{path}` is not a key path ({why}); write it like load.stages[0].rate");
    let b = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let (seg, next) = match b[i] {
            b'.' if !out.is_empty() && i + 1 < b.len() && b[i + 1] != b'[' && b[i + 1] != b'.' => {
                i += 1;
                continue;
            }
            b'[' if i + 1 < b.len() && b[i + 1] == b'"' => quoted_key(path, i),
            b'[' => bracket(path, i),
            _ => word(path, i),
        }
        .map_err(bad)?;
        out.push(seg);
        i = next;
    }
    if out.is_empty() || path.ends_with('.') {
        return Err(bad("empty"));
    }
    Ok(out)
}

/// `["c.d"]` at `i` (a backslash escapes the next character): the key and where the path goes on.
fn quoted_key(path: &str, i: usize) -> Result<(Seg, usize), &'static str> {
    let b = path.as_bytes();
    let mut k = String::new();
    let mut j = i + 2;
    loop {
        match b.get(j) {
            None => return Err("unclosed quote"),
            Some(b'\\') if j + 1 < b.len() => {
                k.push(b[j + 1] as char);
                j += 2;
            }
            Some(b'"') => break,
            Some(_) => {
                let ch = path[j..].chars().next().unwrap_or('?');
                k.push(ch);
                j += ch.len_utf8();
            }
        }
    }
    if b.get(j + 1) != Some(&b']') {
        return Err("expected ] after the quoted key");
    }
    Ok((Seg::Key(k), j + 2))
}

/// `[0]` (an index) or `[browse]` (a plain key) at `i`.
fn bracket(path: &str, i: usize) -> Result<(Seg, usize), &'static str> {
    let end = path[i..].find(']').ok_or("unclosed [")? + i;
    let inner = &path[i + 1..end];
    let seg = match inner.parse::<usize>() {
        Ok(n) => Seg::Index(n),
        Err(_) if plain(inner) => Seg::Key(inner.to_string()),
        Err(_) => return Err("the index is not a number"),
    };
    Ok((seg, end + 1))
}

/// A key written as a word at `i`, up to the next `.` or `[` (only at the start or after a `.`).
fn word(path: &str, i: usize) -> Result<(Seg, usize), &'static str> {
    let b = path.as_bytes();
    let end = path[i..].find(['.', '[']).map_or(path.len(), |e| e + i);
    if end == i || (i > 0 && b[i - 1] != b'.') || path[i..end].contains(']') {
        return Err("empty or misplaced key");
    }
    Ok((Seg::Key(path[i..end].to_string()), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_parse_round_trip() {
        let p = index(&key(&key("", "load"), "stages"), 1);
        let p = key(&p, "rate");
        assert_eq!(p, "load.stages[1].rate");
        assert_eq!(
            parse(&p).unwrap(),
            vec![Seg::Key("load".into()), Seg::Key("stages".into()), Seg::Index(1), Seg::Key("rate".into())]
        );
        let odd = key("target.headers", "X.Y \"q\"");
        assert_eq!(odd, r#"target.headers["X.Y \"q\""]"#);
        assert_eq!(parse(&odd).unwrap()[2], Seg::Key("X.Y \"q\"".into()));
        assert_eq!(parse("endpoints[browse].weight").unwrap()[1], Seg::Key("browse".into()));
    }

    #[test]
    fn bad_paths() {
        for p in ["", ".a", "a.", "a..b", "a[0", "a[x y]", "a[\"x", "a]b"] {
            assert!(parse(p).is_err(), "{p}");
        }
    }
}
