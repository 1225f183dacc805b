//! `palisade monitor` and `palisade alerts` end to end on a SQLite store:
//! bad lines counted while the rest is read, each detector's alert naming
//! its person, folding within the dedupe window, states changed by someone
//! for a reason and ledgered, grant windows silencing off hours, a followed
//! log read across rotation and truncation (and learning of grants made
//! while it runs), and a delivery that survives a receiver answering 503.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::monitor_follow::Follower;
use crate::{Run, palisade, root};

/// The moment the monitor records alerts at: after every event below.
const NOW: &str = "2026-10-07T00:00:00Z";

/// Epoch milliseconds of 2026-10-`day` `hh:mm` UTC (GitHub's `@timestamp`).
/// 2026-10-05 is a Monday; 20:30 UTC on it is Tuesday 02:00 in Kolkata.
fn ms(day: u64, hh: u64, mm: u64) -> u64 {
    const OCT_5: u64 = 1_791_158_400; // 2026-10-05T00:00:00Z
    (OCT_5 + (day - 5) * 86_400 + hh * 3_600 + mm * 60) * 1_000
}

/// One GitHub audit-log record of a clone.
fn clone(at_ms: u64, login: &str, repo: &str, doc: &str) -> String {
    format!(
        r#"{{"@timestamp": {at_ms}, "action": "git.clone", "actor": "{login}", "repo": "acme/{repo}", "actor_ip": "198.51.100.7", "_document_id": "{doc}"}}"#
    )
}

/// One sshd syslog line on a host, with an RFC 3339 prefix.
pub(crate) fn sshd(time: &str, host: &str, what: &str) -> String {
    format!("{time} {host} sshd[42]: {what}")
}

/// A copy of the example model in `dir`, with `extra` appended.
pub(crate) fn model_in(dir: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    let path = dir.join("palisade.toml");
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    path
}

