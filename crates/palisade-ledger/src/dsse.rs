//! DSSE (Dead Simple Signing Envelope) v1: the envelope in-toto attestations
//! travel in, signed with the ledger's key and verified against pinned keys.
//!
//! A signature covers the pre-authentication encoding ([`pae`]) of the
//! payload type and the payload bytes:
//!
//! ```text
//! DSSEv1 <len(type)> <type> <len(body)> <body>
//! ```
//!
//! with the lengths in bytes, as ASCII decimal without leading zeros, and
//! single spaces between the parts. The JSON envelope holds the payload in
//! base64, its type, and the signatures, each with an optional `keyid`:
//!
//! ```json
//! {"payload": "<base64>", "payloadType": "<type>",
//!  "signatures": [{"keyid": "<id>", "sig": "<base64>"}]}
//! ```
//!
//! Writing uses padded standard base64; reading accepts standard or URL-safe
//! base64, padded or not, as the specification requires of verifiers.
//!
//! **Trust is pinned.** [`Envelope::verify`] takes the keys the caller
//! trusts, each with the key id it is known by, and nothing in the envelope
//! adds to them: any key, certificate or other field beside `keyid` and
//! `sig` is ignored. A `keyid` only narrows which pinned key is tried, as
//! the specification allows: a signature that names a key id no pinned key
//! has is by an unknown key, and one without a key id is tried against
//! every pinned key. One signature that verifies with a pinned key is
//! enough; a signature that does not verify is skipped, as in the
//! specification's multi-signature rule, and named in the error when none
//! verifies. The payload type is authenticated but not checked here: the
//! caller checks it is one it reads, after verification.
//!
//! Signatures are Ed25519 (RFC 8032), checked strictly (no small-order keys,
//! canonical encodings only).

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::{Signature as Ed25519Signature, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::b64;
use crate::note::{NoteError, SignerKey};

/// The payload type of an in-toto attestation (a Statement in JSON).
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// What is wrong with an envelope, a key, or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// The bytes are not a JSON envelope.
    #[error("not a DSSE envelope: {message}")]
    Json {
        /// serde_json's message, with the line and column.
        message: String,
    },
    /// A base64 field cannot be decoded.
    #[error("`{field}` is not valid base64")]
    Base64 {
        /// The field, as a JSON path (`payload`, `signatures[1].sig`).
        field: String,
    },
    /// The envelope carries no signature at all.
    #[error("the envelope has no signatures")]
    NoSignatures,
    /// A signature by a pinned key id does not verify, and no other does.
    #[error(
        "the signature by key `{keyid}` does not verify: the envelope was changed after signing, or another key signed it"
    )]
    BadSignature {
        /// The pinned key id it names.
        keyid: String,
    },
    /// Every signature names a key id that no pinned key has.
    #[error("signed only by unknown keys ({})", .keyids.join(", "))]
    UnknownKeyId {
        /// The key ids the signatures name, in order.
        keyids: Vec<String>,
    },
    /// Signatures without a key id, none of which verifies with a pinned key.
    #[error("no signature verifies with a trusted key")]
    NoTrustedSignature,
    /// A pinned key is not a usable Ed25519 public key.
    #[error("key `{keyid}` is not a valid Ed25519 public key: {reason}")]
    InvalidKey {
        /// The key id.
        keyid: String,
        /// Why.
        reason: &'static str,
    },
    /// The signing key cannot sign envelopes.
    #[error(transparent)]
    Key(#[from] NoteError),
}

/// The pre-authentication encoding of `payload_type` and `payload`: the
/// bytes a DSSE signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    );
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// An Ed25519 public key the caller trusts, with the key id it is known by.
#[derive(Clone, PartialEq, Eq)]
pub struct PinnedKey {
    keyid: String,
    key: VerifyingKey,
}

impl fmt::Debug for PinnedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedKey")
            .field("keyid", &self.keyid)
            .field("key", &b64::encode(self.key.as_bytes()))
            .finish()
    }
}

impl PinnedKey {
    /// A pinned key from its id and its 32-byte Ed25519 public key; refuses
    /// points off the curve and small-order points, which any signature
    /// could be forged for.
    pub fn new(keyid: impl Into<String>, public_key: [u8; 32]) -> Result<PinnedKey, DsseError> {
        let keyid = keyid.into();
        let key = VerifyingKey::from_bytes(&public_key).map_err(|_| DsseError::InvalidKey {
            keyid: keyid.clone(),
            reason: "not a point on the curve",
        })?;
        if key.is_weak() {
            return Err(DsseError::InvalidKey {
                keyid,
                reason: "a small-order point, which verifies forged signatures",
            });
        }
        Ok(PinnedKey { keyid, key })
    }

    /// The key id signatures by this key name.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Ed25519Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &signature).is_ok()
    }
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The key id it names: a hint of which key signed, never a reason to trust.
    pub keyid: Option<String>,
    /// The signature bytes (64 for Ed25519).
    pub sig: Vec<u8>,
}

