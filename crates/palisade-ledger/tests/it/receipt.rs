//! C2SP tlog-proof receipts: the exact text, strict parsing and
//! verification of an entry against a signed checkpoint.

use palisade_ledger::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use palisade_ledger::cosignature::Cosignature;
use palisade_ledger::merkle::{MemoryTree, ProofError, leaf_hash};
use palisade_ledger::note::{NoteError, SignerKey};
use palisade_ledger::receipt::{Receipt, ReceiptError};

use crate::{b64e, log_key, seed, witness_key};

fn entry(i: u64) -> Vec<u8> {
    format!("{{\"index\":{i}}}").into_bytes()
}

/// A log of `n` entries and its checkpoint signed by the log key.
fn log(n: u64) -> (MemoryTree, SignedCheckpoint) {
    let mut tree = MemoryTree::new();
    for i in 0..n {
        tree.append(&entry(i));
    }
    let cp = Checkpoint::new("example.com/log", n, tree.root());
    (tree, cp.sign(&log_key()).unwrap())
}

fn receipt(tree: &MemoryTree, signed: &SignedCheckpoint, index: u64) -> Receipt {
    let proof = tree.inclusion_proof(index, signed.checkpoint.size).unwrap();
    Receipt::new(index, proof, signed.clone())
}

#[test]
fn the_text_format() {
    let (tree, signed) = log(5);
    let r = receipt(&tree, &signed, 2);
    let text = r.to_string();
    let mut expected = String::from("c2sp.org/tlog-proof@v1\nindex 2\n");
    for hash in &r.proof {
        expected.push_str(&b64e(hash));
        expected.push('\n');
    }
    expected.push('\n');
    expected.push_str(&signed.to_string());
    assert_eq!(text, expected);
    assert_eq!(r.proof.len(), 3);
}

#[test]
fn every_receipt_round_trips_and_verifies() {
    let (tree, signed) = log(13);
    let keys = [log_key().verifier()];
    for index in 0..13 {
        let r = receipt(&tree, &signed, index);
        let text = r.to_string();
        let parsed = Receipt::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed, r);
        assert_eq!(parsed.to_string(), text);
        assert_eq!(
            parsed.verify_entry(&entry(index), &keys).unwrap(),
            vec![&keys[0]]
        );
        assert_eq!(
            parsed
                .verify(&leaf_hash(&entry(index)), &keys)
                .unwrap()
                .len(),
            1
        );
        // Another entry is not proved.
        assert!(matches!(
            parsed.verify_entry(&entry(index + 1), &keys),
            Err(ReceiptError::Proof(ProofError::RootMismatch))
        ));
    }
}

#[test]
fn a_single_leaf_log_has_no_proof_hashes() {
    let (tree, signed) = log(1);
    let r = receipt(&tree, &signed, 0);
    let text = r.to_string();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\nexample.com/log\n1\n"));
    let parsed = Receipt::parse(text.as_bytes()).unwrap();
    parsed
        .verify_entry(&entry(0), &[log_key().verifier()])
        .unwrap();
}

#[test]
fn extra_data_and_cosignatures_are_kept() {
    let (tree, mut signed) = log(6);
    let witness = witness_key("w1", 30);
    let cosig = Cosignature::sign(&witness, &signed.checkpoint, 99).unwrap();
    signed
        .note
        .add_signature(cosig.to_note_signature())
        .unwrap();
    let mut r = receipt(&tree, &signed, 4);
    r.extra = Some(b"bundle 17".to_vec());
    let text = r.to_string();
    assert!(text.starts_with(&format!(
        "c2sp.org/tlog-proof@v1\nextra {}\nindex 4\n",
        b64e(b"bundle 17")
    )));
    let parsed = Receipt::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed, r);
    parsed
        .verify_entry(&entry(4), &[log_key().verifier()])
        .unwrap();
}

#[test]
fn verification_checks_the_signature_first() {
    let (tree, signed) = log(6);
    let r = receipt(&tree, &signed, 1);
    let stranger = SignerKey::from_seed("example.com/log", seed(40)).unwrap();
    let err = r
        .verify_entry(&entry(1), &[stranger.verifier()])
        .unwrap_err();
    assert!(matches!(
        err,
        ReceiptError::Checkpoint {
            line: 7,
            source: CheckpointError::Note(NoteError::NoKnownSignature { .. })
        }
    ));
    // A receipt whose index is beyond its checkpoint proves nothing.
    let mut beyond = r.clone();
    beyond.index = 6;
    assert!(matches!(
        beyond.verify_entry(&entry(1), &[log_key().verifier()]),
        Err(ReceiptError::Proof(ProofError::IndexOutOfRange {
            index: 6,
            size: 6
        }))
    ));
}

