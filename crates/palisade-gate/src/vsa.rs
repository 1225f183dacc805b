//! SLSA Verification Summary Attestations of a verdict, in a signed DSSE envelope.
//!
//! A verification summary (predicate type
//! `https://slsa.dev/verification_summary/v1`) says that a verifier checked
//! an artifact against a policy, using some input attestations, and whether
//! it passed. Here the artifact is the change's head commit, the verifier
//! is the gate, the policy is the operating model (by URI and digest) and
//! the inputs are the evidence files the verdict read. The summary is an
//! in-toto Statement v1 whose one subject is the commit,
//! `{"name": <resource URI>, "digest": {"gitCommit": <commit>}}`, signed
//! into a DSSE envelope with the ledger's key, so whoever trusts that key
//! can trust the verdict without the evidence behind it.
//!
//! `verifiedLevels` holds the levels the caller names: SLSA's own
//! (`SLSA_BUILD_LEVEL_0` to `_3`) or custom ones such as
//! `PALISADE_GATE_TIER_HIGH`, which the specification allows as long as they
//! do not start with `SLSA_`. A summary that did not pass has the single
//! level `FAILED`, as the specification asks.

use std::collections::BTreeMap;

use jiff::Timestamp;
use palisade_ledger::SignerKey;
use palisade_ledger::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE};
use serde::Serialize;

use crate::evidence::attestation::STATEMENT_V1;

/// The predicate type of a SLSA verification summary v1.
pub const PREDICATE_TYPE: &str = crate::evidence::attestation::SLSA_VERIFICATION_SUMMARY_V1;

/// The SLSA specification version the summaries follow.
pub const SLSA_VERSION: &str = "1.0";

/// What a verification summary says, as the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The verifier's identity, a URI (e.g. `https://palisade.example.com/gate`).
    pub verifier_id: String,
    /// When the verdict was reached: the caller's clock, never read here.
    pub time_verified: Timestamp,
    /// The resource verified, a URI (e.g. `git+https://git.example.com/acme/shop`).
    pub resource_uri: String,
    /// The head commit verified, full hex.
    pub commit: String,
    /// The policy: where the operating model is found.
    pub policy_uri: String,
    /// The policy's digest, `sha256:<hex>` of the model's bytes.
    pub policy_digest: String,
    /// The evidence the verdict read.
    pub inputs: Vec<Input>,
    /// Whether the change passed the gate.
    pub passed: bool,
    /// The levels verified when it passed, at most one per track.
    pub verified_levels: Vec<String>,
    /// How many dependencies were verified at each level; usually empty.
    pub dependency_levels: BTreeMap<String, u64>,
}

/// One attestation the verifier used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where it can be fetched (a path or URI, as the caller named it).
    pub uri: String,
    /// Its digest, `<algorithm>:<value>` (e.g. `sha256:<hex>`).
    pub digest: String,
}

/// Why a summary cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VsaError {
    /// A required field is empty.
    #[error("the summary's {field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// The commit is not a full commit id.
    #[error("{commit:?} is not a full commit id (40 or 64 hex digits)")]
    Commit {
        /// What was given.
        commit: String,
    },
    /// A digest is not `<algorithm>:<value>`.
    #[error("{field}: {digest:?} is not a digest written `<algorithm>:<value>`")]
    Digest {
        /// Which digest.
        field: String,
        /// What was given.
        digest: String,
    },
    /// A custom level uses the prefix SLSA reserves for its own.
    #[error("level {level:?} starts with `SLSA_`, which SLSA reserves for its own levels")]
    ReservedLevel {
        /// The level.
        level: String,
    },
    /// The ledger key cannot sign.
    #[error(transparent)]
    Sign(#[from] DsseError),
}

