//! Which GitHub audit-log records weaken security, and what they weakened,
//! read from the fields GitHub writes with each action (GitHub's audit-log
//! event reference: "Audit log events for your organization" and "… for
//! your enterprise").
//!
//! A record that strengthens security (protection created, reviews raised,
//! checks added, admin enforcement turned on, a token revoked) is not a
//! security change. Where a record names the value before the change
//! (`ruleset_old_enforcement`, a rule's `old_parameters`, or `old_…`,
//! `previous_…` beside a setting) the two are compared; where it does not,
//! an update that ends in a weak state (no required review, admin
//! enforcement off, force pushes allowed) is a weakening, and one that does
//! not is not. A record that names a weakening kind of change but none of
//! the fields that would say which way it went is reported as a change the
//! record does not explain: it cannot be shown to be harmless.
//!
//! The judgement fails closed. Only settings known here are judged by their
//! values; a branch-protection action or setting not known here (one GitHub
//! adds later, say) is reported with the value it was given, as is a value
//! that cannot be read. A ruleset edit is silent only when every change it
//! lists is known not to weaken: a ruleset left disabled or only evaluating
//! (with no enforcement before to compare), a rule removed, a rule parameter
//! loosened or not understood (a required check or reviewer dropped from its
//! list counts as loosened), a bypass granted, or a change of the branches
//! or repositories the ruleset applies to are all reported. An empty list
//! lists no change.
//!
//! Fields are looked up at the top level of the record and then in `data`,
//! where older exports put them. Lists and objects some exports write as
//! JSON text are read as what the text holds.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// Action names that may weaken security; only their records are read
/// whole to judge them.
pub fn may_weaken(name: &str) -> bool {
    name.starts_with("protected_branch.")
        || name.starts_with("repository_ruleset.")
        || name.starts_with("personal_access_token.")
        || name.starts_with("audit_log_streaming.")
        || name.starts_with("org.audit_log_")
        || name.starts_with("business.audit_log_")
        || matches!(
            name,
            "repo.access"
                | "repo.transfer"
                | "repo.transfer_outgoing"
                | "repo.transfer_start"
                | "org.add_outside_collaborator"
                | "repo.add_member"
                | "public_key.create"
                | "deploy_key.create"
                | "auto_approve_personal_access_token_requests.enable"
        )
}

/// The fields of one record: the top level, then `data`.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'r> {
    top: Option<&'r Map<String, Value>>,
    data: Option<&'r Map<String, Value>>,
}

impl<'r> Fields<'r> {
    /// The fields of `record` (a JSON object; anything else has none).
    pub fn of(record: &'r Value) -> Fields<'r> {
        let top = record.as_object();
        Fields {
            top,
            data: top.and_then(|t| t.get("data")).and_then(Value::as_object),
        }
    }

    /// No fields: what a record says when only its action name is known.
    pub fn none() -> Fields<'static> {
        Fields {
            top: None,
            data: None,
        }
    }

    fn get(&self, key: &str) -> Option<&'r Value> {
        let found = |m: Option<&'r Map<String, Value>>| m?.get(key).filter(|v| !v.is_null());
        found(self.top).or_else(|| found(self.data))
    }

    /// A list or object field that lists something: `None` when it is
    /// missing or lists nothing (an empty list, object or text).
    fn listed(&self, key: &str) -> Option<Cow<'r, Value>> {
        self.get(key).map(decoded).filter(|v| entries(v) > 0)
    }

    fn text(&self, key: &str) -> Option<&'r str> {
        self.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// The value a setting had before, when the record says.
    fn before(&self, key: &str) -> Option<&'r Value> {
        ["old_", "previous_"]
            .iter()
            .find_map(|p| self.get(&format!("{p}{key}")))
            .or_else(|| self.get(&format!("{key}_was")))
    }
}

