//! Findings as reported: where, which rule, and the secret only as a short prefix and a
//! digest. The full secret never leaves the scanning thread.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::{RuleKind, Severity};

/// Hex characters of the secret's SHA-256 shown and stored: 64 bits, enough to tell
/// secrets apart and to match a baseline. Like any unkeyed digest it does not hide a
/// guessable password from someone who hashes a list of candidates (docs/scan.md says
/// so, and how to keep such findings out of reports).
pub const DIGEST_HEX: usize = 16;

/// Where a blob first entered git history (history and range scans).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introduced {
    /// The commit id (hex).
    pub commit: String,
    /// `Name <email>` of its author.
    pub author: String,
    /// Author time, RFC 3339.
    pub date: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's id (`pii-…` for personal data).
    pub rule: String,
    /// The rule's name.
    pub name: String,
    /// What it is.
    pub kind: RuleKind,
    /// How bad.
    pub severity: Severity,
    /// The file, `/`-separated, relative to the scanned root (or `-` for standard input).
    pub path: String,
    /// 1-based line of the secret's start.
    pub line: u64,
    /// 1-based column (in bytes) of the secret's start.
    pub column: u64,
    /// 1-based line of the secret's end.
    pub end_line: u64,
    /// The secret's first characters and its length, e.g. `ghp_…(40)`.
    pub redacted: String,
    /// The first [`DIGEST_HEX`] hex characters of the secret's SHA-256.
    pub digest: String,
    /// Stable identity for baselines: rule, path and secret digest, never the line.
    pub fingerprint: String,
    /// The line holding the secret, with the secret replaced by its redacted form
    /// (at most 200 characters around it).
    pub context: String,
    /// The commit that first introduced it, in history scans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<Introduced>,
    /// Where a transport finding sits when that ranks it down (tests, documentation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// In history and range scans, one finding stands for every place the same rule
    /// found the same value: these are its places. The fields above describe the first.
    #[serde(flatten)]
    pub group: Option<Group>,
}

/// Where a transport finding sits, when that makes it rank below configuration that
/// turns protection off for real: tests and documentation only show the setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// A test file or a file under a test directory.
    Test,
    /// Documentation or an example.
    Docs,
}

impl Placement {
    /// The name used in outputs, e.g. `test`.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Test => "test",
            Placement::Docs => "docs",
        }
    }
}

/// Where `path` sits when that ranks a transport finding down: a test (a `test`, `tests`,
/// `t`, `spec`, `testdata`, `fixtures`... directory, or a name such as `foo_test.go`,
/// `test_foo.py`, `foo.test.js`, `FooTest.java`), else documentation (a `doc`, `docs`,
/// `Documentation`, `man`, `example`, `examples` directory, or a `.md`, `.rst`, `.adoc`,
/// `.html` or man page file; not `.txt`, which
/// `requirements.txt` is).
pub fn placement(path: &str) -> Option<Placement> {
    const TEST_DIRS: &[&str] = &[
        "t",
        "test",
        "tests",
        "testing",
        "spec",
        "specs",
        "__tests__",
        "testdata",
        "test-data",
        "test_data",
        "fixtures",
        "__fixtures__",
        "e2e",
    ];
    const DOC_DIRS: &[&str] = &[
        "doc",
        "docs",
        "documentation",
        "man",
        "example",
        "examples",
        "sample",
        "samples",
    ];
    const DOC_EXTENSIONS: &[&str] = &[
        "md", "markdown", "rst", "adoc", "asciidoc", "html", "htm", "1", "5", "7", "texi", "pod",
    ];
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let stem = lower.split('.').next().unwrap_or_default();
    let is_dir = |dirs: &[&str]| {
        parts
            .iter()
            .any(|p| dirs.iter().any(|d| d.eq_ignore_ascii_case(p)))
    };
    let test_name = stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || lower.contains(".test.")
        || lower.contains(".spec.")
        || (name.ends_with("Test.java") || name.ends_with("Tests.java"));
    if is_dir(TEST_DIRS) || test_name {
        return Some(Placement::Test);
    }
    let extension = lower.rsplit_once('.').map(|(_, e)| e);
    if is_dir(DOC_DIRS) || extension.is_some_and(|e| DOC_EXTENSIONS.contains(&e)) {
        return Some(Placement::Docs);
    }
    None
}

/// Locations listed per grouped finding; beyond them only counts are kept, so that a
/// value copied into thousands of files cannot make a report unbounded.
pub const MAX_LOCATIONS: usize = 1000;

/// The places of one grouped finding (history and range scans): one entry per path the
/// value was found at, each counting the later versions of that path that still hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Distinct paths the value was found at (may exceed `locations.len()`).
    pub location_count: u64,
    /// Distinct blobs (versions of files) that hold it.
    pub blob_count: u64,
    /// The places, first introduced first, at most [`MAX_LOCATIONS`].
    pub locations: Vec<Location>,
}

