//! GitLab's audit events, in the shapes GitLab writes them: the REST API
//! (`GET /audit_events`, `/groups/:id/audit_events`,
//! `/projects/:id/audit_events`; a JSON array per page), audit event
//! streaming (one JSON object per event, collected as NDJSON), and the
//! instance's `audit_json.log` (NDJSON). [`read`] streams any of them with
//! the same reader as GitHub's log ([`super::github::JsonRecords`]).
//!
//! # Fields read
//!
//! | field | becomes |
//! | --- | --- |
//! | `created_at`, else `time` | [`Event::time`] (RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff][ UTC]` taken as UTC) |
//! | `meta.user`, `author_username` or `details.author_username` | [`Actor::name`], kind [`ActorKind::GitlabUsername`] |
//! | else `details.author_email` or `author_email` | [`Actor::name`], kind [`ActorKind::Email`] |
//! | else `details.author_name` or `author_name` | [`Actor::name`], kind [`ActorKind::GitlabUsername`] (see below) |
//! | `event_name` (API), else `event_type` (streaming) | the action's name, see below |
//! | `details.custom_message`, `change`, `add`, `remove` (top level or in `details`) | the action, for records without a name |
//! | `change`, `from`, `to` (top level or in `details`) | whether a change of a setting weakens security, and the words for it |
//! | `target_details` of a `ProtectedBranch` or approval rule target | the branch or rule named in those words |
//! | `entity_type` with `entity_path` or `details.entity_path` | [`Resource::Repository`] for a `Project`, [`Resource::Organisation`] for a `Group` |
//! | else `target_type` `Project` with `target_details` | [`Resource::Repository`] (as `audit_json.log` names projects) |
//! | `ip_address`, `details.ip_address` or `meta.remote_ip` | [`Event::source_address`] |
//! | `id` | [`RawRef::id`] |
//! | `author_id` | `-1` is GitLab's unauthenticated user: skipped |
//!
//! `details` may also be a string holding the JSON object, as some log
//! shippers write it. GitLab's API and streamed events name a user only by
//! their display name (`author_name`) unless an e-mail is present; that name
//! is then taken as the username, so the identities index must list it, or the
//! actor is reported as unknown. Deploy keys and deploy tokens act under their
//! own names (`author_class` `DeployKey`, `DeployToken`).
//!
//! # Actions
//!
//! - `repository_git_operation` reads `details.custom_message`: its `verb`
//!   (`clone`, `pull`, `push`; GitLab 16.2 and later) or else its `action`
//!   (`git-upload-pack`, which cannot tell a clone from a fetch and is read
//!   as [`Action::GitFetch`] as GitLab's examples call it; `git-receive-pack`
//!   [`Action::GitPush`]; `git-upload-archive` [`Action::ArchiveDownload`]).
//!   The UI's download button ("Repository Download Started") and
//!   `repository_download_operation` are [`Action::ArchiveDownload`].
//! - Changes that weaken security ([`Action::SecurityChange`], with what
//!   they weakened), by [`security::weakening`]: branch protection removed
//!   or loosened (force push allowed, code owner approval dropped, push or
//!   merge opened to a lower role or to someone new: `change`, `from`, `to`
//!   in the details), fewer required approvals or an approval rule deleted,
//!   a project or group made public (or internal from private, or from a
//!   level the event does not give), a member
//!   added (`member_created`, `project_group_link_create`, or `add`
//!   `user_access`), an access token created
//!   (`personal_access_token_created`, `project_access_token_created`,
//!   `group_access_token_created`, or a message "Created … access token"),
//!   a deploy key added (`deploy_key_added`, or "Added deploy key"), audit
//!   event streaming changed (`audit_events_streaming_*`, names with
//!   `audit_event_destination` or `event_streaming_destination`,
//!   `amazon_s3_configuration_*`, `google_cloud_logging_configuration_*`).
//!   The same settings changed the other way (force push forbidden, more
//!   approvals, made private) and `protected_branch_created` are
//!   [`Action::Other`].
//! - A record of `audit_json.log` with no name but `with` (`standard`,
//!   `two-factor`, `saml`, …) is a sign-in: [`Action::Login`] with that method.
//! - Everything else is [`Action::Other`], named by `event_name`/`event_type`,
//!   else by the custom message, else as `change visibility`, `add
//!   user_access`, `remove …`.
//!
//! Names containing `failed` are [`Outcome::Failure`]; the rest succeeded.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use super::github::{Events, Scalar, address, missing, not_string, object, timestamp};
use super::{Parser, Problem, utf8};
use crate::event::{Action, Actor, ActorKind, Event, Outcome, RawRef, Resource, Source};