/// What the record of action `name` weakened, in words; `None` when it
/// weakens nothing (it strengthens, or it is not a security setting).
pub fn weakening(name: &str, f: Fields<'_>) -> Option<String> {
    let on_branch = |words: String| match f.text("name").or_else(|| f.text("branch")) {
        Some(b) => format!("{words} on branch `{b}`"),
        None => words,
    };
    match name {
        "protected_branch.create" | "protected_branch.rejected_ref_update" => None,
        "protected_branch.destroy" => Some(on_branch("branch protection removed".into())),
        "protected_branch.policy_override" => {
            let why = f
                .get("reasons")
                .or_else(|| f.get("overridden_codes"))
                .map(list)
                .filter(|s| !s.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            Some(on_branch(format!(
                "a branch protection requirement was overridden{why}"
            )))
        }
        "protected_branch.branch_allowances" => {
            let who = f
                .get("authorized_actor_names")
                .map(list)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "someone".into());
            Some(on_branch(format!(
                "{who} given an allowance to bypass branch protection"
            )))
        }
        "protected_branch.authorized_users_teams" => match f.get("authorized_actors") {
            // Nobody may bypass now: that is not a weakening.
            Some(Value::Array(a)) if a.is_empty() => None,
            Some(v) => Some(on_branch(format!(
                "who may bypass branch protection changed to {}",
                list(v)
            ))),
            None => Some(on_branch(
                "who may bypass branch protection changed (the record does not say to whom)"
                    .into(),
            )),
        },
        "protected_branch.update_name" => Some(match (f.text("old_name"), f.text("name")) {
            (Some(old), Some(new)) => format!(
                "protected branch pattern changed from `{old}` to `{new}`: branches only `{old}` matched are no longer protected"
            ),
            _ => "a protected branch pattern was changed: branches the old pattern matched may no longer be protected".into(),
        }),
        "protected_branch.dismissal_restricted_users_teams" => {
            judge(&[DISMISSAL], f, name).map(on_branch)
        }
        _ if name.starts_with("protected_branch.") => {
            let setting = name.strip_prefix("protected_branch.update_");
            let judged: &[Setting] = match setting {
                // `protected_branch.update`, as some exports write it: any setting.
                _ if name == "protected_branch.update" => SETTINGS,
                Some(key) => match SETTINGS.iter().find(|s| s.key == key) {
                    Some(s) => std::slice::from_ref(s),
                    None => return unknown_setting(key, f).map(on_branch),
                },
                None => match name {
                    "protected_branch.dismiss_stale_reviews" => &[STALE],
                    _ => {
                        return Some(on_branch(
                            "branch protection changed; what this action does is not known here"
                                .into(),
                        ));
                    }
                },
            };
            judge(judged, f, name).map(on_branch)
        }
        "repository_ruleset.create" => None,
        "repository_ruleset.destroy" => {
            let level = f.text("ruleset_enforcement").and_then(enforcement);
            // A disabled ruleset enforced nothing.
            (level != Some(0)).then(|| format!("ruleset{} deleted", ruleset_name(f)))
        }
        "repository_ruleset.update" => ruleset_update(f),
        "repo.access" => visibility(f),
        "repo.transfer" | "repo.transfer_outgoing" | "repo.transfer_start" => {
            Some(match f.text("new_nwo").or_else(|| f.text("owner")) {
                Some(to) => format!("repository transferred to {to}"),
                None => "repository transferred to another owner".into(),
            })
        }
        "org.add_outside_collaborator" => Some(match f.text("user") {
            Some(u) => format!("outside collaborator {u} added"),
            None => "an outside collaborator added".into(),
        }),
        "repo.add_member" => Some(match (f.text("user"), f.text("permission")) {
            (Some(u), Some(p)) => format!("collaborator {u} added with {p} access"),
            (Some(u), None) => format!("collaborator {u} added"),
            _ => "a collaborator added".into(),
        }),
        "public_key.create" | "deploy_key.create" => {
            let kind = if name == "deploy_key.create" {
                "deploy key"
            } else {
                "SSH key"
            };
            let title = f.text("title").map(|t| format!(" `{t}`")).unwrap_or_default();
            let access = match f.get("read_only").and_then(flag) {
                Some(true) => ", read-only",
                Some(false) => ", read-write",
                None => "",
            };
            Some(format!("{kind}{title} created{access}"))
        }
        "personal_access_token.request_created" => {
            Some("a fine-grained personal access token asked for access to the organization".into())
        }
        "personal_access_token.access_granted" => {
            Some("a fine-grained personal access token was granted access".into())
        }
        "personal_access_token.access_restriction_disabled" => {
            Some("the restriction on access by personal access tokens was disabled".into())
        }
        "personal_access_token.expiration_limit_unset" => {
            Some("the expiration limit of personal access tokens was removed".into())
        }
        "auto_approve_personal_access_token_requests.enable" => Some(
            "fine-grained personal access tokens may reach the organization without approval"
                .into(),
        ),
        "audit_log_streaming.create" => {
            Some("an audit-log streaming endpoint was added: the audit trail also goes there".into())
        }
        "audit_log_streaming.update" => Some(
            "an audit-log streaming endpoint was changed (paused, disabled or pointed elsewhere)"
                .into(),
        ),
        "audit_log_streaming.destroy" => {
            Some("an audit-log streaming endpoint was deleted".into())
        }
        _ if name.starts_with("org.audit_log_") || name.starts_with("business.audit_log_") => {
            Some("the audit log was exported".into())
        }
        _ => None,
    }
}

