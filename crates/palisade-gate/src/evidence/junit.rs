//! Evidence reader: JUnit XML test results, in the variants pytest, cargo-nextest,
//! jest-junit and Maven Surefire write.
//!
//! The root is `<testsuites>` or a lone `<testsuite>`; suites may nest. A
//! `<testcase>` passed unless a child says otherwise: `<error>` (it crashed),
//! `<failure>` (an assertion failed) or `<skipped>`, in that order of precedence.
//! cargo-nextest and Surefire add `<flakyFailure>`/`<flakyError>` to a case that
//! passed on a retry (counted as passed, and as flaky) and `<rerunFailure>`/
//! `<rerunError>` beside the `<failure>` of a case that failed every try.
//!
//! The counts come from the cases, never from the suites' `tests`/`failures`/
//! `errors`/`skipped` attributes: those are only cross-checked, and a suite that
//! disagrees with its cases gets a note ([`TestSummary::notes`]). A suite's `tests`
//! agrees when it counts its cases with or without the skipped ones (pytest and
//! Surefire count them, cargo-nextest does not list them).
//!
//! A `<property>` named `commit`, `git_commit` or `vcs.revision` anywhere in the
//! file says which commit was tested.
//!
//! The file is read as a stream of XML events, never as a tree: memory is bounded
//! by the longest single tag or text ([`MAX_EVENT`]) and the nesting depth
//! ([`MAX_DEPTH`]), not by the size of the file. [`read_from`] reads from any
//! [`BufRead`], so a file need not be in memory at all.

use std::io::{self, BufRead, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use sha2::{Digest as _, Sha256};

use super::{Evidence, EvidenceError, EvidenceKind, Facts, LISTED, TestSummary, full_commit};

/// The longest tag or text (a test's captured output, say) read; a longer one is an
/// error rather than a buffer the size of the file.
pub const MAX_EVENT: u64 = 64 << 20;

/// How much of its input [`Counted`] hands the XML reader at once.
const CHUNK: usize = 64 << 10;

/// The deepest nesting of elements read.
pub const MAX_DEPTH: usize = 512;

/// Property names that say which commit the tests ran on.
const COMMIT_PROPERTIES: &[&str] = &["commit", "git_commit", "vcs.revision"];

/// Reads JUnit XML from `bytes` (which may be a memory map).
///
/// # Errors
///
/// [`EvidenceError`] naming the line and byte when the XML is malformed or
/// truncated, the root is not `<testsuites>`/`<testsuite>`, or a commit property
/// is not a full commit id or contradicts another.
pub fn read(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    read_from(source, bytes)
}

/// Reads JUnit XML from `input` as it streams in, digesting it on the way.
///
/// # Errors
///
/// As [`read`], and when `input` fails to read.
pub fn read_from<R: BufRead>(source: &str, input: R) -> Result<Evidence, EvidenceError> {
    read_digested(source, input).0
}

/// Reads JUnit XML from `input` as [`read_from`] does, and returns besides the
/// `sha256:<hex>` digest of all of `input`, even when it is not JUnit: what
/// follows an error is digested unread, a piece at a time.
pub fn read_digested<R: BufRead>(
    source: &str,
    input: R,
) -> (Result<Evidence, EvidenceError>, String) {
    let mut reader = Reader::from_reader(Counted::new(input));
    let read = parse(source, &mut reader);
    let mut counted = reader.into_inner();
    if read.is_err() {
        counted.drain();
    }
    let digest = format!("sha256:{}", hex::encode(counted.hasher.finalize()));
    let read = read.map(|(summary, commit)| Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Junit,
        digest: digest.clone(),
        commit,
        facts: Facts::Tests(summary),
    });
    (read, digest)
}

