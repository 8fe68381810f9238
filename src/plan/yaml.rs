//! YAML text into a tree of nodes that remember where they were written (line, column). Only
//! syntax is checked here; what the keys mean is the deserializer's and the validator's business.
//! serde_yaml reports positions only for its own errors, so the tree is built from yaml-rust2's
//! marked events instead.
use super::error::{Diag, Issue, Mark, Origin};
use super::path;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML value with its position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub mark: Mark,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// An empty value, `~` or `null`.
    Null,
    /// Any scalar, as written; `plain` is false when it was quoted or a block scalar.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_mark: Mark,
    pub value: Node,
}

impl Node {
    pub fn scalar(text: &str, mark: Mark) -> Node {
        Node { value: Value::Scalar { text: text.to_string(), plain: true }, mark }
    }
    /// What a user would call this node in "found ..." messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "an empty value".to_string(),
            Value::Scalar { text, .. } => {
                let short: String = text.chars().take(40).collect();
                let more = if short.len() < text.len() { "…" } else { "" };
                format!("`{short}{more}`")
            }
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
        }
    }
}

/// Largest document read (a 100 000-endpoint plan is about 5 MiB).
pub(crate) const MAX_DOCUMENT_BYTES: usize = 64 << 20;
/// Deepest nesting of lists and mappings (a plan needs about 8).
pub(crate) const MAX_DEPTH: usize = 64;
/// Nodes that anchors and aliases may copy in one document, all together: a nested alias bomb
/// (`&a [x, x, ...]`, `&b [*a, *a, ...]`, ...) grows exponentially and is stopped here, before the copy.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;
/// Text that anchors and aliases may copy in one document, all together.
pub(crate) const MAX_ALIAS_BYTES: usize = 16 << 20;

/// What a node holds: itself and its descendants, and the bytes of their scalars.
#[derive(Clone, Copy, Debug, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
}

impl Size {
    fn add(&mut self, o: Size) {
        self.nodes = self.nodes.saturating_add(o.nodes);
        self.bytes = self.bytes.saturating_add(o.bytes);
    }

    fn plus_one(self) -> Size {
        Size { nodes: self.nodes.saturating_add(1), ..self }
    }
}

/// A mapping with this many keys finds duplicates by hash; a smaller one by a scan (cheaper for
/// the few keys of an endpoint, and linear in total either way).
const HASHED_KEYS: usize = 16;

/// The line where key `k` was first set in a mapping, if it was.
fn first_line(entries: &[Entry], seen: &HashMap<String, u32>, k: &str) -> Option<u32> {
    if seen.is_empty() { entries.iter().find(|e| e.key == k).map(|e| e.key_mark.line) } else { seen.get(k).copied() }
}

fn mark(m: &Marker) -> Mark {
    Mark { origin: Origin::File, line: m.line() as u32, col: m.col() as u32 + 1 }
}

enum Frame {
    Seq {
        path: String,
        items: Vec<Node>,
        mark: Mark,
        anchor: usize,
        size: Size,
    },
    Map {
        path: String,
        entries: Vec<Entry>,
        mark: Mark,
        anchor: usize,
        key: Option<(String, Mark)>,
        size: Size,
        /// Key → its line, for the duplicate check (a hash: a mapping may have many keys).
        seen: HashMap<String, u32>,
    },
}

impl Frame {
    fn size(&mut self) -> &mut Size {
        match self {
            Frame::Seq { size, .. } | Frame::Map { size, .. } => size,
        }
    }

    fn child_path(&self) -> String {
        match self {
            Frame::Seq { path, items, .. } => path::index(path, items.len()),
            Frame::Map { path, key: Some((k, _)), .. } => path::key(path, k),
            Frame::Map { path, .. } => path.clone(),
        }
    }
}

struct Builder<'d> {
    stack: Vec<Frame>,
    /// Each anchored node with its size (what an alias to it copies).
    anchors: HashMap<usize, (Node, Size)>,
    /// Nodes and text copied so far by anchors and aliases (bounded: see `Limits`).
    copied: Size,
    root: Option<Node>,
    diag: &'d mut Diag,
}