/// A branch-protection setting: its field, how strongly a value protects,
/// and the words for its weakening.
#[derive(Debug, Clone, Copy)]
struct Setting {
    key: &'static str,
    /// How strongly a value protects (higher protects more).
    strength: fn(&Value) -> Option<i64>,
    /// At or below this strength the setting protects nothing.
    weak_at: i64,
    /// What it protects, for the words.
    noun: &'static str,
    /// The words of a value.
    show: fn(&Value) -> String,
    /// A setting every protection has (reviews, checks, admin enforcement,
    /// force pushes, deletions): its end state alone is judged.
    core: bool,
}

const STALE: Setting = Setting {
    key: "dismiss_stale_reviews_on_push",
    strength: on_off,
    weak_at: 0,
    noun: "dismissal of stale approvals on push",
    show: shown_on_off,
    core: false,
};

const DISMISSAL: Setting = Setting {
    key: "authorized_actors_only",
    strength: on_off,
    weak_at: 0,
    noun: "restriction of who may dismiss reviews",
    show: shown_on_off,
    core: false,
};

/// The settings of branch protection and of a ruleset's `pull_request`
/// rule, as GitHub names their fields.
const SETTINGS: &[Setting] = &[
    Setting {
        key: "required_approving_review_count",
        strength: number,
        weak_at: 0,
        noun: "required approving reviews",
        show: shown,
        core: true,
    },
    Setting {
        key: "pull_request_reviews_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required pull request reviews",
        show: shown_level,
        core: true,
    },
    Setting {
        key: "required_status_checks_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required status checks",
        show: shown_level,
        core: true,
    },
    Setting {
        key: "admin_enforced",
        strength: on_off,
        weak_at: 0,
        noun: "enforcement for administrators",
        show: shown_on_off,
        core: true,
    },
    Setting {
        key: "allow_force_pushes_enforcement_level",
        strength: forbidden,
        weak_at: 0,
        noun: "the ban on force pushes",
        show: shown_allowance,
        core: true,
    },
    Setting {
        key: "allow_deletions_enforcement_level",
        strength: forbidden,
        weak_at: 0,
        noun: "the ban on deleting the branch",
        show: shown_allowance,
        core: true,
    },
    Setting {
        key: "strict_required_status_checks_policy",
        strength: on_off,
        weak_at: 0,
        noun: "the rule that a branch be up to date before merging",
        show: shown_on_off,
        core: false,
    },
    Setting {
        key: "require_code_owner_review",
        strength: on_off,
        weak_at: 0,
        noun: "required code owner review",
        show: shown_on_off,
        core: false,
    },
    Setting {
        key: "require_last_push_approval",
        strength: on_off,
        weak_at: 0,
        noun: "required approval of the most recent push",
        show: shown_on_off,
        core: false,
    },
    Setting {
        key: "ignore_approvals_from_contributors",
        strength: on_off,
        weak_at: 0,
        noun: "ignoring approvals from contributors",
        show: shown_on_off,
        core: false,
    },
    Setting {
        key: "signature_requirement_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required signed commits",
        show: shown_level,
        core: false,
    },
    Setting {
        key: "linear_history_requirement_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required linear history",
        show: shown_level,
        core: false,
    },
    // A required merge queue merges a change only once the required checks
    // pass on it merged with what is ahead of it, as a branch that must be
    // up to date does: turning it off loosens what a merge must pass.
    Setting {
        key: "merge_queue_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required merge queue",
        show: shown_level,
        core: false,
    },
    Setting {
        key: "required_deployments_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required deployments",
        show: shown_level,
        core: false,
    },
    Setting {
        key: "required_review_thread_resolution_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "required resolution of review conversations",
        show: shown_level,
        core: false,
    },
    Setting {
        key: "lock_branch_enforcement_level",
        strength: level,
        weak_at: 0,
        noun: "the branch lock",
        show: shown_level,
        core: false,
    },
    Setting {
        key: "lock_allows_fetch_and_merge",
        strength: off_on,
        weak_at: 0,
        noun: "the ban on syncing a locked branch with its upstream",
        show: shown_off_on,
        core: false,
    },
    STALE,
];