/// A DSSE envelope: a payload, its type, and signatures over both.
///
/// Its serde form is the JSON envelope; [`Envelope::parse`] reads it with
/// errors that name the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "RawEnvelope", try_from = "RawEnvelope")]
pub struct Envelope {
    /// The serialized body, as signed.
    pub payload: Vec<u8>,
    /// How to read the payload, e.g. [`IN_TOTO_PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The signatures, in the envelope's order.
    pub signatures: Vec<Signature>,
}

impl Envelope {
    /// An envelope of `payload`, signed by `key` under `keyid` (the id the
    /// verifier pins the key by, e.g. the key's name).
    pub fn sign(
        payload_type: &str,
        payload: Vec<u8>,
        keyid: &str,
        key: &SignerKey,
    ) -> Result<Envelope, DsseError> {
        let mut envelope = Envelope {
            payload,
            payload_type: payload_type.to_owned(),
            signatures: Vec::new(),
        };
        envelope.add_signature(keyid, key)?;
        Ok(envelope)
    }

    /// Adds `key`'s signature under `keyid`; an empty `keyid` is left out.
    /// Only an Ed25519 note key signs ([`SignerKey::sign_raw`]).
    pub fn add_signature(&mut self, keyid: &str, key: &SignerKey) -> Result<(), DsseError> {
        let sig = key.sign_raw(&self.pae())?;
        self.signatures.push(Signature {
            keyid: (!keyid.is_empty()).then(|| keyid.to_owned()),
            sig: sig.to_vec(),
        });
        Ok(())
    }

    /// Reads a JSON envelope.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, DsseError> {
        let raw: RawEnvelope = serde_json::from_slice(bytes).map_err(|e| DsseError::Json {
            message: e.to_string(),
        })?;
        Envelope::try_from(raw)
    }

    /// The JSON envelope, on one line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&RawEnvelope::from(self.clone()))
            .expect("an envelope of strings always serializes")
    }

    /// The bytes the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The pinned key whose signature verifies, or why none does (see the
    /// module documentation for the rules).
    pub fn verify<'k>(&self, keys: &'k [PinnedKey]) -> Result<&'k PinnedKey, DsseError> {
        if self.signatures.is_empty() {
            return Err(DsseError::NoSignatures);
        }
        let message = self.pae();
        let mut bad: Option<&str> = None;
        let mut unknown = Vec::new();
        let mut anonymous = false;
        for signature in &self.signatures {
            match signature.keyid.as_deref() {
                Some(keyid) => {
                    let mut named = keys.iter().filter(|k| k.keyid == keyid).peekable();
                    if named.peek().is_none() {
                        unknown.push(keyid.to_owned());
                        continue;
                    }
                    // Two pinned keys may share an id while a key is rotated.
                    if let Some(key) = named.find(|k| k.verifies(&message, &signature.sig)) {
                        return Ok(key);
                    }
                    bad.get_or_insert(keyid);
                }
                None => {
                    if let Some(key) = keys.iter().find(|k| k.verifies(&message, &signature.sig)) {
                        return Ok(key);
                    }
                    anonymous = true;
                }
            }
        }
        Err(match (bad, anonymous) {
            (Some(keyid), _) => DsseError::BadSignature {
                keyid: keyid.to_owned(),
            },
            (None, true) => DsseError::NoTrustedSignature,
            (None, false) => DsseError::UnknownKeyId { keyids: unknown },
        })
    }
}

/// The JSON envelope as written, before base64 is decoded.
#[derive(Serialize, Deserialize)]
struct RawEnvelope {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<RawSignature>,
}

#[derive(Serialize, Deserialize)]
struct RawSignature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyid: Option<String>,
    sig: String,
}

impl From<Envelope> for RawEnvelope {
    fn from(envelope: Envelope) -> RawEnvelope {
        RawEnvelope {
            payload: b64::encode(&envelope.payload),
            payload_type: envelope.payload_type,
            signatures: envelope
                .signatures
                .into_iter()
                .map(|s| RawSignature {
                    keyid: s.keyid,
                    sig: b64::encode(&s.sig),
                })
                .collect(),
        }
    }
}

impl TryFrom<RawEnvelope> for Envelope {
    type Error = DsseError;

    fn try_from(raw: RawEnvelope) -> Result<Envelope, DsseError> {
        let payload = decode(&raw.payload).ok_or_else(|| DsseError::Base64 {
            field: "payload".to_owned(),
        })?;
        let signatures = raw
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let sig = decode(&s.sig).ok_or_else(|| DsseError::Base64 {
                    field: format!("signatures[{i}].sig"),
                })?;
                // The envelope format lets empty fields be omitted: an empty
                // key id is no key id.
                let keyid = s.keyid.filter(|k| !k.is_empty());
                Ok(Signature { keyid, sig })
            })
            .collect::<Result<_, DsseError>>()?;
        Ok(Envelope {
            payload,
            payload_type: raw.payload_type,
            signatures,
        })
    }
}

/// Decodes standard or URL-safe base64, padded or not.
fn decode(text: &str) -> Option<Vec<u8>> {
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    // The alphabets differ only in `+/` against `-_`, so a text holding
    // neither reads the same in both.
    if text.contains(['-', '_']) {
        URL_SAFE.decode(text).ok()
    } else {
        STANDARD.decode(text).ok()
    }
}
