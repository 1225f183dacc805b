//! Evidence bundles: the entries of a period, each with an inclusion proof against one
//! signed checkpoint, and the offline check of one with its files and the log's key,
//! pinned by the auditor: the `log.vkey` a bundle carries is compared, never trusted.

use jiff::Timestamp;
use palisade_store::{LedgerFilter, LedgerOrder};
use serde_json::Value;

use super::{Ledger, LedgerError, micros};
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::entry::Entry;
use crate::merkle::{self, Hash, ProofError};
use crate::note::VerifierKey;
use crate::trust::{TrustPolicy, Trusted};

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

impl Bundle {
    /// The bundle's files, name and text, in the layout `verify-bundle` reads:
    /// the four evidence files and a README for the auditor.
    pub fn files(&self, origin: &str) -> [(&'static str, String); 5] {
        [
            (ENTRIES_FILE, self.entries.clone()),
            (PROOFS_FILE, self.proofs.clone()),
            (CHECKPOINT_FILE, self.checkpoint.clone()),
            (KEY_FILE, self.key.clone()),
            ("README.md", readme(origin, self.count)),
        ]
    }
}

/// The bundle's entries, one a line.
pub const ENTRIES_FILE: &str = "entries.jsonl";
/// The bundle's inclusion proofs, one a line.
pub const PROOFS_FILE: &str = "proofs.jsonl";
/// The bundle's signed checkpoint.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// The verifier key the bundle claims (compared with the pinned one, never trusted).
pub const KEY_FILE: &str = "log.vkey";

/// What a bundle holds and how to check it, for whoever opens it.
fn readme(origin: &str, count: u64) -> String {
    format!(
        "# Evidence bundle of {origin}\n\n\
         {count} ledger entries with proof that each is in the log.\n\n\
         - `entries.jsonl`: one entry a line, exactly the bytes the log hashed\n  (RFC 8785 canonical JSON). Leaf hash = SHA-256(0x00 || line).\n\
         - `proofs.jsonl`: for each line of entries.jsonl, `{{\"index\", \"proof\"}}`,\n  an RFC 9162 inclusion proof (base64 hashes) against the checkpoint.\n\
         - `checkpoint`: the log's signed checkpoint (C2SP tlog-checkpoint in a\n  signed note): origin, tree size, base64 root hash, Ed25519 signature.\n\
         - `log.vkey`: the verifier key the log claims (C2SP signed-note form). Do not\n  trust it: compare it with the key the log publishes (its model's org.log_key).\n\n\
         Check it with the published key: `palisade ledger verify-bundle <dir> --verifier KEY`,\n\
         or any RFC 6962 implementation: recompute each leaf hash, walk its proof to the\n\
         checkpoint's root, and verify the checkpoint's signature with the published key.\n"
    )
}

impl Ledger {
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

/// What [`verify_bundle`] found in a bundle that checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BundleReport {
    /// The checkpoint every proof is against.
    pub checkpoint: Checkpoint,
    /// How many entries were proven.
    pub count: u64,
    /// The pinned keys (and witnesses) the checkpoint verified with.
    pub trusted: Trusted,
    /// The bundle's own `log.vkey`, when it is none of the pinned keys (or is
    /// not a key at all): worth reporting, since whoever wrote the bundle
    /// claims another key.
    pub other_bundled_key: Option<String>,
}

/// Checks an evidence bundle: the checkpoint against the pinned keys of
/// `trust` (never against `bundled_key`, the bundle's own `log.vkey`, which
/// is only compared with them), then every entry's proof against the checkpoint.
pub fn verify_bundle(
    entries: &str,
    proofs: &str,
    checkpoint: &str,
    bundled_key: Option<&str>,
    trust: &TrustPolicy,
) -> Result<BundleReport, BundleError> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let other_bundled_key = bundled_key.map(str::trim).and_then(|text| {
        let pinned = VerifierKey::parse(text).is_ok_and(|key| trust.log_keys.contains(&key));
        (!pinned).then(|| text.to_owned())
    });
    let signed = SignedCheckpoint::parse(checkpoint.as_bytes())
        .map_err(|e| BundleError::new("checkpoint", 1, e.to_string()))?;
    let trusted = trust
        .check(&signed)
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
    Ok(BundleReport {
        checkpoint: cp,
        count: entry_lines.len() as u64,
        trusted,
        other_bundled_key,
    })
}

/// A problem in an evidence bundle, with the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
#[non_exhaustive]
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
