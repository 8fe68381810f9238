//! Overrides applied to the parsed YAML tree before it is read: `ONSLAUGHT_*` environment variables,
//! then `--set key.path=value` (so flag > env > file). An overriding value keeps its own position
//! (`$ONSLAUGHT_X:1:1`, `--set:N:COL`), so errors in it point at it, not at the file.
use super::error::{Diag, Issue, Mark, Origin};
use super::path::{self, Seg};
use super::raw::known_keys;
use super::yaml::{Entry, Node, Value};

pub const ENV_PREFIX: &str = "ONSLAUGHT_";

fn scalar(text: &str, mark: Mark) -> Node {
    if matches!(text, "" | "~" | "null") { Node { value: Value::Null, mark } } else { Node::scalar(text, mark) }
}

/// Not plan keys: a distributed run's shard count and common start (read by crate::distributed).
pub const RUN_VARS: [&str; 2] = ["ONSLAUGHT_SHARDS", "ONSLAUGHT_START_AT"];

/// Applies every `ONSLAUGHT_*` pair of `env` (others are ignored), then every `--set`.
/// Returns the names of the environment variables used, indexed by `Origin::Env`.
pub(crate) fn apply(root: &mut Node, sets: &[String], env: &[(String, String)], diag: &mut Diag) -> Vec<String> {
    let known = known_keys();
    let mut names = Vec::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else { continue };
        if name.starts_with(crate::slo::parse::ENV_PREFIX)
            || RUN_VARS.contains(&name.as_str())
            || name == super::profiles::ENV_VAR
        {
            // Read by crate::slo, above --slo-file (flag > env > file > plan).
            continue;
        }
        let mark = Mark { origin: Origin::Env(names.len() as u16), line: 1, col: 1 };
        names.push(name.clone());
        let segs = env_path(rest, root, &known);
        let at = display(&segs);
        if segs.is_empty() {
            diag.note(
                Issue::new(mark, "", format!("`{name}` names no key"))
                    .expected("ONSLAUGHT_<KEY_PATH>, e.g. ONSLAUGHT_LOAD_WARMUP"),
            );
            continue;
        }
        if let Err(e) = set(root, &segs, scalar(value, mark), mark, "") {
            diag.note(
                Issue::new(mark, &at, e).hint("use --set with an explicit path, e.g. --set load.stages[0].rate=500"),
            );
        }
    }
    for (i, s) in sets.iter().enumerate() {
        let line = i as u32 + 1;
        let Some((key, value)) = s.split_once('=') else {
            let issue =
                Issue::new(Mark { origin: Origin::Set(i as u16), line, col: 1 }, "", format!("`{s}` has no `=`"));
            diag.note(issue.expected("KEY.PATH=VALUE, e.g. load.warmup=10s"));
            continue;
        };
        let mark = Mark { origin: Origin::Set(i as u16), line, col: key.chars().count() as u32 + 2 };
        let key_mark = Mark { col: 1, ..mark };
        match path::parse(key.trim()) {
            Ok(segs) => {
                if let Err(e) = set(root, &segs, scalar(value, mark), key_mark, "") {
                    diag.note(Issue::new(key_mark, key.trim(), e));
                }
            }
            Err(e) => diag.note(Issue::new(key_mark, "", e).expected("KEY.PATH=VALUE, e.g. load.stages[0].rate=500")),
        }
    }
    names
}

fn display(segs: &[Seg]) -> String {
    segs.iter().fold(String::new(), |p, s| match s {
        Seg::Key(k) => path::key(&p, k),
        Seg::Index(i) => path::index(&p, *i),
    })
}

fn kind(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "a mapping",
        Value::Seq(_) => "a list",
        _ => "a value",
    }
}

/// Sets the scalar at `segs`, creating missing mapping keys (positioned at `key_mark`) on the way.
/// A key that names an item of a list selects the item with that `name`.
fn set(node: &mut Node, segs: &[Seg], value: Node, key_mark: Mark, here: &str) -> Result<(), String> {
    let Some((first, rest)) = segs.split_first() else {
        if matches!(node.value, Value::Map(_) | Value::Seq(_)) {
            return Err(format!("`{here}` is {}: an override sets one value; name a key inside it", kind(node)));
        }
        *node = value;
        return Ok(());
    };
    if node.value == Value::Null && matches!(first, Seg::Key(_)) {
        node.value = Value::Map(Vec::new());
    }
    let mark = value.mark;
    if let (Value::Null, Seg::Index(i)) = (&node.value, first) {
        return Err(format!("`{here}` is not set: there is no [{i}]"));
    }
    match (first, &mut node.value) {
        (Seg::Key(k), Value::Map(entries)) => {
            let next = path::key(here, k);
            let i = match entries.iter().position(|e| &e.key == k) {
                Some(i) => i,
                None => {
                    entries.push(Entry { key: k.clone(), key_mark, value: Node { value: Value::Null, mark } });
                    entries.len() - 1
                }
            };
            set(&mut entries[i].value, rest, value, key_mark, &next)
        }
        (Seg::Index(i), Value::Seq(items)) => {
            let len = items.len();
            let next = path::index(here, *i);
            match items.get_mut(*i) {
                Some(item) => set(item, rest, value, key_mark, &next),
                None => Err(format!("`{here}` has {len} item(s): there is no [{i}]")),
            }
        }
        (Seg::Key(k), Value::Seq(items)) => {
            let pos = items.iter().position(|it| name_of(it) == Some(k.as_str()));
            match pos {
                Some(i) => set(&mut items[i], rest, value, key_mark, &path::index(here, i)),
                None => Err(format!("`{here}` has no item named `{k}`")),
            }
        }
        (Seg::Index(i), _) => Err(format!("`{here}` is {}, not a list: there is no [{i}]", kind(node))),
        (Seg::Key(k), _) => Err(format!("`{here}` is {}, not a mapping: there is no `{k}`", kind(node))),
    }
}