/// The parameters of ruleset rules that branch protection does not have,
/// judged as [`SETTINGS`] are.
const RULE_SETTINGS: &[Setting] = &[
    Setting {
        key: "required_review_thread_resolution",
        strength: on_off,
        weak_at: 0,
        noun: "required resolution of review conversations",
        show: shown_on_off,
        core: false,
    },
    Setting {
        key: "do_not_enforce_on_create",
        strength: off_on,
        weak_at: 0,
        noun: "enforcement when a branch is created",
        show: shown_off_on,
        core: false,
    },
    Setting {
        key: "update_allows_fetch_and_merge",
        strength: off_on,
        weak_at: 0,
        noun: "the ban on syncing the branch with its upstream",
        show: shown_off_on,
        core: false,
    },
    // Limits: a larger one allows more; any limit protects.
    Setting {
        key: "max_file_size",
        strength: limit,
        weak_at: i64::MIN,
        noun: "the largest file allowed",
        show: shown,
        core: false,
    },
    Setting {
        key: "max_file_path_length",
        strength: limit,
        weak_at: i64::MIN,
        noun: "the longest file path allowed",
        show: shown,
        core: false,
    },
];

/// Rule parameters that say how a merge is made, how the merge queue
/// batches and times its work, or whether an automated review (which
/// blocks nothing) runs: not what a change must pass, so a change of them
/// weakens nothing.
const WORKFLOW_PARAMETERS: &[&str] = &[
    "allowed_merge_methods",
    "merge_method",
    "grouping_strategy",
    "max_entries_to_build",
    "max_entries_to_merge",
    "min_entries_to_merge",
    "min_entries_to_merge_wait_minutes",
    "check_response_timeout_minutes",
    "automatic_copilot_code_review_enabled",
    "review_on_push",
    "review_draft_pull_requests",
];

/// Rule parameters that list what a change must pass or may not touch: an
/// entry gone from the list is a weakening, one added is not. Each with
/// the words for the list.
const REQUIRED_LISTS: &[(&str, &str)] = &[
    ("required_status_checks", "required status checks"),
    (
        "required_deployment_environments",
        "required deployment environments",
    ),
    ("required_reviewers", "required reviewers"),
    ("workflows", "required workflows"),
    ("code_scanning_tools", "required code scanning tools"),
    ("restricted_file_paths", "restricted file paths"),
    ("restricted_file_extensions", "restricted file extensions"),
];

