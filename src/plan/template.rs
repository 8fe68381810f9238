//! `{{ ... }}` templates, compiled once at load into segments (literal bytes, variable slots,
//! function calls) and rendered per request by pushing bytes into a caller's buffer: no parsing,
//! no lookup by name and no allocation on the hot path. Unknown names are load-time errors.
//! Inline secret references (`Bearer ${env:TOKEN}`, outside `{{ }}`) become literal bytes from
//! values the caller resolved; the source kept for display still says `${env:TOKEN}`.
use super::data::DataSource;
use super::error::{did_you_mean, one_of};
use super::secrets::{Secret, references};
use super::weights::Rng;
use std::fmt;
use std::sync::Arc;

/// The built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `seq()`: the iteration's sequence number (`Vars::seq`), unique across the run.
    Seq,
    /// `vu()`: the virtual user's number (`Vars::user`; in the open model, the arrival's).
    Vu,
    /// `random_int(a, b)`: uniform in a..=b.
    RandomInt(i64, i64),
    /// `uuid()`: a random (version 4) UUID.
    Uuid,
    /// `timestamp()`: Unix time in whole seconds (`Vars::unix_ns`).
    Timestamp,
    /// `timestamp_ms()`: Unix time in milliseconds.
    TimestampMs,
}

const FUNCS: [&str; 6] = ["seq", "vu", "random_int", "uuid", "timestamp", "timestamp_ms"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seg {
    /// bytes[start..end]
    Lit(u32, u32),
    /// Column `1` of data source `0`, from the iteration's current row.
    Column(u16, u16),
    /// Value extracted into slot `0` earlier in this iteration (empty if the extraction failed).
    Extracted(u16),
    Func(Func),
}

/// A compiled template. Debug and Display show the source as written, never the secret values
/// compiled into it.
#[derive(Clone, PartialEq)]
pub struct Template {
    source: Box<str>,
    bytes: Box<[u8]>,
    segs: Box<[Seg]>,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Template({:?})", self.source)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A data source's rows, shared by every connection's variables.
type Rows = Arc<[Box<[String]>]>;

/// Per-iteration values a template reads. Owned by one connection, reused for every iteration.
#[derive(Clone, Debug)]
pub struct Vars {
    /// Sequence number of the iteration (the slot number in the open model).
    pub seq: u64,
    /// Virtual user number (closed model) or arrival number (open model).
    pub user: u64,
    /// Wall-clock time for `timestamp()`, set by the caller (templates never read a clock).
    pub unix_ns: u64,
    /// Per data source: its rows (shared, never copied) and the current row.
    rows: Vec<(Rows, usize)>,
    values: Vec<Vec<u8>>,
    set: Vec<bool>,
}

impl Vars {
    /// Rows start at each source's first row; `slots` is the most extraction slots any journey uses.
    pub fn new(data: &[DataSource], slots: usize) -> Vars {
        Vars {
            seq: 0,
            user: 0,
            unix_ns: 0,
            rows: data.iter().map(|d| (d.shared_rows(), 0)).collect(),
            values: vec![Vec::new(); slots],
            set: vec![false; slots],
        }
    }

    /// Starts an iteration: picks each data source's row (by its mode) and forgets extracted values.
    pub fn begin(&mut self, data: &[DataSource], seq: u64, user: u64, rng: &mut Rng) {
        self.seq = seq;
        self.user = user;
        for ((_, row), d) in self.rows.iter_mut().zip(data) {
            *row = d.pick(seq, user, rng);
        }
        self.set.iter_mut().for_each(|s| *s = false);
    }

    /// Stores an extracted value (copies into a reused buffer).
    pub fn set(&mut self, slot: usize, value: &[u8]) {
        self.values[slot].clear();
        self.values[slot].extend_from_slice(value);
        self.set[slot] = true;
    }

    /// A buffer to extract into directly; call `mark_set` when it holds the value.
    pub fn slot_buf(&mut self, slot: usize) -> &mut Vec<u8> {
        self.values[slot].clear();
        &mut self.values[slot]
    }

    pub fn mark_set(&mut self, slot: usize) {
        self.set[slot] = true;
    }

    pub fn get(&self, slot: usize) -> Option<&[u8]> {
        self.set.get(slot).copied().unwrap_or(false).then(|| self.values[slot].as_slice())
    }

    /// The current row's cell of data source `source`, column `column`.
    pub fn cell(&self, source: usize, column: usize) -> &str {
        let (rows, row) = &self.rows[source];
        &rows[*row][column]
    }
}

/// Names a template may use, and for hints, names extracted later in the same journey.
pub(crate) struct Scope<'a> {
    pub data: &'a [DataSource],
    pub secrets: &'a [(String, Secret)],
    pub extracted: &'a [String],
    pub later: &'a [(String, String)],
    /// Secrets and data sources that failed to load: using them is not a second error.
    pub broken: &'a [String],
    /// Inline references (`${env:TOKEN}`) resolved by the caller, keyed by the reference as written.
    /// One missing here failed to resolve (already reported): using it is not a second error.
    pub inline: &'a [(String, Secret)],
}

/// The inline references written outside `{{ }}`: the ones `compile` looks up in `Scope::inline`.
pub(crate) fn inline_references(src: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = src;
    loop {
        let (lit, next) = match rest.find("{{") {
            Some(open) => (&rest[..open], rest[open + 2..].find("}}").map(|c| &rest[open + 2 + c + 2..])),
            None => (rest, None),
        };
        out.extend(references(lit).unwrap_or_default().into_iter().map(|(s, e)| &lit[s..e]));
        match next {
            Some(n) => rest = n,
            None => return out,
        }
    }
}

/// A template that does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TemplateError {
    pub message: String,
    pub expected: Option<String>,
    pub hint: Option<String>,
    /// Follows from an error reported elsewhere (a broken secret or data source): stay quiet.
    pub cascade: bool,
}

