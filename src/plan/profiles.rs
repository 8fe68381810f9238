//! `profiles:` — named variants of a plan's load part (`load:` and `slo:`), one of which
//! (`--profile NAME` or `ONSLAUGHT_PROFILE`) is laid over the plan's own before environment and
//! `--set` overrides (so flag > env > profile > file). Works on the positioned YAML tree, so an
//! error inside a profile points at the profile's line. Removes `profiles:` from the tree: the
//! rest of loading never sees it.
//!
//! Merging: mappings merge key by key (recursively); any other value replaces. A profile that gives
//! `load.stages` or `load.shape` replaces both of the plan's (they exclude each other), so a
//! profile can turn a staged plan into a shaped one and back.
use super::error::{Diag, Issue, Mark, did_you_mean, one_of};
use super::yaml::{Entry, Node, Value};

/// The environment variable that selects a profile (below `--profile`).
pub const ENV_VAR: &str = "ONSLAUGHT_PROFILE";

/// The keys a profile may hold.
const KEYS: [&str; 4] = ["description", "load", "slo", "scenarios"];

/// A profile as the plan defines it (for `check`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileInfo {
    pub name: String,
    pub description: Option<String>,
}

/// Which profile to apply and where the choice came from (for errors).
pub(crate) struct Choice<'a> {
    pub name: &'a str,
    /// `--profile` or `$ONSLAUGHT_PROFILE`.
    pub source: &'static str,
}

/// The choice: `flag` if given, else a non-empty `ONSLAUGHT_PROFILE` in `env`.
pub(crate) fn choose<'a>(flag: Option<&'a str>, env: &'a [(String, String)]) -> Option<Choice<'a>> {
    if let Some(name) = flag.filter(|n| !n.is_empty()) {
        return Some(Choice { name, source: "--profile" });
    }
    let v = env.iter().find(|(k, _)| k == ENV_VAR).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())?;
    Some(Choice { name: v, source: "$ONSLAUGHT_PROFILE" })
}

/// Takes `profiles:` out of `root`, checks it, and lays the chosen profile over `root`.
/// Returns the profiles defined (empty when none); errors go to `diag`.
pub(crate) fn apply(root: &mut Node, choice: Option<&Choice<'_>>, diag: &mut Diag) -> Vec<ProfileInfo> {
    let taken = match &mut root.value {
        Value::Map(entries) => entries.iter().position(|e| e.key == "profiles").map(|i| entries.remove(i)),
        _ => None,
    };
    let profiles = taken.as_ref().map(|e| defined(e, diag)).unwrap_or_default();
    let Some(choice) = choice else { return profiles.iter().map(|(i, _)| i.clone()).collect() };
    match profiles.iter().find(|(i, _)| i.name == choice.name) {
        Some((_, node)) => {
            overlay_profile(root, node);
            overlay_scenarios(root, node, diag);
        }
        None => diag.note(unknown(choice, taken.as_ref(), &profiles)),
    }
    profiles.into_iter().map(|(i, _)| i).collect()
}

/// Every profile under `profiles:`, with its body; reports what is malformed.
fn defined<'e>(entry: &'e Entry, diag: &mut Diag) -> Vec<(ProfileInfo, &'e Node)> {
    let Value::Map(items) = &entry.value.value else {
        let found = entry.value.describe();
        let issue = Issue::new(entry.value.mark, "profiles", format!("`profiles` is {found}"))
            .expected("a mapping of profile names, e.g. `profiles: { smoke: { load: { shape: { type: smoke } } } }`");
        diag.push(issue);
        return Vec::new();
    };
    items.iter().filter_map(|p| profile(p, diag).map(|info| (info, &p.value))).collect()
}