/// `palisade monitor ingest` on the store in `dir`, judged at `now`.
fn ingest(dir: &Path, now: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "monitor",
        "--model",
        "palisade.toml",
        "--db",
        "store.db",
        "--now",
        now,
        "ingest",
        "--year",
        "2026",
        "--zone",
        "UTC",
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

/// `palisade alerts` on the store in `dir`.
pub(crate) fn alerts(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["alerts", "--model", "palisade.toml", "--db", "store.db"];
    all.extend_from_slice(args);
    palisade(dir, &all)
}

/// The JSON a successful run printed.
pub(crate) fn json(run: &Run) -> Value {
    assert_eq!(
        run.code, 0,
        "stderr: {}\nstdout: {}",
        run.stderr, run.stdout
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// Every alert of the store, as `alerts list --format json` prints them.
pub(crate) fn all_alerts(dir: &Path) -> Vec<Value> {
    json(&alerts(dir, &["list", "--format", "json"]))
        .as_array()
        .unwrap()
        .clone()
}

/// The alerts of `detector`.
fn of<'a>(list: &'a [Value], detector: &str) -> Vec<&'a Value> {
    list.iter().filter(|a| a["detector"] == detector).collect()
}

/// A GitHub log with one finding of each kind a clone can show, around
/// three bad lines; an sshd log with a burst of failed logins then a success.
fn write_logs(dir: &Path) {
    let mut gh = [
        // arjun (nimbus, Asia/Kolkata, Mon-Fri 10:00-19:00) at 02:00 his time
        clone(ms(5, 20, 30), "arjun-menon-nimbus", "payments", "d-night"),
        // the same clone at 12:00 his time
        clone(ms(6, 6, 30), "arjun-menon-nimbus", "payments", "d-noon"),
        // gareth, offboarded on 2026-08-29, inside his old hours
        clone(ms(6, 12, 0), "glloyd", "platform", "d-gone"),
        // cut off mid-record
        r#"{"@timestamp": 1791268200000, "action": "git.clo"#.to_owned(),
        "not json at all".to_owned(),
    ]
    .join("\n")
    .into_bytes();
    gh.extend_from_slice(
        b"\n{\"@timestamp\": 1791268200000, \"action\": \"git.clone\", \"actor\": \"\xff\xfe\"}\n",
    );
    // after the bad lines: still read
    gh.extend_from_slice(clone(ms(6, 12, 5), "mallory-x", "platform", "d-who").as_bytes());
    gh.push(b'\n');
    std::fs::write(dir.join("audit.ndjson"), gh).unwrap();

    let host = "bastion.prod.acme.internal";
    let mut auth: Vec<String> = (1..=5)
        .map(|i| {
            sshd(
                &format!("2026-10-06T06:4{i}:00+00:00"),
                host,
                &format!("Failed password for arjun.menon from 203.0.113.9 port 5000{i} ssh2"),
            )
        })
        .collect();
    auth.push("this line is no syslog at all".to_owned());
    auth.push(sshd(
        "2026-10-06T06:46:30+00:00",
        host,
        "Accepted password for arjun.menon from 203.0.113.9 port 50009 ssh2",
    ));
    std::fs::write(dir.join("auth.log"), auth.join("\n") + "\n").unwrap();
}

/// The alerts of the logs of [`write_logs`], ingested into a new store.
fn ingested(dir: &Path) -> Value {
    model_in(dir, "");
    write_logs(dir);
    json(&ingest(
        dir,
        NOW,
        &[
            "--source",
            "github",
            "audit.ndjson",
            "--source",
            "sshd",
            "auth.log",
        ],
    ))
}

#[test]
fn ingest_counts_bad_lines_reads_on_and_raises_each_detectors_alert() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingested(dir.path());

    let sources = out["sources"].as_array().unwrap();
    let github = &sources[0];
    assert_eq!(github["source"], "github", "{out}");
    assert_eq!(github["stats"]["records"], 7, "{github}");
    assert_eq!(github["stats"]["events"], 4, "{github}");
    assert_eq!(
        github["stats"]["problems"],
        serde_json::json!({"truncated": 1, "malformed": 1, "invalid_utf8": 1}),
        "{github}"
    );
    let sshd = &sources[1];
    assert_eq!(sshd["source"], "sshd", "{out}");
    assert_eq!(sshd["stats"]["records"], 7, "{sshd}");
    assert_eq!(sshd["stats"]["events"], 6, "{sshd}");
    let problems = sshd["stats"]["problems"].as_object().unwrap();
    assert_eq!(
        problems.values().filter_map(Value::as_u64).sum::<u64>(),
        1,
        "{sshd}"
    );
    assert_eq!(out["events_stored"], 10, "{out}");

    let list = all_alerts(dir.path());
    let kinds: BTreeSet<(&str, &str)> = list
        .iter()
        .map(|a| {
            (
                a["detector"].as_str().unwrap(),
                a["person"].as_str().or(a["actor"].as_str()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            ("off_hours", "arjun"),
            ("after_end", "gareth"),
            ("unknown_actor", "mallory-x"),
            ("failed_logins", "arjun"),
        ]),
        "{list:#?}"
    );
    assert_eq!(list.len(), 4, "one alert each: {list:#?}");

    // The night clone, not the noon one: in his zone, naming his hours.
    let night = of(&list, "off_hours")[0];
    assert_eq!(night["first_seen"], "2026-10-05T20:30:00Z", "{night}");
    assert_eq!(night["last_seen"], "2026-10-05T20:30:00Z", "{night}");
    assert_eq!(night["count"], 1, "{night}");
    assert_eq!(night["resource"], "repository:acme/payments", "{night}");
    let sentence = night["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("arjun ")
            && sentence.contains("02:00 IST")
            && sentence.contains("Mon-Fri 10:00-19:00"),
        "{sentence}"
    );

    let gone = of(&list, "after_end")[0];
    assert_eq!(gone["severity"], "critical", "{gone}");
    assert!(
        gone["sentence"]
            .as_str()
            .unwrap()
            .contains("offboarded on 2026-08-29"),
        "{gone}"
    );
    let who = of(&list, "unknown_actor")[0];
    assert_eq!(who["person"], Value::Null, "{who}");
    let burst = of(&list, "failed_logins")[0];
    assert_eq!(burst["actor"], "arjun.menon", "{burst}");
    assert_eq!(
        burst["resource"], "host:bastion.prod.acme.internal",
        "{burst}"
    );
    // The success right after the burst made it more than a burst.
    assert_eq!(burst["severity"], "high", "{burst}");
    assert_eq!(burst["last_seen"], "2026-10-06T06:46:30Z", "{burst}");

    // What the ingest printed is the same alerts, each once.
    let printed: Vec<&str> = out["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    let listed: BTreeSet<&str> = list.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(
        printed.iter().copied().collect::<BTreeSet<_>>(),
        listed,
        "{out}"
    );
    assert_eq!(
        printed.len(),
        listed.len(),
        "an alert printed twice: {printed:?}"
    );

    // What covered each access is recorded as it is judged: the access
    // review's "last use" of arjun's prod-reader is his login to the
    // production bastion it reaches; his clones of his team's repository
    // are no use of any role, so his other roles show none.
    let review = |args: &[&str]| {
        let mut all = vec![
            "access",
            "--model",
            "palisade.toml",
            "--db",
            "store.db",
            "--now",
            NOW,
            "review",
        ];
        all.extend_from_slice(args);
        palisade(dir.path(), &all)
    };
    let started = review(&["start", "--as", "eleanor"]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    let items = json(&review(&["show", "--format", "json"]));
    let last_use = |who: &str| -> BTreeSet<(String, String)> {
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["person"] == who)
            .map(|i| (i["role"].to_string(), i["last_use"].to_string()))
            .collect()
    };
    let pair = |role: &str, last: &str| (format!("\"{role}\""), last.to_owned());
    assert_eq!(
        last_use("arjun"),
        BTreeSet::from([
            pair("dev-developer", "null"),
            pair("staging-deployer", "null"),
            pair("prod-reader", "\"2026-10-06T06:46:30Z\""),
        ]),
        "{items}"
    );
    assert_eq!(
        last_use("kavya"),
        BTreeSet::from([
            pair("dev-developer", "null"),
            pair("staging-deployer", "null"),
        ]),
        "{items}"
    );
}

#[test]
fn a_second_finding_within_the_dedupe_window_folds_into_the_open_alert() {
    let dir = tempfile::tempdir().unwrap();
    ingested(dir.path());
    let first = of(&all_alerts(dir.path()), "off_hours")[0].clone();

    // 20 minutes after the first (inside the 1h window), then 2h10m after
    // that (outside it).
    let more = [
        clone(ms(5, 20, 50), "arjun-menon-nimbus", "payments", "d-night-2"),
        clone(ms(5, 23, 0), "arjun-menon-nimbus", "payments", "d-night-3"),
    ];
    std::fs::write(dir.path().join("more.ndjson"), more.join("\n")).unwrap();
    let out = json(&ingest(
        dir.path(),
        "2026-10-07T01:00:00Z",
        &["--source", "github", "more.ndjson"],
    ));
    assert_eq!(out["events_stored"], 2, "{out}");

    let night = of(&all_alerts(dir.path()), "off_hours")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(night.len(), 2, "{night:#?}");
    let folded = night.iter().find(|a| a["id"] == first["id"]).unwrap();
    assert_eq!(folded["count"], 2, "{folded}");
    assert_eq!(folded["first_seen"], "2026-10-05T20:30:00Z", "{folded}");
    assert_eq!(folded["last_seen"], "2026-10-05T20:50:00Z", "{folded}");
    let later = night.iter().find(|a| a["id"] != first["id"]).unwrap();
    assert_eq!(later["count"], 1, "{later}");
    assert_eq!(later["first_seen"], "2026-10-05T23:00:00Z", "{later}");

    let shown = json(&alerts(
        dir.path(),
        &["show", first["id"].as_str().unwrap(), "--format", "json"],
    ));
    let evidence: Vec<&str> = shown["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(evidence, ["d-night", "d-night-2"], "{shown}");
}

#[test]
fn alerts_are_acknowledged_and_resolved_by_someone_for_a_reason_and_ledgered() {
    let dir = tempfile::tempdir().unwrap();
    ingested(dir.path());
    let open = json(&alerts(
        dir.path(),
        &["list", "--state", "open", "--format", "json"],
    ));
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 4, "{open:#?}");
    assert!(open.iter().all(|a| a["state"] == "open"), "{open:#?}");
    let id = of(open, "off_hours")[0]["id"].as_str().unwrap().to_owned();

    let acked = alerts(
        dir.path(),
        &[
            "ack",
            &id,
            "--as",
            "sofia",
            "--reason",
            "asking arjun about the 2 AM clone",
        ],
    );
    assert_eq!(acked.code, 0, "{}", acked.stderr);
    assert!(
        acked.stdout.contains("acknowledged by sofia"),
        "{}",
        acked.stdout
    );
    let again = alerts(
        dir.path(),
        &["ack", &id, "--as", "sofia", "--reason", "again"],
    );
    assert_eq!(again.code, 2, "{}", again.stdout);
    assert!(
        again
            .stderr
            .contains("is acknowledged; it cannot be acknowledged"),
        "{}",
        again.stderr
    );

    let resolved = alerts(
        dir.path(),
        &[
            "resolve",
            &id,
            "--as",
            "sofia@acme.example",
            "--reason",
            "release night, agreed with the on-call lead",
            "--format",
            "json",
        ],
    );
    let resolved = json(&resolved);
    assert_eq!(resolved["state"], "resolved", "{resolved}");

    for (args, says) in [
        (
            vec!["ack", id.as_str(), "--as", "sofia", "--reason", "late"],
            "is resolved; it cannot be acknowledged",
        ),
        (
            vec!["resolve", id.as_str(), "--as", "sofia", "--reason", "twice"],
            "is resolved; it cannot be resolved",
        ),
        (
            vec![
                "ack",
                "alert-000000000000",
                "--as",
                "sofia",
                "--reason",
                "x",
            ],
            "no alert `alert-000000000000`",
        ),
        (
            vec!["show", "alert-000000000000"],
            "no alert `alert-000000000000`",
        ),
        (
            vec!["ack", id.as_str(), "--as", "mallory", "--reason", "x"],
            "`mallory` is no one in the model",
        ),
        (vec!["list", "--state", "closed"], "unknown state `closed`"),
    ] {
        let run = alerts(dir.path(), &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }

    let shown = json(&alerts(dir.path(), &["show", &id, "--format", "json"]));
    assert_eq!(shown["state"], "resolved", "{shown}");
    let history: Vec<(&str, &str, &str)> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["state"].as_str().unwrap(),
                h["by"].as_str().unwrap(),
                h["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("open", "palisade-monitor", "off_hours found it"),
            ("acknowledged", "sofia", "asking arjun about the 2 AM clone"),
            (
                "resolved",
                "sofia",
                "release night, agreed with the on-call lead"
            ),
        ],
        "{shown}"
    );
    let open = json(&alerts(
        dir.path(),
        &["list", "--state", "open", "--format", "json"],
    ));
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .all(|a| a["id"] != id.as_str()),
        "{open}"
    );

    let ledger = |kind: &str| -> Vec<Value> {
        let run = palisade(
            dir.path(),
            &[
                "ledger",
                "--model",
                "palisade.toml",
                "--db",
                "store.db",
                "tail",
                "--kind",
                kind,
                "--format",
                "json",
            ],
        );
        json(&run).as_array().unwrap().clone()
    };
    let raised = ledger("monitor.alert");
    // Four alerts, and the failed-login burst's escalation when the login
    // after it succeeded.
    let escalations = raised
        .iter()
        .filter(|e| e["data"].get("escalated_from").is_some())
        .count();
    assert_eq!((raised.len(), escalations), (5, 1), "{raised:#?}");
    assert!(
        raised
            .iter()
            .all(|e| e["kind"] == "monitor.alert" && e["actor"] == "palisade-monitor"),
        "{raised:#?}"
    );
    assert!(
        raised.iter().any(|e| e["subject"] == id.as_str()),
        "{raised:#?}"
    );
    let changes: Vec<(String, String, String, String)> = ledger("monitor.alert.state")
        .iter()
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["data"]["to"].as_str().unwrap().to_owned(),
                e["data"]["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                id.clone(),
                "sofia".to_owned(),
                "acknowledged".to_owned(),
                "asking arjun about the 2 AM clone".to_owned()
            ),
            (
                id.clone(),
                "sofia".to_owned(),
                "resolved".to_owned(),
                "release night, agreed with the on-call lead".to_owned()
            ),
        ]
    );

    // A resolved alert takes no more findings: the next one opens another.
    std::fs::write(
        dir.path().join("more.ndjson"),
        clone(ms(5, 20, 40), "arjun-menon-nimbus", "payments", "d-night-2"),
    )
    .unwrap();
    json(&ingest(
        dir.path(),
        NOW,
        &["--source", "github", "more.ndjson"],
    ));
    let night = of(&all_alerts(dir.path()), "off_hours")
        .into_iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a["state"].clone()))
        .collect::<Vec<_>>();
    assert_eq!(night.len(), 2, "{night:?}");
    assert!(
        night.iter().any(|(i, s)| *i != id && *s == "open"),
        "{night:?}"
    );
}

