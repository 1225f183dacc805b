//! Benchmarks of the ledger core (divan):
//!
//! - appends to [`MemoryTree`] against the `ct-merkle` crate's in-memory
//!   tree, on the same entries in the same run;
//! - `leaf_hash` throughput against raw SHA-256 of the same bytes;
//! - at 10,000,000 leaves: inclusion proof verification, and proof planning
//!   plus assembly from an in-memory map of perfect nodes;
//! - verifying a foreign log's signed checkpoint (a key rotation's two
//!   signatures and a witness's cosignature) against a pinned key, from its bytes.
//!
//! `cargo bench -p palisade-ledger --bench ledger`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::sync::LazyLock;

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use palisade_ledger::merkle::{
    Frontier, Hash, MemoryTree, NodeId, consistency_proof_plan, inclusion_proof_plan, leaf_hash,
    verify_inclusion,
};
use sha2::{Digest, Sha256};

fn main() {
    divan::main();
}

/// `n` distinct 128-byte entries (about the size of a small JSON entry).
fn entries(n: usize) -> Vec<Vec<u8>> {
    (0..n as u64)
        .map(|i| {
            let mut e = vec![0x5a; 128];
            e[..8].copy_from_slice(&i.to_le_bytes());
            e
        })
        .collect()
}

/// Appending entries and computing the root at the end.
mod append {
    use super::*;

