//! Appends: one event with a receipt, or a batch with a checkpoint, each in one write
//! transaction that reads only the tree's peaks.

use std::collections::HashMap;

use jiff::Timestamp;
use palisade_store::{LedgerCheckpoint, LedgerRow, LedgerTx};

use super::tree::{LOWEST_STORED_LEVEL, Source};
use super::{Event, Ledger, LedgerError, micros};
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::merkle::{self, Frontier, Hash, NodeId, inclusion_proof_plan, peak_ids};
use crate::receipt::Receipt;

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

impl Ledger {
    /// Appends one event; with a key, returns a signed receipt for it.
    pub async fn append(&self, event: Event) -> Result<Appended, LedgerError> {
        let written = self
            .append_events(std::slice::from_ref(&event), None)
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

    /// Appends events in one transaction; with a key, stores a checkpoint for the new
    /// size in the same transaction, made at `now`.
    pub async fn append_batch(
        &self,
        events: &[Event],
        now: Timestamp,
    ) -> Result<BatchAppended, LedgerError> {
        let written = self.append_events(events, Some(now)).await?;
        Ok(BatchAppended {
            first: written.first,
            count: events.len() as u64,
            size: written.frontier.size(),
            root: written.frontier.root(),
            checkpoint: written.checkpoint,
        })
    }

    /// Starts a write transaction holding the ledger's lock. A decision and the state it
    /// changes commit together: write the state through the transaction (the store's
    /// methods on [`LedgerTx`]), append the decision's events with
    /// [`Ledger::append_in`], then [`LedgerTx::commit`]; dropping it rolls both back.
    pub async fn begin(&self) -> Result<LedgerTx<'_>, LedgerError> {
        Ok(self.store.ledger_begin().await?)
    }

    /// Appends `events` inside `tx` (see [`Ledger::begin`]); nothing is durable until the
    /// transaction commits. Returns the first new index and the log's size after them.
    pub async fn append_in(
        &self,
        tx: &mut LedgerTx<'_>,
        events: &[Event],
    ) -> Result<(u64, u64), LedgerError> {
        let written = self.write_events(tx, events, None).await?;
        Ok((written.first, written.frontier.size()))
    }

    /// The append itself, in one transaction; with `checkpoint_at` (and a key, and
    /// something appended) it also signs and stores a checkpoint made then.
    async fn append_events(
        &self,
        events: &[Event],
        checkpoint_at: Option<Timestamp>,
    ) -> Result<Written, LedgerError> {
        let mut tx = self.store.ledger_begin().await?;
        let written = self.write_events(&mut tx, events, checkpoint_at).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Writes entries, nodes and (with `checkpoint_at`) a checkpoint in `tx`, uncommitted.
    async fn write_events(
        &self,
        tx: &mut LedgerTx<'_>,
        events: &[Event],
        checkpoint_at: Option<Timestamp>,
    ) -> Result<Written, LedgerError> {
        let size = tx.size().await?;
        let peak_nodes = peak_ids(size);
        let peak_hashes = Source::Tx(tx).nodes(&peak_nodes).await?;
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
        if let Some(now) = checkpoint_at
            && !events.is_empty()
            && let Some(key) = &self.signer
        {
            let signed =
                Checkpoint::new(self.origin.clone(), frontier.size(), frontier.root()).sign(key)?;
            tx.insert_checkpoint(&LedgerCheckpoint {
                size: frontier.size(),
                root: frontier.root(),
                note: signed.to_string(),
                created_us: micros(now),
            })
            .await?;
            signed_checkpoint = Some(signed);
        }
        Ok(Written {
            first: size,
            frontier,
            peaks,
            nodes,
            checkpoint: signed_checkpoint,
        })
    }
}
