//! The evidence ledger over the store: appends, proofs, checkpoints,
//! cosignatures, whole-log verification and evidence bundles.
//!
//! The tree lives in the store as perfect-subtree nodes, so an append reads
//! only the O(log n) peaks of the tree and a proof reads only the O(log n)
//! nodes its plan names. Nodes below [`LOWEST_STORED_LEVEL`] are not stored:
//! they are recomputed from the at most 16 leaf hashes around them, read in
//! one query with the stored ones. Appends are serialised by the
//! database (a write lock), never by this process, so several server
//! replicas can share one log.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use palisade_store::{
    LedgerCheckpoint, LedgerCosignature, LedgerFilter, LedgerOrder, LedgerRow, LedgerRowRef,
    LedgerTx, Store, StoreError,
};
use serde_json::Value;

use crate::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use crate::cosignature::{Cosignature, CosignatureError};
use crate::entry::{Entry, EntryError};
use crate::merkle::{
    self, Frontier, FrontierError, Hash, NodeId, PlanError, ProofError, consistency_proof_plan,
    inclusion_proof_plan, peak_ids,
};
use crate::note::{Note, NoteError, SignerKey, VerifierKey};
use crate::receipt::{Receipt, ReceiptError};

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it was made.
    pub time: Timestamp,
    /// Who made it.
    pub actor: String,
    /// What kind of decision it is, e.g. `gate.verdict`.
    pub kind: String,
    /// What it is about, e.g. a service or a grant id.
    pub subject: String,
    /// Its details.
    pub data: Value,
}

/// What went wrong in a ledger operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be encoded as an entry.
    #[error("cannot encode the entry: {0}")]
    Entry(#[from] EntryError),
    /// The stored tree is not what its size promises.
    #[error("the stored tree is inconsistent: {0}; run `palisade ledger verify`")]
    Tree(String),
    /// An index or size outside the log.
    #[error("{what} {value} is outside the log, which has {size} entries")]
    OutOfRange {
        /// What was asked for.
        what: &'static str,
        /// The value asked for.
        value: u64,
        /// The log's size.
        size: u64,
    },
    /// Signing needs a key and none was given.
    #[error("no signing key: create one with `palisade ledger keygen` and pass it with --key")]
    NoSigner,
    /// A checkpoint could not be made or read.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A note could not be made or read.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A receipt could not be made or read.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// A cosignature was rejected.
    #[error("cosignature rejected: {0}")]
    Cosignature(String),
}

impl From<PlanError> for LedgerError {
    fn from(e: PlanError) -> Self {
        LedgerError::Tree(e.to_string())
    }
}

impl From<FrontierError> for LedgerError {
    fn from(e: FrontierError) -> Self {
        LedgerError::Tree(e.to_string())
    }
}

/// The result of one append.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The new entry's index.
    pub index: u64,
    /// The log's size after the append.
    pub size: u64,
    /// The tree's root after the append.
    pub root: Hash,
    /// A receipt proving the entry, signed when the ledger has a key.
    pub receipt: Option<Receipt>,
}

/// The result of a batch append.
#[derive(Debug, Clone)]
pub struct BatchAppended {
    /// The first new entry's index.
    pub first: u64,
    /// How many entries were appended.
    pub count: u64,
    /// The log's size after the append.
    pub size: u64,
    /// The tree's root after the append.
    pub root: Hash,
    /// The checkpoint stored for the new size, when the ledger has a key.
    pub checkpoint: Option<SignedCheckpoint>,
}

