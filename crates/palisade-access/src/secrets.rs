//! Secrets at rest, sealed with AES-256-GCM under a key the caller hands in.
//!
//! The binary reads the key (a key file, or an environment variable) and
//! passes a [`Key`]; nothing here reads files or the environment. A sealed
//! value is one line of text, self-describing and versioned:
//!
//! ```text
//! palisade-sealed-v1:<label>:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>
//! ```
//!
//! - `label` names what is sealed (`ssh-ca-key`, `db-admin-password`), so
//!   a value put in the wrong place is named instead of failing as noise;
//! - `key id` is the first 8 bytes of a SHA-256 of the key, in hex: a wrong
//!   key is told apart from altered ciphertext before any decryption;
//! - the nonce is 96 random bits from the operating system, new each time;
//! - the associated data is everything before the base64 (format, label and
//!   key id), so none of them can be changed without the tag failing.
//!
//! Opening never writes anything: a wrong key leaves the sealed value as it
//! was. Keys and opened plaintexts are zeroed when dropped and never appear
//! in `Debug` output.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The prefix of every sealed value of format version 1.
pub const PREFIX_V1: &str = "palisade-sealed-v1:";

/// The label of the SSH certificate authority's private key.
pub const LABEL_SSH_CA_KEY: &str = "ssh-ca-key";

const FORMAT_FAMILY: &str = "palisade-sealed-v";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_ID_LEN: usize = 8;
const MAX_LABEL_LEN: usize = 64;

/// A 256-bit key that seals and opens secrets. Zeroed on drop; its `Debug`
/// shows only its key id.
#[derive(Clone)]
pub struct Key {
    bytes: Zeroizing<[u8; 32]>,
}

/// Why a key could not be read from its text form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The text holds no key at all.
    #[error("the key is empty: expected 32 bytes as 64 hex digits or as base64")]
    Empty,
    /// Hex text with a character that is not a hex digit.
    #[error("the key is not hex: character {found:?} at position {position} is not a hex digit")]
    NotHex {
        /// The offending character.
        found: char,
        /// Its position (0-based, in characters) in the trimmed text.
        position: usize,
    },
    /// Hex text of the wrong length.
    #[error("the hex key has {found} digits; a 256-bit key has 64")]
    HexLength {
        /// The number of hex digits found.
        found: usize,
    },
    /// Text that is not valid base64.
    #[error("the key is not valid base64: {reason}")]
    NotBase64 {
        /// What the decoder said.
        reason: String,
    },
    /// Base64 text that decodes to the wrong number of bytes.
    #[error("the base64 key decodes to {found} bytes; a 256-bit key has 32")]
    Base64Length {
        /// The number of bytes decoded.
        found: usize,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {reason}")]
    Random {
        /// What the operating system said.
        reason: String,
    },
}

/// Why a secret could not be sealed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The label is empty, too long or has characters other than
    /// lower-case ASCII letters, digits and `-`.
    #[error("the label {label:?} is not valid: use 1 to 64 lower-case letters, digits and '-'")]
    Label {
        /// The label given.
        label: String,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {reason}")]
    Random {
        /// What the operating system said.
        reason: String,
    },
    /// The cipher refused the input (it is larger than AES-GCM can seal).
    #[error("the secret is too large to seal")]
    TooLarge,
}

/// Why a sealed value could not be opened. Each variant says which of the
/// checks failed, in the order they are made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// The text does not start with any `palisade-sealed-v` prefix.
    #[error(
        "this is not a sealed Palisade secret (it does not start with {PREFIX_V1:?}); was it stored unsealed?"
    )]
    NotSealed,
    /// The text is sealed in a format version this build does not read.
    #[error(
        "this secret is sealed in format {found:?}, which this Palisade does not read (it reads {PREFIX_V1:?}); upgrade Palisade"
    )]
    UnknownVersion {
        /// The format prefix found.
        found: String,
    },
    /// The text has the right prefix but not the right shape.
    #[error("the sealed secret is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The payload is shorter than a nonce and a tag.
    #[error(
        "the sealed secret is truncated: its payload has {found} bytes, at least {} are needed",
        NONCE_LEN + TAG_LEN
    )]
    Truncated {
        /// The payload's length in bytes.
        found: usize,
    },
    /// The value holds a different secret than the one asked for.
    #[error("this sealed secret holds {found:?}, not {expected:?}; is it in the wrong place?")]
    WrongLabel {
        /// The label asked for.
        expected: String,
        /// The label in the sealed value.
        found: String,
    },
    /// The value was sealed under another key.
    #[error(
        "the key does not open this secret: wrong key file? (it was sealed under key {sealed_with}, the key given is {given})"
    )]
    WrongKey {
        /// The key id in the sealed value.
        sealed_with: String,
        /// The key id of the key given.
        given: String,
    },
    /// The key is right but the ciphertext or its tag was altered.
    #[error(
        "the sealed secret was altered or damaged: its authentication tag does not match under the right key"
    )]
    Tampered,
    /// The opened plaintext is not what the label promises.
    #[error("the opened {label:?} is not valid: {reason}")]
    Contents {
        /// The label of the secret.
        label: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Key {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key {
            bytes: Zeroizing::new(bytes),
        }
    }

    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<Key, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|e| KeyError::Random {
            reason: e.to_string(),
        })?;
        Ok(Key { bytes })
    }

    /// A key from 64 hex digits (either case); surrounding whitespace, such
    /// as a key file's final newline, is ignored.
    pub fn from_hex(text: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some((position, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(KeyError::NotHex { found, position });
        }
        if text.len() != 64 {
            return Err(KeyError::HexLength { found: text.len() });
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text, bytes.as_mut())
            .map_err(|_| KeyError::HexLength { found: text.len() })?;
        Ok(Key { bytes })
    }

    /// A key from standard base64 (with or without padding) of 32 bytes;
    /// surrounding whitespace is ignored.
    pub fn from_base64(text: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|e| KeyError::NotBase64 {
                    reason: e.to_string(),
                })?,
        );
        let bytes: [u8; 32] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::Base64Length {
                    found: decoded.len(),
                })?;
        Ok(Key::from_bytes(bytes))
    }

    /// The key as 64 lower-case hex digits, for writing a new key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.bytes.as_ref()))
    }

    /// The key's id: 16 hex digits of a SHA-256 of the key. It names the key
    /// in sealed values and messages and reveals nothing useful about it.
    pub fn id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"palisade-sealed key id\0");
        hasher.update(self.bytes.as_ref());
        hex::encode(&hasher.finalize()[..KEY_ID_LEN])
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.bytes.as_ref().into())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(id {}, secret redacted)", self.id())
    }
}

