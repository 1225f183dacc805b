//! Scanning one buffer or file: what to skip and why (binary, minified), large files in
//! overlapping windows, suppression (inline comments, allowlists, baseline), and the
//! findings with their place in the file. [`crate::source`] runs it over whole trees,
//! staged changes and git history.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use palisade_model::glob::Glob;
use regex::bytes::Regex;
use serde::Serialize;

use crate::configs;
use crate::engine::{self, Hit, Scanner};
use crate::finding::{self, Finding, Introduced};
use crate::pii::{PiiDetector, PiiKind};
use crate::rules::{RuleKind, Severity};

/// The comment that silences a finding on its line or the line below.
pub const INLINE_ALLOW: &[u8] = b"palisade:allow";

/// Other scanners' inline markers, honoured on the finding's own line so that a
/// repository moving to Palisade keeps the suppressions it already reviewed:
/// detect-secrets' `pragma: allowlist secret` and gitleaks' `gitleaks:allow`.
pub const FOREIGN_INLINE_ALLOW: &[&[u8]] = &[b"pragma: allowlist secret", b"gitleaks:allow"];

/// detect-secrets' marker for the line below it.
pub const FOREIGN_NEXT_LINE_ALLOW: &[u8] = b"pragma: allowlist nextline secret";

/// Files larger than this are read in windows instead of whole.
pub const DEFAULT_WINDOW: usize = 32 << 20;
/// How far consecutive windows overlap: longer than any secret a rule matches.
const OVERLAP: usize = 64 << 10;
/// Bytes looked at to decide whether a file is binary or minified.
const SNIFF: usize = 8 << 10;
/// Why a binary file or blob is skipped.
pub const BINARY: &str = "binary (it holds NUL bytes)";

/// Extensions of files that are never text.
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tiff", "psd", "pdf", "zip", "gz", "tgz",
    "bz2", "xz", "zst", "7z", "rar", "jar", "war", "class", "so", "dll", "dylib", "exe", "o", "a",
    "lib", "rlib", "wasm", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "mov", "avi", "mkv",
    "ogg", "flac", "wav", "sqlite", "db", "pyc", "node",
];

/// Paths where, without a model saying otherwise, production personal data may not live.
pub const DEFAULT_PII_PATHS: &[&str] = &[
    "**/test/**",
    "**/tests/**",
    "**/testdata/**",
    "**/fixtures/**",
    "**/__fixtures__/**",
    "**/seeds/**",
    "**/seed/**",
    "**/*seed*.sql",
    "**/staging/**",
    "**/mock*/**",
];

/// What a scan does besides matching rules.
#[derive(Debug)]
pub struct ScanConfig {
    /// The compiled rules.
    pub scanner: Scanner,
    /// Personal-data detection and where it applies (no detector: none).
    pub pii: Option<(PiiDetector, Vec<Glob>)>,
    /// Paths never scanned.
    pub allow_paths: Vec<Glob>,
    /// Findings whose secret matches one of these are dropped.
    pub allow_patterns: Vec<Regex>,
    /// Fingerprints of accepted findings.
    pub baseline: HashSet<String>,
    /// Window size for large files.
    pub window: usize,
    /// The least severity reported, as the model sets it (`scan.min_severity`); the
    /// caller applies it with [`Report::keep_severity_at_least`].
    pub min_severity: Option<Severity>,
}

/// A file that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// Why: binary, minified, unreadable, a broken link.
    pub reason: String,
}

/// Counts of what a scan saw and dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Files (or blobs) scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Findings silenced by a `palisade:allow` comment.
    pub suppressed_inline: u64,
    /// Findings dropped by the model's allowlists.
    pub suppressed_allowlist: u64,
    /// Findings in the baseline.
    pub suppressed_baseline: u64,
    /// Findings left out for a severity below the one asked for
    /// ([`Report::keep_severity_at_least`]).
    pub below_min_severity: u64,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Findings, by path and line.
    pub findings: Vec<Finding>,
    /// Files not scanned, with the reason.
    pub skipped: Vec<Skipped>,
    /// Counts.
    pub stats: Stats,
    /// The commit scanned, full hex: B of a range scan `A..B`, `HEAD` of a tree scan
    /// of a git work tree. None for staged changes, standard input, whole history and
    /// trees outside git.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// A tree scan's work tree had uncommitted changes to tracked files, so the scan
    /// was not of [`Report::commit`] exactly.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dirty: bool,
}

