//! A whole tiled log built in memory from its entries: for tests, benchmarks
//! and fuzzing, and for anyone who wants to serve a small log without a store.

use std::collections::BTreeMap;

use super::codec::{encode_entry_bundle, encode_hash_tile};
use super::{TILE_WIDTH, entries_path, root_from_partials, subtree_root, tile_path};
use crate::merkle::{EMPTY_ROOT, Hash, leaf_hash};

/// A tiled log's files (without the checkpoint), by path, and its root.
#[derive(Debug, Clone, Default)]
pub struct MemoryTiles {
    /// Every tile and entry bundle, by its path in the log.
    pub files: BTreeMap<String, Vec<u8>>,
    /// How many entries.
    pub size: u64,
    /// The tree's root: what a checkpoint of it signs.
    pub root: Hash,
}

impl MemoryTiles {
    /// The tiles of a log holding `entries`. Fails with the index of an entry
    /// longer than an entry bundle allows (65,535 bytes).
    pub fn build<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, u64> {
        let entries: Vec<&[u8]> = entries.into_iter().collect();
        let mut files = BTreeMap::new();
        let mut partials = Vec::new();
        let mut level: Vec<Hash> = Vec::with_capacity(entries.len());
        for (t, chunk) in entries.chunks(TILE_WIDTH as usize).enumerate() {
            let t = t as u64;
            let bundle = encode_entry_bundle(chunk.iter().copied())
                .map_err(|i| t * TILE_WIDTH + i as u64)?;
            files.insert(entries_path(t, chunk.len() as u64), bundle);
            level.extend(chunk.iter().map(|e| leaf_hash(e)));
        }
        let mut height = 0u8;
        while !level.is_empty() {
            for (t, chunk) in level.chunks(TILE_WIDTH as usize).enumerate() {
                files.insert(
                    tile_path(height, t as u64, chunk.len() as u64),
                    encode_hash_tile(chunk),
                );
            }
            let full = level.len() / TILE_WIDTH as usize * TILE_WIDTH as usize;
            partials.push(level[full..].to_vec());
            level = level[..full]
                .chunks(TILE_WIDTH as usize)
                .map(subtree_root)
                .collect();
            height += 1;
        }
        Ok(MemoryTiles {
            files,
            size: entries.len() as u64,
            root: root_from_partials(&partials).unwrap_or(EMPTY_ROOT),
        })
    }
}
