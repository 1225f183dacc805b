#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufReader;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::parse::Stats;

fn at() -> RawRef {
    RawRef {
        source: Source::Gitlab,
        file: "audit.json".into(),
        line: 3,
        id: None,
    }
}

fn parse(record: &str) -> Result<Event, Problem> {
    GitlabParser.parse(record.as_bytes(), at())
}

/// Each record's line and outcome, and the counts.
type ReadAll = (Vec<(u64, Result<Event, Problem>)>, Stats);

fn read_all(reader: impl BufRead) -> ReadAll {
    let mut events = read(reader, "audit.json");
    let all: Vec<_> = events.by_ref().collect();
    (all, events.into_stats())
}

/// A streamed git operation as GitLab's streaming documentation shows it,
/// with the custom message and author varied.
fn streamed(message: Value, author: &str, class: &str) -> String {
    json!({
        "id": 1, "author_id": 1, "entity_id": 29, "entity_type": "Project",
        "details": {
            "author_name": author, "author_class": class,
            "target_id": 29, "target_type": "Project", "target_details": "example-project",
            "custom_message": message, "ip_address": "127.0.0.1",
            "entity_path": "example-group/example-project"
        },
        "ip_address": "127.0.0.1", "author_name": author,
        "entity_path": "example-group/example-project", "target_details": "example-project",
        "created_at": "2022-02-23T06:21:05.283Z", "target_type": "Project", "target_id": 29,
        "event_type": "repository_git_operation"
    })
    .to_string()
}

/// Lines of elastic/integrations, packages/gitlab/data_stream/audit/_dev/
/// test/pipeline/test-audit.log (Elastic License 2.0): GitLab's
/// `audit_json.log`.
const ELASTIC: [&str; 2] = [
    r#"{"severity": "INFO","time": "2024-05-10T17:46:49.065Z","correlation_id": "01HXHSTQ5A02PJVVW2H8FZZ77A","meta.caller_id": "SessionsController#create","meta.remote_ip": "208.58.198.174","meta.feature_category": "system_access","meta.user": "root","meta.user_id": 1,"meta.client_id": "user/1","author_id": 1,"author_name": "Administrator","entity_id": 1,"entity_type": "User","created_at": "2024-05-10T17:46:49.058+00:00","with": "standard","target_id": 1,"target_type": "User","target_details": "Administrator"}"#,
    r#"{"severity": "INFO","time": "2018-10-17T17:38:22.523Z","author_id": 3,"entity_id": 2,"entity_type": "Project","change": "visibility","from": "Private","to": "Public","author_name": "John Doe4","target_id": 2,"target_type": "Project","target_details": "namespace2/project2"}"#,
];

#[test]
fn elastic_audit_json_log_lines() {
    let login = parse(ELASTIC[0]).unwrap();
    assert_eq!(login.actor.name, "root");
    assert_eq!(login.actor.kind, ActorKind::GitlabUsername);
    assert_eq!(login.time.to_string(), "2024-05-10T17:46:49.058Z");
    assert_eq!(
        login.source_address,
        Some("208.58.198.174".parse().unwrap())
    );
    assert_eq!(login.resource, None);
    // A sign-in: no name, no message, no change; `with` says how.
    assert_eq!(
        login.action,
        Action::Login {
            method: "standard".into()
        }
    );

    let public = parse(ELASTIC[1]).unwrap();
    assert_eq!(
        public.action,
        Action::SecurityChange {
            what: "change visibility".into(),
            change: "made public (was private)".into(),
        }
    );
    assert_eq!(public.actor.name, "John Doe4");
    assert_eq!(
        public.resource,
        Some(Resource::Repository("namespace2/project2".into()))
    );
    // `created_at` is missing: `time` is used.
    assert_eq!(public.time.to_string(), "2018-10-17T17:38:22.523Z");
}