/// The summary and commit of the JUnit XML `reader` reads.
fn parse<R: BufRead>(
    source: &str,
    reader: &mut Reader<Counted<R>>,
) -> Result<(TestSummary, Option<String>), EvidenceError> {
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut state = State::default();
    let mut buf = Vec::new();
    loop {
        reader.get_mut().mark();
        let at = Place {
            line: reader.get_ref().lines + 1,
            byte: reader.buffer_position(),
        };
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => return Err(xml_error(source, reader, at, &e)),
        };
        let step = match event {
            Event::Start(e) => state.open(&e, at, false),
            Event::Empty(e) => state.open(&e, at, true),
            Event::End(_) => {
                state.close(at);
                Ok(())
            }
            Event::Text(text) if state.outside_root() => {
                if text.iter().all(u8::is_ascii_whitespace) {
                    Ok(())
                } else {
                    Err("text outside the root element".to_owned())
                }
            }
            Event::CData(_) | Event::GeneralRef(_) if state.outside_root() => {
                Err("text outside the root element".to_owned())
            }
            Event::Eof => break,
            _ => Ok(()),
        };
        step.map_err(|message| at.error(source, message))?;
    }
    let end = Place {
        line: reader.get_ref().lines + 1,
        byte: reader.buffer_position(),
    };
    state.finish().map_err(|message| end.error(source, message))
}

/// Where an event starts: 1-based line and 0-based byte offset.
#[derive(Debug, Clone, Copy)]
struct Place {
    line: u64,
    byte: u64,
}

impl Place {
    fn error(self, source: &str, message: impl std::fmt::Display) -> EvidenceError {
        EvidenceError::new(
            source,
            format!("line {} (byte {}): {message}", self.line, self.byte),
        )
    }
}

fn xml_error<R: BufRead>(
    source: &str,
    reader: &Reader<Counted<R>>,
    at: Place,
    error: &quick_xml::Error,
) -> EvidenceError {
    let counted = reader.get_ref();
    if counted.too_long {
        return at
            .error(
                source,
                format!("a single tag or text longer than {} MiB", MAX_EVENT >> 20),
            )
            .help("JUnit files this large hold captured output; write it to files instead");
    }
    if let quick_xml::Error::Io(e) = error {
        return EvidenceError::new(source, format!("cannot be read: {e}"));
    }
    // quick-xml places an error at the markup it could not read; this event started
    // there or before it, so its line is the error's.
    let byte = reader.error_position().max(at.byte);
    Place {
        line: at.line,
        byte,
    }
    .error(source, format!("malformed XML: {error}"))
    .help("the file is not well-formed XML; was it truncated or written by two processes at once?")
}

/// A [`BufRead`] that digests and counts the lines of what its reader consumes,
/// and refuses to let one event grow past [`MAX_EVENT`].
struct Counted<R> {
    inner: R,
    hasher: Sha256,
    consumed: u64,
    /// Newlines consumed.
    lines: u64,
    /// Where the event being read started.
    mark: u64,
    /// Whether the last error was an event longer than [`MAX_EVENT`].
    too_long: bool,
}

impl<R: BufRead> Counted<R> {
    fn new(inner: R) -> Self {
        Counted {
            inner,
            hasher: Sha256::new(),
            consumed: 0,
            lines: 0,
            mark: 0,
            too_long: false,
        }
    }

    fn mark(&mut self) {
        self.mark = self.consumed;
    }

    /// Digests the rest of the input unread; a read error ends it, leaving the
    /// digest of what could be read.
    fn drain(&mut self) {
        loop {
            let n = match self.inner.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok([]) | Err(_) => return,
                Ok(available) => {
                    self.hasher.update(available);
                    available.len()
                }
            };
            self.inner.consume(n);
        }
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.consumed - self.mark > MAX_EVENT {
            self.too_long = true;
            return Err(io::Error::other("event too long"));
        }
        // In chunks, so that a long event comes back here, to the check above,
        // before it is all buffered.
        let available = self.inner.fill_buf()?;
        Ok(&available[..available.len().min(CHUNK)])
    }

    fn consume(&mut self, n: usize) {
        // The bytes being consumed are still in the inner buffer: fill_buf returns
        // them again without reading.
        if let Ok(available) = self.inner.fill_buf() {
            let taken = &available[..n.min(available.len())];
            self.hasher.update(taken);
            self.lines += count_newlines(taken);
        }
        self.consumed += n as u64;
        self.inner.consume(n);
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// What an open element is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// `<testsuites>` or `<testsuite>`, with its [`Container`] on their stack.
    Container,
    Testcase,
    Properties,
    Other,
}

/// A test case's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Passed,
    Skipped,
    Failed,
    Errored,
}

/// Counts of cases.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    /// All cases, skipped ones included.
    cases: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
    flaky: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.cases += other.cases;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.flaky += other.flaky;
    }
}

