//! A serde Deserializer over positioned YAML nodes that never stops at the first mistake: a wrong
//! type or an unknown key is recorded (with its position and key path) and replaced by a harmless
//! placeholder, so one pass reports every error. The raw types keep `deny_unknown_fields` as a
//! safety net; unknown keys are caught here first, where the list of valid keys is known.
//!
//! Rules for the raw types deserialized with it: no `#[serde(default)]` (use `Option`), no
//! `flatten`, no tuples, enums with unit variants only.
use super::error::{Diag, Issue, Mark, did_you_mean, one_of};
use super::path;
use super::yaml::{Entry, Node, Value};
use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Visitor};
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

/// Only for what cannot be recovered from (a visitor refusing a value); normally never returned.
#[derive(Debug)]
pub(crate) struct DeError(pub String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for DeError {}
impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Hook for schema-specific hints on unknown keys (e.g. a key that belongs one level down).
pub(crate) type KeyHint = fn(parent: &str, key: &str) -> Option<String>;

/// Deserializes `T` from `root`, recording problems in `diag`.
pub(crate) fn from_node<T: de::DeserializeOwned>(root: &Node, diag: &RefCell<Diag>, hint: KeyHint) -> Option<T> {
    let de = De { node: Some(root), path: String::new(), at: root.mark, diag, quiet: false, hint };
    match T::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            diag.borrow_mut().push(Issue::new(root.mark, "", e.0));
            None
        }
    }
}

#[derive(Clone)]
struct De<'n, 'd> {
    node: Option<&'n Node>,
    path: String,
    /// Where to point when the node is missing: its parent mapping.
    at: Mark,
    diag: &'d RefCell<Diag>,
    /// Set below a node that already has an error: placeholders, no more reports.
    quiet: bool,
    hint: KeyHint,
}

impl<'n, 'd> De<'n, 'd> {
    fn child(&self, node: Option<&'n Node>, path: String, quiet: bool) -> De<'n, 'd> {
        let at = self.node.map_or(self.at, |n| n.mark);
        De { node, path, at, diag: self.diag, quiet: self.quiet || quiet, hint: self.hint }
    }

    fn text(&self) -> Option<&'n str> {
        match self.node {
            Some(Node { value: Value::Scalar { text, .. }, .. }) => Some(text),
            _ => None,
        }
    }

    fn report(&self, issue: Issue) {
        if !self.quiet {
            self.diag.borrow_mut().push(issue);
        }
    }

    /// Records "wrong type" (or "missing key") for this node.
    fn mismatch(&self, expected: &str) {
        let issue = match self.node {
            None => {
                let key = self.path.rsplit(['.', '[']).next().unwrap_or("").trim_end_matches(']');
                Issue::new(self.at, &self.path, format!("missing key `{key}`"))
            }
            Some(n @ Node { value: Value::Null, .. }) => Issue::new(n.mark, &self.path, "empty value"),
            Some(n) => Issue::new(n.mark, &self.path, format!("wrong type: found {}", n.describe())),
        };
        self.report(issue.expected(expected));
    }

    fn unknown_keys(&self, entries: &[Entry], fields: &'static [&'static str]) {
        for e in entries.iter().filter(|e| !fields.contains(&e.key.as_str())) {
            let hint = (self.hint)(&self.path, &e.key).or_else(|| did_you_mean(&e.key, fields.iter().copied()));
            let issue = Issue::new(e.key_mark, &path::key(&self.path, &e.key), format!("unknown key `{}`", e.key))
                .expected(format!("one of {}", one_of(fields.iter().copied())))
                .hint_opt(hint);
            self.report(issue);
        }
    }
}

macro_rules! number {
    ($method:ident, $visit:ident, $t:ty, $what:expr) => {
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            match self.text().and_then(|t| t.trim().parse::<$t>().ok()) {
                Some(x) => v.$visit(x),
                None => {
                    self.mismatch($what);
                    v.$visit(<$t>::default())
                }
            }
        }
    };
}

