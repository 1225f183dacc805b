//! Evidence reader: a signed in-toto attestation, the evidence of `signed_artifact`.
//!
//! The file is a DSSE envelope ([`palisade_ledger::dsse`]) whose payload is
//! an in-toto Statement (`_type` `https://in-toto.io/Statement/v1`, or the
//! older `v0.1` of the same shape): its `subject` (artifacts by name and
//! digest), its `predicateType` and its `predicate`.
//!
//! Trust comes from the model only. The envelope must carry a signature that
//! verifies with the public key of one of the model's `[[gates.signers]]`:
//! a signature's `keyid` is matched with the signer's `id`, and a signature
//! without a `keyid` is tried against every signer. A signature under a key
//! id the model does not list is not tried, and any key or certificate the
//! envelope carries is ignored. The signature is checked before the payload
//! is read, and the payload type after, as DSSE says.
//!
//! The commit the attestation is about is the first full commit id found in:
//! a subject's `gitCommit` digest; else, for SLSA provenance v1, a
//! `predicate.buildDefinition.resolvedDependencies[]` entry's `gitCommit`
//! digest, or its `sha1` digest when its `uri` is a git one (`git+https://…`);
//! else, for SLSA provenance v0.2, the same in `predicate.materials[]`.
//!
//! A SLSA verification summary counts only when its `verificationResult` is
//! `PASSED`: one that says `FAILED` is refused, signed or not.

use std::collections::BTreeMap;

use palisade_ledger::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE, PinnedKey};
use palisade_model::Signer;
use serde::Deserialize;
use serde_json::Value;

use super::{AttestationFacts, Evidence, EvidenceError, EvidenceKind, Facts, digest};

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The `_type` of an in-toto Statement v0.1, read the same way.
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";
/// The predicate type of SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The predicate type of SLSA provenance v0.2.
pub const SLSA_PROVENANCE_V0_2: &str = "https://slsa.dev/provenance/v0.2";
/// The predicate type of a SLSA verification summary v1.
pub const SLSA_VERIFICATION_SUMMARY_V1: &str = "https://slsa.dev/verification_summary/v1";

/// Reads a DSSE envelope holding an in-toto Statement, trusted only if one
/// of `signers` signed it.
///
/// # Errors
///
/// [`EvidenceError`] when the file is not a DSSE envelope, no signer of the
/// model signed it (an unknown key id, a signature that does not verify, no
/// signature at all), its payload is not an in-toto Statement, or a signer's
/// key in the model is not an Ed25519 public key.
pub fn read(source: &str, bytes: &[u8], signers: &[Signer]) -> Result<Evidence, EvidenceError> {
    let envelope = Envelope::parse(bytes).map_err(|e| {
        EvidenceError::new(source, e.to_string()).help(
            "an attestation is a DSSE envelope: JSON with `payload`, `payloadType` and `signatures`",
        )
    })?;
    if signers.is_empty() {
        return Err(EvidenceError::new(
            source,
            "the model lists no [[gates.signers]], so no attestation can be trusted",
        )
        .help("add the id and Ed25519 public key of the key that signs attestations to [[gates.signers]]"));
    }
    let keys = signers
        .iter()
        .map(|s| pinned(source, s))
        .collect::<Result<Vec<_>, _>>()?;
    let signer = envelope
        .verify(&keys)
        .map_err(|e| untrusted(source, e))?
        .keyid()
        .to_owned();
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(EvidenceError::new(
            source,
            format!(
                "the payloadType is {:?}; an attestation holds an in-toto statement, `{IN_TOTO_PAYLOAD_TYPE}`",
                envelope.payload_type
            ),
        ));
    }
    let statement = read_statement(source, &envelope.payload)?;
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Attestation,
        digest: digest(bytes),
        commit: statement.commit,
        facts: Facts::Attestation(AttestationFacts {
            signer,
            predicate_type: statement.predicate_type,
            subjects: statement.subjects,
        }),
    })
}

