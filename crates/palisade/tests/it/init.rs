//! `palisade init` in a real git repository, built at test time.

use std::path::Path;
use std::process::Command;

use palisade_model::{Model, Person};

use crate::{TODAY, palisade};

/// Runs git in `dir` with no global or system configuration, `HOME` in the
/// repository's temporary directory and the given extra environment.
fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `files` (path, text) and commits everything as `name <email>` at `date`.
fn commit(dir: &Path, (name, email): (&str, &str), date: &str, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["add", "-A"], &[]);
    git(
        dir,
        &["commit", "-q", "--allow-empty", "-m", "change"],
        &[
            ("GIT_AUTHOR_NAME", name),
            ("GIT_AUTHOR_EMAIL", email),
            ("GIT_AUTHOR_DATE", date),
            ("GIT_COMMITTER_NAME", name),
            ("GIT_COMMITTER_EMAIL", email),
            ("GIT_COMMITTER_DATE", date),
        ],
    );
}

fn empty_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"], &[]);
    dir
}

fn git_repo() -> tempfile::TempDir {
    let dir = empty_repo();
    for d in ["api", "web", "infra", "target", ".github"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    std::fs::write(
        dir.path().join(".github/CODEOWNERS"),
        "* @shop/platform @lee\n/web/ @shop/frontend @kim @ana\n",
    )
    .unwrap();
    dir
}

const KIM: (&str, &str) = ("Kim Park", "kim@shop.example");
const KIM_OLD: (&str, &str) = ("kim", "kpark@old-laptop.local");
const KIM_NOREPLY: (&str, &str) = ("kim park", "12345+kimpark@users.noreply.github.com");
const ANA: (&str, &str) = ("Ana Silva", "ana@shop.example");
const LEE: (&str, &str) = ("Lee Chan", "lee@shop.example");
const BOT: (&str, &str) = (
    "dependabot[bot]",
    "49699333+dependabot[bot]@users.noreply.github.com",
);

/// A shop with three services and four years of history: Kim wrote most of
/// `api` long ago, Ana owns it now; Lee does `infra`; Kim and Ana share
/// `web`. Kim committed under three addresses, one of them fixed by .mailmap.
fn shop_history() -> tempfile::TempDir {
    let repo = empty_repo();
    let dir = repo.path();
    std::fs::write(
        dir.join(".mailmap"),
        "# one person, one name\nKim Park <kim@shop.example> <kpark@old-laptop.local>\n",
    )
    .unwrap();
    commit(
        dir,
        KIM_OLD,
        "2022-03-01T10:00:00Z",
        &[("api/main.rs", "1")],
    );
    for (i, date) in ["2022-04-01", "2022-05-01", "2022-06-01", "2022-07-01"]
        .iter()
        .enumerate()
    {
        commit(
            dir,
            KIM,
            &format!("{date}T10:00:00Z"),
            &[("api/main.rs", &i.to_string())],
        );
    }
    commit(dir, LEE, "2026-01-10T10:00:00Z", &[("infra/main.tf", "1")]);
    commit(dir, ANA, "2026-02-10T10:00:00Z", &[("api/lib.rs", "1")]);
    commit(dir, ANA, "2026-03-10T10:00:00Z", &[("api/lib.rs", "2")]);
    commit(
        dir,
        KIM_NOREPLY,
        "2026-04-10T10:00:00Z",
        &[("web/app.ts", "1")],
    );
    commit(dir, KIM, "2026-05-10T10:00:00Z", &[("web/app.ts", "2")]);
    commit(dir, ANA, "2026-05-11T10:00:00Z", &[("web/app.ts", "3")]);
    commit(dir, LEE, "2026-06-10T10:00:00Z", &[("api/lib.rs", "3")]);
    commit(dir, BOT, "2026-07-01T10:00:00Z", &[("infra/deps.tf", "1")]);
    commit(dir, BOT, "2026-07-02T10:00:00Z", &[("infra/deps.tf", "2")]);
    // A merge: its author is a person, but a merge changes nothing itself.
    git(dir, &["checkout", "-q", "-b", "topic"], &[]);
    commit(dir, ANA, "2026-08-01T10:00:00Z", &[("web/page.ts", "1")]);
    git(dir, &["checkout", "-q", "main"], &[]);
    commit(dir, LEE, "2026-08-02T10:00:00Z", &[("infra/main.tf", "2")]);
    git(
        dir,
        &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"],
        &[
            ("GIT_AUTHOR_NAME", LEE.0),
            ("GIT_AUTHOR_EMAIL", LEE.1),
            ("GIT_AUTHOR_DATE", "2026-08-03T10:00:00Z"),
            ("GIT_COMMITTER_NAME", LEE.0),
            ("GIT_COMMITTER_EMAIL", LEE.1),
            ("GIT_COMMITTER_DATE", "2026-08-03T10:00:00Z"),
        ],
    );
    std::fs::create_dir_all(dir.join("target")).unwrap();
    repo
}

fn written(repo: &Path) -> (String, Model) {
    let text = std::fs::read_to_string(repo.join("palisade.toml")).unwrap();
    let model = palisade_model::parse(&text).unwrap();
    (text, model)
}

fn person<'m>(model: &'m Model, handle: &str) -> &'m Person {
    model
        .people
        .iter()
        .find(|p| p.handle == handle)
        .unwrap_or_else(|| panic!("no person `{handle}`: {:#?}", model.people))
}

