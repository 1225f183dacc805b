//! `palisade monitor follow` stopped and started again, as a service manager
//! does: SIGTERM and SIGINT store what was read and exit 0, and the next run
//! resumes at the saved position, so lines written while it was stopped are
//! read once; rotation and truncation while stopped are told and handled;
//! `--from-start`, `--from-end` and an overlong line.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;

use palisade_store::{MonitorFollowRow, Store};
use serde_json::Value;

use crate::monitor::{alerts, all_alerts, append, json, lines_of, model_in, sshd, wait_for};

const HOST: &str = "bastion.staging.acme.internal";

/// An accepted login of `user` at 2026-10-06 `hms` UTC.
fn accepted(hms: &str, user: &str) -> String {
    sshd(
        &format!("2026-10-06T{hms}+00:00"),
        HOST,
        &format!(
            "Accepted publickey for {user} from 203.0.113.30 port 40000 ssh2: ED25519 SHA256:abc"
        ),
    )
}

/// A running `palisade monitor follow` on `auth.log` of its directory.
pub(crate) struct Follower {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    out: Vec<String>,
    err: Vec<String>,
}

impl Follower {
    /// Starts following, with `extra` arguments, and waits until it follows.
    pub(crate) fn start(dir: &Path, extra: &[&str]) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args([
                "monitor",
                "--model",
                "palisade.toml",
                "--db",
                "store.db",
                "follow",
                "--source",
                "sshd",
                "auth.log",
                "--poll-ms",
                "50",
                "--year",
                "2026",
                "--zone",
                "UTC",
            ])
            .args(extra)
            .current_dir(dir)
            .env_remove("PALISADE_DB")
            .env_remove("PALISADE_FORMAT")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        let mut follower = Follower {
            child,
            stdout,
            stderr,
            out: Vec::new(),
            err: Vec::new(),
        };
        wait_for(&follower.stderr, "following", &mut follower.err);
        follower
    }

    /// Waits for an alert line naming `needle`.
    pub(crate) fn alert(&mut self, needle: &str) {
        wait_for(&self.stdout, needle, &mut self.out);
    }

    /// Waits for a warning saying `needle`.
    pub(crate) fn warned(&mut self, needle: &str) {
        wait_for(&self.stderr, needle, &mut self.err);
    }

    /// Sends `signal` (`TERM`, `INT`) the way a service manager does.
    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -s {signal}: {sent}");
    }

    /// Waits for it to exit: its status, and everything it printed.
    pub(crate) fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let status = self.child.wait().unwrap();
        self.out.extend(self.stdout.iter());
        self.err.extend(self.stderr.iter());
        (status, self.out, self.err.join("\n"))
    }
}

/// One run that stops after a second without new lines.
fn run_until_idle(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--idle-exit", "1"];
    args.extend_from_slice(extra);
    let (status, _, err) = Follower::start(dir, &args).finish();
    assert!(status.success(), "{status}: {err}");
    err
}

/// What the store in `dir` holds of the follower's work.
struct Stored {
    events: u64,
    checkpoint: Option<MonitorFollowRow>,
    profiles: Vec<String>,
    /// kavya's last uses, as `resource via_kind:via`.
    kavya_used: Vec<String>,
}

fn stored(dir: &Path) -> Stored {
    let key = dir.canonicalize().unwrap().join("auth.log");
    let key = key.to_str().unwrap().to_owned();
    let db: PathBuf = dir.join("store.db");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = Store::open(db.to_str().unwrap()).await.unwrap();
            let found = Stored {
                events: store.monitor_event_count().await.unwrap(),
                checkpoint: store.monitor_follow_checkpoint(&key).await.unwrap(),
                profiles: store
                    .monitor_profiles()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(person, _)| person)
                    .collect(),
                kavya_used: store
                    .monitor_last_uses("kavya")
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|u| format!("{} {}:{}", u.resource, u.via_kind, u.via))
                    .collect(),
            };
            store.close().await;
            found
        })
}

