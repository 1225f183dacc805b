//! `palisade offboard` end to end on a copy of the example organisation and
//! a SQLite store: grants withdrawn, palisade.toml edited with its comments
//! kept, services, credentials and the exit checklist printed, every step in
//! the ledger; a read-only model gets the exact change printed instead.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Run, palisade, root};

const NOW: &str = "2026-12-01T09:00:00Z";

/// A temporary directory holding a copy of the example model.
fn acme_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("palisade.toml");
    std::fs::copy(root().join("examples/acme/palisade.toml"), &model).unwrap();
    (dir, model)
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--db", "store.db"];
    all.extend_from_slice(args);
    // `--now` belongs to the commands that act, after their name.
    if matches!(args.first(), Some(&"access" | &"offboard")) {
        all.extend_from_slice(&["--now", NOW]);
    }
    palisade(dir, &all)
}

fn request(dir: &Path, who: &str, role: &str, env: &str) -> String {
    let made = run(
        dir,
        &[
            "access", "request", "--as", who, "--role", role, "--env", env, "--for", "2h",
            "--reason", "release", "--format", "json",
        ],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let made: Value = serde_json::from_str(&made.stdout).unwrap();
    made[0]["id"].as_str().unwrap().to_owned()
}

fn state(dir: &Path, id: &str) -> String {
    let shown = run(dir, &["access", "show", id, "--format", "json"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    shown[0]["state"].as_str().unwrap().to_owned()
}

#[test]
fn offboarding_a_vendor_engineer_revokes_edits_lists_and_ledgers() {
    let (dir, model) = acme_copy();
    let d = dir.path();
    let before = std::fs::read_to_string(&model).unwrap();
    // Arjun holds staging and waits for production; Kavya holds staging too.
    let staging = request(d, "arjun", "staging-deployer", "staging");
    let pending = request(d, "arjun", "prod-reader", "prod");
    let kavya = request(d, "kavya", "staging-deployer", "staging");
    for id in [&staging, &kavya] {
        if state(d, id) == "pending" {
            let ok = run(d, &["access", "approve", id, "--as", "ruth"]);
            assert_eq!(ok.code, 0, "{}", ok.stderr);
        }
    }
    assert_eq!(state(d, &staging), "active");

    let done = run(d, &["offboard", "arjun", "--as", "eleanor"]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let out = &done.stdout;
    for expected in [
        "offboarding arjun on 2026-12-01: arjun (Arjun Menon, team nimbus)",
        "access withdrawn (2):",
        "checkout-web (high, team nimbus): arjun owner; name a new owner; stay: ruth, sofia",
        "checkout-cdn-console (prod): known by arjun (through nimbus)",
        "exit checklist (contract nimbus-msa-2025):",
        "[ ] hand over the runbooks of the services that move — covered by nimbus-msa-2025 (transition_assistance)",
        "[ ] rotate the shared credentials the leavers knew — the company's own step",
        "[ ] transfer repository ownership and remove code-host access",
        "[ ] have the vendor return and delete the company's data",
        "[ ] check the documentation of what they worked on is complete",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    assert_eq!(state(d, &staging), "revoked");
    assert_eq!(state(d, &pending), "denied");
    assert_eq!(state(d, &kavya), "active", "only the leaver loses access");

    // The model: arjun offboarded with no roles; every other line as it was.
    let after = std::fs::read_to_string(&model).unwrap();
    assert!(after.contains(
        "hours = \"Mon-Fri 10:00-19:00\"\nstatus = \"offboarded\"\noffboarded_on = 2026-12-01\nroles = []\n[people.vetting]\nbackground_check = 2025-02-10"
    ));
    let changed: Vec<&str> = before
        .lines()
        .filter(|l| !after.lines().any(|a| a == *l))
        .collect();
    assert_eq!(
        changed,
        ["roles = [\"dev-developer\", \"staging-deployer\", \"prod-reader\"]"]
    );
    assert_eq!(after.lines().count(), before.lines().count() + 2);
    assert!(after.contains("# Nimbus (Bengaluru; one engineer in Singapore)"));
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Every step is in the ledger.
    let tail = run(d, &["ledger", "tail", "-n", "50", "--format", "json"]);
    assert_eq!(tail.code, 0, "{}", tail.stderr);
    let entries: Vec<Value> = serde_json::from_str(&tail.stdout).unwrap();
    let kinds: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["subject"].as_str().unwrap()))
        .filter(|(k, _)| k.starts_with("offboard."))
        .collect();
    assert_eq!(
        kinds,
        [
            ("offboard.person", "arjun"),
            ("offboard.plan", "arjun"),
            ("offboard.model", "arjun")
        ]
    );
    let revocations = entries
        .iter()
        .filter(|e| e["data"]["reason"] == "offboarding arjun on 2026-12-01")
        .count();
    assert_eq!(revocations, 2);
    let model_entry = entries
        .iter()
        .find(|e| e["kind"] == "offboard.model")
        .unwrap();
    assert_eq!(model_entry["data"]["written"], true);

    // Again: arjun is offboarded in the model now, so there is nothing to do.
    let again = run(d, &["offboard", "arjun", "--as", "eleanor"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains("skipped arjun: already offboarded on 2026-12-01"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read_to_string(&model).unwrap(), after);
}

#[test]
fn a_read_only_model_gets_the_exact_change_printed() {
    let (dir, model) = acme_copy();
    let d = dir.path();
    let before = std::fs::read_to_string(&model).unwrap();
    let mut perms = std::fs::metadata(&model).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&model, perms).unwrap();

    let done = run(d, &["offboard", "--team", "nimbus-mobile", "--as", "sofia"]);
    assert_eq!(done.code, 1, "{}\n{}", done.stdout, done.stderr);
    assert_eq!(std::fs::read_to_string(&model).unwrap(), before);
    let out = &done.stdout;
    assert!(
        out.contains("the model could not be written (palisade.toml is read-only); apply this change by hand:"),
        "{out}"
    );
    for line in [
        "--- palisade.toml",
        "+++ palisade.toml",
        "-roles = [\"dev-developer\"]",
        "+status = \"offboarded\"",
        "+offboarded_on = 2026-12-01",
        "+roles = []",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing `{line}` in:\n{out}"
        );
    }
    assert!(out.contains("mobile-app (medium, team nimbus-mobile): meera owner, vikram backup owner; its team leaves; name a new owner, backup owner, team"), "{out}");
    let tail = run(
        d,
        &[
            "ledger",
            "tail",
            "--kind",
            "offboard.model",
            "--format",
            "json",
        ],
    );
    let entries: Vec<Value> = serde_json::from_str(&tail.stdout).unwrap();
    assert_eq!(entries[0]["data"]["written"], false);
    assert_eq!(entries[0]["subject"], "team:nimbus-mobile");
}

#[test]
fn a_dry_run_changes_nothing_and_json_carries_the_plan() {
    let (dir, model) = acme_copy();
    let d = dir.path();
    let before = std::fs::read_to_string(&model).unwrap();
    let dry = run(
        d,
        &[
            "offboard",
            "--vendor",
            "harbor",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let v: Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["plan"]["people"].as_array().unwrap().len(), 6);
    assert_eq!(v["plan"]["contract"], "harbor-sow-2026");
    assert_eq!(
        v["plan"]["credentials"][0]["id"],
        "harbor-gitlab-deploy-token"
    );
    assert_eq!(v["model"]["written"], false);
    assert!(
        v["model"]["diff"]
            .as_str()
            .unwrap()
            .contains("+status = \"offboarded\"")
    );
    assert_eq!(std::fs::read_to_string(&model).unwrap(), before);
    assert!(!d.join("store.db").exists(), "a dry run opens no store");
}

#[test]
fn refusals_say_why() {
    let (dir, _) = acme_copy();
    let d = dir.path();
    let vendor = run(d, &["offboard", "kavya", "--as", "arjun"]);
    assert_eq!(vendor.code, 2);
    assert!(
        vendor.stderr.contains("arjun may not offboard"),
        "{}",
        vendor.stderr
    );
    let nobody = run(d, &["offboard", "kavia", "--as", "eleanor"]);
    assert_eq!(nobody.code, 2);
    assert!(
        nobody.stderr.contains("did you mean `kavya`?"),
        "{}",
        nobody.stderr
    );
    let no_actor = run(d, &["offboard", "kavya"]);
    assert_eq!(no_actor.code, 2);
    assert!(
        no_actor.stderr.contains("--as HANDLE"),
        "{}",
        no_actor.stderr
    );
    let both = run(
        d,
        &["offboard", "kavya", "--team", "nimbus", "--as", "eleanor"],
    );
    assert_eq!(both.code, 2, "{}", both.stderr);
}
