//! C2SP signed notes: keys, the text format, signing and verification.

use palisade_ledger::note::{
    Algorithm, KeyError, MAX_SIGNATURES, Note, NoteError, NoteSignature, SignerKey, VerifierKey,
    key_id,
};
use sha2::{Digest, Sha256};

use crate::{b64, b64e, log_key, seed, witness_key};

/// The example key pair and note of Go's `golang.org/x/mod/sumdb/note`
/// documentation: Ed25519 is deterministic, so our signature must be
/// byte-identical to the reference implementation's.
const GO_SIGNER: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VERIFIER: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n\
                       \n\
                       \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn reference_implementation_example() {
    let signer = SignerKey::parse(GO_SIGNER).unwrap();
    let verifier = VerifierKey::parse(GO_VERIFIER).unwrap();
    assert_eq!(signer.verifier(), verifier);
    assert_eq!(signer.private_key_text(), GO_SIGNER);
    assert_eq!(verifier.to_string(), GO_VERIFIER);
    assert_eq!(signer.key_id(), 0xc74f20a3);

    let parsed = Note::parse(GO_NOTE.as_bytes()).unwrap();
    assert_eq!(parsed.to_string(), GO_NOTE);
    let keys = [verifier];
    assert_eq!(parsed.verify(&keys).unwrap(), vec![&keys[0]]);

    let text = GO_NOTE.split("\n\n").next().unwrap().to_owned() + "\n";
    let mut note = Note::new(text).unwrap();
    note.sign(&signer).unwrap();
    assert_eq!(note.to_string(), GO_NOTE);
}

#[test]
fn key_ids_hash_name_newline_algorithm_and_key() {
    let key = log_key();
    let public = key.verifier().public_key();
    let mut msg = b"example.com/log\n\x01".to_vec();
    msg.extend_from_slice(&public);
    let digest = Sha256::digest(&msg);
    let expected = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    assert_eq!(key.key_id(), expected);
    assert_eq!(
        key_id("example.com/log", Algorithm::Ed25519, &public),
        expected
    );
    assert_ne!(
        key_id("example.com/log", Algorithm::CosignatureV1, &public),
        expected
    );
}

#[test]
fn key_texts_round_trip() {
    let key = log_key();
    let private = key.private_key_text();
    assert!(private.starts_with(&format!(
        "PRIVATE+KEY+example.com/log+{:08x}+",
        key.key_id()
    )));
    assert_eq!(b64(private.splitn(5, '+').nth(4).unwrap())[0], 0x01);
    let again = SignerKey::parse(&private).unwrap();
    assert_eq!(again.private_key_text(), private);
    assert_eq!(again.verifier(), key.verifier());

    let public = key.verifier().to_string();
    assert_eq!(
        public,
        format!("example.com/log+{:08x}+{}", key.key_id(), {
            let mut bytes = vec![0x01];
            bytes.extend_from_slice(&key.verifier().public_key());
            b64e(&bytes)
        })
    );
    assert_eq!(VerifierKey::parse(&public).unwrap(), key.verifier());
    // Upper-case hex is read too, and written lower-case.
    let upper = public.replacen(
        &format!("{:08x}", key.key_id()),
        &format!("{:08X}", key.key_id()),
        1,
    );
    assert_eq!(VerifierKey::parse(&upper).unwrap().to_string(), public);
}

#[test]
fn debug_of_a_signer_never_shows_the_seed() {
    let key = log_key();
    let debug = format!("{key:?} {key:#?}");
    let seed = seed(1);
    let private = key.private_key_text();
    let secret = private.splitn(5, '+').nth(4).unwrap();
    assert!(!debug.contains(secret), "{debug}");
    assert!(!debug.contains(&b64e(&seed)), "{debug}");
    assert!(!debug.contains(&format!("{:?}", seed)), "{debug}");
    assert!(
        !debug.contains(
            &format!("{:?}", &seed[..8])
                .trim_end_matches(']')
                .to_string()
        ),
        "{debug}"
    );
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!debug.contains(&hex[..16]), "{debug}");
    assert!(
        debug.contains("example.com/log") && debug.contains("redacted"),
        "{debug}"
    );
}

