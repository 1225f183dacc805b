//! sshd's auth log read from a real sshd: one on loopback trusts a CA made
//! here, a real ssh logs in with a certificate, with a plain key, with a
//! wrong key and as a user who does not exist, and what sshd logged is read
//! back into events, bare (as `sshd -e` writes it), behind the syslog
//! prefixes, and through the journal when its tools are installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod props;

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use palisade_monitor::event::{Action, Event, Outcome, RawRef, Resource, Source};
use palisade_monitor::parse::journald::Journal;
use palisade_monitor::parse::sshd::{Message, Syslog};
use palisade_monitor::parse::{Parser, Stats};
use palisade_test_support::tool_installed_by;

fn tool(var: &str) -> Option<PathBuf> {
    tool_installed_by(var, "scripts/ensure-sshd")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// An sshd in the foreground on a free port of 127.0.0.1, its log on
/// standard error captured to a file; stopped when dropped.
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    ssh: PathBuf,
    keygen: PathBuf,
    log: PathBuf,
    user: String,
    version: String,
}

impl Sshd {
    fn start() -> Option<Sshd> {
        let sshd = tool("PALISADE_TEST_SSHD")?;
        let ssh = tool("PALISADE_TEST_SSH")?;
        let keygen = tool("PALISADE_TEST_SSH_KEYGEN")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["host", "ca"] {
            keygen_key(&keygen, &d.join(name));
        }
        let user = String::from_utf8(run(Command::new("id").arg("-un")).stdout)
            .unwrap()
            .trim()
            .to_owned();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = d.join("sshd_config");
        fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1:{port}\n\
                 HostKey {d}/host\n\
                 PidFile {d}/sshd.pid\n\
                 TrustedUserCAKeys {d}/ca.pub\n\
                 AuthorizedKeysFile {d}/authorized_keys\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 PermitRootLogin prohibit-password\n\
                 LogLevel VERBOSE\n",
                d = d.display(),
            ),
        )
        .unwrap();
        let version = String::from_utf8_lossy(&run(Command::new(&sshd).arg("-V")).stderr)
            .trim()
            .to_owned();
        let log = d.join("sshd.log");
        let child = Command::new(&sshd)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", sshd.display()));
        let mut server = Sshd {
            child,
            port,
            dir,
            ssh,
            keygen,
            log,
            user,
            version,
        };
        server.wait_listening();
        Some(server)
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("sshd exited with {status}:\n{}", self.log_text());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "sshd did not listen on port {}:\n{}",
            self.port,
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `ssh user@127.0.0.1 true` with `key`, and `cert` offered first when
    /// given (without it, ssh 9.2 offers the bare key first, and sshd logs
    /// that as a failure before the certificate's success); true when it
    /// logged in.
    fn login(&self, user: &str, key: &Path, cert: Option<&Path>) -> bool {
        let mut cmd = Command::new(&self.ssh);
        cmd.args(["-F", "/dev/null", "-i"]).arg(key);
        if let Some(cert) = cert {
            cmd.arg("-o")
                .arg(format!("CertificateFile={}", cert.display()));
        }
        run(cmd
            .args([
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "IdentityAgent=none",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "PreferredAuthentications=publickey",
                "-o",
                "ConnectTimeout=10",
                "-o",
                "LogLevel=ERROR",
                "-p",
            ])
            .arg(self.port.to_string())
            .arg(format!("{user}@127.0.0.1"))
            .arg("true")
            .stdin(Stdio::null()))
        .status
        .success()
    }

    /// Waits for sshd to log `count` lines containing `needle`: its log
    /// lags the client's exit.
    fn wait_logged(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log_text().matches(needle).count() >= count {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "sshd's log does not say {needle:?} {count} times:\n{}",
            self.log_text()
        );
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen_key(keygen: &Path, path: &Path) {
    let out = run(Command::new(keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f"])
        .arg(path));
    assert!(
        out.status.success(),
        "ssh-keygen {}: {out:?}",
        path.display()
    );
}

/// What the test reads from each event.
#[derive(Debug, PartialEq)]
struct Seen {
    action: Action,
    user: String,
    grant: Option<String>,
    serial: Option<u64>,
    outcome: Outcome,
    address: Option<IpAddr>,
}

fn seen(e: &Event) -> Seen {
    Seen {
        action: e.action.clone(),
        user: e.actor.name.clone(),
        grant: e.grant.clone(),
        serial: e.serial,
        outcome: e.outcome,
        address: e.source_address,
    }
}

fn raw(source: Source, line: u64) -> RawRef {
    RawRef {
        source,
        file: "sshd.log".into(),
        line,
        id: None,
    }
}

/// Reads `records` with `parser`, counting as an ingest would.
fn read_all(parser: &mut dyn Parser, source: Source, records: &[Vec<u8>]) -> (Vec<Event>, Stats) {
    let mut stats = Stats::default();
    let mut events = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let line = i as u64 + 1;
        let got = parser.parse(record, raw(source, line));
        stats.count(line, &got);
        if let Ok(e) = got {
            events.push(e);
        }
    }
    (events, stats)
}

#[test]
fn a_real_sshd_log_reads_into_events() {
    let Some(sshd) = Sshd::start() else { return };
    eprintln!("sshd under test: {}", sshd.version);
    let d = sshd.dir.path();
    let user = sshd.user.clone();

    // A certificate with a grant's key id and serial, signed by the CA sshd
    // trusts.
    let vendor = d.join("vendor");
    keygen_key(&sshd.keygen, &vendor);
    let out = run(Command::new(&sshd.keygen)
        .arg("-q")
        .arg("-s")
        .arg(d.join("ca"))
        .args(["-I", "grant-41", "-n", &user, "-z", "41", "-V", "-5m:+1h"])
        .arg(vendor.with_extension("pub")));
    assert!(out.status.success(), "ssh-keygen -s: {out:?}");
    // A plain key in authorized_keys, and one sshd knows nothing of.
    let plain = d.join("plain");
    keygen_key(&sshd.keygen, &plain);
    fs::copy(plain.with_extension("pub"), d.join("authorized_keys")).unwrap();
    let wrong = d.join("wrong");
    keygen_key(&sshd.keygen, &wrong);

    // Each connection's last line is waited for, so the log is in order.
    assert!(
        sshd.login(&user, &vendor, Some(&d.join("vendor-cert.pub"))),
        "certificate login:\n{}",
        sshd.log_text()
    );
    sshd.wait_logged("Disconnected from user", 1);
    assert!(
        sshd.login(&user, &plain, None),
        "plain key login:\n{}",
        sshd.log_text()
    );
    sshd.wait_logged("Disconnected from user", 2);
    assert!(!sshd.login(&user, &wrong, None), "a wrong key logged in");
    sshd.wait_logged("authenticating user", 1);
    assert!(
        !sshd.login("nosuch-vendor", &plain, None),
        "an invalid user logged in"
    );
    sshd.wait_logged("nosuch-vendor", 2);

    // The lines as sshd wrote them, each still ending in its `\r`.
    let text = sshd.log_text();
    let lines: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().all(|l| l.ends_with('\r')), "{text:?}");
    let localhost = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let expected = vec![
        Seen {
            action: Action::Login {
                method: "certificate".into(),
            },
            user: user.clone(),
            grant: Some("grant-41".into()),
            serial: Some(41),
            outcome: Outcome::Success,
            address: localhost,
        },
        Seen {
            action: Action::SessionClose,
            user: user.clone(),
            grant: None,
            serial: None,
            outcome: Outcome::Success,
            address: localhost,
        },
        Seen {
            action: Action::Login {
                method: "publickey".into(),
            },
            user: user.clone(),
            grant: None,
            serial: None,
            outcome: Outcome::Success,
            address: localhost,
        },
        Seen {
            action: Action::SessionClose,
            user: user.clone(),
            grant: None,
            serial: None,
            outcome: Outcome::Success,
            address: localhost,
        },
        // LogLevel VERBOSE logs the wrong key; its disconnect is not
        // counted again.
        Seen {
            action: Action::LoginFailed {
                method: "publickey".into(),
            },
            user: user.clone(),
            grant: None,
            serial: None,
            outcome: Outcome::Failure,
            address: localhost,
        },
        Seen {
            action: Action::LoginFailed {
                method: "invalid_user".into(),
            },
            user: "nosuch-vendor".into(),
            grant: None,
            serial: None,
            outcome: Outcome::Failure,
            address: localhost,
        },
    ];

    // Bare, as `sshd -e` wrote them (each line ends in \r).
    let bare: Vec<Message> = lines
        .iter()
        .filter_map(|l| Message::parse(l).ok())
        .collect();
    assert!(
        bare.iter().filter(|m| m.ends_connection).count() >= 4,
        "{bare:#?}"
    );
    // A login and its disconnect share the client's port.
    let logins: Vec<_> = bare
        .iter()
        .filter(|m| matches!(m.action, Action::Login { .. }))
        .collect();
    assert_eq!(logins.len(), 2, "{text}");
    for login in logins {
        assert!(
            bare.iter()
                .any(|m| m.action == Action::SessionClose && m.port == login.port),
            "no disconnect for {login:?}:\n{text}"
        );
    }

    // Behind an RFC 3164 prefix, as a syslog daemon files them.
    let pid = sshd.child.id();
    let when = "Dec 31 23:59:59";
    let records: Vec<Vec<u8>> = lines
        .iter()
        .map(|l| format!("{when} vendor-bastion sshd[{pid}]: {l}").into_bytes())
        .collect();
    let mut syslog = Syslog::new(2026, TimeZone::UTC);
    let (events, stats) = read_all(&mut syslog, Source::Sshd, &records);
    assert_eq!(
        events.iter().map(seen).collect::<Vec<_>>(),
        expected,
        "{text}"
    );
    assert_eq!(stats.records, lines.len() as u64);
    assert_eq!(stats.events, expected.len() as u64);
    // Everything else sshd said is skipped, and nothing is broken.
    assert_eq!(
        stats.problems.keys().copied().collect::<Vec<_>>(),
        ["skipped"],
        "{stats:?}"
    );
    for e in &events {
        assert_eq!(e.time.to_string(), "2026-12-31T23:59:59Z");
        assert_eq!(e.resource, Some(Resource::Host("vendor-bastion".into())));
        assert_eq!(e.raw.source, Source::Sshd);
    }

    // Behind rsyslog's RFC 3339 prefix.
    let records: Vec<Vec<u8>> = lines
        .iter()
        .map(|l| {
            format!("2026-12-07T09:30:00.123456+01:00 vendor-bastion sshd-session[{pid}]: {l}")
                .into_bytes()
        })
        .collect();
    let (events, _) = read_all(
        &mut Syslog::new(1999, TimeZone::UTC),
        Source::Sshd,
        &records,
    );
    assert_eq!(events.iter().map(seen).collect::<Vec<_>>(), expected);
    assert_eq!(events[0].time.to_string(), "2026-12-07T08:30:00.123456Z");

    // Through the journal, when systemd-journal-remote can write one.
    if let Some(entries) = journal_json(&lines) {
        let (events, stats) = read_all(&mut Journal::new(), Source::Journald, &entries);
        assert_eq!(
            events.iter().map(seen).collect::<Vec<_>>(),
            expected,
            "{stats:?}"
        );
        for e in &events {
            assert_eq!(e.resource, Some(Resource::Host("vendor-bastion".into())));
            assert!(e.raw.id.as_deref().is_some_and(|c| c.starts_with("s=")));
        }
    }
}

