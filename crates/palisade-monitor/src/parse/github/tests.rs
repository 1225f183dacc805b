#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufReader, Read};

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn at() -> RawRef {
    RawRef {
        source: Source::Github,
        file: "audit.json".into(),
        line: 7,
        id: None,
    }
}

fn parse(record: &str) -> Result<Event, Problem> {
    GithubParser.parse(record.as_bytes(), at())
}

/// Each record's line and outcome, and the counts.
type ReadAll = (Vec<(u64, Result<Event, Problem>)>, Stats);

fn read_all(reader: impl BufRead) -> ReadAll {
    let mut events = read(reader, "audit.json");
    let all: Vec<_> = events.by_ref().collect();
    (all, events.into_stats())
}

fn other(what: &str) -> Action {
    Action::Other { what: what.into() }
}

/// Whether `action` is a security change named `what`.
fn is_security(action: &Action, what: &str) -> bool {
    matches!(action, Action::SecurityChange { what: w, change } if w == what && !change.is_empty())
}

/// Records from elastic/integrations, packages/github/data_stream/audit/
/// _dev/test/pipeline/test-audit-json.log and test-enterprise-audit-json.log
/// (Elastic License 2.0), each with the action it must map to.
const ELASTIC: &[(&str, &str)] = &[
    (
        r#"{"actor":"github-actor","org":"Example-Org","repo":"Example-Org/repo-abc-123","created_at":1619733030434,"action":"repo.add_member","actor_location":{"country_code":"US"},"user":"github-user"}"#,
        "security",
    ),
    (
        r#"{"actor":"github-actor","data":{"old_user":"agrinmanriv0537"},"org":"Example-Org","repo":"Example-Org/repo-abc-123","created_at":1619733030516,"action":"repo.transfer","actor_location":{"country_code":"US"}}"#,
        "security",
    ),
    (
        r#"{"actor":"github-actor","org":"Example-Org","repo":"Example-Org/repo-123","created_at":1611616633246,"action":"protected_branch.rejected_ref_update","actor_location":{"country_code":"US"}}"#,
        "other",
    ),
    (
        r#"{"actor":"github-actor","org":"Example-Org","repo":"Example-Org/repo-123","created_at":1611616583742,"action":"protected_branch.create","actor_location":{"country_code":"US"},"user":"github-user"}"#,
        "other",
    ),
    (
        r#"{"actor":"github-actor","org":"Example-Org","created_at":1583364382722,"action":"org.invite_member","actor_location":{"country_code":"US"},"user":"github-user"}"#,
        "other",
    ),
    (
        r#"{"actor":"github-actor","created_at":1619474375960,"action":"pull_request.merge","actor_location":{"country_code":"US"}}"#,
        "other",
    ),
    (
        r#"{"actor":"github-actor","data":{"workflow_id":5295458,"head_branch":"Barrel-Racing-Path","trigger_id":6603009132,"started_at":"2021-02-25T23:29:00.000Z","event":"push","head_sha":"c2b54496f96d8bd518d1b95b3f91e25d7e5a3068","workflow_run_id":601065160},"org":"Example-Org","repo":"Example-Org/repo-123","created_at":1614296047285,"action":"workflows.delete_workflow_run","actor_location":{"country_code":"US"}}"#,
        "other",
    ),
    (
        r#"{"@timestamp": 1698579720000, "action": "repo.create", "active": true, "actor": "alice_dev", "actor_id": 34567, "actor_location": {"country_name": "Canada", "ip": "10.0.0.1"}, "org_id": 98765, "org": "dev-group", "repository": "project-alpha", "repository_public": true, "business": "repo-services", "team": "frontend", "message": "Repository created."}"#,
        "other",
    ),
];

#[test]
fn elastic_records_parse_with_their_fields() {
    for (record, kind) in ELASTIC {
        let event = parse(record).unwrap_or_else(|p| panic!("{record}: {p}"));
        let name = serde_json::from_str::<Value>(record).unwrap()["action"]
            .as_str()
            .unwrap()
            .to_owned();
        match *kind {
            "security" => assert!(is_security(&event.action, &name), "{record}"),
            _ => assert_eq!(event.action, other(&name), "{record}"),
        }
        assert_eq!(event.actor.kind, ActorKind::GithubLogin);
        assert_eq!(event.raw.line, 7);
        assert_eq!(event.raw.file, "audit.json");
    }
    let transfer = parse(ELASTIC[1].0).unwrap();
    assert_eq!(transfer.actor.name, "github-actor");
    assert_eq!(
        transfer.resource,
        Some(Resource::Repository("Example-Org/repo-abc-123".into()))
    );
    assert_eq!(transfer.time.as_millisecond(), 1619733030516);
    assert_eq!(transfer.outcome, Outcome::Success);

    let rejected = parse(ELASTIC[2].0).unwrap();
    assert_eq!(rejected.outcome, Outcome::Failure);

    let invite = parse(ELASTIC[4].0).unwrap();
    assert_eq!(
        invite.resource,
        Some(Resource::Organisation("Example-Org".into()))
    );
    assert_eq!(parse(ELASTIC[5].0).unwrap().resource, None);

    // The enterprise export names the repository without its owner.
    let created = parse(ELASTIC[7].0).unwrap();
    assert_eq!(
        created.resource,
        Some(Resource::Repository("dev-group/project-alpha".into()))
    );
    assert_eq!(created.time.as_millisecond(), 1698579720000);
}

