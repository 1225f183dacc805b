//! Inclusion and consistency proofs from the stored tree, and receipts.

use std::collections::HashMap;

use jiff::Timestamp;

use super::tree::Source;
use super::{Ledger, LedgerError};
use crate::merkle::{Hash, NodeId, consistency_proof_plan, inclusion_proof_plan};
use crate::receipt::Receipt;

impl Ledger {
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
}