/// The first place where the stored log and its own hashes disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Divergence {
    /// An index has no entry: it was deleted.
    #[error("entry {index} was removed: the log jumps from entry {before} to entry {after}", before = index.wrapping_sub(1))]
    Removed {
        /// The missing index.
        index: u64,
        /// The next index present.
        after: u64,
    },
    /// An entry's bytes, hash or indexed columns were changed.
    #[error("entry {index} was altered: {what}")]
    Altered {
        /// The entry.
        index: u64,
        /// What does not match.
        what: String,
    },
    /// The entry stored at a position says it belongs elsewhere.
    #[error("the entry at position {position} is entry {claims}: entries were {how}")]
    Moved {
        /// Where it is stored.
        position: u64,
        /// The index inside its signed content.
        claims: u64,
        /// `inserted before it`, `removed before it` or `reordered`.
        how: &'static str,
    },
    /// A stored tree node does not match the entries.
    #[error("tree node (level {level}, index {index}) was altered or is missing")]
    Node {
        /// Its level.
        level: u8,
        /// Its index.
        index: u64,
    },
    /// The node table holds more nodes than the entries make.
    #[error(
        "the tree holds {extra} node(s) that no entry accounts for, first at (level {level}, index {index})"
    )]
    ExtraNodes {
        /// How many.
        extra: u64,
        /// First one's level.
        level: u8,
        /// First one's index.
        index: u64,
    },
    /// A checkpoint's root is not the root of today's tree at its size.
    #[error(
        "checkpoint {size} is not a prefix of today's tree: its root differs from the entries' root at that size"
    )]
    CheckpointMismatch {
        /// The checkpoint's size.
        size: u64,
    },
    /// A checkpoint covers more entries than the log holds now.
    #[error(
        "checkpoint {size} covers more entries than the log now holds ({log_size}): the log was truncated or rolled back"
    )]
    RolledBack {
        /// The checkpoint's size.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// A checkpoint's signature or body is wrong.
    #[error("checkpoint {size} is not validly signed by this log: {why}")]
    CheckpointSignature {
        /// The checkpoint's size.
        size: u64,
        /// Why.
        why: String,
    },
    /// The index of entries by subject does not hold exactly the entries it says it
    /// holds, so a query by subject could miss some.
    #[error(
        "the subject index was edited: {what}; `palisade ledger reindex` rebuilds it from the entries",
        what = match (first, covers) {
            (Some(i), Some(c)) if i < c => format!("entry {i} is missing from it"),
            (Some(i), _) => format!("entry {i} is in it but beyond what it records"),
            (None, Some(c)) => format!("it holds {indexed} entries, its record says {c}"),
            (None, None) => "its record of what it holds is gone".to_owned(),
        }
    )]
    SubjectIndex {
        /// The first entry wrongly in or out of it, when there is one.
        first: Option<u64>,
        /// The entries in it.
        indexed: u64,
        /// The entries it records as holding (`0..covers`), when that record is there.
        covers: Option<u64>,
    },
    /// A witness cosignature does not verify.
    #[error("cosignature of witness `{witness}` on checkpoint {size} does not verify: {why}")]
    Cosignature {
        /// The checkpoint's size.
        size: u64,
        /// The witness.
        witness: String,
        /// Why.
        why: String,
    },
}

/// What `verify` checked and what it found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// Entries re-hashed.
    pub entries: u64,
    /// Stored tree nodes compared.
    pub nodes: u64,
    /// Root of the whole log as recomputed.
    pub root: Hash,
    /// Stored checkpoints checked.
    pub checkpoints: u64,
    /// Witness cosignatures checked.
    pub cosignatures: u64,
    /// Checkpoints from outside (witnesses, auditors) checked.
    pub external: u64,
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
}

/// What verification is checked against.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Keys whose signature makes a checkpoint this log's.
    pub log_keys: Vec<VerifierKey>,
    /// Witness keys (algorithm cosignature/v1).
    pub witnesses: Vec<VerifierKey>,
    /// Checkpoints held outside the store (by witnesses or auditors): each
    /// must be a prefix of today's tree.
    pub external: Vec<SignedCheckpoint>,
    /// Told `(entries re-hashed, entries in the log)` after each run of entries.
    pub progress: Option<Progress>,
}

/// A callback told how far a long operation has come: `(done, total)`.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Entries read back, with their stored row.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The decoded entry.
    pub entry: Entry,
    /// The exact bytes that were hashed.
    pub bytes: Vec<u8>,
}

impl Stored {
    fn decode(row: LedgerRow) -> Result<Self, LedgerError> {
        Ok(Stored {
            entry: Entry::from_canonical(&row.entry)?,
            bytes: row.entry,
        })
    }
}

/// Filters for reading entries.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only at or after this time.
    pub since: Option<Timestamp>,
    /// Only before this time.
    pub until: Option<Timestamp>,
    /// At most this many.
    pub limit: u32,
    /// Skip this many.
    pub offset: u64,
}

/// An evidence bundle's files, as text, for the caller to write.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// `entries.jsonl`: one canonical entry a line, exactly the leaf bytes.
    pub entries: String,
    /// `proofs.jsonl`: `{"index":N,"proof":[base64…]}` a line, same order.
    pub proofs: String,
    /// `checkpoint`: the signed checkpoint all proofs are against.
    pub checkpoint: String,
    /// `log.vkey`: the log's verifier key.
    pub key: String,
    /// How many entries it holds.
    pub count: u64,
}

/// What one append transaction wrote.
struct Written {
    /// The first new index.
    first: u64,
    /// The tree after the append.
    frontier: Frontier,
    /// The tree's peaks before the append.
    peaks: Vec<(NodeId, Hash)>,
    /// Every node the append created, as stored.
    nodes: Vec<(u8, u64, Hash)>,
    /// The checkpoint it stored, if any.
    checkpoint: Option<SignedCheckpoint>,
}

