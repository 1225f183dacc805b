//! Reading the stored tree: stored nodes (through the in-memory cache, or inside an append
//! transaction) and the nodes below the stored levels, recomputed from leaf hashes.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use palisade_store::{LedgerTx, Store, StoreError};

use super::{Ledger, LedgerError};
use crate::merkle::{self, Frontier, Hash, NodeId, peak_ids};

/// The lowest level of the tree whose nodes are stored: nodes of levels 0 to 3 cover at
/// most 8 leaves, and recomputing one from its leaf hashes (in `ledger_entries`) costs
/// less than storing and reading it. Storing only levels 4 and up keeps an eighth of the
/// nodes: appends write less and verification reads less.
pub const LOWEST_STORED_LEVEL: u8 = 4;

/// The most nodes [`NodeCache`] keeps: about 200 MiB at most, the whole stored tree of a
/// log of 30 million entries. Past it, the cache starts over.
const CACHE_CAP: usize = 1 << 22;

/// Stored nodes, kept in memory once read. A stored node never changes (it hashes a
/// complete subtree), so a cached one stays right; proofs then read only what is not
/// cached, at least the leaf hashes around the entry. Only nodes read from committed
/// data are kept. Verification never uses it: it reads everything from the store.
/// A server fills it at start with [`Ledger::warm_cache`].
#[derive(Clone, Default)]
pub(super) struct NodeCache(Arc<Mutex<HashMap<NodeId, Hash>>>);

impl fmt::Debug for NodeCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.0.lock().map_or(0, |map| map.len());
        f.debug_struct("NodeCache").field("nodes", &len).finish()
    }
}

impl NodeCache {
    fn get(&self, id: NodeId) -> Option<Hash> {
        self.0.lock().ok()?.get(&id).copied()
    }

    fn len(&self) -> usize {
        self.0.lock().map_or(0, |map| map.len())
    }

    pub(super) fn keep(&self, nodes: impl IntoIterator<Item = (NodeId, Hash)>) {
        let Ok(mut map) = self.0.lock() else { return };
        for (id, hash) in nodes {
            if id.level >= LOWEST_STORED_LEVEL {
                if map.len() >= CACHE_CAP {
                    map.clear();
                }
                map.insert(id, hash);
            }
        }
    }
}

/// Where node hashes are read from: the store (through the cache), or an open append
/// transaction.
pub(super) enum Source<'a, 's> {
    Store(&'a Store, &'a NodeCache),
    Tx(&'a mut LedgerTx<'s>),
}

impl Source<'_, '_> {
    async fn read(
        &mut self,
        ids: &[(u8, u64)],
        leaves: std::ops::Range<u64>,
    ) -> Result<(Vec<Hash>, Vec<Hash>), StoreError> {
        match self {
            Source::Store(store, _) => store.ledger_nodes_and_leaves(ids, leaves).await,
            Source::Tx(tx) => tx.nodes_and_leaves(ids, leaves).await,
        }
    }

    /// The hashes of `wanted` (perfect subtrees), in order: stored ones looked up,
    /// lower ones recomputed from the leaf hashes of their 16-leaf block. One query
    /// for the stored nodes and the first block, one more per further block (a
    /// consistency proof can touch two).
    pub(super) async fn nodes(&mut self, wanted: &[NodeId]) -> Result<Vec<Hash>, LedgerError> {
        let (high, mut low): (Vec<usize>, Vec<usize>) =
            (0..wanted.len()).partition(|&i| wanted[i].level >= LOWEST_STORED_LEVEL);
        let block_of = |id: NodeId| id.start() >> LOWEST_STORED_LEVEL;
        low.sort_by_key(|&i| wanted[i].start());
        let blocks: Vec<&[usize]> = low
            .chunk_by(|&a, &b| block_of(wanted[a]) == block_of(wanted[b]))
            .collect();
        let span = |group: &[usize]| {
            let from = group.iter().map(|&i| wanted[i].start()).min().unwrap_or(0);
            let to = group.iter().map(|&i| wanted[i].end()).max().unwrap_or(0);
            from..to
        };
        let mut out = vec![[0u8; 32]; wanted.len()];
        let cache = match self {
            Source::Store(_, cache) => Some(*cache),
            Source::Tx(_) => None,
        };
        // Cached nodes are answered from memory; the rest are read.
        let high: Vec<usize> = high
            .into_iter()
            .filter(|&i| match cache.and_then(|c| c.get(wanted[i])) {
                Some(hash) => {
                    out[i] = hash;
                    false
                }
                None => true,
            })
            .collect();
        let ids: Vec<(u8, u64)> = high
            .iter()
            .map(|&i| (wanted[i].level, wanted[i].index))
            .collect();
        for (n, group) in blocks.iter().map(Some).chain([None]).enumerate() {
            // The stored nodes come with the first block (or alone if there is none).
            let ids = if n == 0 { &ids[..] } else { &[] };
            let range = group.map_or(0..0, |g| span(g));
            if ids.is_empty() && range.is_empty() {
                continue;
            }
            let (stored, leaves) = self.read(ids, range.clone()).await?;
            if n == 0 {
                for (&i, hash) in high.iter().zip(stored) {
                    out[i] = hash;
                }
                if let Some(cache) = cache {
                    cache.keep(high.iter().map(|&i| (wanted[i], out[i])));
                }
            }
            for &i in group.copied().unwrap_or_default() {
                let id = wanted[i];
                let start = (id.start() - range.start) as usize;
                let end = (id.end() - range.start) as usize;
                out[i] = perfect_root(&leaves[start..end]);
            }
        }
        Ok(out)
    }
}

/// The root of a perfect subtree over `leaves` (a power-of-two count, at most 8 here).
fn perfect_root(leaves: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| merkle::node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level.first().copied().unwrap_or_else(merkle::empty_root)
}

impl Ledger {
    /// Loads the stored nodes into memory, highest levels first, as many as the cache
    /// holds (about 4 million nodes: the whole stored tree of a log of 30 million
    /// entries), and returns how many are cached. A server calls it once at start:
    /// afterwards a proof reads only the leaf hashes around its entry from the
    /// database. Nodes stored later are cached as proofs read them.
    pub async fn warm_cache(&self) -> Result<u64, LedgerError> {
        const RUN: u64 = 1 << 15;
        let size = self.size().await?;
        let mut level = 63u8;
        while level >= LOWEST_STORED_LEVEL {
            let count = size >> level;
            if self.cache.len() as u64 + count > CACHE_CAP as u64 {
                break;
            }
            let mut from = 0;
            while from < count {
                let to = count.min(from + RUN);
                let run = self.store.ledger_node_run(level, from, to).await?;
                let Some(hashes) = run.hashes() else {
                    return Err(LedgerError::Tree(format!(
                        "level {level} does not hold nodes {from}..{to}"
                    )));
                };
                self.cache.keep(
                    (from..to)
                        .zip(hashes.iter().copied())
                        .map(|(index, hash)| (NodeId::new(level, index), hash)),
                );
                from = to;
            }
            level -= 1;
        }
        Ok(self.cache.len() as u64)
    }

    /// The root of the first `size` entries.
    pub async fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        let current = self.size().await?;
        if size > current {
            return Err(LedgerError::OutOfRange {
                what: "size",
                value: size,
                size: current,
            });
        }
        let peaks = Source::Store(&self.store, &self.cache)
            .nodes(&peak_ids(size))
            .await?;
        Ok(Frontier::from_peaks(size, peaks)?.root())
    }
}
