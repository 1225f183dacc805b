//! Pinned trust: which keys a verifier accepts a log's checkpoints from, and
//! how many witnesses must have cosigned them.
//!
//! **For:** checking a signed checkpoint of any log (ours or another's)
//! against keys the auditor obtained out of band, never against a key that
//! travels with the data being checked; and checking that two such
//! checkpoints are consistent ([`verify_consistency`]), with a proof in the
//! text form C2SP `tlog-proof` and Go's `tlog` use (one base64 hash a line).
//!
//! **Not for:** finding the keys. Where they come from (a command-line
//! flag, the model's `org.log_key`) is the caller's business.

use crate::b64::{self, DecodeArrayError};
use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::cosignature::{self, CosignatureError};
use crate::merkle::{self, Hash, ProofError};
use crate::note::{Algorithm, Note, VerifierKey};

/// Why a checkpoint is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The checkpoint is malformed, or no pinned key signed it validly.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A pinned witness's cosignature is malformed or does not verify.
    #[error(transparent)]
    Cosignature(#[from] CosignatureError),
    /// Too few of the pinned witnesses cosigned.
    #[error(
        "{found} of the {needed} witness cosignatures required{}",
        if .cosigned.is_empty() { String::new() } else { format!(" (cosigned by: {})", .cosigned.join(", ")) }
    )]
    Witnesses {
        /// How many were required.
        needed: usize,
        /// How many valid ones there are.
        found: usize,
        /// The names of the witnesses that did cosign.
        cosigned: Vec<String>,
    },
    /// The two checkpoints are of different logs.
    #[error("the checkpoints are of different logs: {old:?} and {new:?}")]
    OriginsDiffer {
        /// The older checkpoint's origin.
        old: String,
        /// The newer checkpoint's origin.
        new: String,
    },
    /// The consistency proof does not hold.
    #[error("the consistency proof from size {size1} to {size2} does not verify: {source}")]
    Consistency {
        /// The older size.
        size1: u64,
        /// The newer size.
        size2: u64,
        /// Why.
        #[source]
        source: ProofError,
    },
}

/// The keys and witnesses a checkpoint must satisfy.
#[derive(Debug, Clone, Default)]
pub struct TrustPolicy {
    /// The log's keys, pinned out of band: a checkpoint needs a valid
    /// signature by at least one.
    pub log_keys: Vec<VerifierKey>,
    /// The origin the checkpoint must have; `None` accepts any.
    pub origin: Option<String>,
    /// Witness keys (`cosignature/v1`) whose cosignatures count.
    pub witnesses: Vec<VerifierKey>,
    /// How many distinct `witnesses` must have validly cosigned.
    pub min_witnesses: usize,
}

/// What a trusted checkpoint was verified with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    /// The pinned log keys that signed it.
    pub signers: Vec<VerifierKey>,
    /// The pinned witnesses that cosigned it, with their times.
    pub witnesses: Vec<(VerifierKey, u64)>,
}

/// Why a set of pinned keys is not a usable trust policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// No log key is pinned.
    #[error("no log key is pinned")]
    NoLogKey,
    /// A pinned log key is not an Ed25519 note key.
    #[error(
        "{key} is a {algorithm} key, not a log's Ed25519 note key; pass witness keys as witnesses"
    )]
    NotALogKey {
        /// The key, as `<name>+<key id>`.
        key: String,
        /// Its algorithm.
        algorithm: String,
    },
    /// A pinned witness key is not a cosignature/v1 key.
    #[error("witness {key} is a {algorithm} key, not a cosignature/v1 witness key")]
    NotAWitnessKey {
        /// The key, as `<name>+<key id>`.
        key: String,
        /// Its algorithm.
        algorithm: String,
    },
    /// More witnesses are required than are pinned.
    #[error("{min} witness cosignatures required but only {pinned} witness keys pinned")]
    TooFewWitnesses {
        /// How many are required.
        min: usize,
        /// How many are pinned.
        pinned: usize,
    },
}

impl TrustPolicy {
    /// A policy from keys pinned out of band: at least one Ed25519 log key,
    /// `cosignature/v1` witness keys, and `min_witnesses` of them required
    /// (all of them when `None`).
    pub fn new(
        log_keys: Vec<VerifierKey>,
        origin: Option<String>,
        witnesses: Vec<VerifierKey>,
        min_witnesses: Option<usize>,
    ) -> Result<TrustPolicy, PolicyError> {
        let label = |k: &VerifierKey| format!("{}+{:08x}", k.name(), k.key_id());
        if log_keys.is_empty() {
            return Err(PolicyError::NoLogKey);
        }
        if let Some(k) = log_keys
            .iter()
            .find(|k| k.algorithm() != Algorithm::Ed25519)
        {
            return Err(PolicyError::NotALogKey {
                key: label(k),
                algorithm: k.algorithm().to_string(),
            });
        }
        if let Some(k) = witnesses
            .iter()
            .find(|k| k.algorithm() != Algorithm::CosignatureV1)
        {
            return Err(PolicyError::NotAWitnessKey {
                key: label(k),
                algorithm: k.algorithm().to_string(),
            });
        }
        let min_witnesses = min_witnesses.unwrap_or(witnesses.len());
        if min_witnesses > witnesses.len() {
            return Err(PolicyError::TooFewWitnesses {
                min: min_witnesses,
                pinned: witnesses.len(),
            });
        }
        Ok(TrustPolicy {
            log_keys,
            origin,
            witnesses,
            min_witnesses,
        })
    }