#[test]
fn a_grant_window_silences_off_hours_for_its_holder_during_it() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = [
        // 02:00 in Kolkata, inside the grant
        clone(ms(5, 20, 30), "arjun-menon-nimbus", "payments", "d-granted"),
        // kavya at the same time holds no grant
        clone(ms(5, 20, 30), "kavya-iyer", "payments", "d-kavya"),
        // 04:30 in Kolkata, after the grant ended
        clone(ms(5, 23, 0), "arjun-menon-nimbus", "payments", "d-after"),
    ];
    std::fs::write(dir.path().join("audit.ndjson"), log.join("\n")).unwrap();
    std::fs::write(
        dir.path().join("grants.json"),
        r#"[{"request": "req-night-release", "person": "arjun", "role": "prod-reader",
             "environment": "prod", "from": "2026-10-05T20:00:00Z",
             "until": "2026-10-05T22:00:00Z", "break_glass": false}]"#,
    )
    .unwrap();
    let out = json(&ingest(
        dir.path(),
        NOW,
        &[
            "--source",
            "github",
            "audit.ndjson",
            "--grants",
            "grants.json",
        ],
    ));
    let list = all_alerts(dir.path());
    let night: Vec<(&str, &str)> = of(&list, "off_hours")
        .iter()
        .map(|a| {
            (
                a["person"].as_str().unwrap(),
                a["first_seen"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        night.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            ("arjun", "2026-10-05T23:00:00Z"),
            ("kavya", "2026-10-05T20:30:00Z"),
        ]),
        "{out}"
    );
    assert_eq!(night.len(), 2, "{out}");

    // Without the file, the same log raises the granted clone too.
    let bare = tempfile::tempdir().unwrap();
    model_in(bare.path(), "");
    std::fs::write(bare.path().join("audit.ndjson"), log.join("\n")).unwrap();
    json(&ingest(
        bare.path(),
        NOW,
        &["--source", "github", "audit.ndjson"],
    ));
    let list = all_alerts(bare.path());
    assert!(
        of(&list, "off_hours")
            .iter()
            .any(|a| a["person"] == "arjun" && a["first_seen"] == "2026-10-05T20:30:00Z"),
        "{list:#?}"
    );

    std::fs::write(dir.path().join("bad.json"), r#"{"person": "arjun"}"#).unwrap();
    let bad = ingest(
        dir.path(),
        NOW,
        &["--source", "github", "audit.ndjson", "--grants", "bad.json"],
    );
    assert_eq!(bad.code, 2, "{}", bad.stdout);
    assert!(
        bad.stderr.contains("not a JSON list of grant windows"),
        "{}",
        bad.stderr
    );
}

/// A grant made while a log is followed is learned from the store when its
/// first certificate login comes: it is not taken for a grant Palisade never
/// issued, while a certificate naming a grant that does not exist still is.
#[test]
fn follow_learns_of_a_grant_made_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, "").unwrap();
    let mut follower = Follower::start(dir.path(), &["--idle-exit", "3"]);

    // Made after the follower read the store's grants.
    let made = palisade(
        dir.path(),
        &[
            "access",
            "--model",
            "palisade.toml",
            "--now",
            "2026-12-01T09:00:00Z",
            "--db",
            "store.db",
            "break-glass",
            "--as",
            "james",
            "--role",
            "incident-responder",
            "--env",
            "prod",
            "--for",
            "30m",
            "--reason",
            "INC-4712: checkout down",
            "--format",
            "json",
        ],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let made: Value = serde_json::from_str(&made.stdout).unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    let cert = |time: &str, key_id: &str| {
        sshd(
            time,
            "bastion.prod.acme.internal",
            &format!(
                "Accepted publickey for james from 198.51.100.7 port 40000 ssh2: ED25519-CERT SHA256:abc ID {key_id} (serial 7) CA ED25519 SHA256:def"
            ),
        )
    };
    append(
        &log,
        &[
            cert("2026-12-01T09:05:00+00:00", &id),
            cert("2026-12-01T09:06:00+00:00", "req-f0f0f0f0f0f0"),
        ],
    );
    // Lines are read in order: once the second is alerted, the first was read.
    follower.alert("req-f0f0f0f0f0f0");
    let (status, _, err) = follower.finish();
    assert!(status.success(), "{status}: {err}");

    let list = all_alerts(dir.path());
    let unknown = of(&list, "unknown_actor");
    assert_eq!(unknown.len(), 1, "{list:#?}");
    let sentence = unknown[0]["sentence"].as_str().unwrap();
    assert!(
        sentence.contains("naming grant req-f0f0f0f0f0f0, which Palisade never issued")
            && sentence.contains("(person james)"),
        "{sentence}"
    );
    // The real grant is known: its window is judged (the session opened
    // under it outlived it by the time the follower stopped), and it is
    // never taken for a forged one.
    assert!(
        of(&list, "after_end").iter().any(|a| a["sentence"]
            .as_str()
            .unwrap()
            .contains(&format!("under grant {id} was still open"))),
        "{list:#?}"
    );
    assert!(
        unknown
            .iter()
            .all(|a| !a["sentence"].as_str().unwrap().contains(&id)),
        "{list:#?}"
    );
}

