//! Verification summaries: the statement the gate signs, and its reading back.

use std::collections::BTreeMap;

use palisade_gate::evidence::digest;
use palisade_gate::vsa::{self, Input, Summary, VsaError};
use palisade_ledger::dsse::{IN_TOTO_PAYLOAD_TYPE, PinnedKey};
use serde_json::{Value, json};

use super::{HEAD, facts, key, read_with, signer};

/// The ledger's key, which signs summaries.
fn ledger_key() -> palisade_ledger::SignerKey {
    key(5)
}

fn summary(passed: bool) -> Summary {
    Summary {
        verifier_id: "https://palisade.example.com/gate".into(),
        time_verified: "2026-03-04T05:06:07Z".parse().unwrap(),
        resource_uri: "git+https://git.example.com/acme/shop".into(),
        commit: HEAD.into(),
        policy_uri: "https://git.example.com/acme/platform/palisade.toml".into(),
        policy_digest: digest(b"model"),
        inputs: vec![
            Input {
                uri: "junit.xml".into(),
                digest: digest(b"junit"),
            },
            Input {
                uri: "attestation.json".into(),
                digest: digest(b"attestation"),
            },
        ],
        passed,
        verified_levels: vec!["PALISADE_GATE_TIER_HIGH".into()],
        dependency_levels: BTreeMap::new(),
    }
}

fn statement_of(summary: &Summary) -> Value {
    serde_json::from_slice(&vsa::statement(summary).unwrap()).unwrap()
}

#[test]
fn a_passed_summary_has_every_field_of_the_specification() {
    let s = statement_of(&summary(true));
    assert_eq!(
        s,
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{
                "name": "git+https://git.example.com/acme/shop",
                "digest": {"gitCommit": HEAD},
            }],
            "predicateType": "https://slsa.dev/verification_summary/v1",
            "predicate": {
                "verifier": {"id": "https://palisade.example.com/gate"},
                "timeVerified": "2026-03-04T05:06:07Z",
                "resourceUri": "git+https://git.example.com/acme/shop",
                "policy": {
                    "uri": "https://git.example.com/acme/platform/palisade.toml",
                    "digest": {"sha256": digest(b"model").trim_start_matches("sha256:")},
                },
                "inputAttestations": [
                    {"uri": "junit.xml", "digest": {"sha256": digest(b"junit").trim_start_matches("sha256:")}},
                    {"uri": "attestation.json", "digest": {"sha256": digest(b"attestation").trim_start_matches("sha256:")}},
                ],
                "verificationResult": "PASSED",
                "verifiedLevels": ["PALISADE_GATE_TIER_HIGH"],
                "slsaVersion": "1.0",
            },
        })
    );
}

#[test]
fn a_failed_summary_has_the_failed_level_only() {
    let s = statement_of(&summary(false));
    assert_eq!(s["predicate"]["verificationResult"], "FAILED");
    assert_eq!(s["predicate"]["verifiedLevels"], json!(["FAILED"]));
}

#[test]
fn optional_parts_appear_when_given() {
    let mut sum = summary(true);
    sum.inputs.clear();
    sum.dependency_levels.insert("SLSA_BUILD_LEVEL_3".into(), 4);
    sum.verified_levels = vec!["SLSA_BUILD_LEVEL_2".into(), "PALISADE_GATE_TIER_LOW".into()];
    sum.time_verified = "2026-03-04T05:06:07.25Z".parse().unwrap();
    let s = statement_of(&sum);
    let p = s["predicate"].as_object().unwrap();
    assert!(
        !p.contains_key("inputAttestations"),
        "absent when there are none"
    );
    assert_eq!(p["dependencyLevels"], json!({"SLSA_BUILD_LEVEL_3": 4}));
    assert_eq!(p["timeVerified"], "2026-03-04T05:06:07.25Z");
}

#[test]
fn a_summary_that_cannot_be_written_says_why() {
    let mut sum = summary(true);
    sum.verified_levels = vec!["SLSA_GATE_HIGH".into()];
    assert_eq!(
        vsa::statement(&sum).unwrap_err(),
        VsaError::ReservedLevel {
            level: "SLSA_GATE_HIGH".into()
        }
    );
    let mut sum = summary(true);
    sum.commit = "3f78685".into();
    assert!(matches!(vsa::statement(&sum), Err(VsaError::Commit { .. })));
    let mut sum = summary(true);
    sum.inputs[1].digest = "deadbeef".into();
    let err = vsa::statement(&sum).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input 1 (attestation.json): \"deadbeef\" is not a digest written `<algorithm>:<value>`"
    );
    let mut sum = summary(true);
    sum.verifier_id = " ".into();
    assert_eq!(
        vsa::statement(&sum).unwrap_err(),
        VsaError::Empty {
            field: "verifier id"
        }
    );
    // A witness key does not sign.
    let witness = palisade_ledger::SignerKey::with_algorithm(
        "w.example",
        palisade_ledger::note::Algorithm::CosignatureV1,
        [3; 32],
    )
    .unwrap();
    assert!(matches!(
        vsa::sign(&summary(true), "w", &witness),
        Err(VsaError::Sign(_))
    ));
}