impl Report {
    /// Drops the findings below `min` (`--min-severity`), counting them in
    /// [`Stats::below_min_severity`].
    pub fn keep_severity_at_least(&mut self, min: Severity) {
        let before = self.findings.len();
        self.findings.retain(|f| f.severity >= min);
        self.stats.below_min_severity += (before - self.findings.len()) as u64;
    }
}

impl Report {
    /// Puts findings and skipped files in a stable order.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
        });
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// Adds another report's findings, skips and counts.
    pub fn merge(&mut self, other: Report) {
        self.findings.extend(other.findings);
        self.skipped.extend(other.skipped);
        let (s, o) = (&mut self.stats, other.stats);
        s.files += o.files;
        s.bytes += o.bytes;
        s.suppressed_inline += o.suppressed_inline;
        s.suppressed_allowlist += o.suppressed_allowlist;
        s.suppressed_baseline += o.suppressed_baseline;
        s.below_min_severity += o.below_min_severity;
    }
}

/// One buffer to scan and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Buffer<'a> {
    /// Its path, `/`-separated.
    pub path: &'a str,
    /// Its bytes.
    pub data: &'a [u8],
    /// Where `data` starts in the file (windows of a large file), in bytes and lines.
    pub offset: u64,
    /// Lines before `data` in the file.
    pub lines_before: u64,
    /// Only findings starting in these byte ranges of `data` count (staged lines).
    pub only: Option<&'a [Range<usize>]>,
    /// The commit that introduced it (history scans).
    pub introduced: Option<&'a Introduced>,
}

impl<'a> Buffer<'a> {
    /// A whole file's contents.
    pub fn whole(path: &'a str, data: &'a [u8]) -> Self {
        Buffer {
            path,
            data,
            offset: 0,
            lines_before: 0,
            only: None,
            introduced: None,
        }
    }
}

impl ScanConfig {
    /// A configuration with `scanner`, personal data in the default places, nothing
    /// allowed and no baseline.
    pub fn new(scanner: Scanner) -> Self {
        ScanConfig {
            scanner,
            pii: None,
            allow_paths: Vec::new(),
            allow_patterns: Vec::new(),
            baseline: HashSet::new(),
            window: DEFAULT_WINDOW,
            min_severity: None,
        }
    }

    /// Whether `path` is on the path allowlist.
    pub fn path_allowed(&self, path: &str) -> bool {
        self.allow_paths.iter().any(|g| g.matches(path))
    }

