//! One test per rule of the C2SP signed-note specification
//! (<https://c2sp.org/signed-note>, "Format" and "Signatures"), each named
//! after the rule, then pinned trust and foreign logs' checkpoints.

use palisade_ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use palisade_ledger::merkle::{EMPTY_ROOT, MemoryTree};
use palisade_ledger::note::{MAX_SIGNATURES, Note, NoteError, NoteSignature, SignerKey};
use palisade_ledger::trust::{self, TrustError, TrustPolicy};
use palisade_ledger::{Cosignature, VerifierKey};

use crate::{b64e, log_key, seed, testdata, witness_key};

fn signed(text: &str, keys: &[&SignerKey]) -> Note {
    let mut note = Note::new(text).unwrap();
    for k in keys {
        note.sign(k).unwrap();
    }
    note
}

#[test]
fn a_note_is_text_ending_in_newline_a_blank_line_and_signature_lines() {
    let note = signed("hello\n", &[&log_key()]);
    let text = note.to_string();
    assert!(
        text.starts_with("hello\n\n\u{2014} example.com/log "),
        "{text}"
    );
    assert!(text.ends_with('\n'));
    assert_eq!(Note::parse(text.as_bytes()).unwrap(), note);
    assert_eq!(Note::new("hello"), Err(NoteError::TextNotTerminated));
    assert_eq!(Note::parse(b"hello\n"), Err(NoteError::NoSignatureBlock));
    assert_eq!(
        Note::parse(b"hello\n\n"),
        Err(NoteError::NoSignatures { line: 3 })
    );
}

#[test]
fn notes_must_be_valid_utf8() {
    assert_eq!(
        Note::parse(b"a\nb\xc3\n\n"),
        Err(NoteError::InvalidUtf8 { line: 2 })
    );
}

#[test]
fn notes_must_not_contain_control_characters_other_than_newline() {
    for (code, line) in [(0u8, 1), (9, 2), (13, 2), (0x1f, 4)] {
        let mut bytes = b"a\nb\n\n\xe2\x80\x94 k AAAAAAA=\n".to_vec();
        let at = match line {
            1 => 0,
            2 => 2,
            _ => bytes.len() - 2,
        };
        bytes.insert(at, code);
        assert_eq!(
            Note::parse(&bytes),
            Err(NoteError::ControlCharacter {
                line,
                code: u32::from(code)
            }),
            "{code}"
        );
    }
}

#[test]
fn the_text_includes_its_final_newline_and_ends_at_the_last_empty_line() {
    let note = signed("a\n\nb\n", &[&log_key()]);
    let parsed = Note::parse(note.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.text(), "a\n\nb\n");
    parsed.verify(&[log_key().verifier()]).unwrap();
}

#[test]
fn key_names_are_non_empty_without_spaces_or_plus() {
    for name in ["", "a+b", "a\u{a0}b"] {
        assert!(SignerKey::from_seed(name, seed(1)).is_err(), "{name:?}");
    }
    let sig = b64e(&[0u8; 68]);
    assert!(matches!(
        Note::parse(format!("a\n\n\u{2014} a+b {sig}\n").as_bytes()),
        Err(NoteError::SignatureName { line: 3, .. })
    ));
    assert!(matches!(
        Note::parse(format!("a\n\n\u{2014}  {sig}\n").as_bytes()),
        Err(NoteError::SignatureName { line: 3, .. })
    ));
}

#[test]
fn a_signature_is_base64_of_a_big_endian_key_id_and_the_signature() {
    let key = log_key();
    let note = signed("a\n", &[&key]);
    let line = note.signatures()[0].line();
    let b64 = line.trim_end().rsplit_once(' ').unwrap().1;
    let bytes = crate::b64(b64);
    assert_eq!(bytes[..4], key.key_id().to_be_bytes());
    assert_eq!(bytes.len(), 4 + 64);
    // Fewer than a key id and one byte is not a signature.
    let short = Note::parse(format!("a\n\n\u{2014} k {}\n", b64e(&[1, 2, 3, 4])).as_bytes());
    assert!(short.is_ok(), "kept aside, as an unknown key's");
}

