//! The RFC 6962/9162 proof vectors of transparency-dev/merkle: every one
//! must give the expected verdict with our verifiers, and our proof
//! generation must reproduce the happy paths byte for byte.

use std::path::{Path, PathBuf};

use palisade_ledger::merkle::{
    self, MemoryTree, consistency_proof_plan, inclusion_proof_plan, verify_consistency,
    verify_inclusion,
};
use serde_json::Value;

use crate::{b64, testdata};

/// The leaves of the vectors' base trees, in order.
const BASE_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The RFC 6962 reference roots of the first 1..=8 base leaves.
const BASE_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn base_tree() -> MemoryTree {
    let mut tree = MemoryTree::new();
    for leaf in BASE_LEAVES {
        tree.append(&hex(leaf));
    }
    tree
}

/// Every `*.json` file under `dir`, sorted.
fn vectors(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value, field: &str) -> Vec<u8> {
    b64(v[field].as_str().unwrap())
}

fn proof(v: &Value) -> Vec<Vec<u8>> {
    match &v["proof"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(|p| b64(p.as_str().unwrap())).collect(),
        other => panic!("proof is {other}"),
    }
}

fn number(v: &Value, field: &str) -> u64 {
    v[field].as_u64().unwrap()
}

#[test]
fn every_inclusion_vector_gives_the_expected_verdict() {
    let Some(dir) = testdata("merkle/inclusion") else {
        return;
    };
    let files = vectors(&dir);
    assert!(files.len() >= 90, "only {} inclusion vectors", files.len());
    let mut wrong = Vec::new();
    for path in &files {
        let v = read(path);
        let result = verify_inclusion(
            &bytes(&v, "leafHash"),
            number(&v, "leafIdx"),
            number(&v, "treeSize"),
            &proof(&v),
            &bytes(&v, "root"),
        );
        if result.is_err() != v["wantErr"].as_bool().unwrap() {
            wrong.push(format!(
                "{}: {result:?}",
                path.strip_prefix(&dir).unwrap().display()
            ));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn every_consistency_vector_gives_the_expected_verdict() {
    let Some(dir) = testdata("merkle/consistency") else {
        return;
    };
    let files = vectors(&dir);
    assert!(
        files.len() >= 90,
        "only {} consistency vectors",
        files.len()
    );
    let mut wrong = Vec::new();
    for path in &files {
        let v = read(path);
        let result = verify_consistency(
            number(&v, "size1"),
            number(&v, "size2"),
            &bytes(&v, "root1"),
            &bytes(&v, "root2"),
            &proof(&v),
        );
        if result.is_err() != v["wantErr"].as_bool().unwrap() {
            wrong.push(format!(
                "{}: {result:?}",
                path.strip_prefix(&dir).unwrap().display()
            ));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

/// Each happy path is over a prefix of the base leaves: our tree must have
/// its roots and our generators its exact proof.
#[test]
fn generated_proofs_equal_the_happy_path_vectors() {
    let (Some(inclusion), Some(consistency)) =
        (testdata("merkle/inclusion"), testdata("merkle/consistency"))
    else {
        return;
    };
    let tree = base_tree();
    let node = |id| tree.node(id);
    let mut checked = 0;
    for path in vectors(&inclusion) {
        let v = read(&path);
        if v["desc"] != "happy path" {
            continue;
        }
        let (index, size) = (number(&v, "leafIdx"), number(&v, "treeSize"));
        if size > 8 {
            continue;
        }
        assert_eq!(
            tree.root_at(size).unwrap().to_vec(),
            bytes(&v, "root"),
            "{path:?}"
        );
        assert_eq!(
            merkle::leaf_hash(&hex(BASE_LEAVES[index as usize])).to_vec(),
            bytes(&v, "leafHash")
        );
        let generated = tree.inclusion_proof(index, size).unwrap();
        let planned = inclusion_proof_plan(index, size)
            .unwrap()
            .assemble(node)
            .unwrap();
        assert_eq!(generated, planned);
        let generated: Vec<Vec<u8>> = generated.iter().map(|h| h.to_vec()).collect();
        assert_eq!(generated, proof(&v), "{path:?}");
        checked += 1;
    }
    for path in vectors(&consistency) {
        let v = read(&path);
        if v["desc"] != "happy path" {
            continue;
        }
        let (size1, size2) = (number(&v, "size1"), number(&v, "size2"));
        if size2 > 8 {
            continue;
        }
        assert_eq!(
            tree.root_at(size1).unwrap().to_vec(),
            bytes(&v, "root1"),
            "{path:?}"
        );
        assert_eq!(
            tree.root_at(size2).unwrap().to_vec(),
            bytes(&v, "root2"),
            "{path:?}"
        );
        let generated = tree.consistency_proof(size1, size2).unwrap();
        let planned = consistency_proof_plan(size1, size2)
            .unwrap()
            .assemble(node)
            .unwrap();
        assert_eq!(generated, planned);
        let generated: Vec<Vec<u8>> = generated.iter().map(|h| h.to_vec()).collect();
        assert_eq!(generated, proof(&v), "{path:?}");
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} happy paths over the base leaves"
    );
}

/// Independent of the shared data: the RFC 6962 reference roots, and every
/// proof over the base trees verifies.
#[test]
fn base_trees_have_the_reference_roots_and_valid_proofs() {
    let tree = base_tree();
    assert_eq!(tree.root_at(0).unwrap(), merkle::empty_root());
    for (i, root) in BASE_ROOTS.iter().enumerate() {
        let size = i as u64 + 1;
        assert_eq!(
            tree.root_at(size).unwrap().to_vec(),
            hex(root),
            "size {size}"
        );
    }
    for size in 1..=8u64 {
        let root = tree.root_at(size).unwrap();
        for index in 0..size {
            let proof = tree.inclusion_proof(index, size).unwrap();
            let leaf = tree.node(merkle::NodeId::leaf(index)).unwrap();
            verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
        }
        for size1 in 1..=size {
            let proof = tree.consistency_proof(size1, size).unwrap();
            let root1 = tree.root_at(size1).unwrap();
            verify_consistency(size1, size, &root1, &root, &proof).unwrap();
        }
    }
}