/// The unknown actors alerted on, each as often as alerted.
fn ghosts(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = all_alerts(dir)
        .iter()
        .filter(|a| a["detector"] == "unknown_actor")
        .map(|a| a["actor"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

/// The file and line the first evidence of the alert on `actor` names.
fn evidence(dir: &Path, actor: &str) -> (String, u64) {
    let list = all_alerts(dir);
    let alert = list.iter().find(|a| a["actor"] == actor).unwrap();
    let shown: Value = json(&alerts(
        dir,
        &["show", alert["id"].as_str().unwrap(), "--format", "json"],
    ));
    let first = &shown["evidence"][0];
    (
        first["file"].as_str().unwrap().to_owned(),
        first["line"].as_u64().unwrap(),
    )
}

/// The line of `auth.log` the first evidence of the alert on `actor` names.
fn evidence_line(dir: &Path, actor: &str) -> u64 {
    let (file, line) = evidence(dir, actor);
    assert_eq!(file, "auth.log", "{actor}");
    line
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn sigterm_stores_what_was_read_and_a_restart_reads_the_lines_written_while_stopped_once() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, accepted("05:00:00", "ghost.before") + "\n").unwrap();

    let mut first = Follower::start(dir.path(), &[]);
    append(
        &log,
        &[
            accepted("06:00:00", "kavya.iyer"),
            accepted("06:00:10", "ghost.one"),
        ],
    );
    first.alert("ghost.one");
    first.signal("TERM");
    let (status, _, err) = first.finish();
    assert!(status.success(), "{status}: {err}");
    assert!(
        err.contains("no saved position for auth.log: starting after the 1 lines already in it"),
        "{err}"
    );
    assert!(err.contains("SIGTERM: storing what was read"), "{err}");
    assert!(
        err.contains(
            "stopped after 2 lines: 2 events; the next run resumes after line 3 of auth.log"
        ),
        "{err}"
    );
    let after_first = stored(dir.path());
    assert_eq!(after_first.events, 2);
    assert!(
        after_first.profiles.contains(&"kavya".to_owned()),
        "{:?}",
        after_first.profiles
    );
    // What covered her login is stored for the access review's last use.
    assert_eq!(
        after_first.kavya_used,
        ["resource:staging/staging-hosts role:staging-deployer"],
    );
    let checkpoint = after_first.checkpoint.unwrap();
    assert_eq!((checkpoint.offset, checkpoint.line), (file_len(&log), 3));

    // Written while nothing follows the log.
    append(
        &log,
        &[
            accepted("06:01:00", "ghost.while.a"),
            accepted("06:01:10", "ghost.while.b"),
        ],
    );
    let err = run_until_idle(dir.path(), &[]);
    assert!(err.contains("resuming auth.log after line 3"), "{err}");
    assert!(err.contains("stopped after 2 lines: 2 events"), "{err}");
    assert_eq!(stored(dir.path()).events, 4, "each line stored once");
    assert_eq!(
        ghosts(dir.path()),
        ["ghost.one", "ghost.while.a", "ghost.while.b"]
    );
    // Line numbers count the lines that were there before the first run.
    assert_eq!(evidence_line(dir.path(), "ghost.one"), 3);
    assert_eq!(evidence_line(dir.path(), "ghost.while.b"), 5);

    // Nothing new: nothing read again.
    let err = run_until_idle(dir.path(), &[]);
    assert!(err.contains("stopped after 0 lines"), "{err}");
    assert_eq!(stored(dir.path()).events, 4);
}

#[test]
fn killed_after_the_log_went_quiet_the_next_run_reads_nothing_again() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, "").unwrap();
    let mut first = Follower::start(dir.path(), &["--checkpoint-secs", "3600"]);
    append(
        &log,
        &[
            accepted("06:00:00", "kavya.iyer"),
            accepted("06:00:10", "ghost.one"),
        ],
    );
    first.alert("ghost.one");
    // Quiet after new lines: stored without waiting for --checkpoint-secs.
    // The wait only keeps a broken follower from hanging the suite.
    let mut tries = 0;
    while stored(dir.path()).checkpoint.is_none_or(|c| c.line < 2) {
        tries += 1;
        assert!(tries < 1_200, "no checkpoint after the log went quiet");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    first.signal("KILL");
    let (status, _, err) = first.finish();
    assert!(!status.success(), "{err}");
    let after_kill = stored(dir.path());
    assert_eq!(after_kill.events, 2);
    assert!(after_kill.profiles.contains(&"kavya".to_owned()));

    let err = run_until_idle(dir.path(), &[]);
    assert!(err.contains("resuming auth.log after line 2"), "{err}");
    assert!(err.contains("stopped after 0 lines"), "{err}");
    assert_eq!(stored(dir.path()).events, 2);
    assert_eq!(ghosts(dir.path()), ["ghost.one"]);
}

#[test]
fn sigint_then_a_rotation_while_stopped_reads_the_rest_of_the_old_file_then_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, accepted("05:00:00", "ghost.first") + "\n").unwrap();

    let mut first = Follower::start(dir.path(), &["--from-start"]);
    first.alert("ghost.first");
    first.signal("INT");
    let (status, _, err) = first.finish();
    assert!(status.success(), "{status}: {err}");
    assert!(err.contains("SIGINT: storing what was read"), "{err}");
    assert_eq!(stored(dir.path()).events, 1);

    // Rotated while stopped, after a line the first run never saw.
    append(&log, &[accepted("06:00:00", "ghost.late")]);
    std::fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
    std::fs::write(&log, accepted("06:05:00", "ghost.new") + "\n").unwrap();
    let err = run_until_idle(dir.path(), &[]);
    assert!(
        err.contains("auth.log was rotated while stopped: reading the rest of")
            && err.contains("auth.log.1 from where the last run stopped"),
        "{err}"
    );
    assert!(err.contains("stopped after 2 lines: 2 events"), "{err}");
    assert_eq!(stored(dir.path()).events, 3);
    assert_eq!(
        ghosts(dir.path()),
        ["ghost.first", "ghost.late", "ghost.new"]
    );
    // Each line's evidence names the file it is in now.
    assert_eq!(evidence(dir.path(), "ghost.first"), ("auth.log".into(), 1));
    assert_eq!(evidence(dir.path(), "ghost.late"), ("auth.log.1".into(), 2));
    assert_eq!(evidence(dir.path(), "ghost.new"), ("auth.log".into(), 1));
    let checkpoint = stored(dir.path()).checkpoint.unwrap();
    assert_eq!((checkpoint.offset, checkpoint.line), (file_len(&log), 1));
}

