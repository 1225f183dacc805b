//! Signed notes, the checkpoints and cosignatures they carry, and key texts:
//! any bytes parse or fail without a panic, whatever parses prints back to
//! exactly the bytes it was read from, and the model's key parser (what
//! `check` runs) and the ledger's agree on every key text.
//!
//! A note that does not parse says so with a line inside the input, and
//! verification of one that does (with unknown keys' unreadable lines, too
//! many signatures, keys sharing only a name or an id) never panics.
//!
//! Inputs starting with an odd byte replace one line of a valid cosigned
//! checkpoint note instead, so the fuzzer reaches every line's parser
//! without a seed corpus.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use palisade_ledger::checkpoint::{Checkpoint, SignedCheckpoint};
use palisade_ledger::cosignature::{Cosignature, verify_cosignatures};
use palisade_ledger::merkle::leaf_hash;
use palisade_ledger::note::{Algorithm, Note, NoteError, SignerKey, VerifierKey};

struct Fixture {
    keys: Vec<VerifierKey>,
    template: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let log = SignerKey::from_seed("example.com/log", [7; 32]).expect("a valid name");
    let witness = SignerKey::with_algorithm("witness", Algorithm::CosignatureV1, [9; 32])
        .expect("a valid name");
    let mut cp = Checkpoint::new("example.com/log", 42, leaf_hash(b"root"));
    cp.extensions.push("extension line".into());
    let mut signed = cp.sign(&log).expect("a valid checkpoint");
    let cosig = Cosignature::sign(&witness, &cp, 1_700_000_000).expect("a witness key");
    signed
        .note
        .add_signature(cosig.to_note_signature())
        .expect("a valid signature");
    let template = signed
        .to_string()
        .split_inclusive('\n')
        .map(str::to_owned)
        .collect();
    Fixture {
        keys: vec![log.verifier(), witness.verifier()],
        template,
    }
});

/// The line a parse error names, if it names one.
fn error_line(e: &NoteError) -> Option<usize> {
    match e {
        NoteError::InvalidUtf8 { line }
        | NoteError::ControlCharacter { line, .. }
        | NoteError::NoSignatures { line }
        | NoteError::SignatureNotTerminated { line }
        | NoteError::SignaturePrefix { line }
        | NoteError::SignatureName { line, .. }
        | NoteError::SignatureFields { line }
        | NoteError::SignatureBase64 { line }
        | NoteError::SignatureTooShort { line, .. }
        | NoteError::TooManySignatures { line, .. }
        | NoteError::InvalidSignature { line, .. } => Some(*line),
        _ => None,
    }
}

fn check(data: &[u8]) {
    let fixture = &*FIXTURE;
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let parsed = Note::parse(data);
    if let Err(e) = &parsed {
        if let Some(line) = error_line(e) {
            assert!((1..=lines).contains(&line), "{e} in {lines} lines");
        }
    }
    if let Ok(note) = parsed {
        if let Err(e) = note.verify(&fixture.keys) {
            if let Some(line) = error_line(&e) {
                assert!((1..=lines).contains(&line), "{e} in {lines} lines");
            }
        }
        let text = note.to_string();
        assert_eq!(
            text.as_bytes(),
            data,
            "a parsed note prints back to its bytes"
        );
        let _ = note.verify(&fixture.keys);
        let _ = verify_cosignatures(&note, &fixture.keys);
        for sig in note.signatures() {
            if let Ok(c) = Cosignature::from_note_signature(sig) {
                assert_eq!(&c.to_note_signature(), sig);
                assert_eq!(Cosignature::parse_line(&sig.line()), Ok(c));
            }
        }
        if let Ok(signed) = SignedCheckpoint::from_note(note.clone()) {
            assert_eq!(signed.checkpoint.body(), note.text());
            let _ = signed.verify(&fixture.keys);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = Checkpoint::parse(text) {
            assert_eq!(
                cp.body(),
                text,
                "a parsed checkpoint prints back to its text"
            );
        }
        // One parser: the model's `check` and the ledger accept the same keys.
        let model_key = palisade_model::note_key::parse_verifier_key(text);
        assert_eq!(
            model_key.as_ref().err().map(ToString::to_string),
            VerifierKey::parse(text).err().map(|e| e.to_string()),
            "the model and the ledger agree on {text:?}"
        );
        if let Ok(key) = VerifierKey::parse(text) {
            assert_eq!(VerifierKey::parse(&key.to_string()), Ok(key));
        }
        if let Ok(key) = SignerKey::parse(text) {
            let again = SignerKey::parse(&key.private_key_text()).expect("printed keys parse");
            assert_eq!(again.verifier(), key.verifier());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some((&selector, line)) = data.split_first() {
        if selector & 1 == 1 {
            let template = &FIXTURE.template;
            let mut note = Vec::new();
            for (i, l) in template.iter().enumerate() {
                if i == usize::from(selector >> 1) % template.len() {
                    note.extend_from_slice(line);
                } else {
                    note.extend_from_slice(l.as_bytes());
                }
            }
            check(&note);
        }
    }
});
