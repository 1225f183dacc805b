//! Temporary PostgreSQL login roles for grants.
//!
//! A [`PgIssuer`] administers one `database` resource of the model: the
//! PostgreSQL server at its `address`, its `database`, and the existing
//! database role its `db_roles` maps each access level to. For a grant it
//! creates a login role that expires by itself (`VALID UNTIL`), is a member of
//! the mapped role and nothing else, and is tagged as Palisade's; it drops that
//! role on revocation; and [`PgIssuer::sweep`] reconciles after a crash,
//! dropping every tagged role whose grant is unknown, no longer active, or
//! past its time.
//!
//! It speaks only to the target database, never to Palisade's store. It
//! connects with the admin URL its caller hands in (decrypted from secrets at
//! rest), on the resource's host, port and database; that admin needs
//! `CREATEROLE` (and, from PostgreSQL 16, `ADMIN OPTION` on the mapped roles).
//! As libpq does, sqlx fills what the URL leaves out (TLS mode, a password)
//! from the `PG*` environment variables and `~/.pgpass`.
//!
//! Passwords are secrets: [`Password`] never shows itself in `Debug`, the
//! server only ever receives its SCRAM-SHA-256 verifier, and statement logging
//! is off on the admin connection. Nothing here prints or reads the clock:
//! times are passed in.

mod scram;
pub mod sql;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use palisade_model::{Access, DbRoles, Resource, ResourceKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};

use self::sql::{QuoteError, quote_ident, quote_literal};

/// Every role Palisade creates is named with this prefix.
pub const ROLE_PREFIX: &str = "palisade_g_";

/// Every role Palisade creates carries a comment starting with this, followed
/// by its [`RoleTag`] as JSON.
pub const TAG_PREFIX: &str = "palisade grant ";

/// The temporary role's name for a grant: [`ROLE_PREFIX`], up to 24
/// lower-cased letters and digits of the grant id (for people reading
/// `pg_roles`), and 48 bits of the id's SHA-256 (so distinct ids get distinct
/// names). Deterministic, so revocation and the sweep find it again, and
/// always a plain identifier whatever the grant id holds.
pub fn role_name(grant_id: &str) -> String {
    let slug: String = grant_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(24)
        .collect();
    let digest = hex::encode(Sha256::digest(grant_id.as_bytes()));
    let hash = &digest[..12];
    if slug.is_empty() {
        format!("{ROLE_PREFIX}{hash}")
    } else {
        format!("{ROLE_PREFIX}{slug}_{hash}")
    }
}

/// What a Palisade role's comment records about it: enough for a sweep, or a
/// person reading `pg_roles`, to know whose it is and why it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleTag {
    /// The grant it was issued for.
    pub grant: String,
    /// The person holding the grant (their handle).
    pub person: String,
    /// The database it was issued for.
    pub database: String,
    /// The database role it is a member of.
    pub db_role: String,
    /// The access level (`read`, `deploy`, `admin`).
    pub access: String,
    /// When it stops working (RFC 3339).
    pub until: String,
}

impl RoleTag {
    /// The role comment: [`TAG_PREFIX`] and the tag as JSON.
    pub fn to_comment(&self) -> String {
        let json = serde_json::to_string(self).expect("a tag of strings always serialises");
        format!("{TAG_PREFIX}{json}")
    }

    /// The tag in a role comment, or `None` when it is not a Palisade tag.
    pub fn from_comment(comment: &str) -> Option<RoleTag> {
        serde_json::from_str(comment.strip_prefix(TAG_PREFIX)?).ok()
    }
}

/// A password, kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The password itself, for handing to its holder (and nowhere else).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A temporary database credential, as handed to its holder.
#[derive(Debug, Clone)]
pub struct PgCredential {
    /// The grant it was issued for.
    pub grant_id: String,
    /// The login role's name (the user name to connect as).
    pub role: String,
    /// The role's password.
    pub password: Password,
    /// `postgres://ROLE@HOST:PORT/DATABASE`, without the password.
    pub connection_string: String,
    /// The database role it is a member of.
    pub db_role: String,
    /// When PostgreSQL stops accepting its password.
    pub valid_until: Timestamp,
}