impl Builder<'_> {
    fn path(&self) -> String {
        self.stack.last().map(Frame::child_path).unwrap_or_default()
    }

    /// Adds `node` (of `size`) to the node being built; an anchor keeps a copy for its aliases.
    fn add(&mut self, node: Node, anchor: usize, size: Size) -> Result<(), Issue> {
        if let Some(f) = self.stack.last_mut() {
            f.size().add(size);
        }
        if anchor > 0 {
            self.copy(size, node.mark)?;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.attach(node);
        Ok(())
    }

    /// Counts a copy of `size` against the document's alias budget.
    fn copy(&mut self, size: Size, at: Mark) -> Result<(), Issue> {
        self.copied.add(size);
        if self.copied.nodes > MAX_ALIAS_NODES || self.copied.bytes > MAX_ALIAS_BYTES {
            return Err(Issue::new(at, &self.path(), "anchors and aliases expand this document too far")
                .expected(format!(
                    "at most {MAX_ALIAS_NODES} nodes and {} MiB of text copied by aliases",
                    MAX_ALIAS_BYTES >> 20
                ))
                .hint(
                    "an alias copies its anchor's whole subtree: write the repeated part out, or nest fewer aliases",
                ));
        }
        Ok(())
    }

    /// Puts `node` in its place: the root, the next item of a list, or a mapping's next key or
    /// value. Paths for errors are formatted only when there is an error.
    fn attach(&mut self, node: Node) {
        let issue = match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                None
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                None
            }
            Some(Frame::Map { path, entries, key, seen, .. }) => match key.take() {
                None => {
                    let (text, issue) = match node.value {
                        Value::Scalar { text, .. } => (text, None),
                        Value::Null => (String::new(), None),
                        _ => {
                            let issue = Issue::new(node.mark, path, "a key must be plain text, not a list or mapping");
                            ("?".to_string(), Some(issue.expected("`name: value`")))
                        }
                    };
                    *key = Some((text, node.mark));
                    issue
                }
                Some((k, key_mark)) => match first_line(entries, seen, &k) {
                    Some(line) => Some(
                        Issue::new(key_mark, &path::key(path, &k), format!("duplicate key `{k}`"))
                            .hint(format!("it is already set on line {line}; keep one")),
                    ),
                    None => {
                        if seen.is_empty() && entries.len() + 1 >= HASHED_KEYS {
                            seen.extend(entries.iter().map(|e| (e.key.clone(), e.key_mark.line)));
                        }
                        if !seen.is_empty() {
                            seen.insert(k.clone(), key_mark.line);
                        }
                        entries.push(Entry { key: k, key_mark, value: node });
                        None
                    }
                },
            },
        };
        if let Some(issue) = issue {
            self.diag.push(issue);
        }
    }

    fn event(&mut self, ev: Event, at: Mark) -> Result<(), Issue> {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let plain = style == TScalarStyle::Plain;
                let null = plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let size = Size { nodes: 1, bytes: text.len() };
                let value = if null { Value::Null } else { Value::Scalar { text, plain } };
                self.add(Node { value, mark: at }, anchor, size)?;
            }
            Event::SequenceStart(anchor, _) => {
                let (path, size) = (self.open(at)?, Size::default());
                self.stack.push(Frame::Seq { path, items: Vec::new(), mark: at, anchor, size });
            }
            Event::MappingStart(anchor, _) => {
                let (path, size) = (self.open(at)?, Size::default());
                let (entries, seen) = (Vec::new(), HashMap::new());
                self.stack.push(Frame::Map { path, entries, mark: at, anchor, key: None, size, seen });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close()?,
            Event::Alias(id) => match self.anchors.get(&id).map(|(_, size)| *size) {
                Some(size) => {
                    self.copy(size, at)?;
                    let node = self.anchors[&id].0.clone();
                    self.add(node, 0, size)?;
                }
                None => return Err(Issue::new(at, &self.path(), "alias to an unknown anchor")),
            },
            _ => {}
        }
        Ok(())
    }

    /// The path of a list or mapping about to open, or an error past `MAX_DEPTH`.
    fn open(&self, at: Mark) -> Result<String, Issue> {
        if self.stack.len() >= MAX_DEPTH {
            let issue = Issue::new(at, &self.path(), format!("lists and mappings nested more than {MAX_DEPTH} deep"));
            return Err(issue.hint("a plan is a few levels deep: look for a runaway `[` or indentation"));
        }
        Ok(self.path())
    }

    fn close(&mut self) -> Result<(), Issue> {
        match self.stack.pop() {
            Some(Frame::Seq { items, mark, anchor, size, .. }) => {
                self.add(Node { value: Value::Seq(items), mark }, anchor, size.plus_one())
            }
            Some(Frame::Map { entries, mark, anchor, size, .. }) => {
                self.add(Node { value: Value::Map(entries), mark }, anchor, size.plus_one())
            }
            None => Ok(()),
        }
    }
}