/// The `change`, `add` and `remove` details older audit events use instead
/// of a name, and the `from` and `to` of a changed setting
/// (`"change": "visibility", "from": "Private", "to": "Public"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change<'a> {
    /// What changed.
    pub change: Option<&'a str>,
    /// What was added.
    pub add: Option<&'a str>,
    /// What was removed.
    pub remove: Option<&'a str>,
    /// The value before.
    pub from: Option<&'a serde_json::Value>,
    /// The value after.
    pub to: Option<&'a serde_json::Value>,
}

/// Reads GitLab audit events.
#[derive(Debug, Default, Clone)]
pub struct GitlabParser;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    id: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    created_at: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    time: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    author_id: Option<Scalar<'a>>,
    #[serde(rename = "meta.user", borrow, default)]
    meta_user: Option<Scalar<'a>>,
    #[serde(rename = "meta.remote_ip", borrow, default)]
    meta_remote_ip: Option<Scalar<'a>>,
    #[serde(flatten, borrow)]
    common: Common<'a>,
    #[serde(borrow, default)]
    event_name: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    event_type: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    entity_type: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    details: Option<DetailsField<'a>>,
    /// How a sign-in authenticated (`audit_json.log`): `standard`, `two-factor`, …
    #[serde(borrow, default)]
    with: Option<Scalar<'a>>,
}

/// Fields found both at the top level and in `details`.
#[derive(Deserialize, Default)]
struct Common<'a> {
    #[serde(borrow, default)]
    author_username: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    author_email: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    author_name: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    entity_path: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    ip_address: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    custom_message: Option<Message<'a>>,
    #[serde(borrow, default)]
    change: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    add: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    remove: Option<Scalar<'a>>,
    #[serde(default)]
    from: Option<serde_json::Value>,
    #[serde(default)]
    to: Option<serde_json::Value>,
    #[serde(borrow, default)]
    target_type: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    target_details: Option<Scalar<'a>>,
}