#[test]
fn streamed_git_operations() {
    let cases = [
        (
            json!({"protocol": "ssh", "action": "git-upload-pack"}),
            Action::GitFetch,
        ),
        (
            json!({"protocol": "http", "action": "git-receive-pack"}),
            Action::GitPush,
        ),
        (
            json!({"protocol": "ssh", "action": "git-upload-archive"}),
            Action::ArchiveDownload,
        ),
        (
            json!({"protocol": "ssh", "action": "git-upload-pack", "verb": "clone"}),
            Action::GitClone,
        ),
        (
            json!({"protocol": "http", "action": "git-upload-pack", "verb": "pull"}),
            Action::GitFetch,
        ),
        (json!({"protocol": "ssh", "verb": "push"}), Action::GitPush),
        (
            json!("Repository Download Started"),
            Action::ArchiveDownload,
        ),
        (
            json!({"protocol": "ssh", "action": "git-frobnicate"}),
            Action::Other {
                what: "repository_git_operation".into(),
            },
        ),
    ];
    for (message, expected) in cases {
        let event = parse(&streamed(message.clone(), "Administrator", "User")).unwrap();
        assert_eq!(event.action, expected, "{message}");
        assert_eq!(
            event.resource,
            Some(Resource::Repository("example-group/example-project".into()))
        );
        assert_eq!(event.source_address, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(event.raw.id.as_deref(), Some("1"));
        assert_eq!(event.actor.kind, ActorKind::GitlabUsername);
        assert_eq!(event.outcome, Outcome::Success);
    }
    let key = parse(&streamed(
        json!({"protocol": "ssh", "action": "git-upload-pack"}),
        "deploy-key-name",
        "DeployKey",
    ))
    .unwrap();
    assert_eq!(key.actor.name, "deploy-key-name");
}

#[test]
fn api_records_name_the_author_by_email() {
    let event = parse(
        r#"{"id":7,"author_id":1,"entity_id":6,"entity_type":"Project","event_name":"project_archived",
            "details":{"custom_message":"Project archived","author_name":"Administrator",
            "author_email":"admin@example.com","target_id":"flightjs/flight","target_type":"Project",
            "target_details":"flightjs/flight","ip_address":"127.0.0.1","entity_path":"flightjs/flight"},
            "created_at":"2019-08-30T07:00:41.885Z"}"#,
    )
    .unwrap();
    assert_eq!(event.actor.name, "admin@example.com");
    assert_eq!(event.actor.kind, ActorKind::Email);
    assert_eq!(
        event.action,
        Action::Other {
            what: "project_archived".into()
        }
    );
    assert_eq!(event.raw.id.as_deref(), Some("7"));
    // A username wins over the e-mail.
    let event = parse(
        r#"{"author_username":"vendor.dev","details":{"author_email":"v@example.com","author_name":"V"},
            "event_name":"member_created","entity_type":"Group","entity_path":"acme","created_at":"2024-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(
        (event.actor.name.as_str(), event.actor.kind),
        ("vendor.dev", ActorKind::GitlabUsername)
    );
    assert_eq!(event.resource, Some(Resource::Organisation("acme".into())));
    assert_eq!(
        event.action,
        Action::SecurityChange {
            what: "member_created".into(),
            change: "a member added".into(),
        }
    );
}

