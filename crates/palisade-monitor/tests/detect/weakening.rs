//! `security_change` tells weakening from strengthening: audit records as
//! GitHub and GitLab write them (their documented fields), read by the real
//! parsers and judged by the detectors. A weakening fires and says what
//! changed; a strengthening is silent; generated settings and values check
//! the rule whatever the numbers.

use palisade_monitor::event::{RawRef, Source};
use palisade_monitor::finding::{Finding, Severity};
use palisade_monitor::parse::Parser;
use palisade_monitor::parse::github::GithubParser;
use palisade_monitor::parse::gitlab::GitlabParser;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

const T: &str = "2026-03-10T10:00:00Z"; // 15:30 in Kolkata, 11:00 in Warsaw
/// arjun's GitHub login: a member of the vendor team nimbus.
const VENDOR_GITHUB: &str = "arjun-menon-nimbus";
/// katarzyna's GitLab username: a member of the vendor team harbor.
const VENDOR_GITLAB: &str = "k.nowak";

fn raw(source: Source) -> RawRef {
    RawRef {
        source,
        file: "audit.json".into(),
        line: 1,
        id: None,
    }
}

/// A GitHub record of `action` by the vendor member, with `fields` added.
fn github_record(action: &str, fields: Value) -> String {
    let mut r = json!({
        "@timestamp": utc(T).as_millisecond(), "action": action, "actor": VENDOR_GITHUB,
        "org": "acme", "repo": "acme/payments", "actor_ip": "192.0.2.10",
    });
    if let (Some(r), Value::Object(f)) = (r.as_object_mut(), fields) {
        r.extend(f);
    }
    r.to_string()
}

/// A GitLab event named `name` by the vendor member, with `details` added.
fn gitlab_record(name: &str, details: Value) -> String {
    let mut d = json!({"author_username": VENDOR_GITLAB, "ip_address": "192.0.2.11"});
    if let (Some(d), Value::Object(f)) = (d.as_object_mut(), details) {
        d.extend(f);
    }
    json!({
        "id": 7, "author_id": 12, "entity_id": 29, "entity_type": "Project",
        "entity_path": "acme/payments", "event_name": name, "created_at": T, "details": d,
    })
    .to_string()
}

/// The findings of one record, read by `parser`.
fn judged(parser: &mut dyn Parser, source: Source, record: &str) -> Vec<Finding> {
    let event = parser
        .parse(record.as_bytes(), raw(source))
        .unwrap_or_else(|p| panic!("{record}: {p}"));
    Run::new(index(), &[]).feed(event)
}

fn github(action: &str, fields: Value) -> Vec<Finding> {
    judged(
        &mut GithubParser,
        Source::Github,
        &github_record(action, fields),
    )
}

fn gitlab(name: &str, details: Value) -> Vec<Finding> {
    judged(
        &mut GitlabParser,
        Source::Gitlab,
        &gitlab_record(name, details),
    )
}

/// The security change found, if any.
fn change(findings: &[Finding]) -> Option<&Finding> {
    findings.iter().find(|f| f.detector == "security_change")
}

