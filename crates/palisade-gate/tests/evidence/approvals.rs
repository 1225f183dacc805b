//! The plain approvals file.

use palisade_gate::evidence::{EvidenceKind, Facts};
use proptest::prelude::*;

use super::{assert_names_place, read};

#[test]
fn lines_name_who_approved_which_commit() {
    let text = format!(
        "# approvals of the release\n\n  ana@example.com {}  \nbo\t{}\r\n",
        "A".repeat(40),
        "b".repeat(64)
    );
    let evidence = read(Some(EvidenceKind::Approvals), text.as_bytes()).unwrap();
    let Facts::Approvals(approvals) = evidence.facts else {
        panic!("not approvals")
    };
    assert_eq!(approvals.len(), 2);
    assert_eq!(approvals[0].by, "ana@example.com");
    assert_eq!(
        approvals[0].commit.as_deref(),
        Some("a".repeat(40).as_str())
    );
    assert_eq!(approvals[1].by, "bo");
    assert_eq!(
        approvals[1].commit.as_deref(),
        Some("b".repeat(64).as_str())
    );
    assert_eq!(evidence.commit, None);
}

#[test]
fn an_invalid_line_is_an_error_with_its_number() {
    let good = format!("ana {}\n", "a".repeat(40));
    for (bad, expected) in [
        (
            "bo".to_owned(),
            "line 3: expected `IDENTITY COMMIT`, found 1 fields",
        ),
        (
            format!("bo {} extra", "a".repeat(40)),
            "line 3: expected `IDENTITY COMMIT`, found 3 fields",
        ),
        (
            "bo 9fceb02".to_owned(),
            "line 3: \"9fceb02\" is not a full commit id",
        ),
        (
            "bo \u{fffd}".to_owned(),
            "line 3: \"\u{fffd}\" is not a full commit id",
        ),
    ] {
        let text = format!("# header\n{good}{bad}\n");
        let error = read(Some(EvidenceKind::Approvals), text.as_bytes()).unwrap_err();
        assert!(error.message.starts_with(expected), "{error}");
    }
    let error = read(Some(EvidenceKind::Approvals), b"ana \xff\xfe\n").unwrap_err();
    assert_eq!(error.message, "line 1: not UTF-8 text");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = read(Some(EvidenceKind::Approvals), &bytes) {
            assert_names_place(&e);
        }
    }

    #[test]
    fn every_written_approval_is_read_back(
        who in proptest::collection::vec("[a-z][a-z0-9._@-]{0,20}", 0..10),
        commit in "[0-9a-f]{40}",
    ) {
        let text: String = who.iter().map(|w| format!("{w} {commit}\n# note\n\n")).collect();
        let evidence = read(Some(EvidenceKind::Approvals), text.as_bytes()).unwrap();
        let Facts::Approvals(approvals) = evidence.facts else { panic!("not approvals") };
        prop_assert_eq!(approvals.len(), who.len());
    }
}