#[test]
fn a_git_clone_with_everything_the_api_gives() {
    let event = parse(
        r#"{"@timestamp":1700000000123,"_document_id":"abc==","action":"git.clone","actor":"vendor-dev","actor_ip":"203.0.113.9","org":"acme","repo":"acme/payments","repository":"acme/payments","repository_public":false,"transport_protocol_name":"ssh","user_agent":"git/2.43.0","created_at":1600000000000}"#,
    )
    .unwrap();
    assert_eq!(event.action, Action::GitClone);
    assert_eq!(event.actor.name, "vendor-dev");
    assert_eq!(event.actor.person, None);
    assert_eq!(
        event.resource,
        Some(Resource::Repository("acme/payments".into()))
    );
    assert_eq!(event.source_address, Some("203.0.113.9".parse().unwrap()));
    // `@timestamp` wins over `created_at`.
    assert_eq!(event.time.as_millisecond(), 1700000000123);
    assert_eq!(event.raw.id.as_deref(), Some("abc=="));
}

#[test]
fn each_listed_action_maps_as_documented() {
    assert_eq!(action("git.clone"), Action::GitClone);
    assert_eq!(action("git.fetch"), Action::GitFetch);
    assert_eq!(action("git.push"), Action::GitPush);
    assert_eq!(action("repo.download_zip"), Action::ArchiveDownload);
    assert_eq!(action("repo.download_tar"), Action::ArchiveDownload);
    // Known only by name, a change that may weaken security is one.
    for name in [
        "protected_branch.destroy",
        "protected_branch.policy_override",
        "repository_ruleset.destroy",
        "repository_ruleset.update",
        "repo.access",
        "repo.transfer",
        "org.add_outside_collaborator",
        "repo.add_member",
        "public_key.create",
        "deploy_key.create",
        "protected_branch.update",
        "protected_branch.update_allow_force_pushes_enforcement_level",
        // A required merge queue is judged by its value; without one the
        // change cannot be shown harmless.
        "protected_branch.update_merge_queue_enforcement_level",
        // Settings and actions not known here.
        "protected_branch.update_required_deployments_enforcement_level",
        "protected_branch.update_some_future_setting",
        "protected_branch.some_future_action",
        "personal_access_token.request_created",
        "personal_access_token.access_granted",
        "audit_log_streaming.destroy",
        "audit_log_streaming.update",
        "org.audit_log_export",
        "business.audit_log_export",
    ] {
        assert!(is_security(&action(name), name), "{name}");
    }
    for name in [
        "protected_branch.create",
        "repo.create",
        "git",
        "",
        "git.clone.extra",
        "org.remove_outside_collaborator",
        "protected_branch.rejected_ref_update",
        "repository_ruleset.create",
        "personal_access_token.access_revoked",
        "audit_log_streaming.check",
    ] {
        assert_eq!(action(name), other(name));
    }
}

/// The words of the security change a record of action `name` with
/// `fields` is, or `None` when it is not one.
fn weakened(name: &str, fields: Value) -> Option<String> {
    match action_of(name, security::Fields::of(&fields)) {
        Action::SecurityChange { change, .. } => Some(change),
        _ => None,
    }
}

#[test]
fn branch_protection_settings_not_known_here_are_reported_with_their_value() {
    let words = weakened(
        "protected_branch.update_required_deployments_enforcement_level",
        json!({"name": "main", "required_deployments_enforcement_level": "off"}),
    );
    assert_eq!(
        words.as_deref(),
        Some("required deployments now off on branch `main`")
    );
    let words = weakened(
        "protected_branch.update_some_future_setting",
        json!({"name": "main", "some_future_setting": "off"}),
    );
    assert_eq!(
        words.as_deref(),
        Some(
            "branch protection setting `some_future_setting` changed to `off`; what it does is not known here on branch `main`"
        )
    );
    let words = weakened(
        "protected_branch.update_some_future_setting",
        json!({"some_future_setting": true, "old_some_future_setting": false}),
    )
    .unwrap();
    assert!(words.contains("changed from `false` to `true`"), "{words}");
    // Whatever it does, a setting the record shows unchanged weakened nothing.
    assert_eq!(
        weakened(
            "protected_branch.update_some_future_setting",
            json!({"some_future_setting": 3, "previous_some_future_setting": 3}),
        ),
        None
    );
    let words = weakened("protected_branch.update_some_future_setting", json!({})).unwrap();
    assert!(words.contains("does not say to what"), "{words}");
    let words = weakened("protected_branch.some_future_action", json!({})).unwrap();
    assert!(words.contains("not known here"), "{words}");
    // A known setting given a value not known here.
    let words = weakened(
        "protected_branch.update_admin_enforced",
        json!({"admin_enforced": "sometimes"}),
    )
    .unwrap();
    assert!(
        words.contains("enforcement for administrators changed to `sometimes`"),
        "{words}"
    );
    // A long value is shortened.
    let long = "x".repeat(500);
    let words = weakened(
        "protected_branch.update_some_future_setting",
        json!({ "some_future_setting": long }),
    )
    .unwrap();
    assert!(words.len() < 250 && words.contains('…'), "{words}");
}

