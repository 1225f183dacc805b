//! The issuers' secrets in the store: the SSH CA key and each database's
//! admin connection string, sealed with AES-256-GCM ([`crate::secrets`])
//! under a key the caller reads from a key file or an environment variable
//! and hands in. The store only ever holds them sealed; the ledger records
//! that one changed (its name, the sealing key's id, a CA's fingerprint),
//! never its value.
//!
//! All of one store's secrets are sealed under one key. A key that is not
//! that key is refused before anything is written, so a wrong key never
//! overwrites a secret it cannot open.

use std::path::Path;

use jiff::Timestamp;
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use palisade_model::{Index, ResourceKind};
use palisade_store::{SealedSecretRow, StoreError};
use serde_json::json;

use crate::credentials::{Issuers, SshIssuer};
use crate::postgres::{PgError, PgIssuer};
use crate::secrets::{Key, OpenError, SealError, Secret};
use crate::ssh::{CaKey, CaKeyError, CaPublicKey};

/// The ledger kind of a secret's change.
pub const KIND: &str = "access.secret";

/// The name of the SSH CA key.
pub const SSH_CA: &str = "ssh-ca";

const LABEL_DB_ADMIN: &str = "db-admin-url";

/// The name of a database resource's admin connection string.
pub fn db_admin_name(environment: &str, resource: &str) -> String {
    format!("db-admin:{environment}/{resource}")
}