/// `lines` as sshd's journal entries, through `systemd-journal-remote`
/// (export format in, a journal file out) and `journalctl -o json`; `None`
/// after a note when either is missing.
fn journal_json(lines: &[&str]) -> Option<Vec<Vec<u8>>> {
    let remote = [
        "/lib/systemd/systemd-journal-remote",
        "/usr/lib/systemd/systemd-journal-remote",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    let journalctl = Command::new("journalctl").arg("--version").output().ok();
    let (Some(remote), Some(_)) = (remote, journalctl) else {
        // scripts/ensure-sshd installs them: in CI their absence is a failure.
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "systemd-journal-remote or journalctl is missing but CI=true; run scripts/ensure-sshd"
        );
        eprintln!(
            "skipping the journal: systemd-journal-remote or journalctl is missing \
             (Debian packages systemd-journal-remote and systemd)"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sshd.journal");
    let start = Timestamp::from_second(1_798_761_599)
        .unwrap()
        .as_microsecond();
    let mut export = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let i = i as i64;
        write!(
            export,
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n\
             _BOOT_ID=0f2e5d3c1b2a49c8a1b2c3d4e5f60718\n_HOSTNAME=vendor-bastion\n\
             SYSLOG_IDENTIFIER=sshd\n_COMM=sshd\n_PID=4242\nPRIORITY=6\n",
            start + i,
            1000 + i,
        )
        .unwrap();
        // The binary-safe form, as sshd's `\r` is no printable text.
        let message = line.as_bytes();
        export.extend_from_slice(b"MESSAGE\n");
        export.extend_from_slice(&(message.len() as u64).to_le_bytes());
        export.extend_from_slice(message);
        export.extend_from_slice(b"\n\n");
    }
    let mut child = Command::new(&remote)
        .arg(format!("--output={}", file.display()))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&export).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "systemd-journal-remote: {out:?}");
    let out =
        run(Command::new("journalctl")
            .arg("--file")
            .arg(&file)
            .args(["-o", "json", "--no-pager"]));
    assert!(out.status.success(), "journalctl: {out:?}");
    let entries: Vec<Vec<u8>> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(entries.len(), lines.len());
    // The `\r` sshd -e adds makes journalctl write every MESSAGE as bytes.
    assert!(
        entries
            .iter()
            .all(|e| String::from_utf8_lossy(e).contains("\"MESSAGE\":[")),
        "{}",
        String::from_utf8_lossy(&entries[0])
    );
    Some(entries)
}