#[test]
fn github_records_that_weaken_protection_fire_and_say_what_changed() {
    let cases = [
        (
            "protected_branch.destroy",
            json!({"name": "main"}),
            "branch protection removed on branch `main`",
        ),
        (
            "protected_branch.update_required_approving_review_count",
            json!({"name": "main", "required_approving_review_count": 0}),
            "required approving reviews now 0 on branch `main`",
        ),
        (
            "protected_branch.update",
            json!({"name": "main", "required_approving_review_count": 0, "old_required_approving_review_count": 2}),
            "required approving reviews changed from 2 to 0",
        ),
        (
            "protected_branch.update",
            json!({"required_approving_review_count": 1, "previous_required_approving_review_count": 3}),
            "required approving reviews changed from 3 to 1",
        ),
        (
            "protected_branch.update_pull_request_reviews_enforcement_level",
            json!({"pull_request_reviews_enforcement_level": "off"}),
            "required pull request reviews now off",
        ),
        (
            "protected_branch.update_pull_request_reviews_enforcement_level",
            json!({"pull_request_reviews_enforcement_level": 0}),
            "required pull request reviews now off",
        ),
        (
            "protected_branch.update_required_status_checks_enforcement_level",
            json!({"required_status_checks_enforcement_level": "off"}),
            "required status checks now off",
        ),
        (
            "protected_branch.update_admin_enforced",
            json!({"admin_enforced": false}),
            "enforcement for administrators now off",
        ),
        (
            "protected_branch.update_allow_force_pushes_enforcement_level",
            json!({"allow_force_pushes_enforcement_level": "everyone"}),
            "the ban on force pushes now lifted for everyone",
        ),
        (
            "protected_branch.update_allow_deletions_enforcement_level",
            json!({"allow_deletions_enforcement_level": "non_admins"}),
            "the ban on deleting the branch now lifted for non-admins",
        ),
        (
            "protected_branch.update_require_code_owner_review",
            json!({"require_code_owner_review": false}),
            "required code owner review now off",
        ),
        (
            "protected_branch.policy_override",
            json!({"branch": "refs/heads/main", "reasons": ["required status check"]}),
            "a branch protection requirement was overridden (required status check)",
        ),
        (
            "protected_branch.branch_allowances",
            json!({"name": "main", "authorized_actor_names": ["ci-bot"]}),
            "ci-bot given an allowance to bypass branch protection",
        ),
        // Older exports put the fields in `data`.
        (
            "protected_branch.update_admin_enforced",
            json!({"data": {"admin_enforced": false}}),
            "enforcement for administrators now off",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_name": "protect-main", "ruleset_enforcement": "disabled", "ruleset_old_enforcement": "active"}),
            "ruleset `protect-main`: enforcement lowered from active to disabled",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_name": "protect-main", "ruleset_enforcement": "active", "ruleset_rules_deleted": [{"type": "pull_request"}, {"type": "non_fast_forward"}]}),
            "rules removed: pull_request, non_fast_forward",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_name": "protect-main", "ruleset_rules_updated": [{
                "type": "pull_request",
                "old_parameters": {"required_approving_review_count": 2, "require_code_owner_review": true},
                "parameters": {"required_approving_review_count": 0, "require_code_owner_review": true},
            }]}),
            "rule pull_request: required approving reviews changed from 2 to 0",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_bypass_actors_added": [{"actor_type": "Team", "actor_id": 4, "bypass_mode": "always"}]}),
            "bypass granted to 1 actor",
        ),
        (
            "repository_ruleset.destroy",
            json!({"ruleset_name": "protect-main", "ruleset_enforcement": "active"}),
            "ruleset `protect-main` deleted",
        ),
        (
            "repo.access",
            json!({"visibility": "public", "previous_visibility": "private"}),
            "made public (was private)",
        ),
        (
            "repo.access",
            json!({"visibility": "internal", "previous_visibility": "private"}),
            "made internal (was private)",
        ),
        (
            "repo.access",
            json!({"visibility": "internal"}),
            "made internal (the record does not say what it was)",
        ),
        (
            "protected_branch.update_required_deployments_enforcement_level",
            json!({"name": "main", "required_deployments_enforcement_level": "off"}),
            "required deployments now off on branch `main`",
        ),
        (
            "protected_branch.update_merge_queue_enforcement_level",
            json!({"name": "main", "merge_queue_enforcement_level": 0}),
            "required merge queue now off on branch `main`",
        ),
        (
            "protected_branch.update_some_future_setting",
            json!({"name": "main", "some_future_setting": "off"}),
            "branch protection setting `some_future_setting` changed to `off`; what it does is not known here",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_name": "protect-main", "ruleset_enforcement": "disabled", "ruleset_rules_added": [{"type": "deletion"}]}),
            "ruleset `protect-main`: enforcement now disabled",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "evaluate", "ruleset_rules_deleted": [], "ruleset_bypass_actors_added": []}),
            "enforcement now evaluate, which only reports",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_rules_deleted": [], "ruleset_bypass_actors_added": []}),
            "changed; the record does not say how",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_rules_updated": [{
                "type": "required_status_checks",
                "old_parameters": {"required_status_checks": [{"context": "ci"}], "strict_required_status_checks_policy": true},
                "parameters": {"required_status_checks": [], "strict_required_status_checks_policy": true},
            }]}),
            "rule required_status_checks: required status checks removed: ci",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_rules_updated": [{
                "type": "tag_name_pattern",
                "old_parameters": {"operator": "regex", "pattern": "^v[0-9]+"},
                "parameters": {"operator": "regex", "pattern": ".*"},
            }]}),
            "`pattern` changed from ^v[0-9]+ to .*; what it does is not known here",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_conditions_updated": [{
                "target": "ref_name", "parameters": {"include": ["refs/heads/release"], "exclude": []},
            }]}),
            "the branches or repositories the ruleset applies to changed (conditions changed)",
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_conditions_deleted": [{"target": "ref_name"}]}),
            "the branches or repositories the ruleset applies to changed (conditions removed)",
        ),
        (
            "repo.transfer",
            json!({"data": {"old_user": "acme"}}),
            "repository transferred",
        ),
        (
            "org.add_outside_collaborator",
            json!({"user": "contractor-gh-4471"}),
            "outside collaborator contractor-gh-4471 added",
        ),
        (
            "deploy_key.create",
            json!({"title": "ci-mirror", "read_only": false}),
            "deploy key `ci-mirror` created, read-write",
        ),
        (
            "personal_access_token.request_created",
            json!({"token_id": 88213}),
            "fine-grained personal access token",
        ),
        (
            "audit_log_streaming.destroy",
            json!({}),
            "audit-log streaming endpoint was deleted",
        ),
        (
            "audit_log_streaming.update",
            json!({}),
            "audit-log streaming endpoint was changed",
        ),
    ];
    for (action, fields, words) in cases {
        let f = github(action, fields.clone());
        let found = change(&f).unwrap_or_else(|| panic!("{action} {fields}: {f:#?}"));
        assert!(
            found.sentence.contains(words),
            "{action}: {}",
            found.sentence
        );
        assert!(
            found.sentence.contains(&format!("`{action}`"))
                && found.sentence.contains("arjun of vendor team nimbus"),
            "{}",
            found.sentence
        );
        assert!(
            found.severity >= Severity::High,
            "{action}: {:?}",
            found.severity
        );
    }
}

