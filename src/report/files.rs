//! Writing the report files a command asked for (`--json --out --md --html --prom --junit --hlog`)
//! and the Pushgateway push: one place, shared by `run` and `report`, so both write the same bytes.
use super::{Report, hlog, html, json, junit, markdown, prometheus, result};
use crate::cli::WriterArgs;
use std::io::Write;

/// Where each report goes; None: not wanted.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    pub json: Option<String>,
    pub result: Option<String>,
    pub writers: WriterArgs,
}

type Writer = fn(&Report, &mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>;

/// Write every requested file, the result file first (it can regenerate every other), then
/// push; a failure does not stop the others. Every failure is returned.
pub fn write_all(r: &Report, o: &Outputs) -> Result<(), Vec<String>> {
    let w = &o.writers;
    let jobs: [(&str, &Option<String>, Writer); 7] = [
        ("--out", &o.result, |r, f| result::write(r, f)),
        ("--json", &o.json, |r, f| json::write(r, f)),
        ("--md", &w.md, |r, f| markdown::write(r, f)),
        ("--html", &w.html, |r, f| html::write(r, f)),
        ("--prom", &w.prom, |r, f| prometheus::write(r, f)),
        ("--junit", &w.junit, |r, f| junit::write(r, f)),
        ("--hlog", &w.hlog, |r, f| hlog::write(r, f)),
    ];
    let mut errors = Vec::new();
    for (flag, path, write) in jobs {
        let Some(path) = path else { continue };
        let done = std::fs::File::create(path).and_then(|f| {
            let mut b = std::io::BufWriter::new(f);
            write(r, &mut b)?;
            b.flush()
        });
        if let Err(e) = done {
            errors.push(format!("{flag}: cannot write '{path}': {e}"));
        }
    }
    if let Some(gw) = &w.push_gateway
        && let Err(e) = super::push::push(r, gw)
    {
        errors.push(e);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
