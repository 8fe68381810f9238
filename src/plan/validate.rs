//! RawPlan (what was written) into Plan (what runs): every value parsed and checked, defaults
//! applied, templates compiled, files read, secrets resolved (named ones under `secrets:` and
//! inline `${env:NAME}` references in templates alike). Every problem is reported with its
//! position; nothing stops at the first.
use super::check::{Check, Checks, StatusSet};
use super::cx::Cx;
use super::data::{DataSource, FeedMode, parse_csv};
use super::de::RawMap;
use super::error::{Mark, Origin};
use super::extract::{Extraction, Extractor, JsonPath};
use super::model::*;
use super::raw::*;
use super::scenarios::Requests;
use super::secrets::{INLINE, Secret, resolve};
use super::template::{Scope, Template, TemplateError, inline_references};
use super::weights::Weights;
use super::{path, stages};
use crate::url::parse_url;
use memchr::memmem::Finder;
use regex::bytes::Regex;
use std::path::Path;

impl Cx<'_> {
    /// Resolves the inline references in `src` not resolved yet; false if one failed.
    fn resolve_inline(&mut self, path: &str, src: &str) -> bool {
        let mut ok = true;
        for r in inline_references(src) {
            if self.inline.iter().any(|(n, _)| n == r) {
                continue;
            }
            if self.inline_failed.iter().any(|n| n == r) {
                ok = false;
                continue;
            }
            match resolve(r, self.env, self.dir) {
                Ok(s) => self.inline.push((r.to_string(), s)),
                Err((message, expected, hint)) => {
                    self.err(path, message, &expected, &hint);
                    self.inline_failed.push(r.to_string());
                    ok = false;
                }
            }
        }
        ok
    }

    fn template(&mut self, path: &str, src: &str, scope: &Scope<'_>) -> Option<Template> {
        if !self.resolve_inline(path, src) {
            return None;
        }
        match Template::compile(src, &Scope { inline: &self.inline, ..*scope }) {
            Ok(t) => Some(t),
            Err(TemplateError { cascade: true, .. }) => None,
            Err(TemplateError { message, expected, hint, .. }) => {
                let (e, h) = (expected.unwrap_or_default(), hint.unwrap_or_default());
                self.err(path, message, &e, &h);
                None
            }
        }
    }
}

/// What every template of the plan may refer to.
struct Env<'a> {
    data: &'a [DataSource],
    secrets: &'a [(String, Secret)],
    broken: &'a [String],
}

impl<'a> Env<'a> {
    fn scope(&self, extracted: &'a [String], later: &'a [(String, String)]) -> Scope<'a> {
        Scope { data: self.data, secrets: self.secrets, extracted, later, broken: self.broken, inline: &[] }
    }
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// The whole plan.
pub(crate) fn plan(cx: &mut Cx<'_>, raw: &RawPlan, file: &Path) -> Option<Plan> {
    let secrets = secrets(cx, raw.secrets.as_ref());
    let data = data(cx, raw.data.as_ref(), &secrets);
    let broken = broken(raw, &secrets, &data);
    let env = Env { data: &data, secrets: &secrets, broken: &broken };
    let scope = env.scope(&[], &[]);
    let target = target(cx, raw.target.as_ref(), &scope);
    let groups = super::scenarios::groups(cx, raw);
    let (journeys, ranges) = journeys(cx, &groups, target.as_ref(), &env);
    let mixes: Vec<Option<Weights>> =
        groups.iter().zip(&ranges).map(|(g, r)| mix(cx, g, &journeys[r.clone()])).collect();
    let scenarios = super::scenarios::scenarios(cx, raw, &ranges, &mixes);
    let load = match &raw.scenarios {
        None => stages::load(cx, raw.load.as_ref()),
        Some(_) => scenarios.as_ref().and_then(|s| s.first()).map(|s| s.load.clone()),
    };
    let all: Vec<f64> = journeys.iter().map(|j| j.weight).collect();
    let mix = mixes.iter().all(Option::is_some).then(|| Weights::new(&all).ok()).flatten();
    let slo = super::slo::slo(cx, raw.slo.as_ref(), "slo");
    super::scenarios::check_slo_scopes(cx, raw);
    if !cx.diag.is_empty() {
        return None;
    }
    // Inline references join the named secrets: `check` lists them and `redact` scrubs them.
    let mut secrets = secrets;
    secrets.extend(cx.inline.drain(..).map(|(_, s)| (INLINE.to_string(), s)));
    Some(Plan {
        slots: slots(&journeys),
        file: file.to_path_buf(),
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        target: target?,
        load: load?,
        scenarios: scenarios?,
        journeys,
        mix: mix?,
        data,
        secrets,
        slo: slo?,
        profile: None,
        profiles: Vec::new(),
    })
}

