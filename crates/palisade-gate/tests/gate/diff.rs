//! `diff`: adds, modifications, deletions and renames between two commits of
//! real repositories built by git itself, merges, shallow clones, bad refs.

use palisade_gate::diff::{ChangeKind, DiffError, diff};
use palisade_test_support::git::{Author, Repo};

fn kinds(change: &palisade_gate::diff::Change) -> Vec<(String, ChangeKind)> {
    change
        .files
        .iter()
        .map(|f| (f.path.clone(), f.kind.clone()))
        .collect()
}

#[test]
fn adds_modifications_deletions_and_renames_are_listed_and_both_sides_of_a_rename_count() {
    let r = Repo::new();
    r.write("services/api/main.rs", "fn main() {}\n")
        .write("services/api/old_name.rs", "pub fn moved() {}\n")
        .write("docs/gone.md", "bye\n")
        .write("README.md", "hello\n");
    let base = r.commit_all("base");
    r.write("services/api/main.rs", "fn main() { println!(); }\n")
        .write("infra/main.tf", "resource \"x\" \"y\" {}\n");
    std::fs::create_dir_all(r.join("lib")).unwrap();
    r.git(&["mv", "services/api/old_name.rs", "lib/new_name.rs"]);
    r.git(&["rm", "-q", "docs/gone.md"]);
    let head = r.commit_all("change");

    let change = diff(r.path(), &base, &head).unwrap();
    assert_eq!(change.base, base);
    assert_eq!(change.head, head);
    assert_eq!(change.merge_base, base);
    assert_eq!(
        kinds(&change),
        vec![
            ("docs/gone.md".to_owned(), ChangeKind::Deleted),
            ("infra/main.tf".to_owned(), ChangeKind::Added),
            (
                "lib/new_name.rs".to_owned(),
                ChangeKind::Renamed {
                    from: "services/api/old_name.rs".to_owned()
                }
            ),
            ("services/api/main.rs".to_owned(), ChangeKind::Modified),
        ]
    );
    let mut paths: Vec<&str> = change.paths().collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "docs/gone.md",
            "infra/main.tf",
            "lib/new_name.rs",
            "services/api/main.rs",
            "services/api/old_name.rs"
        ]
    );
    assert_eq!(change.path_count(), 5);
    assert_eq!(change.commits.len(), 1);
    assert_eq!(change.commits[0].id, head);
}

#[test]
fn refs_resolve_like_git_and_a_mode_change_is_a_modification() {
    let r = Repo::new();
    r.write("run.sh", "echo hi\n");
    r.commit_all("base");
    r.git(&["tag", "v1"]);
    r.git(&["update-index", "--chmod=+x", "run.sh"]);
    r.git(&["commit", "-q", "-m", "make it executable"]);
    let change = diff(r.path(), "v1", "HEAD").unwrap();
    assert_eq!(
        kinds(&change),
        vec![("run.sh".to_owned(), ChangeKind::Modified)]
    );
    let same = diff(r.path(), "HEAD", "HEAD").unwrap();
    assert!(same.files.is_empty() && same.commits.is_empty());
}

#[test]
fn the_change_runs_from_the_merge_base_so_later_base_commits_are_not_in_it() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("root");
    r.git(&["checkout", "-q", "-b", "feature"]);
    let vendor = Author {
        name: "Arjun Menon",
        email: "arjun@nimbus.example",
        date: "2026-02-01T10:00:00Z",
    };
    r.write("web/checkout/page.ts", "export {}\n");
    r.commit_all_as("feature work", vendor);
    r.write("web/checkout/more.ts", "export {}\n");
    r.commit_all_as("more feature work", vendor);
    let head = r.head();
    r.git(&["checkout", "-q", "main"]);
    r.write("services/ledger/x.rs", "// landed on main meanwhile\n");
    r.commit_all("main moves on");
    // A merge of main into the feature branch: its files are main's, not the change's.
    r.git(&["checkout", "-q", "feature"]);
    r.git(&["merge", "-q", "--no-edit", "main"]);
    let merged_head = r.head();

    let change = diff(r.path(), "main", &head).unwrap();
    let paths: Vec<&str> = change.paths().collect();
    assert_eq!(paths, ["web/checkout/more.ts", "web/checkout/page.ts"]);
    assert_eq!(change.commits.len(), 2);
    assert!(
        change
            .commits
            .iter()
            .all(|c| c.author_email == "arjun@nimbus.example")
    );

    let merged = diff(r.path(), "main", &merged_head).unwrap();
    let paths: Vec<&str> = merged.paths().collect();
    assert_eq!(paths, ["web/checkout/more.ts", "web/checkout/page.ts"]);
    // The merge commit itself is part of the change's history.
    assert_eq!(merged.commits.len(), 3);
}

#[test]
fn unknown_refs_and_unrelated_histories_are_precise_errors() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit_all("root");
    let err = diff(r.path(), "no-such-branch", "HEAD").unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            DiffError::UnknownRef {
                which: "--base",
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("no-such-branch") && text.contains("--base"),
        "{text}"
    );

    r.git(&["checkout", "-q", "--orphan", "other"]);
    r.write("b.txt", "b\n");
    r.commit_all("unrelated root");
    let err = diff(r.path(), "main", "other").unwrap_err();
    assert!(matches!(err, DiffError::Unrelated { .. }), "{err}");

    let tree = r.git(&["rev-parse", "HEAD^{tree}"]);
    let tree = String::from_utf8(tree.stdout).unwrap();
    let err = diff(r.path(), tree.trim(), "HEAD").unwrap_err();
    assert!(err.to_string().contains("not a commit"), "{err}");

    let outside = tempfile::tempdir().unwrap();
    let err = diff(outside.path(), "HEAD~1", "HEAD").unwrap_err();
    assert!(matches!(err, DiffError::NotARepository { .. }), "{err}");
}

#[test]
fn a_shallow_clone_missing_the_base_says_to_fetch_the_history() {
    let origin = Repo::new();
    origin.write("a.txt", "1\n");
    let base = origin.commit_all("one");
    origin.write("a.txt", "2\n");
    origin.commit_all("two");
    origin.write("a.txt", "3\n");
    let head = origin.commit_all("three");

    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.path().display());
    let out = origin
        .command(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let err = diff(&clone, &base, &head).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DiffError::Shallow { .. }), "{text}");
    assert!(
        text.contains("--unshallow") && text.contains("fetch-depth: 0"),
        "{text}"
    );
    // What the shallow clone does have still diffs.
    assert!(diff(&clone, &head, &head).unwrap().files.is_empty());
}
