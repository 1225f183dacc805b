//! What Palisade issued to outside systems for each grant (SSH certificates,
//! temporary database roles), the reviews of break-glass uses, and the sealed
//! secrets the issuers need.
//!
//! A credential row is written `intended` in the ledger transaction before
//! the outside system is touched, and `issued` or `failed` in another after
//! it, so a crash in between leaves a row the sweep finds and reconciles.
//! Revocation goes `revoking` then `revoked` the same way. Secrets are stored
//! sealed by the caller; this module never sees them in the clear.

use crate::ledger::LedgerTx;
use crate::ledger::conn::{check_text, on_conn};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// One credential issued (or being issued) for a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCredentialRow {
    /// Its id.
    pub id: String,
    /// The request whose grant it serves.
    pub request_id: String,
    /// `ssh_certificate` or `database_role`.
    pub kind: String,
    /// The environment of the resource.
    pub environment: String,
    /// The resource it reaches.
    pub resource: String,
    /// `intended`, `issued`, `failed`, `revoking` or `revoked`.
    pub state: String,
    /// An SSH certificate's serial.
    pub serial: Option<i64>,
    /// The certificate's key id, or the database role's name.
    pub name: String,
    /// When it stops working by itself (unix microseconds).
    pub valid_until_us: i64,
    /// JSON: principals, key fingerprint, database role held, and the like.
    pub detail: String,
    /// When it was first written.
    pub created_us: i64,
    /// When it entered its state.
    pub state_us: i64,
    /// Rises with every change.
    pub version: i64,
}

type CredentialTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
);

const COLUMNS: &str = "id, request_id, kind, environment, resource, state, serial, name, \
     valid_until_us, detail, created_us, state_us, version";

fn credential(t: CredentialTuple) -> AccessCredentialRow {
    AccessCredentialRow {
        id: t.0,
        request_id: t.1,
        kind: t.2,
        environment: t.3,
        resource: t.4,
        state: t.5,
        serial: t.6,
        name: t.7,
        valid_until_us: t.8,
        detail: t.9,
        created_us: t.10,
        state_us: t.11,
        version: t.12,
    }
}

fn check_credential(r: &AccessCredentialRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.id.as_str(), "credential id"),
        (r.request_id.as_str(), "credential request id"),
        (r.kind.as_str(), "credential kind"),
        (r.environment.as_str(), "credential environment"),
        (r.resource.as_str(), "credential resource"),
        (r.state.as_str(), "credential state"),
        (r.name.as_str(), "credential name"),
        (r.detail.as_str(), "credential detail"),
    ] {
        check_text(value, what)?;
    }
    Ok(())
}

/// A review of a break-glass use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassReviewRow {
    /// The break-glass request.
    pub request_id: String,
    /// Who reviewed it.
    pub reviewer: String,
    /// What they found.
    pub reason: String,
    /// When (unix microseconds).
    pub at_us: i64,
}

/// A sealed secret as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecretRow {
    /// Its name, e.g. `ssh-ca`.
    pub name: String,
    /// The sealed value; the store cannot open it.
    pub sealed: String,
    /// The id of the key that sealed it.
    pub key_id: String,
    /// When it was written.
    pub updated_us: i64,
}

