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

fn mark(m: &Marker) -> Mark {
    Mark { origin: Origin::File, line: m.line() as u32, col: m.col() as u32 + 1 }
}

enum Frame {
    Seq { path: String, items: Vec<Node>, mark: Mark, anchor: usize },
    Map { path: String, entries: Vec<Entry>, mark: Mark, anchor: usize, key: Option<(String, Mark)> },
}

impl Frame {
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
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    diag: &'d mut Diag,
}

impl Builder<'_> {
    fn path(&self) -> String {
        self.stack.last().map(Frame::child_path).unwrap_or_default()
    }

    fn add(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let at = self.path();
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let text = match node.value {
                        Value::Scalar { text, .. } => text,
                        Value::Null => String::new(),
                        _ => {
                            let issue = Issue::new(node.mark, &at, "a key must be plain text, not a list or mapping");
                            self.diag.push(issue.expected("`name: value`"));
                            "?".to_string()
                        }
                    };
                    *key = Some((text, node.mark));
                }
                Some((k, key_mark)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == k) {
                        let issue = Issue::new(key_mark, &at, format!("duplicate key `{k}`"))
                            .hint(format!("it is already set on line {}; keep one", first.key_mark.line));
                        self.diag.push(issue);
                    } else {
                        entries.push(Entry { key: k, key_mark, value: node });
                    }
                }
            },
        }
    }

    fn event(&mut self, ev: Event, at: Mark) -> Result<(), Issue> {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let plain = style == TScalarStyle::Plain;
                let null = plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let value = if null { Value::Null } else { Value::Scalar { text, plain } };
                self.add(Node { value, mark: at }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let path = self.path();
                self.stack.push(Frame::Seq { path, items: Vec::new(), mark: at, anchor });
            }
            Event::MappingStart(anchor, _) => {
                let path = self.path();
                self.stack.push(Frame::Map { path, entries: Vec::new(), mark: at, anchor, key: None });
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { items, mark, anchor, .. }) => {
                    self.add(Node { value: Value::Seq(items), mark }, anchor)
                }
                Some(Frame::Map { entries, mark, anchor, .. }) => {
                    self.add(Node { value: Value::Map(entries), mark }, anchor)
                }
                None => {}
            },
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.add(node, 0),
                None => return Err(Issue::new(at, &self.path(), "alias to an unknown anchor")),
            },
            _ => {}
        }
        Ok(())
    }
}

/// Parses one YAML document. Syntax errors go to `diag` (and yield `None`).
pub(crate) fn parse(src: &str, diag: &mut Diag) -> Option<Node> {
    let mut parser = Parser::new_from_str(src);
    let mut b = Builder { stack: Vec::new(), anchors: HashMap::new(), root: None, diag };
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
#[derive(Debug, Default)]
pub(crate) struct Index {
    values: HashMap<String, Mark>,
    keys: HashMap<String, Mark>,
}

impl Index {
    pub fn build(root: &Node) -> Index {
        let mut ix = Index::default();
        ix.walk(root, String::new());
        ix
    }

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

    /// The position of the value at `path`, or of its nearest written ancestor.
    pub fn value(&self, path: &str) -> Mark {
        let mut p = path;
        loop {
            if let Some(m) = self.values.get(p) {
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
        self.keys.get(path).copied().unwrap_or_else(|| self.value(path))
    }

    /// Whether `path` was written (in the file or by an override).
    #[cfg(test)]
    pub fn has(&self, path: &str) -> bool {
        self.values.contains_key(path)
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
}
