//! Recorded versions of the operating model (`palisade.toml`), deduplicated by content hash.

use crate::store::with_pool;
use crate::{Store, StoreError};

/// A model version to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewModelVersion {
    /// SHA-256 of the content, 64 hex digits (stored lower-case); the deduplication key.
    pub sha256: String,
    /// Where the model was loaded from (a path, a URL, a git revision).
    pub source: String,
    /// The organisation the model describes.
    pub org: String,
    /// The full `palisade.toml` text.
    pub content: String,
    /// When it was recorded (kept to the microsecond).
    pub recorded_at: jiff::Timestamp,
}

/// A recorded model version, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersion {
    /// Row id: increases with every new version, never reused.
    pub id: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Where it was loaded from when first recorded.
    pub source: String,
    /// The organisation it describes.
    pub org: String,
    /// When it was first recorded (microsecond precision).
    pub recorded_at: jiff::Timestamp,
    /// True only when returned by the [`Store::record_model`] call that inserted it.
    pub created: bool,
}

/// `id, sha256, source, org, recorded_at` as stored.
type VersionRow = (i64, String, String, String, i64);

impl Store {
    /// Records a model version; idempotent: if one with the same `sha256` exists, returns
    /// it (with its original source and time) and `created: false`.
    pub async fn record_model(&self, new: &NewModelVersion) -> Result<ModelVersion, StoreError> {
        let sha256 = normalize_sha256(&new.sha256)?;
        let recorded_at = new.recorded_at.as_microsecond();
        let inserted: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO model_versions (sha256, source, org, content, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (sha256) DO NOTHING \
                 RETURNING id",
            )
            .bind(sha256.as_str())
            .bind(new.source.as_str())
            .bind(new.org.as_str())
            .bind(new.content.as_str())
            .bind(recorded_at)
            .fetch_optional(pool)
            .await
        })
        .map_err(StoreError::db("recording a model version"))?;
        if let Some(id) = inserted {
            return Ok(ModelVersion {
                id,
                sha256,
                source: new.source.clone(),
                org: new.org.clone(),
                recorded_at: timestamp(recorded_at)?,
                created: true,
            });
        }
        let existing: Option<VersionRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, sha256, source, org, recorded_at FROM model_versions \
                 WHERE sha256 = $1",
            )
            .bind(sha256.as_str())
            .fetch_optional(pool)
            .await
        })
        .map_err(StoreError::db("reading an existing model version"))?;
        match existing {
            Some(row) => version_from_row(row),
            None => Err(StoreError::Corrupt {
                what: "model version",
                reason: format!("{sha256} conflicted on insert but cannot be read back"),
            }),
        }
    }

    /// The most recently recorded model version and its content, if any.
    pub async fn latest_model(&self) -> Result<Option<(ModelVersion, String)>, StoreError> {
        let row: Option<(i64, String, String, String, i64, String)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, sha256, source, org, recorded_at, content FROM model_versions \
                 ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await
        })
        .map_err(StoreError::db("reading the latest model version"))?;
        row.map(|(id, sha256, source, org, recorded_at, content)| {
            Ok((
                version_from_row((id, sha256, source, org, recorded_at))?,
                content,
            ))
        })
        .transpose()
    }

    /// Up to `limit` recorded model versions, newest first.
    pub async fn model_versions(&self, limit: u32) -> Result<Vec<ModelVersion>, StoreError> {
        let rows: Vec<VersionRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, sha256, source, org, recorded_at FROM model_versions \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
        .map_err(StoreError::db("listing model versions"))?;
        rows.into_iter().map(version_from_row).collect()
    }
}

/// Checks a SHA-256 hex digest and lower-cases it.
fn normalize_sha256(sha256: &str) -> Result<String, StoreError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(sha256.to_ascii_lowercase())
    } else {
        Err(StoreError::InvalidInput {
            what: "model sha256",
            reason: format!("expected 64 hex digits, got {sha256:?}"),
        })
    }
}

fn version_from_row(row: VersionRow) -> Result<ModelVersion, StoreError> {
    let (id, sha256, source, org, recorded_at) = row;
    Ok(ModelVersion {
        id,
        sha256,
        source,
        org,
        recorded_at: timestamp(recorded_at)?,
        created: false,
    })
}

fn timestamp(microseconds: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_microsecond(microseconds).map_err(|e| StoreError::Corrupt {
        what: "model version time",
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_checked_and_lowercased() {
        let upper = "AB".repeat(32);
        assert_eq!(normalize_sha256(&upper).ok(), Some("ab".repeat(32)));
        assert!(normalize_sha256("abc").is_err());
        assert!(normalize_sha256(&"g".repeat(64)).is_err());
    }
}
