//! "Did you mean": the closest known word to a mistyped one, by optimal-string-alignment
//! distance (an edit is an insertion, a deletion, a substitution or a swap of two neighbours),
//! for the typos clap's own similarity misses (`rnu` for `run`). Pure.

/// The candidate nearest `typed` within two edits (and fewer edits than letters), if any.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = 2.min(typed.chars().count().saturating_sub(1));
    candidates
        .into_iter()
        .map(|c| (distance(typed, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance between `a` and `b`.
pub fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let w = b.len() + 1;
    let mut d: Vec<usize> = (0..(a.len() + 1) * w)
        .map(|k| {
            if k < w {
                k
            } else if k % w == 0 {
                k / w
            } else {
                0
            }
        })
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1).min(d[i * w + j - 1] + 1).min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_and_slips_find_the_command() {
        let commands = ["run", "check", "gate", "breakpoint", "serve", "report", "compare"];
        for (typed, meant) in [("rnu", "run"), ("urn", "run"), ("gaet", "gate"), ("cehck", "check"), ("sever", "serve")]
        {
            assert_eq!(nearest(typed, commands), Some(meant), "{typed}");
        }
        assert_eq!(nearest("x", commands), None);
        assert_eq!(nearest("deploy", commands), None);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
