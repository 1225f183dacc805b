//! Evidence: the files CI already produces, read into the facts a gate needs.
//!
//! Every reader takes the file's bytes and returns an [`Evidence`] or an
//! [`EvidenceError`] that says what is wrong and where. A reader never
//! guesses a pass: a file it cannot read is an error, and the control it was
//! meant for fails with that error as its reason.

pub mod approvals;
pub mod attestation;
pub mod junit;
pub mod pull_request;
pub mod reviews;
pub mod sarif;
pub mod scan;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// What kind of evidence a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// JUnit XML test results (pytest, cargo-nextest, jest-junit, Maven Surefire).
    Junit,
    /// SARIF 2.1.0 static-analysis results, from any scanner.
    Sarif,
    /// A `palisade scan --format json` report.
    Scan,
    /// GitHub's pull-request reviews JSON (`GET /repos/{o}/{r}/pulls/{n}/reviews`), or
    /// GitLab's merge-request approvals (`GET /projects/:id/merge_requests/:iid/approvals`).
    Reviews,
    /// A plain approvals file: one `IDENTITY COMMIT` per line.
    Approvals,
    /// GitHub's pull-request JSON (`GET /repos/{o}/{r}/pulls/{n}`), or GitLab's
    /// merge-request JSON (`GET /projects/:id/merge_requests/:iid`).
    PullRequest,
    /// A DSSE envelope holding an in-toto v1 Statement.
    Attestation,
}

impl EvidenceKind {
    /// Every kind, in the order `--evidence KIND:PATH` documents them.
    pub const ALL: [EvidenceKind; 7] = [
        EvidenceKind::Junit,
        EvidenceKind::Sarif,
        EvidenceKind::Scan,
        EvidenceKind::Reviews,
        EvidenceKind::Approvals,
        EvidenceKind::PullRequest,
        EvidenceKind::Attestation,
    ];

    /// The name used in `--evidence KIND:PATH` and in reports.
    pub fn key(self) -> &'static str {
        match self {
            EvidenceKind::Junit => "junit",
            EvidenceKind::Sarif => "sarif",
            EvidenceKind::Scan => "scan",
            EvidenceKind::Reviews => "reviews",
            EvidenceKind::Approvals => "approvals",
            EvidenceKind::PullRequest => "pull-request",
            EvidenceKind::Attestation => "attestation",
        }
    }

    /// The kind a `--evidence` prefix names.
    pub fn from_key(key: &str) -> Option<EvidenceKind> {
        EvidenceKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// One file of evidence, read.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Where it came from, as the caller named it.
    pub source: String,
    /// What it is.
    pub kind: EvidenceKind,
    /// `sha256:<hex>` of the file's bytes, as ledgered with the verdict.
    pub digest: String,
    /// The commit the evidence says it is about, when it says one (full hex).
    pub commit: Option<String>,
    /// What it says.
    pub facts: Facts,
}

/// What a piece of evidence says.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Facts {
    /// Test results.
    Tests(TestSummary),
    /// Static-analysis results.
    Analysis(AnalysisSummary),
    /// A secret scan.
    Scan(ScanSummary),
    /// Approvals of the change.
    Approvals(Vec<Approval>),
    /// The pull request.
    PullRequest(PullRequestFacts),
    /// A verified, signed attestation.
    Attestation(AttestationFacts),
}

/// Test results, summed over every suite in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestSummary {
    /// Test cases run (including failed and errored, excluding skipped).
    pub tests: u64,
    /// Cases that failed an assertion.
    pub failures: u64,
    /// Cases that errored (crashed, timed out).
    pub errors: u64,
    /// Cases skipped.
    pub skipped: u64,
    /// Of the cases that passed, those that failed first and passed on a retry
    /// (cargo-nextest's and Surefire's `flakyFailure`/`flakyError`).
    pub flaky: u64,
    /// The first few failing or erroring cases, `class::name` (the suite's name
    /// when a case has no class).
    pub failing: Vec<String>,
    /// What the reader found odd without changing the counts above, which come
    /// from the cases themselves: a suite whose `tests`, `failures`, `errors` or
    /// `skipped` attribute disagrees with its cases, say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A static-analysis severity, on the model's scale.
pub use palisade_model::Severity;

/// Static-analysis results, counted by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AnalysisSummary {
    /// The tools that produced them (SARIF `runs[].tool.driver.name`).
    pub tools: Vec<String>,
    /// Results at each severity, `[note, low, medium, high, critical]`.
    pub by_severity: [u64; 5],
    /// The first few results at the highest severity: `rule at path:line`.
    pub worst: Vec<String>,
    /// Results suppressed in the file (SARIF `suppressions`), not counted above.
    pub suppressed: u64,
}

impl AnalysisSummary {
    /// Results at `threshold` or above.
    pub fn at_or_above(&self, threshold: Severity) -> u64 {
        let from = match threshold {
            Severity::Note => 0,
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        };
        self.by_severity[from..].iter().sum()
    }
}