fn label_is_valid(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Seals `plaintext` as the secret named `label` under `key`, with a fresh
/// random nonce: sealing the same secret twice gives two different texts.
pub fn seal(key: &Key, label: &str, plaintext: &[u8]) -> Result<String, SealError> {
    if !label_is_valid(label) {
        return Err(SealError::Label {
            label: label.to_owned(),
        });
    }
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| SealError::Random {
        reason: e.to_string(),
    })?;
    let header = format!("{PREFIX_V1}{label}:{}:", key.id());
    let sealed = key
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: header.as_bytes(),
            },
        )
        .map_err(|_| SealError::TooLarge)?;
    let mut payload = Vec::with_capacity(NONCE_LEN + sealed.len());
    payload.extend_from_slice(&nonce);
    payload.extend_from_slice(&sealed);
    Ok(header + &BASE64.encode(payload))
}

/// Opens a value made by [`seal`] with the same `key` and `label`.
/// Surrounding whitespace (a file's final newline) is ignored.
pub fn open(key: &Key, label: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let sealed = sealed.trim();
    let Some(rest) = sealed.strip_prefix(PREFIX_V1) else {
        return Err(match sealed.strip_prefix(FORMAT_FAMILY) {
            Some(after) => {
                let version: String = after.chars().take_while(|c| *c != ':').take(16).collect();
                OpenError::UnknownVersion {
                    found: format!("{FORMAT_FAMILY}{version}"),
                }
            }
            None => OpenError::NotSealed,
        });
    };
    let mut fields = rest.splitn(3, ':');
    let (Some(found_label), Some(key_id), Some(payload_text)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(OpenError::Malformed {
            reason: "expected label, key id and payload separated by ':'",
        });
    };
    if !label_is_valid(found_label) {
        return Err(OpenError::Malformed {
            reason: "the label is not lower-case letters, digits and '-'",
        });
    }
    if key_id.len() != 2 * KEY_ID_LEN
        || !key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(OpenError::Malformed {
            reason: "the key id is not 16 lower-case hex digits",
        });
    }
    if found_label != label {
        return Err(OpenError::WrongLabel {
            expected: label.to_owned(),
            found: found_label.to_owned(),
        });
    }
    let given = key.id();
    if key_id != given {
        return Err(OpenError::WrongKey {
            sealed_with: key_id.to_owned(),
            given,
        });
    }
    let payload = BASE64
        .decode(payload_text)
        .map_err(|_| OpenError::Malformed {
            reason: "the payload is not valid base64",
        })?;
    if payload.len() < NONCE_LEN + TAG_LEN {
        return Err(OpenError::Truncated {
            found: payload.len(),
        });
    }
    let (nonce, ciphertext) = payload.split_at(NONCE_LEN);
    let header_len = sealed.len() - payload_text.len();
    let plaintext = key
        .cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &sealed.as_bytes()[..header_len],
            },
        )
        .map_err(|_| OpenError::Tampered)?;
    Ok(Zeroizing::new(plaintext))
}

/// A secret value (a password, a connection string) that is never shown in
/// `Debug` output and is zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps `bytes` as a secret.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(Zeroizing::new(bytes.into()))
    }

    /// The secret's bytes, for handing to the system that needs them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Seals the secret as `label` under `key`.
    pub fn seal(&self, key: &Key, label: &str) -> Result<String, SealError> {
        seal(key, label, &self.0)
    }

    /// Opens a secret sealed as `label` under `key`.
    pub fn open(sealed: &str, key: &Key, label: &str) -> Result<Secret, OpenError> {
        open(key, label, sealed).map(Secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.0.len())
    }
}