/// Parses one YAML document. Syntax errors go to `diag` (and yield `None`). The document's size,
/// depth and alias expansion are bounded (`MAX_*`): a plan may come from an untrusted pull request.
pub(crate) fn parse(src: &str, diag: &mut Diag) -> Option<Node> {
    if src.len() > MAX_DOCUMENT_BYTES {
        let issue =
            Issue::new(Mark::file(1, 1), "", format!("the document is larger than {} MiB", MAX_DOCUMENT_BYTES >> 20))
                .hint("split the plan, or keep large request bodies in files");
        diag.push(issue);
        return None;
    }
    let mut parser = Parser::new_from_str(src);
    let mut b = Builder { stack: Vec::new(), anchors: HashMap::new(), copied: Size::default(), root: None, diag };
    let mut documents = 0;
    loop {
        let (ev, marker) = match parser.next_token() {
            Ok(x) => x,
            Err(e) => {
                let issue = Issue::new(mark(e.marker()), &b.path(), format!("invalid YAML: {}", e.info()))
                    .hint("look for an unclosed `[` or `{` or a wrong indentation above; quote values containing `: ` or ` #`");
                b.diag.push(issue);
                return None;
            }
        };
        let at = mark(&marker);
        match ev {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    let issue = Issue::new(at, "", "a second YAML document")
                        .hint("a plan is one document: remove the `---` and what follows");
                    b.diag.push(issue);
                    return None;
                }
            }
            ev => {
                if let Err(issue) = b.event(ev, at) {
                    b.diag.push(issue);
                    return None;
                }
            }
        }
    }
    Some(b.root.unwrap_or(Node { value: Value::Null, mark: Mark::file(1, 1) }))
}

/// Key path → position of the value (and of its key), for errors found after deserialization.
/// Built on the first question: a plan without errors never asks, and a plan of 100 000
/// endpoints would spend most of its validation hashing their paths.
#[derive(Debug)]
pub(crate) struct Index<'n> {
    root: &'n Node,
    maps: std::cell::OnceCell<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    values: HashMap<String, Mark>,
    keys: HashMap<String, Mark>,
}

impl Maps {
    fn walk(&mut self, node: &Node, at: String) {
        match &node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, path::index(&at, i));
                }
            }
            Value::Map(entries) => {
                for e in entries {
                    let p = path::key(&at, &e.key);
                    self.keys.insert(p.clone(), e.key_mark);
                    self.walk(&e.value, p);
                }
            }
            _ => {}
        }
        self.values.insert(at, node.mark);
    }
}