/// The weakenings among `settings` in the record, in words; `None` when
/// none weakens. A record naming none of them is a change it does not
/// explain, reported as such.
fn judge(settings: &[Setting], f: Fields<'_>, name: &str) -> Option<String> {
    let only = settings.len() == 1;
    let mut weak = Vec::new();
    let mut judged = false;
    for s in settings {
        let Some(new) = f.get(s.key) else { continue };
        let old = f.before(s.key);
        let Some(strength) = (s.strength)(new) else {
            // A value not known here cannot be shown to protect, unless it
            // is the value the setting already had.
            if old == Some(new) {
                judged = true;
            } else if s.core || only {
                weak.push(format!(
                    "{} changed to `{}`, a value not known here",
                    s.noun,
                    brief(Some(new))
                ));
            }
            continue;
        };
        judged = true;
        match old.and_then(|o| (s.strength)(o).map(|st| (o, st))) {
            Some((old, was)) if strength < was => weak.push(format!(
                "{} changed from {} to {}",
                s.noun,
                (s.show)(old),
                (s.show)(new)
            )),
            Some(_) => {}
            // Without the value before, an end state that protects nothing
            // is a weakening; optional settings are judged so only when the
            // action names them (a full snapshot holds their defaults).
            None if strength <= s.weak_at && (s.core || only) => {
                weak.push(format!("{} now {}", s.noun, (s.show)(new)));
            }
            None => {}
        }
    }
    if !weak.is_empty() {
        return Some(weak.join(", "));
    }
    (!judged).then(|| match name.strip_prefix("protected_branch.update_") {
        Some(setting) => format!(
            "branch protection setting `{setting}` changed; the record does not say to what"
        ),
        None => "branch protection changed; the record does not say how".to_owned(),
    })
}

/// A `protected_branch.update_…` setting not known here: reported with the
/// value it was given, unless the record shows it unchanged.
fn unknown_setting(key: &str, f: Fields<'_>) -> Option<String> {
    let new = f.get(key);
    let old = f.before(key);
    if new.is_some() && old == new {
        return None;
    }
    Some(match (old, new) {
        (Some(old), Some(new)) => format!(
            "branch protection setting `{key}` changed from `{}` to `{}`; what it does is not known here",
            brief(Some(old)),
            brief(Some(new))
        ),
        (None, Some(new)) => format!(
            "branch protection setting `{key}` changed to `{}`; what it does is not known here",
            brief(Some(new))
        ),
        (_, None) => format!(
            "branch protection setting `{key}` changed; the record does not say to what, and what it does is not known here"
        ),
    })
}

