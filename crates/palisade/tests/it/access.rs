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

/// Runs `palisade access` in `dir` as a child process, for races.
fn spawn_access(dir: &std::path::Path, args: &[&str]) -> std::process::Child {
    let model = root().join("examples/acme/palisade.toml");
    std::process::Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("access")
        .args([
            "--model",
            model.to_str().unwrap(),
            "--now",
            NOW,
            "--db",
            "store.db",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("PALISADE_DB")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn an_approval_racing_a_revocation_in_another_process_leaves_one_consistent_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut orders = std::collections::BTreeSet::new();
    for round in 0..6 {
        // Two approvals needed; the first is in, the second races a revocation.
        let made = access(
            dir.path(),
            &[
                "request",
                "--as",
                "james",
                "--role",
                "payments-db-admin",
                "--env",
                "prod",
                "--for",
                "1h",
                "--reason",
                "race",
                "--format",
                "json",
            ],
            NOW,
        );
        assert_eq!(made.code, 0, "{}", made.stderr);
        let made: Value = serde_json::from_str(&made.stdout).unwrap();
        let id = made[0]["id"].as_str().unwrap().to_owned();
        let first = access(
            dir.path(),
            &["approve", &id, "--as", "sofia", "--reason", "ok"],
            NOW,
        );
        assert_eq!(first.code, 0, "{}", first.stderr);

        let approve = spawn_access(
            dir.path(),
            &["approve", &id, "--as", "dana", "--reason", "ok"],
        );
        let revoke = spawn_access(dir.path(), &["revoke", &id, "--as", "eleanor"]);
        let approve = approve.wait_with_output().unwrap();
        let revoke = revoke.wait_with_output().unwrap();
        assert!(
            approve.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&approve.stderr)
        );
        let shown = access(dir.path(), &["show", &id, "--format", "json"], NOW);
        let state = serde_json::from_str::<Value>(&shown.stdout).unwrap()[0]["state"]
            .as_str()
            .unwrap()
            .to_owned();
        let entries = crate::palisade(
            dir.path(),
            &[
                "ledger",
                "--model",
                root().join("examples/acme/palisade.toml").to_str().unwrap(),
                "--db",
                "store.db",
                "tail",
                "-n",
                "1000",
                "--subject",
                &id,
                "--format",
                "json",
            ],
        );
        let entries: Value = serde_json::from_str(&entries.stdout).unwrap();
        let states: Vec<String> = entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "access.state")
            .map(|e| e["data"]["to"].as_str().unwrap().to_owned())
            .collect();
        if revoke.status.success() {
            // The approval came first: granted, then revoked, in that order.
            assert_eq!(state, "revoked");
            assert_eq!(states, ["active", "revoked"], "round {round}");
            orders.insert("approve first");
        } else {
            // The revocation came first and found nothing granted to revoke.
            let said = String::from_utf8_lossy(&revoke.stderr);
            assert!(said.contains("pending"), "round {round}: {said}");
            assert_eq!(state, "active");
            assert_eq!(states, ["active"], "round {round}");
            orders.insert("revoke first");
        }
    }
    eprintln!("orders seen: {orders:?}");
}

#[test]
fn a_wrong_secrets_key_is_refused_by_the_command_and_overwrites_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("right.key"), "11".repeat(32)).unwrap();
    std::fs::write(dir.path().join("wrong.key"), "22".repeat(32)).unwrap();
    let with_key = |key: &str, args: &[&str]| {
        let mut all = vec!["--secrets-key-file", key];
        all.extend_from_slice(args);
        access(dir.path(), &all, NOW)
    };
    let made = with_key("right.key", &["secrets", "ca-init", "--as", "eleanor"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let public = made.stdout.trim().to_owned();
    assert!(public.starts_with("ssh-ed25519 "), "{public}");

    let replaced = with_key(
        "wrong.key",
        &["secrets", "ca-init", "--as", "eleanor", "--replace"],
    );
    assert_eq!(replaced.code, 2);
    assert!(
        replaced.stderr.contains("nothing was written"),
        "{}",
        replaced.stderr
    );
    let opened = with_key("wrong.key", &["secrets", "ca-public-key"]);
    assert_eq!(opened.code, 2);
    assert!(opened.stderr.contains("wrong key"), "{}", opened.stderr);
    let garbled = std::fs::write(dir.path().join("bad.key"), "not a key");
    garbled.unwrap();
    let bad = with_key("bad.key", &["secrets", "ca-public-key"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("does not hold a secrets key"),
        "{}",
        bad.stderr
    );
    // The right key still opens the same CA: nothing was overwritten.
    let again = with_key("right.key", &["secrets", "ca-public-key"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout.trim(), public);
}