/// Secrets and data sources that were written but did not load.
fn broken(raw: &RawPlan, secrets: &[(String, Secret)], data: &[DataSource]) -> Vec<String> {
    let mut names: Vec<&String> = raw.secrets.iter().flat_map(|m| &m.0).map(|(n, _)| n).collect();
    names.extend(raw.data.iter().flat_map(|m| &m.0).map(|(n, _)| n));
    let loaded = |n: &str| secrets.iter().any(|(s, _)| s == n) || data.iter().any(|d| d.name == n);
    names.into_iter().filter(|n| !loaded(n)).cloned().collect()
}

/// Extraction slots the largest journey needs.
fn slots(journeys: &[Journey]) -> usize {
    journeys.iter().flat_map(|j| &j.steps).flat_map(|s| &s.extract).map(|e| e.slot + 1).max().unwrap_or(0)
}

fn secrets(cx: &mut Cx<'_>, raw: Option<&RawMap<String>>) -> Vec<(String, Secret)> {
    let mut out = Vec::new();
    for (name, text) in raw.map(|m| m.0.as_slice()).unwrap_or(&[]) {
        let p = path::key("secrets", name);
        if !is_ident(name) {
            cx.err_key(&p, format!("`{name}` cannot be used as a variable name"), "letters, digits, _ and -", "");
            continue;
        }
        match resolve(text, cx.env, cx.dir) {
            Ok(s) => out.push((name.clone(), s)),
            Err((message, expected, hint)) => cx.err(&p, message, &expected, &hint),
        }
    }
    out
}

fn data(cx: &mut Cx<'_>, raw: Option<&RawMap<RawData>>, secrets: &[(String, Secret)]) -> Vec<DataSource> {
    let mut out = Vec::new();
    for (name, d) in raw.map(|m| m.0.as_slice()).unwrap_or(&[]) {
        let p = path::key("data", name);
        if !is_ident(name) || secrets.iter().any(|(s, _)| s == name) {
            let why = if is_ident(name) { "is also a secret's name" } else { "is not a plain name" };
            cx.err_key(&p, format!("data source `{name}` {why}"), "a unique name of letters, digits, _ and -", "");
            continue;
        }
        let mode = match d.mode {
            None | Some(RawFeedMode::Sequential) => FeedMode::Sequential,
            Some(RawFeedMode::Random) => FeedMode::Random,
            Some(RawFeedMode::PerUser) => FeedMode::PerUser,
        };
        let Some(csv) = &d.csv else {
            cx.missing(&path::key(&p, "csv"), "the path of a CSV file", "e.g. `csv: data/users.csv`");
            continue;
        };
        let cp = path::key(&p, "csv");
        let file = cx.dir.join(csv);
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                let hint = format!("paths are relative to the plan file's directory ({})", cx.dir.display());
                cx.err(&cp, format!("cannot read CSV file `{}`: {e}", file.display()), "a readable CSV file", &hint);
                continue;
            }
        };
        match parse_csv(&text) {
            Ok((columns, rows)) => out.push(DataSource::new(name, file, mode, columns, rows)),
            Err(e) if e.line <= 2 && e.message.contains("file") => {
                let hint = "the first row names the columns; each further row is one record";
                cx.err(
                    &cp,
                    format!("CSV file `{}`: {}", file.display(), e.message),
                    "a header row and at least one row",
                    hint,
                );
            }
            Err(e) => {
                cx.extra.push(file.display().to_string());
                let mark = Mark { origin: Origin::Extra(cx.extra.len() as u16 - 1), line: e.line, col: e.col };
                cx.issue(mark, &cp, e.message, "RFC 4180 CSV", "quote fields that contain `,`, `\"` or line breaks");
            }
        }
    }
    out
}