fn err(message: String, expected: Option<&str>, hint: Option<String>) -> TemplateError {
    TemplateError { message, expected: expected.map(str::to_string), hint, cascade: false }
}

struct Builder {
    bytes: Vec<u8>,
    segs: Vec<Seg>,
}

impl Builder {
    fn lit(&mut self, b: &[u8]) {
        if b.is_empty() {
            return;
        }
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(b);
        let end = self.bytes.len() as u32;
        match self.segs.last_mut() {
            Some(Seg::Lit(_, e)) if *e == start => *e = end,
            _ => self.segs.push(Seg::Lit(start, end)),
        }
    }
}

impl Template {
    /// A template with no `{{ }}`: the text as is.
    pub fn literal(text: &str) -> Template {
        let mut b = Builder { bytes: Vec::new(), segs: Vec::new() };
        b.lit(text.as_bytes());
        Template { source: text.into(), bytes: b.bytes.into(), segs: b.segs.into() }
    }

    pub(crate) fn compile(src: &str, scope: &Scope<'_>) -> Result<Template, TemplateError> {
        let mut b = Builder { bytes: Vec::new(), segs: Vec::new() };
        let mut rest = src;
        while let Some(open) = rest.find("{{") {
            text(&mut b, &rest[..open], scope)?;
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| {
                err(
                    "`{{` is not closed".into(),
                    Some("`{{ name }}`"),
                    Some("write a literal `{{` as {{ \"{{\" }}".into()),
                )
            })?;
            expr(after[..close].trim(), scope, &mut b)?;
            rest = &after[close + 2..];
        }
        text(&mut b, rest, scope)?;
        Ok(Template { source: src.into(), bytes: b.bytes.into(), segs: b.segs.into() })
    }

    /// Whether any fixed byte (literal text, secret values included) satisfies `f`: for checks on
    /// what a reference resolved to, which never print the value.
    pub fn any_fixed_byte(&self, f: impl Fn(u8) -> bool) -> bool {
        self.bytes.iter().any(|b| f(*b))
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether every render gives the same bytes (so the request can be rendered once).
    pub fn is_static(&self) -> bool {
        self.segs.iter().all(|s| matches!(s, Seg::Lit(..)))
    }

    /// The bytes of a static template.
    pub fn as_static(&self) -> Option<&[u8]> {
        self.is_static().then_some(&self.bytes[..])
    }

    /// Appends the rendered bytes to `out`; allocates nothing beyond what `out` needs to grow.
    #[inline]
    pub fn render(&self, vars: &Vars, rng: &mut Rng, out: &mut Vec<u8>) {
        for seg in self.segs.iter() {
            match *seg {
                Seg::Lit(s, e) => out.extend_from_slice(&self.bytes[s as usize..e as usize]),
                Seg::Column(src, col) => out.extend_from_slice(vars.cell(src as usize, col as usize).as_bytes()),
                Seg::Extracted(slot) => out.extend_from_slice(vars.get(slot as usize).unwrap_or(b"")),
                Seg::Func(f) => call(f, vars, rng, out),
            }
        }
    }
}

