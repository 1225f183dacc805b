//! Signed attestations: the reader of in-toto statements in DSSE envelopes,
//! trusted only through the model's signers, and the verification summaries
//! the gate signs; both checked against securesystemslib, which we did not
//! write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod interop;
mod props;
mod read;
mod vsa;

use std::path::Path;
use std::process::Command;

use palisade_gate::evidence::{AttestationFacts, Evidence, EvidenceError, Facts, attestation};
use palisade_ledger::SignerKey;
use palisade_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use palisade_model::Signer;
use serde_json::{Value, json};

/// The head commit the tests' attestations are about.
pub const HEAD: &str = "3f786850e387550fdab836ed7e6dc881de23001b";
/// Another commit.
pub const OTHER: &str = "89e6c98d92887913cadf06b2adb97f26cde4849b";

/// A deterministic signing key.
pub fn key(n: u8) -> SignerKey {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = n.wrapping_mul(37).wrapping_add(i as u8);
    }
    SignerKey::from_seed(&format!("key{n}.example.com"), seed).unwrap()
}

/// The release pipeline's key, as the model lists it.
pub fn release_key() -> SignerKey {
    key(1)
}

/// A model signer for `key`.
pub fn signer(id: &str, key: &SignerKey) -> Signer {
    Signer {
        id: id.to_owned(),
        key: hex::encode(key.verifier().public_key()),
        description: String::new(),
        expires: None,
    }
}

/// The model's signers: the release pipeline only.
pub fn signers() -> Vec<Signer> {
    vec![signer("acme-release", &release_key())]
}

/// An in-toto v1 statement about an image and `commit`.
pub fn statement(commit: &str) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": "registry.example.com/shop/api", "digest": {"sha256": "a".repeat(64)}},
            {"name": "source", "digest": {"gitCommit": commit}},
        ],
        "predicateType": "https://example.com/release-check/v1",
        "predicate": {"checked": true},
    })
}

/// `statement` signed by `key` under `keyid`.
pub fn envelope(statement: &Value, keyid: &str, key: &SignerKey) -> Envelope {
    Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        serde_json::to_vec(statement).unwrap(),
        keyid,
        key,
    )
    .unwrap()
}

/// Reads `envelope` against `signers`.
pub fn read_with(envelope: &Envelope, signers: &[Signer]) -> Result<Evidence, EvidenceError> {
    attestation::read("attestation.json", envelope.to_json().as_bytes(), signers)
}

/// The facts of an attestation.
pub fn facts(evidence: &Evidence) -> &AttestationFacts {
    match &evidence.facts {
        Facts::Attestation(f) => f,
        other => panic!("not an attestation: {other:?}"),
    }
}

/// Runs `script` with the test tools' python and `args`; its stdout.
pub fn python(python: &Path, script: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check.py");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(python).arg(&path).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