#[test]
fn verifiers_accept_at_least_16_signatures_and_refuse_more_than_100() {
    let keys: Vec<SignerKey> = (0..16)
        .map(|i| SignerKey::from_seed(&format!("k{i}"), seed(100 + i)).unwrap())
        .collect();
    let refs: Vec<&SignerKey> = keys.iter().collect();
    let note = signed("a\n", &refs);
    let verifiers: Vec<VerifierKey> = keys.iter().map(SignerKey::verifier).collect();
    assert_eq!(
        Note::parse(note.to_string().as_bytes())
            .unwrap()
            .verify(&verifiers)
            .unwrap()
            .len(),
        16
    );
    let line = signed("a\n", &[&log_key()]).signatures()[0].line();
    let many = format!("a\n\n{}", line.repeat(MAX_SIGNATURES + 1));
    assert_eq!(
        Note::parse(many.as_bytes()),
        Err(NoteError::TooManySignatures {
            line: 3 + MAX_SIGNATURES,
            max: MAX_SIGNATURES
        })
    );
    let exactly = format!("a\n\n{}", line.repeat(MAX_SIGNATURES));
    assert!(Note::parse(exactly.as_bytes()).is_ok());
}

/// Key rotation: a checkpoint signed by the old and the new key of the same name
/// verifies with either. It used to be refused with the new key unknown.
#[test]
fn signatures_from_unknown_keys_are_ignored_even_if_they_share_a_name() {
    let old = log_key();
    let new = SignerKey::from_seed("example.com/log", seed(2)).unwrap();
    assert_ne!(old.key_id(), new.key_id());
    let note = signed("a\n", &[&old, &new]);
    let parsed = Note::parse(note.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.verify(&[old.verifier()]).unwrap().len(), 1);
    assert_eq!(parsed.verify(&[new.verifier()]).unwrap().len(), 1);
    // Only the new key's signature, with the old key pinned: no known signature.
    let only_new = signed("a\n", &[&new]);
    assert!(matches!(
        only_new.verify(&[old.verifier()]),
        Err(NoteError::NoKnownSignature { .. })
    ));
}

#[test]
fn signatures_from_unknown_keys_are_ignored_even_if_they_share_a_key_id() {
    let key = log_key();
    let mut note = signed("a\n", &[&key]);
    note.add_signature(NoteSignature {
        name: "other.example/log".into(),
        key_id: key.key_id(),
        signature: vec![0; 64],
    })
    .unwrap();
    assert_eq!(note.verify(&[key.verifier()]).unwrap().len(), 1);
}

#[test]
fn a_signature_by_a_known_key_must_verify_or_the_note_is_rejected() {
    let key = log_key();
    let mut forged = signed("a\n", &[&key]).signatures()[0].clone();
    forged.signature[10] ^= 1;
    let mut note = signed("a\n", &[&SignerKey::from_seed("m", seed(9)).unwrap()]);
    note.add_signature(forged).unwrap();
    note.sign(&key).unwrap();
    // One valid signature by the key does not excuse an invalid one.
    assert_eq!(
        note.verify(&[key.verifier()]),
        Err(NoteError::InvalidSignature {
            line: 4,
            name: "example.com/log".into(),
            key_id: key.key_id()
        })
    );
}

#[test]
fn a_note_without_a_verified_known_signature_is_rejected() {
    let note = signed("a\n", &[&SignerKey::from_seed("x", seed(3)).unwrap()]);
    assert_eq!(
        note.verify(&[log_key().verifier()]),
        Err(NoteError::NoKnownSignature {
            signers: vec!["x".into()]
        })
    );
    assert!(note.verify(&[]).is_err());
}

/// Go's `note.Open` decodes with `base64.StdEncoding`, which allows unused
/// trailing bits that are not zero; an unknown key's line spelt so made the whole
/// note fail here.
#[test]
fn regression_an_unknown_keys_lenient_base64_does_not_reject_the_note() {
    let key = log_key();
    let stranger = SignerKey::from_seed("stranger", seed(8)).unwrap();
    let note = signed("a\n", &[&key, &stranger]);
    let text = note.to_string();
    let line = text.lines().last().unwrap();
    let (head, sig) = line.rsplit_once(' ').unwrap();
    // 68 bytes: the last character before the `=` carries two unused bits.
    let mut chars: Vec<char> = sig.chars().collect();
    let at = chars.len() - 2;
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let value = alphabet.find(chars[at]).unwrap();
    assert_eq!(value & 3, 0);
    chars[at] = alphabet.chars().nth(value | 1).unwrap();
    let lenient: String = chars.into_iter().collect();
    let damaged = text.replace(line, &format!("{head} {lenient}"));
    let parsed = Note::parse(damaged.as_bytes()).unwrap();
    assert_eq!(parsed.verify(&[key.verifier()]).unwrap().len(), 1);
    // It prints back as it was spelt.
    assert_eq!(parsed.to_string(), damaged);
    // The same spelling by the known key is read as Go reads it: the same bytes.
    assert_eq!(parsed.signatures()[1].key_id, stranger.key_id());
}