#[test]
fn github_records_that_strengthen_protection_are_silent() {
    let cases = [
        ("protected_branch.create", json!({"name": "main"})),
        (
            "protected_branch.update_required_approving_review_count",
            json!({"required_approving_review_count": 2}),
        ),
        (
            "protected_branch.update",
            json!({"required_approving_review_count": 2, "old_required_approving_review_count": 1}),
        ),
        (
            "protected_branch.update_pull_request_reviews_enforcement_level",
            json!({"pull_request_reviews_enforcement_level": "everyone"}),
        ),
        (
            "protected_branch.update_required_status_checks_enforcement_level",
            json!({"required_status_checks_enforcement_level": "non_admins"}),
        ),
        (
            "protected_branch.update_admin_enforced",
            json!({"admin_enforced": true}),
        ),
        (
            "protected_branch.update_allow_force_pushes_enforcement_level",
            json!({"allow_force_pushes_enforcement_level": "off"}),
        ),
        (
            "protected_branch.update_allow_deletions_enforcement_level",
            json!({"allow_deletions_enforcement_level": "off"}),
        ),
        (
            "protected_branch.update_require_code_owner_review",
            json!({"require_code_owner_review": true}),
        ),
        // A full snapshot: optional settings at their defaults are not
        // weakenings unless the record says they were on before.
        (
            "protected_branch.update",
            json!({"required_approving_review_count": 2, "admin_enforced": true,
                   "allow_force_pushes_enforcement_level": "off", "allow_deletions_enforcement_level": "off",
                   "pull_request_reviews_enforcement_level": "everyone",
                   "required_status_checks_enforcement_level": "everyone",
                   "signature_requirement_enforcement_level": "off",
                   "linear_history_requirement_enforcement_level": "off"}),
        ),
        (
            "protected_branch.authorized_users_teams",
            json!({"authorized_actors": []}),
        ),
        (
            "repository_ruleset.create",
            json!({"ruleset_enforcement": "active"}),
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_old_enforcement": "evaluate"}),
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_rules_added": [{"type": "required_signatures"}]}),
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_rules_updated": [{
                "type": "pull_request",
                "old_parameters": {"required_approving_review_count": 1},
                "parameters": {"required_approving_review_count": 2},
            }]}),
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_rules_updated": [{
                "type": "required_status_checks",
                "old_parameters": {"required_status_checks": [{"context": "ci"}]},
                "parameters": {"required_status_checks": [{"context": "ci"}, {"context": "lint"}]},
            }]}),
        ),
        (
            "repository_ruleset.update",
            json!({"ruleset_enforcement": "active", "ruleset_bypass_actors_deleted": [{"actor_id": 4}],
                   "ruleset_rules_deleted": [], "ruleset_conditions_updated": []}),
        ),
        (
            "protected_branch.update_merge_queue_enforcement_level",
            json!({"merge_queue_enforcement_level": 1}),
        ),
        (
            "protected_branch.update_lock_branch_enforcement_level",
            json!({"lock_branch_enforcement_level": "everyone"}),
        ),
        (
            "repository_ruleset.destroy",
            json!({"ruleset_enforcement": "disabled"}),
        ),
        (
            "repo.access",
            json!({"visibility": "private", "previous_visibility": "public"}),
        ),
        (
            "repo.access",
            json!({"visibility": "internal", "previous_visibility": "public"}),
        ),
        ("personal_access_token.access_revoked", json!({})),
        ("personal_access_token.request_denied", json!({})),
        ("audit_log_streaming.check", json!({})),
        (
            "protected_branch.rejected_ref_update",
            json!({"branch": "main"}),
        ),
    ];
    for (action, fields) in cases {
        let f = github(action, fields.clone());
        assert!(change(&f).is_none(), "{action} {fields}: {f:#?}");
    }
}