fn call(f: Func, vars: &Vars, rng: &mut Rng, out: &mut Vec<u8>) {
    match f {
        Func::Seq => push_u64(out, vars.seq),
        Func::Vu => push_u64(out, vars.user),
        Func::RandomInt(lo, hi) => push_i64(out, rng.range_inclusive(lo, hi)),
        Func::Uuid => push_uuid(out, rng.next_u64(), rng.next_u64()),
        Func::Timestamp => push_u64(out, vars.unix_ns / 1_000_000_000),
        Func::TimestampMs => push_u64(out, vars.unix_ns / 1_000_000),
    }
}

fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

fn push_uuid(out: &mut Vec<u8>, hi: u64, lo: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hi.to_be_bytes());
    b[8..].copy_from_slice(&lo.to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 15) as usize]);
    }
}

/// Text outside `{{ }}`: literal bytes, with each inline reference replaced by its value.
fn text(b: &mut Builder, piece: &str, scope: &Scope<'_>) -> Result<(), TemplateError> {
    let refs = references(piece).map_err(|r| {
        let hint = "a literal `${` can be written as {{ \"${\" }}".to_string();
        err(format!("`{r}` is not closed"), Some("`${env:NAME}` or `${file:PATH}`"), Some(hint))
    })?;
    let mut at = 0;
    for (s, e) in refs {
        b.lit(&piece.as_bytes()[at..s]);
        let r = &piece[s..e];
        match scope.inline.iter().find(|(n, _)| n == r) {
            Some((_, secret)) => b.lit(secret.expose().as_bytes()),
            None => return Err(TemplateError { cascade: true, ..err(format!("`{r}` did not resolve"), None, None) }),
        }
        at = e;
    }
    b.lit(&piece.as_bytes()[at..]);
    Ok(())
}

/// One `{{ expression }}`.
fn expr(e: &str, scope: &Scope<'_>, b: &mut Builder) -> Result<(), TemplateError> {
    if let Some(s) = quoted(e) {
        b.lit(s.as_bytes());
        return Ok(());
    }
    if e.contains("${") {
        let r = e.find("${").map_or("", |i| e[i..].split_inclusive('}').next().unwrap_or(""));
        return Err(err(
            format!("`{r}` cannot be used inside `{{{{ }}}}`"),
            Some("a variable or function call inside `{{ }}`"),
            Some(format!("write it outside the braces, e.g. `Bearer {r}` (it is resolved once, at load)")),
        ));
    }
    if let Some(open) = e.find('(') {
        b.segs.push(Seg::Func(function(e, open)?));
        return Ok(());
    }
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if e.is_empty() || !e.chars().all(valid) {
        return Err(err(
            format!("`{{{{ {e} }}}}` is not a variable or function call"),
            Some("a name (token, user.email) or a call (random_int(1, 10))"),
            None,
        ));
    }
    variable(e, scope, b)
}

fn quoted(e: &str) -> Option<&str> {
    let q = e.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    (e.len() >= 2 && e.ends_with(q)).then(|| &e[1..e.len() - 1])
}

fn variable(name: &str, scope: &Scope<'_>, b: &mut Builder) -> Result<(), TemplateError> {
    let root = name.split('.').next().unwrap_or(name);
    if scope.broken.iter().any(|x| x == root) {
        return Err(TemplateError { cascade: true, ..err(format!("`{root}` did not load"), None, None) });
    }
    if let Some((src, col)) = name.split_once('.')
        && let Some(si) = scope.data.iter().position(|d| d.name == src)
    {
        let d = &scope.data[si];
        return match d.columns.iter().position(|c| c == col) {
            Some(ci) => {
                b.segs.push(Seg::Column(si as u16, ci as u16));
                Ok(())
            }
            None => Err(err(
                format!("data source `{src}` has no column `{col}`"),
                Some(&format!("one of {}", one_of(d.columns.iter().map(|c| c.as_str())))),
                did_you_mean(col, d.columns.iter().map(|c| c.as_str())),
            )),
        };
    }
    if let Some(slot) = scope.extracted.iter().position(|x| x == name) {
        b.segs.push(Seg::Extracted(slot as u16));
        return Ok(());
    }
    if let Some((_, secret)) = scope.secrets.iter().find(|(n, _)| n == name) {
        b.lit(secret.expose().as_bytes());
        return Ok(());
    }
    if scope.data.iter().any(|d| d.name == name) {
        let col = scope.data.iter().find(|d| d.name == name).and_then(|d| d.columns.first());
        return Err(err(
            format!("`{name}` is a data source, not a value"),
            Some("`source.column`"),
            col.map(|c| format!("name a column: {{{{ {name}.{c} }}}}")),
        ));
    }
    let hint = match scope.later.iter().find(|(v, _)| v == name) {
        Some((_, step)) => Some(format!(
            "`{name}` is extracted by step `{step}`, which runs later: a step can use only values extracted before it"
        )),
        None => did_you_mean(name, known(scope).iter().map(|s| s.as_str())),
    };
    let known = known(scope);
    let expected = if known.is_empty() {
        "a variable: none is defined (extract one, add a data source or a secret)".to_string()
    } else {
        format!("one of {}", one_of(known.iter().map(|s| s.as_str())))
    };
    Err(err(format!("unknown variable `{name}`"), Some(&expected), hint))
}