/// Micro-seconds since the epoch, as stored.
fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

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
struct NodeCache(Arc<Mutex<HashMap<NodeId, Hash>>>);

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

    fn keep(&self, nodes: impl IntoIterator<Item = (NodeId, Hash)>) {
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
enum Source<'a, 's> {
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
    async fn nodes(&mut self, wanted: &[NodeId]) -> Result<Vec<Hash>, LedgerError> {
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

/// The store-backed evidence ledger of one organisation.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Store,
    origin: String,
    signer: Option<SignerKey>,
    cache: NodeCache,
}

impl Ledger {
    /// A ledger in `store` whose checkpoints name `origin` (the org's log name).
    pub fn new(store: Store, origin: impl Into<String>) -> Self {
        Ledger {
            store,
            origin: origin.into(),
            signer: None,
            cache: NodeCache::default(),
        }
    }

    /// Signs checkpoints and receipts with `key`.
    pub fn with_signer(mut self, key: SignerKey) -> Self {
        self.signer = Some(key);
        self
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Number of entries.
    pub async fn size(&self) -> Result<u64, LedgerError> {
        Ok(self.store.ledger_size().await?)
    }

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

    /// Appends one event; with a key, returns a signed receipt for it.
    pub async fn append(&self, event: Event) -> Result<Appended, LedgerError> {
        let written = self
            .append_events(std::slice::from_ref(&event), false)
            .await?;
        let (first, size, root) = (
            written.first,
            written.frontier.size(),
            written.frontier.root(),
        );
        let receipt = match &self.signer {
            None => None,
            Some(key) => {
                // The last leaf's proof is made of the old peaks and the nodes
                // this append created, so no read is needed.
                let known: HashMap<NodeId, Hash> = written
                    .peaks
                    .into_iter()
                    .chain(
                        written
                            .nodes
                            .iter()
                            .map(|&(level, index, hash)| (NodeId::new(level, index), hash)),
                    )
                    .collect();
                let proof = inclusion_proof_plan(first, size)?.assemble_from_map(&known)?;
                let signed = Checkpoint::new(self.origin.clone(), size, root).sign(key)?;
                Some(Receipt::new(first, proof, signed))
            }
        };
        Ok(Appended {
            index: first,
            size,
            root,
            receipt,
        })
    }

    /// Appends events in one transaction; with a key, stores a checkpoint
    /// for the new size in the same transaction.
    pub async fn append_batch(&self, events: &[Event]) -> Result<BatchAppended, LedgerError> {
        let written = self.append_events(events, true).await?;
        Ok(BatchAppended {
            first: written.first,
            count: events.len() as u64,
            size: written.frontier.size(),
            root: written.frontier.root(),
            checkpoint: written.checkpoint,
        })
    }

    /// The append itself, in one transaction; with `checkpoint` (and a key,
    /// and something appended) it also signs and stores a checkpoint.
    async fn append_events(
        &self,
        events: &[Event],
        checkpoint: bool,
    ) -> Result<Written, LedgerError> {
        let mut tx = self.store.ledger_begin().await?;
        let size = tx.size().await?;
        let peak_nodes = peak_ids(size);
        let peak_hashes = Source::Tx(&mut tx).nodes(&peak_nodes).await?;
        let peaks: Vec<(NodeId, Hash)> = peak_nodes
            .into_iter()
            .zip(peak_hashes.iter().copied())
            .collect();
        let mut frontier = Frontier::from_peaks(size, peak_hashes)?;
        let mut rows = Vec::with_capacity(events.len());
        let mut nodes = Vec::with_capacity(events.len() * 2);
        for (i, ev) in events.iter().enumerate() {
            let index = size + i as u64;
            // Written directly: no entry clone, no intermediate JSON tree.
            let time = crate::entry::truncate_to_micros(ev.time);
            let bytes =
                crate::entry::encode(index, time, &ev.actor, &ev.kind, &ev.subject, &ev.data)?;
            let leaf = merkle::leaf_hash(&bytes);
            frontier.push_with(leaf, |id, hash| nodes.push((id.level, id.index, hash)));
            rows.push(LedgerRow {
                idx: index,
                leaf_hash: leaf,
                entry: bytes,
                time_us: micros(time),
                actor: ev.actor.clone(),
                kind: ev.kind.clone(),
                subject: ev.subject.clone(),
            });
        }
        tx.insert_entries(&rows).await?;
        let stored: Vec<(u8, u64, Hash)> = nodes
            .iter()
            .copied()
            .filter(|&(level, _, _)| level >= LOWEST_STORED_LEVEL)
            .collect();
        tx.insert_nodes(&stored).await?;
        let mut signed_checkpoint = None;
        if checkpoint
            && !events.is_empty()
            && let Some(key) = &self.signer
        {
            let signed =
                Checkpoint::new(self.origin.clone(), frontier.size(), frontier.root()).sign(key)?;
            tx.insert_checkpoint(&LedgerCheckpoint {
                size: frontier.size(),
                root: frontier.root(),
                note: signed.to_string(),
                created_us: micros(Timestamp::now()),
            })
            .await?;
            signed_checkpoint = Some(signed);
        }
        tx.commit().await?;
        Ok(Written {
            first: size,
            frontier,
            peaks,
            nodes,
            checkpoint: signed_checkpoint,
        })
    }

    /// Signs and stores a checkpoint of the current tree (or returns the
    /// stored one if the tree has not grown since).
    pub async fn checkpoint(&self, now: Timestamp) -> Result<SignedCheckpoint, LedgerError> {
        let key = self.signer.as_ref().ok_or(LedgerError::NoSigner)?;
        let mut tx = self.store.ledger_begin().await?;
        let size = tx.size().await?;
        if let Some(latest) = tx.latest_checkpoint().await?
            && latest.size == size
        {
            tx.rollback().await?;
            return Ok(SignedCheckpoint::parse(latest.note.as_bytes())?);
        }
        let peaks = Source::Tx(&mut tx).nodes(&peak_ids(size)).await?;
        let root = Frontier::from_peaks(size, peaks)?.root();
        let signed = Checkpoint::new(self.origin.clone(), size, root).sign(key)?;
        tx.insert_checkpoint(&LedgerCheckpoint {
            size,
            root,
            note: signed.to_string(),
            created_us: micros(now),
        })
        .await?;
        tx.commit().await?;
        Ok(signed)
    }

    /// The latest stored checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        match self.store.ledger_latest_checkpoint().await? {
            Some(c) => Ok(Some(SignedCheckpoint::parse(c.note.as_bytes())?)),
            None => Ok(None),
        }
    }

    /// An inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.assemble(&inclusion_proof_plan(index, size)?).await
    }

    /// A consistency proof from the tree of `size1` entries to that of `size2`.
    pub async fn consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        self.assemble(&consistency_proof_plan(size1, size2)?).await
    }

    /// Fetches the nodes a plan names, in one query, and builds the proof.
    async fn assemble(&self, plan: &crate::merkle::ProofPlan) -> Result<Vec<Hash>, LedgerError> {
        let wanted = plan.nodes();
        let hashes = Source::Store(&self.store, &self.cache)
            .nodes(&wanted)
            .await?;
        let map: HashMap<NodeId, Hash> = wanted.into_iter().zip(hashes).collect();
        Ok(plan.assemble_from_map(&map)?)
    }

    /// A receipt for entry `index`: against the latest stored checkpoint
    /// that covers it, or, with a key, a fresh checkpoint of today's tree.
    pub async fn prove(&self, index: u64, now: Timestamp) -> Result<Receipt, LedgerError> {
        let size = self.size().await?;
        if index >= size {
            return Err(LedgerError::OutOfRange {
                what: "entry",
                value: index,
                size,
            });
        }
        let checkpoint = match self.latest_checkpoint().await? {
            Some(c) if c.checkpoint.size > index => c,
            _ => self.checkpoint(now).await?,
        };
        let proof = self
            .inclusion_proof(index, checkpoint.checkpoint.size)
            .await?;
        Ok(Receipt::new(index, proof, checkpoint))
    }

    /// Entry `index`, if present.
    pub async fn entry(&self, index: u64) -> Result<Option<Stored>, LedgerError> {
        match self.store.ledger_entry(index).await? {
            None => Ok(None),
            Some(row) => Ok(Some(Stored::decode(row)?)),
        }
    }

    /// Entries matching `query`, oldest first.
    pub async fn query(&self, query: &Query) -> Result<Vec<Stored>, LedgerError> {
        let filter = LedgerFilter {
            kind: query.kind.as_deref(),
            subject: query.subject.as_deref(),
            since_us: query.since.map(micros),
            until_us: query.until.map(micros),
        };
        let rows = self
            .store
            .ledger_query(&filter, LedgerOrder::OldestFirst, query.limit, query.offset)
            .await?;
        rows.into_iter().map(Stored::decode).collect()
    }

    /// The last `n` entries, oldest first.
    pub async fn tail(&self, n: u64) -> Result<Vec<Stored>, LedgerError> {
        let size = self.size().await?;
        let from = size.saturating_sub(n);
        let rows = self.store.ledger_entries(from, size).await?;
        rows.into_iter().map(Stored::decode).collect()
    }

    /// Accepts a witness's cosigned checkpoint: a signed note whose body is
    /// one of our stored checkpoints and that carries cosignature lines. Each
    /// line from a known witness is verified and stored; returns the names
    /// of the witnesses whose cosignatures were added.
    pub async fn cosign(
        &self,
        cosigned_note: &str,
        witnesses: &[VerifierKey],
        now: Timestamp,
    ) -> Result<(u64, Vec<String>), LedgerError> {
        let note = Note::parse(cosigned_note.as_bytes())?;
        let checkpoint = Checkpoint::parse(note.text())?;
        let stored = self
            .store
            .ledger_checkpoint(checkpoint.size)
            .await?
            .ok_or_else(|| {
                LedgerError::Cosignature(format!(
                    "no stored checkpoint of size {}",
                    checkpoint.size
                ))
            })?;
        let ours = SignedCheckpoint::parse(stored.note.as_bytes())?;
        if ours.checkpoint.body() != checkpoint.body() {
            return Err(LedgerError::Cosignature(format!(
                "the witness signed a checkpoint of size {} that is not ours: the log forked or the checkpoint is forged",
                checkpoint.size
            )));
        }
        let mut added = Vec::new();
        for sig in note.signatures() {
            let Some(key) = witnesses
                .iter()
                .find(|k| k.name() == sig.name && k.key_id() == sig.key_id)
            else {
                continue;
            };
            let cosig = Cosignature::from_note_signature(sig)
                .map_err(|e: CosignatureError| LedgerError::Cosignature(e.to_string()))?;
            cosig
                .verify(&checkpoint.body(), key)
                .map_err(|e| LedgerError::Cosignature(format!("witness `{}`: {e}", sig.name)))?;
            let inserted = self
                .store
                .ledger_insert_cosignature(&LedgerCosignature {
                    size: checkpoint.size,
                    witness: sig.name.clone(),
                    line: cosig.line(),
                    received_us: micros(now),
                })
                .await?;
            if inserted {
                added.push(sig.name.clone());
            }
        }
        if added.is_empty()
            && !note
                .signatures()
                .iter()
                .any(|s| witnesses.iter().any(|k| k.name() == s.name))
        {
            return Err(LedgerError::Cosignature(
                "no cosignature from a witness listed in the model (org.witnesses)".to_owned(),
            ));
        }
        Ok((checkpoint.size, added))
    }

    /// Re-hashes the whole log, checks every stored checkpoint, cosignature
    /// and external checkpoint against it, compares every stored tree node,
    /// and names the first divergence. Memory: about 8 bytes an entry.
    ///
    /// The log is read in packed runs of 8,192 entries (one answer each from
    /// the database); a run that does not unpack cleanly, which only rows
    /// edited behind the store's back cause, is read again row by row from
    /// there on, so the divergence is named exactly.
    pub async fn verify(&self, options: &VerifyOptions) -> Result<VerifyReport, LedgerError> {
        const RUN: u64 = 8192;
        const CHUNK: u32 = 20_000;
        // Checkpoints first, then the size: every checkpoint read is then within the
        // size, even while others append.
        let checkpoints = self.all_checkpoints().await?;
        let size = self.store.ledger_size().await?;
        let mut report = VerifyReport {
            entries: 0,
            nodes: 0,
            root: merkle::empty_root(),
            checkpoints: 0,
            cosignatures: 0,
            external: 0,
            divergence: None,
        };
        // Roots at every size a checkpoint (stored or external) names.
        let mut wanted: Vec<u64> = checkpoints
            .iter()
            .map(|c| c.size)
            .chain(options.external.iter().map(|c| c.checkpoint.size))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut roots_at: HashMap<u64, Hash> = HashMap::new();
        if wanted.first() == Some(&0) {
            roots_at.insert(0, merkle::empty_root());
        }
        // The recomputed nodes of the stored levels, by level.
        let mut levels: Vec<Vec<Hash>> = Vec::new();
        let mut frontier = Frontier::new();
        let mut columns = ColumnCheck::default();
        let mut next = 0u64;
        let mut push = |leaf: Hash, next: &mut u64| {
            frontier.push_with(leaf, |id, hash| {
                if id.level >= LOWEST_STORED_LEVEL {
                    let level = usize::from(id.level);
                    if levels.len() <= level {
                        levels.resize_with(level + 1, Vec::new);
                    }
                    levels[level].push(hash);
                }
            });
            *next += 1;
            if wanted.binary_search(next).is_ok() {
                roots_at.insert(*next, frontier.root());
            }
        };
        // Fast: packed runs up to the size.
        while next < size {
            let run = self
                .store
                .ledger_entry_run(next, size.min(next + RUN))
                .await?;
            let Some(rows) = run.rows() else { break };
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if let Some(d) = check_row(row, next, &mut columns) {
                    report.divergence = Some(d);
                    report.entries = next;
                    return Ok(report);
                }
                push(*row.leaf_hash, &mut next);
            }
            if let Some(Progress(tell)) = &options.progress {
                tell(next, size);
            }
        }
        // Exact: row by row from where the runs stopped to the end of the table.
        'rows: loop {
            let rows = self.store.ledger_entries_chunk(next, CHUNK).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if let Some(d) = check_row(&row.as_view(), next, &mut columns) {
                    report.divergence = Some(d);
                    break 'rows;
                }
                push(row.leaf_hash, &mut next);
            }
        }
        report.entries = next;
        report.root = frontier.root();
        if report.divergence.is_some() {
            return Ok(report);
        }

        // Stored checkpoints and their cosignatures.
        for cp in &checkpoints {
            if let Some(d) = self.check_checkpoint(cp, &roots_at, next, options) {
                report.divergence = Some(d);
                return Ok(report);
            }
            report.checkpoints += 1;
            let body = Checkpoint::new(self.origin.clone(), cp.size, cp.root).body();
            for cosig in self.store.ledger_cosignatures(cp.size).await? {
                let Some(key) = options.witnesses.iter().find(|k| k.name() == cosig.witness) else {
                    continue;
                };
                let check = Cosignature::parse_line(&cosig.line)
                    .map_err(|e| e.to_string())
                    .and_then(|c| c.verify(&body, key).map_err(|e| e.to_string()));
                if let Err(why) = check {
                    report.divergence = Some(Divergence::Cosignature {
                        size: cp.size,
                        witness: cosig.witness,
                        why,
                    });
                    return Ok(report);
                }
                report.cosignatures += 1;
            }
        }

        // Checkpoints held outside: a witness's or an auditor's copy.
        for ext in &options.external {
            let size = ext.checkpoint.size;
            if let Err(e) = ext.verify(&options.log_keys) {
                report.divergence = Some(Divergence::CheckpointSignature {
                    size,
                    why: e.to_string(),
                });
                return Ok(report);
            }
            if size > next {
                report.divergence = Some(Divergence::RolledBack {
                    size,
                    log_size: next,
                });
                return Ok(report);
            }
            if roots_at.get(&size) != Some(&ext.checkpoint.root)
                || ext.checkpoint.origin != self.origin
            {
                report.divergence = Some(Divergence::CheckpointMismatch { size });
                return Ok(report);
            }
            report.external += 1;
        }
        // The stored nodes against the recomputed ones: packed runs when every
        // level holds the count it should, row by row to name what differs.
        let expected: Vec<(u8, u64)> = levels
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(level, l)| (level as u8, l.len() as u64))
            .collect();
        if self.store.ledger_node_counts().await? == expected {
            let mut all_equal = true;
            'levels: for &(level, count) in &expected {
                let want = &levels[usize::from(level)];
                let mut from = 0;
                while from < count {
                    let to = count.min(from + RUN * 4);
                    let run = self.store.ledger_node_run(level, from, to).await?;
                    if run.hashes() != Some(&want[from as usize..to as usize]) {
                        all_equal = false;
                        break 'levels;
                    }
                    from = to;
                }
            }
            if all_equal {
                report.nodes = expected.iter().map(|&(_, count)| count).sum();
                report.divergence = self.check_subject_index(next).await?;
                return Ok(report);
            }
        }
        report.divergence = self.compare_nodes_by_row(&levels, &mut report).await?;
        if report.divergence.is_none() {
            report.divergence = self.check_subject_index(next).await?;
        }
        Ok(report)
    }

    /// Rebuilds the index of entries by subject from the entries, after `verify` found it
    /// edited. Returns the entries indexed.
    pub async fn reindex(&self) -> Result<u64, LedgerError> {
        Ok(self.store.ledger_rebuild_subjects().await?)
    }

    /// The subject index is not signed, but a query by subject trusts it to find every
    /// entry: an entry taken out of it would be hidden.
    async fn check_subject_index(&self, size: u64) -> Result<Option<Divergence>, LedgerError> {
        let check = self.store.ledger_check_subjects().await?;
        if check.is_consistent() && check.upto.is_some_and(|upto| upto <= size) {
            return Ok(None);
        }
        Ok(Some(Divergence::SubjectIndex {
            first: check.first_wrong,
            indexed: check.rows,
            covers: check.upto,
        }))
    }

    /// Compares every stored node with `levels` row by row, counting matches
    /// in the report, and names the first one missing, extra or different.
    /// Stored rows arrive ordered by (level, index), so a gap is a missing node.
    async fn compare_nodes_by_row(
        &self,
        levels: &[Vec<Hash>],
        report: &mut VerifyReport,
    ) -> Result<Option<Divergence>, LedgerError> {
        const CHUNK: u32 = 20_000;
        let mut from = (0u8, 0u64);
        let mut expect = (0usize, 0u64);
        let missing_before = |expect: (usize, u64), upto: (usize, u64)| -> Option<Divergence> {
            let (mut level, mut index) = expect;
            while (level, index) < upto {
                if levels
                    .get(level)
                    .is_some_and(|l| (index as usize) < l.len())
                {
                    return Some(Divergence::Node {
                        level: level as u8,
                        index,
                    });
                }
                level += 1;
                index = 0;
                if level >= levels.len() {
                    break;
                }
            }
            None
        };
        loop {
            let nodes = self.store.ledger_nodes_chunk(from, CHUNK).await?;
            let Some(&(last_level, last_index, _)) = nodes.last() else {
                break;
            };
            for &(level, index, hash) in &nodes {
                if let Some(d) = missing_before(expect, (usize::from(level), index)) {
                    return Ok(Some(d));
                }
                match levels
                    .get(usize::from(level))
                    .and_then(|l| l.get(index as usize))
                {
                    Some(h) if *h == hash => report.nodes += 1,
                    Some(_) => return Ok(Some(Divergence::Node { level, index })),
                    None => {
                        return Ok(Some(Divergence::ExtraNodes {
                            extra: 1,
                            level,
                            index,
                        }));
                    }
                }
                expect = (usize::from(level), index + 1);
            }
            from = (last_level, last_index + 1);
        }
        Ok(missing_before(expect, (levels.len(), 0)))
    }

    fn check_checkpoint(
        &self,
        cp: &LedgerCheckpoint,
        roots_at: &HashMap<u64, Hash>,
        log_size: u64,
        options: &VerifyOptions,
    ) -> Option<Divergence> {
        let size = cp.size;
        if size > log_size {
            return Some(Divergence::RolledBack { size, log_size });
        }
        if roots_at.get(&size) != Some(&cp.root) {
            return Some(Divergence::CheckpointMismatch { size });
        }
        let signed = match SignedCheckpoint::parse(cp.note.as_bytes()) {
            Ok(s) => s,
            Err(e) => {
                return Some(Divergence::CheckpointSignature {
                    size,
                    why: e.to_string(),
                });
            }
        };
        if signed.checkpoint.size != size
            || signed.checkpoint.root != cp.root
            || signed.checkpoint.origin != self.origin
        {
            return Some(Divergence::CheckpointSignature {
                size,
                why: "the signed note does not match the stored size, root or origin".to_owned(),
            });
        }
        if !options.log_keys.is_empty()
            && let Err(e) = signed.verify(&options.log_keys)
        {
            return Some(Divergence::CheckpointSignature {
                size,
                why: e.to_string(),
            });
        }
        None
    }

    async fn all_checkpoints(&self) -> Result<Vec<LedgerCheckpoint>, LedgerError> {
        let mut all = Vec::new();
        let mut from = 0;
        loop {
            let batch = self.store.ledger_checkpoints(from, 10_000).await?;
            let Some(last) = batch.last() else { break };
            from = last.size + 1;
            all.extend(batch);
        }
        Ok(all)
    }

    /// An evidence bundle of the entries made in `[since, until)`: the
    /// entries, an inclusion proof of each against one signed checkpoint, and
    /// the key to check it with. Needs a signing key only when no stored
    /// checkpoint covers the last entry.
    pub async fn export(
        &self,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Bundle, LedgerError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            let filter = LedgerFilter {
                since_us: Some(micros(since)),
                until_us: Some(micros(until)),
                ..LedgerFilter::default()
            };
            let batch = self
                .store
                .ledger_query(&filter, LedgerOrder::OldestFirst, 10_000, offset)
                .await?;
            let n = batch.len() as u64;
            rows.extend(batch);
            if n < 10_000 {
                break;
            }
            offset += n;
        }
        let last = rows.iter().map(|r| r.idx).max();
        let checkpoint = match (self.latest_checkpoint().await?, last) {
            (Some(c), Some(l)) if c.checkpoint.size > l => c,
            (Some(c), None) => c,
            _ => self.checkpoint(now).await?,
        };
        let size = checkpoint.checkpoint.size;
        let mut entries = String::new();
        let mut proofs = String::new();
        for row in &rows {
            let proof = self.inclusion_proof(row.idx, size).await?;
            let text = String::from_utf8(row.entry.clone())
                .map_err(|_| LedgerError::Tree(format!("entry {} is not UTF-8", row.idx)))?;
            entries.push_str(&text);
            entries.push('\n');
            let hashes: Vec<Value> = proof.iter().map(|h| Value::String(b64.encode(h))).collect();
            proofs.push_str(&serde_json::json!({"index": row.idx, "proof": hashes}).to_string());
            proofs.push('\n');
        }
        let key = match &self.signer {
            Some(k) => k.verifier().to_string(),
            None => String::new(),
        };
        Ok(Bundle {
            entries,
            proofs,
            checkpoint: checkpoint.to_string(),
            key,
            count: rows.len() as u64,
        })
    }
}