/// `target.base_url`: http[s]://HOST[:PORT][/PATH], without a query.
fn base_url(cx: &mut Cx<'_>, raw: Option<&str>) -> Option<crate::url::Url> {
    let Some(u) = raw else {
        cx.missing("target.base_url", "http://HOST[:PORT][/PATH]", "e.g. `base_url: http://127.0.0.1:8080`");
        return None;
    };
    match parse_url(u) {
        Ok(url) if url.target.contains('?') => {
            let hint = "put the query on each endpoint's path";
            cx.err("target.base_url", "a base URL cannot have a query", "http://HOST[:PORT][/PATH]", hint);
            None
        }
        Ok(url) => Some(url),
        Err(e) => {
            cx.err("target.base_url", e, "http://HOST[:PORT][/PATH]", "");
            None
        }
    }
}

/// `target.cores`: a count or a CPU list (checked for its characters here; against the machine
/// when the run starts).
fn cores(cx: &mut Cx<'_>, c: &str) {
    let ok = !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit() || ch == ',' || ch == '-') && c != "0";
    if !ok {
        let message = format!("`{c}` is not a core count or CPU list");
        cx.err("target.cores", message, "a count (2) or a CPU list (0,2 or 1-3)", "");
    }
}

fn target(cx: &mut Cx<'_>, raw: Option<&RawTarget>, scope: &Scope<'_>) -> Option<Target> {
    let Some(t) = raw else {
        cx.missing("target", "`base_url`", "add `target: { base_url: http://127.0.0.1:8080 }`");
        return None;
    };
    let url = base_url(cx, t.base_url.as_deref());
    let headers = headers(cx, "target.headers", t.headers.as_ref(), scope);
    let timeout_ns = cx.duration("target.timeout", t.timeout.as_deref(), Some(DEFAULT_TIMEOUT_NS));
    let connect = cx.duration("target.connect_timeout", t.connect_timeout.as_deref(), Some(DEFAULT_CONNECT_TIMEOUT_NS));
    for (p, v) in [("target.timeout", timeout_ns), ("target.connect_timeout", connect)] {
        if v == Some(0) {
            cx.err(p, "must be longer than 0s", "a positive duration", "");
        }
    }
    let connections = t.connections.map_or(DEFAULT_CONNECTIONS, |c| c as usize);
    if connections == 0 {
        cx.err("target.connections", "0 connections cannot send anything", "a whole number ≥ 1", "");
    }
    if let Some(c) = &t.cores {
        cores(cx, c);
    }
    Some(Target {
        base_url: t.base_url.clone().unwrap_or_default(),
        url: url?,
        headers: headers?,
        timeout_ns: timeout_ns?,
        connect_timeout_ns: connect?,
        connections,
        cores: t.cores.clone(),
    })
}

fn headers(cx: &mut Cx<'_>, p: &str, raw: Option<&RawMap<String>>, scope: &Scope<'_>) -> Option<Vec<Header>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (name, value) in raw.map(|m| m.0.as_slice()).unwrap_or(&[]) {
        let hp = path::key(p, name);
        if !is_header_name(name) {
            cx.err_key(&hp, format!("`{name}` is not a valid header name"), "letters, digits and -", "");
            ok = false;
        } else if value.contains(['\r', '\n']) {
            cx.err(&hp, "a header value cannot contain a line break", "one line", "");
            ok = false;
        } else if let Some(t) = cx.template(&hp, value, scope) {
            if t.any_fixed_byte(|b| b == b'\r' || b == b'\n') {
                let hint = "a secret read from a file keeps its inner lines: store the value on one line";
                cx.err(&hp, "a secret in this header value contains a line break", "one line", hint);
                ok = false;
                continue;
            }
            out.push(Header { name: name.clone(), value: t });
        } else {
            ok = false;
        }
    }
    ok.then_some(out)
}

/// The fields endpoints and steps share.
struct Req<'r> {
    path: String,
    name: Option<&'r String>,
    method: Option<&'r String>,
    target: Option<&'r String>,
    headers: Option<&'r RawMap<String>>,
    body: Option<&'r String>,
    check: Option<&'r RawCheck>,
    think: Option<&'r String>,
}