/// Real-shaped lines cut at every byte, garbled and mixed with other
/// programs' lines: each is an event or a counted problem, and the read goes
/// on. (A line cut inside its port or key details still reads: nothing in
/// it says it was cut.)
#[test]
fn bad_lines_among_good_ones_are_counted() {
    let good = "Dec  7 09:30:00 h sshd[1]: Accepted publickey for ana from 192.0.2.1 port 40000 ssh2: ED25519-CERT SHA256:VQ5UkqXJgDG6tDPNbFPw8fdUZ9uQKOl1BhKbYN8AvjY ID grant-41 (serial 41) CA ED25519 SHA256:n7jy0iEGhK8EFSCJu2cP1tH59hcDrnKzqk9Mv963NYI";
    let mut records: Vec<Vec<u8>> = (0..good.len())
        .map(|cut| good.as_bytes()[..cut].to_vec())
        .collect();
    records.push(good.as_bytes().to_vec());
    records.push(b"Dec  7 09:30:01 h kernel: [ 1.0] usb 1-1: new device".to_vec());
    // A bad byte in a name: read with U+FFFD, counted as lossy.
    records
        .push(b"Dec  7 09:30:02 h sshd[1]: Invalid user \xff\xfe from 192.0.2.1 port 1".to_vec());
    // A line that does not read even so: invalid UTF-8.
    records.push(b"Dec  7 09:30:03 h sshd[1]: Accepted p\xc3blickey for ana".to_vec());
    let mut p = Syslog::new(2026, TimeZone::UTC);
    let (events, stats) = read_all(&mut p, Source::Sshd, &records);
    assert_eq!(stats.records, records.len() as u64);
    assert_eq!(
        stats.events + stats.problems.values().sum::<u64>(),
        stats.records
    );
    assert_eq!(stats.problems.get("invalid_utf8"), Some(&1));
    assert_eq!(stats.lossy, 1);
    let lossy: Vec<_> = events.iter().filter(|e| e.lossy).collect();
    assert_eq!(lossy.len(), 1);
    assert_eq!(lossy[0].actor.name, "\u{fffd}\u{fffd}");
    assert!(
        stats.problems.get("truncated").is_some_and(|n| *n > 100),
        "{stats:?}"
    );
    // A cut key id is never read as a grant: it is read whole or not at all.
    let granted: Vec<_> = events.iter().filter(|e| e.grant.is_some()).collect();
    assert!(!granted.is_empty());
    for e in granted {
        assert_eq!((e.grant.as_deref(), e.serial), (Some("grant-41"), Some(41)));
    }
}