    /// Scans one buffer into `report`. `owned` limits findings to those starting before
    /// that byte (the rest belong to the next window).
    pub fn scan_buffer(&self, buffer: Buffer<'_>, owned: usize, report: &mut Report) {
        let data = buffer.data;
        let mut found: Vec<(Hit, RuleKind, Severity, String, String)> = Vec::new();
        let mut hits = self.scanner.scan(data);
        // Tools' configuration files a regex cannot read whole: a file read in windows
        // is only noted, from its first window.
        if buffer.offset == 0
            && let Some(reason) = configs::add_hits(
                buffer.path,
                data,
                owned >= data.len(),
                self.scanner.rules(),
                &mut hits,
            )
        {
            report.skipped.push(Skipped {
                path: buffer.path.to_owned(),
                reason,
            });
        }
        for hit in hits {
            let rule = self.scanner.rule(hit.rule);
            if hit.guessable
                && rule.spec.assignment
                && !engine::quoted(data, &hit.secret)
                && is_source_code(buffer.path)
            {
                // In source code an unquoted value is an expression (`password = secret`
                // reads a variable), and a guessable one is no evidence of a password.
                continue;
            }
            let (severity, name) = if hit.guessable {
                (
                    Severity::Low,
                    format!("{} (guessable value)", rule.spec.name),
                )
            } else {
                (rule.spec.severity, rule.spec.name.clone())
            };
            found.push((hit, rule.spec.kind, severity, rule.spec.id.clone(), name));
        }
        if let Some((detector, paths)) = &self.pii
            && paths.iter().any(|g| g.matches(buffer.path))
        {
            for m in detector.find(data) {
                found.push((
                    Hit {
                        rule: usize::MAX,
                        span: m.start..m.end,
                        secret: m.start..m.end,
                        guessable: false,
                    },
                    RuleKind::Pii,
                    pii_severity(m.kind),
                    m.kind.id().to_owned(),
                    m.kind.name().to_owned(),
                ));
            }
        }
        if found.is_empty() {
            return;
        }
        found.sort_by_key(|f| f.0.secret.start);
        let mut lines = LineCounter::new(data);
        // Every secret of the buffer, so that no finding's context shows another's.
        let secrets: Vec<Range<usize>> = found.iter().map(|f| f.0.secret.clone()).collect();
        for (hit, kind, severity, rule, name) in found {
            let start = hit.secret.start;
            if start >= owned {
                continue;
            }
            if let Some(only) = buffer.only
                && !only.iter().any(|r| r.contains(&start))
            {
                continue;
            }
            let secret = &data[hit.secret.clone()];
            if inline_allowed(data, start) {
                report.stats.suppressed_inline += 1;
                continue;
            }
            if self.allow_patterns.iter().any(|p| p.is_match(secret)) {
                report.stats.suppressed_allowlist += 1;
                continue;
            }
            let digest = finding::digest(secret);
            let fingerprint = finding::fingerprint(&rule, buffer.path, &digest);
            if self.baseline.contains(&fingerprint)
                || self
                    .baseline
                    .contains(&finding::group_fingerprint(&rule, &digest))
            {
                report.stats.suppressed_baseline += 1;
                continue;
            }
            let (line, column) = lines.position(start);
            let last = hit.secret.end.saturating_sub(1).max(start);
            let end_line = line + memchr::memchr_iter(b'\n', &data[start..last]).count() as u64;
            let redacted = finding::redact(secret);
            report.findings.push(Finding {
                context: finding::context_line(data, hit.secret.clone(), &redacted, &secrets),
                rule,
                name,
                kind,
                severity,
                path: buffer.path.to_owned(),
                line: buffer.lines_before + line,
                column,
                end_line: buffer.lines_before + end_line,
                redacted,
                digest,
                fingerprint,
                introduced: buffer.introduced.cloned(),
                placement: None,
                group: None,
            });
        }
    }

    /// Scans a file, in windows when it is large; binary and minified files are skipped
    /// with the reason.
    pub fn scan_file(&self, path: &Path, shown: &str, report: &mut Report) {
        self.scan_file_with(path, shown, report, &mut Vec::new());
    }

    /// [`ScanConfig::scan_file`] reading into `buffer` (its contents are replaced; a tree
    /// scan keeps one per thread, so that its memory is reused file after file).
    pub(crate) fn scan_file_with(
        &self,
        path: &Path,
        shown: &str,
        report: &mut Report,
        buffer: &mut Vec<u8>,
    ) {
        let skip = |report: &mut Report, reason: String| {
            report.skipped.push(Skipped {
                path: shown.to_owned(),
                reason,
            });
        };
        if let Some(ext) = path.extension().and_then(|e| e.to_str())
            && BINARY_EXTENSIONS
                .iter()
                .any(|binary| binary.eq_ignore_ascii_case(ext))
        {
            skip(report, format!("binary (a .{ext} file)"));
            return;
        }
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return skip(report, format!("cannot be read: {e}")),
        };
        let want = self.window.max(OVERLAP * 2);
        buffer.clear();
        let mut sized = false;
        let mut offset = 0u64;
        let mut lines_before = 0u64;
        let mut first = true;
        loop {
            // Fill the window: what is left of the overlap, then fresh bytes, read straight
            // into the buffer (a small file takes one read and the one that finds its end).
            if let Err(e) = fill(&mut file, buffer, want, &mut sized) {
                return skip(report, format!("cannot be read: {e}"));
            }
            let at_end = buffer.len() < want;
            if first {
                first = false;
                let sniff = &buffer[..buffer.len().min(SNIFF)];
                if is_binary(sniff) {
                    return skip(report, BINARY.to_owned());
                }
                if is_minified(shown, sniff) {
                    return skip(
                        report,
                        "minified (lines of thousands of characters)".to_owned(),
                    );
                }
            }
            let owned = if at_end {
                buffer.len()
            } else {
                buffer.len() - OVERLAP
            };
            self.scan_buffer(
                Buffer {
                    path: shown,
                    data: buffer,
                    offset,
                    lines_before,
                    only: None,
                    introduced: None,
                },
                owned,
                report,
            );
            if at_end {
                report.stats.files += 1;
                report.stats.bytes += offset + buffer.len() as u64;
                return;
            }
            lines_before += memchr::memchr_iter(b'\n', &buffer[..owned]).count() as u64;
            offset += owned as u64;
            buffer.drain(..owned);
        }
    }
}