/// Every group's endpoints and journeys, in order, with each group's range of the result. Names
/// are unique across the whole plan: they are the label ids of the results.
fn journeys(
    cx: &mut Cx<'_>,
    groups: &[Requests<'_>],
    target: Option<&Target>,
    env: &Env<'_>,
) -> (Vec<Journey>, Vec<std::ops::Range<usize>>) {
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    // Name → where it was first used: a hash, so a plan of many endpoints validates in linear time.
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for g in groups {
        let start = out.len();
        group_journeys(cx, g, target, env, &mut names, &mut out);
        ranges.push(start..out.len());
    }
    (out, ranges)
}

/// The name at `p`, checked unique among `names`.
fn unique(
    cx: &mut Cx<'_>,
    names: &mut std::collections::HashMap<String, String>,
    p: &str,
    name: &Option<String>,
) -> Option<String> {
    let Some(n) = name else {
        cx.missing(&format!("{p}.name"), "a name (it labels the results)", "");
        return None;
    };
    if let Some(first) = names.get(n) {
        cx.err(&format!("{p}.name"), format!("the name `{n}` is already used by {first}"), "a unique name", "");
        return None;
    }
    names.insert(n.clone(), p.to_string());
    Some(n.clone())
}

/// One group's endpoints (one-step journeys), then its journeys, into `out`.
fn group_journeys(
    cx: &mut Cx<'_>,
    g: &Requests<'_>,
    target: Option<&Target>,
    env: &Env<'_>,
    names: &mut std::collections::HashMap<String, String>,
    out: &mut Vec<Journey>,
) {
    let scope = env.scope(&[], &[]);
    for (i, e) in g.endpoints.iter().enumerate() {
        let p = path::index(&format!("{}endpoints", g.prefix), i);
        let name = unique(cx, names, &p, &e.name);
        let weight = weight(cx, &p, e.weight);
        let req = Req {
            path: p,
            name: e.name.as_ref(),
            method: e.method.as_ref(),
            target: e.path.as_ref(),
            headers: e.headers.as_ref(),
            body: e.body.as_ref(),
            check: e.check.as_ref(),
            think: e.think.as_ref(),
        };
        let step = step(cx, &req, target, &scope, name.clone().unwrap_or_default(), Vec::new());
        if let (Some(name), Some(step)) = (name, step) {
            out.push(Journey { name, kind: JourneyKind::Endpoint, weight, steps: vec![step] });
        }
    }
    for (i, j) in g.journeys.iter().enumerate() {
        let p = path::index(&format!("{}journeys", g.prefix), i);
        let name = unique(cx, names, &p, &j.name);
        let weight = weight(cx, &p, j.weight);
        if let Some(steps) = journey_steps(cx, &p, j, target, env, name.as_deref().unwrap_or(""))
            && let Some(name) = name
        {
            out.push(Journey { name, kind: JourneyKind::Journey, weight, steps });
        }
    }
}

fn weight(cx: &mut Cx<'_>, p: &str, w: Option<f64>) -> f64 {
    let w = w.unwrap_or(1.0);
    if w < 0.0 {
        let hint = "weights are relative (70 and 30 mean 70% and 30%); 0 turns an item off";
        cx.err(&format!("{p}.weight"), format!("weight {w} is negative"), "a number ≥ 0", hint);
    }
    w
}

/// The names a journey's steps extract, each with the step that extracts it.
fn extracted_names(steps: &[RawStep]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, s) in steps.iter().enumerate() {
        let step = s.name.clone().unwrap_or_else(|| format!("steps[{k}]"));
        for (n, _) in s.extract.as_ref().map(|m| m.0.as_slice()).unwrap_or(&[]) {
            out.push((n.clone(), step.clone()));
        }
    }
    out
}

/// A journey's `steps:`, present and not empty.
fn step_list<'j>(cx: &mut Cx<'_>, p: &str, j: &'j RawJourney) -> Option<&'j [RawStep]> {
    match &j.steps {
        None => {
            cx.missing(&format!("{p}.steps"), "a list of steps", "e.g. `steps: [{ name: home, path: / }]`");
            None
        }
        Some(s) if s.is_empty() => {
            cx.err(&format!("{p}.steps"), "a journey needs at least one step", "a list of steps", "");
            None
        }
        Some(s) => Some(s),
    }
}

