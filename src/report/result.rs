//! The result file (`--out result.json`): the Report summary plus every histogram (V2 compressed,
//! base64), versioned, so every report can be regenerated later (`onslaught report`) and runs
//! compared (`onslaught compare`). Format: docs/result-file.md.
use super::Report;
use crate::record::hists::EncodedHists;
use serde::{Deserialize, Serialize};
use std::io::Write;

/// What the `format` field of every result file says.
pub const FORMAT: &str = "onslaught-result";
/// Bumped on any change a reader of version N could misread.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Out<'a> {
    format: &'a str,
    version: u32,
    summary: &'a Report,
    histograms: &'a EncodedHists,
}

#[derive(Deserialize)]
struct Head {
    format: Option<String>,
    version: Option<u32>,
}

#[derive(Deserialize)]
struct In {
    summary: Report,
    histograms: EncodedHists,
}

pub fn write(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let o = Out { format: FORMAT, version: VERSION, summary: r, histograms: &r.histograms };
    serde_json::to_writer_pretty(&mut *out, &o).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// Parse a result file; the Report comes back with its histograms decoded, as after a run.
pub fn parse(text: &str) -> Result<Report, String> {
    let head: Head = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    match (head.format.as_deref(), head.version) {
        (Some(FORMAT), Some(VERSION)) => {}
        (Some(FORMAT), Some(v)) => {
            return Err(format!(
                "result file version {v}, this onslaught reads version {VERSION}: use the onslaught that wrote it"
            ));
        }
        _ => {
            return Err(format!(
                "not an onslaught result file (no \"format\": \"{FORMAT}\"); write one with run --out"
            ));
        }
    }
    let i: In = serde_json::from_str(text).map_err(|e| format!("{e}"))?;
    let mut r = i.summary;
    r.hists = i.histograms.total.decode()?;
    r.spectrum = super::spectrum(&r.hists.latency);
    r.histograms = i.histograms;
    Ok(r)
}

/// Read and parse a result file; errors name the file and say what to do.
pub fn load(path: &std::path::Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    parse(&text).map_err(|e| format!("'{}': {e}", path.display()))
}
