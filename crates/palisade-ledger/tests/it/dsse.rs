//! DSSE envelopes: the pre-authentication encoding, signing with the ledger
//! key, verification against pinned keys, and agreement with
//! securesystemslib's implementation, which we did not write.

use std::path::Path;
use std::process::Command;

use palisade_ledger::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE, PinnedKey, Signature, pae};
use palisade_ledger::note::{NoteError, SignerKey};
use proptest::prelude::*;

use crate::{b64e, log_key, seed, witness_key};

const STATEMENT: &[u8] = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"aa"}}],"predicateType":"https://example.com/test/v1"}"#;

fn pinned(keyid: &str, key: &SignerKey) -> PinnedKey {
    PinnedKey::new(keyid, key.verifier().public_key()).unwrap()
}

fn other_key() -> SignerKey {
    SignerKey::from_seed("example.com/other", seed(9)).unwrap()
}

fn signed() -> Envelope {
    Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        STATEMENT.to_vec(),
        "ledger",
        &log_key(),
    )
    .unwrap()
}

#[test]
fn pae_matches_the_specification_example() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
}

#[test]
fn pae_counts_bytes_not_characters() {
    // "é" is two bytes in UTF-8.
    assert_eq!(pae("é", "ü".as_bytes()), "DSSEv1 2 é 2 ü".as_bytes());
}

#[test]
fn a_signed_envelope_verifies_with_its_pinned_key() {
    let envelope = signed();
    let keys = [pinned("ledger", &log_key())];
    assert_eq!(envelope.verify(&keys).unwrap().keyid(), "ledger");
    let sig: [u8; 64] = envelope.signatures[0].sig.clone().try_into().unwrap();
    let raw = log_key().sign_raw(&envelope.pae()).unwrap();
    assert_eq!(sig, raw, "Ed25519 is deterministic");
}

#[test]
fn json_form_has_the_envelope_fields_in_standard_base64() {
    let envelope = signed();
    let json: serde_json::Value = serde_json::from_str(&envelope.to_json()).unwrap();
    assert_eq!(json["payload"], b64e(STATEMENT));
    assert_eq!(json["payloadType"], IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(json["signatures"][0]["keyid"], "ledger");
    assert_eq!(
        json["signatures"][0]["sig"],
        b64e(&envelope.signatures[0].sig)
    );
    assert_eq!(json.as_object().unwrap().len(), 3);
    // serde and `parse` agree both ways.
    let again: Envelope = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(again, envelope);
    assert_eq!(
        Envelope::parse(envelope.to_json().as_bytes()).unwrap(),
        envelope
    );
    assert_eq!(serde_json::to_value(&envelope).unwrap(), json);
}

#[test]
fn url_safe_and_unpadded_base64_are_read() {
    // 0xfb 0xff encodes as "+/8=" in standard and "-_8" unpadded URL-safe base64.
    let envelope = Envelope {
        payload: vec![0xfb, 0xff],
        payload_type: "x".into(),
        signatures: vec![],
    };
    let json = envelope.to_json();
    assert!(json.contains("\"+/8=\""), "{json}");
    let url = json.replace("+/8=", "-_8");
    assert_eq!(Envelope::parse(url.as_bytes()).unwrap(), envelope);
}

#[test]
fn bad_base64_names_the_field() {
    let mut json: serde_json::Value = serde_json::from_str(&signed().to_json()).unwrap();
    json["payload"] = "not base64!".into();
    let err = Envelope::parse(json.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        err,
        DsseError::Base64 {
            field: "payload".into()
        }
    );
    assert_eq!(err.to_string(), "`payload` is not valid base64");

    let mut json: serde_json::Value = serde_json::from_str(&signed().to_json()).unwrap();
    json["signatures"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"keyid": "x", "sig": "+-"}));
    let err = Envelope::parse(json.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        err,
        DsseError::Base64 {
            field: "signatures[1].sig".into()
        }
    );
}

