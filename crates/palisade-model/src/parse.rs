//! Reading `palisade.toml`: from bytes to a typed [`Model`], or one precise
//! diagnostic saying where the text stops making sense.

use std::path::Path;

use crate::diag::{Diagnostic, Label, Level, did_you_mean};
use crate::types::Model;

/// The largest model file Palisade reads. A model for tens of thousands of
/// people is a few megabytes; anything far bigger is a mistake (a log or a
/// dump passed by accident), and reading it whole would only waste memory.
pub const MAX_MODEL_BYTES: u64 = 32 * 1024 * 1024;

/// A model's text and the name to report it under.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name, as given by the user.
    pub name: String,
    /// The whole text.
    pub text: String,
}

/// Why a model file could not even be read as text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_MODEL_BYTES`].
    #[error(
        "{path} is {size} bytes, more than the {limit} bytes a model may have; is this the right file?"
    )]
    TooLarge {
        /// The path.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error(
        "{path} is not UTF-8 text: invalid byte at line {line}, column {column}; TOML files must be UTF-8"
    )]
    NotUtf8 {
        /// The path.
        path: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
    },
}

impl Source {
    /// A source from text in memory.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Reads a model file, refusing files over [`MAX_MODEL_BYTES`] before
    /// reading them.
    pub fn load(path: &Path) -> Result<Source, LoadError> {
        use std::io::Read;
        let name = path.display().to_string();
        let io = |source| LoadError::Io {
            path: name.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > MAX_MODEL_BYTES {
            return Err(LoadError::TooLarge {
                path: name,
                size,
                limit: MAX_MODEL_BYTES,
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        // Read at most one byte past the limit: the file may grow under us.
        file.take(MAX_MODEL_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_MODEL_BYTES {
            return Err(LoadError::TooLarge {
                path: name,
                size: bytes.len() as u64,
                limit: MAX_MODEL_BYTES,
            });
        }
        Self::from_bytes(name, bytes)
    }

    /// A source from raw bytes, which must be UTF-8.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Source, LoadError> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source { name, text }),
            Err(e) => {
                let good = e.utf8_error().valid_up_to();
                let bytes = e.as_bytes();
                // Everything before `good` is valid UTF-8 by definition.
                let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
                let line = prefix.matches('\n').count() + 1;
                let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                Err(LoadError::NotUtf8 {
                    path: name,
                    line,
                    column,
                })
            }
        }
    }
}

/// Parses model text into a [`Model`]; on failure, one diagnostic with its
/// span already resolved.
pub fn parse(text: &str) -> Result<Model, Box<Diagnostic>> {
    use serde::Deserialize as _;
    // Two stages over one parse: TOML syntax first, then the model's shape,
    // so that each kind of error gets its own code.
    let de =
        toml::de::Deserializer::parse(text).map_err(|e| Box::new(syntax_diagnostic(text, &e)))?;
    Model::deserialize(de).map_err(|e| Box::new(diagnostic_from_toml(text, &e)))
}

fn syntax_diagnostic(text: &str, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim();
    let headline = message.lines().next().unwrap_or("invalid TOML");
    Diagnostic {
        level: Level::Error,
        code: "syntax",
        message: format!("TOML syntax: {headline}"),
        primary: Label::spanned(clamp(text, e.span().unwrap_or(0..0)), "here"),
        secondary: Vec::new(),
        help: Some("see https://toml.io for TOML's syntax".to_owned()),
    }
}

/// Turns the TOML crate's error into a diagnostic with a code and, for
/// misspelt keys and values, a "did you mean" hint.
fn diagnostic_from_toml(text: &str, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_owned();
    let span = e.span().unwrap_or(0..0);
    let (code, help) = classify(&message);
    let headline = headline(code, message.lines().next().unwrap_or("invalid model"));
    let span = clamp(text, span);
    Diagnostic {
        level: Level::Error,
        code,
        message: headline,
        primary: Label::spanned(span, label_for(code)),
        secondary: Vec::new(),
        help,
    }
}

fn clamp(text: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let start = span.start.min(text.len());
    let end = span.end.clamp(start, text.len());
    start..end
}

fn label_for(code: &str) -> &'static str {
    match code {
        "unknown-key" => "not a key here",
        "unknown-value" => "not one of the allowed values",
        "missing-key" => "this table needs it",
        "wrong-type" => "wrong type",
        "invalid-value" => "invalid value",
        _ => "here",
    }
}

/// Rewords serde's messages in the model's terms (keys, values, numbers).
fn headline(code: &str, message: &str) -> String {
    let word = |rest: &str| rest.split('`').nth(1).unwrap_or("").to_owned();
    match code {
        "unknown-key" => format!("unknown key `{}`", word(message)),
        "unknown-value" => format!("unknown value `{}`", word(message)),
        "missing-key" => format!("missing key `{}`", word(message)),
        _ => {
            let mut m = message.to_owned();
            for (from, to) in [
                ("expected u32", "expected a whole number"),
                ("expected u64", "expected a whole number"),
                ("expected f64", "expected a number"),
                ("expected a sequence", "expected an array"),
                ("expected a boolean", "expected true or false"),
                ("invalid type: sequence", "invalid type: array"),
                ("invalid type: map", "invalid type: table"),
            ] {
                m = m.replace(from, to);
            }
            m
        }
    }
}

/// Names the kind of serde/TOML error and works out a hint for it.
fn classify(message: &str) -> (&'static str, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (word, expected) = split_expected(rest);
        let hint = match did_you_mean(word, expected.iter().map(String::as_str)) {
            Some(best) => format!(
                "did you mean `{best}`? allowed keys here: {}",
                expected.join(", ")
            ),
            None if expected.is_empty() => "remove it".to_owned(),
            None => format!("allowed keys here: {}", expected.join(", ")),
        };
        return ("unknown-key", Some(hint));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (word, expected) = split_expected(rest);
        let hint = match did_you_mean(word, expected.iter().map(String::as_str)) {
            Some(best) => format!(
                "did you mean `{best}`? allowed values: {}",
                expected.join(", ")
            ),
            None => format!("allowed values: {}", expected.join(", ")),
        };
        return ("unknown-value", Some(hint));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (
            "missing-key",
            Some(format!("add `{field} = ...` to this table")),
        );
    }
    if message.starts_with("invalid type") {
        return (
            "wrong-type",
            Some("check the value's type against `palisade schema`".to_owned()),
        );
    }
    (
        "invalid-value",
        Some("docs/model.md and `palisade schema` describe each value's format".to_owned()),
    )
}

/// Splits "word`, expected one of `a`, `b`" into the word and the list.
fn split_expected(rest: &str) -> (&str, Vec<String>) {
    let (word, tail) = rest.split_once('`').unwrap_or((rest, ""));
    let expected = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    (word, expected)
}
