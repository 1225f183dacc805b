//! Which GitLab audit events weaken security, and what they weakened.
//!
//! GitLab names an event (`event_name` or `event_type`) and, for a change
//! of a setting, says which in `change` with the values `from` and `to`
//! (in `details`, or at the top level of older `audit_json.log` lines):
//!
//! | `change` | weakening |
//! | --- | --- |
//! | `allow force push` (`protected_branch_allow_force_push_updated`) | `to` true |
//! | `code owner approval required` | `to` false |
//! | `allowed to push`, `allowed to merge` (`protected_branch_updated`; lists such as `["Maintainers"]`) | a lower role, or a user, group or key not allowed before |
//! | `number of required approvals` (`update_aproval_rules`, GitLab's spelling) | fewer than `from`; 0 when `from` is missing |
//! | `visibility`, `visibility level` (`project_visibility_level_updated`, `group_visibility_level_updated`; names or GitLab's numbers 0, 10, 20) | `Public`; `Internal` from `Private`, or when `from` is missing; a level not known here |
//!
//! The same change the other way (force push forbidden, visibility made
//! private, more approvals) is not a security change, nor are
//! `protected_branch_created` and `approval_rule_created`. Removing a
//! protected branch (`protected_branch_removed`, an `unprotect` name, a
//! message "Unprotected …", `remove` `protected_branch`) or an approval rule
//! (`approval_rule_deleted`) always is, as are members and group links
//! added, access tokens and deploy keys created, and audit event streaming
//! changed. A branch-protection, approval-rule or visibility event that does
//! not say what changed is reported as such: it cannot be shown harmless.

use serde_json::Value;

use super::Change;
use crate::parse::github::security::number;

/// Event names that are security changes whatever their details.
pub const ALWAYS: &[(&str, &str)] = &[
    ("member_created", "a member added"),
    ("project_group_link_create", "a group given access"),
    (
        "personal_access_token_created",
        "a personal access token created",
    ),
    (
        "project_access_token_created",
        "a project access token created",
    ),
    ("group_access_token_created", "a group access token created"),
    ("deploy_key_added", "a deploy key added"),
    ("protected_branch_removed", "branch protection removed"),
    (
        "approval_rule_deleted",
        "a merge request approval rule deleted",
    ),
];

/// Prefixes of event names about audit event streaming.
pub const STREAMING: &[&str] = &[
    "audit_events_streaming_",
    "amazon_s3_configuration_",
    "google_cloud_logging_configuration_",
];

/// What an event with `name`, custom message `message` and `change`
/// details weakened, in words (naming `target`, the branch or rule it
/// changed, as `branch `main``, when known); `None` when it weakens nothing.
pub fn weakening(
    name: Option<&str>,
    message: Option<&str>,
    change: Change<'_>,
    target: Option<&str>,
) -> Option<String> {
    let on = |words: String| match target {
        Some(t) => format!("{words} on {t}"),
        None => words,
    };
    if let Some(judged) = judged_change(change) {
        return judged.map(on);
    }
    if let Some(name) = name {
        if matches!(name, "protected_branch_created" | "approval_rule_created") {
            return None;
        }
        if let Some((_, words)) = ALWAYS.iter().find(|(n, _)| *n == name) {
            return Some(on((*words).to_owned()));
        }
        if name.contains("unprotect") {
            return Some(on("branch protection removed".into()));
        }
        if STREAMING.iter().any(|p| name.starts_with(p))
            || name.contains("audit_event_destination")
            || name.contains("event_streaming_destination")
        {
            return Some(format!("audit event streaming changed (`{name}`)"));
        }
        if name.starts_with("protected_branch_") {
            return Some(on(
                "branch protection changed; the event does not say how".to_owned()
            ));
        }
        if matches!(name, "update_aproval_rules" | "update_approval_rules")
            && change.change.is_none()
        {
            return Some(on(
                "a merge request approval rule changed; the event does not say how".into(),
            ));
        }
        if matches!(
            name,
            "project_visibility_level_updated" | "group_visibility_level_updated"
        ) {
            return Some("visibility changed; the event does not say to what".into());
        }
    }
    if let Some(message) = message {
        let m = message.to_ascii_lowercase();
        if m.starts_with("unprotected") {
            return Some(on("branch protection removed".into()));
        }
        if m.starts_with("created") && m.contains("access token") {
            return Some(format!("an access token created ({message})"));
        }
        if m.starts_with("added deploy key") {
            return Some("a deploy key added".into());
        }
    }
    match change {
        Change {
            add: Some("user_access"),
            ..
        } => Some("a member added".into()),
        Change {
            add: Some("deploy_key"),
            ..
        } => Some("a deploy key added".into()),
        Change {
            remove: Some("protected_branch"),
            ..
        } => Some(on("branch protection removed".into())),
        _ => None,
    }
}