/// The summary as an in-toto Statement, compact JSON: the payload
/// [`sign`] signs.
///
/// # Errors
///
/// [`VsaError`] when a field is empty, the commit is not a full commit id,
/// a digest is not `<algorithm>:<value>`, or a level is a reserved one.
pub fn statement(summary: &Summary) -> Result<Vec<u8>, VsaError> {
    for (field, value) in [
        ("verifier id", &summary.verifier_id),
        ("resource URI", &summary.resource_uri),
        ("policy URI", &summary.policy_uri),
    ] {
        if value.trim().is_empty() {
            return Err(VsaError::Empty { field });
        }
    }
    let commit = &summary.commit;
    if !(matches!(commit.len(), 40 | 64) && commit.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(VsaError::Commit {
            commit: commit.clone(),
        });
    }
    for level in summary
        .verified_levels
        .iter()
        .chain(summary.dependency_levels.keys())
    {
        if level.starts_with("SLSA_") && !is_slsa_build_level(level) {
            return Err(VsaError::ReservedLevel {
                level: level.clone(),
            });
        }
    }
    let verified_levels = if summary.passed {
        summary.verified_levels.clone()
    } else {
        vec!["FAILED".to_owned()]
    };
    let statement = Statement {
        type_: STATEMENT_V1,
        subject: [Subject {
            name: &summary.resource_uri,
            digest: BTreeMap::from([("gitCommit".to_owned(), commit.to_ascii_lowercase())]),
        }],
        predicate_type: PREDICATE_TYPE,
        predicate: Predicate {
            verifier: Verifier {
                id: &summary.verifier_id,
            },
            time_verified: summary.time_verified.to_string(),
            resource_uri: &summary.resource_uri,
            policy: Descriptor {
                uri: &summary.policy_uri,
                digest: digest_set("policy digest", &summary.policy_digest)?,
            },
            input_attestations: summary
                .inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    Ok(Descriptor {
                        uri: &input.uri,
                        digest: digest_set(&format!("input {i} ({})", input.uri), &input.digest)?,
                    })
                })
                .collect::<Result<_, VsaError>>()?,
            verification_result: if summary.passed { "PASSED" } else { "FAILED" },
            verified_levels,
            dependency_levels: &summary.dependency_levels,
            slsa_version: SLSA_VERSION,
        },
    };
    Ok(serde_json::to_vec(&statement).expect("a statement of strings and maps always serializes"))
}

/// The summary, signed by `key` under `keyid` into a DSSE envelope of
/// payload type `application/vnd.in-toto+json`.
///
/// # Errors
///
/// [`VsaError`] as [`statement`] gives, or when `key` cannot sign envelopes
/// (a witness key).
pub fn sign(summary: &Summary, keyid: &str, key: &SignerKey) -> Result<Envelope, VsaError> {
    let payload = statement(summary)?;
    Ok(Envelope::sign(IN_TOTO_PAYLOAD_TYPE, payload, keyid, key)?)
}

fn is_slsa_build_level(level: &str) -> bool {
    matches!(
        level,
        "SLSA_BUILD_LEVEL_0" | "SLSA_BUILD_LEVEL_1" | "SLSA_BUILD_LEVEL_2" | "SLSA_BUILD_LEVEL_3"
    )
}

/// `alg:value` as a one-entry DigestSet.
fn digest_set(field: &str, digest: &str) -> Result<BTreeMap<String, String>, VsaError> {
    match digest.split_once(':') {
        Some((alg, value)) if !alg.is_empty() && !value.is_empty() => {
            Ok(BTreeMap::from([(alg.to_owned(), value.to_owned())]))
        }
        _ => Err(VsaError::Digest {
            field: field.to_owned(),
            digest: digest.to_owned(),
        }),
    }
}

#[derive(Serialize)]
struct Statement<'a> {
    #[serde(rename = "_type")]
    type_: &'static str,
    subject: [Subject<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: Predicate<'a>,
}

#[derive(Serialize)]
struct Subject<'a> {
    name: &'a str,
    digest: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Predicate<'a> {
    verifier: Verifier<'a>,
    time_verified: String,
    resource_uri: &'a str,
    policy: Descriptor<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    input_attestations: Vec<Descriptor<'a>>,
    verification_result: &'static str,
    verified_levels: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    dependency_levels: &'a BTreeMap<String, u64>,
    slsa_version: &'static str,
}

#[derive(Serialize)]
struct Verifier<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct Descriptor<'a> {
    uri: &'a str,
    digest: BTreeMap<String, String>,
}

/// Where a verdict was reached, for its summary: what the verdict itself does not say.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The verifier's identity, a URI.
    pub verifier_id: String,
    /// The repository judged, a URI (`git+https://github.com/acme/shop`).
    pub resource_uri: String,
    /// Where the model is found.
    pub policy_uri: String,
    /// `sha256:<hex>` of the model's bytes.
    pub policy_digest: String,
    /// When the verdict was reached.
    pub time: Timestamp,
}

/// The summary of `verdict`: passed unless it failed, the evidence that
/// counted as its inputs, and the change's tier as the level verified
/// (`PALISADE_GATE_TIER_HIGH`).
pub fn summary_of(verdict: &crate::verdict::Verdict, origin: Origin) -> Summary {
    let passed = verdict.verdict != crate::verdict::Outcome::Fail;
    Summary {
        verifier_id: origin.verifier_id,
        time_verified: origin.time,
        resource_uri: origin.resource_uri,
        commit: verdict.head.clone(),
        policy_uri: origin.policy_uri,
        policy_digest: origin.policy_digest,
        inputs: verdict
            .evidence
            .iter()
            .filter(|e| e.counted)
            .map(|e| Input {
                uri: e.source.clone(),
                digest: e.digest.clone(),
            })
            .collect(),
        passed,
        verified_levels: vec![format!(
            "PALISADE_GATE_TIER_{}",
            verdict.tier.key().to_ascii_uppercase()
        )],
        dependency_levels: BTreeMap::new(),
    }
}