/// `details`: an object, or a string holding one.
enum DetailsField<'a> {
    Object(Box<Common<'a>>),
    Text(Cow<'a, str>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for DetailsField<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = DetailsField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object or a string")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                Common::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(|c| DetailsField::Object(Box::new(c)))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(DetailsField::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DetailsField::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(DetailsField::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(DetailsField::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(DetailsField::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(DetailsField::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(DetailsField::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(DetailsField::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `custom_message`: text, or (for git operations) an object.
#[derive(Default)]
struct Message<'a> {
    text: Option<Cow<'a, str>>,
    action: Option<Cow<'a, str>>,
    verb: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Message<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Message<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a message")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Message::default();
                while let Some(key) = m.next_key::<Cow<'de, str>>()? {
                    let value: Scalar<'a> = m.next_value()?;
                    let Scalar::Str(s) = value else { continue };
                    match key.as_ref() {
                        "action" => out.action = Some(s),
                        "verb" => out.verb = Some(s),
                        _ => {}
                    }
                }
                Ok(out)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Message {
                    text: Some(Cow::Borrowed(v)),
                    ..Message::default()
                })
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Message {
                    text: Some(Cow::Owned(v.to_owned())),
                    ..Message::default()
                })
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Message::default())
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Message::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Message::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Message::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Message::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Message::default())
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl Parser for GitlabParser {
    fn parse(&mut self, record: &[u8], at: RawRef) -> Result<Event, Problem> {
        let text = utf8(record)?;
        let r: Record<'_> = object(text)?;
        // `details` as a string holds the object; it lives here while read.
        let inner;
        let details = match &r.details {
            Some(DetailsField::Object(d)) => Some(&**d),
            Some(DetailsField::Text(s)) => {
                inner = object::<Common<'_>>(s).ok();
                inner.as_ref()
            }
            Some(DetailsField::Other) | None => None,
        };
        let top = &r.common;
        let sources = [Some(top), details];
        let pick = |f: Field| first(sources, f);

        let time = match (&r.created_at, &r.time) {
            (Some(t), _) if !t.is_null() => timestamp(t, "created_at")?,
            (_, Some(t)) if !t.is_null() => timestamp(t, "time")?,
            _ => return Err(missing("created_at")),
        };
        if matches!(r.author_id, Some(Scalar::Int(-1))) {
            return Err(Problem::Skipped("an unauthenticated user's event".into()));
        }
        let username = r
            .meta_user
            .as_ref()
            .and_then(Scalar::str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or_else(|| pick(|c| &c.author_username));
        let actor = if let Some(name) = username {
            (name, ActorKind::GitlabUsername)
        } else if let Some(email) = pick(|c| &c.author_email) {
            (email, ActorKind::Email)
        } else if let Some(name) = pick(|c| &c.author_name) {
            (name, ActorKind::GitlabUsername)
        } else {
            return Err(missing("author_name"));
        };

        let name = [&r.event_name, &r.event_type]
            .into_iter()
            .flatten()
            .filter_map(Scalar::str)
            .find(|s| !s.is_empty());
        if name.is_none()
            && let Some(Some(v)) = [&r.event_name, &r.event_type]
                .into_iter()
                .find(|v| v.as_ref().is_some_and(|v| !v.is_null()))
            && v.str().is_none()
        {
            return Err(not_string("event_name"));
        }
        let message = [Some(top), details]
            .into_iter()
            .flatten()
            .find_map(|c| c.custom_message.as_ref());
        let text = message.and_then(|m| m.text.as_deref()).map(str::trim);
        // `from` and `to` belong to the `change` beside them.
        let changed = sources
            .into_iter()
            .flatten()
            .find(|c| c.change.as_ref().and_then(Scalar::str).is_some());
        let change = Change {
            change: pick(|c| &c.change),
            add: pick(|c| &c.add),
            remove: pick(|c| &c.remove),
            from: changed.and_then(|c| c.from.as_ref()),
            to: changed.and_then(|c| c.to.as_ref()),
        };
        // The branch or approval rule a change was made to, for its words.
        let target = sources.into_iter().flatten().find_map(|c| {
            let kind = match c.target_type.as_ref().and_then(Scalar::str)? {
                "ProtectedBranch" => "branch",
                "ApprovalProjectRule" | "ApprovalMergeRequestRule" => "approval rule",
                _ => return None,
            };
            let name = c.target_details.as_ref().and_then(Scalar::str)?.trim();
            (!name.is_empty()).then(|| format!("{kind} `{name}`"))
        });
        let with = r
            .with
            .as_ref()
            .and_then(Scalar::str)
            .filter(|s| !s.is_empty());
        let action = match (name, text, with) {
            (None, None, Some(method)) => Some(Action::Login {
                method: method.to_owned(),
            }),
            _ => action(name, message, change, target.as_deref()),
        };
        let action = action.ok_or(Problem::Field {
            field: "event_name",
            what: "is missing, and no custom message or change names the event".into(),
        })?;

        let path = pick(|c| &c.entity_path);
        let resource = match (r.entity_type.as_ref().and_then(Scalar::str), path) {
            (Some("Project"), Some(p)) => Some(Resource::Repository(p.to_owned())),
            (Some("Group"), Some(p)) => Some(Resource::Organisation(p.to_owned())),
            _ => match (
                top.target_type.as_ref().and_then(Scalar::str),
                top.target_details.as_ref().and_then(Scalar::str),
            ) {
                (Some("Project"), Some(p)) if p.contains('/') => {
                    Some(Resource::Repository(p.to_owned()))
                }
                _ => None,
            },
        };
        let source_address = [Some(top), details]
            .into_iter()
            .flatten()
            .find_map(|c| c.ip_address.as_ref().and_then(address))
            .or_else(|| r.meta_remote_ip.as_ref().and_then(address));
        let failed = name.or(text).is_some_and(|n| n.contains("failed"));
        Ok(Event {
            time,
            actor: Actor {
                name: actor.0.to_owned(),
                kind: actor.1,
                person: None,
            },
            action,
            resource,
            source_address,
            outcome: if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            grant: None,
            serial: None,
            lossy: false,
            raw: RawRef {
                id: r.id.as_ref().and_then(Scalar::text),
                ..at
            },
        })
    }
}

/// Picks a field of [`Common`].
type Field = for<'r, 'a> fn(&'r Common<'a>) -> &'r Option<Scalar<'a>>;

/// The first non-empty string `f` picks from the top level or the details.
fn first<'r>(sources: [Option<&'r Common<'r>>; 2], f: Field) -> Option<&'r str> {
    sources
        .into_iter()
        .flatten()
        .filter_map(|c| f(c).as_ref().and_then(Scalar::str))
        .map(str::trim)
        .find(|s| !s.is_empty())
}

/// The action of an event with `name` (`event_name` or `event_type`), its
/// custom message and change details; `None` when nothing names it.
fn action(
    name: Option<&str>,
    message: Option<&Message<'_>>,
    change: Change<'_>,
    target: Option<&str>,
) -> Option<Action> {
    let text = message.and_then(|m| m.text.as_deref()).map(str::trim);
    let git = message.filter(|m| m.verb.is_some() || m.action.is_some());
    if name.is_none_or(|n| n == "repository_git_operation")
        && let Some(m) = git
    {
        let by_verb = match m.verb.as_deref() {
            Some("clone") => Some(Action::GitClone),
            Some("pull" | "fetch") => Some(Action::GitFetch),
            Some("push") => Some(Action::GitPush),
            _ => None,
        };
        let by_command = match m.action.as_deref() {
            Some("git-upload-pack") => Some(Action::GitFetch),
            Some("git-receive-pack") => Some(Action::GitPush),
            Some("git-upload-archive") => Some(Action::ArchiveDownload),
            _ => None,
        };
        if let Some(a) = by_verb.or(by_command) {
            return Some(a);
        }
    }
    if name == Some("repository_download_operation")
        || text.is_some_and(|t| t.eq_ignore_ascii_case("Repository Download Started"))
    {
        return Some(Action::ArchiveDownload);
    }
    let what = match (name, text, change) {
        (Some(n), _, _) => n.to_owned(),
        (None, Some(t), _) if !t.is_empty() => t.to_owned(),
        (
            None,
            _,
            Change {
                change: Some(c), ..
            },
        ) => format!("change {c}"),
        (None, _, Change { add: Some(a), .. }) => format!("add {a}"),
        (
            None,
            _,
            Change {
                remove: Some(r), ..
            },
        ) => format!("remove {r}"),
        _ => return None,
    };
    Some(match security::weakening(name, text, change, target) {
        Some(change) => Action::SecurityChange { what, change },
        None => Action::Other { what },
    })
}

/// Streams GitLab audit events from `reader` (NDJSON or JSON arrays), naming
/// `file` in each event's [`RawRef`].
pub fn read<R: BufRead>(reader: R, file: &str) -> Events<R, GitlabParser> {
    Events::new(reader, file, Source::Gitlab, GitlabParser)
}

pub mod security;

#[cfg(test)]
mod tests;