/// An open `<testsuites>` or `<testsuite>`.
#[derive(Debug)]
struct Container {
    name: String,
    line: u64,
    /// Its attributes `tests`, `failures`, `errors`, `skipped`, as written.
    declared: [Option<String>; 4],
    counted: Counts,
}

/// An open `<testcase>`.
#[derive(Debug)]
struct Case {
    label: String,
    outcome: Outcome,
    flaky: bool,
}

#[derive(Debug, Default)]
struct State {
    stack: Vec<(Elem, u64)>,
    containers: Vec<Container>,
    case: Option<Case>,
    root_seen: bool,
    root_closed: bool,
    total: Counts,
    failing: Vec<String>,
    notes: Vec<String>,
    /// Notes beyond [`LISTED`], counted.
    more_notes: u64,
    commit: Option<(String, u64)>,
}

impl State {
    fn outside_root(&self) -> bool {
        self.stack.is_empty()
    }

    fn open(&mut self, e: &BytesStart<'_>, at: Place, empty: bool) -> Result<(), String> {
        let name = e.name();
        let name = name.as_ref();
        if self.stack.is_empty() {
            if self.root_seen {
                return Err(format!(
                    "a second root element <{}>",
                    String::from_utf8_lossy(name)
                ));
            }
            if name != b"testsuites" && name != b"testsuite" {
                return Err(format!(
                    "the root element is <{}>, not <testsuites> or <testsuite>: not JUnit XML",
                    String::from_utf8_lossy(name)
                ));
            }
            self.root_seen = true;
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("elements nested deeper than {MAX_DEPTH}"));
        }
        let parent = self.stack.last().map(|&(elem, _)| elem);
        let elem = match (parent, name) {
            (None | Some(Elem::Container), b"testsuites" | b"testsuite") => {
                let [name, tests, failures, errors, skipped] =
                    attrs(e, [b"name", b"tests", b"failures", b"errors", b"skipped"])?;
                self.containers.push(Container {
                    name: name.unwrap_or_default(),
                    line: at.line,
                    declared: [tests, failures, errors, skipped],
                    counted: Counts::default(),
                });
                Elem::Container
            }
            (Some(Elem::Container), b"testcase") => {
                let [class, case] = attrs(e, [b"classname", b"name"])?;
                let suite = self.containers.last().map_or("", |c| c.name.as_str());
                self.case = Some(Case {
                    label: label(class.as_deref().unwrap_or(suite), case.as_deref()),
                    outcome: Outcome::Passed,
                    flaky: false,
                });
                Elem::Testcase
            }
            (Some(Elem::Testcase), child) => {
                if let Some(case) = &mut self.case {
                    let outcome = match child {
                        b"error" => Outcome::Errored,
                        b"failure" => Outcome::Failed,
                        b"skipped" => Outcome::Skipped,
                        b"flakyFailure" | b"flakyError" => {
                            case.flaky = true;
                            Outcome::Passed
                        }
                        _ => Outcome::Passed,
                    };
                    case.outcome = case.outcome.max(outcome);
                }
                if child == b"properties" {
                    Elem::Properties
                } else {
                    Elem::Other
                }
            }
            (_, b"properties") => Elem::Properties,
            (Some(Elem::Properties), b"property") => {
                let [name, value] = attrs(e, [b"name", b"value"])?;
                if let (Some(name), Some(value)) = (name, value)
                    && COMMIT_PROPERTIES.contains(&name.as_str())
                {
                    self.commit_property(&name, &value, at)?;
                }
                Elem::Other
            }
            _ => Elem::Other,
        };
        self.stack.push((elem, at.line));
        if empty {
            self.close(at);
        }
        Ok(())
    }

    fn commit_property(&mut self, name: &str, value: &str, at: Place) -> Result<(), String> {
        let Some(commit) = full_commit(value) else {
            return Err(format!(
                "property {name}={value:?} is not a full commit id (40 or 64 hex digits)"
            ));
        };
        match &self.commit {
            Some((first, line)) if *first != commit => Err(format!(
                "property {name} says commit {commit}, but line {line} says {first}"
            )),
            Some(_) => Ok(()),
            None => {
                self.commit = Some((commit, at.line));
                Ok(())
            }
        }
    }

    /// Closes the innermost element. quick-xml has checked that the end tag matches.
    fn close(&mut self, _at: Place) {
        let Some((elem, _)) = self.stack.pop() else {
            return;
        };
        if self.stack.is_empty() {
            self.root_closed = true;
        }
        match elem {
            Elem::Testcase => {
                let Some(case) = self.case.take() else {
                    return;
                };
                let mut counts = Counts {
                    cases: 1,
                    ..Counts::default()
                };
                match case.outcome {
                    Outcome::Passed => counts.flaky = u64::from(case.flaky),
                    Outcome::Skipped => counts.skipped = 1,
                    Outcome::Failed => counts.failures = 1,
                    Outcome::Errored => counts.errors = 1,
                }
                if matches!(case.outcome, Outcome::Failed | Outcome::Errored)
                    && self.failing.len() < LISTED
                {
                    self.failing.push(case.label);
                }
                if let Some(container) = self.containers.last_mut() {
                    container.counted.add(counts);
                }
            }
            Elem::Container => {
                let Some(container) = self.containers.pop() else {
                    return;
                };
                self.check(&container);
                match self.containers.last_mut() {
                    Some(parent) => parent.counted.add(container.counted),
                    None => self.total.add(container.counted),
                }
            }
            Elem::Properties | Elem::Other => {}
        }
    }

    /// Notes where a container's declared counts disagree with its cases.
    fn check(&mut self, container: &Container) {
        let c = container.counted;
        let [tests, failures, errors, skipped] = &container.declared;
        let mut odd = Vec::new();
        for (attr, declared, counted, also) in [
            ("tests", tests, c.cases, Some(c.cases - c.skipped)),
            ("failures", failures, c.failures, None),
            ("errors", errors, c.errors, None),
            ("skipped", skipped, c.skipped, None),
        ] {
            let Some(declared) = declared else { continue };
            match declared.trim().parse::<u64>() {
                Ok(n) if n == counted || Some(n) == also => {}
                Ok(n) => odd.push(format!("{attr}={n} but its cases say {counted}")),
                Err(_) => odd.push(format!("{attr}={declared:?} is not a count")),
            }
        }
        if odd.is_empty() {
            return;
        }
        let name = if container.name.is_empty() {
            String::new()
        } else {
            format!(" {:?}", container.name)
        };
        self.note(format!(
            "the suite{name} at line {} declares {}",
            container.line,
            odd.join(", ")
        ));
    }

    fn note(&mut self, note: String) {
        if self.notes.len() < LISTED {
            self.notes.push(note);
        } else {
            self.more_notes += 1;
        }
    }

    fn finish(mut self) -> Result<(TestSummary, Option<String>), String> {
        if let Some(&(elem, line)) = self.stack.last() {
            let what = match elem {
                Elem::Container => "a test suite",
                Elem::Testcase => "a test case",
                Elem::Properties | Elem::Other => "an element",
            };
            return Err(format!(
                "the file ends inside {what} opened at line {line}: it is truncated"
            ));
        }
        if !self.root_seen || !self.root_closed {
            return Err("no <testsuites> or <testsuite> element: the file is empty".to_owned());
        }
        if self.more_notes > 0 {
            let more = self.more_notes;
            self.notes.push(format!("and {more} more such suites"));
        }
        let t = self.total;
        Ok((
            TestSummary {
                tests: t.cases - t.skipped,
                failures: t.failures,
                errors: t.errors,
                skipped: t.skipped,
                flaky: t.flaky,
                failing: self.failing,
                notes: self.notes,
            },
            self.commit.map(|(commit, _)| commit),
        ))
    }
}

/// `class::name`, or the one of them that is there (jest-junit repeats the name as
/// the class).
fn label(class: &str, name: Option<&str>) -> String {
    let class = class.trim();
    let name = name.unwrap_or("").trim();
    if class.is_empty() || class == name {
        name.to_owned()
    } else if name.is_empty() {
        class.to_owned()
    } else {
        format!("{class}::{name}")
    }
}

/// The values of the attributes `names` of `e`, unescaped.
fn attrs<const N: usize>(
    e: &BytesStart<'_>,
    names: [&[u8]; N],
) -> Result<[Option<String>; N], String> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("malformed attribute: {err}"))?;
        if let Some(i) = names.iter().position(|n| *n == attr.key.as_ref()) {
            let value = attr.unescape_value().map_err(|err| {
                format!(
                    "attribute {}: {err}",
                    String::from_utf8_lossy(attr.key.as_ref())
                )
            })?;
            values[i] = Some(value.into_owned());
        }
    }
    Ok(values)
}
