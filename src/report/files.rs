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

/// The companion of Markdown file `md` with SVG text `svg`: `spectrum-HASH.svg` beside it, named
/// by its content (FNV-1a), so the Markdown regenerated from a result file is the same bytes as
/// the run's, and reports of different runs in one folder never overwrite each other's chart.
pub fn spectrum_path(md: &str, svg: &str) -> std::path::PathBuf {
    let hash = svg.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    std::path::Path::new(md).with_file_name(format!("spectrum-{hash:016x}.svg"))
}

/// `--md`: the Markdown file and, when anything was measured, its percentile spectrum as an SVG
/// file beside it (linked from the Markdown).
fn write_markdown(r: &Report, path: &str) -> Result<(), String> {
    let svg = super::spectrum_chart::standalone(r);
    let svg_path = svg.as_deref().map(|s| spectrum_path(path, s));
    let name = svg_path.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    let md = std::fs::File::create(path).and_then(|f| {
        let mut b = std::io::BufWriter::new(f);
        match &name {
            Some(n) => markdown::write_linked(r, &mut b, n)?,
            None => markdown::write(r, &mut b)?,
        }
        b.flush()
    });
    md.map_err(|e| format!("--md: cannot write '{path}': {e}"))?;
    let (Some(svg), Some(at)) = (svg, svg_path) else { return Ok(()) };
    std::fs::write(&at, svg).map_err(|e| format!("--md: cannot write '{}': {e}", at.display()))
}

/// Write every requested file, the result file first (it can regenerate every other), then
/// push; a failure does not stop the others. Every failure is returned.
pub fn write_all(r: &Report, o: &Outputs) -> Result<(), Vec<String>> {
    let w = &o.writers;
    let jobs: [(&str, &Option<String>, Writer); 6] = [
        ("--out", &o.result, |r, f| result::write(r, f)),
        ("--json", &o.json, |r, f| json::write(r, f)),
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
    if let Some(path) = &w.md {
        errors.extend(write_markdown(r, path).err());
    }
    if let Some(gw) = &w.push_gateway
        && let Err(e) = super::push::push(r, gw)
    {
        errors.push(e);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