/// Checks one stored row against its own content; `expected` is the index it
/// must have.
fn check_row(
    row: &LedgerRowRef<'_>,
    expected: u64,
    columns: &mut ColumnCheck,
) -> Option<Divergence> {
    if row.idx != expected {
        return Some(Divergence::Removed {
            index: expected,
            after: row.idx,
        });
    }
    let leaf = merkle::leaf_hash(row.entry);
    if leaf != *row.leaf_hash {
        return Some(Divergence::Altered {
            index: row.idx,
            what: "its bytes no longer hash to its leaf hash".to_owned(),
        });
    }
    // The common case, cheaply: the bytes are exactly the canonical entry of
    // this row's index and columns around some data. Only when they are not
    // is the entry decoded, to say precisely what differs.
    if columns.matches(row) {
        return None;
    }
    let entry = match Entry::from_canonical(row.entry) {
        Ok(e) => e,
        Err(e) => {
            return Some(Divergence::Altered {
                index: row.idx,
                what: format!("its content is not a canonical entry ({e})"),
            });
        }
    };
    if entry.index != row.idx {
        let how = if entry.index < row.idx {
            "inserted before it"
        } else {
            "removed before it"
        };
        return Some(Divergence::Moved {
            position: row.idx,
            claims: entry.index,
            how,
        });
    }
    if entry.kind != row.kind
        || entry.subject != row.subject
        || entry.actor != row.actor
        || micros(entry.time) != row.time_us
    {
        return Some(Divergence::Altered {
            index: row.idx,
            what:
                "its indexed columns (kind, subject, actor or time) differ from its signed content"
                    .to_owned(),
        });
    }
    None
}

