//! The import graph of src/ is the pipeline of docs/architecture.md: every `crate::`, `super::`
//! and `self::` path (and a `mod.rs`'s paths through its own children) is an edge between two
//! units, and an edge may only point to the unit's own layer or an earlier one, never in a circle.
//! Test code (`#[cfg(test)]` items, `tests.rs`, `*_tests.rs`) may assemble a whole pipeline and is
//! not checked; neither is src/main.rs (a separate crate that sees only the library's API).
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, earliest first: a unit may use its own layer (without a cycle) or an earlier one.
/// A unit is a top-level module, or `module/child` for the modules in `SPLIT`; a child not named
/// here is in its module's layer.
const LAYERS: &[&[&str]] = &[
    // Leaves: units and numbers, URLs, the process clock, the stop flag and signals, redaction.
    &["units", "url", "clock", "signal", "redact"],
    // Spec types used by the plan: SLO rules and their text, a distributed run's start instant.
    &["slo/spec", "slo/parse", "distributed/start"],
    // What the user wrote on the command line (clap types only).
    &["cli", "distributed/args"],
    &["plan"],
    &["schedule"],
    &["http"],
    &["record"],
    &["engine"],
    &["merge"],
    // Fed by the timeline rows of merge: target resources, SLO rows, reasons and breakers.
    &["watch", "slo"],
    &["report"],
    // Evaluation of SLOs against a finished Report.
    &["slo/evaluate"],
    // Assembles a run (Config) from the flags, the plan and the environment.
    &["config"],
    // Commands: a run, a gate, a capacity search, distributed merge/manifests, advice, the target.
    &["run", "gate", "suggest", "distributed", "serve", "serve_args"],
    &["breakpoint"],
];

/// Modules whose children are units of their own (their internal graph is checked for cycles).
const SPLIT: &[&str] = &["http", "plan", "slo", "distributed", "engine"];

#[derive(Clone, Debug)]
struct Edge {
    from: String,
    to: String,
    at: String,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// src/plan/model.rs → ["plan", "model"]; src/plan/mod.rs → ["plan"]; src/lib.rs → [].
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("under src/").with_extension("");
    let mut path: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
        path.pop();
    }
    path
}

fn is_module(path: &[&str]) -> bool {
    let base = path.iter().fold(src(), |p, s| p.join(s));
    base.with_extension("rs").is_file() || base.join("mod.rs").is_file()
}

/// The unit an absolute module path (`plan::model::Plan`) belongs to, or None outside the crate's modules.
fn unit_of(path: &[String]) -> Option<String> {
    let top = path.first()?;
    if !is_module(&[top]) {
        return None;
    }
    match path.get(1) {
        Some(child) if SPLIT.contains(&top.as_str()) && is_module(&[top, child]) => Some(format!("{top}/{child}")),
        _ => Some(top.clone()),
    }
}

fn layer(unit: &str) -> Option<usize> {
    let top = unit.split('/').next().unwrap_or(unit);
    let find = |name: &str| LAYERS.iter().position(|l| l.contains(&name));
    find(unit).or_else(|| find(top))
}

/// The lines that are not test code or comments, numbered from 1.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut skipping, mut depth, mut opened) = (false, 0i64, false);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("#[cfg(test)]") {
            (skipping, depth, opened) = (true, 0, false);
            continue;
        }
        if skipping {
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            opened |= line.contains('{');
            let attribute = line.starts_with("#[");
            if !attribute && ((opened && depth <= 0) || (!opened && line.ends_with(';'))) {
                skipping = false;
            }
            continue;
        }
        if line.starts_with("//") {
            continue;
        }
        let code = line.find(" // ").map_or(line, |c| &line[..c]);
        out.push((i + 1, code.to_string()));
    }
    out
}

/// `a::b::{c, d::{e as f}}` → [a b c], [a b d e].
fn expand(tree: &str) -> Vec<Vec<String>> {
    let segs = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| p.split(" as ").next().unwrap_or("").trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let tree = tree.trim();
    let Some(open) = tree.find('{') else { return vec![segs(tree)] };
    let prefix = segs(&tree[..open]);
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p))
        .map(|t| [prefix.clone(), t].concat())
        .collect()
}

/// Every path of the form `a::b…` in an expression line.
fn inline_paths(line: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let bytes: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts =
            ident(bytes[i]) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == ':' || bytes[i - 1] == '$'));
        if !starts {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        loop {
            let s = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            segs.push(bytes[s..i].iter().collect::<String>());
            if i + 2 < bytes.len() && bytes[i] == ':' && bytes[i + 1] == ':' && ident(bytes[i + 2]) {
                i += 2;
            } else {
                break;
            }
        }
        if segs.len() > 1 {
            out.push(segs);
        }
    }
    out
}

/// A path as written in module `here` → an absolute path, or None (std, an external crate, a local).
fn resolve(here: &[String], children: &BTreeSet<String>, path: &[String]) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "self" => Some([here, &path[1..]].concat()),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let base = here.get(..here.len().checked_sub(ups)?)?;
            Some([base, &path[ups..]].concat())
        }
        name if children.contains(name) => Some([here, path].concat()),
        _ => None,
    }
}

/// The children a module file declares (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn children(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("pub ").or_else(|| l.strip_prefix("pub(crate) ")).unwrap_or(l);
            rest.strip_prefix("mod ")?.strip_suffix(';').map(str::to_string)
        })
        .collect()
}

