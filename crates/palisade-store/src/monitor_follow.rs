//! Where `palisade monitor follow` stopped in each log it follows: the file's
//! identity (device and inode), the byte offset after the last complete line
//! whose results were stored, that line's number, and a fingerprint of the
//! bytes before the offset. One row per followed path, replaced at each
//! checkpoint.

use crate::ledger::conn::check_text;
use crate::ledger::conn::index_param;
use crate::ledger::u64_from_db;
use crate::store::with_pool;
use crate::{Store, StoreError};

/// The checkpoint of one followed log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorFollowRow {
    /// The followed path, as the caller keys it.
    pub path: String,
    /// The device the file was on (`st_dev`).
    pub device: u64,
    /// The file's inode (`st_ino`).
    pub inode: u64,
    /// The byte offset just after the last complete line processed.
    pub offset: u64,
    /// The number of that line in the file (0: none yet).
    pub line: u64,
    /// The SHA-256 of the bytes before the offset (up to 256 of them).
    pub fingerprint: [u8; 32],
    /// When the checkpoint was written (unix microseconds).
    pub updated_us: i64,
}

/// A `u64` kept in a `BIGINT` by its bits: device and inode numbers use the
/// whole unsigned range on some file systems, and are only compared.
fn bits_to_i64(value: u64) -> i64 {
    i64::from_le_bytes(value.to_le_bytes())
}

fn bits_to_u64(value: i64) -> u64 {
    u64::from_le_bytes(value.to_le_bytes())
}

type FollowTuple = (String, i64, i64, i64, i64, String, i64);

impl Store {
    /// The checkpoint of `path`, if one was written.
    pub async fn monitor_follow_checkpoint(
        &self,
        path: &str,
    ) -> Result<Option<MonitorFollowRow>, StoreError> {
        let found: Option<FollowTuple> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT path, device, inode, byte_offset, line_number, fingerprint, updated_us \
                 FROM monitor_follow WHERE path = $1",
            )
            .bind(path)
            .fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a follow checkpoint"))?;
        let Some((path, device, inode, offset, line, fingerprint, updated_us)) = found else {
            return Ok(None);
        };
        let fingerprint = hex::decode(&fingerprint)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| StoreError::Corrupt {
                what: "follow checkpoint fingerprint",
                reason: format!("`{fingerprint}` is not 64 hexadecimal digits"),
            })?;
        Ok(Some(MonitorFollowRow {
            path,
            device: bits_to_u64(device),
            inode: bits_to_u64(inode),
            offset: u64_from_db(offset, "follow checkpoint offset")?,
            line: u64_from_db(line, "follow checkpoint line")?,
            fingerprint,
            updated_us,
        }))
    }

    /// Writes the checkpoint of `row.path`, replacing the one before.
    pub async fn monitor_save_follow_checkpoint(
        &self,
        row: &MonitorFollowRow,
    ) -> Result<(), StoreError> {
        check_text(&row.path, "followed path")?;
        let offset = index_param(row.offset, "follow checkpoint offset")?;
        let line = index_param(row.line, "follow checkpoint line")?;
        let (device, inode) = (bits_to_i64(row.device), bits_to_i64(row.inode));
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO monitor_follow \
                 (path, device, inode, byte_offset, line_number, fingerprint, updated_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (path) DO UPDATE SET device = excluded.device, inode = excluded.inode, \
                 byte_offset = excluded.byte_offset, line_number = excluded.line_number, \
                 fingerprint = excluded.fingerprint, updated_us = excluded.updated_us",
            )
            .bind(&row.path).bind(device).bind(inode).bind(offset).bind(line)
            .bind(hex::encode(row.fingerprint)).bind(row.updated_us)
            .execute(pool).await.map(|_| ())
        })
        .map_err(StoreError::db("saving a follow checkpoint"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_and_inode_bits_survive_the_round_trip_through_a_signed_column() {
        for v in [
            0,
            1,
            u64::from(u32::MAX),
            i64::MAX as u64,
            u64::MAX - 7,
            u64::MAX,
        ] {
            assert_eq!(bits_to_u64(bits_to_i64(v)), v);
        }
    }
}
