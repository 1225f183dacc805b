//! Diagnostics: what is wrong with a model, where, and how to fix it.
//!
//! Validation speaks in model paths (`services[3].backup_owner`); the source
//! positions are looked up only once there is something to report, so a clean
//! model is parsed exactly once.

use std::fmt;
use std::ops::Range;

use serde::Serialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth a look; does not fail `palisade check`.
    Warning,
    /// The model is wrong; `palisade check` fails.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// One step of a path into the model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A table key (the model's keys are all known at compile time).
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// A path into the model document, such as `services[3].backup_owner`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ModelPath(pub Vec<Seg>);

impl ModelPath {
    /// The document root.
    pub fn root() -> Self {
        ModelPath(Vec::new())
    }

    /// This path with `key` appended.
    pub fn key(&self, key: &'static str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key));
        p
    }

    /// This path with `index` appended.
    pub fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(index));
        p
    }
}

/// Shorthand for `root.key(a).index(i).key(b)`, the commonest path shape.
pub fn at(list: &'static str, index: usize, field: &'static str) -> ModelPath {
    ModelPath::root().key(list).index(index).key(field)
}

impl fmt::Display for ModelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A place in the source that a diagnostic points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where in the model.
    pub path: ModelPath,
    /// A byte range inside the string value at `path`, for errors in part
    /// of a value (one bad day in `Mon-Fry 09:00-18:00`).
    pub within: Option<Range<usize>>,
    /// The byte range in the source, once resolved.
    pub span: Option<Range<usize>>,
    /// What this place has to do with the problem (may be empty).
    pub message: String,
}

impl Label {
    /// A label on the value at `path`.
    pub fn new(path: ModelPath, message: impl Into<String>) -> Self {
        Label {
            path,
            within: None,
            span: None,
            message: message.into(),
        }
    }

    /// A label on a byte span of the source, with no model path.
    pub fn spanned(span: Range<usize>, message: impl Into<String>) -> Self {
        Label {
            path: ModelPath::root(),
            within: None,
            span: Some(span),
            message: message.into(),
        }
    }
}

/// One problem found in a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub level: Level,
    /// A stable, kebab-case name of the check, e.g. `unknown-reference`.
    pub code: &'static str,
    /// What is wrong, in one line.
    pub message: String,
    /// Where.
    pub primary: Label,
    /// Other places that explain it (e.g. the first definition of a duplicate).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `path`.
    pub fn error(code: &'static str, path: ModelPath, message: impl Into<String>) -> Self {
        Self::new(Level::Error, code, path, message)
    }

    /// A warning at `path`.
    pub fn warning(code: &'static str, path: ModelPath, message: impl Into<String>) -> Self {
        Self::new(Level::Warning, code, path, message)
    }

    fn new(level: Level, code: &'static str, path: ModelPath, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            code,
            message: message.into(),
            primary: Label::new(path, ""),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Sets the primary label's text.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Narrows the primary label to a byte range inside its string value.
    pub fn within(mut self, range: Range<usize>) -> Self {
        self.primary.within = Some(range);
        self
    }

    /// Adds a secondary label.
    pub fn also(mut self, path: ModelPath, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(path, message));
        self
    }

    /// Sets the fix-it hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Line and column (both 1-based; the column counts characters) of byte offsets.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line and column of byte `offset` of `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Fills in the source spans of every label of `diagnostics` from `text`.
///
/// A path that no longer exists in the document (a missing key) resolves to
/// its nearest existing ancestor, so every diagnostic still points somewhere
/// useful.
pub fn resolve_spans(text: &str, diagnostics: &mut [Diagnostic]) {
    if diagnostics
        .iter()
        .all(|d| d.primary.span.is_some() && d.secondary.iter().all(|l| l.span.is_some()))
    {
        return;
    }
    // The text parsed once already; if it somehow does not now, the labels
    // stay unresolved and are reported without a position.
    let Ok(root) = DeTable::parse(text) else {
        return;
    };
    for d in diagnostics {
        for label in std::iter::once(&mut d.primary).chain(d.secondary.iter_mut()) {
            if label.span.is_none() {
                label.span = Some(locate(text, &root, label));
            }
        }
    }
}

fn locate(text: &str, root: &Spanned<DeTable<'_>>, label: &Label) -> Range<usize> {
    let mut span = root.span();
    let mut table = Some(root.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    let mut string_value: Option<&str> = None;
    for seg in &label.path.0 {
        let next = match seg {
            Seg::Key(k) => {
                table.and_then(|t| t.iter().find(|(key, _)| key.get_ref() == k).map(|(_, v)| v))
            }
            Seg::Index(i) => array.and_then(|a| a.get(*i)),
        };
        let Some(value) = next else { break };
        span = value.span();
        table = None;
        array = None;
        string_value = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(a),
            DeValue::String(v) => string_value = Some(v.as_ref()),
            _ => {}
        }
    }
    if let (Some(within), Some(value)) = (&label.within, string_value) {
        // Only where the source spells the value literally (no escapes, not
        // a multi-line string) do offsets in the value match the source.
        let raw = &text[span.clone()];
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else {
            1
        };
        let inner = raw.get(quote..raw.len().saturating_sub(quote));
        if inner == Some(value) {
            let start = (span.start + quote + within.start).min(span.end);
            let end = (span.start + quote + within.end).min(span.end).max(start);
            return snap(text, start..end);
        }
        return span;
    }
    // An array of tables (`[[people]]`) spans from its header; point at the
    // header line rather than the whole block.
    if table.is_some()
        && let Some(line_end) = text[span.clone()].find('\n')
    {
        return span.start..span.start + line_end;
    }
    span
}

/// Widens `range` to whole characters of `text`.
fn snap(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    // A likely typo has about the same length; skipping the rest keeps a
    // model with 10,000 people and many bad references fast.
    let slack = (word.len() / 3).max(2);
    for c in candidates {
        if c.len().abs_diff(word.len()) > slack && !word.starts_with(c) && !c.starts_with(word) {
            continue;
        }
        let score = strsim::jaro_winkler(word, c);
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}