impl PgCredential {
    /// The credential as one line of libpq's password file (`.pgpass`):
    /// `host:port:database:role:password`, with `:` and `\\` escaped, for its
    /// holder's file only (it holds the password).
    pub fn pgpass_line(&self) -> zeroize::Zeroizing<String> {
        // postgres://ROLE@HOST:PORT/DATABASE
        let rest = self
            .connection_string
            .strip_prefix("postgres://")
            .unwrap_or(&self.connection_string);
        let (_, hostpart) = rest.split_once('@').unwrap_or(("", rest));
        let (hostport, database) = hostpart.split_once('/').unwrap_or((hostpart, "*"));
        let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "*"));
        let esc = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
        zeroize::Zeroizing::new(format!(
            "{}:{}:{}:{}:{}\n",
            esc(host),
            esc(port),
            esc(database),
            esc(&self.role),
            esc(self.password.expose())
        ))
    }
}

/// What [`PgIssuer::revoke`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The role's name.
    pub role: String,
    /// Whether the role was dropped now or was already gone.
    pub outcome: RevokeOutcome,
    /// How many of its open sessions were terminated.
    pub sessions_terminated: u64,
}

/// Whether a revoked role existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// It existed and has been dropped.
    Dropped,
    /// There was no such role (already revoked, swept or never issued).
    AlreadyGone,
}

/// A grant's state, as the sweep needs it: only an active grant keeps its role.
pub use crate::request::State as GrantState;

/// Why the sweep dropped a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepReason {
    /// No known grant has this role's name.
    Orphan,
    /// Its grant is known but not active.
    GrantNotActive(GrantState),
    /// Its `VALID UNTIL` has passed.
    Expired,
}

/// A role the sweep dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptRole {
    /// The role's name.
    pub role: String,
    /// The grant its tag names.
    pub grant_id: String,
    /// Why it was dropped.
    pub reason: SweepReason,
    /// How many of its open sessions were terminated.
    pub sessions_terminated: u64,
}

/// What [`PgIssuer::sweep`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Roles dropped.
    pub dropped: Vec<SweptRole>,
    /// Roles kept: tagged for this database, grant active, not expired.
    pub kept: Vec<String>,
    /// Roles named like Palisade's but without a valid tag, or whose tag
    /// names another grant: left alone, for a person to look at.
    pub untagged: Vec<String>,
    /// Roles that should have been dropped but could not be, with the reason.
    pub failed: Vec<(String, String)>,
}

/// Settings of an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerOptions {
    /// The most sessions a temporary role may hold at once.
    pub connection_limit: u32,
    /// Also `GRANT CONNECT ON DATABASE` to the temporary role (for databases
    /// whose `CONNECT` is revoked from `PUBLIC` and not granted to the mapped
    /// roles). The admin must be able to grant it.
    pub grant_connect: bool,
    /// How long connecting to the server may take.
    pub connect_timeout: Duration,
    /// How long to wait for each terminated session to end.
    pub terminate_wait: Duration,
}

impl Default for IssuerOptions {
    fn default() -> Self {
        IssuerOptions {
            connection_limit: 5,
            grant_connect: false,
            connect_timeout: Duration::from_secs(10),
            terminate_wait: Duration::from_secs(5),
        }
    }
}