#[test]
fn gitlab_events_that_weaken_protection_fire_and_say_what_changed() {
    let branch = json!({"target_type": "ProtectedBranch", "target_details": "main"});
    let with = |extra: Value| {
        let mut d = branch.clone();
        if let (Some(d), Value::Object(e)) = (d.as_object_mut(), extra) {
            d.extend(e);
        }
        d
    };
    let cases = [
        (
            "protected_branch_allow_force_push_updated",
            with(json!({"change": "allow force push", "from": false, "to": true})),
            "force pushes allowed on branch `main`",
        ),
        (
            "protected_branch_code_owner_approval_required_updated",
            with(json!({"change": "code owner approval required", "from": true, "to": false})),
            "code owner approval no longer required",
        ),
        (
            "protected_branch_updated",
            with(
                json!({"change": "allowed to push", "from": ["Maintainers"], "to": ["Developers + Maintainers"]}),
            ),
            "who may push widened from Maintainers to Developers + Maintainers on branch `main`",
        ),
        (
            "protected_branch_updated",
            with(json!({"change": "allowed to merge", "from": ["No one"], "to": ["Maintainers"]})),
            "who may merge widened",
        ),
        (
            "protected_branch_updated",
            with(
                json!({"change": "allowed to push", "from": ["Maintainers"], "to": ["Maintainers", "Contractor Bot"]}),
            ),
            "who may push widened",
        ),
        (
            "protected_branch_removed",
            branch.clone(),
            "branch protection removed on branch `main`",
        ),
        (
            "update_aproval_rules",
            json!({"change": "number of required approvals", "from": 2, "to": 0,
                   "target_type": "ApprovalProjectRule", "target_details": "Default"}),
            "required approvals lowered from 2 to 0 on approval rule `Default`",
        ),
        ("approval_rule_deleted", json!({}), "approval rule deleted"),
        (
            "project_visibility_level_updated",
            json!({"change": "visibility", "from": "Private", "to": "Public"}),
            "made public (was private)",
        ),
        (
            "project_visibility_level_updated",
            json!({"change": "visibility", "from": "Private", "to": "Internal"}),
            "made internal (was private)",
        ),
        (
            "group_visibility_level_updated",
            json!({"change": "visibility", "to": "Internal"}),
            "made internal (the event does not say what it was)",
        ),
        (
            "project_visibility_level_updated",
            json!({"change": "visibility", "from": 0, "to": 10}),
            "made internal (was private)",
        ),
        ("deploy_key_added", json!({}), "a deploy key added"),
        (
            "audit_events_streaming_headers_destroy",
            json!({}),
            "audit event streaming changed",
        ),
    ];
    for (name, details, words) in cases {
        let f = gitlab(name, details.clone());
        let found = change(&f).unwrap_or_else(|| panic!("{name} {details}: {f:#?}"));
        assert!(found.sentence.contains(words), "{name}: {}", found.sentence);
        assert!(
            found.sentence.contains("katarzyna of vendor team harbor"),
            "{}",
            found.sentence
        );
    }
}

