//! The one shape every source is read into.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// GitHub's organisation or enterprise audit log.
    Github,
    /// GitLab's audit events.
    Gitlab,
    /// OpenSSH's auth log, as syslog lines.
    Sshd,
    /// OpenSSH's auth log, as `journalctl -o json`.
    Journald,
    /// Palisade's own ledger.
    Ledger,
    /// Generic NDJSON with a field mapping from the model.
    Ndjson,
}

/// How an actor was named in the raw record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A GitHub login.
    GithubLogin,
    /// A GitLab username.
    GitlabUsername,
    /// An e-mail address.
    Email,
    /// A login name on a host (an SSH principal, or the user sshd names).
    SshUser,
    /// An SSH certificate's key id (Palisade puts the grant id there).
    CertificateKeyId,
    /// A Palisade handle.
    Handle,
}

/// Who acted, as the record names them and as the model knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The name in the record.
    pub name: String,
    /// What kind of name it is.
    pub kind: ActorKind,
    /// The person of the model it resolves to (their handle), if any.
    pub person: Option<String>,
}

/// What was done, normalised across sources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "detail")]
pub enum Action {
    /// A repository cloned.
    GitClone,
    /// A repository fetched (pulled).
    GitFetch,
    /// Commits pushed.
    GitPush,
    /// A repository downloaded as an archive (zip, tarball).
    ArchiveDownload,
    /// A login (`method`: `publickey`, `password`, `certificate`, …).
    Login {
        /// How they authenticated.
        method: String,
    },
    /// A login attempt that failed.
    LoginFailed {
        /// How they tried.
        method: String,
    },
    /// A session opened.
    SessionOpen,
    /// A session closed.
    SessionClose,
    /// A change that weakens security (branch protection removed or
    /// loosened, audit-log streaming changed, visibility made public, a
    /// transfer, an outside collaborator, a token or deploy key created),
    /// named as the source names it. Changes that strengthen security are
    /// [`Action::Other`].
    SecurityChange {
        /// The source's action name, e.g. `protected_branch.destroy`.
        what: String,
        /// What it weakened, in words read from the record:
        /// `required approving reviews lowered from 2 to 0 on branch main`.
        change: String,
    },
    /// Anything else, named as the source names it.
    Other {
        /// The source's action name.
        what: String,
    },
}

/// What was acted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Resource {
    /// A repository, `owner/name` (GitHub) or its full path (GitLab).
    Repository(String),
    /// A host, as the log names it.
    Host(String),
    /// A database.
    Database(String),
    /// An organisation, group or enterprise.
    Organisation(String),
}

/// Whether it worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It did.
    Success,
    /// It was refused or failed.
    Failure,
    /// The record does not say.
    Unknown,
}

/// Where the raw record is, to show it as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRef {
    /// The source.
    pub source: Source,
    /// The file (or `-` for standard input).
    pub file: String,
    /// The 1-based line number.
    pub line: u64,
    /// The record's own id, when it has one (GitHub's `_document_id`, GitLab's `id`).
    pub id: Option<String>,
}

/// One normalised event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When, in UTC.
    #[serde(serialize_with = "rfc3339", deserialize_with = "parse_rfc3339")]
    pub time: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: Action,
    /// On what.
    pub resource: Option<Resource>,
    /// From where.
    pub source_address: Option<IpAddr>,
    /// Whether it worked.
    pub outcome: Outcome,
    /// The grant it was done under, when the record names one (an SSH
    /// certificate's key id).
    pub grant: Option<String>,
    /// The certificate serial, for certificate logins.
    pub serial: Option<u64>,
    /// Whether the raw record held bytes that are not UTF-8, read as U+FFFD:
    /// the names here may differ from the log's in those bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lossy: bool,
    /// Where the raw record is.
    pub raw: RawRef,
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn parse_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let text = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}