    /// Checks a signed checkpoint: a valid signature by a pinned log key,
    /// the origin, and enough valid cosignatures by pinned witnesses.
    pub fn check(&self, signed: &SignedCheckpoint) -> Result<Trusted, TrustError> {
        let signers = signed.verify(&self.log_keys)?;
        if let Some(origin) = &self.origin {
            signed.check_origin(origin)?;
        }
        let witnesses = cosignature::verify_cosignatures(&signed.note, &self.witnesses)?;
        if witnesses.len() < self.min_witnesses {
            return Err(TrustError::Witnesses {
                needed: self.min_witnesses,
                found: witnesses.len(),
                cosigned: witnesses.iter().map(|(k, _)| k.name().to_owned()).collect(),
            });
        }
        Ok(Trusted {
            signers: signers.into_iter().cloned().collect(),
            witnesses: witnesses.into_iter().map(|(k, t)| (k.clone(), t)).collect(),
        })
    }
}

impl TrustPolicy {
    /// Reads a signed checkpoint and checks it ([`TrustPolicy::check`]).
    pub fn check_bytes(&self, bytes: &[u8]) -> Result<(SignedCheckpoint, Trusted), TrustError> {
        let signed = SignedCheckpoint::parse(bytes)?;
        let trusted = self.check(&signed)?;
        Ok((signed, trusted))
    }

    /// Checks any signed note: a valid signature by a pinned log key. When the policy
    /// names an origin or witnesses, the note must also be a checkpoint that answers to
    /// them; the witnesses that cosigned it are then in the answer.
    pub fn check_note(&self, note: &Note) -> Result<Trusted, TrustError> {
        let signers: Vec<VerifierKey> = note
            .verify(&self.log_keys)
            .map_err(CheckpointError::from)?
            .into_iter()
            .cloned()
            .collect();
        let mut witnesses = Vec::new();
        if self.origin.is_some() || !self.witnesses.is_empty() {
            let signed = SignedCheckpoint::from_note(note.clone())?;
            witnesses = self.check(&signed)?.witnesses;
        }
        Ok(Trusted { signers, witnesses })
    }
}

/// A file of verifier keys that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: not a verifier key: {reason}")]
#[non_exhaustive]
pub struct KeyFileError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses a file of verifier keys: one a line, blank lines and `#` comments skipped.
pub fn parse_key_lines(text: &str) -> Result<Vec<VerifierKey>, KeyFileError> {
    let mut keys = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        keys.push(VerifierKey::parse(line).map_err(|e| KeyFileError {
            line: i + 1,
            reason: e.to_string(),
        })?);
    }
    Ok(keys)
}

/// Checks that `new` extends `old`: both are of the same log and the proof
/// takes the older tree to the newer one. The checkpoints' signatures are
/// the caller's to check first ([`TrustPolicy::check`]).
pub fn verify_consistency(
    old: &SignedCheckpoint,
    new: &SignedCheckpoint,
    proof: &[Hash],
) -> Result<(), TrustError> {
    let (old, new) = (&old.checkpoint, &new.checkpoint);
    if old.origin != new.origin {
        return Err(TrustError::OriginsDiffer {
            old: old.origin.clone(),
            new: new.origin.clone(),
        });
    }
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, proof).map_err(|source| {
        TrustError::Consistency {
            size1: old.size,
            size2: new.size,
            source,
        }
    })
}

/// A proof file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
#[non_exhaustive]
pub struct ProofFileError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The most hashes a proof file may hold: two per level of a 2^64-leaf tree.
pub const MAX_PROOF_FILE_HASHES: usize = 128;

/// Parses a proof as text: one canonical base64 hash a line, each line
/// ending in a newline; an empty text is the empty proof.
pub fn parse_proof_lines(text: &str) -> Result<Vec<Hash>, ProofFileError> {
    let mut hashes = Vec::new();
    if text.is_empty() {
        return Ok(hashes);
    }
    let Some(body) = text.strip_suffix('\n') else {
        return Err(ProofFileError {
            line: text.matches('\n').count() + 1,
            reason: "the last line must end with a newline".to_owned(),
        });
    };
    for (i, line) in body.split('\n').enumerate() {
        let number = i + 1;
        if hashes.len() == MAX_PROOF_FILE_HASHES {
            return Err(ProofFileError {
                line: number,
                reason: format!("more than {MAX_PROOF_FILE_HASHES} hashes"),
            });
        }
        let hash = b64::decode_array::<32>(line).map_err(|e| ProofFileError {
            line: number,
            reason: match e {
                DecodeArrayError::Base64 => "not a base64 hash".to_owned(),
                DecodeArrayError::Length(len) => format!("the hash is {len} bytes long, not 32"),
            },
        })?;
        hashes.push(hash);
    }
    Ok(hashes)
}

/// A proof as text: one base64 hash a line, as [`parse_proof_lines`] reads it.
pub fn format_proof_lines(proof: &[Hash]) -> String {
    proof
        .iter()
        .map(|h| format!("{}\n", b64::encode(h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::SignerKey;

    #[test]
    fn key_files_skip_comments_and_blank_lines_and_name_a_bad_line() {
        let one = SignerKey::from_seed("log.acme.example", [7; 32])
            .expect("key")
            .verifier();
        let two = SignerKey::from_seed("witness.example", [9; 32])
            .expect("key")
            .verifier();
        let text = format!("# pinned keys\n\n{one}\n  {two}  \n");
        let keys = parse_key_lines(&text).expect("parses");
        assert_eq!(
            keys.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [one.to_string(), two.to_string()]
        );
        let error = parse_key_lines(&format!("{one}\nnot a key\n")).expect_err("bad line");
        assert_eq!(error.line, 2);
        assert!(parse_key_lines("# nothing\n").expect("parses").is_empty());
    }
}
