//! Credentials issued to outside systems for a grant, never half-done.
//!
//! Every credential is written `intended` to the store, with its ledger
//! entry, before the outside system is touched (an SSH certificate signed, a
//! PostgreSQL role created), and `issued` or `failed`, with another entry,
//! after it. Revocation goes `revoking` then `revoked` the same way. A crash
//! in between leaves a row in a middle state; [`Credentials::reconcile`]
//! finds it and finishes the job: an abandoned certificate goes into the
//! KRL, an abandoned or orphaned database role is dropped. A writer whose row
//! was reconciled under it finds its version changed and undoes what it did.
//!
//! The issuers ([`crate::ssh`], [`crate::postgres`]) talk to the outside
//! systems and never to the store; this module is the only one that records
//! what they did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use palisade_model::{Access, Index, ResourceKind};
use palisade_store::{AccessCredentialRow, AccessRequestRow, LedgerTx, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::postgres::{GrantState, PgCredential, PgError, PgIssuer};
use crate::request::State;
use crate::ssh::{
    CaKey, Certificate, CertificateRequest, IssueError, Krl, SourceAddresses, UserPublicKey,
};

/// The ledger kind of credential events.
pub mod kind {
    /// A credential intended, issued, failed, abandoned, revoking or revoked.
    pub const CREDENTIAL: &str = "access.credential";
}

/// What a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An OpenSSH user certificate.
    SshCertificate,
    /// A temporary PostgreSQL login role.
    DatabaseRole,
}

impl CredentialKind {
    /// The name stored and shown.
    pub fn key(self) -> &'static str {
        match self {
            CredentialKind::SshCertificate => "ssh_certificate",
            CredentialKind::DatabaseRole => "database_role",
        }
    }
}

/// Where a credential is in its life.
pub mod state {
    /// Recorded before the outside system is touched.
    pub const INTENDED: &str = "intended";
    /// The outside system has it.
    pub const ISSUED: &str = "issued";
    /// Issuing failed or was abandoned; anything it left is undone.
    pub const FAILED: &str = "failed";
    /// Recorded before the outside system is told to revoke it.
    pub const REVOKING: &str = "revoking";
    /// Revoked (or expired) and undone in the outside system.
    pub const REVOKED: &str = "revoked";
}

/// A credential as the caller sees it. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialView {
    /// Its id.
    pub id: String,
    /// The request whose grant it serves.
    pub request: String,
    /// `ssh_certificate` or `database_role`.
    pub kind: String,
    /// The resource's environment.
    pub environment: String,
    /// The resource.
    pub resource: String,
    /// Its state.
    pub state: String,
    /// An SSH certificate's serial.
    pub serial: Option<u64>,
    /// The certificate's key id, or the database role's name.
    pub name: String,
    /// When it stops working by itself.
    #[serde(serialize_with = "rfc3339")]
    pub valid_until: Timestamp,
    /// Principals, key fingerprint, database role held, outcome.
    pub detail: Value,
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn time(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::MAX)
}

fn view(r: &AccessCredentialRow) -> CredentialView {
    CredentialView {
        id: r.id.clone(),
        request: r.request_id.clone(),
        kind: r.kind.clone(),
        environment: r.environment.clone(),
        resource: r.resource.clone(),
        state: r.state.clone(),
        serial: r.serial.map(|s| s as u64),
        name: r.name.clone(),
        valid_until: time(r.valid_until_us),
        detail: serde_json::from_str(&r.detail).unwrap_or(Value::Null),
    }
}

