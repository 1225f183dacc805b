//! Output formatting: human text (with colour when wanted) or JSON, and the
//! rendering of model diagnostics as annotated source snippets.

use std::io::{IsTerminal, Write};

use codespan_reporting::diagnostic::{Diagnostic as Report, Label as ReportLabel, Severity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config, termcolor};
use palisade_model::{Diagnostic, Level, LineIndex, Source};
use serde_json::{Value, json};

use crate::cli::{Color, Format};

/// Where and how a command prints.
pub struct Output {
    pub format: Format,
    color: bool,
}

impl Output {
    pub fn new(format: Format, color: Color) -> Self {
        let color = match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Output { format, color }
    }

    /// Whether human output is coloured.
    pub fn color_enabled(&self) -> bool {
        self.color
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints a JSON value on stdout, one document.
    pub fn print_json(&self, value: &Value) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)?;
        Ok(())
    }

    /// Prints a line of human output on stdout.
    pub fn line(&self, text: impl AsRef<str>) -> anyhow::Result<()> {
        writeln!(std::io::stdout().lock(), "{}", text.as_ref())?;
        Ok(())
    }

    /// A warning on stderr: something the user should know that does not stop the command.
    pub fn warning(&self, text: impl AsRef<str>) {
        let (yellow, reset) = if self.color && std::io::stderr().is_terminal() {
            ("\x1b[1;33m", "\x1b[0m")
        } else {
            ("", "")
        };
        let _ = writeln!(
            std::io::stderr().lock(),
            "{yellow}warning{reset}: {}",
            text.as_ref()
        );
    }

    /// Reports a failure to run on stderr, with its causes.
    pub fn error(&self, err: &anyhow::Error) {
        let mut stderr = std::io::stderr().lock();
        let (red, reset) = if self.color && std::io::stderr().is_terminal() {
            ("\x1b[1;31m", "\x1b[0m")
        } else {
            ("", "")
        };
        let _ = writeln!(stderr, "{red}error{reset}: {err}");
        for cause in err.chain().skip(1) {
            let _ = writeln!(stderr, "  caused by: {cause}");
        }
    }

    /// Renders diagnostics as annotated source on stdout.
    pub fn diagnostics(&self, source: &Source, diagnostics: &[Diagnostic]) -> anyhow::Result<()> {
        if diagnostics.is_empty() {
            // Indexing a large file's lines for nothing is measurable.
            return Ok(());
        }
        let choice = if self.color {
            termcolor::ColorChoice::Always
        } else {
            termcolor::ColorChoice::Never
        };
        let mut stdout = termcolor::StandardStream::stdout(choice);
        render_human(source, diagnostics, self.color, &mut stdout)
    }
}

fn to_report(d: &Diagnostic) -> Report<()> {
    let severity = match d.level {
        Level::Error => Severity::Error,
        Level::Warning => Severity::Warning,
    };
    let mut labels = Vec::new();
    if let Some(span) = &d.primary.span {
        labels.push(ReportLabel::primary((), span.clone()).with_message(&d.primary.message));
    }
    for l in &d.secondary {
        if let Some(span) = &l.span {
            labels.push(ReportLabel::secondary((), span.clone()).with_message(&l.message));
        }
    }
    let mut notes = Vec::new();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    Report::new(severity)
        .with_message(&d.message)
        .with_code(d.code)
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders `diagnostics` into `writer`, coloured or not.
pub fn render_human<W: termcolor::WriteColor>(
    source: &Source,
    diagnostics: &[Diagnostic],
    color: bool,
    writer: &mut W,
) -> anyhow::Result<()> {
    let file = SimpleFile::new(source.name.as_str(), source.text.as_str());
    let config = Config::default();
    for d in diagnostics {
        let report = to_report(d);
        if color {
            term::emit_to_write_style(writer, &config, &file, &report)?;
        } else {
            term::emit_to_io_write(writer, &config, &file, &report)?;
        }
    }
    Ok(())
}

/// The JSON form of diagnostics: positions as 1-based line and column.
pub fn diagnostics_json(source: &Source, diagnostics: &[Diagnostic]) -> Value {
    let index = LineIndex::new(&source.text);
    let position = |span: &Option<std::ops::Range<usize>>| match span {
        Some(s) => {
            let (line, column) = index.line_col(&source.text, s.start);
            let (end_line, end_column) = index.line_col(&source.text, s.end);
            json!({"line": line, "column": column, "end_line": end_line, "end_column": end_column})
        }
        None => Value::Null,
    };
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut v = json!({
                "level": d.level,
                "code": d.code,
                "message": d.message,
                "file": source.name,
                "path": d.primary.path.to_string(),
                "help": d.help,
                "related": d.secondary.iter().map(|l| json!({
                    "message": l.message,
                    "path": l.path.to_string(),
                    "position": position(&l.span),
                })).collect::<Vec<_>>(),
            });
            if let (Some(obj), Value::Object(pos)) = (v.as_object_mut(), position(&d.primary.span))
            {
                obj.extend(pos);
            }
            v
        })
        .collect();
    Value::Array(items)
}