/// Whether a row's bytes are `{"actor":…,"data":…,"index":…,"kind":…,
/// "subject":…,"time":…}` (RFC 8785 key order) with the row's index and
/// columns. The data in the middle is covered by the leaf hash, the tree
/// and the signed checkpoints. Keeps its buffers between rows: a log is
/// checked without an allocation per entry.
#[derive(Debug, Default)]
struct ColumnCheck {
    head: String,
    tail: String,
}

impl ColumnCheck {
    fn matches(&mut self, row: &LedgerRowRef<'_>) -> bool {
        use std::fmt::Write as _;
        let Ok(time) = Timestamp::from_microsecond(row.time_us) else {
            return false;
        };
        self.head.clear();
        self.head.push_str("{\"actor\":");
        crate::jcs::write_string(row.actor, &mut self.head);
        self.head.push_str(",\"data\":");
        self.tail.clear();
        let _ = write!(self.tail, ",\"index\":{},\"kind\":", row.idx);
        crate::jcs::write_string(row.kind, &mut self.tail);
        self.tail.push_str(",\"subject\":");
        crate::jcs::write_string(row.subject, &mut self.tail);
        self.tail.push_str(",\"time\":\"");
        if crate::entry::write_time(time, &mut self.tail).is_err() {
            return false;
        }
        self.tail.push_str("\"}");
        row.entry.len() > self.head.len() + self.tail.len()
            && row.entry.starts_with(self.head.as_bytes())
            && row.entry.ends_with(self.tail.as_bytes())
    }
}

