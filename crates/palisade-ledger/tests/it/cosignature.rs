//! C2SP `cosignature/v1` witness cosignatures.

use palisade_ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use palisade_ledger::cosignature::{
    Cosignature, CosignatureError, signed_message, verify_cosignatures,
};
use palisade_ledger::merkle::leaf_hash;
use palisade_ledger::note::{Algorithm, NoteError, VerifierKey};

use crate::{b64, log_key, witness_key};

fn checkpoint() -> Checkpoint {
    Checkpoint::new("example.com/log", 7, leaf_hash(b"seven"))
}

#[test]
fn the_signed_message_prefixes_the_checkpoint_body() {
    let body = checkpoint().body();
    assert_eq!(
        String::from_utf8(signed_message(&body, 1_700_000_000)).unwrap(),
        format!("cosignature/v1\ntime 1700000000\n{body}")
    );
}

#[test]
fn cosignatures_verify_and_round_trip() {
    let witness = witness_key("witness.example/w1", 10);
    assert_eq!(witness.algorithm(), Algorithm::CosignatureV1);
    let verifier = witness.verifier();
    // The verifier key text carries algorithm byte 0x04.
    let text = verifier.to_string();
    assert_eq!(b64(text.splitn(3, '+').nth(2).unwrap())[0], 0x04);
    assert_eq!(VerifierKey::parse(&text).unwrap(), verifier);

    let cp = checkpoint();
    let cosig = Cosignature::sign(&witness, &cp, 1_700_000_000).unwrap();
    cosig.verify(&cp.body(), &verifier).unwrap();

    // The line: em dash, name, base64 of key id || timestamp || signature.
    let line = cosig.line();
    let (_, sig) = line.trim_end().rsplit_once(' ').unwrap();
    let bytes = b64(sig);
    assert_eq!(bytes.len(), 4 + 8 + 64);
    assert_eq!(&bytes[..4], &witness.key_id().to_be_bytes());
    assert_eq!(&bytes[4..12], &1_700_000_000u64.to_be_bytes());
    assert_eq!(Cosignature::parse_line(&line).unwrap(), cosig);
    assert_eq!(Cosignature::parse_line(line.trim_end()).unwrap(), cosig);
}

#[test]
fn a_changed_time_or_checkpoint_breaks_the_cosignature() {
    let witness = witness_key("w", 11);
    let cp = checkpoint();
    let cosig = Cosignature::sign(&witness, &cp, 100).unwrap();
    let mut later = cosig.clone();
    later.timestamp = 101;
    assert_eq!(
        later.verify(&cp.body(), &witness.verifier()),
        Err(CosignatureError::Invalid {
            name: "w".into(),
            key_id: witness.key_id(),
            timestamp: 101
        })
    );
    let other = Checkpoint::new("example.com/log", 8, cp.root);
    assert!(cosig.verify(&other.body(), &witness.verifier()).is_err());
    // A note-signing key with the same seed is another key.
    let as_log_key = palisade_ledger::note::SignerKey::from_seed("w", crate::seed(11))
        .unwrap()
        .verifier();
    assert!(matches!(
        cosig.verify(&cp.body(), &as_log_key),
        Err(CosignatureError::Note(NoteError::WrongAlgorithm { .. }))
    ));
    assert!(matches!(
        cosig.verify(&cp.body(), &witness_key("w2", 12).verifier()),
        Err(CosignatureError::OtherKey { .. })
    ));
    // Log keys cannot cosign.
    assert!(matches!(
        Cosignature::sign(&log_key(), &cp, 1),
        Err(CosignatureError::Note(NoteError::WrongAlgorithm { .. }))
    ));
}

#[test]
fn a_cosigned_checkpoint_note_verifies_for_log_and_witnesses() {
    let log = log_key();
    let (w1, w2, w3) = (
        witness_key("w1", 21),
        witness_key("w2", 22),
        witness_key("w3", 23),
    );
    let cp = checkpoint();
    let mut signed = cp.sign(&log).unwrap();
    for (w, t) in [(&w1, 10), (&w2, 20), (&w3, 30)] {
        let cosig = Cosignature::sign(w, &cp, t).unwrap();
        signed
            .note
            .add_signature(cosig.to_note_signature())
            .unwrap();
    }
    let text = signed.to_string();
    let parsed = SignedCheckpoint::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed.note.signatures().len(), 4);

    // The log key verifies the note; witness signatures are ignored by it,
    // even when witness keys are in the set.
    let keys = [log.verifier(), w1.verifier()];
    assert_eq!(parsed.verify(&keys).unwrap(), vec![&keys[0]]);

    // Known witnesses are checked; an unknown one (w3) is ignored.
    let witnesses = [w1.verifier(), w2.verifier(), log.verifier()];
    let cosigned = verify_cosignatures(&parsed.note, &witnesses).unwrap();
    assert_eq!(cosigned, vec![(&witnesses[0], 10), (&witnesses[1], 20)]);

    // A corrupted cosignature of a known witness is an error.
    let corrupted = text.replacen(
        &Cosignature::sign(&w2, &cp, 20).unwrap().line(),
        &{
            let mut c = Cosignature::sign(&w2, &cp, 20).unwrap();
            c.signature[5] ^= 0x40;
            c.line()
        },
        1,
    );
    let parsed = SignedCheckpoint::parse(corrupted.as_bytes()).unwrap();
    assert!(matches!(
        verify_cosignatures(&parsed.note, &witnesses),
        Err(CosignatureError::Invalid { .. })
    ));
}

#[test]
fn malformed_cosignature_lines() {
    let err = Cosignature::parse_line("- w AAAA").unwrap_err();
    assert_eq!(
        err,
        CosignatureError::Note(NoteError::SignaturePrefix { line: 1 })
    );
    let short = format!("\u{2014} w {}", crate::b64e(&[0; 4 + 64]));
    assert_eq!(
        Cosignature::parse_line(&short),
        Err(CosignatureError::Length {
            name: "w".into(),
            len: 64
        })
    );
}