#[test]
fn security_changes_by_name_message_and_change() {
    let security = |name: Option<&str>, message: Option<&str>, change: Change<'_>| {
        security::weakening(name, message, change, None).is_some()
    };
    for (name, _) in security::ALWAYS {
        assert!(security(Some(name), None, Change::default()), "{name}");
    }
    for name in [
        "protected_branch_removed",
        "protected_branch_updated",
        "protected_branch_allow_force_push_updated",
        "audit_events_streaming_headers_destroy",
        "audit_events_streaming_instance_headers_create",
        "destroy_instance_event_streaming_destination",
        "update_external_audit_event_destination",
        "amazon_s3_configuration_deleted",
        "google_cloud_logging_configuration_updated",
        "update_aproval_rules",
        "project_visibility_level_updated",
    ] {
        assert!(security(Some(name), None, Change::default()), "{name}");
    }
    for name in [
        "protected_branch_created",
        "approval_rule_created",
        "project_archived",
    ] {
        assert!(!security(Some(name), None, Change::default()), "{name}");
    }
    for message in [
        "Unprotected branch main",
        "Created personal access token with id 4",
        "Created project access token with token_id: 9",
        "Added deploy key",
    ] {
        assert!(
            security(None, Some(message), Change::default()),
            "{message}"
        );
    }
    assert!(!security(None, Some("Project archived"), Change::default()));
    let change = |change, add, remove| Change {
        change,
        add,
        remove,
        ..Change::default()
    };
    // A visibility change that does not say to what cannot be shown harmless.
    assert!(security(None, None, change(Some("visibility"), None, None)));
    assert!(security(
        None,
        None,
        change(Some("visibility level"), None, None)
    ));
    assert!(security(
        None,
        None,
        change(None, Some("user_access"), None)
    ));
    assert!(security(None, None, change(None, Some("deploy_key"), None)));
    assert!(security(
        None,
        None,
        change(None, None, Some("protected_branch"))
    ));
    assert!(!security(
        None,
        None,
        change(Some("email address"), Some("group"), Some("user_access"))
    ));
}

#[test]
fn visibility_made_internal_from_an_unknown_level_is_reported() {
    let words = |from: Option<Value>, to: Value| {
        let change = Change {
            change: Some("visibility"),
            from: from.as_ref(),
            to: Some(&to),
            ..Change::default()
        };
        security::weakening(Some("project_visibility_level_updated"), None, change, None)
    };
    assert_eq!(
        words(None, json!("Internal")).as_deref(),
        Some(
            "made internal (the event does not say what it was): if it was private, every signed-in user may now read it"
        )
    );
    assert_eq!(
        words(Some(json!("Private")), json!("Internal")).as_deref(),
        Some("made internal (was private): every signed-in user may read it")
    );
    // GitLab's numbers for the levels.
    assert_eq!(
        words(Some(json!(0)), json!(10)).as_deref(),
        Some("made internal (was private): every signed-in user may read it")
    );
    assert_eq!(
        words(Some(json!(10)), json!(20)).as_deref(),
        Some("made public (was internal)")
    );
    assert_eq!(words(Some(json!(20)), json!(10)), None);
    assert_eq!(words(Some(json!("Public")), json!("Internal")), None);
    assert_eq!(words(Some(json!("Internal")), json!("Internal")), None);
    assert_eq!(words(None, json!("Private")), None);
    assert_eq!(words(None, json!(0)), None);
    // A level not known here.
    assert_eq!(
        words(Some(json!("Private")), json!("Secret")).as_deref(),
        Some("visibility changed to secret, a level not known here")
    );
    assert!(words(None, json!(15)).is_some());
    // A level before that is not known here.
    assert!(words(Some(json!("Hidden")), json!("Internal")).is_some());
}

#[test]
fn details_as_a_string_are_read() {
    let record = json!({
        "created_at": "2026-09-27T10:15:00.250Z", "author_name": "release-bot",
        "entity_type": "Project", "entity_path": "team/app", "event_type": "repository_git_operation",
        "details": json!({"custom_message": {"protocol": "ssh", "verb": "push"}, "ip_address": "198.51.100.77"}).to_string(),
    });
    let event = parse(&record.to_string()).unwrap();
    assert_eq!(event.action, Action::GitPush);
    assert_eq!(event.source_address, Some("198.51.100.77".parse().unwrap()));
}