/// Why issuing, revoking or sweeping failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The resource is not a database.
    #[error(
        "resource {resource} is not a database: temporary roles are issued for `database` resources only"
    )]
    NotADatabase {
        /// The resource id.
        resource: String,
    },
    /// A database resource lacks a field the issuer needs.
    #[error("database resource {resource} has no {field}: add it to the resource")]
    MissingField {
        /// The resource id.
        resource: String,
        /// `address` or `database`.
        field: &'static str,
    },
    /// The resource's address is not `host:port`.
    #[error("database resource {resource} has address {address:?}, which is not HOST:PORT or HOST")]
    InvalidAddress {
        /// The resource id.
        resource: String,
        /// The address.
        address: String,
    },
    /// The admin connection URL does not parse (the URL itself is not shown:
    /// it holds the admin password).
    #[error(
        "the admin connection URL for database resource {resource} is not a valid PostgreSQL URL: {reason}"
    )]
    InvalidAdminUrl {
        /// The resource id.
        resource: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The grant id cannot be used.
    #[error("grant id {grant_id:?} cannot be used: {reason}")]
    InvalidGrantId {
        /// The grant id.
        grant_id: String,
        /// Why.
        reason: String,
    },
    /// The resource maps no database role to this access level.
    #[error(
        "access level {access} is not mapped to a database role on resource {resource}: add db_roles.{access}, or request another access level"
    )]
    AccessNotMapped {
        /// The resource id.
        resource: String,
        /// The access level.
        access: &'static str,
    },
    /// The server cannot be reached, or refused the admin's login.
    #[error(
        "cannot connect to PostgreSQL at {address} (database {database}) as the admin: {source}"
    )]
    Connect {
        /// `host:port`.
        address: String,
        /// The database.
        database: String,
        /// What went wrong.
        #[source]
        source: sqlx::Error,
    },
    /// Connecting took longer than the configured timeout.
    #[error(
        "cannot connect to PostgreSQL at {address} (database {database}): no answer within {seconds}s"
    )]
    ConnectTimeout {
        /// `host:port`.
        address: String,
        /// The database.
        database: String,
        /// The timeout.
        seconds: u64,
    },
    /// The resource's database does not exist on the server.
    #[error(
        "database {database} does not exist at {address}: create it, or fix the resource's database"
    )]
    DatabaseMissing {
        /// The database.
        database: String,
        /// `host:port`.
        address: String,
    },
    /// The admin role may not create roles.
    #[error(
        "the admin role {user} at {address} lacks CREATEROLE, so it cannot issue temporary roles: ALTER ROLE {user} CREATEROLE, or use another admin"
    )]
    AdminLacksCreateRole {
        /// The admin role.
        user: String,
        /// `host:port`.
        address: String,
    },
    /// The server refused a step for lack of privilege.
    #[error("permission denied at {address}: the admin role {user} cannot {action}: {message}")]
    PermissionDenied {
        /// The admin role.
        user: String,
        /// `host:port`.
        address: String,
        /// What it tried to do.
        action: String,
        /// The server's message.
        message: String,
    },
    /// The role the access level maps to does not exist.
    #[error(
        "role {role} does not exist in database {database} at {address}: create it, or fix db_roles"
    )]
    MappedRoleMissing {
        /// The mapped role.
        role: String,
        /// The database.
        database: String,
        /// `host:port`.
        address: String,
    },
    /// A role for this grant exists already.
    #[error(
        "a role for grant {grant_id} already exists ({role}) at {address}: revoke it before issuing again"
    )]
    AlreadyIssued {
        /// The grant.
        grant_id: String,
        /// The role.
        role: String,
        /// `host:port`.
        address: String,
    },
    /// The role named for this grant was not created by Palisade.
    #[error(
        "role {role} at {address} carries no Palisade tag for grant {grant_id}, so Palisade leaves it alone: look at it and drop it by hand if it should go"
    )]
    NotPalisadeRole {
        /// The role.
        role: String,
        /// The grant.
        grant_id: String,
        /// `host:port`.
        address: String,
    },
    /// The role for this grant was issued for another database.
    #[error(
        "role {role} was issued for database {tagged}, not {database}: revoke it through that database's resource"
    )]
    OtherDatabase {
        /// The role.
        role: String,
        /// The database its tag names.
        tagged: String,
        /// This issuer's database.
        database: String,
    },
    /// A name or text cannot be put into a statement.
    #[error("cannot quote {what} for PostgreSQL: {source}")]
    Quote {
        /// What was being quoted.
        what: &'static str,
        /// Why not.
        #[source]
        source: QuoteError,
    },
    /// The system's random number source failed.
    #[error("cannot make a password: the system's random number source failed: {0}")]
    Random(String),
    /// Another statement failed.
    #[error("PostgreSQL at {address} failed to {action}: {source}")]
    Query {
        /// `host:port`.
        address: String,
        /// What it was doing.
        action: String,
        /// What went wrong.
        #[source]
        source: sqlx::Error,
    },
}

/// Issues, revokes and sweeps temporary login roles on one database resource.
#[derive(Clone)]
pub struct PgIssuer {
    admin: PgConnectOptions,
    resource: String,
    address: String,
    database: String,
    db_roles: DbRoles,
    options: IssuerOptions,
}