/// `repository_ruleset.update`: enforcement lowered or left weak, rules
/// removed or loosened, bypass granted, the branches or repositories it
/// applies to changed. Silent only when some change is listed and every
/// change listed is known not to weaken.
fn ruleset_update(f: Fields<'_>) -> Option<String> {
    let mut weak = Vec::new();
    // Some change was listed and judged not to weaken.
    let mut judged = false;
    match (
        f.text("ruleset_enforcement"),
        f.text("ruleset_old_enforcement"),
    ) {
        (Some(new), Some(old)) => match (enforcement(new), enforcement(old)) {
            (Some(n), Some(o)) if n < o => {
                weak.push(format!("enforcement lowered from {old} to {new}"));
            }
            (Some(_), Some(_)) => judged = true,
            _ if new.eq_ignore_ascii_case(old) => judged = true,
            _ => weak.push(format!(
                "enforcement changed from {old} to {new}, a level not known here"
            )),
        },
        // Without the level before, a ruleset that now enforces nothing is a
        // weak end state: the record cannot show it was already so.
        (Some(new), None) => match enforcement(new) {
            Some(0) => weak.push(format!(
                "enforcement now {new} (the record does not say what it was)"
            )),
            Some(1) => weak.push(format!(
                "enforcement now {new}, which only reports (the record does not say what it was)"
            )),
            Some(_) => {}
            None => weak.push(format!("enforcement now {new}, a level not known here")),
        },
        (None, Some(old)) => match enforcement(old) {
            // Nothing is lower than disabled.
            Some(0) => judged = true,
            _ => weak.push(format!(
                "enforcement changed from {old}; the record does not say to what"
            )),
        },
        (None, None) => {}
    }
    if let Some(deleted) = f.listed("ruleset_rules_deleted") {
        let types = rule_types(&deleted);
        weak.push(if types.is_empty() {
            "rules removed".to_owned()
        } else {
            format!("rules removed: {types}")
        });
    }
    if let Some(added) = f.listed("ruleset_rules_added") {
        judged |= !rule_types(&added).is_empty();
    }
    if let Some(updated) = f.listed("ruleset_rules_updated") {
        let rules = match &*updated {
            Value::Array(rules) => rules.iter().filter(|r| !r.is_null()).collect(),
            rule => vec![rule],
        };
        for rule in rules {
            match rule_loosened(rule) {
                Some(words) => weak.push(words),
                None => judged = true,
            }
        }
    }
    let conditions: Vec<_> = [
        ("ruleset_conditions_added", "added"),
        ("ruleset_conditions_updated", "changed"),
        ("ruleset_conditions_deleted", "removed"),
    ]
    .into_iter()
    .filter(|(key, _)| f.listed(key).is_some())
    .map(|(_, verb)| verb)
    .collect();
    if !conditions.is_empty() {
        weak.push(format!(
            "the branches or repositories the ruleset applies to changed (conditions {})",
            conditions.join(", ")
        ));
    }
    for (key, verb) in [
        ("ruleset_bypass_actors_added", "granted to"),
        ("ruleset_bypass_actors_updated", "changed for"),
    ] {
        if let Some(v) = f.listed(key) {
            let n = entries(&v);
            weak.push(format!(
                "bypass {verb} {n} actor{}",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    judged |= f.listed("ruleset_bypass_actors_deleted").is_some();
    if !weak.is_empty() {
        return Some(format!("ruleset{}: {}", ruleset_name(f), weak.join("; ")));
    }
    (!judged).then(|| {
        format!(
            "ruleset{} changed; the record does not say how",
            ruleset_name(f)
        )
    })
}

/// How an updated rule was loosened, in words; `None` when the record
/// shows its parameters before and after and no change among them
/// weakens.
fn rule_loosened(rule: &Value) -> Option<String> {
    let kind = ["type", "rule_type"]
        .iter()
        .find_map(|k| rule.get(*k).and_then(Value::as_str))
        .or_else(|| rule.as_str())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let named = match kind {
        Some(kind) => format!("rule {kind}"),
        None => "a rule".to_owned(),
    };
    let parameters = |key: &str| rule.get(key).filter(|v| !v.is_null()).map(decoded);
    let (Some(old), Some(new)) = (parameters("old_parameters"), parameters("parameters")) else {
        return Some(format!("{named} changed (the record does not say how)"));
    };
    let (Value::Object(old), Value::Object(new)) = (&*old, &*new) else {
        return Some(format!("{named} changed (the record does not say how)"));
    };
    let keys = old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)));
    let loosened: Vec<_> = keys
        .filter_map(|key| {
            let was = old.get(key).filter(|v| !v.is_null());
            let now = new.get(key).filter(|v| !v.is_null());
            (was != now).then(|| parameter_loosened(key, was, now))?
        })
        .collect();
    (!loosened.is_empty()).then(|| format!("{named}: {}", loosened.join(", ")))
}

/// How a change of rule parameter `key` from `was` to `now` (`None` when
/// not set) weakens, in words; `None` when it does not.
fn parameter_loosened(key: &str, was: Option<&Value>, now: Option<&Value>) -> Option<String> {
    if let Some(s) = SETTINGS.iter().chain(RULE_SETTINGS).find(|s| s.key == key) {
        let strength = |v: Option<&Value>| v.and_then(|v| (s.strength)(v));
        let show = |v: Option<&Value>| v.map_or_else(|| "not set".to_owned(), |v| (s.show)(v));
        return match (strength(was), strength(now)) {
            (Some(o), Some(n)) if n >= o => None,
            // Set where it was not, to a value that protects.
            (None, Some(n)) if was.is_none() && n > s.weak_at => None,
            // Lowered, unset, or a value not known here: it cannot be shown
            // to protect as much.
            _ => Some(format!(
                "{} changed from {} to {}",
                s.noun,
                show(was),
                show(now)
            )),
        };
    }
    if WORKFLOW_PARAMETERS.contains(&key) {
        return None;
    }
    if let Some((_, noun)) = REQUIRED_LISTS.iter().find(|(k, _)| *k == key)
        && let (Some(before), Some(after)) = (list_items(was), list_items(now))
    {
        let (mut removed, mut changed) = (Vec::new(), Vec::new());
        for gone in before.iter().filter(|b| !after.contains(b)) {
            let name = label(gone);
            if after.iter().any(|a| label(a) == name) {
                changed.push(name);
            } else {
                removed.push(name);
            }
        }
        let mut words = Vec::new();
        if !removed.is_empty() {
            words.push(format!("{noun} removed: {}", removed.join(", ")));
        }
        if !changed.is_empty() {
            words.push(format!("{noun} changed: {}", changed.join(", ")));
        }
        return (!words.is_empty()).then(|| words.join(", "));
    }
    Some(format!(
        "`{key}` changed from {} to {}; what it does is not known here",
        brief(was),
        brief(now)
    ))
}

/// `repo.access`: public, or internal from private, is a weakening; so is
/// internal when the record does not say from what, and a visibility not
/// known here.
fn visibility(f: Fields<'_>) -> Option<String> {
    let before = f
        .text("previous_visibility")
        .or_else(|| f.text("old_visibility"));
    let was = before.map(|b| format!(" (was {b})")).unwrap_or_default();
    let before_lower = before.map(str::to_ascii_lowercase);
    match f.text("visibility").map(str::to_ascii_lowercase).as_deref() {
        Some("public") => Some(format!("made public{was}")),
        Some("internal") => match before_lower.as_deref() {
            Some("public" | "internal") => None,
            Some(_) => Some(format!(
                "made internal{was}: every member of the enterprise may read it"
            )),
            None => Some(
                "made internal (the record does not say what it was): if it was private, every member of the enterprise may now read it"
                    .into(),
            ),
        },
        Some("private") => None,
        Some(other) => Some(format!(
            "visibility changed to {other}{was}, a visibility not known here"
        )),
        None => Some("visibility changed (the record does not say to what)".into()),
    }
}

fn ruleset_name(f: Fields<'_>) -> String {
    f.text("ruleset_name")
        .or_else(|| f.text("name"))
        .map(|n| format!(" `{n}`"))
        .unwrap_or_default()
}

/// A ruleset's enforcement, weakest first.
fn enforcement(s: &str) -> Option<i64> {
    match s.to_ascii_lowercase().as_str() {
        "disabled" => Some(0),
        "evaluate" => Some(1),
        "active" | "enabled" => Some(2),
        _ => None,
    }
}

/// The rule types of a list of rules (objects with `type`, or names).
fn rule_types(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|r| {
                r.get("type")
                    .and_then(Value::as_str)
                    .or_else(|| r.as_str())
                    .or(Some("a rule").filter(|_| r.is_object()))
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.trim().to_owned(),
        _ => String::new(),
    }
}

/// A list of names (strings, or objects with a name) as text.
fn list(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => ["name", "login", "slug", "actor_type"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str))
                    .map(str::to_owned),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A boolean, as JSON or as text.
fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// An enforcement level: `off`, `non_admins`, `everyone` (or 0, 1, 2, as
/// GitHub documents for some actions; a boolean as off or everyone).
fn level(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "off" | "false" | "0" => Some(0),
            "non_admins" | "1" => Some(1),
            "everyone" | "true" | "2" => Some(2),
            _ => None,
        },
        Value::Number(n) => n.as_i64().filter(|n| (0..=2).contains(n)),
        Value::Bool(b) => Some(if *b { 2 } else { 0 }),
        _ => None,
    }
}