#[test]
fn a_signed_summary_verifies_and_reads_back_as_evidence_of_the_head() {
    let env = vsa::sign(&summary(true), "palisade-ledger", &ledger_key()).unwrap();
    assert_eq!(env.payload_type, IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(env.payload, vsa::statement(&summary(true)).unwrap());
    let pinned = [PinnedKey::new("palisade-ledger", ledger_key().verifier().public_key()).unwrap()];
    env.verify(&pinned).unwrap();

    // A gate that lists this gate's ledger key reads the summary as evidence.
    let evidence = read_with(&env, &[signer("palisade-ledger", &ledger_key())]).unwrap();
    assert_eq!(evidence.commit.as_deref(), Some(HEAD));
    let f = facts(&evidence);
    assert_eq!(f.predicate_type, vsa::PREDICATE_TYPE);
    assert_eq!(
        f.subjects,
        vec![format!(
            "git+https://git.example.com/acme/shop@gitCommit:{HEAD}"
        )]
    );
}

#[test]
fn a_failed_summary_is_not_evidence_of_a_pass() {
    let env = vsa::sign(&summary(false), "palisade-ledger", &ledger_key()).unwrap();
    let err = read_with(&env, &[signer("palisade-ledger", &ledger_key())]).unwrap_err();
    assert_eq!(
        err.message,
        "payload: the verification summary's verificationResult is \"FAILED\": it vouches \
         against its subject, not for it"
    );
}

/// Verifies a VSA envelope with securesystemslib given the key (keyid,
/// hex), then checks the statement's fields the SLSA specification
/// requires; prints the result and levels.
const SSLIB_VERIFY_VSA: &str = r#"
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from securesystemslib.exceptions import VerificationError

envelope = Envelope.from_dict(json.load(open(sys.argv[1])))
key = SSlibKey(sys.argv[2], "ed25519", "ed25519", {"public": sys.argv[3]})
try:
    envelope.verify([key], 1)
except VerificationError:
    print("refused")
    sys.exit(0)
assert envelope.payload_type == "application/vnd.in-toto+json"
s = json.loads(envelope.payload)
assert s["_type"] == "https://in-toto.io/Statement/v1"
assert s["predicateType"] == "https://slsa.dev/verification_summary/v1"
p = s["predicate"]
for field in ["verifier", "timeVerified", "resourceUri", "policy", "verificationResult", "verifiedLevels"]:
    assert field in p, field
assert p["verifier"]["id"]
assert p["policy"]["uri"] and p["policy"]["digest"]
for a in p.get("inputAttestations", []):
    assert a["digest"], a
assert p["verificationResult"] in ("PASSED", "FAILED")
assert all(not l.startswith("SLSA_") or l.startswith("SLSA_BUILD_LEVEL_") for l in p["verifiedLevels"])
assert s["subject"][0]["name"] == p["resourceUri"]
from datetime import datetime
datetime.fromisoformat(p["timeVerified"].replace("Z", "+00:00"))
print(p["verificationResult"], s["subject"][0]["digest"]["gitCommit"], " ".join(p["verifiedLevels"]))
"#;

#[test]
fn securesystemslib_verifies_our_summaries() {
    let Some(py) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vsa.json");
    let file_str = file.to_str().unwrap();
    let public = hex::encode(ledger_key().verifier().public_key());

    for (passed, want) in [
        (true, format!("PASSED {HEAD} PALISADE_GATE_TIER_HIGH")),
        (false, format!("FAILED {HEAD} FAILED")),
    ] {
        let env = vsa::sign(&summary(passed), "palisade-ledger", &ledger_key()).unwrap();
        std::fs::write(&file, env.to_json()).unwrap();
        let out = super::python(
            &py,
            SSLIB_VERIFY_VSA,
            &[file_str, "palisade-ledger", &public],
        );
        assert_eq!(out.trim(), want);
    }

    // The verdict cannot be turned around without the key.
    let mut env = vsa::sign(&summary(false), "palisade-ledger", &ledger_key()).unwrap();
    env.payload = String::from_utf8(env.payload)
        .unwrap()
        .replace("FAILED", "PASSED")
        .into_bytes();
    std::fs::write(&file, env.to_json()).unwrap();
    let out = super::python(
        &py,
        SSLIB_VERIFY_VSA,
        &[file_str, "palisade-ledger", &public],
    );
    assert_eq!(out.trim(), "refused");
}
