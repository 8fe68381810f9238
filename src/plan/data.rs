//! Data feeders: CSV files read once at load (header row = column names, quoting per RFC 4180)
//! and the rule that picks a row per iteration (sequential, random, or one row per user).
use super::weights::Rng;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// How an iteration chooses its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedMode {
    /// Row `seq % rows`: iterations walk the file in order (wrapping), across all cores.
    Sequential,
    /// A uniformly random row per iteration (from the core's seeded Rng).
    Random,
    /// Row `user % rows`: each virtual user keeps its own row for every iteration.
    PerUser,
}

impl FeedMode {
    pub fn name(self) -> &'static str {
        match self {
            FeedMode::Sequential => "sequential",
            FeedMode::Random => "random",
            FeedMode::PerUser => "per_user",
        }
    }
}

/// A named table of rows. Cloning is cheap (the rows are shared, read-only).
#[derive(Clone, PartialEq)]
pub struct DataSource {
    pub name: String,
    /// The file, resolved against the plan's directory.
    pub file: PathBuf,
    pub mode: FeedMode,
    pub columns: Vec<String>,
    rows: Arc<[Box<[String]>]>,
}

impl fmt::Debug for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rows may hold credentials: show their count, not their content.
        f.debug_struct("DataSource")
            .field("name", &self.name)
            .field("file", &self.file)
            .field("mode", &self.mode)
            .field("columns", &self.columns)
            .field("rows", &self.rows.len())
            .finish()
    }
}