fn owners<'m>(model: &'m Model, service: &str) -> (&'m str, Option<&'m str>) {
    let s = model
        .services
        .iter()
        .find(|s| s.id == service)
        .unwrap_or_else(|| panic!("no service `{service}`"));
    (s.owner.as_str(), s.backup_owner.as_deref())
}

/// The people and services of a starter, without the time zone (the
/// machine's) or the fixed sections that follow.
fn people_and_services(text: &str) -> String {
    let start = text.find("# People:").unwrap();
    let end = text.find("# Environments").unwrap();
    text[start..end].to_owned()
}

#[test]
fn init_writes_a_model_that_check_accepts() {
    let repo = git_repo();
    let sub = repo.path().join("api");
    let run = palisade(&sub, &["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("with 3 services"), "{}", run.stdout);
    assert!(run.stdout.contains(".github/CODEOWNERS"), "{}", run.stdout);
    let model = repo.path().join("palisade.toml");
    assert!(model.is_file(), "written at the repository root");
    let check = palisade(repo.path(), &["check", "--today", TODAY]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.contains("owner = \"kim\""));
    assert!(
        !text.contains("id = \"target\""),
        "build output is not a service"
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let repo = git_repo();
    assert_eq!(palisade(repo.path(), &["init"]).code, 0);
    let again = palisade(repo.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already exists; pass --force"),
        "{}",
        again.stderr
    );
    assert_eq!(palisade(repo.path(), &["init", "--force"]).code, 0);
}

#[test]
fn init_outside_a_repository_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = palisade(dir.path(), &["init"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not inside a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn init_guesses_people_and_owners_from_history() {
    let repo = shop_history();
    let run = palisade(repo.path(), &["init"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "with 3 services and 3 people guessed from the top-level directories, 17 commits of git history and .mailmap"
        ),
        "{}",
        run.stdout
    );
    let (text, model) = written(repo.path());

    // Kim's three addresses are one person: two by name, one by .mailmap.
    let kim = person(&model, "kimpark");
    assert_eq!(kim.name, "Kim Park");
    assert_eq!(kim.email, "kim@shop.example", "the most used address");
    assert_eq!(kim.emails, ["12345+kimpark@users.noreply.github.com"]);
    assert_eq!(kim.github.as_deref(), Some("kimpark"));
    assert!(
        !text.contains("kpark@old-laptop.local"),
        ".mailmap replaced it"
    );
    let ana = person(&model, "ana");
    assert_eq!(
        (ana.email.as_str(), ana.github.as_deref()),
        ("ana@shop.example", None)
    );
    assert_eq!(person(&model, "lee").name, "Lee Chan");
    assert_eq!(model.people.len(), 3, "the bot is left out");

    // api: Kim did most, but years ago; Ana, then Lee, in the last year.
    assert_eq!(owners(&model, "api"), ("ana", Some("lee")));
    // infra: Lee alone (the bot does not count); the backup is the most
    // active person of the repository.
    assert_eq!(owners(&model, "infra"), ("lee", Some("ana")));
    // web: Ana and Kim made two commits each (one of Ana's on a merged
    // branch); Ana's last is the more recent.
    assert_eq!(owners(&model, "web"), ("ana", Some("kimpark")));

    let check = palisade(repo.path(), &["check", "--today", TODAY]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains("0 errors"), "{}", check.stdout);
    insta::assert_snapshot!(people_and_services(&text));
}

#[test]
fn init_with_codeowners_and_history() {
    let repo = shop_history();
    let dir = repo.path();
    std::fs::create_dir_all(dir.join(".github")).unwrap();
    std::fs::write(
        dir.join(".github/CODEOWNERS"),
        "/web/ @shop/frontend @kimpark @newcomer\n/infra/ @shop/ops\n",
    )
    .unwrap();
    let run = palisade(dir, &["init"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(".mailmap and .github/CODEOWNERS"),
        "{}",
        run.stdout
    );
    let (text, model) = written(dir);
    // CODEOWNERS wins where it names people...
    assert_eq!(owners(&model, "web"), ("kimpark", Some("newcomer")));
    let newcomer = person(&model, "newcomer");
    assert_eq!(newcomer.github.as_deref(), Some("newcomer"));
    assert_eq!(newcomer.email, "newcomer@users.noreply.github.com");
    // ...names the team where it names only a team, and history does the rest.
    let infra = model.services.iter().find(|s| s.id == "infra").unwrap();
    assert_eq!((infra.team.as_str(), infra.owner.as_str()), ("ops", "lee"));
    assert_eq!(owners(&model, "api"), ("ana", Some("lee")));
    let ops = model.teams.iter().find(|t| t.id == "ops").unwrap();
    assert_eq!(ops.github_team.as_deref(), Some("shop/ops"));
    assert_eq!(model.people.len(), 4, "{text}");

    let check = palisade(dir, &["check", "--today", TODAY]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn init_without_commits_or_codeowners_says_what_to_do() {
    let repo = empty_repo();
    std::fs::create_dir_all(repo.path().join("api")).unwrap();
    let run = palisade(repo.path(), &["init"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("no commits and no CODEOWNERS")
            && run.stderr.contains("make a first commit"),
        "{}",
        run.stderr
    );
    assert!(
        !repo.path().join("palisade.toml").exists(),
        "nothing is written"
    );
}

#[test]
fn init_with_one_author_says_no_service_has_a_backup_owner() {
    let repo = empty_repo();
    let dir = repo.path();
    commit(
        dir,
        KIM,
        "2026-01-01T10:00:00Z",
        &[("api/a", "1"), ("web/b", "1")],
    );
    commit(dir, KIM, "2026-01-02T10:00:00Z", &[("api/a", "2")]);
    let run = palisade(dir, &["init"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("only kim was found, so no service has a backup owner"),
        "{}",
        run.stdout
    );
    let (text, model) = written(dir);
    assert!(text.contains("# Only one person was found"), "{text}");
    assert_eq!(owners(&model, "api"), ("kim", None));
    let check = palisade(dir, &["check", "--today", TODAY, "--format", "json"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    let report: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "error")
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["missing-backup-owner"; 2], "{}", check.stdout);
}

#[test]
fn init_in_a_shallow_clone_reads_what_history_there_is() {
    let origin = shop_history();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        clone.path(),
        &["clone", "-q", "--depth", "3", &url, "shop"],
        &[],
    );
    let dir = clone.path().join("shop");
    let run = palisade(&dir, &["init"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let (_, model) = written(&dir);
    assert!(model.people.len() >= 2, "{:#?}", model.people);
    let check = palisade(&dir, &["check", "--today", TODAY]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

/// The `.mailmap` reading agrees with git's own, `git check-mailmap`, on
/// every identity a mailmap of all four line forms, comments, case
/// differences and repeated addresses can map (and on ones it does not).
#[test]
fn mailmap_agrees_with_git_check_mailmap() {
    let repo = palisade_test_support::git::Repo::new();
    let mailmap = "\
# the four forms
Ada Lovelace <ada@example.org>
<bob@example.org> <bobby@old.example>
Chen Jing <chen@example.org> <cj@laptop.local>
Dora Maar <dora@example.org> dmaar <DORA@Old.Example>
Eve Ng <eve@example.org> Eve <eve@shared.example>
Evan Ng <evan@example.org> Evan <eve@shared.example>
Fay <fay@example.org>   # a comment after the last address
";
    repo.write(".mailmap", mailmap);
    let ours = palisade_model::Mailmap::parse(mailmap);
    let identities = [
        ("ada", "ada@example.org"),
        ("ADA", "Ada@Example.org"),
        ("Bobby", "bobby@old.example"),
        ("Bobby", "BOBBY@OLD.EXAMPLE"),
        ("cj", "cj@laptop.local"),
        ("dmaar", "dora@old.example"),
        ("Dmaar", "dora@old.example"),
        ("someone else", "dora@old.example"),
        ("Eve", "eve@shared.example"),
        ("Evan", "eve@shared.example"),
        ("eve", "eve@shared.example"),
        ("Nobody", "eve@shared.example"),
        ("fay", "fay@example.org"),
        ("Zed", "zed@example.org"),
    ];
    for (name, email) in identities {
        let out = repo.git(&["check-mailmap", &format!("{name} <{email}>")]);
        let git = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let (n, e) = ours.map(name, email);
        assert_eq!(format!("{n} <{e}>"), git, "{name} <{email}>");
    }
}