/// One profile's name and description, after checking its keys.
fn profile(p: &Entry, diag: &mut Diag) -> Option<ProfileInfo> {
    let path = format!("profiles.{}", p.key);
    let entries = match &p.value.value {
        Value::Map(es) => es.as_slice(),
        Value::Null => &[],
        _ => {
            let issue = Issue::new(p.value.mark, &path, format!("profile `{}` is {}", p.key, p.value.describe()))
                .expected("a mapping with `load` and/or `slo`");
            diag.push(issue);
            return None;
        }
    };
    let mut ok = true;
    for e in entries.iter().filter(|e| !KEYS.contains(&e.key.as_str())) {
        let issue =
            Issue::new(e.key_mark, &format!("{path}.{}", e.key), format!("unknown key `{}` in a profile", e.key))
                .expected(format!("one of {}", one_of(KEYS)))
                .hint(
                    did_you_mean(&e.key, KEYS).unwrap_or_else(|| "a profile varies only the load and the SLOs".into()),
                );
        diag.push(issue);
        ok = false;
    }
    let description = entries.iter().find(|e| e.key == "description").and_then(|e| match &e.value.value {
        Value::Scalar { text, .. } => Some(text.clone()),
        _ => None,
    });
    ok.then(|| ProfileInfo { name: p.key.clone(), description })
}

/// The error for a profile the plan does not define, at the `profiles:` key when there is one.
fn unknown(choice: &Choice<'_>, taken: Option<&Entry>, profiles: &[(ProfileInfo, &Node)]) -> Issue {
    let mark = taken.map_or(Mark::file(1, 1), |e| e.key_mark);
    let names: Vec<&str> = profiles.iter().map(|(i, _)| i.name.as_str()).collect();
    let message = format!("{} `{}`: the plan defines no such profile", choice.source, choice.name);
    if names.is_empty() {
        return Issue::new(mark, "profiles", message)
            .expected("a plan with `profiles:`")
            .hint(format!("drop {} or add `profiles: {{ {}: {{ load: ... }} }}`", choice.source, choice.name));
    }
    let hint = did_you_mean(choice.name, names.iter().copied());
    Issue::new(mark, "profiles", message).expected(format!("one of {}", one_of(names))).hint_opt(hint)
}

/// Lays the profile's `load` and `slo` over the plan's.
fn overlay_profile(root: &mut Node, profile: &Node) {
    let Value::Map(parts) = &profile.value else { return };
    for part in parts.iter().filter(|e| e.key == "load" || e.key == "slo") {
        let Value::Map(entries) = &mut root.value else { return };
        let target = match entries.iter().position(|e| e.key == part.key) {
            Some(i) => &mut entries[i].value,
            None => {
                entries.push(part.clone());
                continue;
            }
        };
        if part.key == "load" && gives_stages(&part.value) {
            drop_keys(target, &["stages", "shape"]);
        }
        merge(target, &part.value);
    }
}

/// Lays the profile's `scenarios: { NAME: { load: ... } }` over the plan's scenario of that
/// name (a list item of `scenarios:`); a name the plan does not have is an error at its key.
fn overlay_scenarios(root: &mut Node, profile: &Node, diag: &mut Diag) {
    let Value::Map(parts) = &profile.value else { return };
    let Some(over) = parts.iter().find(|e| e.key == "scenarios") else { return };
    let Value::Map(named) = &over.value.value else {
        let issue = Issue::new(over.value.mark, "profiles.scenarios", "`scenarios` in a profile is not a mapping")
            .expected("a mapping of scenario names, e.g. `scenarios: { api: { load: { stages: [...] } } }`");
        return diag.push(issue);
    };
    for n in named {
        match scenario_node(root, &n.key) {
            Some(target) => overlay_profile(target, &n.value),
            None => diag.push(
                Issue::new(
                    n.key_mark,
                    &format!("scenarios.{}", n.key),
                    format!("the plan has no scenario `{}`", n.key),
                )
                .expected("the name of one of the plan's `scenarios`"),
            ),
        }
    }
}

/// The item of the plan's `scenarios:` list whose `name` is `name`.
fn scenario_node<'n>(root: &'n mut Node, name: &str) -> Option<&'n mut Node> {
    let Value::Map(entries) = &mut root.value else { return None };
    let Value::Seq(items) = &mut entries.iter_mut().find(|e| e.key == "scenarios")?.value.value else { return None };
    items.iter_mut().find(|item| match &item.value {
        Value::Map(es) => {
            es.iter().any(|e| e.key == "name" && matches!(&e.value.value, Value::Scalar { text, .. } if text == name))
        }
        _ => false,
    })
}