#[test]
fn an_unknown_keys_unreadable_signature_is_ignored_but_a_known_names_is_refused() {
    let key = log_key();
    let good = signed("a\n", &[&key]).to_string();
    let with = |line: &str| format!("{good}{line}\n");
    let note = Note::parse(with("\u{2014} stranger !!!!").as_bytes()).unwrap();
    assert_eq!(note.unreadable_signatures().count(), 1);
    assert_eq!(note.verify(&[key.verifier()]).unwrap().len(), 1);
    // It prints back as it was read.
    assert_eq!(note.to_string(), with("\u{2014} stranger !!!!"));
    let note = Note::parse(with("\u{2014} example.com/log !!!!").as_bytes()).unwrap();
    assert_eq!(
        note.verify(&[key.verifier()]),
        Err(NoteError::SignatureBase64 { line: 4 })
    );
    let note = Note::parse(with(&format!("\u{2014} example.com/log {}", b64e(&[1, 2]))).as_bytes())
        .unwrap();
    assert_eq!(
        note.verify(&[key.verifier()]),
        Err(NoteError::SignatureTooShort { line: 4, len: 2 })
    );
}

#[test]
fn bad_input_gives_errors_with_positions_never_a_panic() {
    let good = signed("a\nb\n", &[&log_key()]).to_string();
    // Every truncation and every single-byte change parses or fails cleanly.
    for cut in 0..good.len() {
        let _ = Note::parse(&good.as_bytes()[..cut]);
    }
    for at in 0..good.len() {
        for b in [0u8, b'\n', b' ', 0xff, b'+'] {
            let mut bytes = good.as_bytes().to_vec();
            bytes[at] = b;
            if let Ok(n) = Note::parse(&bytes) {
                let _ = n.verify(&[log_key().verifier()]);
            }
        }
    }
    assert_eq!(
        Note::parse(&good.as_bytes()[..good.len() - 1]),
        Err(NoteError::SignatureNotTerminated { line: 4 })
    );
    assert_eq!(
        Note::parse("a\nb\n\n- x y\n".as_bytes()),
        Err(NoteError::SignaturePrefix { line: 4 })
    );
}