/// A secret scan's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    /// Findings reported (after baseline and allowlists).
    pub findings: u64,
    /// Of those, secrets (not personal data or transport).
    pub secrets: u64,
    /// The first few findings: `rule at path:line`, never the secret.
    pub first: Vec<String>,
    /// The scan was of a work tree with uncommitted changes to tracked files, so
    /// it vouches for no commit (the evidence's `commit` is then `None`).
    pub dirty: bool,
}

/// One approval of the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    /// Who approved: a login, handle or e-mail, as the source spells it.
    pub by: String,
    /// The commit approved, when the source says.
    pub commit: Option<String>,
    /// When, if the source says (RFC 3339).
    pub at: Option<String>,
}

/// The facts of a pull request the gate uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullRequestFacts {
    /// Its number.
    pub number: u64,
    /// The author's login.
    pub author: String,
    /// The head commit.
    pub head: String,
    /// The base commit.
    pub base: Option<String>,
    /// The body's "Rollback" section, trimmed, if it has a non-empty one.
    pub rollback: Option<String>,
}

/// A signed attestation, verified against a signer the model lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestationFacts {
    /// The model's signer id whose key verified it.
    pub signer: String,
    /// The in-toto predicate type.
    pub predicate_type: String,
    /// The statement's subjects, `name@sha256:<hex>`.
    pub subjects: Vec<String>,
}

/// Why a file could not be read as evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct EvidenceError {
    /// The file, as the caller named it.
    pub source_name: String,
    /// What is wrong, with the place (line, JSON path) where it can say.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub help: Option<String>,
}

impl EvidenceError {
    /// An error about `source`.
    pub fn new(source: &str, message: impl Into<String>) -> EvidenceError {
        EvidenceError {
            source_name: source.to_owned(),
            message: message.into(),
            help: None,
        }
    }

    /// Adds how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> EvidenceError {
        self.help = Some(help.into());
        self
    }
}

/// Reads `bytes` as evidence of `kind`, or of the kind they look like when `kind`
/// is `None` (see [`sniff`]). `source` names the file in the evidence and in
/// errors; `signers` are the model's, which an attestation must be signed by.
///
/// # Errors
///
/// [`EvidenceError`] when the bytes are not evidence of that kind, saying where.
pub fn read(
    source: &str,
    bytes: &[u8],
    kind: Option<EvidenceKind>,
    signers: &[palisade_model::Signer],
) -> Result<Evidence, EvidenceError> {
    let kind = match kind {
        Some(kind) => kind,
        None => sniff(source, bytes)?,
    };
    match kind {
        EvidenceKind::Junit => junit::read(source, bytes),
        EvidenceKind::Sarif => sarif::read(source, bytes),
        EvidenceKind::Scan => scan::read(source, bytes),
        EvidenceKind::Reviews => reviews::read(source, bytes),
        EvidenceKind::Approvals => approvals::read(source, bytes),
        EvidenceKind::PullRequest => pull_request::read(source, bytes),
        EvidenceKind::Attestation => attestation::read(source, bytes, signers),
    }
}

/// The largest file of evidence read whole: 256 MiB. Every kind but JUnit is
/// JSON or text that must be in memory to be read, and is a few megabytes at
/// most in practice (GitHub and GitLab cap their API responses far below
/// this); a larger one is refused rather than read. JUnit streams, so has no
/// such limit.
pub const MAX_WHOLE: u64 = 256 << 20;

/// How much of a file [`read_path`] looks at to tell XML from the rest.
const PEEK: usize = 64 << 10;

/// A file of evidence, read by [`read_path`].
#[derive(Debug, Clone)]
pub struct FileEvidence {
    /// `sha256:<hex>` of the file's bytes, all of them, even when they are not
    /// evidence (of as many as could be read when reading failed part way).
    pub digest: String,
    /// What reading it gave.
    pub read: Result<Evidence, EvidenceError>,
}

