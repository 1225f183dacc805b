//! `palisade access` end to end on a SQLite store: a request, its approval
//! and revocation, each a ledger entry; refusals with their reasons; JSON.

use serde_json::Value;

use crate::{Run, palisade, root};

const NOW: &str = "2026-12-01T09:00:00Z";

fn access(dir: &std::path::Path, args: &[&str], now: &str) -> Run {
    let model = root().join("examples/acme/palisade.toml");
    let mut all = vec![
        "access",
        "--model",
        model.to_str().unwrap(),
        "--now",
        now,
        "--db",
        "store.db",
    ];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

#[test]
fn a_request_is_approved_explained_and_revoked_with_every_step_ledgered() {
    let dir = tempfile::tempdir().unwrap();
    let made = access(
        dir.path(),
        &[
            "request",
            "--as",
            "james",
            "--role",
            "incident-responder",
            "--env",
            "prod",
            "--for",
            "2h",
            "--reason",
            "INC-4711",
            "--format",
            "json",
        ],
        NOW,
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let made: Value = serde_json::from_str(&made.stdout).unwrap();
    let id = made[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(made[0]["state"], "pending");

    let own = access(dir.path(), &["approve", &id, "--as", "james"], NOW);
    assert_eq!(own.code, 2, "{}", own.stdout);
    assert!(own.stderr.contains("not allowed"), "{}", own.stderr);

    let ok = access(
        dir.path(),
        &["approve", &id, "--as", "sofiabrandt", "--reason", "on call"],
        NOW,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(
        ok.stdout.contains("active") && ok.stdout.contains("approved by sofia"),
        "{}",
        ok.stdout
    );

    let why = access(dir.path(), &["explain", &id], NOW);
    assert_eq!(why.code, 0, "{}", why.stderr);
    assert!(
        why.stdout.contains("approval by sofia: counts"),
        "{}",
        why.stdout
    );

    let gone = access(
        dir.path(),
        &["revoke", &id, "--as", "eleanor"],
        "2026-12-01T09:30:00Z",
    );
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert!(gone.stdout.contains("revoked"), "{}", gone.stdout);

    let model = root().join("examples/acme/palisade.toml");
    let tail = palisade(
        dir.path(),
        &[
            "ledger",
            "tail",
            "--db",
            "store.db",
            "--model",
            model.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(tail.code, 0, "{}", tail.stderr);
    let entries: Value = serde_json::from_str(&tail.stdout).unwrap();
    let kinds: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "access.request",
            "access.decision",
            "access.state",
            "access.state"
        ],
        "{entries}"
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let no_actor = access(
        dir.path(),
        &[
            "request",
            "--role",
            "prod-reader",
            "--for",
            "1h",
            "--reason",
            "x",
        ],
        NOW,
    );
    assert_eq!(no_actor.code, 2);
    assert!(no_actor.stderr.contains("--as"), "{}", no_actor.stderr);
    let bad_duration = access(
        dir.path(),
        &[
            "request",
            "--as",
            "james",
            "--role",
            "prod-reader",
            "--for",
            "2 hours",
            "--reason",
            "x",
        ],
        NOW,
    );
    assert_eq!(bad_duration.code, 2);
    assert!(
        bad_duration.stderr.contains("--for"),
        "{}",
        bad_duration.stderr
    );
    let too_long = access(
        dir.path(),
        &[
            "request",
            "--as",
            "james",
            "--role",
            "incident-responder",
            "--for",
            "9h",
            "--reason",
            "x",
        ],
        NOW,
    );
    assert_eq!(too_long.code, 2);
    assert!(
        too_long.stderr.contains("not allowed"),
        "{}",
        too_long.stderr
    );
    let unknown = access(dir.path(), &["show", "req-000000000000"], NOW);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no access request"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn the_organisations_own_policies_are_loaded_from_the_model_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let model = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    std::fs::write(
        dir.path().join("palisade.toml"),
        format!("{model}\n[access]\npolicies = \"org.cedar\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("org.cedar"),
        "@id(\"no-incident-role\")\n@reason(\"incidents go through the on-call rota\")\nforbid(principal, action == Action::\"request\", resource == Role::\"incident-responder\");\n",
    )
    .unwrap();
    let ask = |dir: &std::path::Path| {
        palisade(
            dir,
            &[
                "access",
                "--now",
                NOW,
                "--db",
                "store.db",
                "request",
                "--as",
                "james",
                "--role",
                "incident-responder",
                "--for",
                "1h",
                "--reason",
                "x",
            ],
        )
    };
    let run = ask(dir.path());
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("org/no-incident-role"),
        "{}",
        run.stderr
    );

    // A policy that does not fit the generated schema is refused with its place.
    std::fs::write(
        dir.path().join("org.cedar"),
        "forbid(principal, action, resource) when { principal.shoe_size > 40 };\n",
    )
    .unwrap();
    let run = ask(dir.path());
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("org.cedar"), "{}", run.stderr);
}

#[test]
fn break_glass_is_refused_past_its_maximum_and_an_unreviewed_use_shows_in_list_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let glass = |minutes: &str| {
        access(
            dir.path(),
            &[
                "break-glass",
                "--as",
                "james",
                "--role",
                "incident-responder",
                "--env",
                "prod",
                "--for",
                minutes,
                "--reason",
                "INC-4712: checkout down",
                "--format",
                "json",
            ],
            NOW,
        )
    };
    let long = glass("2h");
    assert_eq!(long.code, 2, "{}", long.stdout);
    assert!(long.stderr.contains("at most 1h"), "{}", long.stderr);
    let used = glass("30m");
    assert_eq!(used.code, 0, "{}", used.stderr);
    let used: Value = serde_json::from_str(&used.stdout).unwrap();
    let id = used["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (used["state"].as_str(), used["break_glass"].as_bool()),
        (Some("active"), Some(true))
    );

    // Waiting for review: listed, and `check` (run long after the review was due) warns.
    let waiting = access(dir.path(), &["break-glass-review"], "2026-12-01T10:00:00Z");
    assert!(
        waiting.stdout.contains(&id) && waiting.stdout.contains("review due by"),
        "{}",
        waiting.stdout
    );
    let model = root().join("examples/acme/palisade.toml");
    let check = crate::palisade(
        dir.path(),
        &["check", model.to_str().unwrap(), "--db", "store.db"],
    );
    assert!(
        check.stderr.contains(&format!("break-glass use {id}")),
        "{}",
        check.stderr
    );
    assert_eq!(check.code, 0, "a finding of practice, not a broken model");

    let own = access(
        dir.path(),
        &[
            "break-glass-review",
            &id,
            "--as",
            "james",
            "--reason",
            "fine",
        ],
        NOW,
    );
    assert_eq!(own.code, 2);
    assert!(own.stderr.contains("own break-glass use"), "{}", own.stderr);
    let done = access(
        dir.path(),
        &[
            "break-glass-review",
            &id,
            "--as",
            "sofia",
            "--reason",
            "justified by INC-4712",
        ],
        "2026-12-01T10:00:00Z",
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(done.stdout.contains("reviewed by sofia"), "{}", done.stdout);
    let check = crate::palisade(
        dir.path(),
        &["check", model.to_str().unwrap(), "--db", "store.db"],
    );
    assert!(
        !check.stderr.contains("break-glass use"),
        "{}",
        check.stderr
    );
}