#[test]
fn not_an_envelope_says_where() {
    for (text, want) in [
        ("", "line 1 column 0"),
        ("[]", "expected struct"),
        (
            r#"{"payload": "", "signatures": []}"#,
            "missing field `payloadType`",
        ),
        (r#"{"payload": 1}"#, "invalid type"),
    ] {
        let err = Envelope::parse(text.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, DsseError::Json { message } if message.contains(want)),
            "{text}: {err}"
        );
    }
}

#[test]
fn a_changed_payload_or_type_fails_with_the_key_id() {
    let keys = [pinned("ledger", &log_key())];
    let mut envelope = signed();
    envelope.payload.push(b' ');
    let err = envelope.verify(&keys).unwrap_err();
    assert_eq!(
        err,
        DsseError::BadSignature {
            keyid: "ledger".into()
        }
    );
    assert!(err.to_string().contains("does not verify"), "{err}");

    let mut envelope = signed();
    envelope.payload_type = "application/json".into();
    assert_eq!(
        envelope.verify(&keys).unwrap_err(),
        DsseError::BadSignature {
            keyid: "ledger".into()
        }
    );
}

#[test]
fn a_forged_signature_fails() {
    let keys = [pinned("ledger", &log_key())];
    let mut envelope = signed();
    envelope.signatures[0].sig[10] ^= 1;
    assert!(matches!(
        envelope.verify(&keys),
        Err(DsseError::BadSignature { .. })
    ));
    // Short, long and empty signatures are simply bad ones.
    for len in [0, 63, 65] {
        envelope.signatures[0].sig = vec![7; len];
        assert!(matches!(
            envelope.verify(&keys),
            Err(DsseError::BadSignature { .. })
        ));
    }
}

#[test]
fn another_key_under_a_pinned_key_id_fails() {
    let envelope = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        STATEMENT.to_vec(),
        "ledger",
        &other_key(),
    )
    .unwrap();
    let keys = [pinned("ledger", &log_key())];
    assert_eq!(
        envelope.verify(&keys).unwrap_err(),
        DsseError::BadSignature {
            keyid: "ledger".into()
        }
    );
}

#[test]
fn an_unknown_key_id_is_not_tried() {
    // Signed by the pinned key, but under an id no pinned key has: the id
    // narrows the keys tried, so nothing is tried.
    let envelope = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        STATEMENT.to_vec(),
        "stranger",
        &log_key(),
    )
    .unwrap();
    let keys = [pinned("ledger", &log_key())];
    let err = envelope.verify(&keys).unwrap_err();
    assert_eq!(
        err,
        DsseError::UnknownKeyId {
            keyids: vec!["stranger".into()]
        }
    );
    assert_eq!(err.to_string(), "signed only by unknown keys (stranger)");
}

#[test]
fn a_key_carried_in_the_envelope_is_never_trusted() {
    // An attacker signs with their own key and ships its public key along.
    let attacker = other_key();
    let envelope = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        STATEMENT.to_vec(),
        "ledger",
        &attacker,
    )
    .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&envelope.to_json()).unwrap();
    let public = b64e(&attacker.verifier().public_key());
    json["signatures"][0]["publicKey"] = public.clone().into();
    json["publicKey"] = public.into();
    let parsed = Envelope::parse(json.to_string().as_bytes()).unwrap();
    let keys = [pinned("ledger", &log_key())];
    assert_eq!(
        parsed.verify(&keys).unwrap_err(),
        DsseError::BadSignature {
            keyid: "ledger".into()
        }
    );
}