#[test]
fn gitlab_events_that_strengthen_protection_are_silent() {
    let cases = [
        (
            "protected_branch_created",
            json!({"target_type": "ProtectedBranch", "target_details": "main"}),
        ),
        (
            "protected_branch_allow_force_push_updated",
            json!({"change": "allow force push", "from": true, "to": false}),
        ),
        (
            "protected_branch_code_owner_approval_required_updated",
            json!({"change": "code owner approval required", "from": false, "to": true}),
        ),
        (
            "protected_branch_updated",
            json!({"change": "allowed to push", "from": ["Developers + Maintainers"], "to": ["Maintainers"]}),
        ),
        (
            "protected_branch_updated",
            json!({"change": "allowed to merge", "from": ["Maintainers"], "to": ["No one"]}),
        ),
        (
            "update_aproval_rules",
            json!({"change": "number of required approvals", "from": 1, "to": 2}),
        ),
        ("approval_rule_created", json!({})),
        (
            "project_visibility_level_updated",
            json!({"change": "visibility", "from": "Public", "to": "Private"}),
        ),
        (
            "group_visibility_level_updated",
            json!({"change": "visibility", "from": "Internal", "to": "Private"}),
        ),
        (
            "project_visibility_level_updated",
            json!({"change": "visibility", "from": "Public", "to": "Internal"}),
        ),
        (
            "project_visibility_level_updated",
            json!({"change": "visibility", "to": "Private"}),
        ),
    ];
    for (name, details) in cases {
        let f = gitlab(name, details.clone());
        assert!(change(&f).is_none(), "{name} {details}: {f:#?}");
    }
}

/// A setting's value as GitHub may write it: JSON, or text.
fn written(v: Value, as_text: bool) -> Value {
    if as_text {
        Value::String(match v {
            Value::String(s) => s,
            other => other.to_string(),
        })
    } else {
        v
    }
}