#[test]
fn a_log_rotated_away_while_stopped_is_read_from_the_new_start_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, accepted("05:00:00", "ghost.first") + "\n").unwrap();
    run_until_idle(dir.path(), &["--from-start"]);
    assert_eq!(stored(dir.path()).events, 1);

    // Rotated into another directory, a line with it. (Deleting it would
    // let the new file be given its inode number: told apart by its bytes,
    // that is a replaced file, a case of its own.)
    append(&log, &[accepted("06:00:00", "ghost.lost")]);
    std::fs::create_dir(dir.path().join("archive")).unwrap();
    std::fs::rename(&log, dir.path().join("archive/auth.log.1")).unwrap();
    std::fs::write(
        dir.path().join("auth.log.1.gz"),
        b"\x1f\x8b\x08\0compressed\n",
    )
    .unwrap();
    std::fs::write(&log, accepted("06:05:00", "ghost.new") + "\n").unwrap();
    let err = run_until_idle(dir.path(), &[]);
    assert!(
        err.contains("auth.log was rotated while stopped and the old file is not beside it")
            && err.contains("may have been missed"),
        "{err}"
    );
    assert_eq!(stored(dir.path()).events, 2);
    assert_eq!(ghosts(dir.path()), ["ghost.first", "ghost.new"]);
}

#[test]
fn a_log_truncated_while_stopped_is_read_again_from_its_start_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        [
            accepted("05:00:00", "ghost.first"),
            accepted("05:00:10", "ghost.second"),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    run_until_idle(dir.path(), &["--from-start"]);
    // Emptied in place (copytruncate), then one line shorter than before.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, &[accepted("06:00:00", "ghost.x")]);
    let err = run_until_idle(dir.path(), &[]);
    assert!(
        err.contains("auth.log was truncated, rewritten or replaced while stopped"),
        "{err}"
    );
    assert_eq!(stored(dir.path()).events, 3);
    assert_eq!(
        ghosts(dir.path()),
        ["ghost.first", "ghost.second", "ghost.x"]
    );
    assert_eq!(evidence_line(dir.path(), "ghost.x"), 1);
}

#[test]
fn from_end_skips_what_was_written_while_stopped_and_the_next_run_resumes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, accepted("05:00:00", "ghost.first") + "\n").unwrap();
    let err = run_until_idle(dir.path(), &["--from-start"]);
    assert!(
        err.contains("no saved position for auth.log: reading it from its start"),
        "{err}"
    );
    assert!(err.contains("stopped after 1 lines: 1 events"), "{err}");

    append(&log, &[accepted("06:00:00", "ghost.skipped")]);
    let err = run_until_idle(dir.path(), &["--from-end"]);
    assert!(
        err.contains("--from-end: starting after the 2 lines already in auth.log"),
        "{err}"
    );
    assert_eq!(stored(dir.path()).events, 1);

    append(&log, &[accepted("06:05:00", "ghost.last")]);
    let err = run_until_idle(dir.path(), &[]);
    assert!(err.contains("resuming auth.log after line 2"), "{err}");
    assert_eq!(ghosts(dir.path()), ["ghost.first", "ghost.last"]);

    let both = crate::palisade(
        dir.path(),
        &[
            "monitor",
            "--db",
            "store.db",
            "follow",
            "--source",
            "sshd",
            "auth.log",
            "--from-start",
            "--from-end",
        ],
    );
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
}

#[test]
fn an_overlong_line_is_counted_and_skipped_and_the_next_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    let mut text = vec![b'x'; 2 << 20];
    text.push(b'\n');
    text.extend_from_slice((accepted("06:00:00", "ghost.after") + "\n").as_bytes());
    std::fs::write(&log, text).unwrap();
    let err = run_until_idle(dir.path(), &["--from-start"]);
    assert!(
        err.contains("stopped after 2 lines: 1 events, problems 1 malformed"),
        "{err}"
    );
    assert_eq!(ghosts(dir.path()), ["ghost.after"]);
    assert_eq!(evidence_line(dir.path(), "ghost.after"), 2);
    let checkpoint = stored(dir.path()).checkpoint.unwrap();
    assert_eq!((checkpoint.offset, checkpoint.line), (file_len(&log), 2));
}