#[test]
fn key_names_are_checked() {
    for (name, reason) in [
        ("", "is empty"),
        ("a+b", "contains '+'"),
        ("a b", "contains whitespace"),
        ("a\u{a0}b", "contains whitespace"),
        ("a\tb", "contains whitespace"),
        ("a\u{7}b", "contains a control character"),
    ] {
        let err = SignerKey::from_seed(name, seed(2)).unwrap_err();
        assert_eq!(
            err,
            NoteError::Key(KeyError::Name {
                name: name.into(),
                reason
            })
        );
    }
}

#[test]
fn malformed_keys_say_what_is_wrong() {
    let good = log_key().verifier().to_string();
    let (name, rest) = good.split_once('+').unwrap();
    let (id, material) = rest.split_once('+').unwrap();
    let cases = [
        (
            "no fields".to_owned(),
            "malformed key: a verifier key must be <name>+<key id>+<key>",
        ),
        (
            format!("{name}+{id}"),
            "malformed key: a verifier key must be <name>+<key id>+<key>",
        ),
        (
            format!("{name}+1234+{material}"),
            "malformed key: the key id must be 8 hexadecimal digits",
        ),
        (
            format!("{name}+zzzzzzzz+{material}"),
            "malformed key: the key id must be 8 hexadecimal digits",
        ),
        (
            format!("{name}+{id}+!!"),
            "malformed key: the key is not valid base64",
        ),
        (
            format!("{name}+{id}+{}", b64e(&[1, 2, 3])),
            "malformed key: an Ed25519 key must be 32 bytes",
        ),
        (
            format!("{name}+{id}+{}", b64e(&[9; 33])),
            "unsupported key algorithm 0x09",
        ),
        (
            format!("{name}+00000000+{material}"),
            "does not match the key",
        ),
        (format!("other+{id}+{material}"), "does not match the key"),
    ];
    for (text, message) in cases {
        let err = VerifierKey::parse(&text).unwrap_err();
        assert!(err.to_string().contains(message), "{text}: {err}");
    }
    let err = SignerKey::parse("PRIVATE+KEY+x").unwrap_err();
    assert!(
        err.to_string()
            .contains("PRIVATE+KEY+<name>+<key id>+<key>"),
        "{err}"
    );
    let err = SignerKey::parse(&good).unwrap_err();
    assert!(err.to_string().contains("must start with"), "{err}");
}

fn signed(text: &str, keys: &[&SignerKey]) -> Note {
    let mut note = Note::new(text).unwrap();
    for key in keys {
        note.sign(key).unwrap();
    }
    note
}

#[test]
fn notes_round_trip_through_text() {
    let other = SignerKey::from_seed("other", seed(3)).unwrap();
    let note = signed("hello\n\nworld\n", &[&log_key(), &other]);
    let text = note.to_string();
    assert!(text.starts_with("hello\n\nworld\n\n\u{2014} example.com/log "));
    assert_eq!(text.lines().count(), 6);
    let parsed = Note::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed, note);
    assert_eq!(parsed.text(), "hello\n\nworld\n");
    assert_eq!(parsed.signatures()[1].name, "other");
    assert_eq!(parsed.signatures()[1].signature.len(), 64);
}