impl fmt::Debug for PgIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the connect options: they hold the admin password.
        f.debug_struct("PgIssuer")
            .field("resource", &self.resource)
            .field("address", &self.address)
            .field("database", &self.database)
            .field("admin", &self.admin.get_username())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl PgIssuer {
    /// An issuer for `resource` (a `database` resource with an address and a
    /// database), connecting as the admin in `admin_url` (its host, port and
    /// database are replaced by the resource's).
    pub fn new(admin_url: &str, resource: &Resource) -> Result<Self, PgError> {
        Self::with_options(admin_url, resource, IssuerOptions::default())
    }

    /// [`PgIssuer::new`] with settings.
    pub fn with_options(
        admin_url: &str,
        resource: &Resource,
        options: IssuerOptions,
    ) -> Result<Self, PgError> {
        let id = resource.id.clone();
        if resource.kind != ResourceKind::Database {
            return Err(PgError::NotADatabase { resource: id });
        }
        let address = resource
            .address
            .clone()
            .ok_or_else(|| PgError::MissingField {
                resource: id.clone(),
                field: "address",
            })?;
        let database = resource
            .database
            .clone()
            .ok_or_else(|| PgError::MissingField {
                resource: id.clone(),
                field: "database",
            })?;
        let (host, port) = split_address(&address).ok_or_else(|| PgError::InvalidAddress {
            resource: id.clone(),
            address: address.clone(),
        })?;
        let admin = PgConnectOptions::from_str(admin_url)
            .map_err(|e| PgError::InvalidAdminUrl {
                resource: id.clone(),
                reason: e.to_string(),
            })?
            .host(host)
            .port(port)
            .database(&database)
            .application_name("palisade")
            .disable_statement_logging();
        Ok(PgIssuer {
            admin,
            resource: id,
            address,
            database,
            db_roles: resource.db_roles.clone().unwrap_or_default(),
            options,
        })
    }

    /// The database role `access` maps to on this resource.
    pub fn db_role(&self, access: Access) -> Result<&str, PgError> {
        self.db_roles
            .get(access)
            .ok_or_else(|| PgError::AccessNotMapped {
                resource: self.resource.clone(),
                access: access.key(),
            })
    }

    /// Creates the temporary login role for `grant_id`, held by `person`,
    /// member of the role `access` maps to, that PostgreSQL refuses after
    /// `valid_until`; returns the credential.
    ///
    /// The role, its tag and its membership are created in one transaction:
    /// either all exist or none does.
    pub async fn issue(
        &self,
        grant_id: &str,
        person: &str,
        access: Access,
        valid_until: Timestamp,
    ) -> Result<PgCredential, PgError> {
        if grant_id.is_empty() {
            return Err(PgError::InvalidGrantId {
                grant_id: grant_id.to_owned(),
                reason: "it is empty".to_owned(),
            });
        }
        let db_role = self.db_role(access)?.to_owned();
        let role = role_name(grant_id);
        let tag = RoleTag {
            grant: grant_id.to_owned(),
            person: person.to_owned(),
            database: self.database.clone(),
            db_role: db_role.clone(),
            access: access.key().to_owned(),
            until: valid_until.to_string(),
        };
        let q_role = quote("the role name", quote_ident(&role))?;
        let q_db_role = quote("the mapped role name", quote_ident(&db_role))?;
        let q_database = quote("the database name", quote_ident(&self.database))?;
        let q_until = quote("the expiry", quote_literal(&tag.until))?;
        let q_comment = quote("the role tag", quote_literal(&tag.to_comment()))?;

        let mut conn = self.connect().await?;
        let user = self.admin_privileges(&mut conn).await?;
        if !self.role_exists(&mut conn, &db_role).await? {
            return Err(self.mapped_role_missing(&db_role));
        }
        if self.role_exists(&mut conn, &role).await? {
            return Err(PgError::AlreadyIssued {
                grant_id: grant_id.to_owned(),
                role,
                address: self.address.clone(),
            });
        }

        let password = scram::random_password().map_err(|e| PgError::Random(e.to_string()))?;
        let verifier =
            scram::random_verifier(&password).map_err(|e| PgError::Random(e.to_string()))?;
        let q_verifier = quote("the password verifier", quote_literal(&verifier))?;

        let mut statements = vec![
            (
                format!("create role {role}"),
                format!(
                    "CREATE ROLE {q_role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE \
                     NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT {} \
                     PASSWORD {q_verifier} VALID UNTIL {q_until}",
                    self.options.connection_limit
                ),
            ),
            (
                format!("tag role {role}"),
                format!("COMMENT ON ROLE {q_role} IS {q_comment}"),
            ),
            (
                format!("grant role {db_role} to {role}"),
                format!("GRANT {q_db_role} TO {q_role}"),
            ),
        ];
        if self.options.grant_connect {
            statements.push((
                format!("grant connect on database {} to {role}", self.database),
                format!("GRANT CONNECT ON DATABASE {q_database} TO {q_role}"),
            ));
        }
        let mut tx = conn
            .begin()
            .await
            .map_err(|e| self.query_error("begin a transaction", e))?;
        for (action, statement) in statements {
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
            {
                return Err(match sql_state(&e).as_deref() {
                    Some("42710") => PgError::AlreadyIssued {
                        grant_id: grant_id.to_owned(),
                        role,
                        address: self.address.clone(),
                    },
                    Some("42704") => self.mapped_role_missing(&db_role),
                    _ => self.classify(&user, &action, e),
                });
            }
        }
        tx.commit()
            .await
            .map_err(|e| self.classify(&user, &format!("create role {role}"), e))?;
        let _ = conn.close().await;

        Ok(PgCredential {
            grant_id: grant_id.to_owned(),
            connection_string: format!(
                "postgres://{role}@{}/{}",
                self.address,
                percent_encode(&self.database)
            ),
            role,
            password: Password(password),
            db_role,
            valid_until,
        })
    }

    /// Revokes the credential of `grant_id`: the role can no longer log in,
    /// loses its membership, its open sessions are terminated, and it is
    /// dropped (objects it owns pass to the role it was a member of).
    /// Revoking a role that is already gone succeeds and says so.
    pub async fn revoke(&self, grant_id: &str) -> Result<Revocation, PgError> {
        let role = role_name(grant_id);
        let mut conn = self.connect().await?;
        let user = current_user(&mut conn, self).await?;
        let Some(found) = self.find_role(&mut conn, &role).await? else {
            let _ = conn.close().await;
            return Ok(Revocation {
                role,
                outcome: RevokeOutcome::AlreadyGone,
                sessions_terminated: 0,
            });
        };
        let tag = found
            .comment
            .as_deref()
            .and_then(RoleTag::from_comment)
            .filter(|tag| tag.grant == grant_id)
            .ok_or_else(|| PgError::NotPalisadeRole {
                role: role.clone(),
                grant_id: grant_id.to_owned(),
                address: self.address.clone(),
            })?;
        if tag.database != self.database {
            return Err(PgError::OtherDatabase {
                role,
                tagged: tag.database,
                database: self.database.clone(),
            });
        }
        let sessions_terminated = self.drop_role(&mut conn, &user, &role, &tag).await?;
        let _ = conn.close().await;
        Ok(Revocation {
            role,
            outcome: RevokeOutcome::Dropped,
            sessions_terminated,
        })
    }

    /// Moves the end of `grant_id`'s credential to `valid_until` (an
    /// extension), keeping its password.
    pub async fn extend(&self, grant_id: &str, valid_until: Timestamp) -> Result<(), PgError> {
        let role = role_name(grant_id);
        let mut conn = self.connect().await?;
        let user = current_user(&mut conn, self).await?;
        let found = self.find_role(&mut conn, &role).await?;
        let tag = found
            .and_then(|found| found.comment)
            .as_deref()
            .and_then(RoleTag::from_comment)
            .filter(|tag| tag.grant == grant_id && tag.database == self.database)
            .ok_or_else(|| PgError::NotPalisadeRole {
                role: role.clone(),
                grant_id: grant_id.to_owned(),
                address: self.address.clone(),
            })?;
        let tag = RoleTag {
            until: valid_until.to_string(),
            ..tag
        };
        let q_role = quote("the role name", quote_ident(&role))?;
        let q_until = quote("the expiry", quote_literal(&tag.until))?;
        let q_comment = quote("the role tag", quote_literal(&tag.to_comment()))?;
        let action = format!("extend role {role}");
        let mut tx = conn
            .begin()
            .await
            .map_err(|e| self.query_error("begin a transaction", e))?;
        for statement in [
            format!("ALTER ROLE {q_role} VALID UNTIL {q_until}"),
            format!("COMMENT ON ROLE {q_role} IS {q_comment}"),
        ] {
            sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.classify(&user, &action, e))?;
        }
        tx.commit()
            .await
            .map_err(|e| self.classify(&user, &action, e))?;
        let _ = conn.close().await;
        Ok(())
    }

    /// Reconciles the server with what Palisade knows: every role tagged for
    /// this database whose grant is not in `known_grants`, is not
    /// [`GrantState::Active`], or whose `VALID UNTIL` is at or before `now`,
    /// is dropped. Roles named like Palisade's without its tag, and every
    /// other role, are left alone.
    ///
    /// Pass every grant Palisade knows for this resource (at least every
    /// active one): a role whose grant is missing is taken for an orphan.
    /// A role that cannot be dropped is reported in
    /// [`SweepReport::failed`]; the sweep goes on with the others.
    pub async fn sweep(
        &self,
        known_grants: &[(&str, GrantState)],
        now: Timestamp,
    ) -> Result<SweepReport, PgError> {
        let known: HashMap<String, GrantState> = known_grants
            .iter()
            .map(|(id, state)| (role_name(id), *state))
            .collect();
        let mut conn = self.connect().await?;
        let user = current_user(&mut conn, self).await?;
        let rows = sqlx::query(
            "SELECT rolname::text, shobj_description(oid, 'pg_authid'), \
                    CASE WHEN isfinite(rolvaliduntil) \
                         THEN floor(extract(epoch FROM rolvaliduntil) * 1000000)::int8 END \
             FROM pg_roles WHERE starts_with(rolname::text, $1) ORDER BY rolname",
        )
        .bind(ROLE_PREFIX)
        .fetch_all(&mut conn)
        .await
        .map_err(|e| self.query_error("list roles", e))?;

        let mut report = SweepReport::default();
        for row in rows {
            let role: String = row.get(0);
            let comment: Option<String> = row.get(1);
            let until_micros: Option<i64> = row.get(2);
            let Some(tag) = comment
                .as_deref()
                .and_then(RoleTag::from_comment)
                .filter(|tag| role_name(&tag.grant) == role)
            else {
                report.untagged.push(role);
                continue;
            };
            if tag.database != self.database {
                continue;
            }
            let expired = until_micros
                .and_then(|micros| Timestamp::from_microsecond(micros).ok())
                .is_some_and(|until| until <= now);
            let reason = match known.get(&role) {
                _ if expired => Some(SweepReason::Expired),
                None => Some(SweepReason::Orphan),
                Some(GrantState::Active) => None,
                Some(state) => Some(SweepReason::GrantNotActive(*state)),
            };
            let Some(reason) = reason else {
                report.kept.push(role);
                continue;
            };
            match self.drop_role(&mut conn, &user, &role, &tag).await {
                Ok(sessions_terminated) => report.dropped.push(SweptRole {
                    role,
                    grant_id: tag.grant,
                    reason,
                    sessions_terminated,
                }),
                Err(e) => report.failed.push((role, e.to_string())),
            }
        }
        let _ = conn.close().await;
        Ok(report)
    }

    /// Connects as the admin to the resource's database.
    async fn connect(&self) -> Result<PgConnection, PgError> {
        let connecting = PgConnection::connect_with(&self.admin);
        match tokio::time::timeout(self.options.connect_timeout, connecting).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(match sql_state(&e).as_deref() {
                Some("3D000") => PgError::DatabaseMissing {
                    database: self.database.clone(),
                    address: self.address.clone(),
                },
                Some("42501") => PgError::PermissionDenied {
                    user: self.admin.get_username().to_owned(),
                    address: self.address.clone(),
                    action: format!("connect to database {}", self.database),
                    message: server_message(&e),
                },
                _ => PgError::Connect {
                    address: self.address.clone(),
                    database: self.database.clone(),
                    source: e,
                },
            }),
            Err(_) => Err(PgError::ConnectTimeout {
                address: self.address.clone(),
                database: self.database.clone(),
                seconds: self.options.connect_timeout.as_secs(),
            }),
        }
    }

    /// The admin's name, once it is known to be allowed to create roles.
    async fn admin_privileges(&self, conn: &mut PgConnection) -> Result<String, PgError> {
        let row = sqlx::query(
            "SELECT current_user::text, rolsuper OR rolcreaterole \
             FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| self.query_error("read the admin's privileges", e))?;
        let user: String = row.get(0);
        let may_create: bool = row.get(1);
        if may_create {
            Ok(user)
        } else {
            Err(PgError::AdminLacksCreateRole {
                user,
                address: self.address.clone(),
            })
        }
    }

    async fn role_exists(&self, conn: &mut PgConnection, role: &str) -> Result<bool, PgError> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| self.query_error("look up a role", e))
    }

    async fn find_role(
        &self,
        conn: &mut PgConnection,
        role: &str,
    ) -> Result<Option<FoundRole>, PgError> {
        let row = sqlx::query(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1",
        )
        .bind(role)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| self.query_error("look up a role", e))?;
        Ok(row.map(|row| FoundRole {
            comment: row.get(0),
        }))
    }

    /// Shuts `role` out and drops it; returns how many sessions were ended.
    ///
    /// In order: no more logins and no more privileges (committed, so they
    /// hold even if what follows fails), its sessions terminated, then in one
    /// transaction its objects handed to the role it was a member of (or the
    /// admin when that is gone), its privileges dropped, and the role dropped.
    /// Objects are never dropped: if they cannot be handed over, the role
    /// stays, locked out.
    async fn drop_role(
        &self,
        conn: &mut PgConnection,
        user: &str,
        role: &str,
        tag: &RoleTag,
    ) -> Result<u64, PgError> {
        let q_role = quote("the role name", quote_ident(role))?;
        let action = format!("drop role {role}");
        // Sessions are found by the role's oid: once it is dropped, its
        // sessions no longer show its name.
        let Some(oid) =
            sqlx::query_scalar::<_, i64>("SELECT oid::int8 FROM pg_roles WHERE rolname = $1")
                .bind(role)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| self.query_error("look up a role", e))?
        else {
            return Ok(0);
        };

        let memberships: Vec<String> = sqlx::query_scalar(
            "SELECT g.rolname::text FROM pg_auth_members m \
             JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member \
             WHERE r.rolname = $1",
        )
        .bind(role)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| self.query_error("list a role's memberships", e))?;
        let mut lock_out = vec![format!("ALTER ROLE {q_role} NOLOGIN")];
        for group in &memberships {
            let q_group = quote("a role name", quote_ident(group))?;
            lock_out.push(format!("REVOKE {q_group} FROM {q_role}"));
        }
        let mut tx = conn
            .begin()
            .await
            .map_err(|e| self.query_error("begin a transaction", e))?;
        for statement in lock_out {
            sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
                .map_err(|e| self.classify(user, &action, e))?;
        }
        tx.commit()
            .await
            .map_err(|e| self.classify(user, &action, e))?;

        let mut terminated = self.terminate_sessions(conn, user, role, oid).await?;

        let heir = if self.role_exists(conn, &tag.db_role).await? {
            quote("the mapped role name", quote_ident(&tag.db_role))?
        } else {
            "CURRENT_USER".to_owned()
        };
        let mut tx = conn
            .begin()
            .await
            .map_err(|e| self.query_error("begin a transaction", e))?;
        for statement in [
            format!("REASSIGN OWNED BY {q_role} TO {heir}"),
            format!("DROP OWNED BY {q_role}"),
            format!("DROP ROLE {q_role}"),
        ] {
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
            {
                // Dropped meanwhile (a concurrent revoke or sweep): done.
                if sql_state(&e).as_deref() == Some("42704") {
                    return Ok(terminated);
                }
                return Err(self.classify(user, &action, e));
            }
        }
        tx.commit()
            .await
            .map_err(|e| self.classify(user, &action, e))?;
        // A session that slipped in while the role was being locked out.
        terminated += self.terminate_sessions(conn, user, role, oid).await?;
        Ok(terminated)
    }

    /// Terminates every session of `role`, waiting for each to end.
    async fn terminate_sessions(
        &self,
        conn: &mut PgConnection,
        user: &str,
        role: &str,
        oid: i64,
    ) -> Result<u64, PgError> {
        let wait_ms = i64::try_from(self.options.terminate_wait.as_millis()).unwrap_or(i64::MAX);
        sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, $2)) \
             FROM pg_stat_activity WHERE usesysid::int8 = $1 AND pid <> pg_backend_pid()",
        )
        .bind(oid)
        .bind(wait_ms)
        .fetch_one(&mut *conn)
        .await
        .map(|n: i64| u64::try_from(n).unwrap_or(0))
        .map_err(|e| self.classify(user, &format!("terminate the sessions of {role}"), e))
    }

    fn mapped_role_missing(&self, role: &str) -> PgError {
        PgError::MappedRoleMissing {
            role: role.to_owned(),
            database: self.database.clone(),
            address: self.address.clone(),
        }
    }

    fn query_error(&self, action: &str, source: sqlx::Error) -> PgError {
        PgError::Query {
            address: self.address.clone(),
            action: action.to_owned(),
            source,
        }
    }

    /// A permission error as [`PgError::PermissionDenied`], anything else as
    /// [`PgError::Query`].
    fn classify(&self, user: &str, action: &str, source: sqlx::Error) -> PgError {
        if sql_state(&source).as_deref() == Some("42501") {
            PgError::PermissionDenied {
                user: user.to_owned(),
                address: self.address.clone(),
                action: action.to_owned(),
                message: server_message(&source),
            }
        } else {
            self.query_error(action, source)
        }
    }
}

