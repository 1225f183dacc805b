//! Inclusion receipts (C2SP tlog-proof): any bytes parse or fail without a
//! panic, whatever parses prints back to exactly its bytes, and verifying
//! it never panics.
//!
//! Inputs starting with an odd byte replace one line of a valid receipt
//! instead, so the fuzzer reaches every line's parser without a seed corpus.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use palisade_ledger::checkpoint::Checkpoint;
use palisade_ledger::merkle::{MemoryTree, leaf_hash};
use palisade_ledger::note::{SignerKey, VerifierKey};
use palisade_ledger::receipt::Receipt;

struct Fixture {
    keys: Vec<VerifierKey>,
    entry: Vec<u8>,
    template: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let log = SignerKey::from_seed("example.com/log", [7; 32]).expect("a valid name");
    let mut tree = MemoryTree::new();
    for i in 0u8..11 {
        tree.append(&[i]);
    }
    let cp = Checkpoint::new("example.com/log", 11, tree.root());
    let signed = cp.sign(&log).expect("a valid checkpoint");
    let mut receipt = Receipt::new(5, tree.inclusion_proof(5, 11).expect("in range"), signed);
    receipt.extra = Some(b"extra data".to_vec());
    let template = receipt
        .to_string()
        .split_inclusive('\n')
        .map(str::to_owned)
        .collect();
    Fixture {
        keys: vec![log.verifier()],
        entry: vec![5],
        template,
    }
});

fn check(data: &[u8]) {
    let fixture = &*FIXTURE;
    if let Ok(receipt) = Receipt::parse(data) {
        let text = receipt.to_string();
        assert_eq!(
            text.as_bytes(),
            data,
            "a parsed receipt prints back to its bytes"
        );
        assert_eq!(Receipt::parse(text.as_bytes()).as_ref(), Ok(&receipt));
        let _ = receipt.verify_entry(&fixture.entry, &fixture.keys);
        let _ = receipt.verify(&leaf_hash(data), &fixture.keys);
        let _ = receipt.verify_ledger_entry(data, &fixture.keys);
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some((&selector, line)) = data.split_first() {
        if selector & 1 == 1 {
            let template = &FIXTURE.template;
            let mut receipt = Vec::new();
            for (i, l) in template.iter().enumerate() {
                if i == usize::from(selector >> 1) % template.len() {
                    receipt.extend_from_slice(line);
                } else {
                    receipt.extend_from_slice(l.as_bytes());
                }
            }
            check(&receipt);
        }
    }
});