/// A step's `extract:`: each variable gets the slot of its first extraction in the journey
/// (`slots`, in order of first extraction); a name that is not plain, or clashes with a secret
/// or data source, is reported.
fn extractions(cx: &mut Cx<'_>, sp: &str, s: &RawStep, env: &Env<'_>, slots: &mut Vec<String>) -> Vec<Extraction> {
    let mut extract = Vec::new();
    for (name, e) in s.extract.as_ref().map(|m| m.0.as_slice()).unwrap_or(&[]) {
        let ep = path::key(&format!("{sp}.extract"), name);
        let clash = env.secrets.iter().any(|(n, _)| n == name) || env.data.iter().any(|d| &d.name == name);
        if !is_ident(name) || clash {
            let why = if clash { "is already a secret or data source" } else { "is not a plain name" };
            cx.err_key(&ep, format!("variable `{name}` {why}"), "a unique name of letters, digits, _ and -", "");
            continue;
        }
        let slot = slots.iter().position(|x| x == name).unwrap_or_else(|| {
            slots.push(name.clone());
            slots.len() - 1
        });
        if let Some(from) = extractor(cx, &ep, e) {
            extract.push(Extraction { name: name.clone(), slot, from });
        }
    }
    extract
}

fn journey_steps(
    cx: &mut Cx<'_>,
    p: &str,
    j: &RawJourney,
    target: Option<&Target>,
    env: &Env<'_>,
    journey: &str,
) -> Option<Vec<Step>> {
    let raw = step_list(cx, p, j)?;
    // Slots in order of first extraction: the names known before step i are a prefix of `slots`.
    let mut slots: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let sp = path::index(&format!("{p}.steps"), i);
        let known = slots.len();
        let later: Vec<(String, String)> =
            extracted_names(&raw[i..]).into_iter().filter(|(n, _)| !slots[..known].contains(n)).collect();
        let extract = extractions(cx, &sp, s, env, &mut slots);
        let scope = env.scope(&slots[..known], &later);
        let req = Req {
            path: sp,
            name: s.name.as_ref(),
            method: s.method.as_ref(),
            target: s.path.as_ref(),
            headers: s.headers.as_ref(),
            body: s.body.as_ref(),
            check: s.check.as_ref(),
            think: s.think.as_ref(),
        };
        let label = format!("{journey}/{}", s.name.clone().unwrap_or_else(|| format!("{}", i + 1)));
        if let Some(step) = step(cx, &req, target, &scope, label, extract) {
            out.push(step);
        }
    }
    (out.len() == raw.len()).then_some(out)
}

fn extractor(cx: &mut Cx<'_>, p: &str, e: &RawExtract) -> Option<Extractor> {
    let expected = "one of `json: $.path`, `header: Name` or `regex: 'pattern'`";
    match (&e.json, &e.header, &e.regex) {
        (Some(j), None, None) => match JsonPath::parse(j) {
            Ok(jp) => Some(Extractor::Json(jp)),
            Err(m) => {
                cx.err(&format!("{p}.json"), m, "a JSON path such as $.token or $.items[0].id", "");
                None
            }
        },
        (None, Some(h), None) if is_header_name(h) => Some(Extractor::Header(h.clone())),
        (None, Some(h), None) => {
            cx.err(&format!("{p}.header"), format!("`{h}` is not a header name"), "letters, digits and -", "");
            None
        }
        (None, None, Some(r)) => regex(cx, &format!("{p}.regex"), r).map(Extractor::Regex),
        (None, None, None) => {
            cx.err(p, "nothing to extract from", expected, "e.g. `token: { json: $.token }`");
            None
        }
        _ => {
            cx.err(p, "more than one source", expected, "write one extraction per variable");
            None
        }
    }
}

fn regex(cx: &mut Cx<'_>, p: &str, r: &str) -> Option<Regex> {
    match Regex::new(r) {
        Ok(re) => Some(re),
        Err(e) => {
            let text = e.to_string();
            let why = text.lines().last().unwrap_or("").trim_start_matches("error: ").to_string();
            cx.err(p, format!("invalid regex `{r}`: {why}"), "a regular expression (Rust regex syntax)", "");
            None
        }
    }
}

