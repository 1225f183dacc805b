//! Evidence readers: any bytes, read as each kind and as whatever they look like,
//! give evidence or an error naming the file, never a panic; evidence carries the
//! digest of exactly those bytes, and JUnit read as a stream in small pieces says
//! exactly what it says read whole. The bytes are also read as the payload of an
//! attestation whose signature verified: directly through the statement parser,
//! and signed with a fixed key the signers trust, where the reader must say what
//! the parser says.
#![no_main]

use std::io::BufReader;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use palisade_gate::evidence::{self, EvidenceKind, Facts, attestation, junit};
use palisade_ledger::SignerKey;
use palisade_ledger::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use palisade_model::Signer;

/// The fixed key the fuzzed payloads are signed with, and the signer trusting it.
fn signing() -> &'static (SignerKey, Vec<Signer>) {
    static KEY: OnceLock<(SignerKey, Vec<Signer>)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = SignerKey::from_seed("fuzz.example.com", [7; 32]).expect("a valid seed");
        let public: String = key
            .verifier()
            .public_key()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let signer = Signer {
            id: "fuzz-signer".to_owned(),
            key: public,
            description: String::new(),
            expires: None,
        };
        (key, vec![signer])
    })
}

fuzz_target!(|data: &[u8]| {
    for kind in EvidenceKind::ALL.into_iter().map(Some).chain([None]) {
        match evidence::read("fuzz", data, kind, &[]) {
            Ok(e) => {
                assert_eq!(e.digest, evidence::digest(data));
                if let Some(kind) = kind {
                    assert_eq!(e.kind, kind);
                }
            }
            Err(e) => assert_eq!(e.source_name, "fuzz"),
        }
    }
    let whole = junit::read("fuzz", data);
    let (streamed, digest) = junit::read_digested("fuzz", BufReader::with_capacity(7, data));
    assert_eq!(digest, evidence::digest(data));
    match (whole, streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.digest, b.digest);
            assert_eq!(a.commit, b.commit);
            assert_eq!(format!("{:?}", a.facts), format!("{:?}", b.facts));
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("whole {a:?} but streamed {b:?}"),
    }

    let statement = attestation::read_statement("fuzz", data);
    if let Err(e) = &statement {
        assert_eq!(e.source_name, "fuzz");
        assert!(e.message.starts_with("payload: "), "{e}");
    }
    let (key, signers) = signing();
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, data.to_vec(), "fuzz-signer", key)
        .expect("signing with a valid key");
    let envelope = envelope.to_json();
    match (
        attestation::read("fuzz", envelope.as_bytes(), signers),
        statement,
    ) {
        (Ok(e), Ok(s)) => {
            assert_eq!(e.commit, s.commit);
            let Facts::Attestation(f) = e.facts else {
                panic!("an attestation read as {:?}", e.facts);
            };
            assert_eq!(f.signer, "fuzz-signer");
            assert_eq!(f.predicate_type, s.predicate_type);
            assert_eq!(f.subjects, s.subjects);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("signed {a:?} but the statement alone {b:?}"),
    }
});