/// Why a credential was not issued or revoked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// No request has this id.
    #[error("no access request `{0}`; `palisade access list` shows them")]
    NotFound(String),
    /// Only the grant's holder gets its credentials.
    #[error("request `{id}` is {holder}'s; only they get its credentials")]
    NotHolder {
        /// The request.
        id: String,
        /// Its requester.
        holder: String,
    },
    /// The grant is not in force.
    #[error(
        "request `{id}` is {state}, not active: credentials are issued only while a grant is in force"
    )]
    NotActive {
        /// The request.
        id: String,
        /// Its state.
        state: String,
    },
    /// The grant reaches no resource of the kind asked for, or several.
    #[error("{0}")]
    Resource(String),
    /// This process has no issuer for the resource.
    #[error("{0}")]
    NoIssuer(String),
    /// The person has no principals to put in a certificate.
    #[error(
        "{person} has no ssh_principals in the model: add the login names they use on the hosts"
    )]
    NoPrincipals {
        /// The person.
        person: String,
    },
    /// The certificate could not be signed.
    #[error("signing the certificate failed: {0}")]
    Sign(#[from] IssueError),
    /// PostgreSQL refused or failed.
    #[error(transparent)]
    Postgres(#[from] PgError),
    /// The KRL could not be written.
    #[error("cannot write the KRL {path}: {reason}")]
    Krl {
        /// Where.
        path: String,
        /// Why.
        reason: String,
    },
    /// A reconciliation ran while this credential was being issued.
    #[error(
        "credential `{0}` was reconciled while it was being issued; what was issued has been undone: ask again"
    )]
    Reconciled(String),
    /// The system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The SSH certificate authority and where its revocations go.
pub struct SshIssuer {
    ca: CaKey,
    krl: PathBuf,
}

impl SshIssuer {
    /// Signs with `ca`; writes the KRL to `krl` (sshd's `RevokedKeys`).
    pub fn new(ca: CaKey, krl: impl Into<PathBuf>) -> SshIssuer {
        SshIssuer {
            ca,
            krl: krl.into(),
        }
    }

    /// Where the KRL is written.
    pub fn krl_path(&self) -> &Path {
        &self.krl
    }
}

/// The issuers this process can use: the SSH CA and one PostgreSQL issuer
/// per database resource (environment, resource).
#[derive(Default)]
pub struct Issuers {
    ssh: Option<SshIssuer>,
    databases: BTreeMap<(String, String), PgIssuer>,
}

impl Issuers {
    /// No issuers: credentials can be listed, not issued or revoked.
    pub fn new() -> Issuers {
        Issuers::default()
    }

    /// With the SSH certificate authority.
    pub fn with_ssh(mut self, ssh: SshIssuer) -> Issuers {
        self.ssh = Some(ssh);
        self
    }

    /// With the issuer of database `resource` in `environment`.
    pub fn with_database(mut self, environment: &str, resource: &str, pg: PgIssuer) -> Issuers {
        self.databases
            .insert((environment.to_owned(), resource.to_owned()), pg);
        self
    }

    /// Whether there is any issuer at all.
    pub fn is_empty(&self) -> bool {
        self.ssh.is_none() && self.databases.is_empty()
    }
}

/// An SSH certificate just issued.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// What was recorded.
    pub credential: CredentialView,
    /// The certificate, for its holder.
    pub certificate: Certificate,
}

/// A database role just issued.
#[derive(Debug, Clone)]
pub struct IssuedRole {
    /// What was recorded.
    pub credential: CredentialView,
    /// The role and its password, for its holder only.
    pub role: PgCredential,
}

/// What [`Credentials::reconcile`] found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReconcileReport {
    /// Credentials left `intended` by a crash, now failed (and undone).
    pub abandoned: Vec<CredentialView>,
    /// Credentials of grants no longer in force, now revoked.
    pub revoked: Vec<CredentialView>,
    /// Database roles that no credential accounts for, dropped.
    pub orphan_roles: Vec<String>,
    /// Credentials that need an issuer this process does not have; they
    /// still expire by themselves at their `valid_until`.
    pub waiting: Vec<CredentialView>,
    /// Certificates in the KRL, if it was written.
    pub krl_entries: Option<usize>,
}

/// Issues, revokes and reconciles credentials over the store and the ledger.
pub struct Credentials<'a, 'm> {
    ledger: &'a Ledger,
    index: &'a Index<'m>,
    issuers: &'a Issuers,
}

/// A resource a grant reaches, with the access it gives there.
struct Target {
    environment: String,
    resource: String,
    access: Access,
}

impl<'a, 'm> Credentials<'a, 'm> {
    /// Over `ledger`, reading roles and resources from `index`, issuing with `issuers`.
    pub fn new(ledger: &'a Ledger, index: &'a Index<'m>, issuers: &'a Issuers) -> Self {
        Credentials {
            ledger,
            index,
            issuers,
        }
    }