fn step(
    cx: &mut Cx<'_>,
    r: &Req<'_>,
    target: Option<&Target>,
    scope: &Scope<'_>,
    label: String,
    extract: Vec<Extraction>,
) -> Option<Step> {
    let p = &r.path;
    let method = method(cx, p, r.method);
    let target_t = request_path(cx, p, r.target, target, scope);
    let own = headers(cx, &format!("{p}.headers"), r.headers, scope);
    let body = match r.body {
        None => Some(None),
        Some(b) => cx.template(&format!("{p}.body"), b, scope).map(Some),
    };
    let check = checks(cx, &format!("{p}.check"), r.check);
    let think = think(cx, &format!("{p}.think"), r.think.map(String::as_str));
    let (method, path, own, body, check, think) = (method?, target_t?, own?, body?, check?, think?);
    let mut headers: Vec<Header> = target.map(|t| t.headers.clone()).unwrap_or_default();
    headers.retain(|d| !own.iter().any(|h| h.name.eq_ignore_ascii_case(&d.name)));
    headers.extend(own);
    let name = r.name.cloned().unwrap_or_else(|| format!("{method} {}", r.target.map_or("", |s| s.as_str())));
    Some(Step { name, label, method, path, headers, body, extract, check, think })
}

/// `method:` upper-cased (absent: GET); None after reporting one that is not a word.
fn method(cx: &mut Cx<'_>, p: &str, raw: Option<&String>) -> Option<String> {
    match raw.map(|m| m.trim().to_ascii_uppercase()) {
        None => Some("GET".to_string()),
        Some(m) if !m.is_empty() && m.chars().all(|c| c.is_ascii_alphabetic()) => Some(m),
        Some(m) => {
            cx.err(&format!("{p}.method"), format!("`{m}` is not an HTTP method"), "GET, POST, PUT, DELETE, ...", "");
            None
        }
    }
}

/// `path:` after the base URL's path, as a template; None after reporting a missing one, one
/// without its leading `/`, or a secret in it with white space.
fn request_path(
    cx: &mut Cx<'_>,
    p: &str,
    raw: Option<&String>,
    target: Option<&Target>,
    scope: &Scope<'_>,
) -> Option<Template> {
    let tp = format!("{p}.path");
    match raw {
        None => {
            cx.missing(&tp, "the request path, e.g. /items", "");
            None
        }
        Some(t) if !t.starts_with('/') && !t.starts_with("{{") => {
            let hint = "it is appended to the path of target.base_url";
            cx.err(&tp, format!("`{t}` does not start with `/`"), "a path such as /items/1", hint);
            None
        }
        Some(t) => {
            let prefix = target.map_or("", |t| t.url.target.trim_end_matches('/'));
            let t = cx.template(&tp, &format!("{prefix}{t}"), scope);
            if t.as_ref().is_some_and(|t| t.any_fixed_byte(|b| b.is_ascii_whitespace())) {
                let hint = "percent-encode spaces (%20) in the value";
                cx.err(&tp, "a secret in this path contains white space", "a path without spaces", hint);
                None
            } else {
                t
            }
        }
    }
}

fn checks(cx: &mut Cx<'_>, p: &str, raw: Option<&RawCheck>) -> Option<Checks> {
    let Some(c) = raw else { return Some(Checks::default()) };
    let status = status_set(cx, p, c.status.as_deref());
    let mut ok = status.is_some();
    let mut list = vec![Check::Status(status.unwrap_or(StatusSet::EMPTY))];
    if let Some(b) = &c.body_contains {
        if b.is_empty() {
            cx.err(&format!("{p}.body_contains"), "empty text matches every body", "some text", "");
            ok = false;
        }
        list.push(Check::BodyContains(Finder::new(b.as_bytes()).into_owned()));
    }
    ok &= header_checks(cx, p, c, &mut list);
    if let Some(t) = &c.max_latency {
        match max_latency(cx, p, t) {
            Some(check) => list.push(check),
            None => ok = false,
        }
    }
    ok.then(|| Checks::new(list))
}

/// `status:` (absent: 2xx and 3xx); None after reporting a bad one.
fn status_set(cx: &mut Cx<'_>, p: &str, raw: Option<&[String]>) -> Option<StatusSet> {
    let Some(list) = raw else { return Some(StatusSet::default_ok()) };
    if list.is_empty() {
        cx.err(
            &format!("{p}.status"),
            "an empty status list accepts nothing",
            "a list such as [200, 204] or [2xx]",
            "",
        );
        return None;
    }
    let mut status = StatusSet::EMPTY;
    let mut ok = true;
    for (i, s) in list.iter().enumerate() {
        if let Err(e) = status.add_pattern(s) {
            cx.err(&path::index(&format!("{p}.status"), i), e, "a status (200) or a class (2xx)", "");
            ok = false;
        }
    }
    ok.then_some(status)
}