impl<'de> de::Deserializer<'de> for De<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.map(|n| &n.value) {
            None | Some(Value::Null) => v.visit_unit(),
            Some(Value::Seq(_)) => self.deserialize_seq(v),
            Some(Value::Map(_)) => self.deserialize_map(v),
            Some(Value::Scalar { text, plain: true }) => {
                if let Ok(b) = text.parse::<bool>() {
                    v.visit_bool(b)
                } else if let Ok(u) = text.parse::<u64>() {
                    v.visit_u64(u)
                } else if let Ok(i) = text.parse::<i64>() {
                    v.visit_i64(i)
                } else if let Some(f) = text.parse::<f64>().ok().filter(|f| f.is_finite()) {
                    v.visit_f64(f)
                } else {
                    v.visit_str(text)
                }
            }
            Some(Value::Scalar { text, .. }) => v.visit_str(text),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.text() {
            Some("true" | "True" | "TRUE") => v.visit_bool(true),
            Some("false" | "False" | "FALSE") => v.visit_bool(false),
            _ => {
                self.mismatch("true or false");
                v.visit_bool(false)
            }
        }
    }

    number!(deserialize_i8, visit_i8, i8, "a whole number");
    number!(deserialize_i16, visit_i16, i16, "a whole number");
    number!(deserialize_i32, visit_i32, i32, "a whole number");
    number!(deserialize_i64, visit_i64, i64, "a whole number");
    number!(deserialize_u8, visit_u8, u8, "a whole number from 0 to 255");
    number!(deserialize_u16, visit_u16, u16, "a whole number from 0 to 65535");
    number!(deserialize_u32, visit_u32, u32, "a whole number ≥ 0");
    number!(deserialize_u64, visit_u64, u64, "a whole number ≥ 0");

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.text().and_then(|t| t.trim().parse::<f64>().ok()).filter(|f| f.is_finite()) {
            Some(x) => v.visit_f64(x),
            None => {
                self.mismatch("a number");
                v.visit_f64(0.0)
            }
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let mut chars = self.text().unwrap_or("").chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => v.visit_char(c),
            _ => {
                self.mismatch("one character");
                v.visit_char(' ')
            }
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.text() {
            Some(t) => v.visit_str(t),
            None => {
                self.mismatch("text");
                v.visit_str("")
            }
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.map(|n| &n.value) {
            None | Some(Value::Null) => v.visit_none(),
            Some(_) => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if !matches!(self.node.map(|n| &n.value), None | Some(Value::Null)) {
            self.mismatch("an empty value");
        }
        v.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.map(|n| &n.value) {
            Some(Value::Seq(items)) => v.visit_seq(Seq { de: &self, items, i: 0 }),
            _ => {
                self.mismatch("a list");
                v.visit_seq(Seq { de: &self, items: &[], i: 0 })
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _n: &'static str, _l: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.map(|n| &n.value) {
            Some(Value::Map(entries)) => {
                let all: Vec<(&str, Option<&Node>)> =
                    entries.iter().map(|e| (e.key.as_str(), Some(&e.value))).collect();
                v.visit_map(Map { de: &self, entries: all, i: 0, quiet: false })
            }
            _ => {
                self.mismatch("a mapping of `name: value`");
                v.visit_map(Map { de: &self, entries: Vec::new(), i: 0, quiet: true })
            }
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let (entries, quiet) = match self.node.map(|n| &n.value) {
            Some(Value::Map(entries)) => {
                self.unknown_keys(entries, fields);
                (entries.as_slice(), false)
            }
            _ => {
                self.mismatch(&format!("a mapping with the keys {}", one_of(fields.iter().copied())));
                (&[][..], true)
            }
        };
        // Every field is offered once, written or not: a missing one arrives as "no node", which
        // an Option reads as None; so serde's own missing-field error (which would stop) never fires.
        let all: Vec<(&str, Option<&Node>)> =
            fields.iter().map(|f| (*f, entries.iter().find(|e| e.key == *f).map(|e| &e.value))).collect();
        v.visit_map(Map { de: &self, entries: all, i: 0, quiet })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let text = self.text().map(str::trim);
        let chosen = match text.and_then(|t| variants.iter().find(|v| **v == t)) {
            Some(v) => *v,
            _ => {
                let expected = format!("one of {}", one_of(variants.iter().copied()));
                match (text, self.node) {
                    (Some(t), Some(n)) => self.report(
                        Issue::new(n.mark, &self.path, format!("unknown value `{t}`"))
                            .expected(expected)
                            .hint_opt(did_you_mean(t, variants.iter().copied())),
                    ),
                    _ => self.mismatch(&expected),
                }
                variants.first().copied().ok_or_else(|| DeError("an enum without variants".into()))?
            }
        };
        v.visit_enum(BorrowedStrDeserializer::<DeError>::new(chosen))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
}

struct Seq<'a, 'n, 'd> {
    de: &'a De<'n, 'd>,
    items: &'n [Node],
    i: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, '_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.get(self.i) else { return Ok(None) };
        let de = self.de.child(Some(item), path::index(&self.de.path, self.i), false);
        self.i += 1;
        seed.deserialize(de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.i)
    }
}

struct Map<'a, 'n, 'd> {
    de: &'a De<'n, 'd>,
    entries: Vec<(&'n str, Option<&'n Node>)>,
    i: usize,
    quiet: bool,
}

impl<'de> de::MapAccess<'de> for Map<'_, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.entries.get(self.i) {
            Some((k, _)) => seed.deserialize(StrDeserializer::new(k)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let (k, node) = self.entries[self.i];
        self.i += 1;
        seed.deserialize(self.de.child(node, path::key(&self.de.path, k), self.quiet))
    }
}

