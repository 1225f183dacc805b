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
//! Fields are looked up at the top level of the record and then in `data`,
//! where older exports put them.

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
                    // Merge queue, deployments, locks: workflow, not protection.
                    None => return None,
                },
                None => match name {
                    "protected_branch.dismiss_stale_reviews" => &[STALE],
                    _ => return None,
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
    STALE,
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
        let Some(strength) = (s.strength)(new) else {
            continue;
        };
        judged = true;
        let old = f.before(s.key);
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

/// `repository_ruleset.update`: enforcement lowered, rules removed or
/// loosened, bypass granted.
fn ruleset_update(f: Fields<'_>) -> Option<String> {
    let mut weak = Vec::new();
    let mut judged = false;
    if let (Some(new), Some(old)) = (
        f.text("ruleset_enforcement"),
        f.text("ruleset_old_enforcement"),
    ) {
        judged = true;
        if let (Some(n), Some(o)) = (enforcement(new), enforcement(old))
            && n < o
        {
            weak.push(format!("enforcement lowered from {old} to {new}"));
        }
    }
    if let Some(deleted) = f.get("ruleset_rules_deleted") {
        judged = true;
        let types = rule_types(deleted);
        if !types.is_empty() {
            weak.push(format!("rules removed: {types}"));
        }
    }
    if let Some(added) = f.get("ruleset_rules_added") {
        judged |= !rule_types(added).is_empty();
    }
    if let Some(Value::Array(updated)) = f.get("ruleset_rules_updated") {
        for rule in updated {
            judged = true;
            let kind = rule
                .get("type")
                .and_then(Value::as_str)
                .or_else(|| rule.as_str())
                .unwrap_or("a rule");
            match (rule.get("old_parameters"), rule.get("parameters")) {
                (Some(old @ Value::Object(_)), Some(new @ Value::Object(_))) => {
                    let mut loosened = Vec::new();
                    for s in SETTINGS {
                        let (Some(o), Some(n)) = (old.get(s.key), new.get(s.key)) else {
                            continue;
                        };
                        if let (Some(was), Some(now)) = ((s.strength)(o), (s.strength)(n))
                            && now < was
                        {
                            loosened.push(format!(
                                "{} changed from {} to {}",
                                s.noun,
                                (s.show)(o),
                                (s.show)(n)
                            ));
                        }
                    }
                    if !loosened.is_empty() {
                        weak.push(format!("rule {kind}: {}", loosened.join(", ")));
                    }
                }
                _ => weak.push(format!("rule {kind} changed (the record does not say how)")),
            }
        }
    }
    for (key, verb) in [
        ("ruleset_bypass_actors_added", "granted to"),
        ("ruleset_bypass_actors_updated", "changed for"),
    ] {
        if let Some(v) = f.get(key) {
            judged = true;
            let n = match v {
                Value::Array(a) => a.len(),
                Value::String(s) if s.trim().is_empty() => 0,
                _ => 1,
            };
            if n > 0 {
                weak.push(format!(
                    "bypass {verb} {n} actor{}",
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
    }
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

/// `repo.access`: public, or internal from private, is a weakening.
fn visibility(f: Fields<'_>) -> Option<String> {
    let before = f
        .text("previous_visibility")
        .or_else(|| f.text("old_visibility"));
    let was = before.map(|b| format!(" (was {b})")).unwrap_or_default();
    match f.text("visibility").map(str::to_ascii_lowercase).as_deref() {
        Some("public") => Some(format!("made public{was}")),
        Some("internal") if before.is_some_and(|b| b.eq_ignore_ascii_case("private")) => {
            Some("made internal (was private): every member of the enterprise may read it".into())
        }
        Some(_) => None,
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

fn number(v: &Value) -> Option<i64> {
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