/// Reads `file` into `buffer` until it holds `want` bytes or the file ends.
///
/// The room the buffer already has is read into first, so that a file that fits (most
/// do, once a thread has read a few) costs no system call to learn its size. When that
/// room fills, the file's size is asked for once (`sized`) and the buffer grown to hold
/// it at once: grown in doublings, all of the old contents would be copied each time and
/// fresh pages faulted in about twice over.
fn fill(
    file: &mut File,
    buffer: &mut Vec<u8>,
    want: usize,
    sized: &mut bool,
) -> std::io::Result<()> {
    loop {
        let room = buffer.capacity().min(want).saturating_sub(buffer.len());
        if room > 0 {
            let before = buffer.len();
            file.take(room as u64).read_to_end(buffer)?;
            if buffer.len() - before < room {
                // The read that returned nothing: the end of the file.
                return Ok(());
            }
        }
        if buffer.len() >= want {
            return Ok(());
        }
        let mut need = buffer.len().saturating_mul(2).max(8 << 10);
        if !*sized {
            *sized = true;
            if let Ok(meta) = file.metadata() {
                // One byte more, for the read that finds the end.
                need = usize::try_from(meta.len())
                    .unwrap_or(usize::MAX)
                    .saturating_add(1)
                    .max(buffer.len() + 1);
            }
        }
        let need = need.min(want);
        if buffer.is_empty() {
            // Nothing to keep: a new buffer, not a copy of the old one's capacity.
            *buffer = Vec::with_capacity(need);
        } else {
            buffer.reserve_exact(need - buffer.len());
        }
    }
}

/// Whether `data` is binary: a NUL byte among its first 8 KiB, as git decides.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(SNIFF)]).is_some()
}

fn pii_severity(kind: PiiKind) -> Severity {
    match kind {
        PiiKind::PaymentCard | PiiKind::UsSsn | PiiKind::UkNhsNumber | PiiKind::Iban => {
            Severity::High
        }
        PiiKind::Email | PiiKind::PhoneNumber => Severity::Medium,
    }
}