/// What an in-toto Statement says, as [`read_statement`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFacts {
    /// The predicate type.
    pub predicate_type: String,
    /// The subjects, `name@alg:value` (by SHA-256 where a subject has it).
    pub subjects: Vec<String>,
    /// The commit the statement is about, if it names one (see the module
    /// documentation).
    pub commit: Option<String>,
}

/// Reads the payload of an envelope whose signature has verified and whose
/// payload type is in-toto's: the step of [`read`] after the checks of trust,
/// public so that it can be tested and fuzzed without a signing key. It trusts
/// nothing by itself: bytes that did not come out of a verified envelope are
/// no attestation.
///
/// # Errors
///
/// [`EvidenceError`] about `source` (its message starting `payload:`) when the
/// payload is not an in-toto Statement v1 or v0.1 with subjects that all have a
/// digest and a predicate type, names a commit that is not a full commit id,
/// or is a SLSA verification summary whose result is not `PASSED`.
pub fn read_statement(source: &str, payload: &[u8]) -> Result<StatementFacts, EvidenceError> {
    let error = |message: String| EvidenceError::new(source, format!("payload: {message}"));
    let statement = Statement::parse(payload).map_err(error)?;
    let commit = statement.commit().map_err(error)?;
    if let Some(result) = statement.failed_verification() {
        return Err(error(format!(
            "the verification summary's verificationResult is {result}: it vouches against its \
             subject, not for it"
        )));
    }
    Ok(StatementFacts {
        subjects: statement.subject.iter().map(Subject::label).collect(),
        predicate_type: statement.predicate_type,
        commit,
    })
}

/// The model's signer as a pinned key, by its id.
fn pinned(source: &str, signer: &Signer) -> Result<PinnedKey, EvidenceError> {
    let bad = |reason: String| {
        EvidenceError::new(
            source,
            format!("signer `{}` in [[gates.signers]]: {reason}", signer.id),
        )
        .help("write its Ed25519 public key as 64 hex digits; `palisade check` names the problem")
    };
    let bytes = hex::decode(signer.key.trim()).map_err(|_| bad("its key is not hex".to_owned()))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(format!("its key has {} bytes, not 32", b.len())))?;
    PinnedKey::new(signer.id.clone(), key).map_err(|e| bad(e.to_string()))
}

/// Why no signer of the model vouches for the envelope.
fn untrusted(source: &str, error: DsseError) -> EvidenceError {
    match error {
        DsseError::NoSignatures => EvidenceError::new(source, "the envelope has no signatures")
            .help("sign it with a key listed in [[gates.signers]]"),
        DsseError::UnknownKeyId { keyids } => EvidenceError::new(
            source,
            format!(
                "signed only under key ids no [[gates.signers]] has: {}",
                keyids.join(", ")
            ),
        )
        .help(
            "a signature counts when its keyid is the id of a [[gates.signers]] entry whose key \
             verifies it; add the signer to the model if it is to be trusted",
        ),
        DsseError::BadSignature { keyid } => EvidenceError::new(
            source,
            format!(
                "the signature by signer `{keyid}` does not verify: the envelope was changed after \
                 signing, or another key signed it"
            ),
        )
        .help(format!(
            "check that [[gates.signers]] `{keyid}` holds the public key of the key that signed"
        )),
        DsseError::NoTrustedSignature => EvidenceError::new(
            source,
            "no signature verifies with the key of any [[gates.signers]] entry",
        )
        .help("sign it with a key listed in [[gates.signers]], naming the signer's id as keyid"),
        other => EvidenceError::new(source, other.to_string()),
    }
}

/// An in-toto Statement, as far as the gate reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statement {
    subject: Vec<Subject>,
    predicate_type: String,
    #[serde(default)]
    predicate: Option<Value>,
}

