//! C2SP checkpoints: the body format, strict parsing, signing and opening.

use palisade_ledger::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use palisade_ledger::merkle::{EMPTY_ROOT, leaf_hash};
use palisade_ledger::note::NoteError;

use crate::{b64e, log_key};

fn sample() -> Checkpoint {
    Checkpoint::new("example.com/log", 12345, leaf_hash(b"root"))
}

#[test]
fn body_is_origin_size_root() {
    let cp = sample();
    let body = cp.body();
    assert_eq!(
        body,
        format!("example.com/log\n12345\n{}\n", b64e(&cp.root))
    );
    assert_eq!(Checkpoint::parse(&body).unwrap(), cp);
    let mut with_ext = cp.clone();
    with_ext.extensions = vec!["ext one".into(), "ext two".into()];
    let body = with_ext.body();
    assert!(body.ends_with("\next one\next two\n"));
    assert_eq!(Checkpoint::parse(&body).unwrap(), with_ext);
}

#[test]
fn signed_checkpoints_open_with_the_log_key() {
    let key = log_key();
    let signed = sample().sign(&key).unwrap();
    let text = signed.to_string();
    assert!(text.starts_with(&sample().body()));
    let keys = [key.verifier()];
    let opened = SignedCheckpoint::open(text.as_bytes(), &keys).unwrap();
    assert_eq!(opened, signed);
    opened.check_origin("example.com/log").unwrap();
    assert_eq!(
        opened.check_origin("other.example/log"),
        Err(CheckpointError::OriginMismatch {
            expected: "other.example/log".into(),
            found: "example.com/log".into()
        })
    );

    // Tampering with the size breaks the signature.
    let tampered = text.replacen("12345", "12346", 1);
    assert!(matches!(
        SignedCheckpoint::open(tampered.as_bytes(), &keys),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
    ));
    // An unknown key finds no known signature.
    let other = crate::witness_key("w", 9);
    let strangers = [
        palisade_ledger::note::SignerKey::from_seed("x", crate::seed(9))
            .unwrap()
            .verifier(),
        other.verifier(),
    ];
    assert!(matches!(
        SignedCheckpoint::open(text.as_bytes(), &strangers),
        Err(CheckpointError::Note(NoteError::NoKnownSignature { .. }))
    ));
}

#[test]
fn parsing_is_strict_and_precise() {
    let root = b64e(&leaf_hash(b"root"));
    let cases: Vec<(String, CheckpointError)> = vec![
        ("\n1\nx\n".into(), CheckpointError::EmptyOrigin),
        (
            "origin\n".into(),
            CheckpointError::MissingLine {
                line: 2,
                what: "tree size",
            },
        ),
        (
            "origin\n1\n".into(),
            CheckpointError::MissingLine {
                line: 3,
                what: "root hash",
            },
        ),
        (
            format!("origin\n1\n{root}"),
            CheckpointError::NotTerminated { line: 3 },
        ),
        (
            format!("origin\n01\n{root}\n"),
            CheckpointError::Size {
                text: "01".into(),
                reason: "has a leading zero",
            },
        ),
        (
            format!("origin\n+1\n{root}\n"),
            CheckpointError::Size {
                text: "+1".into(),
                reason: "is not a decimal number",
            },
        ),
        (
            format!("origin\n 1\n{root}\n"),
            CheckpointError::Size {
                text: " 1".into(),
                reason: "is not a decimal number",
            },
        ),
        (
            format!("origin\n\n{root}\n"),
            CheckpointError::Size {
                text: "".into(),
                reason: "is empty",
            },
        ),
        (
            format!("origin\n18446744073709551616\n{root}\n"),
            CheckpointError::Size {
                text: "18446744073709551616".into(),
                reason: "does not fit in 64 bits",
            },
        ),
        (
            "origin\n1\nnot base64!\n".into(),
            CheckpointError::RootBase64,
        ),
        (
            format!("origin\n1\n{}\n", root.trim_end_matches('=')),
            CheckpointError::RootBase64,
        ),
        (
            format!("origin\n1\n{}\n", b64e(&[0; 31])),
            CheckpointError::RootLength { len: 31 },
        ),
        (
            format!("origin\n0\n{root}\n"),
            CheckpointError::EmptyTreeRoot,
        ),
        (
            format!("origin\n1\n{root}\next\n\nmore\n"),
            CheckpointError::EmptyExtension { line: 5 },
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(Checkpoint::parse(&body), Err(expected), "{body:?}");
    }
    let max = format!("origin\n18446744073709551615\n{root}\n");
    assert_eq!(Checkpoint::parse(&max).unwrap().size, u64::MAX);
    let empty = format!("origin\n0\n{}\n", b64e(&EMPTY_ROOT));
    assert_eq!(Checkpoint::parse(&empty).unwrap().size, 0);
}

#[test]
fn errors_read_well() {
    let err = Checkpoint::parse("origin\n007\nx\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: tree size \"007\" has a leading zero"
    );
    let err = Checkpoint::parse("origin\n1\nAAAA\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: the root hash is 3 bytes long, not 32"
    );
}

#[test]
fn fields_that_would_break_the_format_are_refused() {
    let mut cp = sample();
    cp.origin = "two\nlines".into();
    assert!(matches!(
        cp.sign(&log_key()),
        Err(CheckpointError::InvalidField {
            field: "origin",
            ..
        })
    ));
    let mut cp = sample();
    cp.extensions = vec![String::new()];
    assert!(matches!(
        cp.validate(),
        Err(CheckpointError::InvalidField {
            field: "extension line",
            ..
        })
    ));
    let cp = Checkpoint::new("o", 0, [1; 32]);
    assert_eq!(cp.validate(), Err(CheckpointError::EmptyTreeRoot));
}
