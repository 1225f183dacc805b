//! `palisade access review` end to end on a temporary copy of the example
//! model and a SQLite store: a campaign where reviewers keep and revoke (a
//! revoked grant really revoked, a revoked standing role taken out of the
//! model file), self-review refused, the deadline settling what nobody
//! reviewed either way `revoke_unreviewed` says, the report, and the ledger.

use std::path::Path;

use serde_json::Value;

use crate::{Run, palisade, root};

const START: &str = "2026-12-01T09:00:00Z";
const LATER: &str = "2026-12-01T10:00:00Z";
/// The default `review_within` (14d) after START.
const DEADLINE: &str = "2026-12-15T09:00:00Z";

/// A temporary directory holding a copy of the example model.
fn acme() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/acme/palisade.toml"),
        dir.path().join("palisade.toml"),
    )
    .unwrap();
    dir
}

fn access(dir: &Path, args: &[&str], now: &str) -> Run {
    let mut all = vec![
        "access",
        "--model",
        "palisade.toml",
        "--now",
        now,
        "--db",
        "store.db",
    ];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// James's incident grant, active from START: its request id.
fn grant(dir: &Path) -> String {
    let made = json(&access(
        dir,
        &[
            "request",
            "--as",
            "james",
            "--role",
            "incident-responder",
            "--env",
            "prod",
            "--for",
            "6h",
            "--reason",
            "INC-4711",
            "--format",
            "json",
        ],
        START,
    ));
    let id = made[0]["id"].as_str().unwrap().to_owned();
    let ok = access(
        dir,
        &["approve", &id, "--as", "sofia", "--reason", "on call"],
        START,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    id
}

/// James's grant approved at START to start an hour before the deadline and
/// last past it: its request id.
fn later_grant(dir: &Path) -> String {
    let made = json(&access(
        dir,
        &[
            "request",
            "--as",
            "james",
            "--role",
            "prod-reader",
            "--for",
            "12h",
            "--reason",
            "release week",
            "--start",
            "2026-12-15T08:00:00Z",
            "--format",
            "json",
        ],
        START,
    ));
    let id = made[0]["id"].as_str().unwrap().to_owned();
    let ok = access(
        dir,
        &["approve", &id, "--as", "sofia", "--reason", "ok"],
        START,
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    id
}

/// The item number of `person`'s `role` held `via` in the campaign shown.
fn item(shown: &Value, person: &str, role: &str, via: &str) -> String {
    shown["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["person"] == person && i["role"] == role && i["via"] == via)
        .unwrap_or_else(|| panic!("no item {person} {role} {via}"))["item"]
        .to_string()
}

fn state_of(dir: &Path, id: &str, now: &str) -> String {
    let shown = json(&access(dir, &["show", id, "--format", "json"], now));
    shown[0]["state"].as_str().unwrap().to_owned()
}

fn roles_of(dir: &Path, handle: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("palisade.toml")).unwrap();
    let model = palisade_model::parse(&text).unwrap();
    model
        .people
        .iter()
        .find(|p| p.handle == handle)
        .unwrap()
        .roles
        .clone()
}

fn ledger_kinds(dir: &Path) -> Vec<String> {
    let tail = palisade(
        dir,
        &[
            "ledger",
            "tail",
            "-n",
            "1000",
            "--db",
            "store.db",
            "--model",
            "palisade.toml",
            "--format",
            "json",
        ],
    );
    json(&tail)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn reviewers_keep_and_revoke_self_review_is_refused_and_the_report_says_who_did_what() {
    let dir = acme();
    let d = dir.path();
    let id = grant(d);
    let started = json(&access(
        d,
        &["review", "start", "--as", "eleanor", "--format", "json"],
        START,
    ));
    let campaign = started["campaign"]["id"].as_str().unwrap().to_owned();
    assert_eq!(started["campaign"]["deadline"], DEADLINE);
    let shown = json(&access(d, &["review", "show", "--format", "json"], START));
    assert_eq!(shown["campaign"]["id"], campaign.as_str());
    let on_grant = item(&shown, "james", "incident-responder", &id);
    let marcus = item(&shown, "marcus", "prod-reader", "standing");
    let james_reader = item(&shown, "james", "prod-reader", "standing");
    // Standing roles: no data on their use; the grant: its start.
    let items = shown["items"].as_array().unwrap();
    let grant_item = items.iter().find(|i| i["via"] == id.as_str()).unwrap();
    assert_eq!(grant_item["last_use"], START);
    assert!(
        items
            .iter()
            .filter(|i| i["via"] == "standing")
            .all(|i| i["last_use"].is_null())
    );
    let human = access(d, &["review", "show"], START);
    assert!(human.stdout.contains("no data"), "{}", human.stdout);

    // James may not review his own grant.
    let own = access(
        d,
        &[
            "review", "decide", &on_grant, "--keep", "--as", "james", "--reason", "mine",
        ],
        LATER,
    );
    assert_eq!(own.code, 2, "{}", own.stdout);
    assert!(
        own.stderr.contains("james cannot review their own access"),
        "{}",
        own.stderr
    );

    let kept = access(
        d,
        &[
            "review",
            "decide",
            &marcus,
            "--keep",
            "--as",
            "sofia",
            "--reason",
            "on the on-call rota",
        ],
        LATER,
    );
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(kept.stdout.contains("kept by sofia"), "{}", kept.stdout);
    let twice = access(
        d,
        &[
            "review", "decide", &marcus, "--revoke", "--as", "dana", "--reason", "again",
        ],
        LATER,
    );
    assert_eq!(twice.code, 2);
    assert!(
        twice.stderr.contains("already reviewed"),
        "{}",
        twice.stderr
    );

    // Revoking the grant revokes it.
    assert_eq!(state_of(d, &id, LATER), "active");
    let revoked = json(&access(
        d,
        &[
            "review",
            "decide",
            &on_grant,
            "--revoke",
            "--as",
            "sofia",
            "--reason",
            "incident over",
            "--format",
            "json",
        ],
        LATER,
    ));
    assert_eq!(revoked["decided"]["revoked_grant"]["id"], id.as_str());
    assert_eq!(state_of(d, &id, LATER), "revoked");

    // Revoking a standing role takes it out of palisade.toml, comments kept.
    assert_eq!(roles_of(d, "james"), ["dev-developer", "prod-reader"]);
    let removed = access(
        d,
        &[
            "review",
            "decide",
            &james_reader,
            "--revoke",
            "--as",
            "dana",
            "--reason",
            "left on-call",
        ],
        LATER,
    );
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(
        removed
            .stdout
            .contains("removed standing role prod-reader from james in palisade.toml"),
        "{}",
        removed.stdout
    );
    assert_eq!(roles_of(d, "james"), ["dev-developer"]);
    let text = std::fs::read_to_string(d.join("palisade.toml")).unwrap();
    assert!(text.contains("# Production access is approved by its owners"));

    let report = json(&access(
        d,
        &["review", "report", &campaign, "--format", "json"],
        LATER,
    ));
    assert_eq!(report["totals"]["reviewed"], 3);
    assert_eq!(report["totals"]["kept"], 1);
    assert_eq!(report["totals"]["revoked"], 2);
    assert_eq!(
        report["reviewers"],
        serde_json::json!([
            {"reviewer": "dana", "kept": 0, "revoked": 1},
            {"reviewer": "sofia", "kept": 1, "revoked": 1},
        ])
    );
    let row = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"].as_u64() == marcus.parse().ok())
        .unwrap();
    assert_eq!(row["reviewer"], "sofia");
    assert_eq!(row["decision"], "keep");
    assert_eq!(row["reason"], "on the on-call rota");
    assert_eq!(row["decided"], LATER);
    assert_eq!(row["outcome"], "kept");
    let human = access(d, &["review", "report"], LATER);
    assert!(
        human
            .stdout
            .contains("kept by sofia at 2026-12-01T10:00:00Z: on the on-call rota"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("reviewer dana: 0 kept, 1 revoked"));

    let kinds = ledger_kinds(d);
    let review: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| k.starts_with("access.review."))
        .collect();
    assert_eq!(
        review,
        [
            "access.review.start",
            "access.review.decision",
            "access.review.decision",
            "access.review.decision"
        ]
    );
}

#[test]
fn the_deadline_revokes_what_nobody_reviewed() {
    let dir = acme();
    let d = dir.path();
    // A grant that outlives the campaign, unreviewed.
    let id = later_grant(d);
    let started = json(&access(
        d,
        &["review", "start", "--as", "eleanor", "--format", "json"],
        START,
    ));
    let campaign = started["campaign"]["id"].as_str().unwrap().to_owned();
    let shown = json(&access(d, &["review", "show", "--format", "json"], START));
    let marcus = item(&shown, "marcus", "prod-reader", "standing");
    let kept = access(
        d,
        &[
            "review", "decide", &marcus, "--keep", "--as", "sofia", "--reason", "on call",
        ],
        LATER,
    );
    assert_eq!(kept.code, 0, "{}", kept.stderr);

    let early = access(d, &["review", "close", "--as", "eleanor"], LATER);
    assert_eq!(early.code, 2);
    assert!(early.stderr.contains("not reviewed"), "{}", early.stderr);

    // At the deadline any review command closes it.
    let closed = access(d, &["review", "list"], DEADLINE);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert!(
        closed
            .stdout
            .contains(&format!("closed access review {campaign}")),
        "{}",
        closed.stdout
    );
    assert!(closed.stdout.contains(&format!("grant {id} revoked")));
    assert_eq!(state_of(d, &id, DEADLINE), "revoked");
    assert_eq!(
        roles_of(d, "marcus"),
        ["prod-reader"],
        "kept; dev-developer unreviewed"
    );
    assert!(roles_of(d, "james").is_empty());

    let report = json(&access(
        d,
        &["review", "report", "--format", "json"],
        DEADLINE,
    ));
    assert_eq!(report["campaign"]["state"], "closed");
    assert_eq!(report["campaign"]["closed_by"], "palisade");
    let items = report["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|i| i["outcome"] == "kept" || i["outcome"] == "revoked-at-deadline"),
        "{report}"
    );
    assert_eq!(report["totals"]["revoked_at_deadline"], items.len() - 1);
    let late = access(
        d,
        &[
            "review",
            "decide",
            "1",
            "--keep",
            "--as",
            "sofia",
            "--reason",
            "late",
            "--campaign",
            &campaign,
        ],
        DEADLINE,
    );
    assert_eq!(late.code, 2);
    assert!(late.stderr.contains("is closed"), "{}", late.stderr);
    assert!(ledger_kinds(d).iter().any(|k| k == "access.review.close"));
}

#[test]
fn without_revoke_unreviewed_the_deadline_leaves_access_marked() {
    let dir = acme();
    let d = dir.path();
    let file = d.join("palisade.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = if text.contains("\n[access]\n") {
        text.replacen("\n[access]\n", "\n[access]\nrevoke_unreviewed = false\n", 1)
    } else {
        format!("{text}\n[access]\nrevoke_unreviewed = false\n")
    };
    std::fs::write(&file, &text).unwrap();
    let id = later_grant(d);
    let started = access(d, &["review", "start", "--as", "eleanor"], START);
    assert_eq!(started.code, 0, "{}", started.stderr);
    let closed = access(d, &["review", "close", "--as", "eleanor"], DEADLINE);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert!(
        closed
            .stdout
            .contains("0 kept, 0 revoked by reviewers, 0 revoked at the deadline"),
        "{}",
        closed.stdout
    );
    let report = json(&access(
        d,
        &["review", "report", "--format", "json"],
        DEADLINE,
    ));
    let items = report["items"].as_array().unwrap();
    assert!(
        items.iter().all(|i| i["outcome"] == "left-at-deadline"),
        "{report}"
    );
    assert_eq!(report["totals"]["left_at_deadline"], items.len());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "model untouched"
    );
    assert_eq!(state_of(d, &id, DEADLINE), "active", "the grant was left");
}

#[cfg(unix)]
#[test]
fn a_model_file_that_cannot_be_written_gets_the_change_printed() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = acme();
    let d = dir.path();
    json(&access(
        d,
        &["review", "start", "--as", "eleanor", "--format", "json"],
        START,
    ));
    let shown = json(&access(d, &["review", "show", "--format", "json"], START));
    let tomas = item(&shown, "tomas", "dev-developer", "standing");
    // A model file whose directory refuses new files: the temporary file cannot be made.
    let sub = d.join("ro");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(d.join("palisade.toml"), sub.join("palisade.toml")).unwrap();
    let writable = |yes: bool| {
        let mode = if yes { 0o755 } else { 0o555 };
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    writable(false);
    if std::fs::write(sub.join("probe"), "").is_ok() {
        // Running with privileges that ignore permissions: nothing to test.
        let _ = std::fs::remove_file(sub.join("probe"));
        writable(true);
        return;
    }
    let run = palisade(
        d,
        &[
            "access",
            "--model",
            "ro/palisade.toml",
            "--now",
            LATER,
            "--db",
            "store.db",
            "review",
            "decide",
            &tomas,
            "--revoke",
            "--as",
            "marcus",
            "--reason",
            "moved to sales",
        ],
    );
    writable(true);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("the model file was not changed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("-roles = [\"dev-developer\"]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("+roles = []"), "{}", run.stdout);
}