impl LedgerTx<'_> {
    /// Inserts a new credential; an id already used is [`StoreError::InvalidInput`].
    pub async fn access_insert_credential(
        &mut self,
        r: &AccessCredentialRow,
    ) -> Result<(), StoreError> {
        check_credential(r)?;
        let sql = format!(
            "INSERT INTO access_credentials ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING"
        );
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&r.id).bind(&r.request_id).bind(&r.kind).bind(&r.environment)
                .bind(&r.resource).bind(&r.state).bind(r.serial).bind(&r.name)
                .bind(r.valid_until_us).bind(&r.detail).bind(r.created_us).bind(r.state_us)
                .bind(r.version)
                .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording a credential"))?;
        if done == 0 {
            return Err(StoreError::InvalidInput {
                what: "credential id",
                reason: format!("`{}` is already taken", r.id),
            });
        }
        Ok(())
    }

    /// Replaces credential `r.id` with `r` if its stored version is still
    /// `expected_version`. Returns whether it did.
    pub async fn access_update_credential(
        &mut self,
        r: &AccessCredentialRow,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        check_credential(r)?;
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "UPDATE access_credentials SET state = $1, state_us = $2, valid_until_us = $3, \
                 detail = $4, version = $5 WHERE id = $6 AND version = $7",
            )
            .bind(&r.state).bind(r.state_us).bind(r.valid_until_us).bind(&r.detail)
            .bind(r.version).bind(&r.id).bind(expected_version)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("changing a credential"))?;
        Ok(done == 1)
    }

    /// The credential `id`, as this transaction sees it.
    pub async fn access_credential(
        &mut self,
        id: &str,
    ) -> Result<Option<AccessCredentialRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM access_credentials WHERE id = $1");
        let mut conn = self.conn();
        let found: Option<CredentialTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading a credential"))?;
        Ok(found.map(credential))
    }

    /// Records the review of break-glass request `r.request_id`; `false`
    /// (writing nothing) when it was already reviewed.
    pub async fn access_insert_break_glass_review(
        &mut self,
        r: &BreakGlassReviewRow,
    ) -> Result<bool, StoreError> {
        check_text(&r.request_id, "break-glass request id")?;
        check_text(&r.reviewer, "break-glass reviewer")?;
        check_text(&r.reason, "break-glass review reason")?;
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "INSERT INTO access_break_glass_reviews (request_id, reviewer, reason, at_us) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO NOTHING",
            )
            .bind(&r.request_id).bind(&r.reviewer).bind(&r.reason).bind(r.at_us)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording a break-glass review"))?;
        Ok(done == 1)
    }

    /// Writes secret `r.name`. When `replace` is false and the name is taken,
    /// writes nothing and returns `false`.
    pub async fn access_put_secret(
        &mut self,
        r: &SealedSecretRow,
        replace: bool,
    ) -> Result<bool, StoreError> {
        check_text(&r.name, "secret name")?;
        check_text(&r.sealed, "sealed secret")?;
        check_text(&r.key_id, "secret key id")?;
        let sql = if replace {
            "INSERT INTO access_secrets (name, sealed, key_id, updated_us) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, key_id = excluded.key_id, \
             updated_us = excluded.updated_us"
        } else {
            "INSERT INTO access_secrets (name, sealed, key_id, updated_us) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING"
        };
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(sql)
                .bind(&r.name).bind(&r.sealed).bind(&r.key_id).bind(r.updated_us)
                .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("storing a sealed secret"))?;
        Ok(done == 1)
    }
}

impl Store {
    /// The credentials of request `request_id`, oldest first.
    pub async fn access_credentials_of(
        &self,
        request_id: &str,
    ) -> Result<Vec<AccessCredentialRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM access_credentials WHERE request_id = $1 ORDER BY created_us, id"
        );
        let rows: Vec<CredentialTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(request_id).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading credentials"))?;
        Ok(rows.into_iter().map(credential).collect())
    }

    /// Every credential in one of `states` (all of them when empty), oldest first.
    pub async fn access_credentials_in(
        &self,
        states: &[&str],
    ) -> Result<Vec<AccessCredentialRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM access_credentials ORDER BY created_us, id");
        let rows: Vec<CredentialTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await
        })
        .map_err(StoreError::db("listing credentials"))?;
        Ok(rows
            .into_iter()
            .map(credential)
            .filter(|r| states.is_empty() || states.contains(&r.state.as_str()))
            .collect())
    }

    /// The review of break-glass request `request_id`, if any.
    pub async fn access_break_glass_review(
        &self,
        request_id: &str,
    ) -> Result<Option<BreakGlassReviewRow>, StoreError> {
        let found: Option<(String, String, String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT request_id, reviewer, reason, at_us FROM access_break_glass_reviews \
                 WHERE request_id = $1",
            )
            .bind(request_id)
            .fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a break-glass review"))?;
        Ok(found.map(|t| BreakGlassReviewRow {
            request_id: t.0,
            reviewer: t.1,
            reason: t.2,
            at_us: t.3,
        }))
    }

    /// The secret `name`, still sealed.
    pub async fn access_secret(&self, name: &str) -> Result<Option<SealedSecretRow>, StoreError> {
        let found: Option<(String, String, String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT name, sealed, key_id, updated_us FROM access_secrets WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading a sealed secret"))?;
        Ok(found.map(|t| SealedSecretRow {
            name: t.0,
            sealed: t.1,
            key_id: t.2,
            updated_us: t.3,
        }))
    }

    /// The ids of the keys that sealed the stored secrets, each once.
    pub async fn access_secret_key_ids(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT DISTINCT key_id FROM access_secrets ORDER BY key_id")
                .fetch_all(pool).await
        })
        .map_err(StoreError::db("reading secret key ids"))?;
        Ok(rows.into_iter().map(|t| t.0).collect())
    }
}
