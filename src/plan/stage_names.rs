//! Stage names: the `name:` a plan gives a stage, checked: unique, not a bare number (which a
//! `stage:N` SLO scope would read as an index), no `:`. Reports and `stage:NAME` SLO scopes use
//! these names; a stage without one is "stage N" (1-based). A shape's phase names are
//! `stages::phase_names`.
use super::cx::Cx;
use super::raw::RawStage;

/// The default name of the stage at 0-based `i`.
pub(crate) fn default_name(i: usize) -> String {
    format!("stage {}", i + 1)
}

/// Every stage's name: the one written, else "stage N". None after reporting a bad one.
pub(crate) fn written(cx: &mut Cx<'_>, raw: &[RawStage], base: &str) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    let mut ok = true;
    for (i, s) in raw.iter().enumerate() {
        let name = match s.name.as_deref().map(str::trim) {
            None => default_name(i),
            Some(n) => match problem(n, &names, i) {
                Some((msg, hint)) => {
                    cx.err(
                        &format!("{base}.stages[{i}].name"),
                        msg,
                        "a unique name such as `ramp-up` or `plateau`",
                        &hint,
                    );
                    ok = false;
                    continue;
                }
                None => n.to_string(),
            },
        };
        names.push(name);
    }
    ok.then_some(names)
}

/// What is wrong with `name` given the names before it, with a hint.
fn problem(name: &str, before: &[String], i: usize) -> Option<(String, String)> {
    if name.is_empty() {
        return Some(("a stage name is empty".into(), "leave `name` out for the default \"stage N\"".into()));
    }
    if name.parse::<usize>().is_ok() {
        let hint = format!("`stage:{name}` in an SLO means the stage at index {name}; use a word, e.g. `step-{name}`");
        return Some((format!("the stage name `{name}` is a number"), hint));
    }
    if name.contains(':') {
        let hint = "SLO scopes are written `stage:NAME:METRIC`; use `-` or a space instead";
        return Some((format!("the stage name `{name}` contains `:`"), hint.into()));
    }
    let dup = before.iter().position(|b| b == name)?;
    let hint = format!("stage {} (index {dup}) is already called `{name}`; SLO scopes need unique names", dup + 1);
    Some((format!("stage {} repeats the name `{name}`", i + 1), hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_names_are_refused_with_a_reason() {
        let before = vec!["warm".to_string()];
        assert!(problem("warm", &before, 1).unwrap().0.contains("repeats the name `warm`"));
        assert!(problem("2", &before, 1).unwrap().1.contains("index 2"));
        assert!(problem("a:b", &before, 1).unwrap().0.contains("`:`"));
        assert!(problem("", &before, 1).is_some());
        assert_eq!(problem("plateau", &before, 1), None);
    }
}