/// Whether a comment silences the finding at `at`: `palisade:allow` on its line or the
/// line before, another scanner's marker ([`FOREIGN_INLINE_ALLOW`]) on its line, or
/// [`FOREIGN_NEXT_LINE_ALLOW`] on the line before.
fn inline_allowed(data: &[u8], at: usize) -> bool {
    let line_start = memchr::memrchr(b'\n', &data[..at]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
    let previous_start = if line_start == 0 {
        0
    } else {
        memchr::memrchr(b'\n', &data[..line_start - 1]).map_or(0, |i| i + 1)
    };
    let line = &data[line_start..line_end];
    let previous = &data[previous_start..line_start];
    let has = |text: &[u8], marker: &[u8]| memchr::memmem::find(text, marker).is_some();
    has(line, INLINE_ALLOW)
        || has(previous, INLINE_ALLOW)
        || FOREIGN_INLINE_ALLOW.iter().any(|m| has(line, m))
        || has(previous, FOREIGN_NEXT_LINE_ALLOW)
}

/// Whether a path is source code in a language where an unquoted value after `=` or `:`
/// is an expression, not text (shell, configuration and data files are not).
fn is_source_code(path: &str) -> bool {
    const CODE: &[&str] = &[
        "py", "pyi", "js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts", "vue", "svelte", "java",
        "kt", "kts", "scala", "groovy", "gradle", "go", "rb", "php", "cs", "fs", "vb", "rs",
        "swift", "c", "h", "cc", "cpp", "cxx", "hpp", "m", "mm", "dart", "lua", "pl", "pm", "ex",
        "exs", "erl", "clj", "hs", "ml", "r", "jl", "zig", "nim", "sol",
    ];
    path.rsplit_once('.')
        .filter(|(_, ext)| !ext.contains('/'))
        .is_some_and(|(_, ext)| CODE.iter().any(|c| c.eq_ignore_ascii_case(ext)))
}

/// Whether a file looks minified: a `.min.` name, or long lines in its first bytes.
fn is_minified(path: &str, sniff: &[u8]) -> bool {
    let code = [
        ".js", ".css", ".mjs", ".cjs", ".map", ".json", ".html", ".svg",
    ]
    .iter()
    .any(|ext| path.ends_with(ext));
    if !code {
        return false;
    }
    if path.contains(".min.") {
        return true;
    }
    let newlines = memchr::memchr_iter(b'\n', sniff).count();
    sniff.len() >= SNIFF && newlines < sniff.len() / 1000
}

/// Line and column of byte offsets, counted forward once.
struct LineCounter<'a> {
    data: &'a [u8],
    at: usize,
    line: u64,
    line_start: usize,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineCounter {
            data,
            at: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// 1-based line and byte column of `offset` (offsets must not decrease much: a
    /// smaller one restarts the count).
    fn position(&mut self, offset: usize) -> (u64, u64) {
        if offset < self.at {
            *self = LineCounter::new(self.data);
        }
        for i in memchr::memchr_iter(b'\n', &self.data[self.at..offset]) {
            self.line += 1;
            self.line_start = self.at + i + 1;
        }
        self.at = offset;
        (self.line, (offset - self.line_start) as u64 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file of `len` bytes that differ from one place to the next.
    fn file_of(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(&bytes).expect("written");
        (file, bytes)
    }

    #[test]
    fn a_fill_reads_the_whole_file_whatever_room_the_buffer_had() {
        for len in [0, 1, 100, 8191, 8192, 8193, 65_536, 200_000] {
            for capacity in [0, 1, 100, 8192, 65_536, 300_000] {
                let (file, bytes) = file_of(len);
                let mut buffer = Vec::with_capacity(capacity);
                let mut sized = false;
                fill(
                    &mut File::open(file.path()).expect("opened"),
                    &mut buffer,
                    1 << 20,
                    &mut sized,
                )
                .expect("read");
                assert_eq!(buffer, bytes, "{len} bytes into room for {capacity}");
                // The size is asked for only when the room the buffer had filled.
                assert_eq!(
                    sized,
                    len >= capacity,
                    "{len} bytes into room for {capacity}"
                );
            }
        }
    }

    #[test]
    fn a_fill_stops_at_the_window_and_goes_on_after_what_it_keeps() {
        let (file, bytes) = file_of(100_000);
        let mut handle = File::open(file.path()).expect("opened");
        let mut buffer = Vec::new();
        let mut sized = false;
        fill(&mut handle, &mut buffer, 30_000, &mut sized).expect("read");
        assert_eq!(buffer, bytes[..30_000]);
        // Keep the last 1,000 bytes as the overlap, then read the next window.
        buffer.drain(..29_000);
        fill(&mut handle, &mut buffer, 30_000, &mut sized).expect("read");
        assert_eq!(buffer, bytes[29_000..59_000]);
        // The buffer grew to the window at once, not in doublings past it.
        assert!(buffer.capacity() <= 30_000 + 1, "{}", buffer.capacity());
    }
}
