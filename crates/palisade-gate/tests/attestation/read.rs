//! The attestation reader: what it takes from a statement it trusts, and the
//! precise reason it gives for one it does not.

use palisade_gate::evidence::{EvidenceKind, attestation, digest};
use palisade_ledger::dsse::Signature;
use serde_json::json;

use super::{
    HEAD, OTHER, envelope, facts, key, read_with, release_key, signer, signers, statement,
};

#[track_caller]
fn error(
    result: Result<palisade_gate::evidence::Evidence, palisade_gate::evidence::EvidenceError>,
) -> (String, Option<String>) {
    let e = result.unwrap_err();
    assert_eq!(e.source_name, "attestation.json");
    (e.message, e.help)
}

#[test]
fn a_statement_signed_by_a_listed_signer_is_evidence() {
    let env = envelope(&statement(HEAD), "acme-release", &release_key());
    let bytes = env.to_json();
    let evidence = attestation::read("attestation.json", bytes.as_bytes(), &signers()).unwrap();
    assert_eq!(evidence.kind, EvidenceKind::Attestation);
    assert_eq!(evidence.source, "attestation.json");
    assert_eq!(evidence.digest, digest(bytes.as_bytes()));
    assert_eq!(evidence.commit.as_deref(), Some(HEAD));
    let f = facts(&evidence);
    assert_eq!(f.signer, "acme-release");
    assert_eq!(f.predicate_type, "https://example.com/release-check/v1");
    assert_eq!(
        f.subjects,
        vec![
            format!("registry.example.com/shop/api@sha256:{}", "a".repeat(64)),
            format!("source@gitCommit:{HEAD}"),
        ]
    );
}

#[test]
fn the_signer_is_the_one_whose_key_verified() {
    let signers = vec![
        signer("other", &key(2)),
        signer("acme-release", &release_key()),
    ];
    // No key id: every signer is tried.
    let env = envelope(&statement(HEAD), "", &release_key());
    assert_eq!(
        facts(&read_with(&env, &signers).unwrap()).signer,
        "acme-release"
    );
}

#[test]
fn statement_v0_1_is_read_too() {
    let mut s = statement(HEAD);
    s["_type"] = "https://in-toto.io/Statement/v0.1".into();
    let env = envelope(&s, "acme-release", &release_key());
    assert_eq!(
        read_with(&env, &signers()).unwrap().commit.as_deref(),
        Some(HEAD)
    );
}

#[test]
fn slsa_provenance_v1_names_its_source_commit() {
    let s = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "shop-api.tar.gz", "digest": {"sha256": "b".repeat(64)}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://example.com/build/v1",
                "externalParameters": {},
                "resolvedDependencies": [
                    {"uri": "pkg:npm/left-pad@1.3.0", "digest": {"sha512": "c".repeat(128)}},
                    {"uri": "git+https://git.example.com/acme/shop@refs/heads/main",
                     "digest": {"gitCommit": HEAD.to_uppercase()}},
                ],
            },
            "runDetails": {"builder": {"id": "https://example.com/builder"}},
        },
    });
    let env = envelope(&s, "acme-release", &release_key());
    let evidence = read_with(&env, &signers()).unwrap();
    assert_eq!(evidence.commit.as_deref(), Some(HEAD), "lower-cased");
    assert_eq!(
        facts(&evidence).predicate_type,
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(
        facts(&evidence).subjects,
        vec![format!("shop-api.tar.gz@sha256:{}", "b".repeat(64))]
    );
}

#[test]
fn a_sha1_digest_counts_as_a_commit_only_under_a_git_uri() {
    let provenance = |uri: &str| {
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": "b".repeat(64)}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {"resolvedDependencies": [
                {"uri": uri, "digest": {"sha1": OTHER}},
            ]}},
        })
    };
    let env = envelope(
        &provenance("git+https://git.example.com/acme/shop"),
        "acme-release",
        &release_key(),
    );
    assert_eq!(
        read_with(&env, &signers()).unwrap().commit.as_deref(),
        Some(OTHER)
    );
    let env = envelope(
        &provenance("https://example.com/app.tar.gz"),
        "acme-release",
        &release_key(),
    );
    assert_eq!(read_with(&env, &signers()).unwrap().commit, None);
}

#[test]
fn slsa_provenance_v0_2_materials_name_the_commit() {
    let s = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "app", "digest": {"sha256": "b".repeat(64)}}],
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {"materials": [{"uri": "git+https://git.example.com/acme/shop", "digest": {"sha1": HEAD}}]},
    });
    let env = envelope(&s, "acme-release", &release_key());
    assert_eq!(
        read_with(&env, &signers()).unwrap().commit.as_deref(),
        Some(HEAD)
    );
}

#[test]
fn an_attestation_of_another_commit_says_so() {
    // The reader reports the commit; the verdict refuses what is not the head.
    let env = envelope(&statement(OTHER), "acme-release", &release_key());
    assert_eq!(
        read_with(&env, &signers()).unwrap().commit.as_deref(),
        Some(OTHER)
    );
}