/// An allowance (force pushes, deletions): forbidden protects, any
/// allowance does not.
fn forbidden(v: &Value) -> Option<i64> {
    level(v).map(|l| i64::from(l == 0))
}

fn on_off(v: &Value) -> Option<i64> {
    flag(v).map(i64::from)
}

pub(crate) fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shown_level(v: &Value) -> String {
    match level(v) {
        Some(0) => "off".into(),
        Some(1) => "for non-admins only".into(),
        Some(_) => "for everyone".into(),
        None => shown(v),
    }
}

fn shown_on_off(v: &Value) -> String {
    match flag(v) {
        Some(true) => "on".into(),
        Some(false) => "off".into(),
        None => shown(v),
    }
}

fn shown_allowance(v: &Value) -> String {
    match level(v) {
        Some(0) => "in force".into(),
        Some(1) => "lifted for non-admins".into(),
        Some(_) => "lifted for everyone".into(),
        None => shown(v),
    }
}

/// A setting that protects when off: on is its weak state.
fn off_on(v: &Value) -> Option<i64> {
    flag(v).map(|b| i64::from(!b))
}

fn shown_off_on(v: &Value) -> String {
    match flag(v) {
        Some(true) => "off".into(),
        Some(false) => "on".into(),
        None => shown(v),
    }
}