#[test]
fn verification_policy() {
    let log = log_key();
    let stranger = SignerKey::from_seed("stranger", seed(4)).unwrap();
    let keys = [log.verifier()];

    // Unknown signers are ignored when a known one signed.
    let note = signed("text\n", &[&stranger, &log]);
    assert_eq!(note.verify(&keys).unwrap().len(), 1);

    // Only unknown signers: refused, naming who did sign.
    let note = signed("text\n", &[&stranger]);
    assert_eq!(
        note.verify(&keys),
        Err(NoteError::NoKnownSignature {
            signers: vec!["stranger".into()]
        })
    );

    // A known name with another key id is another key: ignored, not an error.
    let impostor = SignerKey::from_seed("example.com/log", seed(5)).unwrap();
    let note = signed("text\n", &[&log, &impostor]);
    assert_eq!(note.verify(&keys).unwrap(), vec![&keys[0]]);

    // A known key whose signature does not verify is an error.
    let mut note = signed("text\n", &[&log]);
    let mut forged = note.signatures()[0].clone();
    forged.signature[0] ^= 1;
    let mut bad = Note::new("text\n").unwrap();
    bad.add_signature(forged).unwrap();
    assert_eq!(
        bad.verify(&keys),
        Err(NoteError::InvalidSignature {
            line: 3,
            name: "example.com/log".into(),
            key_id: log.key_id(),
        })
    );
    // So is a valid signature of other text.
    let other_text = signed("other\n", &[&log]).signatures()[0].clone();
    note = Note::new("text\n").unwrap();
    note.add_signature(other_text).unwrap();
    assert!(matches!(
        note.verify(&keys),
        Err(NoteError::InvalidSignature { .. })
    ));

    // Several known keys: all that signed are returned, once each.
    let second = SignerKey::from_seed("mirror", seed(6)).unwrap();
    let keys = [log.verifier(), second.verifier()];
    let note = signed("text\n", &[&log, &second, &log]);
    assert_eq!(note.verify(&keys).unwrap(), vec![&keys[0], &keys[1]]);
}

#[test]
fn witness_keys_do_not_sign_notes() {
    let witness = witness_key("witness", 7);
    let mut note = Note::new("text\n").unwrap();
    assert!(matches!(
        note.sign(&witness),
        Err(NoteError::WrongAlgorithm { .. })
    ));
}

#[test]
fn note_text_rules() {
    assert_eq!(Note::new(""), Err(NoteError::EmptyText));
    assert_eq!(Note::new("no newline"), Err(NoteError::TextNotTerminated));
    assert_eq!(
        Note::new("a\nb\tc\n"),
        Err(NoteError::ControlCharacter { line: 2, code: 9 })
    );
}

#[test]
fn malformed_notes_say_what_and_where() {
    let good = signed("origin\n2\nroot\n", &[&log_key()]).to_string();
    let sig_line = good.lines().nth(4).unwrap().to_owned();
    let (_, sig_b64) = sig_line.rsplit_once(' ').unwrap();
    let cases: Vec<(Vec<u8>, NoteError)> = vec![
        (
            b"text\n\xff\n\n".to_vec(),
            NoteError::InvalidUtf8 { line: 2 },
        ),
        (
            b"a\nb\rc\n\n".to_vec(),
            NoteError::ControlCharacter { line: 2, code: 13 },
        ),
        (b"text\n".to_vec(), NoteError::NoSignatureBlock),
        (b"text\n\n".to_vec(), NoteError::NoSignatures { line: 3 }),
        (
            format!("a\nb\n\n{sig_line}").into_bytes(),
            NoteError::SignatureNotTerminated { line: 4 },
        ),
        (
            format!("a\nb\n\n{sig_line}\n- x y\n").into_bytes(),
            NoteError::SignaturePrefix { line: 5 },
        ),
        (
            "a\n\n\u{2014} nameonly\n".as_bytes().to_vec(),
            NoteError::SignatureFields { line: 3 },
        ),
        (
            format!("a\n\n\u{2014} a+b {sig_b64}\n").into_bytes(),
            NoteError::SignatureName {
                line: 3,
                name: "a+b".into(),
                reason: "contains '+'",
            },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            Note::parse(&bytes),
            Err(expected),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    let many = format!(
        "a\n\n{}",
        format!("{sig_line}\n").repeat(MAX_SIGNATURES + 1)
    );
    assert_eq!(
        Note::parse(many.as_bytes()),
        Err(NoteError::TooManySignatures {
            line: 3 + MAX_SIGNATURES,
            max: MAX_SIGNATURES
        })
    );
    let exactly = format!("a\n\n{}", format!("{sig_line}\n").repeat(MAX_SIGNATURES));
    assert_eq!(
        Note::parse(exactly.as_bytes()).unwrap().signatures().len(),
        MAX_SIGNATURES
    );
}

#[test]
fn signature_lines_are_em_dash_name_base64() {
    let sig = NoteSignature {
        name: "n".into(),
        key_id: 0x01020304,
        signature: vec![5, 6],
    };
    assert_eq!(sig.line(), "\u{2014} n AQIDBAUG\n");
    assert_eq!(
        NoteSignature::parse_line("\u{2014} n AQIDBAUG", 1).unwrap(),
        sig
    );
}

/// A verifier key text with the key id its name and bytes give, whatever the bytes.
fn key_with_matching_id(name: &str, material: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update(material);
    let id: String = hasher.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{name}+{id}+{}", b64e(material))
}

/// The first `y` (as 32 little-endian bytes) that is no Ed25519 point, as the ledger's
/// Ed25519 implementation decodes keys.
fn off_curve() -> [u8; 32] {
    (2u8..)
        .map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            bytes
        })
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .unwrap()
}