/// The Tessera log's 16 checkpoints, signed by another implementation, verify
/// with its published key; a damaged copy does not.
#[test]
fn tessera_checkpoints_verify_with_the_published_key() {
    let Some(dir) = testdata("tlog-tiles/tessera") else {
        return;
    };
    let key = VerifierKey::parse(
        std::fs::read_to_string(dir.join("log.vkey"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let mut checked = 0;
    let mut by_size = Vec::new();
    for entry in std::fs::read_dir(dir.join("log")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.starts_with("checkpoint") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let signed = SignedCheckpoint::open(&bytes, std::slice::from_ref(&key))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(signed.checkpoint.origin, key.name());
        assert_eq!(signed.to_string().as_bytes(), bytes, "{name} round-trips");
        by_size.push(signed);
        checked += 1;

        let mut damaged = bytes.clone();
        let at = damaged.iter().position(|&b| b == b'\n').unwrap() + 1;
        damaged[at] = if damaged[at] == b'9' { b'8' } else { b'9' };
        assert!(
            SignedCheckpoint::open(&damaged, std::slice::from_ref(&key)).is_err(),
            "{name} damaged"
        );
    }
    assert!(checked >= 16, "{checked} checkpoints");
    // All of one log: each is consistent with the next by some proof, and a proof
    // between different sizes of a different tree fails.
    by_size.sort_by_key(|s| s.checkpoint.size);
    let (first, last) = (&by_size[0], &by_size[by_size.len() - 1]);
    if first.checkpoint.size < last.checkpoint.size {
        assert!(matches!(
            trust::verify_consistency(first, last, &[]),
            Err(TrustError::Consistency { .. })
        ));
    }
}

#[test]
fn pinned_trust_checks_key_origin_and_witnesses() {
    let key = log_key();
    let w1 = witness_key("w1.example", 21);
    let w2 = witness_key("w2.example", 22);
    let mut tree = MemoryTree::new();
    for i in 0..5u8 {
        tree.append(&[i]);
    }
    let cp = Checkpoint::new("example.com/log", 5, tree.root());
    let mut signed = cp.sign(&key).unwrap();
    let cos = Cosignature::sign(&w1, &cp, 1_700_000_000).unwrap();
    signed.note.add_signature(cos.to_note_signature()).unwrap();
    let mut policy = TrustPolicy {
        log_keys: vec![key.verifier()],
        origin: Some("example.com/log".into()),
        witnesses: vec![w1.verifier()],
        min_witnesses: 1,
    };
    let trusted = policy.check(&signed).unwrap();
    assert_eq!(trusted.signers, vec![key.verifier()]);
    assert_eq!(trusted.witnesses, vec![(w1.verifier(), 1_700_000_000)]);
    policy.witnesses.push(w2.verifier());
    policy.min_witnesses = 2;
    assert!(matches!(
        policy.check(&signed),
        Err(TrustError::Witnesses {
            needed: 2,
            found: 1,
            ..
        })
    ));
    policy.min_witnesses = 0;
    policy.origin = Some("other.example/log".into());
    assert!(policy.check(&signed).is_err());
    // A key of the same name that is not pinned is not trusted.
    policy.origin = None;
    policy.log_keys = vec![
        SignerKey::from_seed("example.com/log", seed(77))
            .unwrap()
            .verifier(),
    ];
    assert!(policy.check(&signed).is_err());
}

#[test]
fn consistency_between_two_checkpoints_of_a_foreign_log() {
    let key = SignerKey::from_seed("foreign.example/log", seed(50)).unwrap();
    let mut tree = MemoryTree::new();
    for i in 0..7u8 {
        tree.append(&[i]);
    }
    let old = Checkpoint::new("foreign.example/log", 7, tree.root())
        .sign(&key)
        .unwrap();
    for i in 7..20u8 {
        tree.append(&[i]);
    }
    let new = Checkpoint::new("foreign.example/log", 20, tree.root())
        .sign(&key)
        .unwrap();
    let proof = tree.consistency_proof(7, 20).unwrap();
    let text = trust::format_proof_lines(&proof);
    let parsed = trust::parse_proof_lines(&text).unwrap();
    assert_eq!(parsed, proof);
    trust::verify_consistency(&old, &new, &parsed).unwrap();
    let mut bad = parsed.clone();
    bad[0][0] ^= 1;
    assert!(matches!(
        trust::verify_consistency(&old, &new, &bad),
        Err(TrustError::Consistency {
            size1: 7,
            size2: 20,
            ..
        })
    ));
    let other = Checkpoint::new("other.example/log", 0, EMPTY_ROOT)
        .sign(&key)
        .unwrap();
    assert!(matches!(
        trust::verify_consistency(&other, &new, &[]),
        Err(TrustError::OriginsDiffer { .. })
    ));
    assert_eq!(trust::parse_proof_lines("AAAA\n").unwrap_err().line, 1);
    assert_eq!(
        trust::parse_proof_lines(&format!("{}x", text))
            .unwrap_err()
            .line,
        parsed.len() + 1
    );
}

#[test]
fn a_trust_policy_needs_a_log_key_of_the_right_kind_and_no_more_witnesses_than_pinned() {
    use palisade_ledger::trust::PolicyError;
    let log = log_key().verifier();
    let w = witness_key("w1.example", 21).verifier();
    let policy = TrustPolicy::new(vec![log.clone()], None, vec![w.clone()], None).unwrap();
    assert_eq!(policy.min_witnesses, 1, "all pinned witnesses by default");
    assert_eq!(
        TrustPolicy::new(vec![], None, vec![], None).unwrap_err(),
        PolicyError::NoLogKey
    );
    assert!(matches!(
        TrustPolicy::new(vec![w.clone()], None, vec![], None),
        Err(PolicyError::NotALogKey { .. })
    ));
    assert!(matches!(
        TrustPolicy::new(vec![log.clone()], None, vec![log.clone()], None),
        Err(PolicyError::NotAWitnessKey { .. })
    ));
    assert_eq!(
        TrustPolicy::new(vec![log], None, vec![w], Some(2)).unwrap_err(),
        PolicyError::TooFewWitnesses { min: 2, pinned: 1 }
    );
}