#[test]
fn malformed_receipts_say_what_and_where() {
    let (tree, signed) = log(5);
    let good = receipt(&tree, &signed, 2).to_string();
    let lines: Vec<&str> = good.split_inclusive('\n').collect();
    let with = |i: usize, replacement: &str| {
        let mut l = lines.clone();
        l[i] = replacement;
        l.concat()
    };
    let cases: Vec<(String, ReceiptError)> = vec![
        (String::new(), ReceiptError::Header),
        (with(0, "c2sp.org/tlog-proof@v2\n"), ReceiptError::Header),
        (
            with(1, "index 02\n"),
            ReceiptError::Index {
                line: 2,
                text: "02".into(),
                reason: "has a leading zero",
            },
        ),
        (
            with(1, "index -1\n"),
            ReceiptError::Index {
                line: 2,
                text: "-1".into(),
                reason: "is not a decimal number",
            },
        ),
        (with(1, "idx 2\n"), ReceiptError::IndexLine { line: 2 }),
        (with(1, "extra !!\n"), ReceiptError::Extra { line: 2 }),
        (
            with(3, "AAAA\n"),
            ReceiptError::ProofHashLength { line: 4, len: 3 },
        ),
        (
            with(3, "not base64\n"),
            ReceiptError::ProofHashBase64 { line: 4 },
        ),
        (
            "c2sp.org/tlog-proof@v1\n".into(),
            ReceiptError::IndexLine { line: 2 },
        ),
        (
            "c2sp.org/tlog-proof@v1\nindex 1\n".into(),
            ReceiptError::MissingCheckpoint { line: 3 },
        ),
        (
            lines[..6].concat(),
            ReceiptError::MissingCheckpoint { line: 7 },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(Receipt::parse(text.as_bytes()), Err(expected), "{text:?}");
    }
    assert_eq!(
        Receipt::parse(b"c2sp.org/tlog-proof@v1\nindex 1\n\xff\n"),
        Err(ReceiptError::InvalidUtf8 { line: 3 })
    );
    let hash_line = lines[2];
    let too_many = format!(
        "c2sp.org/tlog-proof@v1\nindex 1\n{}\n{}",
        hash_line.repeat(65),
        signed
    );
    assert_eq!(
        Receipt::parse(too_many.as_bytes()),
        Err(ReceiptError::TooManyProofHashes { line: 67 })
    );
    // Errors inside the checkpoint say where it starts and which of its lines.
    let bad_size = good.replacen("\n5\n", "\n05\n", 1);
    let err = Receipt::parse(bad_size.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "in the checkpoint starting at line 7: line 2: tree size \"05\" has a leading zero"
    );
}

/// A ledger entry's receipt checks the entry's own index too: bytes proven at one position
/// that claim another are refused, and so are bytes that are no ledger entry at all.
#[test]
fn a_ledger_entry_must_say_it_is_the_receipts_index() {
    use jiff::Timestamp;
    use palisade_ledger::Entry;
    use serde_json::json;

    let time = Timestamp::from_second(1_790_000_000).unwrap();
    let canonical = |index: u64| {
        Entry::new(
            index,
            time,
            "ada",
            "gate.verdict",
            "api",
            json!({"pass": true}),
        )
        .canonical_bytes()
        .unwrap()
    };
    // Position 2 holds an entry that says it is entry 5; position 3 holds no entry.
    let leaves = [
        canonical(0),
        canonical(1),
        canonical(5),
        b"not json".to_vec(),
    ];
    let mut tree = MemoryTree::new();
    for leaf in &leaves {
        tree.append(leaf);
    }
    let signed = Checkpoint::new("example.com/log", 4, tree.root())
        .sign(&log_key())
        .unwrap();
    let keys = [log_key().verifier()];

    let (entry, signers) = receipt(&tree, &signed, 1)
        .verify_ledger_entry(&leaves[1], &keys)
        .unwrap();
    assert_eq!((entry.index, signers.len()), (1, 1));
    let err = receipt(&tree, &signed, 2)
        .verify_ledger_entry(&leaves[2], &keys)
        .unwrap_err();
    assert_eq!(
        err,
        ReceiptError::EntryIndex {
            receipt: 2,
            entry: 5
        }
    );
    assert_eq!(
        err.to_string(),
        "the receipt is for entry 2 but the entry says it is 5"
    );
    let err = receipt(&tree, &signed, 3)
        .verify_ledger_entry(&leaves[3], &keys)
        .unwrap_err();
    assert!(matches!(err, ReceiptError::Entry { .. }), "{err}");
    // The proof is checked first: another entry's bytes are not proven at all.
    assert!(matches!(
        receipt(&tree, &signed, 1).verify_ledger_entry(&leaves[0], &keys),
        Err(ReceiptError::Proof(ProofError::RootMismatch))
    ));
}