/// `check` parsed witness keys leniently and the ledger strictly, so `check` passed keys
/// that every `palisade ledger` command then refused. Both now use one parser: such keys
/// are refused by both, for the same reason.
#[test]
fn regression_check_and_the_ledger_refuse_the_same_witness_keys_for_the_same_reason() {
    let model = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../palisade-model/tests/fixtures/valid/minimal.toml"),
    )
    .unwrap();
    let today = palisade_model::Day(jiff::civil::date(2026, 11, 22));
    let with_witness = |name: &str, key: &str| {
        let witness = format!(
            "\n[[org.witnesses]]\nname = {}\nkey = {}\n",
            serde_json::to_string(name).unwrap(),
            serde_json::to_string(key).unwrap()
        );
        let text = model.replacen(
            "log_name = \"minimal.example/palisade\"\n",
            &format!("log_name = \"minimal.example/palisade\"\n{witness}"),
            1,
        );
        palisade_model::check(&palisade_model::Source::new("m.toml", text), today)
    };
    let point = witness_key("w.example", 3).verifier().public_key();
    let with_algorithm = |alg: u8, key: &[u8; 32]| {
        let mut material = vec![alg];
        material.extend_from_slice(key);
        material
    };
    let cases = [
        // An algorithm byte that is neither Ed25519 (1) nor cosignature/v1 (4).
        (
            "w.example",
            with_algorithm(2, &point),
            "unsupported key algorithm 0x02",
        ),
        // A control character in the name (not whitespace).
        (
            "w\u{7}x",
            with_algorithm(4, &point),
            "contains a control character",
        ),
        // 32 bytes that are no point of the curve.
        (
            "w.example",
            with_algorithm(4, &off_curve()),
            "not a valid Ed25519 public key",
        ),
    ];
    for (name, material, reason) in cases {
        let key = key_with_matching_id(name, &material);
        let refused = VerifierKey::parse(&key).unwrap_err().to_string();
        assert!(refused.contains(reason), "{key:?}: {refused}");
        let checked = with_witness(name, &key);
        let messages: Vec<&str> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code == "invalid-witness-key")
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [format!(
                "witness `{name}` has an invalid verifier key: {refused}"
            )],
            "{key:?}"
        );
    }
    // And a good key passes both.
    let good = witness_key("w.example", 3).verifier().to_string();
    assert!(VerifierKey::parse(&good).is_ok());
    assert_eq!(with_witness("w.example", &good).diagnostics, vec![]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    /// The model's curve check, which `check` runs without an Ed25519 library, decides
    /// exactly as the ledger's Ed25519 library decodes a public key.
    #[test]
    fn the_models_curve_check_agrees_with_ed25519_dalek(
        bytes in proptest::prelude::any::<[u8; 32]>(),
        top in 0u8..=255,
    ) {
        // Half the cases near the top of the range, where y >= p wraps around.
        let mut bytes = bytes;
        if top % 2 == 0 {
            bytes[1..31].fill(0xff);
            bytes[31] = 0x7f | (top & 0x80);
        }
        proptest::prop_assert_eq!(
            palisade_model::note_key::is_ed25519_point(&bytes),
            ed25519_dalek::VerifyingKey::from_bytes(&bytes).is_ok(),
            "{:02x?}", bytes
        );
    }
}