const LEVELS: [&str; 3] = ["off", "non_admins", "everyone"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Required reviews: lowered (or 0 when the record does not say the
    /// count before) fires; anything else is silent. The action names the
    /// setting or is the bare update; the fields are at the top level or
    /// in `data`; numbers are JSON or text.
    #[test]
    fn github_required_reviews_fire_only_when_lowered(
        new in 0i64..7,
        old in proptest::option::of(0i64..7),
        bare in any::<bool>(),
        in_data in any::<bool>(),
        as_text in any::<bool>(),
    ) {
        let mut fields = json!({"required_approving_review_count": written(json!(new), as_text)});
        if let Some(old) = old {
            fields["old_required_approving_review_count"] = json!(old);
        }
        let fields = if in_data { json!({"data": fields}) } else { fields };
        let action = if bare { "protected_branch.update" } else { "protected_branch.update_required_approving_review_count" };
        let f = github(action, fields);
        let expected = match old { Some(old) => new < old, None => new == 0 };
        prop_assert_eq!(change(&f).is_some(), expected, "{} {:?} -> {}", action, old, new);
        if let (Some(found), Some(old)) = (change(&f), old) {
            let words = format!("changed from {old} to {new}");
            prop_assert!(found.sentence.contains(&words), "{}", found.sentence);
        }
    }

    /// Review and status-check enforcement: a lower level than before, or
    /// off when the record does not say, fires.
    #[test]
    fn github_enforcement_levels_fire_only_when_lowered(
        key in prop::sample::select(vec!["pull_request_reviews_enforcement_level", "required_status_checks_enforcement_level"]),
        new in 0usize..3,
        old in proptest::option::of(0usize..3),
        numeric in any::<bool>(),
    ) {
        let value = |l: usize| if numeric { json!(l) } else { json!(LEVELS[l]) };
        let mut fields = json!({ key: value(new) });
        if let Some(old) = old {
            fields[format!("old_{key}")] = value(old);
        }
        let f = github(&format!("protected_branch.update_{key}"), fields);
        let expected = match old { Some(old) => new < old, None => new == 0 };
        prop_assert_eq!(change(&f).is_some(), expected, "{} {:?} -> {}", key, old, new);
    }

    /// Force pushes and deletions: any allowance fires unless it was already
    /// allowed as widely; the ban is silent.
    #[test]
    fn github_allowances_fire_only_when_opened(
        key in prop::sample::select(vec!["allow_force_pushes_enforcement_level", "allow_deletions_enforcement_level"]),
        new in 0usize..3,
        old in proptest::option::of(0usize..3),
    ) {
        let mut fields = json!({ key: LEVELS[new] });
        if let Some(old) = old {
            fields[format!("old_{key}")] = json!(LEVELS[old]);
        }
        let f = github(&format!("protected_branch.update_{key}"), fields);
        let expected = new > 0 && old.is_none_or(|o| o == 0);
        prop_assert_eq!(change(&f).is_some(), expected, "{} {:?} -> {}", key, old, new);
    }

    /// Admin enforcement: off fires, on is silent, as JSON or as text.
    #[test]
    fn github_admin_enforcement_fires_only_when_turned_off(on in any::<bool>(), as_text in any::<bool>()) {
        let f = github("protected_branch.update_admin_enforced", json!({"admin_enforced": written(json!(on), as_text)}));
        prop_assert_eq!(change(&f).is_some(), !on);
    }

    /// Visibility: public fires; internal fires from private or when the
    /// record does not say from what; private never does.
    #[test]
    fn github_visibility_fires_only_when_exposed(
        new in prop::sample::select(vec!["public", "private", "internal"]),
        old in proptest::option::of(prop::sample::select(vec!["public", "private", "internal"])),
    ) {
        let mut fields = json!({"visibility": new});
        if let Some(old) = old {
            fields["previous_visibility"] = json!(old);
        }
        let f = github("repo.access", fields);
        let expected = new == "public" || (new == "internal" && old.is_none_or(|o| o == "private"));
        prop_assert_eq!(change(&f).is_some(), expected, "{:?} -> {}", old, new);
    }

    /// Branch-protection settings not known here fire whatever their value,
    /// naming the setting.
    #[test]
    fn github_unknown_branch_protection_settings_fire(
        key in "(future|new|extra)_[a-z]{3,10}(_[a-z]{2,8}){0,2}",
        value in prop_oneof![
            Just(json!("off")), Just(json!("everyone")), any::<bool>().prop_map(Value::from),
            (0i64..3).prop_map(Value::from),
        ],
    ) {
        let action = format!("protected_branch.update_{key}");
        let f = github(&action, json!({"name": "main", key.clone(): value}));
        let found = change(&f);
        prop_assert!(found.is_some_and(|c| c.sentence.contains(&format!("`{key}`"))), "{:#?}", f);
    }

    /// A ruleset edit fires when its enforcement ends lower than it was, or
    /// ends disabled or evaluating when the record does not say what it was;
    /// added rules and empty lists beside it change nothing.
    #[test]
    fn github_ruleset_enforcement_fires_when_weak(
        new in 0usize..3,
        old in proptest::option::of(0usize..3),
        empties in prop::collection::vec(prop::sample::select(vec![
            "ruleset_rules_deleted", "ruleset_rules_updated", "ruleset_bypass_actors_added",
            "ruleset_bypass_actors_updated", "ruleset_conditions_updated", "ruleset_conditions_deleted",
        ]), 0..4),
        empty_as_text in any::<bool>(),
    ) {
        const ENFORCEMENT: [&str; 3] = ["disabled", "evaluate", "active"];
        let mut fields = json!({
            "ruleset_name": "protect-main", "ruleset_enforcement": ENFORCEMENT[new],
            "ruleset_rules_added": [{"type": "non_fast_forward"}],
        });
        if let Some(old) = old {
            fields["ruleset_old_enforcement"] = json!(ENFORCEMENT[old]);
        }
        for key in empties {
            fields[key] = if empty_as_text { json!("[]") } else { json!([]) };
        }
        let f = github("repository_ruleset.update", fields);
        let expected = match old { Some(old) => new < old, None => new < 2 };
        prop_assert_eq!(change(&f).is_some(), expected, "{:?} -> {}", old, new);
    }

    /// A rule's list of required status checks: fires only when a check
    /// is gone from it.
    #[test]
    fn github_required_checks_fire_only_when_one_is_dropped(
        before in prop::collection::btree_set(prop::sample::select(vec!["ci", "lint", "test", "sast", "build"]), 0..5),
        after in prop::collection::btree_set(prop::sample::select(vec!["ci", "lint", "test", "sast", "build"]), 0..5),
    ) {
        let checks = |names: &std::collections::BTreeSet<&str>| {
            names.iter().rev().map(|n| json!({"context": n})).collect::<Vec<_>>()
        };
        let f = github("repository_ruleset.update", json!({
            "ruleset_enforcement": "active",
            "ruleset_rules_updated": [{
                "type": "required_status_checks",
                "old_parameters": {"required_status_checks": checks(&before), "strict_required_status_checks_policy": true},
                "parameters": {"required_status_checks": checks(&after), "strict_required_status_checks_policy": true},
            }],
        }));
        let dropped: Vec<_> = before.difference(&after).collect();
        prop_assert_eq!(change(&f).is_some(), !dropped.is_empty(), "{:?} -> {:?}", before, after);
        if let Some(found) = change(&f) {
            for name in dropped {
                prop_assert!(found.sentence.contains(*name), "{}", found.sentence);
            }
        }
    }

    /// GitLab's protected branch access: fires when a lower role or someone
    /// new may push or merge, silent when it narrows or stays.
    #[test]
    fn gitlab_access_levels_fire_only_when_widened(
        verb in prop::sample::select(vec!["push", "merge"]),
        from in prop::sample::select(vec!["No one", "Maintainers", "Developers + Maintainers"]),
        to in prop::sample::select(vec!["No one", "Maintainers", "Developers + Maintainers"]),
        someone in proptest::option::of("[A-Z][a-z]{2,8} [A-Z][a-z]{2,8}"),
    ) {
        let rank = |s: &str| match s { "No one" => 3, "Maintainers" => 2, _ => 1 };
        let mut to_list = vec![json!(to)];
        if let Some(s) = &someone {
            to_list.push(json!(s));
        }
        let f = gitlab("protected_branch_updated", json!({
            "change": format!("allowed to {verb}"), "from": [from], "to": to_list,
        }));
        let expected = rank(to) < rank(from) || someone.is_some();
        prop_assert_eq!(change(&f).is_some(), expected, "{} -> {} (+{:?})", from, to, someone);
    }

    /// GitLab's force push setting and required approvals: fires only
    /// when force pushes are allowed or approvals fall.
    #[test]
    fn gitlab_force_push_and_approvals_fire_only_when_loosened(
        allow in any::<bool>(),
        from in 0i64..6,
        to in 0i64..6,
    ) {
        let f = gitlab("protected_branch_allow_force_push_updated",
            json!({"change": "allow force push", "from": !allow, "to": allow}));
        prop_assert_eq!(change(&f).is_some(), allow);
        let f = gitlab("update_aproval_rules",
            json!({"change": "number of required approvals", "from": from, "to": to}));
        prop_assert_eq!(change(&f).is_some(), to < from, "{} -> {}", from, to);
    }

    /// GitLab's visibility, by name or number: Public fires, Internal only
    /// from Private or when the event does not say from what.
    #[test]
    fn gitlab_visibility_fires_only_when_exposed(
        from in proptest::option::of(0usize..3),
        to in 0usize..3,
        numeric in any::<bool>(),
    ) {
        const NAMES: [&str; 3] = ["Private", "Internal", "Public"];
        let level = |l: usize| if numeric { json!(l * 10) } else { json!(NAMES[l]) };
        let mut details = json!({"change": "visibility", "to": level(to)});
        if let Some(from) = from {
            details["from"] = level(from);
        }
        let f = gitlab("project_visibility_level_updated", details);
        let expected = to == 2 || (to == 1 && from.is_none_or(|f| f == 0));
        prop_assert_eq!(change(&f).is_some(), expected, "{:?} -> {}", from, to);
    }
}