#[test]
fn merge_queue_branch_locks_and_deployments_are_judged_by_value() {
    for (name, key, weak, strong) in [
        (
            "protected_branch.update_merge_queue_enforcement_level",
            "merge_queue_enforcement_level",
            json!("off"),
            json!(1),
        ),
        (
            "protected_branch.update_lock_branch_enforcement_level",
            "lock_branch_enforcement_level",
            json!(0),
            json!("everyone"),
        ),
        (
            "protected_branch.update_lock_allows_fetch_and_merge",
            "lock_allows_fetch_and_merge",
            json!(true),
            json!(false),
        ),
        (
            "protected_branch.update_required_deployments_enforcement_level",
            "required_deployments_enforcement_level",
            json!("off"),
            json!("non_admins"),
        ),
    ] {
        assert!(
            weakened(name, json!({ key: weak })).is_some(),
            "{name} {weak}"
        );
        assert_eq!(weakened(name, json!({ key: strong })), None, "{name}");
    }
    assert_eq!(
        weakened(
            "protected_branch.update_merge_queue_enforcement_level",
            json!({"merge_queue_enforcement_level": "off"}),
        )
        .as_deref(),
        Some("required merge queue now off")
    );
    // In a full snapshot, optional settings at their defaults are silent.
    assert_eq!(
        weakened(
            "protected_branch.update",
            json!({"required_approving_review_count": 1, "merge_queue_enforcement_level": "off",
                   "lock_branch_enforcement_level": "off", "lock_allows_fetch_and_merge": false}),
        ),
        None
    );
}

#[test]
fn ruleset_updates_are_silent_only_when_every_listed_change_is_harmless() {
    let ruleset = |fields: Value| weakened("repository_ruleset.update", fields);
    // A ruleset left disabled or only evaluating, with no level before.
    let words = ruleset(
        json!({"ruleset_name": "main", "ruleset_enforcement": "disabled",
                               "ruleset_rules_added": [{"type": "deletion"}]}),
    )
    .unwrap();
    assert_eq!(
        words,
        "ruleset `main`: enforcement now disabled (the record does not say what it was)"
    );
    let words = ruleset(json!({"ruleset_enforcement": "evaluate",
                               "ruleset_rules_added": [{"type": "deletion"}]}))
    .unwrap();
    assert!(words.contains("which only reports"), "{words}");
    assert_eq!(
        ruleset(
            json!({"ruleset_enforcement": "active", "ruleset_rules_added": [{"type": "deletion"}]})
        ),
        None
    );
    // Levels not known here.
    let words =
        ruleset(json!({"ruleset_enforcement": "paused", "ruleset_old_enforcement": "active"}))
            .unwrap();
    assert!(words.contains("changed from active to paused"), "{words}");
    let words = ruleset(json!({"ruleset_enforcement": "paused"})).unwrap();
    assert!(words.contains("not known here"), "{words}");
    let words = ruleset(json!({"ruleset_old_enforcement": "active"})).unwrap();
    assert!(words.contains("does not say to what"), "{words}");
    // Empty lists list no change.
    for empty in [
        json!({"ruleset_rules_deleted": []}),
        json!({"ruleset_bypass_actors_added": []}),
        json!({"ruleset_bypass_actors_deleted": [], "ruleset_rules_added": ""}),
        json!({"ruleset_rules_updated": [], "ruleset_conditions_updated": []}),
        json!({"ruleset_rules_deleted": "[]", "ruleset_rules_added": "  "}),
    ] {
        let words = ruleset(empty.clone()).unwrap_or_else(|| panic!("{empty}"));
        assert!(words.contains("does not say how"), "{empty}: {words}");
    }
    // Lists written as JSON text are read.
    let words = ruleset(json!({"ruleset_rules_deleted": "[{\"type\":\"pull_request\"}]"})).unwrap();
    assert!(words.contains("rules removed: pull_request"), "{words}");
    assert_eq!(
        ruleset(json!({"ruleset_bypass_actors_deleted": "[{\"actor_id\":4}]"})),
        None
    );
    // The branches or repositories it applies to.
    for key in [
        "ruleset_conditions_added",
        "ruleset_conditions_updated",
        "ruleset_conditions_deleted",
    ] {
        let words = ruleset(json!({
            "ruleset_enforcement": "active",
            "ruleset_rules_added": [{"type": "deletion"}],
            key: [{"target": "ref_name", "parameters": {"include": ["~DEFAULT_BRANCH"], "exclude": []}}],
        }))
        .unwrap_or_else(|| panic!("{key}"));
        assert!(
            words.contains("the branches or repositories the ruleset applies to changed"),
            "{key}: {words}"
        );
    }
}

