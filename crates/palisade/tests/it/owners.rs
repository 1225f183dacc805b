//! `palisade owners`: CODEOWNERS written and checked in a real git
//! repository, who owns a path, and access drift, end to end.

use palisade_test_support::git::Repo;
use serde_json::Value;

use crate::{palisade, root};

fn acme() -> String {
    root()
        .join("examples/acme/palisade.toml")
        .display()
        .to_string()
}

/// A clone of acme/payments: files of its three services, and one nobody owns.
fn payments_repo() -> Repo {
    let repo = Repo::new();
    for p in [
        "services/payments-api/src/main.go",
        "services/ledger/schema.sql",
        "migrations/ledger/0001.sql",
        "web/checkout/app.ts",
        "jobs/analytics/run.py",
    ] {
        repo.write(p, "x\n");
    }
    repo
}

#[test]
fn codeowners_written_from_the_model_checks_clean_and_an_edit_is_caught() {
    let repo = payments_repo();
    let model = acme();
    let dir = repo.path();
    let run = palisade(
        dir,
        &[
            "owners",
            "codeowners",
            "--model",
            &model,
            "--repo",
            "acme/payments",
            "-o",
            ".github/CODEOWNERS",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(repo.join(".github/CODEOWNERS")).unwrap();
    assert!(
        text.starts_with("# Generated from the operating model"),
        "{text}"
    );
    assert!(
        text.contains("/services/payments-api/ @acme/payments @sofiabrandt @jachebe"),
        "{text}"
    );
    // Deterministic: the same model writes the same bytes.
    let again = palisade(
        dir,
        &[
            "owners",
            "codeowners",
            "--model",
            &model,
            "--repo",
            "acme/payments",
            "-o",
            ".github/CODEOWNERS",
        ],
    );
    assert_eq!(again.code, 0);
    assert_eq!(
        std::fs::read_to_string(repo.join(".github/CODEOWNERS")).unwrap(),
        text
    );
    // Own the CODEOWNERS file too, so that the check is clean.
    repo.write(
        ".github/CODEOWNERS",
        format!("/.github/ @acme/platform\n{text}"),
    );
    repo.commit_all("initial");
    let model_owned = palisade(
        dir,
        &[
            "owners",
            "check",
            "--model",
            &model,
            "--repo",
            "acme/payments",
        ],
    );
    // `.github/` has no service in the model: that is the one disagreement.
    assert_eq!(model_owned.code, 1, "{}", model_owned.stdout);
    assert!(
        model_owned
            .stdout
            .contains("no service of the model owns them"),
        "{}",
        model_owned.stdout
    );
    repo.write(".github/CODEOWNERS", &text);
    repo.commit_all("generated only");
    let clean = palisade(
        dir,
        &[
            "owners",
            "check",
            "--model",
            &model,
            "--repo",
            "acme/payments",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(
        v["unowned"],
        serde_json::json!([".github/CODEOWNERS"]),
        "{}",
        clean.stdout
    );
    assert_eq!(v["disagreements"], serde_json::json!([]));
    assert_eq!(clean.code, 1);

    // A hand edit: the web checkout handed to one person, and a bad line.
    repo.write(
        ".github/CODEOWNERS",
        format!("{text}/web/checkout/ @someone\n!/jobs/ @x\n/.github/ @acme/platform\n"),
    );
    let run = palisade(
        dir,
        &[
            "owners",
            "check",
            "--model",
            &model,
            "--repo",
            "acme/payments",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("invalid line, skipped as GitHub skips it"),
        "{out}"
    );
    assert!(
        out.contains("says @someone, the model (service checkout-web) says @acme/nimbus-web"),
        "{out}"
    );
    assert!(out.contains("web/checkout/app.ts"), "{out}");
}

#[test]
fn check_without_a_codeowners_file_says_how_to_write_one() {
    let repo = payments_repo();
    repo.commit_all("initial");
    let run = palisade(
        repo.path(),
        &[
            "owners",
            "check",
            "--model",
            &acme(),
            "--repo",
            "acme/payments",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no CODEOWNERS")
            && run
                .stderr
                .contains("palisade owners codeowners -o .github/CODEOWNERS"),
        "{}",
        run.stderr
    );
}

#[test]
fn who_answers_per_path_and_exits_1_for_an_unowned_one() {
    let run = palisade(
        &root(),
        &[
            "owners",
            "who",
            "--model",
            "examples/acme/palisade.toml",
            "--repo",
            "acme/payments",
            "--now",
            "2026-12-07T05:30:00Z",
            "--format",
            "json",
            "services/ledger/x.sql",
            "nowhere.txt",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["services"][0]["service"], "ledger");
    assert!(
        v[0]["services"][0]["primary"]["github"]
            .as_str()
            .unwrap()
            .starts_with('@')
    );
    assert!(v[0]["services"][0]["escalation"].as_array().unwrap().len() >= 2);
    assert_eq!(v[1]["services"], serde_json::json!([]));
}

#[test]
fn drift_reports_vendor_admins_and_unknown_logins_from_a_rest_export() {
    let dir = tempfile::tempdir().unwrap();
    let user = |login: &str, admin: bool, maintain: bool, push: bool, role: &str| {
        format!(
            r#"{{"login":"{login}","id":1,"node_id":"MDQ6VXNlcjE=","avatar_url":"https://github.com/images/error/octocat_happy.gif","gravatar_id":"","url":"https://api.github.com/users/{login}","html_url":"https://github.com/{login}","type":"User","site_admin":false,"permissions":{{"pull":true,"triage":{push},"push":{push},"maintain":{maintain},"admin":{admin}}},"role_name":"{role}"}}"#
        )
    };
    let collaborators = format!(
        "[{},{},{}]",
        user("sofiabrandt", true, true, true, "admin"),
        user("arjun-menon-nimbus", false, true, true, "maintain"),
        user("octocat", false, false, true, "write"),
    );
    let teams = r#"[{"id":1,"node_id":"MDQ6VGVhbTE=","url":"https://api.github.com/teams/1","html_url":"https://github.com/orgs/acme/teams/payments","name":"Payments","slug":"payments","description":null,"privacy":"closed","notification_setting":"notifications_enabled","permission":"push","members_url":"https://api.github.com/teams/1/members{/member}","repositories_url":"https://api.github.com/teams/1/repos","parent":null}]"#;
    std::fs::write(dir.path().join("c.json"), collaborators).unwrap();
    std::fs::write(dir.path().join("t.json"), teams).unwrap();
    let run = palisade(
        dir.path(),
        &[
            "owners",
            "drift",
            "--model",
            &acme(),
            "--repo",
            "acme/payments",
            "--home",
            "acme/platform",
            "--collaborators",
            "c.json",
            "--teams",
            "t.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        found.contains(&("vendor-admin".into(), "arjun-menon-nimbus".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("unknown-login".into(), "octocat".into())),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(_, n)| n == "sofiabrandt" || n == "acme/payments"),
        "{found:?}"
    );
    let bad = palisade(
        dir.path(),
        &[
            "owners",
            "drift",
            "--model",
            &acme(),
            "--repo",
            "acme/payments",
            "--collaborators",
            "t.json/none",
        ],
    );
    assert_eq!(bad.code, 2);
}

#[test]
fn every_owners_subcommand_has_examples_in_its_help() {
    for sub in ["codeowners", "check", "who", "drift"] {
        let run = palisade(&root(), &["owners", sub, "--help"]);
        assert_eq!(run.code, 0);
        assert!(
            run.stdout.contains("palisade owners"),
            "{sub}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("Exit codes"), "{sub}");
    }
}

/// The acme model with a second service claiming payments-api's directory,
/// which `palisade check` rejects (`overlapping-paths`).
fn overlapping_model(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(acme()).unwrap();
    let text = format!(
        "{text}\n[[services]]\nid = \"payments-edge\"\nrepos = [\"acme/payments\"]\npaths = [\"services/payments-api/**\"]\nteam = \"platform\"\nowner = \"eleanor\"\nbackup_owner = \"marcus\"\nrisk = \"high\"\nescalation = [\"eleanor\", \"marcus\"]\n"
    );
    let path = dir.join("palisade.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn codeowners_refuses_a_model_with_overlapping_services() {
    let dir = tempfile::tempdir().unwrap();
    let model = overlapping_model(dir.path());
    let check = palisade(dir.path(), &["check", &model]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    let run = palisade(
        dir.path(),
        &[
            "owners",
            "codeowners",
            "--model",
            &model,
            "--repo",
            "acme/payments",
            "-o",
            "CODEOWNERS",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(!dir.path().join("CODEOWNERS").exists());
    assert!(
        run.stderr.contains("overlapping-paths")
            && run.stderr.contains("payments-edge")
            && run.stderr.contains(&format!("palisade check {model}")),
        "{}",
        run.stderr
    );
    // `who` is a lookup: it answers, with a warning.
    let who = palisade(
        dir.path(),
        &[
            "owners",
            "who",
            "--model",
            &model,
            "--repo",
            "acme/payments",
            "services/payments-api/main.go",
        ],
    );
    assert_eq!(who.code, 0, "{}", who.stderr);
    assert!(who.stdout.contains("payments-edge"), "{}", who.stdout);
    assert!(
        who.stderr.contains("error") && who.stderr.contains("palisade check"),
        "{}",
        who.stderr
    );
}

#[test]
fn who_without_repo_names_the_repositories_whose_services_claim_the_path() {
    let run = palisade(
        &root(),
        &[
            "owners",
            "who",
            "--model",
            "examples/acme/palisade.toml",
            "services/payments-api/main.go",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("payments-api")
            && run.stdout.contains("acme/payments")
            && run.stdout.contains("--repo acme/payments"),
        "{}",
        run.stdout
    );
    let json = palisade(
        &root(),
        &[
            "owners",
            "who",
            "--model",
            "examples/acme/palisade.toml",
            "--format",
            "json",
            "services/payments-api/main.go",
        ],
    );
    assert_eq!(json.code, 1, "{}", json.stderr);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v[0]["services"], serde_json::json!([]));
    assert_eq!(
        v[0]["elsewhere"],
        serde_json::json!([{"repo": "acme/payments", "service": "payments-api"}])
    );
}

#[test]
fn drift_counts_a_collaborator_listed_twice_once() {
    let dir = tempfile::tempdir().unwrap();
    let page = r#"[{"login":"octocat","permissions":{"pull":true,"triage":true,"push":true,"maintain":false,"admin":false},"role_name":"write"},{"login":"sofiabrandt","permissions":{"pull":true,"triage":true,"push":true,"maintain":true,"admin":true},"role_name":"admin"}]"#;
    std::fs::write(dir.path().join("c.json"), format!("{page}\n{page}\n")).unwrap();
    let run = palisade(
        dir.path(),
        &[
            "owners",
            "drift",
            "--model",
            &acme(),
            "--repo",
            "acme/payments",
            "--home",
            "acme/platform",
            "--collaborators",
            "c.json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("2 collaborators and 0 teams"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("unknown-login").count(),
        1,
        "{}",
        run.stdout
    );
}

#[test]
fn check_reports_an_unknown_owner_on_a_line_that_matches_no_tracked_file() {
    let repo = payments_repo();
    let model = acme();
    let dir = repo.path();
    let run = palisade(
        dir,
        &[
            "owners",
            "codeowners",
            "--model",
            &model,
            "--repo",
            "acme/payments",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut text = run.stdout;
    text.push_str("/services/ghost/ @evil\n");
    let ghost_line = text.lines().count();
    repo.write(".github/CODEOWNERS", &text);
    repo.commit_all("initial");
    let json = palisade(
        dir,
        &[
            "owners",
            "check",
            "--model",
            &model,
            "--repo",
            "acme/payments",
            "--format",
            "json",
        ],
    );
    assert_eq!(json.code, 1, "{}", json.stderr);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["disagreements"], serde_json::json!([]), "{}", json.stdout);
    assert_eq!(
        v["unexpected_owners"],
        serde_json::json!([{"line": ghost_line, "pattern": "/services/ghost/", "owner": "@evil"}])
    );
    let human = palisade(
        dir,
        &[
            "owners",
            "check",
            "--model",
            &model,
            "--repo",
            "acme/payments",
        ],
    );
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains(&format!(".github/CODEOWNERS:{ghost_line}: `@evil`")),
        "{}",
        human.stdout
    );
}
