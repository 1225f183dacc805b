//! Events kept in the store, as evidence to show with an alert and as each
//! person's last activity. They are written in batches, one transaction each,
//! and never into the ledger: there are far too many, and they record what
//! others did, not a decision Palisade made (the alerts they lead to are
//! ledgered).

use palisade_store::{MonitorEventRow, Store, StoreError};

use crate::event::{Action, ActorKind, Event, Outcome, Resource, Source};

/// The name a source is stored under.
pub fn source_key(source: Source) -> &'static str {
    match source {
        Source::Github => "github",
        Source::Gitlab => "gitlab",
        Source::Sshd => "sshd",
        Source::Journald => "journald",
        Source::Ledger => "ledger",
        Source::Ndjson => "ndjson",
    }
}

fn actor_kind_key(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::GithubLogin => "github_login",
        ActorKind::GitlabUsername => "gitlab_username",
        ActorKind::Email => "email",
        ActorKind::SshUser => "ssh_user",
        ActorKind::CertificateKeyId => "certificate_key_id",
        ActorKind::Handle => "handle",
    }
}

/// The action's stored name and detail (a login's method, a source's own name).
fn action_parts(action: &Action) -> (&'static str, Option<&str>) {
    match action {
        Action::GitClone => ("git_clone", None),
        Action::GitFetch => ("git_fetch", None),
        Action::GitPush => ("git_push", None),
        Action::ArchiveDownload => ("archive_download", None),
        Action::Login { method } => ("login", Some(method)),
        Action::LoginFailed { method } => ("login_failed", Some(method)),
        Action::SessionOpen => ("session_open", None),
        Action::SessionClose => ("session_close", None),
        Action::SecurityChange { what, .. } => ("security_change", Some(what)),
        Action::Other { what } => ("other", Some(what)),
    }
}

/// A resource as `kind:name`, the form findings and alerts name it in.
pub fn resource_key(resource: &Resource) -> String {
    let (kind, name) = match resource {
        Resource::Repository(name) => ("repository", name),
        Resource::Host(name) => ("host", name),
        Resource::Database(name) => ("database", name),
        Resource::Organisation(name) => ("organisation", name),
    };
    let mut key = String::with_capacity(kind.len() + 1 + name.len());
    key.push_str(kind);
    key.push(':');
    key.push_str(name);
    key
}

fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Unknown => "unknown",
    }
}

/// The row an event is stored as. A certificate serial above `i64::MAX`
/// (OpenSSH allows any `u64`) is not stored; the raw record still has it.
pub fn event_row(event: &Event) -> MonitorEventRow {
    let (action, detail) = action_parts(&event.action);
    MonitorEventRow {
        time_us: event.time.as_microsecond(),
        source: source_key(event.raw.source).to_owned(),
        actor: event.actor.name.clone(),
        actor_kind: actor_kind_key(event.actor.kind).to_owned(),
        person: event.actor.person.clone(),
        action: action.to_owned(),
        action_detail: detail.map(str::to_owned),
        resource: event.resource.as_ref().map(resource_key),
        address: event.source_address.map(|a| a.to_string()),
        outcome: outcome_key(event.outcome).to_owned(),
        grant: event.grant.clone(),
        serial: event.serial.and_then(|s| i64::try_from(s).ok()),
        raw_file: event.raw.file.clone(),
        raw_line: i64::try_from(event.raw.line).unwrap_or(i64::MAX),
        raw_id: event.raw.id.clone(),
    }
}

/// Stores `events` in one transaction: all of them, or none on error. Callers
/// reading a large log pass batches of some thousands (a batch is held in
/// memory; see the `persist` bench for the rate).
pub async fn persist_events(store: &Store, events: &[Event]) -> Result<(), StoreError> {
    let rows: Vec<MonitorEventRow> = events.iter().map(event_row).collect();
    store.monitor_insert_events(rows).await
}