#[test]
fn ruleset_rule_parameters_are_compared_or_reported() {
    let rule = |kind: &str, old: Value, new: Value| {
        weakened(
            "repository_ruleset.update",
            json!({"ruleset_name": "main", "ruleset_enforcement": "active",
                   "ruleset_rules_updated": [{"type": kind, "old_parameters": old, "parameters": new}]}),
        )
    };
    let checks = |names: &[&str]| {
        json!({"strict_required_status_checks_policy": true,
               "required_status_checks": names.iter().map(|n| json!({"context": n})).collect::<Vec<_>>()})
    };
    assert_eq!(
        rule("required_status_checks", checks(&["ci"]), checks(&[])).as_deref(),
        Some("ruleset `main`: rule required_status_checks: required status checks removed: ci")
    );
    assert_eq!(
        rule(
            "required_status_checks",
            checks(&["ci"]),
            checks(&["ci", "lint"])
        ),
        None
    );
    assert_eq!(
        rule(
            "required_status_checks",
            checks(&["ci", "lint"]),
            checks(&["lint", "ci"])
        ),
        None
    );
    // The same check, now accepted from any app.
    let words = rule(
        "required_status_checks",
        json!({"required_status_checks": [{"context": "ci", "integration_id": 15368}]}),
        json!({"required_status_checks": [{"context": "ci"}]}),
    )
    .unwrap();
    assert!(
        words.ends_with("required status checks changed: ci"),
        "{words}"
    );
    // Required reviewers: fewer is a weakening.
    let reviewer = |id: i64| json!({"minimum_approvals": 1, "file_patterns": ["*"], "reviewer": {"id": id, "type": "Team"}});
    let words = rule(
        "pull_request",
        json!({"required_reviewers": [reviewer(4), reviewer(9)]}),
        json!({"required_reviewers": [reviewer(9)]}),
    )
    .unwrap();
    assert!(
        words.contains("required reviewers removed: Team 4"),
        "{words}"
    );
    // Parameters not known here, or a setting unset: reported.
    let words = rule(
        "commit_message_pattern",
        json!({"operator": "starts_with", "pattern": "JIRA-"}),
        json!({"operator": "starts_with", "pattern": ""}),
    )
    .unwrap();
    assert!(
        words.contains("`pattern` changed from JIRA- to ; what it does is not known here"),
        "{words}"
    );
    let words = rule(
        "pull_request",
        json!({"required_approving_review_count": 1, "require_code_owner_review": true}),
        json!({"required_approving_review_count": 1}),
    )
    .unwrap();
    assert!(
        words.contains("required code owner review changed from on to not set"),
        "{words}"
    );
    // Limits: larger allows more.
    assert!(
        rule(
            "max_file_size",
            json!({"max_file_size": 10}),
            json!({"max_file_size": 100})
        )
        .is_some()
    );
    assert_eq!(
        rule(
            "max_file_size",
            json!({"max_file_size": 100}),
            json!({"max_file_size": 10})
        ),
        None
    );
    // Settings a ruleset rule has that branch protection lacks.
    assert!(
        rule(
            "workflows",
            json!({"do_not_enforce_on_create": false}),
            json!({"do_not_enforce_on_create": true})
        )
        .is_some()
    );
    assert!(
        rule(
            "update",
            json!({"update_allows_fetch_and_merge": false}),
            json!({"update_allows_fetch_and_merge": true})
        )
        .is_some()
    );
    // How the merge queue batches its work weakens nothing.
    assert_eq!(
        rule(
            "merge_queue",
            json!({"merge_method": "MERGE", "max_entries_to_build": 5, "grouping_strategy": "ALLGREEN"}),
            json!({"merge_method": "SQUASH", "max_entries_to_build": 10, "grouping_strategy": "HEADGREEN"}),
        ),
        None
    );
    // Parameters the record does not give, as before.
    let words = weakened(
        "repository_ruleset.update",
        json!({"ruleset_rules_updated": [{"type": "pull_request", "parameters": {}}]}),
    )
    .unwrap();
    assert!(
        words.contains("rule pull_request changed (the record does not say how)"),
        "{words}"
    );
    let words = weakened(
        "repository_ruleset.update",
        json!({"ruleset_rules_updated": {"type": "deletion"}}),
    )
    .unwrap();
    assert!(words.contains("rule deletion changed"), "{words}");
}

#[test]
fn visibility_made_internal_from_an_unknown_value_is_reported() {
    let access = |fields: Value| weakened("repo.access", fields);
    assert_eq!(
        access(json!({"visibility": "internal"})).as_deref(),
        Some(
            "made internal (the record does not say what it was): if it was private, every member of the enterprise may now read it"
        )
    );
    assert_eq!(
        access(json!({"visibility": "internal", "previous_visibility": "private"})).as_deref(),
        Some("made internal (was private): every member of the enterprise may read it")
    );
    assert_eq!(
        access(json!({"visibility": "internal", "previous_visibility": "public"})),
        None
    );
    assert!(access(json!({"visibility": "secret"})).is_some());
    assert_eq!(access(json!({"visibility": "private"})), None);
}