/// Why a secret could not be stored or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The key given is not the one the store's secrets are sealed under.
    #[error(
        "the secrets key given (key id {given}) is not the one this store's secrets are sealed under ({stored}); \
         nothing was written. Give the right key file or PALISADE_SECRETS_KEY"
    )]
    WrongKey {
        /// The key id of the stored secrets.
        stored: String,
        /// The key id of the key given.
        given: String,
    },
    /// The secret exists and replacing it was not asked for.
    #[error(
        "{name} already exists; replacing it cuts off everything it issued: pass --replace to do so"
    )]
    Exists {
        /// The secret's name.
        name: String,
    },
    /// A stored secret does not open.
    #[error("cannot open the stored {name}: {source}")]
    Open {
        /// The secret's name.
        name: String,
        /// Why.
        source: OpenError,
    },
    /// Sealing failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// No CA key could be made.
    #[error(transparent)]
    Ca(#[from] CaKeyError),
    /// No such database resource.
    #[error("{0}")]
    NotADatabase(String),
    /// The admin connection string is not usable.
    #[error(transparent)]
    Postgres(#[from] PgError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sealed secrets of one store, opened with one key.
pub struct Keyring<'a> {
    ledger: &'a Ledger,
    key: &'a Key,
}

impl<'a> Keyring<'a> {
    /// Over `ledger`'s store, sealing and opening with `key`.
    pub fn new(ledger: &'a Ledger, key: &'a Key) -> Self {
        Keyring { ledger, key }
    }

    /// Refuses a key other than the one the stored secrets are sealed under.
    async fn check_key(&self) -> Result<(), KeyringError> {
        let given = self.key.id();
        let stored = self.ledger.store().access_secret_key_ids().await?;
        match stored.iter().find(|k| **k != given) {
            Some(other) => Err(KeyringError::WrongKey {
                stored: other.clone(),
                given,
            }),
            None => Ok(()),
        }
    }

    async fn put(
        &self,
        name: &str,
        sealed: String,
        replace: bool,
        actor: &str,
        now: Timestamp,
        extra: serde_json::Value,
    ) -> Result<(), KeyringError> {
        self.check_key().await?;
        let mut tx = self.ledger.begin().await?;
        let row = SealedSecretRow {
            name: name.to_owned(),
            sealed,
            key_id: self.key.id(),
            updated_us: now.as_microsecond(),
        };
        if !tx.access_put_secret(&row, replace).await? {
            return Err(KeyringError::Exists {
                name: name.to_owned(),
            });
        }
        let event = Event {
            time: now,
            actor: actor.to_owned(),
            kind: KIND.to_owned(),
            subject: name.to_owned(),
            data: json!({ "key_id": row.key_id, "replaced": replace, "about": extra }),
        };
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a new SSH CA key and stores it sealed; returns its public key
    /// (for sshd's `TrustedUserCAKeys`). An existing CA is kept unless
    /// `replace`.
    pub async fn init_ca(
        &self,
        actor: &str,
        replace: bool,
        now: Timestamp,
    ) -> Result<CaPublicKey, KeyringError> {
        let ca = CaKey::generate()?;
        let public = ca.public_key();
        self.put(
            SSH_CA,
            ca.seal(self.key)?,
            replace,
            actor,
            now,
            json!({ "fingerprint": public.fingerprint() }),
        )
        .await?;
        Ok(public)
    }

    /// The SSH CA key, if one is stored.
    pub async fn ca(&self) -> Result<Option<CaKey>, KeyringError> {
        let Some(row) = self.ledger.store().access_secret(SSH_CA).await? else {
            return Ok(None);
        };
        CaKey::open(&row.sealed, self.key)
            .map(Some)
            .map_err(|source| KeyringError::Open {
                name: SSH_CA.to_owned(),
                source,
            })
    }

    /// Stores the admin connection string of database `resource` in
    /// `environment`, checked to be a usable `postgres://` URL first.
    pub async fn set_db_admin(
        &self,
        index: &Index<'_>,
        environment: &str,
        resource: &str,
        url: &Secret,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), KeyringError> {
        let found = index
            .environment_by_id(environment)
            .and_then(|e| index.resource_by_id(e, resource))
            .map(|r| index.resource(r))
            .filter(|r| r.kind == ResourceKind::Database)
            .ok_or_else(|| {
                KeyringError::NotADatabase(format!(
                    "the model has no database resource `{resource}` in environment `{environment}`"
                ))
            })?;
        let text = std::str::from_utf8(url.expose()).map_err(|_| {
            KeyringError::NotADatabase("the admin connection string is not UTF-8".to_owned())
        })?;
        // Parsing it here means a typo is caught now, not at the first grant.
        PgIssuer::new(text.trim(), found)?;
        let sealed = crate::secrets::seal(self.key, LABEL_DB_ADMIN, text.trim().as_bytes())?;
        self.put(
            &db_admin_name(environment, resource),
            sealed,
            true,
            actor,
            now,
            json!({ "environment": environment, "resource": resource }),
        )
        .await
    }

    /// Every issuer the stored secrets allow: the SSH CA (when the model
    /// names where its KRL goes, relative to `model_dir`) and each database
    /// with stored admin credentials.
    pub async fn issuers(
        &self,
        index: &Index<'_>,
        model_dir: &Path,
    ) -> Result<Issuers, KeyringError> {
        let model = index.model();
        let mut issuers = Issuers::new();
        if let Some(krl) = &model.access.ssh_krl
            && let Some(ca) = self.ca().await?
        {
            issuers = issuers.with_ssh(SshIssuer::new(ca, model_dir.join(krl)));
        }
        for env in &model.environments {
            for r in env
                .resources
                .iter()
                .filter(|r| r.kind == ResourceKind::Database)
            {
                let name = db_admin_name(&env.id, &r.id);
                let Some(row) = self.ledger.store().access_secret(&name).await? else {
                    continue;
                };
                let url =
                    Secret::open(&row.sealed, self.key, LABEL_DB_ADMIN).map_err(|source| {
                        KeyringError::Open {
                            name: name.clone(),
                            source,
                        }
                    })?;
                let text = std::str::from_utf8(url.expose()).map_err(|_| KeyringError::Open {
                    name: name.clone(),
                    source: OpenError::Contents {
                        label: LABEL_DB_ADMIN,
                        reason: "not UTF-8",
                    },
                })?;
                issuers = issuers.with_database(&env.id, &r.id, PgIssuer::new(text, r)?);
            }
        }
        Ok(issuers)
    }
}