    const SIZES: &[usize] = &[1_000, 100_000];

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn palisade_memory_tree(bencher: Bencher, n: usize) {
        let entries = entries(n);
        bencher.counter(ItemsCount::new(n)).bench(|| {
            let mut tree = MemoryTree::new();
            for e in &entries {
                tree.append(e);
            }
            black_box(tree.root())
        });
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn ct_merkle_memory_backed_tree(bencher: Bencher, n: usize) {
        let entries = entries(n);
        bencher.counter(ItemsCount::new(n)).bench(|| {
            let mut tree = MemoryBackedTree::<Sha256, &[u8]>::new();
            for e in &entries {
                tree.push(e.as_slice());
            }
            black_box(tree.root())
        });
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn palisade_frontier_only(bencher: Bencher, n: usize) {
        let entries = entries(n);
        bencher.counter(ItemsCount::new(n)).bench(|| {
            let mut frontier = Frontier::new();
            for e in &entries {
                frontier.push_with(leaf_hash(e), |id, hash| {
                    black_box((id, hash));
                });
            }
            black_box(frontier.root())
        });
    }
}

/// Leaf hashing against raw SHA-256 of the same bytes.
mod hashing {
    use super::*;

    const LENGTHS: &[usize] = &[64, 1024, 65536];

    #[divan::bench(args = LENGTHS)]
    fn leaf_hash_of(bencher: Bencher, len: usize) {
        let data = vec![0xa5u8; len];
        bencher
            .counter(BytesCount::new(len))
            .bench(|| leaf_hash(black_box(&data)));
    }

    #[divan::bench(args = LENGTHS)]
    fn raw_sha256_of(bencher: Bencher, len: usize) {
        let data = vec![0xa5u8; len];
        bencher
            .counter(BytesCount::new(len))
            .bench(|| <[u8; 32]>::from(Sha256::digest(black_box(&data))));
    }
}

/// A 10,000,000-leaf tree, built once by streaming its leaves through a
/// [`Frontier`] and keeping only the perfect nodes the sampled proofs need
/// (a whole-tree node map would take gigabytes).
struct BigTree {
    size: u64,
    root: Hash,
    nodes: HashMap<NodeId, Hash>,
    /// Sampled leaves: index, leaf hash and inclusion proof.
    cases: Vec<(u64, Hash, Vec<Hash>)>,
    /// Sampled earlier sizes for consistency proofs.
    earlier: Vec<u64>,
}

const BIG: u64 = 10_000_000;

fn big_leaf(i: u64) -> Hash {
    leaf_hash(&i.to_le_bytes())
}

static BIG_TREE: LazyLock<BigTree> = LazyLock::new(|| {
    // xorshift: reproducible spread of indexes.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let indexes: Vec<u64> = (0..256).map(|_| next() % BIG).collect();
    let earlier: Vec<u64> = (0..64).map(|_| 1 + next() % (BIG - 1)).collect();
    let mut needed = HashSet::new();
    for &i in &indexes {
        needed.extend(inclusion_proof_plan(i, BIG).unwrap().nodes());
        needed.insert(NodeId::leaf(i));
    }
    for &s in &earlier {
        needed.extend(consistency_proof_plan(s, BIG).unwrap().nodes());
    }
    let mut nodes = HashMap::with_capacity(needed.len());
    let mut frontier = Frontier::new();
    for i in 0..BIG {
        frontier.push_with(big_leaf(i), |id, hash| {
            if needed.contains(&id) {
                nodes.insert(id, hash);
            }
        });
    }
    let cases = indexes
        .iter()
        .map(|&i| {
            let proof = inclusion_proof_plan(i, BIG)
                .unwrap()
                .assemble_from_map(&nodes)
                .unwrap();
            (i, nodes[&NodeId::leaf(i)], proof)
        })
        .collect();
    BigTree {
        size: BIG,
        root: frontier.root(),
        nodes,
        cases,
        earlier,
    }
});

/// Proofs in a tree of 10,000,000 leaves.
mod ten_million {
    use super::*;

    #[divan::bench]
    fn verify_inclusion_proof(bencher: Bencher) {
        let tree = &*BIG_TREE;
        let mut k = 0usize;
        bencher.bench_local(|| {
            k = (k + 1) % tree.cases.len();
            let (index, leaf, proof) = &tree.cases[k];
            verify_inclusion(leaf, *index, tree.size, proof, &tree.root).unwrap();
        });
    }

    #[divan::bench]
    fn plan_and_assemble_inclusion_proof(bencher: Bencher) {
        let tree = &*BIG_TREE;
        let mut k = 0usize;
        bencher.bench_local(|| {
            k = (k + 1) % tree.cases.len();
            let plan = inclusion_proof_plan(tree.cases[k].0, tree.size).unwrap();
            black_box(plan.assemble_from_map(&tree.nodes).unwrap())
        });
    }

    #[divan::bench]
    fn plan_inclusion_nodes_to_fetch(bencher: Bencher) {
        let tree = &*BIG_TREE;
        let mut k = 0usize;
        bencher.bench_local(|| {
            k = (k + 1) % tree.cases.len();
            black_box(
                inclusion_proof_plan(tree.cases[k].0, tree.size)
                    .unwrap()
                    .nodes(),
            )
        });
    }

    #[divan::bench]
    fn plan_and_assemble_consistency_proof(bencher: Bencher) {
        let tree = &*BIG_TREE;
        let mut k = 0usize;
        bencher.bench_local(|| {
            k = (k + 1) % tree.earlier.len();
            let plan = consistency_proof_plan(tree.earlier[k], tree.size).unwrap();
            black_box(plan.assemble_from_map(&tree.nodes).unwrap())
        });
    }
}

/// A checkpoint of another log, as an auditor receives it: bytes to parse and
/// verify against the pinned key, with an unknown key's signature (the log's
/// next key) and a witness's cosignature to skip.
mod foreign_checkpoint {
    use super::*;
    use palisade_ledger::Cosignature;
    use palisade_ledger::checkpoint::{Checkpoint, SignedCheckpoint};
    use palisade_ledger::note::{Algorithm, SignerKey};
    use palisade_ledger::trust::TrustPolicy;

    static NOTE: LazyLock<(Vec<u8>, TrustPolicy)> = LazyLock::new(|| {
        let key = SignerKey::from_seed("foreign.example/log", [3; 32]).unwrap();
        let next = SignerKey::from_seed("foreign.example/log", [4; 32]).unwrap();
        let witness =
            SignerKey::with_algorithm("witness.example", Algorithm::CosignatureV1, [5; 32])
                .unwrap();
        let cp = Checkpoint::new("foreign.example/log", 123_456_789, leaf_hash(b"root"));
        let mut signed = cp.sign(&key).unwrap();
        signed.note.sign(&next).unwrap();
        let cosig = Cosignature::sign(&witness, &cp, 1_700_000_000).unwrap();
        signed
            .note
            .add_signature(cosig.to_note_signature())
            .unwrap();
        let policy = TrustPolicy {
            log_keys: vec![key.verifier()],
            origin: Some("foreign.example/log".into()),
            ..TrustPolicy::default()
        };
        (signed.to_string().into_bytes(), policy)
    });

    #[divan::bench]
    fn parse_and_verify(bencher: Bencher) {
        let (bytes, policy) = &*NOTE;
        bencher.bench_local(|| {
            let signed = SignedCheckpoint::parse(black_box(bytes)).unwrap();
            black_box(policy.check(&signed).unwrap())
        });
    }
}