fn gives_stages(load: &Node) -> bool {
    matches!(&load.value, Value::Map(es) if es.iter().any(|e| e.key == "stages" || e.key == "shape"))
}

fn drop_keys(node: &mut Node, keys: &[&str]) {
    if let Value::Map(es) = &mut node.value {
        es.retain(|e| !keys.contains(&e.key.as_str()));
    }
}

/// `over` on top of `base`: mappings key by key, anything else replaces.
fn merge(base: &mut Node, over: &Node) {
    match (&mut base.value, &over.value) {
        (Value::Map(bs), Value::Map(os)) => {
            for o in os {
                match bs.iter_mut().find(|b| b.key == o.key) {
                    Some(b) => merge(&mut b.value, &o.value),
                    None => bs.push(o.clone()),
                }
            }
        }
        _ => *base = over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::yaml;

    const PLAN: &str = "load:\n  warmup: 2s\n  stages: [{ duration: 1m, rate: 10 }]\nslo:\n  p95: 1s\n  error_rate: 1%\n\
profiles:\n  smoke:\n    load: { shape: { type: smoke } }\n    slo: { p95: 2s }\n  spike:\n    description: a burst\n";

    fn tree(src: &str) -> Node {
        yaml::parse(src, &mut Diag::default()).unwrap()
    }

    fn at<'n>(n: &'n Node, path: &[&str]) -> Option<&'n Node> {
        path.iter().try_fold(n, |n, k| match &n.value {
            Value::Map(es) => es.iter().find(|e| e.key == *k).map(|e| &e.value),
            _ => None,
        })
    }

    #[test]
    fn a_profile_replaces_stages_and_merges_the_rest() {
        let mut root = tree(PLAN);
        let mut d = Diag::default();
        let got = apply(&mut root, Some(&Choice { name: "smoke", source: "--profile" }), &mut d);
        assert!(d.is_empty(), "{:?}", d.finish(&Default::default()));
        assert_eq!(got.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["smoke", "spike"]);
        assert_eq!(got[1].description.as_deref(), Some("a burst"));
        assert!(at(&root, &["profiles"]).is_none(), "profiles: is taken out of the tree");
        assert!(at(&root, &["load", "stages"]).is_none(), "the profile's shape replaces the stages");
        assert!(at(&root, &["load", "shape", "type"]).is_some());
        assert!(at(&root, &["load", "warmup"]).is_some(), "keys the profile leaves alone stay");
        let p95 = at(&root, &["slo", "p95"]).unwrap();
        assert_eq!((p95.mark.line, &p95.value), (10, &Value::Scalar { text: "2s".into(), plain: true }));
        assert!(at(&root, &["slo", "error_rate"]).is_some());
    }

    #[test]
    fn an_unknown_profile_names_the_defined_ones_at_the_profiles_key() {
        let mut root = tree(PLAN);
        let mut d = Diag::default();
        apply(&mut root, Some(&Choice { name: "spkie", source: "--profile" }), &mut d);
        let errs = d.finish(&super::super::error::Sources { file: "p.yaml".into(), ..Default::default() });
        let line = errs[0].to_string();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            line.starts_with("p.yaml:7:1: profiles: --profile `spkie`: the plan defines no such profile"),
            "{line}"
        );
        assert!(line.contains("one of `smoke` or `spike`") && line.contains("spike"), "{line}");
    }

    #[test]
    fn unknown_keys_in_a_profile_are_errors_and_env_selects_below_the_flag() {
        let mut root = tree("profiles:\n  ci:\n    targt: {}\n");
        let mut d = Diag::default();
        assert!(apply(&mut root, None, &mut d).is_empty());
        let errs = d.finish(&Default::default());
        assert!(errs[0].to_string().contains(":3:5: profiles.ci.targt: unknown key `targt`"), "{errs:?}");
        let env = vec![(ENV_VAR.to_string(), "soak".to_string())];
        assert_eq!(choose(None, &env).unwrap().name, "soak");
        assert_eq!(choose(Some("ci"), &env).unwrap().source, "--profile");
        assert!(choose(None, &[(ENV_VAR.to_string(), String::new())]).is_none());
    }
}
