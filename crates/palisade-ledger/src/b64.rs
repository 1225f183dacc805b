//! Strict standard base64 (RFC 4648 §4, padded), the only encoding the C2SP
//! formats use. Decoding rejects missing padding and non-zero trailing bits,
//! so every accepted string is the one `encode` gives back.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Encodes bytes as padded standard base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes padded standard base64, rejecting any non-canonical spelling.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// Decodes padded standard base64 of exactly `N` bytes.
pub(crate) fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], DecodeArrayError> {
    let bytes = decode(text).ok_or(DecodeArrayError::Base64)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| DecodeArrayError::Length(bytes.len()))
}

/// Why [`decode_array`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeArrayError {
    /// The text is not canonical padded base64.
    Base64,
    /// The bytes decoded have this length, not the one required.
    Length(usize),
}