/// A limit: the larger, the more it allows.
fn limit(v: &Value) -> Option<i64> {
    number(v)?.checked_neg()
}

/// A list or object written as JSON text, as what the text holds; any
/// other value as it is.
fn decoded(v: &Value) -> Cow<'_, Value> {
    if let Value::String(s) = v {
        let t = s.trim();
        if (t.starts_with('[') || t.starts_with('{'))
            && let Ok(parsed) = serde_json::from_str::<Value>(t)
        {
            return Cow::Owned(parsed);
        }
    }
    Cow::Borrowed(v)
}

/// How many entries a list field lists: a list its length, an object or
/// text one unless empty, nothing else none.
fn entries(v: &Value) -> usize {
    match v {
        Value::Array(items) => items.iter().filter(|i| !i.is_null()).count(),
        Value::Object(o) => usize::from(!o.is_empty()),
        Value::String(s) => usize::from(!s.trim().is_empty()),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// The entries of a list that may be unset; `None` for a value that is
/// not a list.
fn list_items(v: Option<&Value>) -> Option<&[Value]> {
    match v {
        None => Some(&[]),
        Some(Value::Array(items)) => Some(items),
        Some(_) => None,
    }
}

/// The name of an entry of a rule's list: a string, or the field of an
/// object that names it; else the entry as JSON, shortened.
fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Object(o) => ["context", "name", "path", "tool", "environment"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_owned)
            .or_else(|| {
                let reviewer = o.get("reviewer")?;
                let id = reviewer.get("id").map(shown)?;
                Some(match reviewer.get("type").and_then(Value::as_str) {
                    Some(kind) => format!("{kind} {id}"),
                    None => id,
                })
            })
            .unwrap_or_else(|| brief(Some(v))),
        other => brief(Some(other)),
    }
}

/// A value in words, shortened to a length a sentence can hold; `not set`
/// for none.
fn brief(v: Option<&Value>) -> String {
    const MAX: usize = 80;
    let Some(v) = v else {
        return "not set".into();
    };
    let text = shown(v);
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}
