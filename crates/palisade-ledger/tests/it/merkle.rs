//! Examples of the Merkle tree pieces: hashing, node ids, the frontier,
//! proof plans and the library's policy cases.

use std::collections::HashMap;

use palisade_ledger::merkle::{
    EMPTY_ROOT, Frontier, FrontierError, MemoryTree, NodeId, PlanError, ProofError,
    consistency_proof_plan, empty_root, inclusion_proof_plan, leaf_hash, node_hash, peak_ids,
    perfect_nodes, verify_consistency, verify_inclusion,
};
use sha2::{Digest, Sha256};

#[test]
fn hashes_are_domain_separated_sha256() {
    assert_eq!(empty_root(), <[u8; 32]>::from(Sha256::digest(b"")));
    assert_eq!(EMPTY_ROOT, empty_root());
    assert_eq!(
        leaf_hash(b"abc"),
        <[u8; 32]>::from(Sha256::digest(b"\x00abc"))
    );
    let (l, r) = ([1u8; 32], [2u8; 32]);
    let mut msg = vec![1u8];
    msg.extend_from_slice(&l);
    msg.extend_from_slice(&r);
    assert_eq!(node_hash(&l, &r), <[u8; 32]>::from(Sha256::digest(&msg)));
}

#[test]
fn node_ids_cover_their_leaves() {
    let id = NodeId::new(3, 5);
    assert_eq!((id.start(), id.end(), id.width()), (40, 48, 8));
    assert_eq!(
        id.children(),
        Some((NodeId::new(2, 10), NodeId::new(2, 11)))
    );
    assert_eq!(NodeId::leaf(7).children(), None);
    // Ids past any tree saturate instead of overflowing.
    assert_eq!(NodeId::new(200, 1).end(), u64::MAX);
    assert_eq!(NodeId::new(63, 3).start(), u64::MAX);
}

#[test]
fn peak_ids_decompose_the_size() {
    assert_eq!(peak_ids(0), vec![]);
    assert_eq!(
        peak_ids(13),
        vec![NodeId::new(3, 0), NodeId::new(2, 2), NodeId::new(0, 12)]
    );
    assert_eq!(peak_ids(u64::MAX).len(), 64);
}

#[test]
fn push_returns_every_completed_node() {
    let mut frontier = Frontier::new();
    let leaves: Vec<[u8; 32]> = (0u8..8).map(|i| leaf_hash(&[i])).collect();
    for leaf in &leaves[..7] {
        frontier.push(*leaf);
    }
    let created = frontier.push(leaves[7]);
    let ids: Vec<NodeId> = created.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        vec![
            NodeId::leaf(7),
            NodeId::new(1, 3),
            NodeId::new(2, 1),
            NodeId::new(3, 0)
        ]
    );
    assert_eq!(created[3].1, frontier.root());
    assert_eq!(frontier.size(), 8);
    assert_eq!(frontier.peaks(), &[frontier.root()]);
}

#[test]
fn frontier_resumes_from_its_peaks() {
    let mut nodes = HashMap::new();
    let mut frontier = Frontier::new();
    for i in 0u32..21 {
        for (id, hash) in frontier.push(leaf_hash(&i.to_be_bytes())) {
            nodes.insert(id, hash);
        }
    }
    let peaks = peak_ids(21).iter().map(|id| nodes[id]).collect();
    let mut resumed = Frontier::from_peaks(21, peaks).unwrap();
    assert_eq!(resumed, frontier);
    resumed.push(leaf_hash(b"next"));
    frontier.push(leaf_hash(b"next"));
    assert_eq!(resumed.root(), frontier.root());

    assert_eq!(
        Frontier::from_peaks(21, vec![[0; 32]; 2]),
        Err(FrontierError::PeakCount {
            size: 21,
            expected: 3,
            got: 2
        })
    );
    assert_eq!(Frontier::new().root(), EMPTY_ROOT);
}

#[test]
fn perfect_nodes_split_a_range_left_to_right() {
    assert_eq!(
        perfect_nodes(4..7),
        vec![NodeId::new(1, 2), NodeId::new(0, 6)]
    );
    assert_eq!(perfect_nodes(0..8), vec![NodeId::new(3, 0)]);
    assert_eq!(
        perfect_nodes(8..13),
        vec![NodeId::new(2, 2), NodeId::new(0, 12)]
    );
    assert!(perfect_nodes(5..5).is_empty());
}

#[test]
fn plans_list_proof_ranges_in_rfc_order() {
    // RFC 9162 §2.1.5's example tree of 7 leaves: the path of d0 is
    // [b, h, l] = leaf 1, leaves 2..4, leaves 4..7.
    let plan = inclusion_proof_plan(0, 7).unwrap();
    assert_eq!(plan.elements(), &[1..2, 2..4, 4..7]);
    // The consistency proof between 3 and 7 is [c, d, g, l].
    let plan = consistency_proof_plan(3, 7).unwrap();
    assert_eq!(plan.elements(), &[2..3, 3..4, 0..2, 4..7]);
    // Between 4 and 7: [l]; between 6 and 7: [i, j, k].
    let plan = consistency_proof_plan(4, 7).unwrap();
    assert_eq!((plan.len(), plan.elements()[0].clone()), (1, 4..7));
    assert_eq!(
        consistency_proof_plan(6, 7).unwrap().elements(),
        &[4..6, 6..7, 0..4]
    );
    assert!(consistency_proof_plan(5, 5).unwrap().is_empty());
}

#[test]
fn a_plan_fetches_few_nodes_at_ten_million() {
    let size = 10_000_000;
    for index in [0, 1, 4_999_999, 9_999_998, 9_999_999] {
        let plan = inclusion_proof_plan(index, size).unwrap();
        assert!(
            plan.nodes().len() <= 2 * 24,
            "{index}: {}",
            plan.nodes().len()
        );
    }
    let plan = consistency_proof_plan(3_333_333, size).unwrap();
    assert!(plan.nodes().len() <= 2 * 24 + 2, "{}", plan.nodes().len());
}

