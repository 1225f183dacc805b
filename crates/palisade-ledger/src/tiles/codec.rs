//! The two file formats of a tiled log, read strictly: a hash tile is exactly
//! `width` 32-byte hashes; an entry bundle is exactly `width` entries, each a
//! big-endian `u16` length and that many bytes, with nothing after the last.
//! Every error names the file and the byte, entry or hash at fault.

use super::{TILE_WIDTH, TileError};
use crate::merkle::{HASH_LEN, Hash};

/// Reads hash tile `file`, which its path says holds `width` hashes.
pub fn read_hash_tile(file: &str, bytes: &[u8], width: u64) -> Result<Vec<Hash>, TileError> {
    let expected = width.saturating_mul(HASH_LEN as u64);
    let len = bytes.len() as u64;
    if len != expected {
        let whole = len / HASH_LEN as u64;
        let message = if !len.is_multiple_of(HASH_LEN as u64) {
            format!(
                "truncated: {len} bytes is not a whole number of 32-byte hashes (hash {whole} is cut off at byte {len}); its path says {width} hashes ({expected} bytes)"
            )
        } else if len < expected {
            format!(
                "truncated or of the wrong width: {whole} hashes ({len} bytes), but its path says {width} ({expected} bytes); hash {whole} is missing"
            )
        } else {
            format!(
                "wrong width: {whole} hashes ({len} bytes), but its path says {width} ({expected} bytes); the extra data starts at byte {expected}"
            )
        };
        return Err(TileError::new(file, Some(len.min(expected)), message));
    }
    let (hashes, _) = bytes.as_chunks::<HASH_LEN>();
    Ok(hashes.to_vec())
}

/// Reads entry bundle `file`, which its path says holds `width` entries, the
/// first of them entry `first` of the log. Returns each entry's bytes.
pub fn read_entry_bundle<'a>(
    file: &str,
    bytes: &'a [u8],
    width: u64,
    first: u64,
) -> Result<Vec<&'a [u8]>, TileError> {
    let mut entries = Vec::with_capacity(usize::try_from(width.min(TILE_WIDTH)).unwrap_or(0));
    let mut at = 0usize;
    while (entries.len() as u64) < width {
        let i = entries.len() as u64;
        let rest = &bytes[at..];
        if rest.is_empty() {
            return Err(TileError::new(
                file,
                Some(at as u64),
                format!(
                    "holds {i} entries but its path says {width}: entry {i} (log entry {}) is missing at byte {at}, the end of the file",
                    first + i
                ),
            ));
        }
        let Some((prefix, after)) = rest.split_first_chunk::<2>() else {
            return Err(TileError::new(
                file,
                Some(at as u64),
                format!(
                    "entry {i} (log entry {}) at byte {at}: the 2-byte length prefix is cut off (1 byte left)",
                    first + i
                ),
            ));
        };
        let len = usize::from(u16::from_be_bytes(*prefix));
        if after.len() < len {
            return Err(TileError::new(
                file,
                Some(at as u64),
                format!(
                    "entry {i} (log entry {}) at byte {at}: its length prefix says {len} bytes but only {} remain (truncated, or a bad length prefix)",
                    first + i,
                    after.len()
                ),
            ));
        }
        entries.push(&after[..len]);
        at += 2 + len;
    }
    if at != bytes.len() {
        return Err(TileError::new(
            file,
            Some(at as u64),
            format!(
                "holds more than the {width} entries its path says: {} bytes follow the last one, from byte {at} (a bad length prefix, or the wrong width)",
                bytes.len() - at
            ),
        ));
    }
    Ok(entries)
}

/// A hash tile's bytes.
pub fn encode_hash_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.as_flattened().to_vec()
}

/// An entry bundle's bytes; fails with the position of an entry longer than
/// a `u16` length can say (65,535 bytes).
pub fn encode_entry_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, usize> {
    let mut out = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let len = u16::try_from(entry.len()).map_err(|_| i)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bundles_round_trip() {
        let entries: [&[u8]; 3] = [b"a", b"", b"hello"];
        let bytes = encode_entry_bundle(entries).unwrap();
        assert_eq!(bytes, b"\0\x01a\0\0\0\x05hello");
        assert_eq!(read_entry_bundle("f", &bytes, 3, 0).unwrap(), entries);
    }

    #[test]
    fn bundle_errors_name_the_entry_and_byte() {
        let bytes = encode_entry_bundle([&b"abc"[..], b"de"]).unwrap();
        let e = read_entry_bundle("f", &bytes[..8], 2, 256).unwrap_err();
        assert_eq!(e.offset, Some(5));
        assert!(
            e.message.contains("entry 1 (log entry 257) at byte 5"),
            "{e}"
        );
        let e = read_entry_bundle("f", &bytes[..6], 2, 0).unwrap_err();
        assert!(e.message.contains("length prefix is cut off"), "{e}");
        let e = read_entry_bundle("f", &bytes, 3, 0).unwrap_err();
        assert!(
            e.message.contains("holds 2 entries but its path says 3"),
            "{e}"
        );
        let e = read_entry_bundle("f", &bytes, 1, 0).unwrap_err();
        assert_eq!(e.offset, Some(5));
    }

    #[test]
    fn tile_errors_say_truncated_or_wrong_width() {
        let tile = encode_hash_tile(&[[1; 32], [2; 32]]);
        assert_eq!(read_hash_tile("t", &tile, 2).unwrap().len(), 2);
        let e = read_hash_tile("t", &tile[..40], 2).unwrap_err();
        assert!(e.message.starts_with("truncated"), "{e}");
        let e = read_hash_tile("t", &tile, 3).unwrap_err();
        assert!(e.message.contains("hash 2 is missing"), "{e}");
        let e = read_hash_tile("t", &tile, 1).unwrap_err();
        assert!(e.message.starts_with("wrong width"), "{e}");
    }
}