/// Reads the file at `path` as evidence of `kind`, or of the kind it looks like
/// when `kind` is `None`, in memory bounded whatever the file's size. The
/// evidence and errors name the file by `path` as given.
///
/// JUnit (declared, or undeclared with `<` as the first byte that is not blank
/// in the first 64 KiB) streams through [`junit::read_digested`]. Any other
/// file is read whole and then as [`read`] reads bytes, unless it is over
/// [`MAX_WHOLE`], which is then an [`EvidenceError`] (its digest still that of
/// all its bytes, computed a piece at a time). Works on pipes and other files
/// without a size as well.
///
/// # Errors
///
/// [`std::io::Error`] when the file cannot be opened, or a file read whole
/// fails to read; a JUnit file that fails to read part way is an
/// [`EvidenceError`], as [`junit::read_from`] says.
pub fn read_path(
    path: &Path,
    kind: Option<EvidenceKind>,
    signers: &[palisade_model::Signer],
) -> io::Result<FileEvidence> {
    let source = path.to_string_lossy();
    let source = source.as_ref();
    let file = File::open(path)?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut input = BufReader::with_capacity(PEEK, file);
    let streams = match kind {
        Some(kind) => kind == EvidenceKind::Junit,
        None => {
            let head = input.fill_buf()?;
            let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
            head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
        }
    };
    if streams {
        let (read, digest) = junit::read_digested(source, input);
        return Ok(FileEvidence { digest, read });
    }
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    if size.is_none_or(|size| size <= MAX_WHOLE) {
        let mut bytes = Vec::new();
        (&mut input).take(MAX_WHOLE + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 <= MAX_WHOLE {
            let digest = digest(&bytes);
            let read = read(source, &bytes, kind, signers);
            return Ok(FileEvidence { digest, read });
        }
        // A pipe, or a file that grew: over the limit after all.
        hasher.update(&bytes);
        total = bytes.len() as u64;
    }
    loop {
        let n = match input.fill_buf() {
            Ok([]) => break,
            Ok(chunk) => {
                hasher.update(chunk);
                chunk.len()
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        input.consume(n);
    }
    let what = kind.map_or("evidence other than JUnit".to_owned(), |k| {
        format!("`{}` evidence", k.key())
    });
    let error = EvidenceError::new(
        source,
        format!(
            "{what} is read whole, and this file is {total} bytes, over the limit of {} MiB",
            MAX_WHOLE >> 20
        ),
    )
    .help(
        "evidence this large is not what a CI tool or an API writes; check that the file is the \
         one meant",
    );
    Ok(FileEvidence {
        digest: format!("sha256:{}", hex::encode(hasher.finalize())),
        read: Err(error),
    })
}

/// The kind of evidence `bytes` look like:
///
/// - XML (its first non-blank byte is `<`): JUnit, whose reader checks the root
///   is `<testsuites>` or `<testsuite>`;
/// - a JSON array: GitHub reviews;
/// - a JSON object with `version` and `runs`: SARIF (its reader rejects a version
///   other than 2.1.0); with `payloadType` and `signatures`: a DSSE attestation;
///   with `findings` and `stats`: a palisade scan report; with `number` and `head`:
///   a GitHub pull request; with `approved_by`: GitLab merge-request approvals
///   (kind `reviews`); with `iid` and `sha`: a GitLab merge request;
/// - anything else: a plain approvals file.
///
/// # Errors
///
/// [`EvidenceError`] when the bytes start as JSON but are not JSON, or are a JSON
/// object of none of the kinds above.
pub fn sniff(source: &str, bytes: &[u8]) -> Result<EvidenceKind, EvidenceError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(&first) = text.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Ok(EvidenceKind::Approvals);
    };
    match first {
        b'<' => return Ok(EvidenceKind::Junit),
        b'[' => return Ok(EvidenceKind::Reviews),
        b'{' => {}
        _ => return Ok(EvidenceKind::Approvals),
    }
    let keys: Keys = serde_json::from_slice(text)
        .map_err(|e| EvidenceError::new(source, format!("starts as JSON but is not JSON: {e}")))?;
    Ok(if keys.version.is_some() && keys.runs.is_some() {
        EvidenceKind::Sarif
    } else if keys.payload_type.is_some() && keys.signatures.is_some() {
        EvidenceKind::Attestation
    } else if keys.findings.is_some() && keys.stats.is_some() {
        EvidenceKind::Scan
    } else if keys.number.is_some() && keys.head.is_some() {
        EvidenceKind::PullRequest
    } else if keys.approved_by.is_some() {
        EvidenceKind::Reviews
    } else if keys.iid.is_some() && keys.sha.is_some() {
        EvidenceKind::PullRequest
    } else {
        return Err(EvidenceError::new(
            source,
            "$: a JSON object that is no kind of evidence this reads",
        )
        .help(
            "name its kind with KIND:PATH, one of junit, sarif, scan, reviews, approvals, \
             pull-request, attestation",
        ));
    })
}

/// The top-level keys [`sniff`] looks for; the values are skipped unread.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Keys {
    version: Option<serde::de::IgnoredAny>,
    runs: Option<serde::de::IgnoredAny>,
    payload_type: Option<serde::de::IgnoredAny>,
    signatures: Option<serde::de::IgnoredAny>,
    findings: Option<serde::de::IgnoredAny>,
    stats: Option<serde::de::IgnoredAny>,
    number: Option<serde::de::IgnoredAny>,
    head: Option<serde::de::IgnoredAny>,
    #[serde(rename = "approved_by")]
    approved_by: Option<serde::de::IgnoredAny>,
    iid: Option<serde::de::IgnoredAny>,
    sha: Option<serde::de::IgnoredAny>,
}

/// How many failing cases, worst results or findings a summary lists by name.
pub const LISTED: usize = 10;

/// `value` as a full commit id (40 or 64 hex digits), lower-cased; `None` when
/// it is anything else, a short id included: evidence about a commit must name
/// it whole to be matched with the change.
pub fn full_commit(value: &str) -> Option<String> {
    let value = value.trim();
    (matches!(value.len(), 40 | 64) && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}