/// A mapping whose keys are the user's (header names, variable names), in the order written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawMap<T>(pub Vec<(String, T)>);

impl<T> Default for RawMap<T> {
    fn default() -> Self {
        RawMap(Vec::new())
    }
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for RawMap<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = RawMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<RawMap<T>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(RawMap(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// The field names of a struct, as serde sees them (for the override mapping and its tests).
pub(crate) fn fields_of<T: de::DeserializeOwned>() -> &'static [&'static str] {
    struct Probe;
    #[derive(Debug)]
    struct Found(&'static [&'static str]);
    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Found {}
    impl de::Error for Found {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Found(&[])
        }
    }
    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Found;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Found(f)) => f,
        Ok(_) => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::error::Sources;
    use crate::plan::yaml;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        n: Option<u32>,
        f: Option<f64>,
        mode: Option<Mode>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Sequential,
        PerUser,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: Option<String>,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
        map: Option<RawMap<String>>,
        flag: Option<bool>,
    }

    fn no_hint(_: &str, _: &str) -> Option<String> {
        None
    }

    fn run(src: &str) -> (Option<Outer>, Vec<String>) {
        let diag = RefCell::new(Diag::default());
        let node = yaml::parse(src, &mut diag.borrow_mut()).unwrap();
        let out = from_node::<Outer>(&node, &diag, no_hint);
        let errs = diag.into_inner().finish(&Sources { file: "t".into(), ..Default::default() });
        (out, errs.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn reads_values_and_keeps_map_order() {
        let (out, errs) = run("name: 42\ninner: { n: 7, f: 1.5, mode: per_user }\nmap: { b: 1, a: x }\nflag: true\n");
        assert!(errs.is_empty(), "{errs:?}");
        let out = out.unwrap();
        assert_eq!(out.name.as_deref(), Some("42"));
        assert_eq!(out.inner, Some(Inner { n: Some(7), f: Some(1.5), mode: Some(Mode::PerUser) }));
        assert_eq!(out.map.unwrap().0, vec![("b".into(), "1".into()), ("a".into(), "x".into())]);
        assert_eq!(out.flag, Some(true));
    }

    #[test]
    fn every_error_is_collected_with_its_position() {
        let src =
            "nmae: x\ninner:\n  n: lots\n  f: [1]\n  mode: sequentail\nlist:\n  - { n: -1 }\n  - 5\nflag: maybe\n";
        let (out, errs) = run(src);
        assert!(out.is_some());
        assert_eq!(
            errs,
            vec![
                "t:1:1: nmae: unknown key `nmae` (expected one of `name`, `inner`, `list`, `map` or `flag`; hint: did you mean `name`?)",
                "t:3:6: inner.n: wrong type: found `lots` (expected a whole number ≥ 0)",
                "t:4:6: inner.f: wrong type: found a list (expected a number)",
                "t:5:9: inner.mode: unknown value `sequentail` (expected one of `sequential` or `per_user`; hint: did you mean `sequential`?)",
                "t:7:10: list[0].n: wrong type: found `-1` (expected a whole number ≥ 0)",
                "t:8:5: list[1]: wrong type: found `5` (expected a mapping with the keys `n`, `f` or `mode`)",
                "t:9:7: flag: wrong type: found `maybe` (expected true or false)",
            ]
        );
    }

    #[test]
    fn probe_lists_struct_fields() {
        assert_eq!(fields_of::<Inner>(), &["n", "f", "mode"]);
    }
}