#[test]
fn assembling_reports_the_missing_node() {
    let plan = inclusion_proof_plan(2, 5).unwrap();
    let err = plan.assemble_from_map(&HashMap::new()).unwrap_err();
    assert_eq!(err, PlanError::MissingNode(NodeId::new(0, 3)));
}

#[test]
fn planning_refuses_what_cannot_be_proved() {
    assert_eq!(
        inclusion_proof_plan(5, 5),
        Err(PlanError::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        inclusion_proof_plan(0, 0),
        Err(PlanError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        consistency_proof_plan(4, 3),
        Err(PlanError::SizeOrder { size1: 4, size2: 3 })
    );
    assert_eq!(
        consistency_proof_plan(0, 3),
        Err(PlanError::ConsistencyFromEmpty)
    );
    assert_eq!(
        consistency_proof_plan(0, 0),
        Err(PlanError::ConsistencyFromEmpty)
    );
}

#[test]
fn memory_tree_refuses_sizes_it_does_not_hold() {
    let mut tree = MemoryTree::new();
    assert_eq!(tree.root(), EMPTY_ROOT);
    tree.append(b"a");
    tree.append(b"b");
    assert_eq!(
        tree.root_at(3),
        Err(PlanError::SizeBeyondTree { size: 3, held: 2 })
    );
    assert_eq!(
        tree.inclusion_proof(2, 2),
        Err(PlanError::IndexOutOfRange { index: 2, size: 2 })
    );
    assert_eq!(
        tree.consistency_proof(1, 3),
        Err(PlanError::SizeBeyondTree { size: 3, held: 2 })
    );
    assert_eq!(tree.consistency_proof(2, 2), Ok(vec![]));
    assert_eq!(
        tree.consistency_proof(0, 2),
        Err(PlanError::ConsistencyFromEmpty)
    );
}

#[test]
fn verifiers_name_what_is_wrong() {
    let mut tree = MemoryTree::new();
    for i in 0u8..6 {
        tree.append(&[i]);
    }
    let root = tree.root();
    let leaf = leaf_hash(&[2]);
    let proof = tree.inclusion_proof(2, 6).unwrap();
    assert_eq!(verify_inclusion(&leaf, 2, 6, &proof, &root), Ok(()));
    assert_eq!(
        verify_inclusion(&leaf, 6, 6, &proof, &root),
        Err(ProofError::IndexOutOfRange { index: 6, size: 6 })
    );
    assert_eq!(
        verify_inclusion(&leaf[..31], 2, 6, &proof, &root),
        Err(ProofError::LeafHashLength { len: 31 })
    );
    let short: Vec<Vec<u8>> = vec![proof[0].to_vec(), vec![0; 3]];
    assert_eq!(
        verify_inclusion(&leaf, 2, 6, &short, &root),
        Err(ProofError::ProofHashLength {
            position: 1,
            len: 3
        })
    );
    assert_eq!(
        verify_inclusion(&leaf, 2, 6, &proof[..2], &root),
        Err(ProofError::ProofTooShort { len: 2 })
    );
    let mut long = proof.clone();
    long.push(root);
    assert_eq!(
        verify_inclusion(&leaf, 2, 6, &long, &root),
        Err(ProofError::ProofTooLong { len: 4 })
    );
    assert_eq!(
        verify_inclusion(&leaf, 2, 6, &proof, &[0; 32]),
        Err(ProofError::RootMismatch)
    );

    let root3 = tree.root_at(3).unwrap();
    let proof = tree.consistency_proof(3, 6).unwrap();
    assert_eq!(verify_consistency(3, 6, &root3, &root, &proof), Ok(()));
    assert_eq!(
        verify_consistency(3, 6, &[0; 32], &root, &proof),
        Err(ProofError::Root1Mismatch)
    );
    assert_eq!(
        verify_consistency(3, 6, &root3, &[0; 32], &proof),
        Err(ProofError::Root2Mismatch)
    );
    let none: [[u8; 32]; 0] = [];
    assert_eq!(
        verify_consistency(3, 6, &root3, &root, &none),
        Err(ProofError::EmptyProof)
    );
}

/// The policy cases, spelled out (see the `merkle` module documentation).
#[test]
fn policy_cases_of_consistency() {
    let none: [[u8; 32]; 0] = [];
    let empty = empty_root();
    // From size 0: refused, even 0 to 0 with the empty root twice.
    assert_eq!(
        verify_consistency(0, 0, &empty, &empty, &none),
        Err(ProofError::ConsistencyFromEmpty)
    );
    assert_eq!(
        verify_consistency(0, 5, &empty, &[1; 32], &none),
        Err(ProofError::ConsistencyFromEmpty)
    );
    // Equal sizes: empty proof, identical roots.
    let root = [7u8; 32];
    assert_eq!(verify_consistency(4, 4, &root, &root, &none), Ok(()));
    assert_eq!(
        verify_consistency(4, 4, &root, &[8; 32], &none),
        Err(ProofError::Root2Mismatch)
    );
    assert_eq!(
        verify_consistency(4, 4, &root, &root, &[root]),
        Err(ProofError::ProofForEqualSizes { size: 4, len: 1 })
    );
    assert_eq!(
        verify_consistency(5, 4, &root, &root, &none),
        Err(ProofError::SizeOrder { size1: 5, size2: 4 })
    );
    // Nothing is in the empty tree.
    assert_eq!(
        verify_inclusion(&leaf_hash(b""), 0, 0, &none, &empty),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
}