/// Lines a child process printed, as they come.
pub(crate) fn lines_of(from: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line of `rx` containing `needle`, keeping what was read in
/// `seen`. The limit only keeps a broken follower from hanging the suite.
pub(crate) fn wait_for(rx: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) {
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(e) => panic!("no line with `{needle}` ({e}); so far: {seen:#?}"),
        }
    }
}

pub(crate) fn append(path: &Path, lines: &[String]) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    file.write_all((lines.join("\n") + "\n").as_bytes())
        .unwrap();
}

#[test]
fn follow_reads_a_log_across_rotation_and_truncation_and_alerts_once() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = dir.path().join("auth.log");
    let host = "bastion.staging.acme.internal";
    let at = |hms: &str, what: &str| sshd(&format!("2026-10-06T{hms}+00:00"), host, what);
    let failed = |hms: &str, port: u32| {
        at(
            hms,
            &format!("Failed password for kavya.iyer from 203.0.113.20 port {port} ssh2"),
        )
    };
    let accepted = |hms: &str, user: &str| {
        at(
            hms,
            &format!(
                "Accepted publickey for {user} from 203.0.113.30 port 40000 ssh2: ED25519 SHA256:abc"
            ),
        )
    };
    // There before the follower starts: like tail -f, it is not read.
    std::fs::write(&log, accepted("05:00:00", "ghost.before") + "\n").unwrap();

    let mut follower = Follower::start(dir.path(), &["--idle-exit", "3"]);

    let before = [
        failed("06:00:00", 50001),
        failed("06:00:10", 50002),
        failed("06:00:20", 50003),
    ];
    append(&log, &before);
    std::fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
    let after = [
        failed("06:00:30", 50004),
        failed("06:00:40", 50005),
        accepted("06:00:50", "kavya.iyer"),
        accepted("06:01:00", "ghost.rotated"),
    ];
    append(&log, &after);
    follower.warned("was rotated");
    // Its alert is printed once every line before it was read.
    follower.alert("ghost.rotated");

    std::fs::File::create(&log).unwrap();
    follower.warned("was truncated");
    let truncated = [accepted("06:02:00", "ghost.truncated")];
    append(&log, &truncated);
    follower.alert("ghost.truncated");

    let (status, _, err) = follower.finish();
    assert!(status.success(), "{status}: {err}");
    assert!(
        err.lines()
            .any(|l| l.contains("stopped after 8 lines: 8 events")),
        "{err}"
    );

    let list = all_alerts(dir.path());
    let found: Vec<(&str, &str)> = list
        .iter()
        .map(|a| {
            (
                a["detector"].as_str().unwrap(),
                a["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            ("failed_logins", "kavya.iyer"),
            ("unknown_actor", "ghost.rotated"),
            ("unknown_actor", "ghost.truncated"),
        ]),
        "{list:#?}"
    );
    assert_eq!(found.len(), 3, "each alert once: {list:#?}");

    // The burst spans the rotation: three failures before it, two after.
    let burst = of(&list, "failed_logins")[0];
    assert_eq!(burst["person"], "kavya", "{burst}");
    assert_eq!(burst["severity"], "high", "{burst}");
    assert_eq!(burst["last_seen"], "2026-10-06T06:00:50Z", "{burst}");
    // The success after the burst made it graver, and its sentence says so.
    assert!(
        burst["sentence"]
            .as_str()
            .unwrap()
            .contains("within 10 minutes of a burst of 5 failed logins for user `kavya.iyer`"),
        "{burst}"
    );

    // Following is reading: the same lines ingested at once give the same
    // alerts.
    let once = tempfile::tempdir().unwrap();
    model_in(once.path(), "");
    let all: Vec<String> = before
        .iter()
        .chain(&after)
        .chain(&truncated)
        .cloned()
        .collect();
    std::fs::write(once.path().join("auth.log"), all.join("\n") + "\n").unwrap();
    json(&ingest(once.path(), NOW, &["--source", "sshd", "auth.log"]));
    let key = |a: &Value| {
        [
            "detector",
            "severity",
            "person",
            "actor",
            "resource",
            "count",
            "first_seen",
            "last_seen",
            "sentence",
        ]
        .map(|k| a[k].to_string())
    };
    let followed: BTreeSet<_> = list.iter().map(key).collect();
    let ingested: BTreeSet<_> = all_alerts(once.path()).iter().map(key).collect();
    assert_eq!(followed, ingested);

    // Each piece of evidence names its line in the file it was read from:
    // after a rotation or a truncation the count starts again at 1.
    let rotated_text = std::fs::read_to_string(dir.path().join("auth.log.1")).unwrap();
    let rotated: Vec<&str> = rotated_text.lines().collect();
    let truncated_text = std::fs::read_to_string(&log).unwrap();
    let now_there: Vec<&str> = truncated_text.lines().collect();
    let lines_of_alert = |a: &Value| -> Vec<usize> {
        let shown = json(&alerts(
            dir.path(),
            &["show", a["id"].as_str().unwrap(), "--format", "json"],
        ));
        shown["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["file"], "auth.log", "{shown}");
                e["line"].as_u64().unwrap() as usize
            })
            .collect()
    };
    let ghost = |actor: &str| {
        *list
            .iter()
            .find(|a| a["actor"] == actor)
            .map(&lines_of_alert)
            .unwrap()
            .first()
            .unwrap()
    };
    let line = ghost("ghost.rotated");
    assert!(
        after
            .get(line - 1)
            .is_some_and(|l| l.contains("ghost.rotated")),
        "ghost.rotated is line {line} of auth.log, which holds {:?}",
        after.get(line - 1)
    );
    let line = ghost("ghost.truncated");
    assert!(
        now_there
            .get(line - 1)
            .is_some_and(|l| l.contains("ghost.truncated")),
        "ghost.truncated is line {line} of auth.log, which holds {:?}",
        now_there.get(line - 1)
    );
    for line in lines_of_alert(burst) {
        let in_old = rotated
            .get(line - 1)
            .is_some_and(|l| l.contains("kavya.iyer"));
        let in_new = after
            .get(line - 1)
            .is_some_and(|l| l.contains("kavya.iyer"));
        assert!(in_old || in_new, "auth.log:{line} is no line of kavya's");
    }
}