/// Checks an evidence bundle with nothing but its own files: the checkpoint
/// against the key, then every entry's proof against the checkpoint.
/// Returns the checkpoint and the number of entries checked.
pub fn verify_bundle(
    entries: &str,
    proofs: &str,
    checkpoint: &str,
    key: &str,
) -> Result<(Checkpoint, u64), BundleError> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = VerifierKey::parse(key.trim())
        .map_err(|e| BundleError::new("log.vkey", 1, e.to_string()))?;
    let signed = SignedCheckpoint::open(checkpoint.as_bytes(), std::slice::from_ref(&key))
        .map_err(|e| BundleError::new("checkpoint", 1, e.to_string()))?;
    let cp = signed.checkpoint;
    let entry_lines: Vec<&str> = entries.lines().collect();
    let proof_lines: Vec<&str> = proofs.lines().collect();
    if entry_lines.len() != proof_lines.len() {
        return Err(BundleError::new(
            "proofs.jsonl",
            proof_lines.len().min(entry_lines.len()) + 1,
            format!(
                "{} entries but {} proofs: the bundle is truncated",
                entry_lines.len(),
                proof_lines.len()
            ),
        ));
    }
    for (n, (entry, proof)) in entry_lines.iter().zip(&proof_lines).enumerate() {
        let line = n + 1;
        let parsed = Entry::from_canonical(entry.as_bytes())
            .map_err(|e| BundleError::new("entries.jsonl", line, e.to_string()))?;
        let value: Value = serde_json::from_str(proof)
            .map_err(|e| BundleError::new("proofs.jsonl", line, e.to_string()))?;
        let index = value["index"]
            .as_u64()
            .ok_or_else(|| BundleError::new("proofs.jsonl", line, "no `index`".to_owned()))?;
        if index != parsed.index {
            return Err(BundleError::new(
                "proofs.jsonl",
                line,
                format!(
                    "proof is for entry {index} but the entry on this line is {}",
                    parsed.index
                ),
            ));
        }
        let hashes = value["proof"]
            .as_array()
            .ok_or_else(|| BundleError::new("proofs.jsonl", line, "no `proof` array".to_owned()))?
            .iter()
            .map(|h| {
                let bytes = h
                    .as_str()
                    .and_then(|s| b64.decode(s).ok())
                    .filter(|b| b.len() == 32);
                bytes.map(|b| {
                    let mut out = [0u8; 32];
                    out.copy_from_slice(&b);
                    out
                })
            })
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| {
                BundleError::new(
                    "proofs.jsonl",
                    line,
                    "a proof hash is not 32 bytes of base64".to_owned(),
                )
            })?;
        merkle::verify_inclusion(
            &merkle::leaf_hash(entry.as_bytes()),
            index,
            cp.size,
            &hashes,
            &cp.root,
        )
        .map_err(|e: ProofError| {
            BundleError::new("proofs.jsonl", line, format!("entry {index}: {e}"))
        })?;
    }
    Ok((cp, entry_lines.len() as u64))
}

/// A problem in an evidence bundle, with the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct BundleError {
    /// The bundle file.
    pub file: &'static str,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl BundleError {
    fn new(file: &'static str, line: usize, message: String) -> Self {
        BundleError {
            file,
            line,
            message,
        }
    }
}
