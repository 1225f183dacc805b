//! CODEOWNERS written from a model, read back, and checked against the
//! model over the tracked files of a real git repository.

use palisade_gate::codeowners::{self, Codeowners, GenerateError};
use palisade_gate::owners;
use palisade_model::Index;
use palisade_test_support::git::Repo;

pub const MODEL: &str = r#"
[org]
name = "Acme"
timezone = "Europe/London"
log_name = "acme.example/palisade"

[[vendors]]
id = "nimbus"
name = "Nimbus Ltd"

[[teams]]
id = "platform"
name = "Platform"
kind = "internal"
github_team = "acme/platform"

[[teams]]
id = "nimbus-web"
name = "Nimbus web"
kind = "vendor"
vendor = "nimbus"
github_team = "acme/nimbus-web"
phase = "own"
phase_since = 2026-01-05

[[people]]
handle = "ewa"
name = "Ewa Nowak"
email = "ewa@acme.example"
github = "ewa-gh"
team = "platform"
timezone = "Europe/Warsaw"
hours = "Mon-Fri 09:00-17:00"

[[people]]
handle = "tom"
name = "Tom Reid"
email = "tom@acme.example"
github = "tom-r"
team = "platform"

[[people]]
handle = "raj"
name = "Raj Iyer"
email = "raj@nimbus.example"
github = "raj-nimbus"
team = "nimbus-web"
timezone = "Asia/Kolkata"

[[people]]
handle = "old"
name = "Olga Left"
email = "olga@nimbus.example"
github = "olga-nimbus"
team = "nimbus-web"
status = "offboarded"
offboarded_on = 2026-02-01

[[services]]
id = "api"
paths = ["services/api/**", "proto/*.proto"]
team = "platform"
owner = "ewa"
backup_owner = "tom"
risk = "high"
escalation = ["ewa", "tom"]

[[services]]
id = "web"
paths = ["web/"]
team = "nimbus-web"
owner = "raj"
backup_owner = "ewa"
risk = "medium"
escalation = ["raj", "ewa"]

[[services]]
id = "mobile"
repos = ["acme/mobile"]
paths = ["app/**"]
team = "nimbus-web"
owner = "raj"
risk = "low"
"#;

pub fn model(text: &str) -> palisade_model::Model {
    palisade_model::parse(text).expect("the test model parses")
}

#[test]
fn generated_file_is_deterministic_anchored_and_ordered() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let g = codeowners::generate(&index, None, "palisade owners codeowners").unwrap();
    let again = codeowners::generate(&index, None, "palisade owners codeowners").unwrap();
    assert_eq!(g.text, again.text);
    assert!(g.text.starts_with("# Generated from the operating model"));
    assert!(g.text.contains("`palisade owners codeowners`"));
    let rules: Vec<&str> = g
        .text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        rules,
        [
            "/services/api/ @acme/platform @ewa-gh @tom-r",
            "/proto/*.proto @acme/platform @ewa-gh @tom-r",
            "/web/ @acme/nimbus-web @raj-nimbus @ewa-gh",
        ]
    );
    // The mobile service lives in another repository.
    let mobile = codeowners::generate(&index, Some("acme/mobile"), "x").unwrap();
    assert!(mobile.text.contains("/app/ @acme/nimbus-web @raj-nimbus"));
    let (co, errors) = Codeowners::parse(&g.text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        co.owners_of("services/api/src/main.rs").unwrap().line,
        co.rules()[0].line
    );
    assert!(co.owners_of("app/main.kt").is_none());
}

#[test]
fn an_owner_without_a_github_login_and_a_character_class_are_errors_naming_both() {
    let text = MODEL
        .replace("github = \"tom-r\"\n", "")
        .replace("\"proto/*.proto\"", "\"proto/[ab].proto\"");
    let m = model(&text);
    let err = codeowners::generate(&Index::new(&m), None, "x").unwrap_err();
    let GenerateError::Problems { problems } = &err else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`tom`") && p.contains("service `api`") && p.contains("github ="))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("proto/[ab].proto") && p.contains("service `api`"))
    );
}

#[test]
fn generated_file_checks_clean_on_a_real_repository() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let repo = Repo::new();
    for p in [
        "services/api/src/main.rs",
        "services/api/Cargo.toml",
        "proto/a.proto",
        "web/index.ts",
        "web/src/app.ts",
    ] {
        repo.write(p, "x\n");
    }
    let g = codeowners::generate(&index, None, "palisade owners codeowners").unwrap();
    repo.write(".github/CODEOWNERS", &g.text);
    repo.commit_all("initial");
    let (root, paths) = codeowners::tracked_paths(repo.path()).unwrap();
    assert_eq!(
        root.canonicalize().unwrap(),
        repo.path().canonicalize().unwrap()
    );
    assert!(paths.contains(&"web/src/app.ts".to_owned()));
    let (co, errors) = Codeowners::parse(&g.text);
    let report = codeowners::check(&co, &errors, &index, None, &paths);
    // Only the CODEOWNERS file itself has no owner.
    assert_eq!(report.unowned, [".github/CODEOWNERS"]);
    assert!(
        report.disagreements.is_empty(),
        "{:#?}",
        report.disagreements
    );
}

