//! Proof verification, written from RFC 9162 §2.1.3.2 (inclusion) and
//! §2.1.4.2 (consistency).
//!
//! Hashes are taken as byte slices, not [`Hash`](type@Hash) arrays, because proofs come
//! from outside: a hash of the wrong length is reported as such instead of
//! being impossible to pass in.

use super::{Hash, node_hash};

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf is not in a tree of the given size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The leaf hash is not a SHA-256 hash.
    #[error("leaf hash is {len} bytes long, not 32")]
    LeafHashLength {
        /// Its length.
        len: usize,
    },
    /// A proof hash is not a SHA-256 hash.
    #[error("proof hash {position} is {len} bytes long, not 32")]
    ProofHashLength {
        /// Its position in the proof, from 0.
        position: usize,
        /// Its length.
        len: usize,
    },
    /// The proof has more hashes than the tree is deep along this path.
    #[error("proof has {len} hashes, more than this path needs")]
    ProofTooLong {
        /// The number of hashes in the proof.
        len: usize,
    },
    /// The proof has fewer hashes than the tree is deep along this path.
    #[error("proof has {len} hashes, fewer than this path needs")]
    ProofTooShort {
        /// The number of hashes in the proof.
        len: usize,
    },
    /// The proof leads to a root other than the one given.
    #[error("proof does not lead to the given root")]
    RootMismatch,
    /// The first tree is larger than the second.
    #[error("first tree size {size1} is larger than second tree size {size2}")]
    SizeOrder {
        /// The first (older) tree size.
        size1: u64,
        /// The second (newer) tree size.
        size2: u64,
    },
    /// A consistency proof from the empty tree, which proves nothing.
    #[error("consistency from the empty tree is not checked: every tree extends it")]
    ConsistencyFromEmpty,
    /// Equal sizes come with a non-empty proof.
    #[error("both trees have size {size}, so the proof must be empty, but it has {len} hashes")]
    ProofForEqualSizes {
        /// The common size.
        size: u64,
        /// The number of hashes in the proof.
        len: usize,
    },
    /// Different sizes come with an empty proof.
    #[error("the proof is empty, but the trees differ in size")]
    EmptyProof,
    /// The proof leads to a first root other than the one given.
    #[error("proof does not lead to the given first root")]
    Root1Mismatch,
    /// The proof leads to a second root other than the one given.
    #[error("proof does not lead to the given second root")]
    Root2Mismatch,
}

/// Checks that `proof` proves the leaf with hash `leaf_hash` is at `index` in
/// the tree of `size` leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion<P: AsRef<[u8]>>(
    leaf_hash: &[u8],
    index: u64,
    size: u64,
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let leaf = as_hash(leaf_hash).ok_or(ProofError::LeafHashLength {
        len: leaf_hash.len(),
    })?;
    let proof = proof_hashes(proof)?;
    let len = proof.len();

    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::ProofTooLong { len });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            // Skip the levels where this path is the right edge and has no
            // sibling.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::ProofTooShort { len });
    }
    if r.as_slice() != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that `proof` proves the tree of `size2` leaves with root `root2`
/// extends the tree of `size1` leaves with root `root1` (RFC 9162 §2.1.4.2).
///
/// See the [module documentation](super) for the policy on size 0 and
/// equal sizes.
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[P],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizeOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(ProofError::ConsistencyFromEmpty);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::ProofForEqualSizes {
                size: size1,
                len: proof.len(),
            });
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::Root2Mismatch)
        };
    }
    // Step 1.
    if proof.is_empty() {
        return Err(ProofError::EmptyProof);
    }
    let len = proof.len();
    let mut rest = proof_hashes(proof)?;

    // Step 2: when the first tree is a perfect left subtree of the second,
    // its root is where the path starts, and the proof omits it.
    let seed = if size1.is_power_of_two() {
        as_hash(root1).ok_or(ProofError::Root1Mismatch)?
    } else {
        *rest.next().expect("the proof is not empty")
    };

    // Steps 3 and 4.
    let mut fn_ = size1 - 1;
    let mut sn = size2 - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let mut fr = seed;
    let mut sr = seed;
    // Step 6.
    for c in rest {
        if sn == 0 {
            return Err(ProofError::ProofTooLong { len });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(ProofError::ProofTooShort { len });
    }
    if fr.as_slice() != root1 {
        return Err(ProofError::Root1Mismatch);
    }
    if sr.as_slice() != root2 {
        return Err(ProofError::Root2Mismatch);
    }
    Ok(())
}

/// A 32-byte slice as a hash.
fn as_hash(bytes: &[u8]) -> Option<Hash> {
    <Hash>::try_from(bytes).ok()
}

/// Checks every proof hash's length, then borrows them as arrays.
fn proof_hashes<P: AsRef<[u8]>>(
    proof: &[P],
) -> Result<impl ExactSizeIterator<Item = &Hash> + Clone, ProofError> {
    for (position, p) in proof.iter().enumerate() {
        let len = p.as_ref().len();
        if len != 32 {
            return Err(ProofError::ProofHashLength { position, len });
        }
    }
    Ok(proof
        .iter()
        .map(|p| <&Hash>::try_from(p.as_ref()).expect("lengths checked above")))
}