/// One path where a grouped finding's value was found, as first introduced there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The path, `/`-separated.
    pub path: String,
    /// 1-based line of the value in the first version holding it.
    pub line: u64,
    /// 1-based column (in bytes).
    pub column: u64,
    /// The blob (hex id) of that first version.
    pub blob: String,
    /// The commit that introduced that blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<Introduced>,
    /// Later blobs at this path (later versions of the file) that still hold the value.
    pub later_versions: u64,
}

/// The first hex characters of the SHA-256 of `secret`.
pub fn digest(secret: &[u8]) -> String {
    let full = hex::encode(Sha256::digest(secret));
    full[..DIGEST_HEX].to_owned()
}

/// The fingerprint of a secret found by `rule` in `path`.
pub fn fingerprint(rule: &str, path: &str, digest: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [rule, path, digest] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    format!("{rule}:{}", &hex::encode(hasher.finalize())[..24])
}

/// The fingerprint of a value found by `rule` wherever it is (history and range scans
/// group by it): the rule and the secret's digest, never a path or a line, so that a
/// secret accepted once stays accepted as its file moves and changes.
pub fn group_fingerprint(rule: &str, digest: &str) -> String {
    let mut hasher = Sha256::new();
    for part in ["group", rule, digest] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    format!("{rule}:{}", &hex::encode(hasher.finalize())[..24])
}

/// A short, safe rendering of a secret: a prefix of at most a quarter of it (never more
/// than 6 characters, none for secrets under 8), an ellipsis and the length.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars: Vec<char> = text.chars().collect();
    let show = if chars.len() < 8 {
        0
    } else {
        (chars.len() / 4).min(6)
    };
    let prefix: String = chars[..show]
        .iter()
        .map(|&c| if c.is_control() { '?' } else { c })
        .collect();
    format!("{prefix}…({})", chars.len())
}