#[test]
fn bad_records_are_counted() {
    let key = |s: &str| parse(s).map(|_| ()).map_err(|p| p.key());
    assert_eq!(
        key(r#"{"created_at":"2024-01-01T00:00:00Z","author_name":"a""#),
        Err("truncated")
    );
    assert_eq!(
        key(r#"{"created_at":"2024-01-01T00:00:00Z",}"#),
        Err("malformed")
    );
    assert_eq!(key(r#"{"author_name":"a","event_name":"x"}"#), Err("field"));
    assert_eq!(
        key(r#"{"created_at":"soon","author_name":"a","event_name":"x"}"#),
        Err("field")
    );
    assert_eq!(
        key(r#"{"created_at":"2024-01-01T00:00:00Z","event_name":"x"}"#),
        Err("field")
    );
    assert_eq!(
        key(r#"{"created_at":"2024-01-01T00:00:00Z","author_name":"a"}"#),
        Err("field")
    );
    assert_eq!(
        key(r#"{"created_at":"2024-01-01T00:00:00Z","author_name":"a","event_name":3}"#),
        Err("field")
    );
    assert_eq!(
        key(
            r#"{"created_at":"2024-01-01T00:00:00Z","author_id":-1,"author_name":"An unauthenticated user","event_type":"repository_download_operation"}"#
        ),
        Err("skipped")
    );
    assert!(matches!(
        GitlabParser.parse(b"{\"created_at\":\"\xff\"}", at()),
        Err(Problem::InvalidUtf8 { at: 15 })
    ));
    // Unknown names are events, counted as other; failures are failures.
    let (all, stats) = read_all(
        &br#"[{"created_at":"2024-01-02 03:04:05 UTC","author_name":"a","event_name":"something_new"},
{"created_at":"2024-01-01T00:00:00Z","author_name":"a","event_name":"login_failed_with_otp_authentication"},
{"created_at":"2024-01-01T00:00:00Z","author_name":"a","event_name":"x"
]"#[..],
    );
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[0].1.as_ref().unwrap().time.to_string(),
        "2024-01-02T03:04:05Z"
    );
    assert_eq!(all[1].1.as_ref().unwrap().outcome, Outcome::Failure);
    assert_eq!(all[2].0, 3);
    assert_eq!(stats.other, 2);
    assert_eq!(stats.events, 2);
    // The unclosed element ends at the array's `]`, and is malformed.
    assert_eq!(stats.problems.get("malformed"), Some(&1));
}

#[allow(clippy::print_stderr)]
#[test]
fn public_samples_when_present() {
    // PALISADE_MONITOR_SAMPLES names a directory with `gitlab/` holding
    // public audit events (JSON arrays or NDJSON), fetched outside the
    // repository.
    let Some(dir) = std::env::var_os("PALISADE_MONITOR_SAMPLES") else {
        eprintln!("skipped: PALISADE_MONITOR_SAMPLES is not set");
        return;
    };
    let dir = std::path::Path::new(&dir).join("gitlab");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut total = Stats::default();
    let mut git = 0;
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let mut records = super::super::github::JsonRecords::new(&bytes[..]);
        let mut stats = Stats::default();
        while let Some((line, record)) = records.next_record() {
            let record = record.map(<[u8]>::to_vec);
            let outcome = match &record {
                Ok(bytes) => GitlabParser.parse(bytes, RawRef { line, ..at() }),
                Err(p) => Err(p.clone()),
            };
            stats.count(line, &outcome);
            let value = record
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let Some(v) = value else {
                assert!(
                    outcome.is_err(),
                    "{}:{line}: invalid JSON read",
                    path.display()
                );
                continue;
            };
            let event = outcome.unwrap_or_else(|p| panic!("{}:{line}: {p}", path.display()));
            let message = &v["details"]["custom_message"];
            let expected = match (
                message["verb"].as_str(),
                message["action"].as_str(),
                message.as_str(),
            ) {
                (Some("clone"), _, _) => Some(Action::GitClone),
                (_, Some("git-upload-pack"), _) => Some(Action::GitFetch),
                (_, Some("git-receive-pack"), _) => Some(Action::GitPush),
                (_, _, Some("Repository Download Started")) => Some(Action::ArchiveDownload),
                _ => None,
            };
            if let Some(expected) = expected {
                git += 1;
                assert_eq!(event.action, expected, "{}:{line}", path.display());
            }
            let to = |v: &Value| v["to"].as_str().map(str::to_ascii_lowercase);
            if (v["change"] == "visibility" && to(&v).as_deref() == Some("public"))
                || (v["details"]["change"] == "visibility"
                    && to(&v["details"]).as_deref() == Some("public"))
            {
                assert!(matches!(event.action, Action::SecurityChange { .. }));
            }
            if let Some(path) = v["entity_path"]
                .as_str()
                .or(v["details"]["entity_path"].as_str())
                && v["entity_type"] == "Project"
            {
                assert_eq!(event.resource, Some(Resource::Repository(path.into())));
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
    eprintln!("gitlab samples: {total:?}, {git} git operations or downloads");
    assert!(git > 0);
}

fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "id",
        "created_at",
        "time",
        "author_id",
        "meta.user",
        "author_username",
        "author_email",
        "author_name",
        "event_name",
        "event_type",
        "entity_type",
        "entity_path",
        "target_type",
        "target_details",
        "ip_address",
        "details",
        "custom_message",
        "verb",
        "action",
        "change",
        "add",
        "remove",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "repository_git_operation",
            "git-upload-pack",
            "clone",
            "Project",
            "Group",
            "2024-01-01T00:00:00Z",
            "visibility",
            "127.0.0.1",
            "{\"verb\":\"push\"}",
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
        let _ = GitlabParser.parse(&bytes, at());
        let (all, stats) = read_all(BufReader::with_capacity(3, &bytes[..]));
        prop_assert_eq!(stats.records, all.len() as u64);
    }

    #[test]
    fn arbitrary_json_never_panics(values in prop::collection::vec(json_value(), 0..6)) {
        for v in &values {
            let _ = parse(&v.to_string());
        }
        let (all, _) = read_all(Value::Array(values.clone()).to_string().as_bytes());
        prop_assert_eq!(all.len(), values.len());
    }

    #[test]
    fn a_generated_event_round_trips(
        username in prop::option::of("[a-z][a-z0-9._-]{0,20}"),
        email in "[a-z]{1,10}@[a-z]{1,10}\\.test",
        path in "[a-z0-9-]{1,12}/[a-z0-9._-]{1,20}",
        which in 0usize..4,
        ms in 0i64..4_102_444_800_000,
        ip in any::<std::net::IpAddr>(),
        id in 1u64..1_000_000,
        in_details in any::<bool>(),
    ) {
        let (message, expected) = [
            (json!({"protocol": "ssh", "action": "git-upload-pack", "verb": "clone"}), Action::GitClone),
            (json!({"protocol": "http", "action": "git-receive-pack"}), Action::GitPush),
            (json!("Repository Download Started"), Action::ArchiveDownload),
            (json!({"protocol": "ssh", "verb": "pull"}), Action::GitFetch),
        ][which].clone();
        let time = jiff::Timestamp::from_millisecond(ms).unwrap();
        let mut details = json!({"custom_message": message, "author_name": "Display Name"});
        let mut record = json!({
            "id": id, "entity_type": "Project", "event_type": "repository_git_operation",
            "created_at": time.to_string(),
        });
        let fields = json!({"author_email": email, "entity_path": path, "ip_address": ip.to_string()});
        let target = if in_details { &mut details } else { &mut record };
        for (k, v) in fields.as_object().unwrap() {
            target[k] = v.clone();
        }
        if let Some(u) = &username {
            record["author_username"] = json!(u);
        }
        record["details"] = details;
        let event = parse(&record.to_string()).unwrap();
        prop_assert_eq!(event.action, expected);
        let actor = match &username {
            Some(u) => (u.clone(), ActorKind::GitlabUsername),
            None => (email, ActorKind::Email),
        };
        prop_assert_eq!((event.actor.name, event.actor.kind), actor);
        prop_assert_eq!(event.resource, Some(Resource::Repository(path)));
        prop_assert_eq!(event.source_address, Some(ip));
        prop_assert_eq!(event.time, time);
        prop_assert_eq!(event.raw.id, Some(id.to_string()));
    }
}
