//! C2SP transparency log checkpoints (<https://c2sp.org/tlog-checkpoint>).
//!
//! A checkpoint is the text of a signed note ([`crate::note`]):
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! [extension lines]
//! ```
//!
//! Parsing is strict, so that a checkpoint has one spelling: the origin is
//! non-empty; the size is ASCII decimal without sign or leading zeros and
//! fits 64 bits; the root is canonical padded base64 of exactly 32 bytes;
//! each extension line (optional, kept verbatim, in order) is non-empty. A
//! checkpoint of size 0 must carry the empty tree's root, `SHA-256("")`.
//!
//! Not enforced here (policy for the caller): that the origin is the one
//! expected ([`SignedCheckpoint::check_origin`]), and that the log's key is
//! named after the origin, which the specification recommends.

use std::fmt;

use crate::b64::{self, DecodeArrayError};
use crate::merkle::{EMPTY_ROOT, Hash};
use crate::note::{Note, NoteError, SignerKey, VerifierKey};

/// What is wrong with a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The signed note around the checkpoint is malformed or does not verify.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A required line is missing.
    #[error("line {line}: missing the {what} line")]
    MissingLine {
        /// The line, from 1.
        line: usize,
        /// What the line should hold.
        what: &'static str,
    },
    /// The text does not end with a newline.
    #[error("line {line}: the checkpoint must end with a newline")]
    NotTerminated {
        /// The line, from 1.
        line: usize,
    },
    /// The origin line is empty.
    #[error("line 1: the origin is empty")]
    EmptyOrigin,
    /// The tree size is not a canonical decimal number.
    #[error("line 2: tree size {text:?} {reason}")]
    Size {
        /// The line's text.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The root hash is not canonical base64.
    #[error("line 3: the root hash is not valid base64")]
    RootBase64,
    /// The root hash has the wrong length.
    #[error("line 3: the root hash is {len} bytes long, not 32")]
    RootLength {
        /// Its length.
        len: usize,
    },
    /// A size 0 checkpoint with a root other than the empty tree's.
    #[error("line 3: a checkpoint of size 0 must carry the empty tree's root, SHA-256(\"\")")]
    EmptyTreeRoot,
    /// An extension line is empty.
    #[error("line {line}: an extension line is empty")]
    EmptyExtension {
        /// The line, from 1.
        line: usize,
    },
    /// A field would not make a valid checkpoint line.
    #[error("the {field} {value:?} cannot be a checkpoint line: {reason}")]
    InvalidField {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The checkpoint is of another log.
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    OriginMismatch {
        /// The origin expected.
        expected: String,
        /// The origin found.
        found: String,
    },
}

/// A checkpoint: a log's origin, size and root, plus any extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique identity, conventionally a schema-less URL.
    pub origin: String,
    /// The number of entries in the tree.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// Extension lines after the root, verbatim (without newlines).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses a checkpoint body (the note text), strictly.
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        let Some(body) = body.strip_suffix('\n') else {
            return Err(CheckpointError::NotTerminated {
                line: body.matches('\n').count() + 1,
            });
        };
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let size = lines.next().ok_or(CheckpointError::MissingLine {
            line: 2,
            what: "tree size",
        })?;
        let size = parse_size(size)?;
        let root = lines.next().ok_or(CheckpointError::MissingLine {
            line: 3,
            what: "root hash",
        })?;
        let root = b64::decode_array::<32>(root).map_err(|e| match e {
            DecodeArrayError::Base64 => CheckpointError::RootBase64,
            DecodeArrayError::Length(len) => CheckpointError::RootLength { len },
        })?;
        if size == 0 && root != EMPTY_ROOT {
            return Err(CheckpointError::EmptyTreeRoot);
        }
        let mut extensions = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                return Err(CheckpointError::EmptyExtension { line: 4 + i });
            }
            extensions.push(line.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint body: the text a log signs.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            b64::encode(&self.root)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Checks that the fields make a checkpoint that parses back to itself.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        check_line("origin", &self.origin)?;
        for line in &self.extensions {
            check_line("extension line", line)?;
        }
        if self.size == 0 && self.root != EMPTY_ROOT {
            return Err(CheckpointError::EmptyTreeRoot);
        }
        Ok(())
    }

    /// The checkpoint as an unsigned note.
    pub fn to_note(&self) -> Result<Note, CheckpointError> {
        self.validate()?;
        Ok(Note::new(self.body())?)
    }

    /// Signs the checkpoint with the log's key.
    pub fn sign(&self, key: &SignerKey) -> Result<SignedCheckpoint, CheckpointError> {
        let mut note = self.to_note()?;
        note.sign(key)?;
        Ok(SignedCheckpoint {
            checkpoint: self.clone(),
            note,
        })
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body())
    }
}

/// Checks that `value` can be one checkpoint line.
fn check_line(field: &'static str, value: &str) -> Result<(), CheckpointError> {
    let reason = if value.is_empty() {
        "it is empty"
    } else if value.contains('\n') {
        "it contains a newline"
    } else if value.chars().any(|c| c < '\u{20}') {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(CheckpointError::InvalidField {
        field,
        value: value.to_owned(),
        reason,
    })
}

/// Parses a canonical decimal tree size.
fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    crate::text::parse_decimal(text).map_err(|reason| CheckpointError::Size {
        text: text.to_owned(),
        reason,
    })
}

/// A checkpoint and the signed note that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The note: the checkpoint body and its signatures (log and witnesses).
    pub note: Note,
}

impl SignedCheckpoint {
    /// Parses a signed checkpoint note, without checking its signatures.
    pub fn parse(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let note = Note::parse(bytes)?;
        Self::from_note(note)
    }

    /// Reads the checkpoint in a parsed note, without checking signatures.
    pub fn from_note(note: Note) -> Result<Self, CheckpointError> {
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Parses a signed checkpoint and verifies it against the log keys.
    pub fn open(bytes: &[u8], keys: &[VerifierKey]) -> Result<Self, CheckpointError> {
        let signed = Self::parse(bytes)?;
        signed.verify(keys)?;
        Ok(signed)
    }

    /// Verifies the log signature(s); see [`Note::verify`].
    pub fn verify<'k>(
        &self,
        keys: &'k [VerifierKey],
    ) -> Result<Vec<&'k VerifierKey>, CheckpointError> {
        Ok(self.note.verify(keys)?)
    }

    /// Fails unless the checkpoint is of the log with this origin.
    pub fn check_origin(&self, expected: &str) -> Result<(), CheckpointError> {
        if self.checkpoint.origin != expected {
            return Err(CheckpointError::OriginMismatch {
                expected: expected.to_owned(),
                found: self.checkpoint.origin.clone(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.note.fmt(f)
    }
}