fn known(scope: &Scope<'_>) -> Vec<String> {
    let mut k: Vec<String> = scope.extracted.to_vec();
    k.extend(scope.secrets.iter().map(|(n, _)| n.clone()));
    for d in scope.data {
        k.extend(d.columns.iter().map(|c| format!("{}.{c}", d.name)));
    }
    k
}

fn function(e: &str, open: usize) -> Result<Func, TemplateError> {
    let name = e[..open].trim();
    let Some(inner) = e[open + 1..].strip_suffix(')') else {
        return Err(err(format!("`{e}`: missing `)`"), Some("name(arguments)"), None));
    };
    let args: Vec<&str> = if inner.trim().is_empty() { Vec::new() } else { inner.split(',').map(str::trim).collect() };
    let arity = |n: usize, f: Func| {
        if args.len() == n {
            Ok(f)
        } else {
            Err(err(format!("`{name}` takes no arguments, got {}", args.len()), Some(&format!("{name}()")), None))
        }
    };
    match name {
        "seq" => arity(0, Func::Seq),
        "vu" => arity(0, Func::Vu),
        "uuid" => arity(0, Func::Uuid),
        "timestamp" => arity(0, Func::Timestamp),
        "timestamp_ms" => arity(0, Func::TimestampMs),
        "random_int" => {
            let nums: Vec<i64> = args.iter().filter_map(|a| a.parse().ok()).collect();
            match nums[..] {
                [lo, hi] if args.len() == 2 && lo <= hi => Ok(Func::RandomInt(lo, hi)),
                _ => Err(err(
                    format!("`{e}`: random_int needs two whole numbers, the first not above the second"),
                    Some("random_int(LOW, HIGH), e.g. random_int(1, 1000)"),
                    None,
                )),
            }
        }
        "env" => Err(err(
            "`env()` is not a template function".into(),
            None,
            Some("environment values are resolved at load: write `${env:NAME}` outside `{{ }}`".into()),
        )),
        _ => Err(err(
            format!("unknown function `{name}`"),
            Some(&format!("one of {}", one_of(FUNCS))),
            did_you_mean(name, FUNCS),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::data::{DataSource, FeedMode};
    use std::path::PathBuf;

    fn users() -> Vec<DataSource> {
        let rows = vec![vec!["ann".to_string(), "pw1".to_string()], vec!["bob".to_string(), "pw2".to_string()]];
        vec![DataSource::new(
            "user",
            PathBuf::from("u.csv"),
            FeedMode::Sequential,
            vec!["name".into(), "pw".into()],
            rows,
        )]
    }

    fn compile(src: &str) -> Result<Template, TemplateError> {
        let data = users();
        let secrets = vec![("key".to_string(), Secret::new("s3cr3t".into(), "${env:K}".into()))];
        let extracted = vec!["token".to_string()];
        let later = vec![("csrf".to_string(), "form".to_string())];
        let inline = vec![("${env:TOKEN}".to_string(), Secret::new("t0k3n".into(), "${env:TOKEN}".into()))];
        let scope = Scope {
            data: &data,
            secrets: &secrets,
            extracted: &extracted,
            later: &later,
            broken: &[],
            inline: &inline,
        };
        Template::compile(src, &scope)
    }

    #[test]
    fn renders_every_kind_of_segment() {
        let data = users();
        let t =
            compile("/u/{{ user.name }}?t={{token}}&k={{ key }}&n={{ seq() }}&v={{vu()}}&r={{ random_int(-5, 5) }}")
                .unwrap();
        assert!(!t.is_static());
        let mut vars = Vars::new(&data, 1);
        let mut rng = Rng::new(1);
        vars.begin(&data, 1, 7, &mut rng);
        vars.set(0, b"abc");
        let mut out = Vec::new();
        t.render(&vars, &mut Rng::new(3), &mut out);
        let mut expect_rng = Rng::new(3);
        let r = expect_rng.range_inclusive(-5, 5);
        assert_eq!(String::from_utf8(out).unwrap(), format!("/u/bob?t=abc&k=s3cr3t&n=1&v=7&r={r}"));
        assert_eq!(
            format!("{t:?}"),
            "Template(\"/u/{{ user.name }}?t={{token}}&k={{ key }}&n={{ seq() }}&v={{vu()}}&r={{ random_int(-5, 5) }}\")"
        );
    }

    #[test]
    fn static_templates_merge_literals_and_secrets() {
        let t = compile("Bearer {{ key }}{{ \"{{\" }}x").unwrap();
        assert_eq!(t.as_static(), Some(&b"Bearer s3cr3t{{x"[..]));
        assert!(!format!("{t:?}").contains("s3cr3t"));
        assert_eq!(Template::literal("/a").as_static(), Some(&b"/a"[..]));
    }

    #[test]
    fn uuid_time_and_missing_extraction() {
        let data = users();
        let mut vars = Vars::new(&data, 1);
        vars.unix_ns = 1_700_000_000_123_456_789;
        let t = compile("{{ uuid() }} {{ timestamp() }} {{ timestamp_ms() }} [{{ token }}]").unwrap();
        let mut out = Vec::new();
        t.render(&vars, &mut Rng::new(0), &mut out);
        let s = String::from_utf8(out).unwrap();
        let parts: Vec<&str> = s.split(' ').collect();
        assert_eq!(parts[0].len(), 36);
        assert_eq!(&parts[0][14..15], "4");
        assert!(matches!(&parts[0][19..20], "8" | "9" | "a" | "b"));
        assert_eq!(&parts[1..], ["1700000000", "1700000000123", "[]"]);
    }

    #[test]
    fn compile_errors_name_the_problem() {
        let e = compile("{{ tokn }}").unwrap_err();
        assert_eq!(e.message, "unknown variable `tokn`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `token`?"));
        let e = compile("{{ csrf }}").unwrap_err();
        assert!(e.hint.unwrap().contains("extracted by step `form`"));
        let e = compile("{{ user.nme }}").unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `name`?"));
        assert!(compile("{{ user }}").unwrap_err().message.contains("data source"));
        assert_eq!(compile("{{ rand_int(1,2) }}").unwrap_err().message, "unknown function `rand_int`");
        assert!(compile("{{ random_int(5, 1) }}").is_err());
        assert!(compile("{{ uuid(1) }}").is_err());
        assert!(compile("{{ open").is_err());
        assert!(compile("{{ a b }}").is_err());
        assert!(compile("{{ env(\"X\") }}").unwrap_err().hint.unwrap().contains("${env:NAME}"));
        let e = compile("Bearer {{ ${env:TOKEN} }}").unwrap_err();
        assert_eq!(e.message, "`${env:TOKEN}` cannot be used inside `{{ }}`");
        assert!(e.hint.unwrap().contains("`Bearer ${env:TOKEN}`"));
        assert!(compile("Bearer ${env:TOKEN").unwrap_err().message.contains("is not closed"));
        assert!(compile("Bearer ${env:OTHER}").unwrap_err().cascade, "an unresolved reference was reported already");
    }

    #[test]
    fn inline_references_render_their_value_and_display_as_written() {
        let t = compile("Bearer ${env:TOKEN} {{ key }}").unwrap();
        assert_eq!(t.as_static(), Some(&b"Bearer t0k3n s3cr3t"[..]));
        assert_eq!(t.to_string(), "Bearer ${env:TOKEN} {{ key }}");
        assert!(!format!("{t:?}").contains("t0k3n"));
        assert!(t.any_fixed_byte(|b| b == b'0') && !t.any_fixed_byte(|b| b == b'\n'));
        let t = compile("{{ \"${env:TOKEN}\" }}-{{ seq() }}").unwrap();
        let mut out = Vec::new();
        t.render(&Vars::new(&[], 0), &mut Rng::new(0), &mut out);
        assert_eq!(out, b"${env:TOKEN}-0", "a quoted reference is literal text");
        assert_eq!(inline_references("a ${env:A} {{ x }} ${file:f} {{ \"${env:Q}\" }}"), ["${env:A}", "${file:f}"]);
    }
}