    /// The credentials of request `id`, oldest first.
    pub async fn list(&self, id: &str) -> Result<Vec<CredentialView>, CredentialError> {
        let rows = self.ledger.store().access_credentials_of(id).await?;
        Ok(rows.iter().map(view).collect())
    }

    /// The resources of `kind` that `row`'s grant reaches, or the one named.
    fn target(
        &self,
        row: &AccessRequestRow,
        kind: ResourceKind,
        wanted: Option<&str>,
    ) -> Result<Target, CredentialError> {
        let index = self.index;
        let role = index.role_by_id(&row.role).ok_or_else(|| {
            CredentialError::Resource(format!(
                "role `{}` of request `{}` is no longer in the model",
                row.role, row.id
            ))
        })?;
        let mut found: BTreeMap<(String, String), Access> = BTreeMap::new();
        for g in index.role_grants(role) {
            let env = &index.environment(g.env).id;
            if row.environment.as_ref().is_some_and(|e| e != env) {
                continue;
            }
            let Some(r) = g.resource.map(|r| index.resource(r)) else {
                continue;
            };
            if r.kind != kind || wanted.is_some_and(|w| w != r.id) {
                continue;
            }
            let level = found.entry((env.clone(), r.id.clone())).or_insert(g.access);
            *level = (*level).max(g.access);
        }
        let what = match kind {
            ResourceKind::SshHost => "SSH host",
            ResourceKind::Database => "database",
            ResourceKind::Other => "resource",
        };
        match found.len() {
            1 => {
                let ((environment, resource), access) =
                    found.into_iter().next().expect("one entry");
                Ok(Target {
                    environment,
                    resource,
                    access,
                })
            }
            0 => Err(CredentialError::Resource(match wanted {
                Some(w) => format!(
                    "role `{}` gives no {what} `{w}`{}",
                    row.role,
                    row.environment
                        .as_ref()
                        .map(|e| format!(" in {e}"))
                        .unwrap_or_default()
                ),
                None => format!("role `{}` reaches no {what}", row.role),
            })),
            _ => Err(CredentialError::Resource(format!(
                "role `{}` reaches several {what}s ({}): name one with --resource",
                row.role,
                found
                    .keys()
                    .map(|(e, r)| format!("{e}/{r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Reads request `id` in `tx` and checks `actor` holds its active grant.
    async fn active_grant(
        tx: &mut LedgerTx<'_>,
        actor: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<AccessRequestRow, CredentialError> {
        let row = tx
            .access_request(id)
            .await?
            .ok_or_else(|| CredentialError::NotFound(id.to_owned()))?;
        if row.requester != actor {
            return Err(CredentialError::NotHolder {
                id: id.to_owned(),
                holder: row.requester,
            });
        }
        let in_force = row.state == State::Active.key()
            && row
                .active_from_us
                .is_some_and(|f| f <= now.as_microsecond())
            && row
                .active_until_us
                .is_some_and(|u| u > now.as_microsecond());
        if !in_force {
            let state = if row.state == State::Active.key() {
                "ended".to_owned()
            } else {
                row.state.clone()
            };
            return Err(CredentialError::NotActive {
                id: id.to_owned(),
                state,
            });
        }
        Ok(row)
    }

    fn event(actor: &str, now: Timestamp, row: &AccessCredentialRow, phase: &str) -> Event {
        Event {
            time: now,
            actor: actor.to_owned(),
            kind: kind::CREDENTIAL.to_owned(),
            subject: row.request_id.clone(),
            data: json!({
                "phase": phase,
                "credential": row.id,
                "kind": row.kind,
                "environment": row.environment,
                "resource": row.resource,
                // As a string: a serial may exceed what JSON numbers hold exactly.
                "serial": row.serial.map(|s| (s as u64).to_string()),
                "name": row.name,
                "valid_until": time(row.valid_until_us).to_string(),
                "detail": serde_json::from_str::<Value>(&row.detail).unwrap_or(Value::Null),
            }),
        }
    }

    /// Moves credential `row` to `next` state with a ledger entry in its own
    /// transaction; `false` if it changed under us.
    async fn transition(
        &self,
        row: &AccessCredentialRow,
        next: &str,
        phase: &str,
        extra: Option<(&str, Value)>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<AccessCredentialRow>, CredentialError> {
        let mut tx = self.ledger.begin().await?;
        let mut updated = row.clone();
        updated.state = next.to_owned();
        updated.state_us = now.as_microsecond();
        updated.version = row.version + 1;
        if let Some((key, value)) = extra {
            let mut detail: Value = serde_json::from_str(&row.detail).unwrap_or(json!({}));
            if let Some(map) = detail.as_object_mut() {
                map.insert(key.to_owned(), value);
            }
            updated.detail = detail.to_string();
        }
        if !tx.access_update_credential(&updated, row.version).await? {
            return Ok(None);
        }
        let event = Self::event(actor, now, &updated, phase);
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(Some(updated))
    }

    /// Writes `row` as intended, with its ledger entry, in `tx`, and commits.
    async fn intend(
        &self,
        mut tx: LedgerTx<'_>,
        row: &AccessCredentialRow,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), CredentialError> {
        tx.access_insert_credential(row).await?;
        let event = Self::event(actor, now, row, state::INTENDED);
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issues `actor`'s SSH certificate for `public_key` on the active grant
    /// of request `id`: valid exactly for the grant window, for the person's
    /// `ssh_principals`, with the request id as key id. `resource` picks
    /// one SSH host when the grant reaches several.
    pub async fn ssh_certificate(
        &self,
        actor: &str,
        id: &str,
        resource: Option<&str>,
        public_key: &UserPublicKey,
        source: Option<&SourceAddresses>,
        now: Timestamp,
    ) -> Result<IssuedCertificate, CredentialError> {
        let ssh = self.issuers.ssh.as_ref().ok_or_else(|| {
            CredentialError::NoIssuer(
                "no SSH certificate authority: set [access] ssh_krl in the model, create the CA with \
                 `palisade access secrets ca-init`, and give the secrets key"
                    .to_owned(),
            )
        })?;
        let mut tx = self.ledger.begin().await?;
        let row = Self::active_grant(&mut tx, actor, id, now).await?;
        let target = self.target(&row, ResourceKind::SshHost, resource)?;
        let person = self
            .index
            .person_by_handle(&row.requester)
            .map(|p| self.index.person(p))
            .ok_or_else(|| CredentialError::NotHolder {
                id: id.to_owned(),
                holder: row.requester.clone(),
            })?;
        if person.ssh_principals.is_empty() {
            return Err(CredentialError::NoPrincipals {
                person: person.handle.clone(),
            });
        }
        let serial = random_serial()?;
        let from = time(row.active_from_us.unwrap_or(now.as_microsecond()));
        let until = time(row.active_until_us.unwrap_or(now.as_microsecond()));
        let credential = AccessCredentialRow {
            id: new_id()?,
            request_id: id.to_owned(),
            kind: CredentialKind::SshCertificate.key().to_owned(),
            environment: target.environment,
            resource: target.resource,
            state: state::INTENDED.to_owned(),
            serial: Some(serial as i64),
            name: id.to_owned(),
            valid_until_us: until.as_microsecond(),
            detail: json!({
                "principals": person.ssh_principals,
                "key": public_key.fingerprint(),
                "source_address": source.map(SourceAddresses::to_option_value),
                "valid_after": from.to_string(),
            })
            .to_string(),
            created_us: now.as_microsecond(),
            state_us: now.as_microsecond(),
            version: 1,
        };
        self.intend(tx, &credential, actor, now).await?;
        let signed = ssh.ca.issue(&CertificateRequest {
            public_key,
            key_id: id,
            serial,
            principals: &person.ssh_principals,
            valid_after: from,
            valid_before: until,
            max_validity: until.duration_since(from).max(SignedDuration::from_secs(1)),
            source_address: source,
        });
        match signed {
            Ok(certificate) => {
                let done = self
                    .transition(&credential, state::ISSUED, state::ISSUED, None, actor, now)
                    .await?;
                match done {
                    Some(done) => Ok(IssuedCertificate {
                        credential: view(&done),
                        certificate,
                    }),
                    // Reconciled meanwhile: it is failed and in the KRL; never hand it out.
                    None => {
                        self.write_krl(now).await?;
                        Err(CredentialError::Reconciled(credential.id))
                    }
                }
            }
            Err(e) => {
                self.transition(
                    &credential,
                    state::FAILED,
                    state::FAILED,
                    Some(("error", json!(e.to_string()))),
                    actor,
                    now,
                )
                .await?;
                Err(e.into())
            }
        }
    }

    /// Issues `actor`'s temporary PostgreSQL role on the active grant of
    /// request `id`, member of the database role the resource maps the
    /// grant's access to, refused by the server after the grant's end.
    pub async fn database_role(
        &self,
        actor: &str,
        id: &str,
        resource: Option<&str>,
        now: Timestamp,
    ) -> Result<IssuedRole, CredentialError> {
        let mut tx = self.ledger.begin().await?;
        let row = Self::active_grant(&mut tx, actor, id, now).await?;
        let target = self.target(&row, ResourceKind::Database, resource)?;
        let pg = self
            .issuers
            .databases
            .get(&(target.environment.clone(), target.resource.clone()))
            .ok_or_else(|| {
                CredentialError::NoIssuer(format!(
                    "no admin credentials for database {}/{}: store them with `palisade access secrets \
                     db-admin --env {} --resource {}`",
                    target.environment, target.resource, target.environment, target.resource
                ))
            })?;
        let db_role = pg.db_role(target.access)?.to_owned();
        let until = time(row.active_until_us.unwrap_or(now.as_microsecond()));
        let cred_id = new_id()?;
        let name = role_key(id, &cred_id);
        let credential = AccessCredentialRow {
            id: cred_id,
            request_id: id.to_owned(),
            kind: CredentialKind::DatabaseRole.key().to_owned(),
            environment: target.environment,
            resource: target.resource,
            state: state::INTENDED.to_owned(),
            serial: None,
            name: crate::postgres::role_name(&name),
            valid_until_us: until.as_microsecond(),
            detail: json!({
                "tag": name,
                "access": target.access.key(),
                "db_role": db_role,
            })
            .to_string(),
            created_us: now.as_microsecond(),
            state_us: now.as_microsecond(),
            version: 1,
        };
        self.intend(tx, &credential, actor, now).await?;
        match pg.issue(&name, actor, target.access, until).await {
            Ok(role) => {
                let done = self
                    .transition(&credential, state::ISSUED, state::ISSUED, None, actor, now)
                    .await?;
                match done {
                    Some(done) => Ok(IssuedRole {
                        credential: view(&done),
                        role,
                    }),
                    None => {
                        pg.revoke(&name).await?;
                        Err(CredentialError::Reconciled(credential.id))
                    }
                }
            }
            Err(e) => {
                // Whatever the server did, no role of this name may stay.
                let _ = pg.revoke(&name).await;
                self.transition(
                    &credential,
                    state::FAILED,
                    state::FAILED,
                    Some(("error", json!(e.to_string()))),
                    actor,
                    now,
                )
                .await?;
                Err(e.into())
            }
        }
    }

    /// After request `id`'s grant was extended to `until`: its database
    /// roles are told the new end (an SSH certificate cannot change; its
    /// holder asks for a new one). Returns the credentials extended.
    pub async fn extend_grant(
        &self,
        actor: &str,
        id: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<CredentialView>, CredentialError> {
        let rows = self.ledger.store().access_credentials_of(id).await?;
        let mut out = Vec::new();
        for row in rows
            .iter()
            .filter(|r| r.state == state::ISSUED && r.kind == CredentialKind::DatabaseRole.key())
        {
            let Some(pg) = self.pg_for(row) else {
                return Err(CredentialError::NoIssuer(format!(
                    "no admin credentials for database {}/{}: its role keeps its old end until they are given",
                    row.environment, row.resource
                )));
            };
            pg.extend(&role_tag(row), until).await?;
            let mut tx = self.ledger.begin().await?;
            let mut updated = row.clone();
            updated.valid_until_us = until.as_microsecond();
            updated.version = row.version + 1;
            if !tx.access_update_credential(&updated, row.version).await? {
                continue;
            }
            let event = Self::event(actor, now, &updated, "extended");
            self.ledger.append_in(&mut tx, &[event]).await?;
            tx.commit().await?;
            out.push(view(&updated));
        }
        Ok(out)
    }

    /// Revokes every live credential of request `id` (its grant just ended):
    /// certificates still valid go into the KRL, database roles are dropped.
    pub async fn revoke_grant(
        &self,
        actor: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<ReconcileReport, CredentialError> {
        let rows = self.ledger.store().access_credentials_of(id).await?;
        let mut report = ReconcileReport::default();
        let mut krl_dirty = false;
        for row in rows {
            self.settle(&row, actor, now, &mut report, &mut krl_dirty)
                .await?;
        }
        if krl_dirty {
            report.krl_entries = self.write_krl(now).await?;
        }
        Ok(report)
    }

    /// Brings one credential whose grant is no longer in force to its end.
    async fn settle(
        &self,
        row: &AccessCredentialRow,
        actor: &str,
        now: Timestamp,
        report: &mut ReconcileReport,
        krl_dirty: &mut bool,
    ) -> Result<(), CredentialError> {
        let ssh = row.kind == CredentialKind::SshCertificate.key();
        match row.state.as_str() {
            state::INTENDED => {
                // Abandoned by a crash (or racing an issuer, who will undo).
                if !ssh {
                    let Some(pg) = self.pg_for(row) else {
                        report.waiting.push(view(row));
                        return Ok(());
                    };
                    pg.revoke(&role_tag(row)).await?;
                }
                if let Some(done) = self
                    .transition(
                        row,
                        state::FAILED,
                        "abandoned",
                        Some(("outcome", json!("abandoned before it was confirmed"))),
                        actor,
                        now,
                    )
                    .await?
                {
                    *krl_dirty |= ssh;
                    report.abandoned.push(view(&done));
                }
            }
            state::ISSUED | state::REVOKING => {
                let expired = row.valid_until_us <= now.as_microsecond();
                let current = if row.state == state::ISSUED {
                    let why = if expired { "expired" } else { "revoked" };
                    match self
                        .transition(
                            row,
                            state::REVOKING,
                            state::REVOKING,
                            Some(("outcome", json!(why))),
                            actor,
                            now,
                        )
                        .await?
                    {
                        Some(r) => r,
                        None => return Ok(()),
                    }
                } else {
                    row.clone()
                };
                if ssh && !expired && self.issuers.ssh.is_none() {
                    // Only a process with the CA writes the KRL; until then it stays revoking.
                    report.waiting.push(view(&current));
                    return Ok(());
                }
                if ssh {
                    // A certificate past its end is refused by sshd anyway.
                    *krl_dirty |= !expired;
                } else {
                    let Some(pg) = self.pg_for(row) else {
                        report.waiting.push(view(&current));
                        return Ok(());
                    };
                    pg.revoke(&role_tag(row)).await?;
                }
                if *krl_dirty && ssh {
                    // The KRL must list it before the row says revoked.
                    report.krl_entries = self.write_krl(now).await?;
                    *krl_dirty = false;
                }
                if let Some(done) = self
                    .transition(&current, state::REVOKED, state::REVOKED, None, actor, now)
                    .await?
                {
                    report.revoked.push(view(&done));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn pg_for(&self, row: &AccessCredentialRow) -> Option<&PgIssuer> {
        self.issuers
            .databases
            .get(&(row.environment.clone(), row.resource.clone()))
    }

    /// Makes the outside systems agree with the store: credentials left
    /// half-done by a crash are undone, those of grants no longer in force
    /// are revoked, database roles no credential accounts for are dropped,
    /// and the KRL is written anew.
    pub async fn reconcile(
        &self,
        actor: &str,
        now: Timestamp,
    ) -> Result<ReconcileReport, CredentialError> {
        let store = self.ledger.store();
        let live = store
            .access_credentials_in(&[state::INTENDED, state::ISSUED, state::REVOKING])
            .await?;
        let mut report = ReconcileReport::default();
        let mut krl_dirty = false;
        let mut grants: BTreeMap<String, bool> = BTreeMap::new();
        for row in &live {
            let in_force = match grants.get(&row.request_id) {
                Some(v) => *v,
                None => {
                    let v = store
                        .access_request(&row.request_id)
                        .await?
                        .is_some_and(|r| {
                            r.state == State::Active.key()
                                && r.active_until_us.is_some_and(|u| u > now.as_microsecond())
                        });
                    grants.insert(row.request_id.clone(), v);
                    v
                }
            };
            let keep = row.state == state::ISSUED && in_force;
            if !keep {
                self.settle(row, actor, now, &mut report, &mut krl_dirty)
                    .await?;
            }
        }
        // Roles on the servers that no live credential accounts for.
        let all = store.access_credentials_in(&[]).await?;
        for ((env, resource), pg) in &self.issuers.databases {
            let known: Vec<(String, GrantState)> = all
                .iter()
                .filter(|r| {
                    r.kind == CredentialKind::DatabaseRole.key()
                        && &r.environment == env
                        && &r.resource == resource
                })
                .map(|r| {
                    let live = r.state == state::ISSUED
                        && grants.get(&r.request_id).copied().unwrap_or(false);
                    (
                        role_tag(r),
                        if live {
                            GrantState::Active
                        } else {
                            GrantState::Revoked
                        },
                    )
                })
                .collect();
            let refs: Vec<(&str, GrantState)> =
                known.iter().map(|(n, s)| (n.as_str(), *s)).collect();
            let swept = pg.sweep(&refs, now).await?;
            report
                .orphan_roles
                .extend(swept.dropped.into_iter().map(|d| d.role));
        }
        if self.issuers.ssh.is_some() {
            report.krl_entries = self.write_krl(now).await?;
        }
        Ok(report)
    }

    /// Writes the KRL of every certificate revoked or abandoned while still
    /// valid; `None` when this process has no CA.
    pub async fn write_krl(&self, now: Timestamp) -> Result<Option<usize>, CredentialError> {
        let Some(ssh) = &self.issuers.ssh else {
            return Ok(None);
        };
        let rows = self
            .ledger
            .store()
            .access_credentials_in(&[state::FAILED, state::REVOKING, state::REVOKED])
            .await?;
        let mut krl = Krl::new();
        let mut count = 0;
        for r in rows {
            if r.kind != CredentialKind::SshCertificate.key()
                || r.valid_until_us <= now.as_microsecond()
            {
                continue;
            }
            // A certificate that expired by itself needs no entry.
            let detail: Value = serde_json::from_str(&r.detail).unwrap_or(Value::Null);
            if r.state == state::REVOKED && detail["outcome"] == "expired" {
                continue;
            }
            if let Some(serial) = r.serial {
                krl.revoke_serial(serial as u64)
                    .map_err(|e| CredentialError::Krl {
                        path: ssh.krl.display().to_string(),
                        reason: e.to_string(),
                    })?;
                count += 1;
            }
        }
        let version = u64::try_from(now.as_second()).unwrap_or(0);
        let bytes = krl.encode(&ssh.ca.public_key(), version, now);
        write_atomically(&ssh.krl, &bytes).map_err(|e| CredentialError::Krl {
            path: ssh.krl.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Some(count))
    }
}

/// The tag a database credential's role is created under: the request id
/// and the credential id, so two databases of one grant get two roles.
fn role_key(request: &str, credential: &str) -> String {
    format!("{request}.{credential}")
}

fn role_tag(row: &AccessCredentialRow) -> String {
    role_key(&row.request_id, &row.id)
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so sshd never reads half a KRL.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "krl".to_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn random_serial() -> Result<u64, CredentialError> {
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| CredentialError::Random(e.to_string()))?;
        // Kept below 2^63 so the store's signed column holds it as is.
        let serial = u64::from_le_bytes(bytes) >> 1;
        if serial != 0 {
            return Ok(serial);
        }
    }
}

fn new_id() -> Result<String, CredentialError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| CredentialError::Random(e.to_string()))?;
    Ok(format!("cred-{}", hex::encode(bytes)))
}