impl<'n> Index<'n> {
    pub fn build(root: &'n Node) -> Index<'n> {
        Index { root, maps: std::cell::OnceCell::new() }
    }

    fn maps(&self) -> &Maps {
        self.maps.get_or_init(|| {
            let mut m = Maps::default();
            m.walk(self.root, String::new());
            m
        })
    }

    /// The position of the value at `path`, or of its nearest written ancestor.
    pub fn value(&self, path: &str) -> Mark {
        let mut p = path;
        loop {
            if let Some(m) = self.maps().values.get(p) {
                return *m;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None if !p.is_empty() => p = "",
                None => return Mark::file(1, 1),
            }
        }
    }

    /// The position of the key naming `path` (falls back to the value's).
    pub fn key(&self, path: &str) -> Mark {
        self.maps().keys.get(path).copied().unwrap_or_else(|| self.value(path))
    }

    /// Whether `path` was written (in the file or by an override).
    #[cfg(test)]
    pub fn has(&self, path: &str) -> bool {
        self.maps().values.contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Node {
        let mut d = Diag::default();
        let n = parse(src, &mut d).expect("parses");
        assert!(d.is_empty(), "{d:?}");
        n
    }

    fn get<'a>(n: &'a Node, k: &str) -> &'a Node {
        match &n.value {
            Value::Map(es) => &es.iter().find(|e| e.key == k).unwrap().value,
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn positions_are_one_based_line_and_column() {
        let n = p("a: 1\nb:\n  c: 'x'\n  d: [1, two]\n");
        assert_eq!(get(&n, "a").mark, Mark::file(1, 4));
        let b = get(&n, "b");
        assert_eq!(get(b, "c").mark, Mark::file(3, 6));
        assert_eq!(get(b, "c").value, Value::Scalar { text: "x".into(), plain: false });
        let Value::Seq(items) = &get(b, "d").value else { panic!() };
        assert_eq!(items[1].mark, Mark::file(4, 10));
        let Value::Map(es) = &b.value else { panic!() };
        assert_eq!(es[1].key_mark, Mark::file(4, 3));
        let ix = Index::build(&n);
        assert_eq!(ix.value("b.d[1]"), Mark::file(4, 10));
        assert_eq!(ix.key("b.d"), Mark::file(4, 3));
        assert_eq!(ix.value("b.d[7].x"), ix.value("b.d"));
        assert!(ix.has("b.c") && !ix.has("b.z"));
    }

    #[test]
    fn nulls_anchors_and_flow() {
        let n = p("a:\nb: ~\nc: &x { k: v }\nd: *x\ne: 'null'\n");
        assert_eq!(get(&n, "a").value, Value::Null);
        assert_eq!(get(&n, "b").value, Value::Null);
        assert_eq!(get(get(&n, "d"), "k").value, Value::Scalar { text: "v".into(), plain: true });
        assert_eq!(get(&n, "e").value, Value::Scalar { text: "null".into(), plain: false });
    }

    #[test]
    fn syntax_errors_and_duplicates_have_positions() {
        let mut d = Diag::default();
        assert!(parse("a: [1, 2\nb: 3\n", &mut d).is_none());
        let e = d.finish(&Default::default());
        assert_eq!(e.len(), 1);
        assert!(e[0].message.starts_with("invalid YAML"), "{e:?}");

        let mut d = Diag::default();
        parse("x: 1\ny: 2\nx: 3\n", &mut d).unwrap();
        let e = d.finish(&Default::default());
        assert_eq!((e[0].line, e[0].column, e[0].message.as_str()), (3, 1, "duplicate key `x`"));
    }

    /// `levels` anchors, each a list of `width` aliases to the one before: width^levels leaves.
    fn alias_bomb(levels: usize, width: usize) -> String {
        let mut s = format!("a0: &a0 [{}]\n", vec!["lol"; width].join(", "));
        for l in 1..levels {
            s += &format!("a{l}: &a{l} [{}]\n", vec![format!("*a{}", l - 1); width].join(", "));
        }
        s
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_is_expanded() {
        let mut d = Diag::default();
        assert!(parse(&alias_bomb(9, 9), &mut d).is_none());
        let e = d.finish(&Default::default());
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("anchors and aliases expand this document too far"), "{e:?}");
        // Aliases within the budget still work.
        let n = p(&alias_bomb(3, 9));
        let Value::Seq(items) = &get(&n, "a2").value else { panic!() };
        assert_eq!(items.len(), 9);
    }

    #[test]
    fn nesting_and_document_size_are_bounded() {
        let mut d = Diag::default();
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep, &mut d).is_none());
        let e = d.finish(&Default::default());
        assert!(e[0].message.contains("nested more than 64 deep"), "{e:?}");
        let mut d = Diag::default();
        let big = format!("a: '{}'", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(parse(&big, &mut d).is_none());
        assert!(d.finish(&Default::default())[0].message.contains("larger than 64 MiB"));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        p(&ok);
    }
}
