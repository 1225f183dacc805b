//! The log as C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>): static files
//! anyone can mirror, read by witnesses, monitors and Tessera clients.
//!
//! A tiled log is a directory holding:
//! - `checkpoint`: the log's signed checkpoint ([`crate::checkpoint`]);
//! - `tile/<L>/<N>[.p/<W>]`: hash tiles. Tile `N` of level `L` holds the hashes
//!   of the tree's nodes of level `8 L` with indexes `256 N .. 256 N + W`, 32
//!   bytes each, concatenated: a full tile has 256 of them, the log's last tile
//!   of a level may be partial (`.p/<W>`, `1 <= W < 256`);
//! - `tile/entries/<N>[.p/<W>]`: entry bundles, the leaf data of the entries
//!   that hash tile `N` of level 0 covers, each a big-endian `u16` length and
//!   the bytes.
//!
//! `N` is written in groups of three digits, all but the last prefixed with `x`
//! (`1234067` is `x001/x234/067`). Full tiles never change; a partial tile is
//! superseded by a wider one as the log grows.
//!
//! - `codec`: the tile and entry-bundle formats, strict readers that name the byte at fault;
//! - `verify`: checking a tiled log against a pinned key, recomputing every tile;
//! - `dir`: a tiled log in a directory (the one part of this module that touches files);
//! - `export`: writing the store-backed ledger as tiles, incrementally;
//! - `memory`: a whole tiled log built in memory from its entries.

mod codec;
mod dir;
mod export;
mod memory;
mod verify;

pub use codec::{encode_entry_bundle, encode_hash_tile, read_entry_bundle, read_hash_tile};
pub use dir::{Dir, TileReader};
pub use export::{ExportError, Exported, export_tiles};
pub use memory::MemoryTiles;
pub use verify::{Verified, VerifyTilesError, verify_tiles};

use crate::merkle::{Hash, node_hash};

/// The tree levels one tile spans.
pub const TILE_HEIGHT: u8 = 8;

/// The most hashes a tile holds (and entries a bundle holds): `2^TILE_HEIGHT`.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// The file name of the checkpoint in a tiled log.
pub const CHECKPOINT: &str = "checkpoint";

/// What is wrong in a tiled log: the file and, in the message, the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
#[non_exhaustive]
pub struct TileError {
    /// The file, relative to the log's directory (`tile/0/x001/234.p/7`).
    pub file: String,
    /// The byte offset in the file where the damage starts, when there is one.
    pub offset: Option<u64>,
    /// What is wrong, and where (entry, hash or byte).
    pub message: String,
}

impl TileError {
    pub(crate) fn new(file: impl Into<String>, offset: Option<u64>, message: String) -> Self {
        TileError {
            file: file.into(),
            offset,
            message,
        }
    }
}

/// The number of tiles of a level that holds `count` hashes.
pub fn tile_count(count: u64) -> u64 {
    count.div_ceil(TILE_WIDTH)
}

/// The width of tile `index` of a level that holds `count` hashes (0 past its end).
pub fn tile_width(count: u64, index: u64) -> u64 {
    count
        .saturating_sub(index.saturating_mul(TILE_WIDTH))
        .min(TILE_WIDTH)
}

/// The number of hashes level `level` holds in a tree of `size` leaves.
pub fn level_count(size: u64, level: u8) -> u64 {
    size.checked_shr(u32::from(level) * u32::from(TILE_HEIGHT))
        .unwrap_or(0)
}

/// `N` as path elements: three digits each, all but the last prefixed with `x`.
fn index_path(index: u64) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i == last {
                format!("{g:03}")
            } else {
                format!("x{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn with_width(mut path: String, width: u64) -> String {
    if width < TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// The path of hash tile `index` of `level` with `width` hashes: `tile/<L>/<N>[.p/<W>]`.
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", index_path(index)), width)
}

/// The path of entry bundle `index` with `width` entries: `tile/entries/<N>[.p/<W>]`.
pub fn entries_path(index: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", index_path(index)), width)
}

/// The root of a perfect subtree over `hashes` (a power of two of them).
pub(crate) fn subtree_root(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two());
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// The tree's root from the hashes of the last (partial) tile of each level,
/// lowest level first: every peak of the tree lies in one of them. Levels whose
/// last tile is full contribute nothing (pass an empty slice).
pub(crate) fn root_from_partials(partials: &[Vec<Hash>]) -> Option<Hash> {
    let mut root: Option<Hash> = None;
    for hashes in partials {
        // The peaks of this level, right to left: the run's binary decomposition.
        let mut end = hashes.len();
        while end > 0 {
            let width = 1usize << end.trailing_zeros();
            let peak = subtree_root(&hashes[end - width..end]);
            root = Some(match root {
                None => peak,
                Some(right) => node_hash(&peak, &right),
            });
            end -= width;
        }
    }
    root
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::merkle::{MemoryTree, leaf_hash};

    #[test]
    fn paths_group_the_index_in_threes() {
        assert_eq!(tile_path(0, 0, 256), "tile/0/000");
        assert_eq!(tile_path(1, 1_234_067, 256), "tile/1/x001/x234/067");
        assert_eq!(tile_path(0, 1000, 7), "tile/0/x001/000.p/7");
        assert_eq!(entries_path(5, 1), "tile/entries/005.p/1");
        assert_eq!(entries_path(999, 256), "tile/entries/999");
    }

    #[test]
    fn widths_and_counts() {
        assert_eq!(tile_count(0), 0);
        assert_eq!(tile_count(256), 1);
        assert_eq!(tile_count(257), 2);
        assert_eq!(tile_width(257, 1), 1);
        assert_eq!(tile_width(257, 0), 256);
        assert_eq!(level_count(70_000, 1), 273);
        assert_eq!(level_count(70_000, 2), 1);
        assert_eq!(level_count(u64::MAX, 8), 0);
    }

    #[test]
    fn root_from_partials_matches_the_tree() {
        for size in [1u64, 2, 3, 255, 256, 257, 511, 512, 513, 65_536 + 300] {
            let mut tree = MemoryTree::new();
            let leaves: Vec<Hash> = (0..size)
                .map(|i| {
                    tree.append(&i.to_be_bytes());
                    leaf_hash(&i.to_be_bytes())
                })
                .collect();
            let mut partials = Vec::new();
            let mut level = leaves;
            while !level.is_empty() {
                let full = level.len() / 256 * 256;
                partials.push(level[full..].to_vec());
                level = level[..full].chunks(256).map(subtree_root).collect();
            }
            assert_eq!(root_from_partials(&partials), Some(tree.root()), "{size}");
        }
    }
}
