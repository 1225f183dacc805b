//! The shared secret a webhook is signed with.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The prefix of a secret in its text form, `whsec_<base64>`.
pub const SECRET_PREFIX: &str = "whsec_";

/// The fewest bytes a secret may have (the Standard Webhooks range).
pub const MIN_SECRET_LEN: usize = 24;

/// The most bytes a secret may have (the Standard Webhooks range).
pub const MAX_SECRET_LEN: usize = 64;

/// The length of a secret made by [`WebhookSecret::generate`], in bytes.
pub const GENERATED_SECRET_LEN: usize = 32;

/// Standard base64 that takes the text with or without its `=` padding, as
/// other implementations write both.
const BASE64_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The HMAC key shared by a webhook's sender and its receiver. Zeroed on
/// drop; its `Debug` shows only its fingerprint.
#[derive(Clone)]
pub struct WebhookSecret {
    bytes: Zeroizing<Vec<u8>>,
}

/// Why a webhook secret could not be read or made. No variant holds any
/// part of the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The text holds nothing after the prefix.
    #[error("the webhook secret is empty: expected {SECRET_PREFIX}<base64> or base64")]
    Empty,
    /// The text is not valid base64. Only positions are told, never characters.
    #[error("the webhook secret is not valid base64: {reason}")]
    NotBase64 {
        /// What is wrong, without the secret's characters.
        reason: String,
    },
    /// The secret decodes to too few bytes.
    #[error(
        "the webhook secret has {found} bytes, fewer than the {MIN_SECRET_LEN} required; generate a new one"
    )]
    TooShort {
        /// The number of bytes decoded.
        found: usize,
    },
    /// The secret decodes to too many bytes.
    #[error("the webhook secret has {found} bytes, more than the {MAX_SECRET_LEN} allowed")]
    TooLong {
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

impl WebhookSecret {
    /// A secret from its raw bytes, which must number between
    /// [`MIN_SECRET_LEN`] and [`MAX_SECRET_LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Result<WebhookSecret, SecretError> {
        check_len(bytes.len())?;
        Ok(WebhookSecret {
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// A new random secret of [`GENERATED_SECRET_LEN`] bytes from the
    /// operating system's random source.
    pub fn generate() -> Result<WebhookSecret, SecretError> {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_LEN]);
        getrandom::fill(&mut bytes).map_err(|e| SecretError::Random {
            reason: e.to_string(),
        })?;
        Ok(WebhookSecret { bytes })
    }

    /// A secret from its text form: `whsec_<base64>` or the bare base64,
    /// padded or not; surrounding whitespace (a file's final newline) is
    /// ignored.
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretError> {
        let text = text.trim();
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        if encoded.is_empty() {
            return Err(SecretError::Empty);
        }
        let bytes = Zeroizing::new(BASE64_ANY_PADDING.decode(encoded).map_err(|e| {
            SecretError::NotBase64 {
                reason: describe_base64_error(&e),
            }
        })?);
        check_len(bytes.len())?;
        Ok(WebhookSecret { bytes })
    }

    /// The text form, `whsec_<base64>`, to hand to the receiver once.
    /// Zeroed when dropped.
    pub fn expose_text(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(
            SECRET_PREFIX.len() + self.bytes.len().div_ceil(3) * 4,
        ));
        text.push_str(SECRET_PREFIX);
        BASE64.encode_string(self.bytes.as_slice(), &mut text);
        text
    }

    /// A fingerprint that names the secret without revealing it: the first
    /// 8 bytes of its SHA-256, in hex. Both sides can compare it.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.bytes.as_slice());
        hex::encode(&digest[..8])
    }

    /// The raw key bytes, for the HMAC.
    pub(crate) fn key(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSecret")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

fn check_len(found: usize) -> Result<(), SecretError> {
    if found == 0 {
        Err(SecretError::Empty)
    } else if found < MIN_SECRET_LEN {
        Err(SecretError::TooShort { found })
    } else if found > MAX_SECRET_LEN {
        Err(SecretError::TooLong { found })
    } else {
        Ok(())
    }
}

/// The decoder's complaint without the offending character, which is part
/// of the secret.
fn describe_base64_error(error: &base64::DecodeError) -> String {
    match error {
        base64::DecodeError::InvalidByte(offset, _) => {
            format!("the character at position {offset} is not in the base64 alphabet")
        }
        base64::DecodeError::InvalidLength(len) => {
            format!("{len} base64 characters cannot be a whole number of bytes")
        }
        base64::DecodeError::InvalidLastSymbol(offset, _) => {
            format!("the last character, at position {offset}, has bits set past the end")
        }
        base64::DecodeError::InvalidPadding => "the '=' padding is wrong".to_string(),
    }
}
