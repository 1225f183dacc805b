//! Labelled precision/recall cases for secret scanning, built from the public scanner
//! fixtures under `shared/testdata/secrets` (see that folder's `README.md`):
//!
//! * `noseyparker-rules/*.yml`: every `examples` entry of every rule is one positive case
//!   and every `negative_examples` entry one negative case, as Nosey Parker's own
//!   `rules check` asserts. (Nosey Parker ignores the unknown `non_examples` key of one
//!   Grafana rule, and so does this module.) A negative example only promises that its
//!   own rule stays silent, so one whose exact text is also another rule's positive
//!   example is left out: it does hold a secret. The rule files' comments mark a few more
//!   labels as wrong by their authors' own account; those are kept as written (their fix-me
//!   comments say the negatives `aws.yml#negative-10`, `generic.yml#negative-1` to `-3` and
//!   `-7` and `microsoft_teams.yml#negative-1` should match, and the positive
//!   `linkedin.yml#example-1` should not).
//! * `ripsecrets/`: ripsecrets' tests assert one finding per line of each
//!   `one_per_line/<type>` file, one per `one_per_file/*` file, and none in `none`. So each
//!   non-empty line of `one_per_line/*` is one positive, each `one_per_file/*` file one
//!   positive, and each non-empty line of `none` one negative, except the line that is
//!   only clean because ripsecrets' repository-level `.secretsignore` allowlists its
//!   value (that file is not part of the test data).
//! * `detect-secrets/`: the labels in [`DETECT_SECRETS_CASES`] restate what detect-secrets'
//!   own tests assert about those files, line by line where the tests name lines, file by
//!   file where they only assert that a file does or does not hold a secret. Files and
//!   lines about which no test asserts anything are left out; [`DETECT_SECRETS_CASES`]
//!   lists them and why.
//!
//! The module depends only on std, serde and serde_norway so that integration tests
//! (`mod support;`) and the `labelled_corpus` example (`#[path = ...]`) can both include it.

#![allow(dead_code)]

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Whether a case holds a secret that a scanner should report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// The case holds at least one secret: a scanner should report it.
    Positive,
    /// The case holds no secret: a scanner should stay silent.
    Negative,
}

impl Label {
    /// The label as written in `labels.jsonl`: `"positive"` or `"negative"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Negative => "negative",
        }
    }
}

/// One labelled input: the bytes of a file a scanner is run over, and whether it holds
/// a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Where the case comes from, e.g. `noseyparker/aws.yml#example-2`,
    /// `ripsecrets/one_per_line/aws#line-1` or `detect-secrets/config.ini#L21-L22`.
    pub source: String,
    /// Whether the content holds a secret.
    pub label: Label,
    /// A file name for the case, keeping the original file's name and extension
    /// (some scanners choose their rules by extension).
    pub file_name: String,
    /// The bytes to scan.
    pub content: Vec<u8>,
    /// What a review by hand made of the source's label (see [`REVIEWS`]).
    pub review: Review,
}

impl Case {
    /// The label after review: `None` when the case is left out of the reviewed figures.
    pub fn reviewed_label(&self) -> Option<Label> {
        match self.review {
            Review::Kept => Some(self.label),
            Review::Relabelled(label, _) => Some(label),
            Review::Excluded(_) => None,
        }
    }
}