fn paths_of(lines: &[(usize, String)]) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut stmt: Option<(usize, String)> = None;
    for (n, line) in lines {
        let body = ["pub use ", "pub(crate) use ", "use "].iter().find_map(|p| line.strip_prefix(p));
        if let Some((start, text)) = stmt.as_mut() {
            text.push_str(line);
            if line.contains(';') {
                let tree = text.trim_end().trim_end_matches(';').to_string();
                out.extend(expand(&tree).into_iter().map(|p| (*start, p)));
                stmt = None;
            }
            continue;
        }
        match body {
            Some(b) if b.contains(';') => {
                out.extend(expand(b.trim_end().trim_end_matches(';')).into_iter().map(|p| (*n, p)))
            }
            Some(b) => stmt = Some((*n, b.to_string())),
            None => out.extend(inline_paths(line).into_iter().map(|p| (*n, p))),
        }
    }
    out
}

fn edges() -> Vec<Edge> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name == "tests.rs" || name.ends_with("_tests.rs") || file == src().join("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source is readable");
        let here = module_path(&file);
        let Some(from) = unit_of(&here) else { continue };
        let kids = children(&text);
        let shown = file.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or(&file).display().to_string();
        for (n, path) in paths_of(&code_lines(&text)) {
            let Some(to) = resolve(&here, &kids, &path).and_then(|p| unit_of(&p)) else { continue };
            let at = format!("{shown}:{n}");
            if to != from && !out.iter().any(|e: &Edge| e.at == at && e.to == to) {
                out.push(Edge { from: from.clone(), to, at });
            }
        }
    }
    out
}

/// One cycle of the graph, as its edges, if there is one.
fn find_cycle(edges: &[Edge]) -> Option<Vec<Edge>> {
    let mut next: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for e in edges {
        next.entry(&e.from).or_default().push(e);
    }
    // 0 unseen, 1 on the current path, 2 done.
    fn visit<'a>(
        u: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a Edge>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a Edge>,
    ) -> Option<Vec<Edge>> {
        state.insert(u, 1);
        for e in next.get(u).into_iter().flatten() {
            match state.get(e.to.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| p.from == e.to).unwrap_or(path.len());
                    return Some(path[start..].iter().copied().chain([*e]).cloned().collect());
                }
                0 => {
                    path.push(e);
                    if let Some(c) = visit(&e.to, next, state, path) {
                        return Some(c);
                    }
                    path.pop();
                }
                _ => {}
            }
        }
        state.insert(u, 2);
        None
    }
    let mut state = BTreeMap::new();
    for u in next.keys() {
        if state.get(u).copied().unwrap_or(0) == 0
            && let Some(c) = visit(u, &next, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn every_unit_has_a_layer() {
    let unplaced: BTreeSet<String> =
        edges().into_iter().flat_map(|e| [e.from, e.to]).filter(|u| layer(u).is_none()).collect();
    assert!(unplaced.is_empty(), "modules with no layer in tests/architecture.rs LAYERS: {unplaced:?}");
}

#[test]
fn no_module_imports_a_later_stage() {
    let wrong: Vec<String> = edges()
        .into_iter()
        .filter_map(|e| {
            let (from, to) = (layer(&e.from)?, layer(&e.to)?);
            (to > from).then(|| {
                format!("{}: {} (layer {from}) uses {} (layer {to}), a later stage of the pipeline", e.at, e.from, e.to)
            })
        })
        .collect();
    assert!(wrong.is_empty(), "imports against the pipeline order (docs/architecture.md):\n{}", wrong.join("\n"));
}

#[test]
fn the_import_graph_has_no_cycle() {
    let edges = edges();
    // The first place each edge occurs is enough to name it.
    let mut seen = BTreeSet::new();
    let unique: Vec<Edge> = edges.into_iter().filter(|e| seen.insert((e.from.clone(), e.to.clone()))).collect();
    if let Some(cycle) = find_cycle(&unique) {
        let shown: Vec<String> = cycle.iter().map(|e| format!("{}: {} -> {}", e.at, e.from, e.to)).collect();
        panic!("the import graph has a cycle:\n{}", shown.join("\n"));
    }
}

#[test]
fn the_checker_reads_grouped_and_relative_imports() {
    let paths = expand("crate::{a::b, c::{d, e as f}}");
    assert_eq!(paths, [vec!["crate", "a", "b"], vec!["crate", "c", "d"], vec!["crate", "c", "e"]]);
    let here = ["plan".to_string(), "model".to_string()];
    let kids = BTreeSet::new();
    let up = resolve(&here, &kids, &["super".into(), "check".into(), "Checks".into()]).unwrap();
    assert_eq!(unit_of(&up).as_deref(), Some("plan/check"));
    let inline = inline_paths("let x = crate::report::Report::build(a, b::c);");
    assert_eq!(inline[0], ["crate", "report", "Report", "build"]);
    assert!(
        code_lines("#[cfg(test)]\nmod tests {\n use crate::report::X;\n}\nuse crate::plan::Y;")
            .iter()
            .all(|(n, l)| *n == 5 && l.contains("plan"))
    );
}

/// The graph as this test sees it, by layer (`cargo test --test architecture -- --ignored
/// --nocapture`): what a `cargo modules` listing would show, at the units checked here.
#[test]
#[ignore]
fn print_the_graph() {
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in edges() {
        uses.entry(e.from).or_default().insert(e.to);
    }
    let mut units: Vec<(usize, &String)> = uses.keys().map(|u| (layer(u).unwrap_or(usize::MAX), u)).collect();
    units.sort();
    for (l, u) in units {
        let to: Vec<&str> = uses[u].iter().map(String::as_str).collect();
        println!("{l:>2} {u:<18} -> {}", to.join(" "));
    }
}