#[test]
fn an_attestation_without_a_commit_has_none() {
    let mut s = statement(HEAD);
    s["subject"].as_array_mut().unwrap().pop();
    let env = envelope(&s, "acme-release", &release_key());
    assert_eq!(read_with(&env, &signers()).unwrap().commit, None);
}

#[test]
fn a_tampered_payload_fails_with_the_signer() {
    let mut env = envelope(&statement(HEAD), "acme-release", &release_key());
    let text = String::from_utf8(env.payload.clone())
        .unwrap()
        .replace(HEAD, OTHER);
    env.payload = text.into_bytes();
    let (message, help) = error(read_with(&env, &signers()));
    assert_eq!(
        message,
        "the signature by signer `acme-release` does not verify: the envelope was changed after \
         signing, or another key signed it"
    );
    assert!(help.unwrap().contains("[[gates.signers]] `acme-release`"));
}

#[test]
fn a_forged_signature_fails() {
    let mut env = envelope(&statement(HEAD), "acme-release", &release_key());
    env.signatures[0].sig[0] ^= 0x80;
    let (message, _) = error(read_with(&env, &signers()));
    assert!(message.contains("does not verify"), "{message}");
    // Signed by someone else under the listed id.
    let env = envelope(&statement(HEAD), "acme-release", &key(7));
    let (message, _) = error(read_with(&env, &signers()));
    assert!(message.contains("does not verify"), "{message}");
}

#[test]
fn an_unknown_key_id_is_not_trusted() {
    // Even when the key under the unknown id is a listed signer's key: the
    // model pairs ids with keys, and the id is what names the signer.
    let env = envelope(&statement(HEAD), "mallory", &release_key());
    let (message, help) = error(read_with(&env, &signers()));
    assert_eq!(
        message,
        "signed only under key ids no [[gates.signers]] has: mallory"
    );
    assert!(help.unwrap().contains("add the signer to the model"));
}

#[test]
fn a_key_carried_by_the_envelope_is_not_trusted() {
    let mallory = key(9);
    let env = envelope(&statement(HEAD), "mallory", &mallory);
    let mut json: serde_json::Value = serde_json::from_str(&env.to_json()).unwrap();
    let public = hex::encode(mallory.verifier().public_key());
    json["signatures"][0]["publicKey"] = public.clone().into();
    json["signatures"][0]["keyval"] = json!({"public": public});
    let bytes = json.to_string();
    let (message, _) = error(attestation::read(
        "attestation.json",
        bytes.as_bytes(),
        &signers(),
    ));
    assert!(
        message.contains("no [[gates.signers]] has: mallory"),
        "{message}"
    );

    // The same with no key id: mallory's key is not among the signers'.
    json["signatures"][0]
        .as_object_mut()
        .unwrap()
        .remove("keyid");
    let env = palisade_ledger::dsse::Envelope::parse(json.to_string().as_bytes()).unwrap();
    let (message, _) = error(read_with(&env, &signers()));
    assert_eq!(
        message,
        "no signature verifies with the key of any [[gates.signers]] entry"
    );
}

#[test]
fn an_unsigned_envelope_is_refused() {
    let mut env = envelope(&statement(HEAD), "acme-release", &release_key());
    env.signatures.clear();
    assert_eq!(
        error(read_with(&env, &signers())).0,
        "the envelope has no signatures"
    );
    env.signatures.push(Signature {
        keyid: None,
        sig: vec![],
    });
    assert!(
        error(read_with(&env, &signers()))
            .0
            .contains("no signature verifies")
    );
}

#[test]
fn a_model_without_signers_trusts_nothing() {
    let env = envelope(&statement(HEAD), "acme-release", &release_key());
    let (message, help) = error(read_with(&env, &[]));
    assert_eq!(
        message,
        "the model lists no [[gates.signers]], so no attestation can be trusted"
    );
    assert!(help.is_some());
}

#[test]
fn a_signer_key_that_is_not_a_key_is_named() {
    let env = envelope(&statement(HEAD), "acme-release", &release_key());
    for (key, want) in [
        ("zz".repeat(32), "its key is not hex"),
        ("ab".repeat(16), "its key has 16 bytes, not 32"),
        // The identity point: every signature would verify with it.
        (format!("01{}", "00".repeat(31)), "small-order"),
    ] {
        let mut signers = signers();
        signers.push(palisade_model::Signer {
            id: "broken".into(),
            key,
            description: String::new(),
            expires: None,
        });
        let (message, help) = error(read_with(&env, &signers));
        assert!(
            message.starts_with("signer `broken` in [[gates.signers]]: "),
            "{message}"
        );
        assert!(message.contains(want), "{message}");
        assert!(help.unwrap().contains("palisade check"));
    }
    // Spaces around the hex, as the model's check allows, and capitals.
    let mut signers = signers();
    signers[0].key = format!(" {} ", signers[0].key.to_uppercase());
    assert!(read_with(&env, &signers).is_ok());
}

