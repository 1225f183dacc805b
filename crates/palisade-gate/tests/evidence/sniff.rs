//! Reading evidence without naming its kind.

use palisade_gate::evidence::{EvidenceKind, sniff};
use proptest::prelude::*;
use serde_json::json;

use super::{assert_names_place, read};

#[test]
fn each_kind_is_told_from_its_content() {
    let c = "a".repeat(40);
    let cases: Vec<(Vec<u8>, EvidenceKind)> = vec![
        (b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<testsuites/>".to_vec(), EvidenceKind::Junit),
        (b"  <testsuite name=\"x\"/>".to_vec(), EvidenceKind::Junit),
        (serde_json::to_vec(&json!({"version": "2.1.0", "runs": []})).unwrap(), EvidenceKind::Sarif),
        (serde_json::to_vec(&json!({"findings": [], "skipped": [], "stats": {}})).unwrap(), EvidenceKind::Scan),
        (b"[]".to_vec(), EvidenceKind::Reviews),
        (serde_json::to_vec(&json!({"payloadType": "application/vnd.in-toto+json", "payload": "", "signatures": []})).unwrap(), EvidenceKind::Attestation),
        (serde_json::to_vec(&json!({"number": 1, "head": {"sha": c}, "user": {"login": "a"}})).unwrap(), EvidenceKind::PullRequest),
        (serde_json::to_vec(&json!({"iid": 133, "sha": c, "author": {"username": "a"}, "diff_refs": null})).unwrap(), EvidenceKind::PullRequest),
        (serde_json::to_vec(&json!({"iid": 133, "approved_by": [{"user": {"username": "a"}}]})).unwrap(), EvidenceKind::Reviews),
        (serde_json::to_vec(&json!({"approved_by": []})).unwrap(), EvidenceKind::Reviews),
        (format!("# approvals\nana {c}\n").into_bytes(), EvidenceKind::Approvals),
        (Vec::new(), EvidenceKind::Approvals),
    ];
    for (bytes, kind) in cases {
        assert_eq!(
            sniff("f", &bytes).unwrap(),
            kind,
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn sniffed_evidence_is_read_by_its_reader() {
    let c = "a".repeat(40);
    let evidence = read(None, format!("ana {c}\n").as_bytes()).unwrap();
    assert_eq!(evidence.kind, EvidenceKind::Approvals);
    let evidence = read(None, b"<testsuite><testcase name=\"t\"/></testsuite>").unwrap();
    assert_eq!(evidence.kind, EvidenceKind::Junit);
    let evidence = read(
        None,
        &serde_json::to_vec(&json!({"version": "2.1.0", "runs": []})).unwrap(),
    )
    .unwrap();
    assert_eq!(evidence.kind, EvidenceKind::Sarif);
    // A SARIF log of another version is told so, not taken for something else.
    let error = read(
        None,
        &serde_json::to_vec(&json!({"version": "2.0.0", "runs": []})).unwrap(),
    )
    .unwrap_err();
    assert!(error.message.contains("SARIF version"), "{error}");
}

#[test]
fn json_of_no_known_kind_and_broken_json_are_errors() {
    let error = sniff("f", b"{\"hello\": 1}").unwrap_err();
    assert!(error.message.starts_with("$: a JSON object"), "{error}");
    assert!(error.help.is_some());
    let error = sniff("f", b"{\n\"version\": ").unwrap_err();
    assert!(error.message.contains("line 2"), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_of_any_kind_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for kind in EvidenceKind::ALL.into_iter().map(Some).chain([None]) {
            // The attestation reader has tests of its own; here only the sniffing
            // and the readers of this suite are held to naming a place.
            if kind == Some(EvidenceKind::Attestation) {
                continue;
            }
            if let Err(e) = read(kind, &bytes) {
                prop_assert_eq!(&e.source_name, "input");
                assert_names_place(&e);
            }
        }
    }
}
