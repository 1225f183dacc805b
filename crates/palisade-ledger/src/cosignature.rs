//! C2SP witness cosignatures, `cosignature/v1`
//! (<https://c2sp.org/tlog-cosignature>).
//!
//! A witness that has checked a checkpoint is consistent with every earlier
//! one it saw signs, with Ed25519, the message
//!
//! ```text
//! cosignature/v1
//! time <unix seconds>
//! <checkpoint body, all of its lines>
//! ```
//!
//! and adds a signature line to the checkpoint note whose signature bytes
//! are `key id (4) || timestamp (8, big-endian) || Ed25519 signature (64)`.
//! The witness key's id is computed with algorithm byte 0x04
//! ([`Algorithm::CosignatureV1`]), so a log key and a witness key with the
//! same name and public key still have different ids.
//!
//! Implemented from the specification as we know it: the signed message
//! covers the whole checkpoint body, extension lines included. Time comes
//! from the caller.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::note::{Algorithm, Note, NoteError, NoteSignature, SignerKey, VerifierKey};

/// The first line of the signed message.
pub const HEADER: &str = "cosignature/v1";

/// The length of a cosignature after the key id: timestamp and signature.
const SIGNATURE_LEN: usize = 8 + 64;

/// What is wrong with a cosignature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CosignatureError {
    /// The line is not a note signature line, or a key is unusable.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The checkpoint to cosign is not valid.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The signature bytes are not timestamp and Ed25519 signature.
    #[error(
        "cosignature by {name:?} has {len} bytes after the key id, not 72 (timestamp and signature)"
    )]
    Length {
        /// The witness name.
        name: String,
        /// The length after the key id.
        len: usize,
    },
    /// The cosignature is not by this key.
    #[error(
        "cosignature is by {name:?} ({key_id:08x}), not by key {key_name:?} ({key_key_id:08x})"
    )]
    OtherKey {
        /// The cosignature's key name.
        name: String,
        /// The cosignature's key id.
        key_id: u32,
        /// The verifier key's name.
        key_name: String,
        /// The verifier key's id.
        key_key_id: u32,
    },
    /// The signature does not verify.
    #[error("cosignature by {name:?} ({key_id:08x}) at time {timestamp} is not valid")]
    Invalid {
        /// The witness name.
        name: String,
        /// The key id.
        key_id: u32,
        /// The cosigned time.
        timestamp: u64,
    },
}

/// One witness's cosignature of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness key's name.
    pub name: String,
    /// The witness key's id (algorithm 0x04).
    pub key_id: u32,
    /// When the witness cosigned, in seconds since the Unix epoch.
    pub timestamp: u64,
    /// The Ed25519 signature of [`signed_message`].
    pub signature: [u8; 64],
}

/// The message a witness signs for `checkpoint_body` at `timestamp`.
pub fn signed_message(checkpoint_body: &str, timestamp: u64) -> Vec<u8> {
    format!("{HEADER}\ntime {timestamp}\n{checkpoint_body}").into_bytes()
}

impl Cosignature {
    /// Cosigns a checkpoint with a witness key (algorithm
    /// [`Algorithm::CosignatureV1`]) at `timestamp` (Unix seconds).
    pub fn sign(
        key: &SignerKey,
        checkpoint: &Checkpoint,
        timestamp: u64,
    ) -> Result<Self, CosignatureError> {
        key.require(Algorithm::CosignatureV1)?;
        checkpoint.validate()?;
        let message = signed_message(&checkpoint.body(), timestamp);
        Ok(Cosignature {
            name: key.name().to_owned(),
            key_id: key.key_id(),
            timestamp,
            signature: key.sign_bytes(&message),
        })
    }

    /// Reads a cosignature from a note signature.
    pub fn from_note_signature(sig: &NoteSignature) -> Result<Self, CosignatureError> {
        let bytes = &sig.signature;
        if bytes.len() != SIGNATURE_LEN {
            return Err(CosignatureError::Length {
                name: sig.name.clone(),
                len: bytes.len(),
            });
        }
        let (time, signature) = bytes.split_at(8);
        Ok(Cosignature {
            name: sig.name.clone(),
            key_id: sig.key_id,
            timestamp: u64::from_be_bytes(time.try_into().expect("8 bytes")),
            signature: signature.try_into().expect("64 bytes"),
        })
    }

    /// Parses a signature line, `— <name> <base64>`, with or without its newline.
    pub fn parse_line(line: &str) -> Result<Self, CosignatureError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        Self::from_note_signature(&NoteSignature::parse_line(line, 1)?)
    }

    /// The cosignature as a note signature, to add to a checkpoint note.
    pub fn to_note_signature(&self) -> NoteSignature {
        let mut signature = Vec::with_capacity(SIGNATURE_LEN);
        signature.extend_from_slice(&self.timestamp.to_be_bytes());
        signature.extend_from_slice(&self.signature);
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        }
    }

    /// The signature line, `— <name> <base64(key id || timestamp || signature)>\n`.
    pub fn line(&self) -> String {
        self.to_note_signature().line()
    }

    /// Verifies the cosignature of `checkpoint_body` with a witness key.
    pub fn verify(&self, checkpoint_body: &str, key: &VerifierKey) -> Result<(), CosignatureError> {
        if key.algorithm() != Algorithm::CosignatureV1 {
            return Err(NoteError::WrongAlgorithm {
                name: key.name().to_owned(),
                found: key.algorithm(),
                expected: Algorithm::CosignatureV1,
            }
            .into());
        }
        if key.name() != self.name || key.key_id() != self.key_id {
            return Err(CosignatureError::OtherKey {
                name: self.name.clone(),
                key_id: self.key_id,
                key_name: key.name().to_owned(),
                key_key_id: key.key_id(),
            });
        }
        let message = signed_message(checkpoint_body, self.timestamp);
        if !key.verify_bytes(&message, &self.signature) {
            return Err(CosignatureError::Invalid {
                name: self.name.clone(),
                key_id: self.key_id,
                timestamp: self.timestamp,
            });
        }
        Ok(())
    }
}

/// Verifies the cosignatures a checkpoint note carries from the given
/// witnesses, and returns each witness that validly cosigned with its time.
///
/// Signatures by other keys (the log's, unknown witnesses') are ignored; a
/// signature by one of `witnesses` that is malformed or invalid is an error.
/// How many witnesses must cosign is the caller's policy.
pub fn verify_cosignatures<'k>(
    note: &Note,
    witnesses: &'k [VerifierKey],
) -> Result<Vec<(&'k VerifierKey, u64)>, CosignatureError> {
    let mut verified: Vec<(&'k VerifierKey, u64)> = Vec::new();
    for sig in note.signatures() {
        let Some(key) = witnesses.iter().find(|k| {
            k.algorithm() == Algorithm::CosignatureV1
                && k.name() == sig.name
                && k.key_id() == sig.key_id
        }) else {
            continue;
        };
        let cosignature = Cosignature::from_note_signature(sig)?;
        cosignature.verify(note.text(), key)?;
        if !verified.iter().any(|(k, _)| std::ptr::eq(*k, key)) {
            verified.push((key, cosignature.timestamp));
        }
    }
    Ok(verified)
}
