//! Evidence readers: any bytes, read as each kind and as whatever they look like,
//! give evidence or an error naming the file, never a panic; evidence carries the
//! digest of exactly those bytes, and JUnit read as a stream in small pieces says
//! exactly what it says read whole.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use palisade_gate::evidence::{self, EvidenceKind, junit};

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
    let streamed = junit::read_from("fuzz", BufReader::with_capacity(7, data));
    match (whole, streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.digest, b.digest);
            assert_eq!(a.commit, b.commit);
            assert_eq!(format!("{:?}", a.facts), format!("{:?}", b.facts));
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("whole {a:?} but streamed {b:?}"),
    }
});