#[test]
fn a_payload_type_other_than_in_toto_is_refused_after_the_signature() {
    let payload = serde_json::to_vec(&statement(HEAD)).unwrap();
    let env = palisade_ledger::dsse::Envelope::sign(
        "application/json",
        payload,
        "acme-release",
        &release_key(),
    )
    .unwrap();
    let (message, _) = error(read_with(&env, &signers()));
    assert_eq!(
        message,
        "the payloadType is \"application/json\"; an attestation holds an in-toto statement, \
         `application/vnd.in-toto+json`"
    );
    // Changing the type of a signed in-toto envelope breaks the signature first.
    let mut env = envelope(&statement(HEAD), "acme-release", &release_key());
    env.payload_type = "application/json".into();
    assert!(
        error(read_with(&env, &signers()))
            .0
            .contains("does not verify")
    );
}

#[test]
fn a_payload_that_is_no_statement_says_what_is_wrong() {
    let cases = [
        (json!([1]), "payload: an in-toto statement is a JSON object"),
        (
            json!({"subject": []}),
            "payload: `_type` is missing; this is not an in-toto statement",
        ),
        (
            json!({"_type": "https://in-toto.io/Statement/v2"}),
            "payload: `_type` is \"https://in-toto.io/Statement/v2\"; an in-toto statement's is `https://in-toto.io/Statement/v1`",
        ),
        (
            json!({"_type": "https://in-toto.io/Statement/v1", "predicateType": "x"}),
            "payload: missing field `subject`",
        ),
        (
            json!({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "x"}),
            "payload: `subject` is empty: a statement must name what it is about",
        ),
        (
            json!({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a"}], "predicateType": "x"}),
            "payload: `subject[0].digest` is empty: every subject needs a digest",
        ),
        (
            json!({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha256": "ab"}}], "predicateType": ""}),
            "payload: `predicateType` is empty",
        ),
        (
            json!({"_type": "https://in-toto.io/Statement/v1", "subject": [{"digest": {"gitCommit": "abc123"}}], "predicateType": "x"}),
            "payload: `subject[0].digest.gitCommit` is \"abc123\", not a full commit id (40 or 64 hex digits)",
        ),
    ];
    for (s, want) in cases {
        let env = envelope(&s, "acme-release", &release_key());
        assert_eq!(error(read_with(&env, &signers())).0, want);
    }
    let env = palisade_ledger::dsse::Envelope::sign(
        palisade_ledger::dsse::IN_TOTO_PAYLOAD_TYPE,
        b"{not json".to_vec(),
        "acme-release",
        &release_key(),
    )
    .unwrap();
    assert!(
        error(read_with(&env, &signers()))
            .0
            .starts_with("payload: not JSON: ")
    );
}

#[test]
fn a_subject_without_name_or_sha256_is_listed_by_its_first_digest() {
    let s = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha512": "e".repeat(128), "gitTree": "f".repeat(40)}}],
        "predicateType": "https://example.com/x/v1",
    });
    let env = envelope(&s, "acme-release", &release_key());
    assert_eq!(
        facts(&read_with(&env, &signers()).unwrap()).subjects,
        vec![format!("_@gitTree:{}", "f".repeat(40))]
    );
}

#[test]
fn not_an_envelope_is_an_error_with_help() {
    for bytes in [
        &b""[..],
        b"{}",
        b"{\"payload\": \"!\", \"payloadType\": \"x\", \"signatures\": []}",
    ] {
        let e = attestation::read("attestation.json", bytes, &signers()).unwrap_err();
        assert!(e.help.unwrap().contains("DSSE envelope"), "{}", e.message);
    }
    let e = attestation::read(
        "a.json",
        b"{\"payload\": \"!\", \"payloadType\": \"x\", \"signatures\": []}",
        &signers(),
    )
    .unwrap_err();
    assert_eq!(e.message, "`payload` is not valid base64");
}

#[test]
fn the_example_model_signer_key_is_an_ed25519_key() {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    let model = palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let signers = &model.gates.signers;
    assert_eq!(signers[0].id, "acme-release");
    // Signed by some other key under its id: the key parses, the signature fails.
    let env = envelope(&statement(HEAD), "acme-release", &release_key());
    let (message, _) = error(read_with(&env, signers));
    assert!(message.contains("does not verify"), "{message}");
}

#[test]
fn the_statement_alone_reads_as_the_signed_envelope_does() {
    let s = statement(HEAD);
    let payload = serde_json::to_vec(&s).unwrap();
    let alone = attestation::read_statement("payload.json", &payload).unwrap();
    assert_eq!(
        alone,
        attestation::StatementFacts {
            predicate_type: "https://example.com/release-check/v1".to_owned(),
            subjects: vec![
                format!("registry.example.com/shop/api@sha256:{}", "a".repeat(64)),
                format!("source@gitCommit:{HEAD}"),
            ],
            commit: Some(HEAD.to_owned()),
        }
    );
    let signed = read_with(&envelope(&s, "acme-release", &release_key()), &signers()).unwrap();
    assert_eq!(signed.commit, alone.commit);
    assert_eq!(facts(&signed).subjects, alone.subjects);
    let error = attestation::read_statement("payload.json", b"[1]").unwrap_err();
    assert_eq!(error.source_name, "payload.json");
    assert_eq!(
        error.message,
        "payload: an in-toto statement is a JSON object"
    );
}