#[test]
fn hand_edits_show_as_disagreements_with_both_sides() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let repo = Repo::new();
    for p in [
        "services/api/main.rs",
        "web/index.ts",
        "README.md",
        "proto/x.proto",
    ] {
        repo.write(p, "x\n");
    }
    repo.write(
        "CODEOWNERS",
        "* @acme/platform\n/services/api/ @ewa-gh tom@acme.example @acme/platform\n/web/ @raj-nimbus\n/proto/ !bad\n",
    );
    repo.commit_all("initial");
    let (_, paths) = codeowners::tracked_paths(repo.path()).unwrap();
    let text = std::fs::read_to_string(repo.join("CODEOWNERS")).unwrap();
    let (co, errors) = Codeowners::parse(&text);
    let report = codeowners::check(&co, &errors, &index, None, &paths);
    assert_eq!(report.invalid_lines.len(), 1);
    assert_eq!(report.invalid_lines[0].line, 4);
    // An e-mail address counts as the person who has it: the api agrees.
    let by_path: Vec<&str> = report
        .disagreements
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        by_path,
        ["CODEOWNERS", "README.md", "proto/x.proto", "web/index.ts"],
        "{:#?}",
        report.disagreements
    );
    let web = &report.disagreements[3];
    assert_eq!(web.codeowners.as_ref().unwrap().owners, ["@raj-nimbus"]);
    assert_eq!(web.model.as_ref().unwrap().services, ["web"]);
    assert_eq!(
        web.model.as_ref().unwrap().owners,
        ["@acme/nimbus-web", "@raj-nimbus", "@ewa-gh"]
    );
    // proto/x.proto: the `/proto/` line is invalid, so `*` decides it, and
    // the model gives it the same team but also its people.
    assert!(report.unowned.is_empty());
    assert!(!report.is_clean());
}

#[test]
fn who_names_service_owners_and_escalation_with_local_time() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let now: jiff::Timestamp = "2026-03-02T08:30:00Z".parse().unwrap();
    let a = owners::who(&index, None, "./web/src/app.ts", now);
    assert_eq!(a.path, "web/src/app.ts");
    assert_eq!(a.services.len(), 1);
    let s = &a.services[0];
    assert_eq!((s.service.as_str(), s.team.as_str()), ("web", "nimbus-web"));
    assert_eq!(s.primary.github.as_deref(), Some("@raj-nimbus"));
    assert_eq!(s.primary.timezone.as_deref(), Some("Asia/Kolkata"));
    assert_eq!(
        s.primary.local_time.as_deref(),
        Some("2026-03-02T14:00:00+05:30")
    );
    assert_eq!(s.backup.as_ref().unwrap().handle, "ewa");
    assert_eq!(s.backup.as_ref().unwrap().working, Some(true));
    let esc: Vec<&str> = s.escalation.iter().map(|c| c.handle.as_str()).collect();
    assert_eq!(esc, ["raj", "ewa"]);
    assert!(
        owners::who(&index, None, "README.md", now)
            .services
            .is_empty()
    );
    assert!(
        owners::who(&index, None, "app/x.kt", now)
            .services
            .is_empty()
    );
    assert_eq!(
        owners::who(&index, Some("acme/mobile"), "app/x.kt", now).services[0].service,
        "mobile"
    );
}

#[test]
fn an_owner_the_model_does_not_expect_is_reported_with_its_line_even_on_no_tracked_file() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let g = codeowners::generate(&index, None, "palisade owners codeowners").unwrap();
    // `@Raj-Nimbus` owns `web` here (logins ignore case) and
    // `tom@acme.example` is `api`'s backup owner by e-mail: both expected,
    // on a line that matches no tracked file as on any other.
    let text = format!(
        "{}/services/ghost/ @evil @acme/platform\n/web/x/ tom@acme.example @Raj-Nimbus\n/ops/ @acme/ghosts stranger@acme.example\n",
        g.text
    );
    let (co, errors) = Codeowners::parse(&text);
    assert!(errors.is_empty(), "{errors:?}");
    let ghost = g.text.lines().count() + 1;
    let paths = vec!["services/api/main.rs".to_owned(), "web/index.ts".to_owned()];
    let report = codeowners::check(&co, &errors, &index, None, &paths);
    let found: Vec<(usize, &str, &str)> = report
        .unexpected_owners
        .iter()
        .map(|u| (u.line, u.pattern.as_str(), u.owner.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (ghost, "/services/ghost/", "@evil"),
            (ghost + 2, "/ops/", "@acme/ghosts"),
            (ghost + 2, "/ops/", "stranger@acme.example"),
        ]
    );
    assert!(
        report.disagreements.is_empty(),
        "{:#?}",
        report.disagreements
    );
    assert!(!report.is_clean());
    // In acme/mobile only `mobile` (nimbus-web, raj) and the services with
    // no `repos` count, so a line naming them there is expected too.
    let (co, errors) =
        Codeowners::parse("/app/ @acme/nimbus-web @raj-nimbus\n/x/ @acme/platform\n");
    let report = codeowners::check(&co, &errors, &index, Some("acme/mobile"), &[]);
    assert!(
        report.unexpected_owners.is_empty(),
        "{:?}",
        report.unexpected_owners
    );
}

#[test]
fn who_names_the_repositories_whose_services_claim_an_unowned_path() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let now: jiff::Timestamp = "2026-03-02T08:30:00Z".parse().unwrap();
    let a = owners::who(&index, None, "app/x.kt", now);
    assert!(a.services.is_empty());
    let elsewhere: Vec<(&str, &str)> = a
        .elsewhere
        .iter()
        .map(|c| (c.repo.as_str(), c.service.as_str()))
        .collect();
    assert_eq!(elsewhere, [("acme/mobile", "mobile")]);
    let owned = owners::who(&index, Some("acme/mobile"), "app/x.kt", now);
    assert!(owned.elsewhere.is_empty());
    assert!(
        owners::who(&index, None, "nowhere.txt", now)
            .elsewhere
            .is_empty()
    );
}