#[test]
fn a_signature_without_key_id_is_tried_against_every_key() {
    let mut envelope =
        Envelope::sign(IN_TOTO_PAYLOAD_TYPE, STATEMENT.to_vec(), "", &log_key()).unwrap();
    assert_eq!(envelope.signatures[0].keyid, None);
    assert!(!envelope.to_json().contains("keyid"));
    let keys = [pinned("other", &other_key()), pinned("ledger", &log_key())];
    assert_eq!(envelope.verify(&keys).unwrap().keyid(), "ledger");
    assert_eq!(
        envelope.verify(&keys[..1]).unwrap_err(),
        DsseError::NoTrustedSignature
    );
    // An empty key id in the JSON is no key id.
    envelope.signatures[0].keyid = None;
    let json = envelope
        .to_json()
        .replace("{\"sig\"", "{\"keyid\":\"\",\"sig\"");
    assert_eq!(Envelope::parse(json.as_bytes()).unwrap(), envelope);
}

#[test]
fn one_good_signature_among_bad_ones_is_enough() {
    let mut envelope = signed();
    envelope.signatures.insert(
        0,
        Signature {
            keyid: Some("ledger".into()),
            sig: vec![0; 64],
        },
    );
    envelope.signatures.insert(
        0,
        Signature {
            keyid: Some("stranger".into()),
            sig: vec![0; 64],
        },
    );
    let keys = [pinned("ledger", &log_key())];
    assert_eq!(envelope.verify(&keys).unwrap().keyid(), "ledger");
}

#[test]
fn a_rotated_key_id_may_be_pinned_twice() {
    let envelope = signed();
    let keys = [pinned("ledger", &other_key()), pinned("ledger", &log_key())];
    assert_eq!(
        envelope.verify(&keys).unwrap().public_key(),
        log_key().verifier().public_key()
    );
}

#[test]
fn no_signatures_is_its_own_error() {
    let mut envelope = signed();
    envelope.signatures.clear();
    assert_eq!(
        envelope
            .verify(&[pinned("ledger", &log_key())])
            .unwrap_err(),
        DsseError::NoSignatures
    );
}

#[test]
fn witness_keys_do_not_sign_envelopes() {
    let witness = witness_key("w.example", 3);
    assert!(matches!(
        witness.sign_raw(b"x"),
        Err(NoteError::WrongAlgorithm { .. })
    ));
    let err = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, STATEMENT.to_vec(), "w", &witness).unwrap_err();
    assert!(
        matches!(err, DsseError::Key(NoteError::WrongAlgorithm { .. })),
        "{err}"
    );
}

#[test]
fn pinned_keys_must_be_usable_points() {
    // The identity point (small order) and a y with no point on the curve.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(matches!(
        PinnedKey::new("weak", identity),
        Err(DsseError::InvalidKey { reason, .. }) if reason.contains("small-order")
    ));
    let mut off = [0u8; 32];
    off[0] = 2;
    assert!(matches!(
        PinnedKey::new("off", off),
        Err(DsseError::InvalidKey { reason, .. }) if reason.contains("curve")
    ));
}

// ---------------------------------------------------------------- securesystemslib

