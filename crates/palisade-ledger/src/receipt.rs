//! Inclusion receipts in the C2SP transparency log proof format
//! (<https://c2sp.org/tlog-proof>).
//!
//! A receipt proves one entry is in the log, offline: it carries the entry's
//! index, the inclusion proof and the signed checkpoint the proof is against.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>                 (optional, opaque application data)
//! index <leaf index, decimal>
//! <proof hash 1, base64>
//! ...
//! <proof hash n, base64>
//!
//! <signed checkpoint note>
//! ```
//!
//! The proof hashes are in RFC 9162 order (from the leaf up); there are none
//! for a tree of one leaf. A blank line ends them, and the rest is the
//! checkpoint note, signatures (and cosignatures) included. Parsing is
//! strict (canonical decimal and base64, at most 64 proof hashes), so a
//! parsed receipt prints back to the exact bytes it was read from.
//!
//! Implemented from the specification as we know it; the optional `extra`
//! line is accepted and kept, never interpreted.

use std::fmt;

use crate::b64::{self, DecodeArrayError};
use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::entry::Entry;
use crate::merkle::{self, Hash, ProofError};
use crate::note::VerifierKey;
use crate::text::parse_decimal;

/// The first line of every receipt.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most proof hashes a receipt may carry: the depth of a 2^64-leaf tree.
pub const MAX_PROOF_HASHES: usize = 64;

/// What is wrong with a receipt, or why it does not prove its entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The bytes are not UTF-8.
    #[error("line {line}: the receipt is not valid UTF-8")]
    InvalidUtf8 {
        /// The line, from 1.
        line: usize,
    },
    /// The first line is not the format's header.
    #[error("line 1: expected \"{HEADER}\"")]
    Header,
    /// The `extra` line's data is not canonical base64.
    #[error("line {line}: the extra data is not valid base64")]
    Extra {
        /// The line, from 1.
        line: usize,
    },
    /// The index line is missing or malformed.
    #[error("line {line}: expected \"index <decimal leaf index>\"")]
    IndexLine {
        /// The line, from 1.
        line: usize,
    },
    /// The index is not a canonical decimal number.
    #[error("line {line}: index {text:?} {reason}")]
    Index {
        /// The line, from 1.
        line: usize,
        /// The index text.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A proof hash is not canonical base64.
    #[error("line {line}: the proof hash is not valid base64")]
    ProofHashBase64 {
        /// The line, from 1.
        line: usize,
    },
    /// A proof hash has the wrong length.
    #[error("line {line}: the proof hash is {len} bytes long, not 32")]
    ProofHashLength {
        /// The line, from 1.
        line: usize,
        /// Its length.
        len: usize,
    },
    /// More proof hashes than any tree needs.
    #[error("line {line}: more than {MAX_PROOF_HASHES} proof hashes")]
    TooManyProofHashes {
        /// The line, from 1.
        line: usize,
    },
    /// The receipt ends before its checkpoint.
    #[error("line {line}: expected a blank line and the signed checkpoint")]
    MissingCheckpoint {
        /// The line, from 1.
        line: usize,
    },
    /// The checkpoint is malformed or its signature does not verify.
    #[error("in the checkpoint starting at line {line}: {source}")]
    Checkpoint {
        /// The receipt line where the checkpoint starts, from 1.
        line: usize,
        /// What is wrong, with lines counted from the checkpoint's first.
        #[source]
        source: CheckpointError,
    },
    /// The inclusion proof does not prove the entry against the checkpoint.
    #[error("the inclusion proof does not verify: {0}")]
    Proof(#[from] ProofError),
    /// The proven bytes are not a canonical ledger entry.
    #[error("the entry is not a canonical ledger entry: {reason}")]
    Entry {
        /// Why it is not.
        reason: String,
    },
    /// The proven entry says it has another index than the receipt's.
    #[error("the receipt is for entry {receipt} but the entry says it is {entry}")]
    EntryIndex {
        /// The receipt's index.
        receipt: u64,
        /// The index inside the entry.
        entry: u64,
    },
}

/// A receipt: proof that one entry is in the log at a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Opaque application data from the optional `extra` line.
    pub extra: Option<Vec<u8>>,
    /// The entry's leaf index.
    pub index: u64,
    /// The inclusion proof, from the leaf up.
    pub proof: Vec<Hash>,
    /// The signed checkpoint the proof is against.
    pub checkpoint: SignedCheckpoint,
}

impl Receipt {
    /// A receipt without extra data.
    pub fn new(index: u64, proof: Vec<Hash>, checkpoint: SignedCheckpoint) -> Self {
        Receipt {
            extra: None,
            index,
            proof,
            checkpoint,
        }
    }

    /// Parses a receipt, strictly. Nothing is verified: see [`Receipt::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, ReceiptError> {
        let text = std::str::from_utf8(bytes).map_err(|e| ReceiptError::InvalidUtf8 {
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
        })?;
        let mut lines = Lines {
            rest: text,
            number: 0,
        };