/// `header_contains:` and `header_matches:` into `list`; false if one was bad (all reported).
fn header_checks(cx: &mut Cx<'_>, p: &str, c: &RawCheck, list: &mut Vec<Check>) -> bool {
    let mut ok = true;
    let mut name_ok = |cx: &mut Cx<'_>, hp: &str, name: &str| {
        if !is_header_name(name) {
            cx.err_key(hp, format!("`{name}` is not a header name"), "letters, digits and -", "");
            ok = false;
        }
    };
    for (name, needle) in c.header_contains.as_ref().map(|m| m.0.as_slice()).unwrap_or(&[]) {
        name_ok(cx, &path::key(&format!("{p}.header_contains"), name), name);
        let needle = Finder::new(needle.as_bytes()).into_owned();
        list.push(Check::HeaderContains { name: name.clone(), needle });
    }
    let mut regex_ok = true;
    for (name, re) in c.header_matches.as_ref().map(|m| m.0.as_slice()).unwrap_or(&[]) {
        let hp = path::key(&format!("{p}.header_matches"), name);
        name_ok(cx, &hp, name);
        match regex(cx, &hp, re) {
            Some(regex) => list.push(Check::HeaderMatches { name: name.clone(), regex }),
            None => regex_ok = false,
        }
    }
    ok && regex_ok
}

/// `max_latency:`, a positive duration.
fn max_latency(cx: &mut Cx<'_>, p: &str, t: &str) -> Option<Check> {
    match cx.duration(&format!("{p}.max_latency"), Some(t), None)? {
        0 => {
            cx.err(&format!("{p}.max_latency"), "a bound of 0s fails every request", "a positive duration", "");
            None
        }
        ns => Some(Check::MaxLatency(ns)),
    }
}

/// `500ms`, or a uniform range `1s..3s`.
fn think(cx: &mut Cx<'_>, p: &str, t: Option<&str>) -> Option<Think> {
    let Some(t) = t else { return Some(Think::None) };
    let Some((a, b)) = t.split_once("..") else {
        return cx.duration(p, Some(t), None).map(|ns| if ns == 0 { Think::None } else { Think::Fixed(ns) });
    };
    let (min_ns, max_ns) = (cx.duration(p, Some(a.trim()), None)?, cx.duration(p, Some(b.trim()), None)?);
    if min_ns > max_ns {
        cx.err(p, format!("`{t}`: the range ends before it starts"), "MIN..MAX, e.g. 1s..3s", "");
        return None;
    }
    Some(if min_ns == max_ns { Think::Fixed(min_ns) } else { Think::Uniform { min_ns, max_ns } })
}

/// One group's weighted choice over its `journeys` (an error when it has nothing to send).
fn mix(cx: &mut Cx<'_>, g: &Requests<'_>, journeys: &[Journey]) -> Option<Weights> {
    let (e, j, pre) = (g.endpoints, g.journeys, &g.prefix);
    if e.is_empty() && j.is_empty() {
        let at = if g.has_journeys { format!("{pre}journeys") } else { format!("{pre}endpoints") };
        let hint = "e.g. `endpoints: [{ name: home, path: / }]`";
        cx.err(&at, "nothing to send: no endpoints and no journeys", "`endpoints`, `journeys` or both", hint);
        return None;
    }
    let written: Vec<f64> =
        e.iter().map(|x| x.weight.unwrap_or(1.0)).chain(j.iter().map(|x| x.weight.unwrap_or(1.0))).collect();
    let poisoned = (0..e.len())
        .map(|i| format!("{pre}endpoints[{i}].weight"))
        .chain((0..j.len()).map(|i| format!("{pre}journeys[{i}].weight")))
        .any(|p| cx.diag.is_poisoned(&p));
    if !poisoned && written.iter().all(|w| *w >= 0.0) && written.iter().sum::<f64>() <= 0.0 {
        let at = if e.is_empty() { format!("{pre}journeys") } else { format!("{pre}endpoints") };
        let hint = "give at least one endpoint or journey a positive weight";
        cx.err(&at, "every weight is 0: nothing would ever be sent", "a positive total weight", hint);
        return None;
    }
    let weights: Vec<f64> = journeys.iter().map(|x| x.weight).collect();
    Weights::new(&weights).ok()
}