/// What a review by hand made of a case's label. The source projects label a case
/// by whether their own rule matches it, which is not always whether it holds a
/// credential: many of Nosey Parker's examples are placeholders (`aaaa…`,
/// `SOME_PASSWORD`) or identifiers (ARNs, bucket hosts, user names) that its rules
/// match on purpose, and a few of its negatives are credentials that only their own
/// rule misses. Both the labels as written and the reviewed ones are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// The source's label stands.
    Kept,
    /// The case holds the opposite of what the source says, for the reason given.
    Relabelled(Label, &'static str),
    /// The case is left out of the reviewed figures, for the reason given.
    Excluded(&'static str),
}

/// Why a case is left out or relabelled.
pub mod why {
    /// A placeholder or filler rather than a credential.
    pub const PLACEHOLDER: &str = "the value is a placeholder or filler (a run of one \
        character, x/0/# fillers, an alphabet or digit sequence, or a word such as PASSWORD)";
    /// Code that names a credential without holding one.
    pub const NO_VALUE: &str =
        "no credential value: a variable, an interpolation or a concatenation of names";
    /// Something a rule matches on purpose that grants no access.
    pub const NOT_A_CREDENTIAL: &str = "not a credential: an identifier (ARN, bucket or \
        shop host), a user name, a public key or a CSRF crumb";
    /// A documented example, not reported by policy.
    pub const PUBLISHED: &str = "an example credential published in a vendor's documentation \
        or an RFC (crates/palisade-scan/data/published-examples.toml)";
    /// A token its vendor never issued.
    pub const BAD_CHECKSUM: &str =
        "the token fails its vendor's CRC-32 checksum, so the vendor never issued it";
    /// Not the format the vendor issues.
    pub const INVALID_FORMAT: &str = "not the vendor's format (AWS key ids are base32, \
        fine-grained GitHub tokens have 82 characters after the prefix)";
    /// A negative example that in fact holds a credential.
    pub const HOLDS_A_CREDENTIAL: &str = "holds a credential: the source only promises that \
        its own rule stays silent here";
    /// A JWT without a signature.
    pub const UNSIGNED_JWT: &str =
        "a JWT's header and claims without a signature (jwt.io's published example claims)";
}

/// The reviewed cases, by source. Every entry was read by hand; the test checks that
/// each names a case that exists.
pub const REVIEWS: &[(&str, Review)] = &[
    (
        "noseyparker/age.yml#example-1",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/aws.yml#example-3",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/aws.yml#example-4",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/aws.yml#example-6",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-7",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-10",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-11",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-12",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-13",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-14",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-15",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-16",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-17",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-18",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-19",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-20",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-22",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-21",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/google.yml#example-1",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/google.yml#example-2",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/google.yml#example-3",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/google.yml#example-4",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/google.yml#example-14",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/aws.yml#example-23",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    // `…0123456789AbCdEf0123456789…`: typed by hand around the AZDO signature.
    (
        "noseyparker/azure.yml#example-13",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/generic.yml#example-8",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "noseyparker/generic.yml#example-9",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "noseyparker/generic.yml#example-10",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "noseyparker/generic.yml#example-11",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/generic.yml#example-16",
        Review::Excluded(why::NO_VALUE),
    ),
    (
        "noseyparker/generic.yml#example-23",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/github.yml#example-1",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/github.yml#example-2",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/github.yml#example-4",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/github.yml#example-5",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/github.yml#example-6",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/github.yml#example-7",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/google.yml#example-6",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/google.yml#example-13",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/google.yml#example-15",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/gradle.yml#example-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/gradle.yml#example-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/gradle.yml#example-3",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/gradle.yml#example-4",
        Review::Excluded(why::PLACEHOLDER),
    ),
    // RFC 7617's Aladdin:open sesame.
    (
        "noseyparker/http.yml#example-1",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "noseyparker/http.yml#example-2",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "noseyparker/jenkins.yml#example-3",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/kubernetes.yml#example-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/linkedin.yml#example-1",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/newrelic.yml#example-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/newrelic.yml#example-5",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/npm.yml#example-1",
        Review::Excluded(why::BAD_CHECKSUM),
    ),
    (
        "noseyparker/odbc.yml#example-9",
        Review::Excluded(why::NO_VALUE),
    ),
    (
        "noseyparker/okta.yml#example-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/okta.yml#example-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/okta.yml#example-3",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/okta.yml#example-4",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/psexec.yml#example-3",
        Review::Excluded(why::NO_VALUE),
    ),
    (
        "noseyparker/psexec.yml#example-4",
        Review::Excluded(why::NO_VALUE),
    ),
    (
        "noseyparker/psexec.yml#example-5",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/react.yml#example-1",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/react.yml#example-2",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/react.yml#example-3",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/react.yml#example-4",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/react.yml#example-5",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/react.yml#example-6",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/react.yml#example-12",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/shopify.yml#example-1",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/shopify.yml#example-2",
        Review::Excluded(why::NOT_A_CREDENTIAL),
    ),
    (
        "noseyparker/slack.yml#example-3",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/tavily.yml#example-3",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "noseyparker/vmware.yml#example-2",
        Review::Excluded(why::NO_VALUE),
    ),
    (
        "noseyparker/vmware.yml#example-3",
        Review::Excluded(why::NO_VALUE),
    ),
    (
        "noseyparker/auth0.yml#negative-1",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "noseyparker/generic.yml#negative-1",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "noseyparker/generic.yml#negative-11",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "noseyparker/generic.yml#negative-12",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "noseyparker/gitalk.yml#negative-1",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "noseyparker/gitalk.yml#negative-2",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "noseyparker/newrelic.yml#negative-3",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    // Random hex under AWS_SECRET_ACCESS_KEY, two digits longer than the 40 AWS issues:
    // under a name that says secret key, hex is the key itself.
    (
        "noseyparker/aws.yml#negative-6",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    // The rule file's own comment asks for this example to be matched.
    (
        "noseyparker/generic.yml#negative-2",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    // npm's legacy access tokens are bare v4 UUIDs, as the rule file's comment says.
    (
        "noseyparker/npm.yml#negative-1",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    // A stream key written without its `live_` prefix still streams to the channel.
    (
        "noseyparker/twitch.yml#negative-1",
        Review::Relabelled(Label::Positive, why::HOLDS_A_CREDENTIAL),
    ),
    (
        "ripsecrets/one_per_line/github#line-2",
        Review::Excluded(why::INVALID_FORMAT),
    ),
    // The token jwt.io's debugger opens with.
    (
        "ripsecrets/one_per_line/jwt#line-2",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "ripsecrets/one_per_line/jwt#line-3",
        Review::Excluded(why::UNSIGNED_JWT),
    ),
    (
        "ripsecrets/one_per_line/npm#line-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_line/slack#line-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    // `KJ2M3N4k5p6q7-8s9t0v1w2x_3y`: letters and digits counted up in turn, by hand.
    (
        "ripsecrets/one_per_line/square#line-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_line/square#line-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_line/twilio#line-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_line/twilio#line-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_line/url#line-1",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_line/url#line-2",
        Review::Excluded(why::PLACEHOLDER),
    ),
    (
        "ripsecrets/one_per_file/aws_json",
        Review::Excluded(why::INVALID_FORMAT),
    ),
    (
        "detect-secrets/each_secret.py#L8",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "detect-secrets/each_secret.py#L9",
        Review::Excluded(why::PUBLISHED),
    ),
    (
        "detect-secrets/config.yaml#L3",
        Review::Excluded(why::PLACEHOLDER),
    ),
];

/// Loads every labelled case, in a stable order: Nosey Parker, then ripsecrets, then
/// detect-secrets.
///
/// `testdata` is the shared test-data folder (the one holding `secrets/`); the
/// `secrets` folder itself is accepted too.
pub fn load(testdata: &Path) -> Result<Vec<Case>, String> {
    let secrets = if testdata.join("secrets").is_dir() {
        testdata.join("secrets")
    } else {
        testdata.to_path_buf()
    };
    let mut cases = Vec::new();
    load_noseyparker(&secrets.join("noseyparker-rules"), &mut cases)?;
    load_ripsecrets(&secrets.join("ripsecrets"), &mut cases)?;
    load_detect_secrets(&secrets.join("detect-secrets"), &mut cases)?;
    for (source, review) in REVIEWS {
        let case = cases
            .iter_mut()
            .find(|case| case.source == *source)
            .ok_or_else(|| format!("the review names {source}, which is not a case"))?;
        case.review = *review;
    }
    Ok(cases)
}

/// A Nosey Parker rule file: only the fields that carry labels.
#[derive(Deserialize)]
struct RuleFile {
    rules: Vec<Rule>,
}

/// A Nosey Parker rule: only the fields that carry labels.
#[derive(Deserialize)]
struct Rule {
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

fn load_noseyparker(dir: &Path, cases: &mut Vec<Case>) -> Result<(), String> {
    let mut rule_cases = Vec::new();
    for path in sorted_files(dir)? {
        let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let Some(stem) = file_name.strip_suffix(".yml") else {
            continue;
        };
        let text = read_text(&path)?;
        let rule_file: RuleFile = serde_norway::from_str(&text)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let mut examples = 0;
        let mut negatives = 0;
        for rule in rule_file.rules {
            for example in rule.examples {
                examples += 1;
                rule_cases.push(Case {
                    source: format!("noseyparker/{file_name}#example-{examples}"),
                    label: Label::Positive,
                    file_name: format!("{stem}-example-{examples}.txt"),
                    content: example.into_bytes(),
                    review: Review::Kept,
                });
            }
            for example in rule.negative_examples {
                negatives += 1;
                rule_cases.push(Case {
                    source: format!("noseyparker/{file_name}#negative-{negatives}"),
                    label: Label::Negative,
                    file_name: format!("{stem}-negative-{negatives}.txt"),
                    content: example.into_bytes(),
                    review: Review::Kept,
                });
            }
        }
    }
    // A negative example only promises that its own rule stays silent; when the very same
    // text is another rule's positive example, it holds a secret after all.
    let positives: HashSet<Vec<u8>> = rule_cases
        .iter()
        .filter(|case| case.label == Label::Positive)
        .map(|case| case.content.clone())
        .collect();
    cases.extend(
        rule_cases
            .into_iter()
            .filter(|case| case.label == Label::Positive || !positives.contains(&case.content)),
    );
    Ok(())
}

/// The line of ripsecrets' `none` that is clean only because the ripsecrets repository's
/// own `.secretsignore` lists its value; that file is not part of the test data.
const RIPSECRETS_SECRETSIGNORE_MARKER: &str = "secret is in .secretsignore";

fn load_ripsecrets(dir: &Path, cases: &mut Vec<Case>) -> Result<(), String> {
    for path in sorted_files(&dir.join("one_per_line"))? {
        let name = file_name_of(&path)?;
        for (number, line) in non_empty_lines(&read_text(&path)?) {
            cases.push(Case {
                source: format!("ripsecrets/one_per_line/{name}#line-{number}"),
                label: Label::Positive,
                file_name: name.clone(),
                content: format!("{line}\n").into_bytes(),
                review: Review::Kept,
            });
        }
    }
    for path in sorted_files(&dir.join("one_per_file"))? {
        let name = file_name_of(&path)?;
        cases.push(Case {
            source: format!("ripsecrets/one_per_file/{name}"),
            label: Label::Positive,
            file_name: name,
            content: read_bytes(&path)?,
            review: Review::Kept,
        });
    }
    let none = dir.join("none");
    for (number, line) in non_empty_lines(&read_text(&none)?) {
        if line.contains(RIPSECRETS_SECRETSIGNORE_MARKER) {
            continue;
        }
        cases.push(Case {
            source: format!("ripsecrets/none#line-{number}"),
            label: Label::Negative,
            file_name: "none".to_owned(),
            content: format!("{line}\n").into_bytes(),
            review: Review::Kept,
        });
    }
    Ok(())
}

/// Which part of a detect-secrets fixture a case covers.
#[derive(Debug, Clone, Copy)]
enum Span {
    /// The whole file.
    File,
    /// Lines `first..=last` (1-based), with their common indentation removed so that a
    /// nested YAML line still parses on its own.
    Lines(usize, usize),
}

/// One labelled part of a detect-secrets fixture.
#[derive(Debug, Clone, Copy)]
struct DetectSecretsCase {
    /// Path below `detect-secrets/`.
    path: &'static str,
    span: Span,
    label: Label,
    /// Text the first line of the span must contain; guards the line numbers against a
    /// changed fixture. Empty for whole files.
    first_line_contains: &'static str,
}

/// A positive case covering lines `first..=last`.
const fn positive(
    path: &'static str,
    first: usize,
    last: usize,
    contains: &'static str,
) -> DetectSecretsCase {
    DetectSecretsCase {
        path,
        span: Span::Lines(first, last),
        label: Label::Positive,
        first_line_contains: contains,
    }
}

/// A negative case covering lines `first..=last`.
const fn negative(
    path: &'static str,
    first: usize,
    last: usize,
    contains: &'static str,
) -> DetectSecretsCase {
    DetectSecretsCase {
        path,
        span: Span::Lines(first, last),
        label: Label::Negative,
        first_line_contains: contains,
    }
}

/// A case covering a whole file.
const fn whole_file(path: &'static str, label: Label) -> DetectSecretsCase {
    DetectSecretsCase {
        path,
        span: Span::File,
        label,
        first_line_contains: "",
    }
}

/// The detect-secrets labels (fixtures from Yelp/detect-secrets `test_data/` at 5e14193),
/// each with the test that asserts it. Unless a test configures otherwise, the tests in
/// `tests/core/secrets_collection_test.py` run with `AWSKeyDetector` and
/// `Base64HighEntropyString` (limit 4.5) and detect-secrets' default filters.
///
/// Left out, with the reason:
/// * `baseline.file`: a saved baseline (JSON of hashed findings); no test scans it.
/// * `config2.yaml`: no test refers to it.
/// * `sample.diff`: only read through `scan_diff`, whose expectations are about the files
///   the diff touches, not about this file.
/// * `short_files/*`: tests only list these files (`scan_test.py`), never scan them.
/// * `word_list.txt`: input of the word-list filter, not scanned.
/// * `performance/*`: input of `scripts/run_performance_tests.py`, which asserts nothing.
/// * `files/private_key`: no test asserts anything about it (the private-key plugin's
///   tests use inline strings; `baseline_test.py` scans it with entropy plugins only).
/// * `files/tmp/__init__.py`: empty.
/// * `each_secret.py` lines 5 (hex string) and 6 (basic-auth URL): no test asserts a
///   finding or its absence there.
/// * `config.yaml` line 12 and `files/file_with_secrets.py` line 4: secrets silenced by an
///   inline `pragma: allowlist secret`; `main_test.py::TestScanOnlyAllowlisted` asserts the
///   yaml one *is* a secret, the default scans assert it is not reported, so the label
///   depends on whether a scanner honours that pragma.
/// * Section headers, comments, blank lines and keys without a value: nothing to test.
const DETECT_SECRETS_CASES: &[DetectSecretsCase] = &[
    // secrets_collection_test.py::TestScanFile::test_line_based_success asserts exactly one
    // finding, line 4, once the `id` line is filtered as an identifier and lines with
    // `EXAMPLE` are excluded; TestSubtraction::test_basic asserts that excluding the
    // `EXAMPLE` lines (AWS's documented example key pair) drops three findings, i.e. both
    // lines 8 and 9 are reported.
    negative("each_secret.py", 1, 1, "red_herring"),
    negative("each_secret.py", 2, 2, "id = "),
    positive("each_secret.py", 4, 4, "base64_secret"),
    positive("each_secret.py", 8, 8, "aws_access_key"),
    positive("each_secret.py", 9, 9, "aws_secret_access_key"),
    // secrets_collection_test.py::TestScanFile::test_file_based_success_config
    // (Base64HighEntropyString limit lowered to 3.0) asserts findings on exactly lines 2,
    // 10, 21, 22 and 32; main_test.py::TestScanOnlyAllowlisted::
    // test_only_displays_result_if_actual_secret asserts the allowlisted line 26 holds no
    // actual secret. Lines 21-22 are one multi-line value and stay together.
    positive("config.ini", 2, 2, "password = 123456789a1234"),
    negative("config.ini", 6, 6, "keyA = 678912345"),
    negative("config.ini", 7, 7, "keyB = value1"),
    positive("config.ini", 10, 10, "aws_secret_key"),
    negative("config.ini", 13, 18, "keyA ="),
    positive("config.ini", 21, 22, "keyB = 456789123a"),
    negative("config.ini", 26, 26, "password = 12345678901234"),
    negative("config.ini", 29, 29, "foo="),
    positive("config.ini", 32, 32, "real_secret_which_isnt_an_i_d"),
    negative("config.ini", 33, 33, "foreign_key_id"),
    // secrets_collection_test.py::TestScanFile::test_file_based_success_yaml
    // (HexHighEntropyString limit 3.0 added) asserts findings on exactly lines 3, 5 and 13.
    negative("config.yaml", 2, 2, "some_value_here"),
    positive("config.yaml", 3, 3, "other_value_here"),
    positive("config.yaml", 5, 5, "AKIATESTTESTTESTTEST"),
    negative("config.yaml", 6, 6, "abcdefghijklmnop"),
    negative("config.yaml", 7, 10, "list_of_keys"),
    positive("config.yaml", 13, 13, "low_entropy_binary_secret"),
    negative("config.yaml", 16, 16, "allowlisted_id"),
    negative("config.yaml", 18, 18, "uuid_should_be_ignored"),
    // secrets_collection_test.py::TestScanFile::test_file_based_success_unexpected_config_file
    // asserts each file holds a secret (no line given; config.env has one line).
    whole_file("config.env", Label::Positive),
    whole_file("config.md", Label::Positive),
    // secrets_collection_test.py::TestScanFile::test_file_based_yaml_only_comments.
    whole_file("only_comments.yaml", Label::Negative),
    // pre_commit_hook_test.py::test_file_with_secrets / test_console_output ("Total
    // secrets detected: 1") and baseline_test.py::TestCreate::test_basic_usage (one
    // finding in file_with_secrets.py, two in tmp/file_with_secrets.py, and no other
    // file of test_data/files with a finding).
    whole_file("files/file_with_secrets.py", Label::Positive),
    whole_file("files/tmp/file_with_secrets.py", Label::Positive),
    // pre_commit_hook_test.py::test_file_with_no_secrets and the same baseline test.
    whole_file("files/file_with_no_secrets.py", Label::Negative),
    whole_file("files/tmp/file_with_no_secrets.py", Label::Negative),
    // The same baseline test; its only "secret" is the word `Hippo`, found by a toy
    // plugin in detect-secrets' test helpers.
    whole_file("files/file_with_custom_secrets.py", Label::Negative),
];

fn load_detect_secrets(dir: &Path, cases: &mut Vec<Case>) -> Result<(), String> {
    for spec in DETECT_SECRETS_CASES {
        let path = dir.join(spec.path);
        let file_name = file_name_of(&path)?;
        let (suffix, content) = match spec.span {
            Span::File => (String::new(), read_bytes(&path)?),
            Span::Lines(first, last) => {
                let text = read_text(&path)?;
                let lines: Vec<&str> = text.lines().collect();
                let selected = first
                    .checked_sub(1)
                    .and_then(|start| lines.get(start..last))
                    .ok_or_else(|| format!("{}: has no lines {first}-{last}", path.display()))?;
                let first_line = selected.first().copied().unwrap_or_default();
                if !first_line.contains(spec.first_line_contains) {
                    return Err(format!(
                        "{}: line {first} is {first_line:?}, expected it to contain {:?}",
                        path.display(),
                        spec.first_line_contains
                    ));
                }
                let suffix = if first == last {
                    format!("#L{first}")
                } else {
                    format!("#L{first}-L{last}")
                };
                (suffix, dedent(selected).into_bytes())
            }
        };
        cases.push(Case {
            source: format!("detect-secrets/{}{suffix}", spec.path),
            label: spec.label,
            file_name,
            content,
            review: Review::Kept,
        });
    }
    Ok(())
}

/// Joins `lines` with newlines after removing the indentation they all share.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in lines {
        out.push_str(line.get(indent..).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The non-empty lines of `text` with their 1-based line numbers.
fn non_empty_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, line))
        .collect()
}

/// The regular files directly inside `dir`, sorted by name.
fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| format!("{}: {error}", dir.display()))?
            .path();
        if path.is_file() && file_name_of(&path)? != "LICENSE" {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn file_name_of(path: &Path) -> Result<String, String> {
    path.file_name()
        .and_then(|name| name.to_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no UTF-8 file name", path.display()))
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|error| format!("{}: {error}", path.display()))
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))
}
