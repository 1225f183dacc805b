//! Checking a tiled log with nothing but its files and a pinned key: the
//! checkpoint's signature, every entry bundle, every hash tile recomputed level
//! by level from the entries, and the root the tiles make against the
//! checkpoint's. The first damage is named with its file and position.

use std::io;

use super::codec::{read_entry_bundle, read_hash_tile};
use super::{
    TILE_WIDTH, TileError, TileReader, entries_path, level_count, root_from_partials, subtree_root,
    tile_count, tile_path, tile_width,
};
use crate::b64;
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::merkle::{EMPTY_ROOT, Hash, leaf_hash};
use crate::note::VerifierKey;

/// A tiled log that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The checkpoint it was verified against.
    pub checkpoint: Checkpoint,
    /// The key whose signature verified.
    pub key: VerifierKey,
    /// How many hash tiles were checked.
    pub tiles: u64,
    /// How many entry bundles were checked.
    pub bundles: u64,
}

/// Why a tiled log did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyTilesError {
    /// The log is damaged, or does not match its checkpoint: the first fault found.
    #[error(transparent)]
    Damaged(#[from] TileError),
    /// A file could not be read (not for being missing, which is damage).
    #[error("cannot read {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: io::Error,
    },
}

/// Verifies the tiled log in `reader` against the checkpoint `checkpoint`
/// (the bytes of the file named `checkpoint_file`), whose signature must verify
/// with one of `keys`. Keys are the caller's pinned keys, never read from the log.
pub fn verify_tiles(
    reader: &impl TileReader,
    checkpoint_file: &str,
    checkpoint: &[u8],
    keys: &[VerifierKey],
) -> Result<Verified, VerifyTilesError> {
    let signed = SignedCheckpoint::parse(checkpoint)
        .map_err(|e| TileError::new(checkpoint_file, None, e.to_string()))?;
    let signers = signed
        .verify(keys)
        .map_err(|e| TileError::new(checkpoint_file, None, e.to_string()))?;
    let key = signers
        .first()
        .map(|k| (*k).clone())
        .ok_or_else(|| TileError::new(checkpoint_file, None, "no signature verified".into()))?;
    let cp = signed.checkpoint;
    let size = cp.size;
    let mut tiles = 0;
    let mut bundles = 0;

    // Level 0: each bundle's entries hash to the leaves its hash tile holds.
    let mut partials: Vec<Vec<Hash>> = Vec::new();
    let mut below: Vec<Hash> = Vec::with_capacity(usize::try_from(size / TILE_WIDTH).unwrap_or(0));
    let mut last: Vec<Hash> = Vec::new();
    for t in 0..tile_count(size) {
        let width = tile_width(size, t);
        let first = t * TILE_WIDTH;
        let (bundle_file, bytes, in_file) = read_required(reader, entries_path, t, width, size)?;
        let entries = read_entry_bundle(&bundle_file, &bytes, in_file, first)?;
        bundles += 1;
        let leaves: Vec<Hash> = entries[..width as usize]
            .iter()
            .map(|e| leaf_hash(e))
            .collect();
        let (tile_file, bytes, in_file) =
            read_required(reader, |t, w| tile_path(0, t, w), t, width, size)?;
        let stored = read_hash_tile(&tile_file, &bytes, in_file)?;
        tiles += 1;
        if let Some(i) = (0..leaves.len()).find(|&i| leaves[i] != stored[i]) {
            return Err(TileError::new(
                &tile_file,
                Some(i as u64 * 32),
                format!(
                    "hash {i} (entry {}) is {}, but entry {i} of {bundle_file} hashes to {}: the tile or the entry was altered",
                    first + i as u64,
                    b64::encode(&stored[i]),
                    b64::encode(&leaves[i])
                ),
            )
            .into());
        }
        if width == TILE_WIDTH {
            below.push(subtree_root(&leaves));
        } else {
            last = leaves;
        }
    }
    partials.push(last);

    // Higher levels: each tile holds the roots of the full tiles of the level below.
    let mut level = 1u8;
    while level_count(size, level) > 0 {
        let count = level_count(size, level);
        debug_assert_eq!(count, below.len() as u64);
        let mut next = Vec::with_capacity(below.len() / 256);
        let mut last: Vec<Hash> = Vec::new();
        for t in 0..tile_count(count) {
            let width = tile_width(count, t);
            let first = t * TILE_WIDTH;
            let (tile_file, bytes, in_file) =
                read_required(reader, |t, w| tile_path(level, t, w), t, width, size)?;
            let mut stored = read_hash_tile(&tile_file, &bytes, in_file)?;
            stored.truncate(width as usize);
            tiles += 1;
            let start = usize::try_from(first).unwrap_or(usize::MAX);
            let computed = &below[start..start + stored.len()];
            if let Some(i) = (0..stored.len()).find(|&i| stored[i] != computed[i]) {
                return Err(TileError::new(
                    &tile_file,
                    Some(i as u64 * 32),
                    format!(
                        "hash {i} is {}, but {} hashes to {}: one of the two tiles was altered",
                        b64::encode(&stored[i]),
                        tile_path(level - 1, first + i as u64, TILE_WIDTH),
                        b64::encode(&computed[i])
                    ),
                )
                .into());
            }
            if width == TILE_WIDTH {
                next.push(subtree_root(computed));
            } else {
                last = computed.to_vec();
            }
        }
        partials.push(last);
        below = next;
        level += 1;
    }

    let root = root_from_partials(&partials).unwrap_or(EMPTY_ROOT);
    if root != cp.root {
        return Err(TileError::new(
            checkpoint_file,
            None,
            format!(
                "the tiles' root at size {size} is {}, but the checkpoint's is {}: the tiles are not the log the checkpoint signs",
                b64::encode(&root),
                b64::encode(&cp.root)
            ),
        )
        .into());
    }
    Ok(Verified {
        checkpoint: cp,
        key,
        tiles,
        bundles,
    })
}

/// Reads tile `index` of `width` (by `path`), which the checkpoint's size says
/// must exist. A missing partial tile may be read from the full one, whose first
/// `width` hashes or entries it is (the specification lets a log delete partial
/// tiles once the full tile exists). Returns the file read, its bytes and its width.
fn read_required(
    reader: &impl TileReader,
    path: impl Fn(u64, u64) -> String,
    index: u64,
    width: u64,
    size: u64,
) -> Result<(String, Vec<u8>, u64), VerifyTilesError> {
    let file = path(index, width);
    let read = |file: &str| {
        reader.read(file).map_err(|source| VerifyTilesError::Io {
            file: file.to_owned(),
            source,
        })
    };
    if let Some(bytes) = read(&file)? {
        return Ok((file, bytes, width));
    }
    if width < TILE_WIDTH {
        let full = path(index, TILE_WIDTH);
        if let Some(bytes) = read(&full)? {
            return Ok((full, bytes, TILE_WIDTH));
        }
    }
    Err(TileError::new(
        file,
        None,
        format!(
            "missing: the checkpoint says the log holds {size} entries, which needs this file (the tiles do not reach that size)"
        ),
    )
    .into())
}