#[test]
fn times_in_every_shape_github_and_shippers_write() {
    let time = |t: &str| {
        parse(&format!(
            r#"{{"action":"x.y","actor":"a","created_at":{t}}}"#
        ))
        .map(|e| e.time.to_string())
    };
    assert_eq!(time("1614692646139").unwrap(), "2021-03-02T13:44:06.139Z");
    assert_eq!(time("1614692646139.0").unwrap(), "2021-03-02T13:44:06.139Z");
    assert_eq!(
        time(r#""1624445969188.000000""#).unwrap(),
        "2021-06-23T10:59:29.188Z"
    );
    assert_eq!(
        time(r#""2023-01-31 18:58:27.638""#).unwrap(),
        "2023-01-31T18:58:27.638Z"
    );
    assert_eq!(
        time(r#""2021-03-02T14:44:06+01:00""#).unwrap(),
        "2021-03-02T13:44:06Z"
    );
    for bad in ["true", r#""yesterday""#, "1e300", "{}", r#""""#] {
        assert!(
            matches!(
                time(bad),
                Err(Problem::Field {
                    field: "created_at",
                    ..
                })
            ),
            "{bad}: {:?}",
            time(bad)
        );
    }
    assert_eq!(
        parse(r#"{"action":"x.y","actor":"a"}"#),
        Err(Problem::Field {
            field: "@timestamp",
            what: "is missing".into()
        })
    );
}

#[test]
fn records_without_an_actor() {
    // A public repository read anonymously is nobody's activity.
    let public = r#"{"@timestamp":1614692646139,"org":"org-demo","repo":"org-demo/public-repo","action":"git.clone","repository_public":true}"#;
    assert!(matches!(parse(public), Err(Problem::Skipped(_))));
    // A private one is kept, by an actor no identity resolves.
    let private = r#"{"actor":"","@timestamp":1614692691041,"repo":"org-demo/private-repo-2","action":"git.clone","repository_public":false}"#;
    let event = parse(private).unwrap();
    assert_eq!(event.actor.name, ANONYMOUS);
    assert_eq!(event.action, Action::GitClone);
    assert!(matches!(
        parse(r#"{"actor":7,"@timestamp":1,"action":"git.clone"}"#),
        Err(Problem::Field { field: "actor", .. })
    ));
}

#[test]
fn malformed_and_truncated_records_are_told_apart() {
    let key = |s: &str| parse(s).map(|_| ()).map_err(|p| p.key());
    assert_eq!(
        key(r#"{"action":"git.clone","actor":"a","@timesta"#),
        Err("truncated")
    );
    assert_eq!(key(r#"{"action":"git.clone",,}"#), Err("malformed"));
    assert_eq!(key("not json"), Err("malformed"));
    assert_eq!(key("[1,2]"), Err("malformed"));
    assert_eq!(key(""), Err("malformed"));
    assert_eq!(key(r#"{"actor":"a","@timestamp":1}"#), Err("field"));
    assert_eq!(
        key(r#"{"action":5,"actor":"a","@timestamp":1}"#),
        Err("field")
    );
    assert_eq!(
        key(r#"{"action":"a.b","action":"c.d","actor":"a","@timestamp":1}"#),
        Err("malformed")
    );
    assert!(matches!(
        GithubParser.parse(b"{\"action\":\"git.clone\",\"actor\":\"\xff\"}", at()),
        Err(Problem::InvalidUtf8 { at: 31 })
    ));
    // Escaped strings are read, not borrowed.
    let event = parse(r#"{"action":"git.\u0063lone","actor":"a\"b","@timestamp":1}"#).unwrap();
    assert_eq!(event.action, Action::GitClone);
    assert_eq!(event.actor.name, "a\"b");
}

#[test]
fn ndjson_with_bad_lines_is_read_to_the_end_and_counted() {
    let input = b"{\"action\":\"git.push\",\"actor\":\"a\",\"@timestamp\":3000}\r\n\
\n\
{\"action\":\"git.clone\",\"actor\":\"a\",\"@times\n\
garbage\n\
{\"action\":\"repo.rename\",\"actor\":\"b\",\"@timestamp\":1000}\n\
{\"action\":\"git.fetch\",\"actor\":\"\xfe\",\"@timestamp\":2000}\n\
   \n\
{\"action\":\"git.fetch\",\"actor\":\"c\",\"@timestamp\":2000}";
    let (all, stats) = read_all(&input[..]);
    let lines: Vec<_> = all.iter().map(|(l, r)| (*l, r.is_ok())).collect();
    assert_eq!(
        lines,
        [
            (1, true),
            (3, false),
            (4, false),
            (5, true),
            (6, false),
            (8, true)
        ]
    );
    // Out of order times stay in the order read: parsers do not sort.
    let times: Vec<_> = all
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|e| e.time.as_millisecond())
        .collect();
    assert_eq!(times, [3000, 1000, 2000]);
    assert_eq!(stats.records, 6);
    assert_eq!(stats.events, 3);
    assert_eq!(stats.other, 1, "repo.rename is read but not understood");
    assert_eq!(stats.problems.get("truncated"), Some(&1));
    assert_eq!(stats.problems.get("malformed"), Some(&1));
    assert_eq!(stats.problems.get("invalid_utf8"), Some(&1));
    assert_eq!(stats.examples.len(), 3);
    assert_eq!(all[0].1.as_ref().unwrap().raw.line, 1);
    assert_eq!(all[5].1.as_ref().unwrap().raw.line, 8);
}

/// The same records as NDJSON, a compact array, a pretty-printed array, and
/// pages of arrays one after another, read in chunks of every small size.
#[test]
fn arrays_and_lines_give_the_same_events() {
    let records = [
        json!({"action":"git.clone","actor":"a","@timestamp":1,"repo":"o/r[1]"}),
        json!({"action":"git.push","actor":"b}{","@timestamp":2,"data":{"x":[1,{"y":"]"}]}}),
        json!({"action":"repo.access","actor":"c\"]","created_at":3,"visibility":"public"}),
    ];
    let ndjson: String = records.iter().map(|r| format!("{r}\n")).collect();
    let compact = serde_json::to_string(&records).unwrap();
    let pretty = format!(
        "\u{feff}{}\n",
        serde_json::to_string_pretty(&records).unwrap()
    );
    let pages = format!(
        "{}\n{}",
        serde_json::to_string(&records[..2]).unwrap(),
        serde_json::to_string(&records[2..]).unwrap()
    );
    let expected: Vec<_> = records
        .iter()
        .map(|r| parse(&r.to_string()).unwrap())
        .map(|e| (e.action, e.actor.name, e.resource, e.time))
        .collect();
    for input in [&ndjson, &compact, &pretty, &pages] {
        for capacity in [1, 2, 3, 7, 64, 8192] {
            let (all, stats) = read_all(BufReader::with_capacity(capacity, input.as_bytes()));
            let got: Vec<_> = all
                .into_iter()
                .map(|(_, r)| r.unwrap())
                .map(|e| (e.action, e.actor.name, e.resource, e.time))
                .collect();
            assert_eq!(got, expected, "{input:?} in chunks of {capacity}");
            assert_eq!(stats.records, 3);
        }
    }
    // Elements start on the lines they start on.
    let (all, _) = read_all(pretty.as_bytes());
    let lines: Vec<_> = all.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [2, 8, 21]);
}

#[test]
fn a_broken_array_is_counted_not_fatal() {
    // Scalars, an empty object, and an element cut off by the end of input.
    let input = r#"[1, "two", {}, {"action":"git.clone","actor":"a","@timestamp":1}, null,
 {"action":"git.push","actor":"a","@timestamp":"#;
    let (all, stats) = read_all(input.as_bytes());
    let keys: Vec<_> = all
        .iter()
        .map(|(_, r)| r.as_ref().map(|_| "event").unwrap_or_else(|p| p.key()))
        .collect();
    assert_eq!(
        keys,
        [
            "malformed",
            "malformed",
            "field",
            "event",
            "malformed",
            "truncated"
        ]
    );
    assert_eq!(all.last().unwrap().0, 2);
    assert_eq!(stats.records, 6);
    // Stray closers and an array that is not closed.
    let (all, _) =
        read_all(&b"[}}, {\"action\":\"git.clone\",\"actor\":\"a\",\"@timestamp\":1}"[..]);
    assert_eq!(all.len(), 3);
    assert!(all[2].1.is_ok());
    // Empty input, an empty array, white space.
    for empty in ["", "[]", " \n\t", "[ ]\n[]"] {
        assert_eq!(read_all(empty.as_bytes()).1, Stats::default());
    }
}

#[test]
fn an_overlong_record_is_skipped_and_the_next_one_read() {
    let long = format!(
        r#"{{"action":"git.clone","actor":"a","@timestamp":1,"pad":"{}"}}"#,
        "x".repeat(MAX_RECORD)
    );
    let ok = r#"{"action":"git.fetch","actor":"a","@timestamp":1}"#;
    for input in [format!("{long}\n{ok}\n"), format!("[{long},\n{ok}]")] {
        let (all, stats) = read_all(BufReader::with_capacity(4096, input.as_bytes()));
        assert_eq!(all.len(), 2);
        assert!(matches!(all[0].1, Err(Problem::Malformed(_))));
        assert_eq!(all[1].1.as_ref().unwrap().action, Action::GitFetch);
        assert_eq!(stats.problems.get("malformed"), Some(&1));
    }
}

/// A reader that makes `n` records as they are read, so that a stream far
/// larger than memory would allow can be read; every 1000th is cut short,
/// every 997th holds invalid UTF-8, and time steps back every 10th.
struct Generated {
    n: u64,
    i: u64,
    array: bool,
    pending: Vec<u8>,
    pos: usize,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            if self.i > self.n {
                return Ok(0);
            }
            if self.i == 0 {
                if self.array {
                    self.pending.push(b'[');
                }
            } else {
                let i = self.i;
                let time =
                    1_700_000_000_000 + i * 1000 - if i.is_multiple_of(10) { 50_000 } else { 0 };
                let mut record = format!(
                    r#"{{"@timestamp":{time},"action":"{}","actor":"dev{}","repo":"acme/r{}","actor_ip":"10.0.{}.{}"}}"#,
                    ["git.clone", "git.fetch", "git.push", "repo.download_zip", "team.add_member"][(i % 5) as usize],
                    i % 37,
                    i % 101,
                    i % 250,
                    i % 199,
                )
                .into_bytes();
                if i.is_multiple_of(1000) {
                    record.truncate(record.len() / 2);
                    if self.array {
                        // The rest of a cut-off element: closes it late.
                        record.extend_from_slice(b"\"}");
                    }
                } else if i.is_multiple_of(997) {
                    record[25] = 0xff;
                }
                if self.array && i > 1 {
                    self.pending.push(b',');
                }
                self.pending.extend_from_slice(&record);
                self.pending.push(b'\n');
            }
            if self.i == self.n && self.array {
                self.pending.push(b']');
            }
            self.i += 1;
        }
        let k = out.len().min(self.pending.len() - self.pos);
        out[..k].copy_from_slice(&self.pending[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

#[test]
fn a_long_stream_is_read_in_constant_memory_with_every_problem_counted() {
    const N: u64 = 200_000;
    for array in [false, true] {
        let reader = BufReader::new(Generated {
            n: N,
            i: 0,
            array,
            pending: Vec::new(),
            pos: 0,
        });
        let mut events = read(reader, "-");
        let mut last_line = 0;
        let mut backwards = 0;
        let mut previous = None;
        for (line, outcome) in events.by_ref() {
            assert!(line > last_line, "lines only grow");
            last_line = line;
            if let Ok(event) = outcome {
                if previous.is_some_and(|p| event.time < p) {
                    backwards += 1;
                }
                previous = Some(event.time);
            }
        }
        let stats = events.into_stats();
        let cut = (1..=N).filter(|i| i.is_multiple_of(1000)).count() as u64;
        let invalid = (1..=N)
            .filter(|i| i.is_multiple_of(997) && !i.is_multiple_of(1000))
            .count() as u64;
        let other = (1..=N)
            .filter(|i| i % 5 == 4 && !i.is_multiple_of(1000) && !i.is_multiple_of(997))
            .count() as u64;
        assert_eq!(stats.records, N, "array: {array}");
        assert_eq!(stats.events, N - cut - invalid);
        assert_eq!(
            stats.other, other,
            "team.add_member is read but not understood"
        );
        let cut_key = if array { "malformed" } else { "truncated" };
        assert_eq!(stats.problems.get(cut_key), Some(&cut));
        assert_eq!(stats.problems.get("invalid_utf8"), Some(&invalid));
        assert!(backwards > 0);
        assert!(last_line >= N);
    }
}

#[allow(clippy::print_stderr)]
#[test]
fn public_samples_when_present() {
    // PALISADE_MONITOR_SAMPLES names a directory with `github/` holding
    // public audit-log records (JSON arrays or NDJSON), fetched outside the
    // repository; see the crate's test notes.
    let Some(dir) = std::env::var_os("PALISADE_MONITOR_SAMPLES") else {
        eprintln!("skipped: PALISADE_MONITOR_SAMPLES is not set");
        return;
    };
    let dir = std::path::Path::new(&dir).join("github");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut total = Stats::default();
    let mut by_action = std::collections::BTreeMap::<String, u64>::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let mut records = JsonRecords::new(&bytes[..]);
        let mut stats = Stats::default();
        while let Some((line, record)) = records.next_record() {
            let record = record.map(<[u8]>::to_vec);
            let outcome = match &record {
                Ok(bytes) => GithubParser.parse(bytes, RawRef { line, ..at() }),
                Err(p) => Err(p.clone()),
            };
            stats.count(line, &outcome);
            let value = record
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let name = value
                .as_ref()
                .and_then(|v| v["action"].as_str())
                .map(str::to_owned);
            match (&outcome, &name) {
                (Ok(event), Some(name)) => {
                    *by_action.entry(name.clone()).or_default() += 1;
                    let v = value.as_ref().unwrap();
                    assert_eq!(
                        event.action,
                        action_of(name, security::Fields::of(v)),
                        "{}:{line}",
                        path.display()
                    );
                    if let Some(ip) = v["actor_ip"].as_str() {
                        assert_eq!(event.source_address, ip.parse().ok());
                    }
                    if let Some(actor) = v["actor"].as_str().filter(|a| !a.is_empty()) {
                        assert_eq!(event.actor.name, actor);
                    }
                }
                (Ok(_), None) => panic!("{}:{line}: an event without an action", path.display()),
                // Valid JSON that is refused must be refused for a field or
                // skipped, never as malformed.
                (Err(p), _) if value.is_some() => assert!(
                    matches!(p, Problem::Field { .. } | Problem::Skipped(_)),
                    "{}:{line}: {p}",
                    path.display()
                ),
                (Err(_), _) => {}
            }
        }
        eprintln!(
            "{}: {} records, {} events ({} other), problems {:?}",
            path.display(),
            stats.records,
            stats.events,
            stats.other,
            stats.problems
        );
        total.records += stats.records;
        total.events += stats.events;
        total.other += stats.other;
    }
    eprintln!("github samples: {total:?}");
    eprintln!("events by action: {by_action:?}");
    assert!(total.events > 0);
    for git in ["git.clone", "git.fetch", "git.push"] {
        assert!(by_action.contains_key(git), "no {git} among the samples");
    }
}

/// Branch-protection settings judged here by their values.
const KNOWN_SETTINGS: &[&str] = &[
    "required_approving_review_count",
    "pull_request_reviews_enforcement_level",
    "required_status_checks_enforcement_level",
    "admin_enforced",
    "allow_force_pushes_enforcement_level",
    "allow_deletions_enforcement_level",
    "strict_required_status_checks_policy",
    "require_code_owner_review",
    "require_last_push_approval",
    "ignore_approvals_from_contributors",
    "signature_requirement_enforcement_level",
    "linear_history_requirement_enforcement_level",
    "merge_queue_enforcement_level",
    "required_deployments_enforcement_level",
    "required_review_thread_resolution_enforcement_level",
    "lock_branch_enforcement_level",
    "lock_allows_fetch_and_merge",
    "dismiss_stale_reviews_on_push",
];

/// Rule parameters judged here: the settings, the ruleset's own, the lists
/// of requirements and the workflow parameters.
const KNOWN_PARAMETERS: &[&str] = &[
    "required_approving_review_count",
    "pull_request_reviews_enforcement_level",
    "required_status_checks_enforcement_level",
    "admin_enforced",
    "allow_force_pushes_enforcement_level",
    "allow_deletions_enforcement_level",
    "strict_required_status_checks_policy",
    "require_code_owner_review",
    "require_last_push_approval",
    "ignore_approvals_from_contributors",
    "signature_requirement_enforcement_level",
    "linear_history_requirement_enforcement_level",
    "merge_queue_enforcement_level",
    "required_deployments_enforcement_level",
    "required_review_thread_resolution_enforcement_level",
    "lock_branch_enforcement_level",
    "lock_allows_fetch_and_merge",
    "dismiss_stale_reviews_on_push",
    "required_review_thread_resolution",
    "do_not_enforce_on_create",
    "update_allows_fetch_and_merge",
    "max_file_size",
    "max_file_path_length",
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

fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "action",
        "actor",
        "@timestamp",
        "created_at",
        "repo",
        "repository",
        "org",
        "business",
        "actor_ip",
        "_document_id",
        "repository_public",
        "data",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "git.clone",
            "repo.access",
            "",
            "1614692646139",
            "2023-01-31 18:58:27.638",
            "::1",
            "o/r",
        ])
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = GithubParser.parse(&bytes, at());
        let (all, stats) = read_all(BufReader::with_capacity(5, &bytes[..]));
        prop_assert_eq!(stats.records, all.len() as u64);
        prop_assert!(all.iter().all(|(line, _)| *line >= 1));
    }

    #[test]
    fn arbitrary_json_never_panics(values in prop::collection::vec(json_value(), 0..6)) {
        for v in &values {
            let _ = parse(&v.to_string());
        }
        let array = Value::Array(values.clone()).to_string();
        let (all, _) = read_all(array.as_bytes());
        prop_assert_eq!(all.len(), values.len());
        let lines: String = values.iter().map(|v| format!("{v}\n")).collect();
        let _ = read_all(lines.as_bytes());
    }

    /// Any `protected_branch.update_…` setting not known here is reported,
    /// naming it, whatever its value, unless shown unchanged.
    #[test]
    fn a_generated_unknown_setting_is_reported(
        key in "[a-z]{3,10}(_[a-z]{2,8}){0,3}",
        value in prop_oneof![
            Just(json!("off")), Just(json!("everyone")), Just(json!(true)), Just(json!(false)),
            any::<i64>().prop_map(Value::from), ".{0,20}".prop_map(Value::from),
        ],
        before in proptest::option::of(prop_oneof![Just(json!("off")), Just(json!(true)), Just(json!(0))]),
        in_data in any::<bool>(),
    ) {
        prop_assume!(!KNOWN_SETTINGS.contains(&key.as_str()));
        let mut fields = json!({ key.clone(): value.clone() });
        if let Some(before) = &before {
            fields[format!("old_{key}")] = before.clone();
        }
        let fields = if in_data { json!({"data": fields}) } else { fields };
        let words = weakened(&format!("protected_branch.update_{key}"), fields);
        if before.as_ref() == Some(&value) {
            prop_assert_eq!(words, None);
        } else {
            let words = words.unwrap();
            prop_assert!(words.contains(&format!("`{key}`")) && words.contains("not known here"), "{}", words);
        }
    }

    /// Rule parameters not known here: any change of them is reported.
    #[test]
    fn a_generated_unknown_rule_parameter_is_reported(
        key in "[a-z]{3,10}(_[a-z]{2,8}){0,2}",
        old in any::<i32>(),
        new in any::<i32>(),
    ) {
        prop_assume!(!KNOWN_PARAMETERS.contains(&key.as_str()));
        let words = weakened("repository_ruleset.update", json!({
            "ruleset_enforcement": "active",
            "ruleset_rules_updated": [{"type": "x", "old_parameters": {key.clone(): old}, "parameters": {key.clone(): new}}],
        }));
        prop_assert_eq!(words.is_some(), old != new, "{:?}", words);
    }

    #[test]
    fn a_generated_record_round_trips(
        actor in "[A-Za-z0-9][A-Za-z0-9-]{0,38}",
        owner in "[A-Za-z0-9-]{1,20}",
        name in "[A-Za-z0-9._-]{1,30}",
        which in 0usize..6,
        ms in 0i64..4_102_444_800_000,
        ip in any::<std::net::IpAddr>(),
        id in "[A-Za-z0-9_=-]{1,24}",
        as_string in any::<bool>(),
    ) {
        let name_of = ["git.clone", "git.fetch", "git.push", "repo.download_zip", "repo.access", "issue.create"][which];
        let repo = format!("{owner}/{name}");
        let mut record = json!({
            "action": name_of, "actor": actor, "repo": repo, "org": owner,
            "actor_ip": ip.to_string(), "_document_id": id,
        });
        record["@timestamp"] = if as_string { json!(ms.to_string()) } else { json!(ms) };
        let event = parse(&record.to_string()).unwrap();
        prop_assert_eq!(event.action, action(name_of));
        prop_assert_eq!(&event.actor.name, &actor);
        prop_assert_eq!(event.resource, Some(Resource::Repository(repo)));
        prop_assert_eq!(event.source_address, Some(ip));
        prop_assert_eq!(event.time.as_millisecond(), ms);
        prop_assert_eq!(event.raw.id, Some(id));
    }
}