/// A change of a setting GitLab reports with `from` and `to`: `Some` with
/// the words of a weakening or `None` for one that is not; `None` (outer)
/// when `change` names no setting judged here.
fn judged_change(c: Change<'_>) -> Option<Option<String>> {
    let what = c.change?.trim().to_ascii_lowercase();
    let (from, to) = (c.from, c.to);
    Some(match what.as_str() {
        "allow force push" => match to.and_then(flag) {
            Some(true) => Some("force pushes allowed".into()),
            Some(false) => None,
            None => Some("force push setting changed; the event does not say to what".into()),
        },
        "code owner approval required" => match to.and_then(flag) {
            Some(false) => Some("code owner approval no longer required".into()),
            Some(true) => None,
            None => {
                Some("code owner approval setting changed; the event does not say to what".into())
            }
        },
        "allowed to push" | "allowed to merge" => {
            let verb = what.trim_start_matches("allowed to ");
            match (from, to) {
                (Some(from), Some(to)) if widens(from, to) => Some(format!(
                    "who may {verb} widened from {} to {}",
                    names(from).join(", "),
                    names(to).join(", ")
                )),
                (Some(_), Some(_)) => None,
                _ => Some(format!(
                    "who may {verb} changed; the event does not say to whom"
                )),
            }
        }
        "number of required approvals" | "approvals required" => {
            match (from.and_then(number), to.and_then(number)) {
                (Some(f), Some(t)) if t < f => {
                    Some(format!("required approvals lowered from {f} to {t}"))
                }
                (None, Some(0)) => Some("required approvals set to 0".into()),
                (_, Some(_)) => None,
                (_, None) => {
                    Some("required approvals changed; the event does not say to what".into())
                }
            }
        }
        _ if what.starts_with("visibility") => {
            let level = |v: Option<&Value>| v.and_then(visibility_level);
            match (level(from).as_deref(), level(to).as_deref()) {
                (was, Some("public")) => Some(match was {
                    Some(w) => format!("made public (was {w})"),
                    None => "made public".into(),
                }),
                (Some("public" | "internal"), Some("internal")) | (_, Some("private")) => None,
                (Some(was), Some("internal")) => Some(format!(
                    "made internal (was {was}): every signed-in user may read it"
                )),
                (None, Some("internal")) => Some(
                    "made internal (the event does not say what it was): if it was private, every signed-in user may now read it"
                        .into(),
                ),
                (_, Some(other)) => Some(format!(
                    "visibility changed to {other}, a level not known here"
                )),
                (_, None) => Some("visibility changed; the event does not say to what".into()),
            }
        }
        _ => return None,
    })
}

/// A visibility level by name (`Private`, `Internal`, `Public`) or by
/// GitLab's number for it (0, 10, 20), in lower case.
fn visibility_level(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(
            match n.as_i64() {
                Some(0) => "private",
                Some(10) => "internal",
                Some(20) => "public",
                _ => return Some(n.to_string()),
            }
            .to_owned(),
        ),
        _ => None,
    }
}

/// The role an access level names, lowest first; `None` for a named user,
/// group or key.
fn role(name: &str) -> Option<u8> {
    let n = name.trim().to_ascii_lowercase();
    match n.as_str() {
        "no one" | "no access" | "none" => Some(u8::MAX),
        "administrators" | "admins" | "admin" => Some(60),
        "maintainers" | "maintainer" => Some(40),
        "developers + maintainers" | "developers" | "developer" => Some(30),
        _ => None,
    }
}

/// Whether the access `to` allows someone `from` did not: a lower role, or
/// a user, group or key not named before.
fn widens(from: &Value, to: &Value) -> bool {
    let (from, to) = (names(from), names(to));
    let lowest = |names: &[String]| names.iter().filter_map(|n| role(n)).min();
    let lower_role = match (lowest(&from), lowest(&to)) {
        (Some(f), Some(t)) => t < f,
        (None, Some(t)) => t != u8::MAX,
        _ => false,
    };
    lower_role
        || to
            .iter()
            .any(|n| role(n).is_none() && !from.iter().any(|f| f.eq_ignore_ascii_case(n)))
}

/// An access list (`["Maintainers"]`, or one name) as names.
fn names(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Object(o) => ["access_level_description", "name", "username"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str))
                    .map(str::to_owned),
                _ => None,
            })
            .collect(),
        Value::String(s) => vec![s.trim().to_owned()],
        _ => Vec::new(),
    }
}

fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
