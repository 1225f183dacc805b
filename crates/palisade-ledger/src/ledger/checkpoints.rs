//! Signed checkpoints of the log, and the cosignatures witnesses add to them.

use jiff::Timestamp;
use palisade_store::{LedgerCheckpoint, LedgerCosignature};

use super::tree::Source;
use super::{Ledger, LedgerError, micros};
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::cosignature::{Cosignature, CosignatureError};
use crate::merkle::{Frontier, peak_ids};
use crate::note::{Note, VerifierKey};

impl Ledger {
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
}