        if lines.next() != Some(HEADER) {
            return Err(ReceiptError::Header);
        }
        let mut line = lines.next();
        let mut extra = None;
        if let Some(data) = line.and_then(|l| l.strip_prefix("extra ")) {
            let data = b64::decode(data).ok_or(ReceiptError::Extra { line: lines.number })?;
            extra = Some(data);
            line = lines.next();
        }
        let index_line = lines.number + usize::from(line.is_none());
        let index_text = line
            .and_then(|l| l.strip_prefix("index "))
            .ok_or(ReceiptError::IndexLine { line: index_line })?;
        let index = parse_decimal(index_text).map_err(|reason| ReceiptError::Index {
            line: lines.number,
            text: index_text.to_owned(),
            reason,
        })?;

        let mut proof = Vec::new();
        loop {
            let Some(line) = lines.next() else {
                return Err(ReceiptError::MissingCheckpoint {
                    line: lines.number + 1,
                });
            };
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_HASHES {
                return Err(ReceiptError::TooManyProofHashes { line: lines.number });
            }
            let hash = b64::decode_array::<32>(line).map_err(|e| match e {
                DecodeArrayError::Base64 => ReceiptError::ProofHashBase64 { line: lines.number },
                DecodeArrayError::Length(len) => ReceiptError::ProofHashLength {
                    line: lines.number,
                    len,
                },
            })?;
            proof.push(hash);
        }

        let start = lines.number + 1;
        if lines.rest.is_empty() {
            return Err(ReceiptError::MissingCheckpoint { line: start });
        }
        let checkpoint = SignedCheckpoint::parse(lines.rest.as_bytes()).map_err(|source| {
            ReceiptError::Checkpoint {
                line: start,
                source,
            }
        })?;
        Ok(Receipt {
            extra,
            index,
            proof,
            checkpoint,
        })
    }

    /// Verifies the receipt proves the entry with this leaf hash: the
    /// checkpoint's signature against the log keys, then the inclusion proof
    /// against the checkpoint's size and root. Returns the keys that signed.
    pub fn verify<'k>(
        &self,
        leaf_hash: &Hash,
        keys: &'k [VerifierKey],
    ) -> Result<Vec<&'k VerifierKey>, ReceiptError> {
        let signers = self
            .checkpoint
            .verify(keys)
            .map_err(|source| ReceiptError::Checkpoint {
                line: self.checkpoint_line(),
                source,
            })?;
        let checkpoint = &self.checkpoint.checkpoint;
        merkle::verify_inclusion(
            leaf_hash,
            self.index,
            checkpoint.size,
            &self.proof,
            &checkpoint.root,
        )?;
        Ok(signers)
    }

    /// Verifies the receipt proves the entry with these canonical bytes.
    pub fn verify_entry<'k>(
        &self,
        entry: &[u8],
        keys: &'k [VerifierKey],
    ) -> Result<Vec<&'k VerifierKey>, ReceiptError> {
        self.verify(&merkle::leaf_hash(entry), keys)
    }

    /// Verifies the receipt proves this ledger entry: [`Receipt::verify_entry`] on its
    /// exact bytes, then that they are a canonical ledger [`Entry`] that says it is the
    /// receipt's index. Returns the entry and the keys that signed.
    pub fn verify_ledger_entry<'k>(
        &self,
        bytes: &[u8],
        keys: &'k [VerifierKey],
    ) -> Result<(Entry, Vec<&'k VerifierKey>), ReceiptError> {
        let signers = self.verify_entry(bytes, keys)?;
        let entry = Entry::from_canonical(bytes).map_err(|e| ReceiptError::Entry {
            reason: e.to_string(),
        })?;
        if entry.index != self.index {
            return Err(ReceiptError::EntryIndex {
                receipt: self.index,
                entry: entry.index,
            });
        }
        Ok((entry, signers))
    }

    /// The receipt line where the checkpoint starts.
    fn checkpoint_line(&self) -> usize {
        // Header, optional extra, index, hashes, blank line.
        1 + usize::from(self.extra.is_some()) + 1 + self.proof.len() + 1 + 1
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{HEADER}")?;
        if let Some(extra) = &self.extra {
            writeln!(f, "extra {}", b64::encode(extra))?;
        }
        writeln!(f, "index {}", self.index)?;
        for hash in &self.proof {
            writeln!(f, "{}", b64::encode(hash))?;
        }
        writeln!(f)?;
        self.checkpoint.fmt(f)
    }
}

/// Newline-terminated lines, counted, with the unread rest at hand.
struct Lines<'a> {
    rest: &'a str,
    /// The number of the line last returned, from 1.
    number: usize,
}

impl<'a> Lines<'a> {
    /// The next complete line, without its newline; `None` at the end or
    /// before an unterminated last line.
    fn next(&mut self) -> Option<&'a str> {
        let (line, rest) = self.rest.split_once('\n')?;
        self.rest = rest;
        self.number += 1;
        Some(line)
    }
}