struct FoundRole {
    comment: Option<String>,
}

async fn current_user(conn: &mut PgConnection, issuer: &PgIssuer) -> Result<String, PgError> {
    sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| issuer.query_error("read the admin's name", e))
}

fn quote(what: &'static str, quoted: Result<String, QuoteError>) -> Result<String, PgError> {
    quoted.map_err(|source| PgError::Quote { what, source })
}

/// The SQLSTATE of a server error.
fn sql_state(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|db| db.code())
        .map(|code| code.into_owned())
}

fn server_message(e: &sqlx::Error) -> String {
    e.as_database_error()
        .map_or_else(|| e.to_string(), |db| db.message().to_owned())
}

/// `host:port`, `[v6]:port` or `host` (port 5432).
fn split_address(address: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, rest) = rest.split_once(']')?;
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match address.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return None,
            None => (address, None),
        }
    };
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return None;
    }
    let port = match port {
        Some(port) => port.parse().ok().filter(|&p: &u16| p != 0)?,
        None => 5432,
    };
    Some((host, port))
}

/// Percent-encodes everything but unreserved URL characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_plain_identifiers_distinct_per_grant() {
        let a = role_name("g-01HZX3");
        assert!(a.starts_with("palisade_g_g01hzx3_"), "{a}");
        assert_ne!(role_name("a-b"), role_name("ab"));
        assert_eq!(role_name("a-b"), role_name("a-b"));
        let hostile = role_name("x\"; DROP ROLE postgres; --'\\");
        assert!(hostile.len() <= sql::MAX_IDENT_BYTES);
        assert!(
            hostile
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{hostile}"
        );
        let long = role_name(&"Z".repeat(500));
        assert!(long.len() <= sql::MAX_IDENT_BYTES);
        assert!(role_name("---").starts_with("palisade_g_"));
    }

    #[test]
    fn tags_round_trip_through_comments() {
        let tag = RoleTag {
            grant: "g'\"\\1".to_owned(),
            person: "ana".to_owned(),
            database: "payments".to_owned(),
            db_role: "payments_readonly".to_owned(),
            access: "read".to_owned(),
            until: "2026-12-07T10:00:00Z".to_owned(),
        };
        let comment = tag.to_comment();
        assert!(comment.starts_with(TAG_PREFIX));
        assert_eq!(RoleTag::from_comment(&comment), Some(tag));
        assert_eq!(RoleTag::from_comment("palisade grant nonsense"), None);
        assert_eq!(RoleTag::from_comment("someone else's role"), None);
    }

    #[test]
    fn addresses_split_into_host_and_port() {
        assert_eq!(
            split_address("db.internal:6432"),
            Some(("db.internal", 6432))
        );
        assert_eq!(split_address("db.internal"), Some(("db.internal", 5432)));
        assert_eq!(split_address("[::1]:5433"), Some(("::1", 5433)));
        assert_eq!(split_address("[::1]"), Some(("::1", 5432)));
        assert_eq!(split_address("::1"), None);
        assert_eq!(split_address("db:0"), None);
        assert_eq!(split_address("db:port"), None);
        assert_eq!(split_address(":5432"), None);
        assert_eq!(split_address("user@db:5432"), None);
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let password = Password("hunter2-secret".to_owned());
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        let credential = PgCredential {
            grant_id: "g1".to_owned(),
            role: role_name("g1"),
            password,
            connection_string: "postgres://r@h:1/d".to_owned(),
            db_role: "ro".to_owned(),
            valid_until: Timestamp::UNIX_EPOCH,
        };
        assert!(!format!("{credential:?}").contains("hunter2"));
    }

    #[test]
    fn database_names_are_percent_encoded_in_connection_strings() {
        assert_eq!(percent_encode("payments"), "payments");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
    }
}

#[cfg(test)]
mod pgpass_tests {
    use super::*;

    #[test]
    fn a_pgpass_line_escapes_what_libpq_would_split_on() {
        let c = PgCredential {
            grant_id: "req-1".to_owned(),
            role: "palisade_g_req1".to_owned(),
            password: Password("pa:ss\\word".to_owned()),
            connection_string: "postgres://palisade_g_req1@db.example:5432/payments".to_owned(),
            db_role: "payments_readonly".to_owned(),
            valid_until: Timestamp::UNIX_EPOCH,
        };
        assert_eq!(
            c.pgpass_line().as_str(),
            "db.example:5432:payments:palisade_g_req1:pa\\:ss\\\\word\n"
        );
    }
}