/// One subject: an artifact by name and digests.
#[derive(Debug, Deserialize)]
struct Subject {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

impl Subject {
    /// `name@alg:value`, by its SHA-256 digest when it has one, else by the
    /// first algorithm in name order; `_` stands for no name, as in-toto says.
    fn label(&self) -> String {
        let name = self.name.as_deref().unwrap_or("_");
        let (alg, value) = self
            .digest
            .get_key_value("sha256")
            .or_else(|| self.digest.iter().next())
            .expect("a parsed subject has a digest");
        format!("{name}@{alg}:{value}")
    }
}

impl Statement {
    /// Reads and checks a Statement; the error says which field is wrong.
    fn parse(payload: &[u8]) -> Result<Statement, String> {
        let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
        let Some(object) = value.as_object() else {
            return Err("an in-toto statement is a JSON object".to_owned());
        };
        match object.get("_type") {
            Some(Value::String(t)) if t == STATEMENT_V1 || t == STATEMENT_V0_1 => {}
            Some(other) => {
                return Err(format!(
                    "`_type` is {other}; an in-toto statement's is `{STATEMENT_V1}`"
                ));
            }
            None => return Err("`_type` is missing; this is not an in-toto statement".to_owned()),
        }
        let statement = Statement::deserialize(&value).map_err(|e| e.to_string())?;
        if statement.subject.is_empty() {
            return Err("`subject` is empty: a statement must name what it is about".to_owned());
        }
        if let Some(i) = statement.subject.iter().position(|s| s.digest.is_empty()) {
            return Err(format!(
                "`subject[{i}].digest` is empty: every subject needs a digest"
            ));
        }
        if statement.predicate_type.is_empty() {
            return Err("`predicateType` is empty".to_owned());
        }
        Ok(statement)
    }

    /// A SLSA verification summary's `verificationResult` when it is not
    /// `PASSED`: such a summary is signed evidence of a failure, never of a pass.
    fn failed_verification(&self) -> Option<String> {
        if self.predicate_type != SLSA_VERIFICATION_SUMMARY_V1 {
            return None;
        }
        match self
            .predicate
            .as_ref()
            .and_then(|p| p.get("verificationResult"))
        {
            Some(Value::String(s)) if s == "PASSED" => None,
            Some(other) => Some(other.to_string()),
            None => Some("missing".to_owned()),
        }
    }

    /// The commit the statement is about (see the module documentation).
    fn commit(&self) -> Result<Option<String>, String> {
        for (i, subject) in self.subject.iter().enumerate() {
            if let Some(value) = subject.digest.get("gitCommit") {
                return full_commit(value).map(Some).ok_or_else(|| {
                    format!(
                        "`subject[{i}].digest.gitCommit` is {value:?}, not a full commit id (40 or 64 hex digits)"
                    )
                });
            }
        }
        let list = match self.predicate_type.as_str() {
            SLSA_PROVENANCE_V1 => self
                .predicate
                .as_ref()
                .and_then(|p| p.pointer("/buildDefinition/resolvedDependencies")),
            SLSA_PROVENANCE_V0_2 => self.predicate.as_ref().and_then(|p| p.get("materials")),
            _ => None,
        };
        let found = list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(dependency_commit);
        Ok(found)
    }
}

/// The commit a resolved dependency (a resource descriptor) pins, if it is
/// a git source: its `gitCommit` digest, or its `sha1` under a git URI.
fn dependency_commit(dependency: &Value) -> Option<String> {
    let digest = dependency.get("digest")?;
    if let Some(commit) = digest.get("gitCommit").and_then(Value::as_str) {
        return full_commit(commit);
    }
    let uri = dependency.get("uri").and_then(Value::as_str)?;
    if uri.starts_with("git+") || uri.starts_with("git://") {
        return digest
            .get("sha1")
            .and_then(Value::as_str)
            .and_then(full_commit);
    }
    None
}

/// `value` as a full commit id (40 or 64 hex digits), lower-cased.
fn full_commit(value: &str) -> Option<String> {
    (matches!(value.len(), 40 | 64) && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}