fn name_of(item: &Node) -> Option<&str> {
    let Value::Map(entries) = &item.value else { return None };
    entries.iter().find(|e| e.key == "name").and_then(|e| match &e.value.value {
        Value::Scalar { text, .. } => Some(text.as_str()),
        _ => None,
    })
}

fn child<'n>(node: Option<&'n Node>, seg: &Seg) -> Option<&'n Node> {
    match (seg, &node?.value) {
        (Seg::Key(k), Value::Map(es)) => es.iter().find(|e| &e.key == k).map(|e| &e.value),
        (Seg::Key(k), Value::Seq(items)) => items.iter().find(|it| name_of(it) == Some(k.as_str())),
        (Seg::Index(i), Value::Seq(items)) => items.get(*i),
        _ => None,
    }
}

/// `TARGET_BASE_URL` → `target.base_url`: words are joined back with `_` where that spells a key
/// the schema knows, a key the file has, or the name of a list item (longest match first); a
/// number is a list index.
fn env_path(rest: &str, root: &Node, known: &[&str]) -> Vec<Seg> {
    let words: Vec<String> = rest.split('_').filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).collect();
    let mut segs = Vec::new();
    let mut cur = Some(root);
    let mut i = 0;
    while i < words.len() {
        if let Ok(n) = words[i].parse::<usize>() {
            segs.push(Seg::Index(n));
            cur = child(cur, &Seg::Index(n));
            i += 1;
            continue;
        }
        let mut found = None;
        for j in (i + 1..=words.len()).rev() {
            let cand = words[i..j].join("_");
            let written = match cur.map(|n| &n.value) {
                Some(Value::Map(es)) => es.iter().find(|e| e.key.eq_ignore_ascii_case(&cand)).map(|e| e.key.clone()),
                Some(Value::Seq(items)) => {
                    items.iter().filter_map(name_of).find(|n| n.eq_ignore_ascii_case(&cand)).map(str::to_string)
                }
                _ => None,
            };
            if let Some(k) = written.or_else(|| known.contains(&cand.as_str()).then_some(cand)) {
                found = Some((j, k));
                break;
            }
        }
        let (j, key) = found.unwrap_or_else(|| (i + 1, words[i].clone()));
        let seg = Seg::Key(key);
        cur = child(cur, &seg);
        segs.push(seg);
        i = j;
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::yaml;

    fn tree(src: &str) -> Node {
        let mut d = Diag::default();
        yaml::parse(src, &mut d).unwrap()
    }

    fn p(segs: &[Seg]) -> String {
        display(segs)
    }

    #[test]
    fn env_names_map_to_paths() {
        let root = tree("target: { headers: { X-Api: a } }\nendpoints: [{ name: Browse, path: / }]\n");
        let known = known_keys();
        let cases = [
            ("LOAD_WARMUP", "load.warmup"),
            ("TARGET_BASE_URL", "target.base_url"),
            ("TARGET_CONNECT_TIMEOUT", "target.connect_timeout"),
            ("LOAD_STAGES_0_RATE", "load.stages[0].rate"),
            ("ENDPOINTS_BROWSE_WEIGHT", "endpoints.Browse.weight"),
            ("JOURNEYS_1_STEPS_0_CHECK_MAX_LATENCY", "journeys[1].steps[0].check.max_latency"),
            ("SEED", "seed"),
        ];
        for (env, want) in cases {
            assert_eq!(p(&env_path(env, &root, &known)), want, "{env}");
        }
    }

    #[test]
    fn set_creates_keys_selects_items_and_refuses_collections() {
        let mut root = tree("load:\n  stages:\n    - { duration: 1s, rate: 5 }\nendpoints: [{ name: a, path: / }]\n");
        let mut d = Diag::default();
        let sets = [
            "load.stages[0].rate=500".to_string(),
            "load.warmup=3s".into(),
            "endpoints.a.weight=7".into(),
            "load.stages=1".into(),
            "load.stages[4].rate=1".into(),
            "nokey".into(),
        ];
        apply(&mut root, &sets, &[], &mut d);
        let errs = d.finish(&Default::default());
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("--set:4:1: load.stages: `load.stages` is a list"), "{lines:?}");
        assert!(lines[1].starts_with("--set:5:1: load.stages[4].rate: `load.stages` has 1 item(s)"), "{lines:?}");
        assert!(lines[2].starts_with("--set:6:1: (plan): `nokey` has no `=`"), "{lines:?}");
        let ix = yaml::Index::build(&root);
        assert_eq!(ix.value("load.stages[0].rate"), Mark { origin: Origin::Set(0), line: 1, col: 21 });
        assert!(ix.has("load.warmup") && ix.has("endpoints[0].weight"));
    }
}