/// The line around `secret` (a byte range of `data`), the secret replaced by `redacted`,
/// cut to at most 200 characters around it. Every other secret in `others` (the other
/// findings of the buffer) that reaches into it is redacted too: a line of JSON can hold
/// several credentials, and one finding's context must not show the next one's.
pub fn context_line(
    data: &[u8],
    secret: std::ops::Range<usize>,
    redacted: &str,
    others: &[std::ops::Range<usize>],
) -> String {
    const SIDE: usize = 80;
    let line_start = memchr::memrchr(b'\n', &data[..secret.start]).map_or(0, |i| i + 1);
    let line_end =
        memchr::memchr(b'\n', &data[secret.end..]).map_or(data.len(), |i| secret.end + i);
    let before_start = line_start.max(secret.start.saturating_sub(SIDE));
    let after_end = line_end.min(secret.end + SIDE);
    let clean = |bytes: &[u8]| -> String {
        String::from_utf8_lossy(bytes)
            .chars()
            .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect()
    };
    // The other secrets inside the window, clipped to it, in order and merged where they
    // overlap or nest; one that overlaps the finding's own is hidden with it (a token
    // inside a longer password must not show the password around it).
    let mut shown = secret.clone();
    let mut masks: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
    let mut in_window: Vec<&std::ops::Range<usize>> = others
        .iter()
        .filter(|o| !o.is_empty() && o.start < after_end && before_start < o.end)
        .collect();
    in_window.sort_by_key(|o| o.start);
    for other in in_window {
        if other.start < secret.end && secret.start < other.end {
            shown = shown.start.min(other.start)..shown.end.max(other.end);
            continue;
        }
        // Cut at the window's edge: nothing of it is shown, not even its start.
        let cut = other.start < before_start || other.end > after_end;
        let clipped = other.start.max(before_start)..other.end.min(after_end);
        match masks.last_mut() {
            Some((last, last_cut)) if clipped.start <= last.end => {
                last.end = last.end.max(clipped.end);
                *last_cut |= cut;
            }
            _ => masks.push((clipped, cut)),
        }
    }
    let shown_cut = shown.start < before_start || shown.end > after_end;
    let shown = shown.start.max(before_start)..shown.end.min(after_end);
    let masked = |from: usize, to: usize| -> String {
        let mut out = String::new();
        let mut at = from;
        for (mask, cut) in &masks {
            let (start, end) = (mask.start.max(at), mask.end.min(to));
            if start >= end {
                continue;
            }
            out.push_str(&clean(&data[at..start]));
            if *cut {
                out.push('…');
            } else {
                out.push_str(&redact(&data[start..end]));
            }
            at = end;
        }
        if at < to {
            out.push_str(&clean(&data[at..to]));
        }
        out
    };
    // A secret spanning lines (a PEM block) shows its first line only.
    let mut out = String::new();
    if before_start > line_start {
        out.push('…');
    }
    out.push_str(&masked(before_start, shown.start.min(secret.start)));
    if shown == secret {
        out.push_str(redacted);
    } else if shown_cut {
        out.push('…');
    } else {
        // The finding's secret and the others it overlaps, as one.
        out.push_str(&redact(&data[shown.clone()]));
    }
    out.push_str(&masked(shown.end.max(secret.end), after_end));
    if after_end < line_end {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_more_than_a_quarter() {
        assert_eq!(
            redact(b"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            "ghp_aa…(40)"
        );
        assert_eq!(redact(b"hunter2"), "…(7)");
        assert_eq!(redact(b"abcdefgh"), "ab…(8)");
    }

    #[test]
    fn fingerprints_ignore_lines_and_differ_by_path_and_rule() {
        let d = digest(b"s3cr3t-value-123");
        assert_eq!(d.len(), DIGEST_HEX);
        let a = fingerprint("r", "a.env", &d);
        assert_eq!(a, fingerprint("r", "a.env", &d));
        assert_ne!(a, fingerprint("r", "b.env", &d));
        assert_ne!(a, fingerprint("q", "a.env", &d));
        assert!(a.starts_with("r:"));
    }

    #[test]
    fn context_masks_the_other_secrets_on_the_line_too() {
        let data = br#"{"a": {"auth": "c2VjcmV0LW9uZS1sb25nLWVub3VnaA=="}, "b": {"auth": "dHdvLXNlY3JldC1sb25nLWVub3VnaA=="}}"#;
        let text = std::str::from_utf8(data).expect("ascii");
        let first = text.find("c2Vj").expect("first");
        let second = text.find("dHdv").expect("second");
        let one = first..first + 32;
        let two = second..second + 32;
        let line = context_line(
            data,
            one.clone(),
            &redact(&data[one.clone()]),
            &[one, two.clone()],
        );
        assert!(!line.contains("dHdvLXNlY3JldC1sb25nLWVub3VnaA"), "{line}");
        assert!(!line.contains("c2VjcmV0LW9uZS1sb25nLWVub3VnaA"), "{line}");
        assert!(line.contains(&redact(&data[two])), "{line}");
    }

    #[test]
    fn context_hides_secrets_that_overlap_or_nest_and_never_panics() {
        let data =
            br#"id=AKIAQ7W2ERT5YUI3OPLA password = "Xq9-AKIAQ7W2ERT5YUI3OPLK-Zr8Lm2Wq7Tb5Vn""#;
        let text = std::str::from_utf8(data).expect("ascii");
        let first = text.find("AKIAQ7W2ERT5YUI3OPLA").expect("first key");
        let password = text.find("Xq9-").expect("password");
        let inner = text.find("AKIAQ7W2ERT5YUI3OPLK").expect("inner key");
        let key = first..first + 20;
        let pass = password..password + 36;
        let nested = inner..inner + 20;
        let all = [key.clone(), pass.clone(), nested.clone()];
        for own in &all {
            let line = context_line(data, own.clone(), &redact(&data[own.clone()]), &all);
            for secret in ["Zr8Lm2Wq7Tb5Vn", "YUI3OPLA", "YUI3OPLK"] {
                assert!(!line.contains(secret), "{secret} in {line}");
            }
        }
    }

    #[test]
    fn context_shows_nothing_of_a_secret_cut_at_its_edge() {
        let token = "q7Lx2Vw9kR4mT8zP1cB6nH3jF5dS0aG7eY2uI9oK4lW8xQ1rE6tV3bN5mC0zA7sD2fG9hJ4kL6pO1iU3yT8rE5wQ2aZ7xS4cD9vF6bG1nH3mJ8kL0pO5iU2yT7rE4wQ9aZ1";
        let text = format!(r#"api_token = "{token}" id=AKIAQ7W2ERT5YUI3OPLA"#);
        let data = text.as_bytes();
        let start = text.find(token).expect("token");
        let key = text.find("AKIA").expect("key");
        let others = [start..start + token.len(), key..key + 20];
        let line = context_line(data, key..key + 20, "AKIAQ7…(20)", &others);
        assert!(line.contains("…"), "{line}");
        for i in 0..token.len() - 4 {
            assert!(!line.contains(&token[i..i + 5]), "{line}");
        }
    }

    #[test]
    fn context_masks_the_secret() {
        let data = b"first\nTOKEN=ghp_abcdefghijklmnop rest\nlast";
        let start = 12;
        let line = context_line(data, start..start + 20, "ghp_…(20)", &[]);
        assert_eq!(line, "TOKEN=ghp_…(20) rest");
        assert!(!line.contains("abcdefgh"));
    }
}
