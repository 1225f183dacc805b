//! The reader never panics: not on arbitrary bytes, not on a signed envelope
//! with a byte changed, not on a signed payload of arbitrary JSON.

use palisade_gate::evidence::attestation;
use proptest::prelude::*;
use serde_json::Value;

use super::{HEAD, envelope, release_key, signers, statement};

/// Arbitrary JSON, a few levels deep, with the statement's field names
/// likely, so that the reader gets past its first checks.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("https://in-toto.io/Statement/v1".to_owned()),
            Just("https://slsa.dev/provenance/v1".to_owned()),
            Just(HEAD.to_owned()),
            Just("git+https://x".to_owned()),
            ".{0,8}",
        ]
        .prop_map(Value::String),
    ];
    let key = prop_oneof![
        Just("_type".to_owned()),
        Just("subject".to_owned()),
        Just("name".to_owned()),
        Just("digest".to_owned()),
        Just("gitCommit".to_owned()),
        Just("sha1".to_owned()),
        Just("uri".to_owned()),
        Just("predicateType".to_owned()),
        Just("predicate".to_owned()),
        Just("buildDefinition".to_owned()),
        Just("resolvedDependencies".to_owned()),
        "[a-z]{1,4}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = attestation::read("x", &bytes, &signers());
    }

    #[test]
    fn a_mutated_envelope_never_panics_nor_changes_what_it_says(
        at: prop::sample::Index,
        byte: u8,
    ) {
        let original = envelope(&statement(HEAD), "acme-release", &release_key()).to_json();
        let mut bytes = original.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(evidence) = attestation::read("x", &bytes, &signers()) {
            // Only a change outside what is signed can leave it readable.
            prop_assert_eq!(evidence.commit.as_deref(), Some(HEAD));
        }
    }
}

proptest! {
    // Each case signs two envelopes: fewer cases keep the run short.
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_signed_json_payload_never_panics(value in json()) {
        let env = envelope(&value, "acme-release", &release_key());
        let _ = super::read_with(&env, &signers());
        let mut statement = statement(HEAD);
        statement["predicate"] = value.clone();
        statement["predicateType"] = "https://slsa.dev/provenance/v1".into();
        let _ = super::read_with(&envelope(&statement, "acme-release", &release_key()), &signers());
    }

    /// Signed, a payload says exactly what the statement parser says of it alone.
    #[test]
    fn a_signed_payload_reads_as_its_statement(value in json()) {
        let env = envelope(&value, "acme-release", &release_key());
        let alone = attestation::read_statement("attestation.json", &env.payload);
        match (super::read_with(&env, &signers()), alone) {
            (Ok(e), Ok(s)) => {
                prop_assert_eq!(&super::facts(&e).subjects, &s.subjects);
                prop_assert_eq!(e.commit, s.commit);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "signed {:?}, alone {:?}", a, b),
        }
    }
}