/// What the receiver was sent: the status it answered and the body.
type Received = Arc<Mutex<Vec<(u16, String)>>>;

/// A webhook receiver on loopback: answers 503 to the first `fail` requests
/// and 200 afterwards; keeps each request's body.
fn receiver(fail: usize) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/alerts", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&got);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    break (Some(end + 4), length);
                }
            };
            let Some(start) = head_end else { continue };
            while buf.len() < start + length {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[start..]).into_owned();
            let mut got = seen.lock().unwrap();
            let status = if got.len() < fail { 503 } else { 200 };
            got.push((status, body));
            drop(got);
            let reason = if status == 200 {
                "OK"
            } else {
                "Service Unavailable"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

/// `palisade` with `args` in `dir` and the slack hook's URL in the environment.
fn with_hook(dir: &Path, url: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(dir)
        .env_remove("PALISADE_DB")
        .env_remove("PALISADE_FORMAT")
        .env("NO_COLOR", "1")
        .env("ALERTS_SLACK_URL", url)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn a_delivery_refused_with_503_stays_queued_and_is_delivered_after_the_backoff() {
    let dir = tempfile::tempdir().unwrap();
    model_in(
        dir.path(),
        "[[monitor.alert_hooks]]\nkind = \"slack\"\nurl_env = \"ALERTS_SLACK_URL\"\n",
    );
    let (url, got) = receiver(1);
    std::fs::write(
        dir.path().join("audit.ndjson"),
        clone(ms(5, 20, 30), "arjun-menon-nimbus", "payments", "d-night") + "\n",
    )
    .unwrap();
    let t0 = "2026-10-07T00:00:00Z";
    let made = with_hook(
        dir.path(),
        &url,
        &[
            "monitor",
            "--model",
            "palisade.toml",
            "--db",
            "store.db",
            "--now",
            t0,
            "ingest",
            "--source",
            "github",
            "audit.ndjson",
            "--format",
            "json",
        ],
    );
    let made = json(&made);
    let alert = &made["alerts"][0];
    let id = alert["id"].as_str().unwrap();
    assert_eq!(alert["detector"], "off_hours", "{made}");
    assert_eq!(
        got.lock().unwrap().len(),
        1,
        "one attempt during the ingest"
    );

    let show = |dir: &Path| json(&alerts(dir, &["show", id, "--format", "json"]));
    let shown = show(dir.path());
    let deliveries = shown["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "{shown}");
    assert_eq!(deliveries[0]["hook"], "slack:ALERTS_SLACK_URL", "{shown}");
    assert_eq!(deliveries[0]["state"], "queued", "{shown}");
    assert_eq!(deliveries[0]["attempts"], 1, "{shown}");
    assert!(
        deliveries[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("503"),
        "{shown}"
    );
    assert_eq!(
        shown["state"], "open",
        "the alert is recorded all the same: {shown}"
    );

    let deliver = |now: &str| {
        with_hook(
            dir.path(),
            &url,
            &[
                "alerts",
                "--model",
                "palisade.toml",
                "--db",
                "store.db",
                "--now",
                now,
                "deliver",
            ],
        )
    };
    // Before the backoff has passed nothing is due.
    let early = deliver("2026-10-07T00:00:05Z");
    assert_eq!(early.code, 0, "{}", early.stderr);
    assert!(
        early.stdout.contains("0 delivered, 0 to retry"),
        "{}",
        early.stdout
    );
    assert_eq!(got.lock().unwrap().len(), 1);

    let later = deliver("2026-10-07T00:10:00Z");
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert!(later.stdout.contains("1 delivered"), "{}", later.stdout);
    let shown = show(dir.path());
    assert_eq!(shown["deliveries"][0]["state"], "delivered", "{shown}");
    assert_eq!(shown["deliveries"][0]["attempts"], 2, "{shown}");

    // Delivered once, and no more.
    let again = deliver("2026-10-07T01:00:00Z");
    assert!(again.stdout.contains("0 delivered"), "{}", again.stdout);
    let got = got.lock().unwrap();
    assert_eq!(
        got.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [503, 200],
        "{got:?}"
    );
    let body: Value = serde_json::from_str(&got[1].1).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains(alert["sentence"].as_str().unwrap()),
        "{text}\nshould hold: {}",
        alert["sentence"]
    );
    assert!(text.contains("off_hours"), "{text}");
    assert_eq!(got[0].1, got[1].1, "the retry posts the same message");

    // Without the variable the hook is skipped with a warning, and nothing is lost.
    let bare = alerts(dir.path(), &["--now", "2026-10-07T02:00:00Z", "deliver"]);
    assert_eq!(bare.code, 0, "{}", bare.stderr);
    assert!(
        bare.stderr.contains("ALERTS_SLACK_URL is not set"),
        "{}",
        bare.stderr
    );
}

#[test]
fn the_human_summary_says_how_many_events_had_an_action_not_understood() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let log = [
        clone(ms(6, 10, 0), "arjun-k", "platform", "d1"),
        format!(
            r#"{{"@timestamp": {}, "action": "frobnicate.widget", "actor": "arjun-k", "_document_id": "d2"}}"#,
            ms(6, 10, 5)
        ),
    ]
    .join("\n");
    std::fs::write(dir.path().join("audit.ndjson"), log + "\n").unwrap();
    let run = palisade(
        dir.path(),
        &[
            "monitor",
            "--model",
            "palisade.toml",
            "--db",
            "store.db",
            "--now",
            "2026-10-07T00:00:00Z",
            "ingest",
            "--source",
            "github",
            "audit.ndjson",
        ],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("2 records, 2 events (1 with an action not understood)"),
        "{}",
        run.stdout
    );
}

/// Alerts as (detector, person or actor, resource), to compare two runs.
fn alert_keys(dir: &Path) -> BTreeSet<(String, String, String)> {
    all_alerts(dir)
        .iter()
        .map(|a| {
            let who = a["person"].as_str().or(a["actor"].as_str()).unwrap_or("");
            (
                a["detector"].as_str().unwrap().to_owned(),
                who.to_owned(),
                a["resource"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_newest_first_export_is_read_backwards_and_finds_what_the_oldest_first_one_finds() {
    // A vendor engineer clones 24 repositories in 46 minutes inside their
    // hours, and once at night; GitHub's API pages such a log newest first.
    let mut records: Vec<String> = (0..24)
        .map(|i| {
            clone(
                ms(6, 6, 2 * i),
                "arjun-menon-nimbus",
                &format!("svc-{i:02}"),
                &format!("d-{i}"),
            )
        })
        .collect();
    records.insert(
        0,
        clone(ms(5, 20, 30), "arjun-menon-nimbus", "payments", "d-night"),
    );
    let mut stats = Vec::new();
    let mut keys = Vec::new();
    for newest_first in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        model_in(dir.path(), "");
        let mut lines = records.clone();
        if newest_first {
            lines.reverse();
        }
        std::fs::write(dir.path().join("audit.ndjson"), lines.join("\n") + "\n").unwrap();
        let out = json(&ingest(
            dir.path(),
            NOW,
            &["--source", "github", "audit.ndjson"],
        ));
        stats.push(out["sources"][0]["order"].clone());
        keys.push(alert_keys(dir.path()));
    }
    assert_eq!(stats[0]["newest_first"], false, "{stats:?}");
    assert_eq!(stats[1]["newest_first"], true, "{stats:?}");
    for s in &stats {
        assert_eq!(s["late"], 0, "{s}");
    }
    assert!(
        keys[1]
            .iter()
            .any(|(d, p, _)| d == "mass_download" && p == "arjun"),
        "{:?}",
        keys[1]
    );
    assert!(
        keys[1].iter().any(|(d, _, _)| d == "off_hours"),
        "{:?}",
        keys[1]
    );
    assert_eq!(keys[0], keys[1]);
}

#[test]
fn a_clock_set_back_is_counted_and_said_and_small_disorder_is_put_right() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let host = "bastion.prod.acme.internal";
    let accepted = |t: &str| {
        sshd(
            t,
            host,
            "Accepted publickey for arjun.menon from 198.51.100.7 port 50000 ssh2: ED25519 SHA256:abc",
        )
    };
    let lines = [
        accepted("2026-10-06T06:00:00+00:00"),
        accepted("2026-10-06T06:10:00+00:00"),
        // a host a minute behind: put back in order
        accepted("2026-10-06T06:09:00+00:00"),
        accepted("2026-10-06T07:00:00+00:00"),
        accepted("2026-10-06T08:00:00+00:00"),
        // the clock set back two hours
        accepted("2026-10-06T06:20:00+00:00"),
        accepted("2026-10-06T06:30:00+00:00"),
    ];
    std::fs::write(dir.path().join("auth.log"), lines.join("\n") + "\n").unwrap();
    let out = json(&ingest(dir.path(), NOW, &["--source", "sshd", "auth.log"]));
    let order = &out["sources"][0]["order"];
    assert_eq!(order["reordered"], 1, "{order}");
    assert_eq!(order["backward_jumps"], 1, "{order}");
    assert_eq!(order["late"], 2, "{order}");
    assert_eq!(order["largest_step_back_secs"], 6_000, "{order}");
    assert_eq!(order["first_late_line"], 6, "{order}");
    assert_eq!(out["sources"][0]["stats"]["events"], 7);

    // The human summary says it, with what to do.
    let run = palisade(
        dir.path(),
        &[
            "monitor",
            "--model",
            "palisade.toml",
            "--db",
            "store.db",
            "--now",
            NOW,
            "ingest",
            "--year",
            "2026",
            "--zone",
            "UTC",
            "--source",
            "sshd",
            "auth.log",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("1 put back in time order, 2 late, 1 clock jumps back"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("first at line 6") && run.stderr.contains("--reorder-window"),
        "{}",
        run.stderr
    );
    // A wrong order is refused with the choices.
    let bad = palisade(
        dir.path(),
        &[
            "monitor",
            "--model",
            "palisade.toml",
            "--db",
            "store.db",
            "ingest",
            "--order",
            "sideways",
            "--source",
            "sshd",
            "auth.log",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("oldest-first"), "{}", bad.stderr);
}

#[test]
fn an_undecodable_ledger_entry_is_counted_and_the_rest_of_the_ledger_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // A first ingest ledgers its alerts.
    ingested(dir.path());
    let damage = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute(\"UPDATE ledger_entries SET entry = X'7b6e6f74' WHERE idx = 0\"); c.commit()",
        ])
        .arg(dir.path().join("store.db"))
        .status()
        .unwrap();
    assert!(damage.success());
    let out = json(&ingest(dir.path(), NOW, &["--source", "ledger", "-"]));
    let stats = &out["sources"][0]["stats"];
    assert_eq!(stats["problems"]["malformed"], 1, "{stats}");
    let examples = stats["examples"].to_string();
    assert!(
        examples.contains("ledger entry 0 does not decode") && examples.contains("ledger verify"),
        "{examples}"
    );
    // Every other entry was read.
    let records = stats["records"].as_u64().unwrap();
    assert!(records > 1, "{stats}");
    assert_eq!(
        stats["events"].as_u64().unwrap()
            + stats["problems"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum::<u64>(),
        records
    );
}

#[test]
fn the_human_summary_says_how_many_events_had_bytes_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    model_in(dir.path(), "");
    let mut log = sshd(
        "2026-10-06T06:00:00+00:00",
        "bastion.prod.acme.internal",
        "Invalid user ma",
    )
    .into_bytes();
    log.extend_from_slice(b"\xffory from 203.0.113.9 port 4000\n");
    std::fs::write(dir.path().join("auth.log"), log).unwrap();
    let run = palisade(
        dir.path(),
        &[
            "monitor",
            "--model",
            "palisade.toml",
            "--db",
            "store.db",
            "--now",
            NOW,
            "ingest",
            "--year",
            "2026",
            "--zone",
            "UTC",
            "--source",
            "sshd",
            "auth.log",
        ],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("1 records, 1 events (1 with bytes not UTF-8 replaced)"),
        "{}",
        run.stdout
    );
}