impl DataSource {
    /// `rows` must be non-empty and each as wide as `columns` (the loader guarantees it).
    pub fn new(name: &str, file: PathBuf, mode: FeedMode, columns: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        let rows: Arc<[Box<[String]>]> = rows.into_iter().map(Vec::into_boxed_slice).collect();
        DataSource { name: name.to_string(), file, mode, columns, rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, shared (an iteration's variables hold them: crate::plan::Vars).
    pub fn shared_rows(&self) -> Arc<[Box<[String]>]> {
        self.rows.clone()
    }

    pub fn row(&self, i: usize) -> &[String] {
        &self.rows[i]
    }

    /// The row for an iteration.
    #[inline]
    pub fn pick(&self, seq: u64, user: u64, rng: &mut Rng) -> usize {
        let n = self.rows.len() as u64;
        (match self.mode {
            FeedMode::Sequential => seq % n,
            FeedMode::Random => rng.below(n),
            FeedMode::PerUser => user % n,
        }) as usize
    }
}

/// A CSV problem at a 1-based line and column of the CSV file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Header and rows. Blank lines are skipped; a leading UTF-8 BOM is ignored.
pub(crate) fn parse_csv(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut p = Cursor { chars: text.chars().peekable(), line: 1, col: 1 };
    while p.chars.peek().is_some() {
        let line = p.line;
        let record = p.record()?;
        if !(record.len() == 1 && record[0].is_empty()) {
            records.push((line, record));
        }
    }
    let Some((_, header)) = records.first().cloned() else {
        return Err(CsvError { line: 1, col: 1, message: "the file is empty: it needs a header row".into() });
    };
    for (i, c) in header.iter().enumerate() {
        if c.trim().is_empty() {
            return Err(CsvError { line: 1, col: 1, message: format!("column {} has no name in the header", i + 1) });
        }
        if header[..i].contains(c) {
            return Err(CsvError { line: 1, col: 1, message: format!("column `{c}` appears twice in the header") });
        }
    }
    if records.len() == 1 {
        return Err(CsvError { line: 2, col: 1, message: "the file has a header but no rows".into() });
    }
    let mut rows = Vec::with_capacity(records.len() - 1);
    for (line, r) in records.into_iter().skip(1) {
        if r.len() != header.len() {
            let message = format!("row has {} fields but the header has {}", r.len(), header.len());
            return Err(CsvError { line, col: 1, message });
        }
        rows.push(r);
    }
    Ok((header.into_iter().map(|h| h.trim().to_string()).collect(), rows))
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    /// One record, consuming its line ending.
    fn record(&mut self) -> Result<Vec<String>, CsvError> {
        let mut fields = Vec::new();
        loop {
            let (field, end) = self.field()?;
            fields.push(field);
            if end {
                return Ok(fields);
            }
        }
    }

    /// One field; `true` when it ended the record.
    fn field(&mut self) -> Result<(String, bool), CsvError> {
        if self.chars.peek() == Some(&'"') { self.quoted() } else { self.unquoted() }
    }

    /// A quoted field (`""` inside is one quote, RFC 4180) and what follows its closing quote.
    fn quoted(&mut self) -> Result<(String, bool), CsvError> {
        let mut s = String::new();
        let (line, col) = (self.line, self.col);
        self.next();
        loop {
            match self.next() {
                None => return Err(CsvError { line, col, message: "quoted field is not closed".into() }),
                Some('"') if self.chars.peek() == Some(&'"') => {
                    self.next();
                    s.push('"');
                }
                Some('"') => break,
                Some(c) => s.push(c),
            }
        }
        match self.next() {
            None | Some('\n') => Ok((s, true)),
            Some('\r') if self.chars.peek() == Some(&'\n') => {
                self.next();
                Ok((s, true))
            }
            Some(',') => Ok((s, false)),
            Some(c) => Err(CsvError {
                line: self.line,
                col: self.col - 1,
                message: format!("`{c}` after a closing quote: expected `,` or the end of the line"),
            }),
        }
    }

    /// An unquoted field, up to a comma or the end of the line (a quote in it is an error).
    fn unquoted(&mut self) -> Result<(String, bool), CsvError> {
        let mut s = String::new();
        loop {
            match self.chars.peek().copied() {
                None => return Ok((s, true)),
                Some('\n') => {
                    self.next();
                    return Ok((s, true));
                }
                Some('\r') => {
                    self.next();
                    if self.chars.peek() == Some(&'\n') {
                        self.next();
                    }
                    return Ok((s, true));
                }
                Some(',') => {
                    self.next();
                    return Ok((s, false));
                }
                Some('"') => {
                    let (line, col) = (self.line, self.col);
                    return Err(CsvError { line, col, message: "a quote inside an unquoted field: quote the whole field and double the quote (\"a \"\"b\"\"\")".into() });
                }
                Some(c) => {
                    self.next();
                    s.push(c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
    }

    #[test]
    fn rfc4180_quoting() {
        let (h, rows) = parse_csv("name,note\r\nann,\"a, \"\"quoted\"\"\nline\"\r\n\nbob,\r\n").unwrap();
        assert_eq!(h, ["name", "note"]);
        assert_eq!(rows, v(&[&["ann", "a, \"quoted\"\nline"], &["bob", ""]]));
        let (_, rows) = parse_csv("\u{feff}a\n1\n2").unwrap();
        assert_eq!(rows, v(&[&["1"], &["2"]]));
    }

    #[test]
    fn csv_errors_have_positions() {
        let e = |t: &str| parse_csv(t).unwrap_err();
        assert_eq!(e("").message, "the file is empty: it needs a header row");
        assert_eq!(e("a,b\n").line, 2);
        assert_eq!(
            e("a,b\n1,2\n3\n"),
            CsvError { line: 3, col: 1, message: "row has 1 fields but the header has 2".into() }
        );
        assert_eq!((e("a\n\"open\n").line, e("a\n\"open\n").col), (2, 1));
        assert_eq!(e("a\n\"x\"y\n").col, 4);
        assert_eq!(e("a\nx\"y\n").col, 2);
        assert!(e("a,a\n1,2\n").message.contains("twice"));
    }

    #[test]
    fn modes_pick_rows() {
        let d =
            DataSource::new("u", "u.csv".into(), FeedMode::Sequential, vec!["n".into()], v(&[&["a"], &["b"], &["c"]]));
        let mut rng = Rng::new(1);
        assert_eq!((0..5).map(|s| d.pick(s, 0, &mut rng)).collect::<Vec<_>>(), [0, 1, 2, 0, 1]);
        let d = DataSource { mode: FeedMode::PerUser, ..d };
        assert_eq!(d.pick(99, 4, &mut rng), 1);
        let d = DataSource { mode: FeedMode::Random, ..d };
        assert!((0..100).all(|s| d.pick(s, 0, &mut rng) < 3));
        assert!(!format!("{d:?}").contains("\"a\""));
    }
}
