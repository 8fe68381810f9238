//! The JSON result writer: the Report as versioned JSON (schema in docs/json-schema.md).
use super::Report;
use std::io::Write;

pub fn write(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(std::io::Error::other)?;
    writeln!(out)
}
