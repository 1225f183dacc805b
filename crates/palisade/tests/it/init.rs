//! `palisade init` in a real git repository.

use std::process::Command;

use crate::{TODAY, palisade};

fn git_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
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