/// A file read as `--source sshd` reads: a login whose user name holds a
/// byte that is not UTF-8 is an event, counted as lossy, between lines read
/// as usual; a line that does not read even so is still invalid UTF-8.
#[test]
fn an_auth_log_with_a_byte_that_is_not_utf8_keeps_the_login_and_counts_it() {
    let mut log = Vec::new();
    log.extend_from_slice(
        b"2026-12-07T09:00:00+00:00 bastion sshd[1]: Accepted publickey for ana from 192.0.2.1 port 40000 ssh2: ED25519 SHA256:abc\n",
    );
    log.extend_from_slice(
        b"2026-12-07T09:01:00+00:00 bastion sshd[2]: Accepted password for m\xfcller from 192.0.2.2 port 40001 ssh2\n",
    );
    log.extend_from_slice(b"\xfe\xff\n");
    log.extend_from_slice(
        b"2026-12-07T09:02:00+00:00 bastion sshd[3]: Invalid user mallory from 203.0.113.9 port 4000\n",
    );
    let model = palisade_model::Model::default();
    let mut stream = palisade_monitor::read::Stream::open(
        &palisade_monitor::read::SourceKind::Sshd,
        &log[..],
        "auth.log",
        &model,
        2026,
        TimeZone::UTC,
    )
    .unwrap();
    let events: Vec<Event> = stream.by_ref().filter_map(|(_, e)| e.ok()).collect();
    let stats = stream.stats();
    assert_eq!((stats.records, stats.events, stats.lossy), (4, 3, 1));
    assert_eq!(stats.problems.get("invalid_utf8"), Some(&1));
    let odd = &events[1];
    assert!(odd.lossy);
    assert_eq!(odd.actor.name, "m\u{fffd}ller");
    assert_eq!(
        odd.action,
        Action::Login {
            method: "password".into()
        }
    );
    assert_eq!(odd.raw.line, 2);
    assert!(!events[0].lossy && !events[2].lossy);
}
