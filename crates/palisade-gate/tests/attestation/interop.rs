//! Attestations signed by securesystemslib, with a key it generated: read
//! when the model lists that key, refused when it lists another.

use palisade_gate::evidence::attestation;
use palisade_model::Signer;

use super::{HEAD, facts, release_key, statement};

/// Signs a statement (argv 2) as an in-toto envelope with a fresh Ed25519
/// key of securesystemslib's under key id argv 1; prints the envelope JSON,
/// then the public key's hex, on two lines.
const SSLIB_SIGN: &str = r#"
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

signer = CryptoSigner.generate_ed25519(keyid=sys.argv[1])
envelope = Envelope(sys.argv[2].encode(), "application/vnd.in-toto+json", {})
envelope.sign(signer)
print(json.dumps(envelope.to_dict(), indent=2).replace("\n", " "))
print(signer.public_key.keyval["public"])
"#;

#[test]
fn a_securesystemslib_attestation_is_read_with_its_key_listed() {
    let Some(py) = palisade_test_support::tool("PALISADE_TEST_PYTHON") else {
        return;
    };
    let statement = serde_json::to_string_pretty(&statement(HEAD)).unwrap();
    let out = super::python(&py, SSLIB_SIGN, &["ci-release", &statement]);
    let (envelope, public) = out.trim().split_once('\n').unwrap();
    let listed = Signer {
        id: "ci-release".into(),
        key: public.trim().to_owned(),
        description: "release pipeline".into(),
        expires: None,
    };

    let evidence = attestation::read(
        "sslib.json",
        envelope.as_bytes(),
        std::slice::from_ref(&listed),
    )
    .unwrap();
    assert_eq!(evidence.commit.as_deref(), Some(HEAD));
    assert_eq!(facts(&evidence).signer, "ci-release");
    assert_eq!(
        facts(&evidence).predicate_type,
        "https://example.com/release-check/v1"
    );

    // The model lists another key under that id: not trusted.
    let other = Signer {
        key: hex::encode(release_key().verifier().public_key()),
        ..listed.clone()
    };
    let err = attestation::read("sslib.json", envelope.as_bytes(), &[other]).unwrap_err();
    assert!(
        err.message.contains("signer `ci-release` does not verify"),
        "{}",
        err.message
    );

    // The key is listed, but under another id: not tried.
    let renamed = Signer {
        id: "acme-release".into(),
        ..listed
    };
    let err = attestation::read("sslib.json", envelope.as_bytes(), &[renamed]).unwrap_err();
    assert_eq!(
        err.message,
        "signed only under key ids no [[gates.signers]] has: ci-release"
    );
}