/// Runs `script` with the test tools' python and `args`; its stdout.
fn python(python: &Path, script: &str, args: &[&str]) -> String {
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

/// Verifies an envelope file with securesystemslib given one Ed25519 key
/// (keyid, hex); prints `ok <payloadType>` or `refused`.
const SSLIB_VERIFY: &str = r#"
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from securesystemslib.exceptions import VerificationError

envelope = Envelope.from_dict(json.load(open(sys.argv[1])))
key = SSlibKey(sys.argv[2], "ed25519", "ed25519", {"public": sys.argv[3]})
try:
    envelope.verify([key], 1)
    print("ok", envelope.payload_type)
except VerificationError:
    print("refused")
"#;

/// Signs a payload with a fresh Ed25519 key generated by securesystemslib;
/// prints the envelope JSON, then the public key hex, on two lines.
const SSLIB_SIGN: &str = r#"
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

signer = CryptoSigner.generate_ed25519(keyid=sys.argv[1])
envelope = Envelope(sys.argv[3].encode(), sys.argv[2], {})
envelope.sign(signer)
print(json.dumps(envelope.to_dict()))
print(signer.public_key.keyval["public"])
"#;

#[test]
fn securesystemslib_verifies_our_envelopes() {
    let Some(py) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envelope.json");
    let public = hex::encode(log_key().verifier().public_key());

    std::fs::write(&file, signed().to_json()).unwrap();
    let file = file.to_str().unwrap();
    let out = python(&py, SSLIB_VERIFY, &[file, "ledger", &public]);
    assert_eq!(out.trim(), format!("ok {IN_TOTO_PAYLOAD_TYPE}"));

    // A payload with bytes outside ASCII, so the lengths are in bytes.
    let envelope = Envelope::sign(
        "application/vnd.example+json",
        "«é»\n".as_bytes().to_vec(),
        "ledger",
        &log_key(),
    )
    .unwrap();
    std::fs::write(file, envelope.to_json()).unwrap();
    let out = python(&py, SSLIB_VERIFY, &[file, "ledger", &public]);
    assert_eq!(out.trim(), "ok application/vnd.example+json");

    // And it refuses what we refuse: a changed payload, another key.
    let mut changed = signed();
    changed.payload[0] = b'[';
    std::fs::write(file, changed.to_json()).unwrap();
    assert_eq!(
        python(&py, SSLIB_VERIFY, &[file, "ledger", &public]).trim(),
        "refused"
    );
    let other = hex::encode(other_key().verifier().public_key());
    std::fs::write(file, signed().to_json()).unwrap();
    assert_eq!(
        python(&py, SSLIB_VERIFY, &[file, "ledger", &other]).trim(),
        "refused"
    );
}

#[test]
fn we_verify_securesystemslib_envelopes_with_its_key_pinned() {
    let Some(py) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let payload = std::str::from_utf8(STATEMENT).unwrap();
    let out = python(
        &py,
        SSLIB_SIGN,
        &["ci-release", IN_TOTO_PAYLOAD_TYPE, payload],
    );
    let (json, public) = out.trim().split_once('\n').unwrap();
    let public: [u8; 32] = hex::decode(public).unwrap().try_into().unwrap();

    let envelope = Envelope::parse(json.as_bytes()).unwrap();
    assert_eq!(envelope.payload, STATEMENT);
    assert_eq!(envelope.payload_type, IN_TOTO_PAYLOAD_TYPE);
    let keys = [PinnedKey::new("ci-release", public).unwrap()];
    assert_eq!(envelope.verify(&keys).unwrap().keyid(), "ci-release");
    // What it wrote is what we write.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(json).unwrap(),
        serde_json::from_str::<serde_json::Value>(&envelope.to_json()).unwrap()
    );

    let wrong = [pinned("ci-release", &log_key())];
    assert_eq!(
        envelope.verify(&wrong).unwrap_err(),
        DsseError::BadSignature {
            keyid: "ci-release".into()
        }
    );
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Reading never panics, whatever the bytes.
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(envelope) = Envelope::parse(&bytes) {
            let _ = envelope.verify(&[pinned("ledger", &log_key())]);
        }
    }

    /// A changed byte of a signed envelope never panics, and a change that
    /// still verifies leaves the signed bytes as they were: it can only
    /// spell the base64 in the other alphabet or drop the unsigned key id.
    #[test]
    fn a_mutated_envelope_is_refused(at: proptest::sample::Index, byte: u8) {
        let original = signed();
        let mut json = original.to_json().into_bytes();
        let i = at.index(json.len());
        prop_assume!(json[i] != byte);
        json[i] = byte;
        if let Ok(envelope) = Envelope::parse(&json)
            && envelope.verify(&[pinned("ledger", &log_key())]).is_ok()
        {
            prop_assert_eq!(&envelope.payload, &original.payload);
            prop_assert_eq!(&envelope.payload_type, &original.payload_type);
        }
    }
}
