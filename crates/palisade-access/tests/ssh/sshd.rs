//! End to end: a real sshd on loopback trusts our CA and reads our KRL; a
//! real ssh logs in with our certificates, or is refused.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use palisade_access::ssh::{
    CaKey, Certificate, CertificateRequest, Krl, SourceAddresses, UserPublicKey,
};

use super::support::{self, principals, run, tool};

/// An sshd in the foreground on a free port of 127.0.0.1, configured in a
/// temporary directory; stopped when dropped.
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    ssh: PathBuf,
    krl: PathBuf,
    log: PathBuf,
    user: String,
}

impl Sshd {
    fn start(ca: &CaKey) -> Option<Sshd> {
        let sshd = tool("PALISADE_TEST_SSHD")?;
        let ssh = tool("PALISADE_TEST_SSH")?;
        let keygen = tool("PALISADE_TEST_SSH_KEYGEN")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let host_key = d.join("host_ed25519");
        let out = run(Command::new(&keygen)
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key));
        assert!(out.status.success(), "ssh-keygen host key: {out:?}");
        let ca_file = d.join("trusted_user_ca_keys");
        fs::write(&ca_file, ca.public_key().to_openssh() + "\n").unwrap();
        let krl = d.join("revoked.krl");
        write_krl(&krl, ca, &Krl::new(), 1);
        let user = current_user();
        let port = free_port();
        let config = d.join("sshd_config");
        fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1:{port}\n\
                 HostKey {host_key}\n\
                 PidFile {pid}\n\
                 TrustedUserCAKeys {ca_file}\n\
                 RevokedKeys {krl}\n\
                 AuthorizedKeysFile none\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 PermitRootLogin prohibit-password\n\
                 AllowUsers {user}\n\
                 LogLevel VERBOSE\n",
                host_key = host_key.display(),
                pid = d.join("sshd.pid").display(),
                ca_file = ca_file.display(),
                krl = krl.display(),
            ),
        )
        .unwrap();
        let log = d.join("sshd.log");
        let child = Command::new(&sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
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
            krl,
            log,
            user,
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
            "sshd did not listen on port {} within 15 s:\n{}",
            self.port,
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Tries `ssh … true` with `key` and `cert`; true when it logged in.
    fn login(&self, key: &Path, cert: &Certificate) -> bool {
        let cert_path = key.with_extension("cert.pub");
        support::write_cert(&cert_path, cert);
        let out = run(Command::new(&self.ssh)
            .arg("-F")
            .arg("/dev/null")
            .arg("-i")
            .arg(key)
            .arg("-o")
            .arg(format!("CertificateFile={}", cert_path.display()))
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
            .arg(format!("{}@127.0.0.1", self.user))
            .arg("true")
            .stdin(Stdio::null()));
        out.status.success()
    }

    /// Waits (briefly: sshd's log lags the client's exit) for `needle` in
    /// the log.
    fn assert_logged(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.log_text().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("sshd's log does not say {needle:?}:\n{}", self.log_text());
    }

    fn revoke(&self, ca: &CaKey, krl: &Krl, version: u64) {
        write_krl(&self.krl, ca, krl, version);
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the KRL as the binary would: a temporary file renamed over the
/// old one, so sshd never reads half a file.
fn write_krl(path: &Path, ca: &CaKey, krl: &Krl, version: u64) {
    let tmp = path.with_extension("tmp");
    fs::write(
        &tmp,
        krl.encode(&ca.public_key(), version, Timestamp::now()),
    )
    .unwrap();
    fs::rename(&tmp, path).unwrap();
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn current_user() -> String {
    let out = run(Command::new("id").arg("-un"));
    assert!(out.status.success(), "id -un: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Fixture {
    ca: CaKey,
    sshd: Sshd,
    key: PathBuf,
    public: UserPublicKey,
}

impl Fixture {
    fn new() -> Option<Fixture> {
        let ca = CaKey::generate().unwrap();
        let sshd = Sshd::start(&ca)?;
        let keygen = tool("PALISADE_TEST_SSH_KEYGEN")?;
        let (key, public) = support::keygen_user_key(&keygen, sshd.dir.path(), "id_ed25519");
        Some(Fixture {
            ca,
            sshd,
            key,
            public,
        })
    }

    fn issue(&self, serial: u64, principal: &str, window: (Timestamp, Timestamp)) -> Certificate {
        support::issue(
            &self.ca,
            &self.public,
            &principals(&[principal]),
            serial,
            window,
        )
    }

    fn user(&self) -> String {
        self.sshd.user.clone()
    }
}

/// A grant window around now: started a minute ago, ending in an hour.
fn now_window() -> (Timestamp, Timestamp) {
    let now = Timestamp::now();
    (
        now - SignedDuration::from_mins(1),
        now + SignedDuration::from_hours(1),
    )
}

#[test]
fn login_works_during_the_grant_and_fails_after_revocation() {
    let Some(f) = Fixture::new() else { return };
    let user = f.user();
    let cert = f.issue(41, &user, now_window());
    assert!(
        f.sshd.login(&f.key, &cert),
        "login during the grant:\n{}",
        f.sshd.log_text()
    );
    f.sshd.assert_logged("ID grant-41 (serial 41)");

    let mut krl = Krl::new();
    krl.revoke_serial(41).unwrap();
    f.sshd.revoke(&f.ca, &krl, 2);
    assert!(
        !f.sshd.login(&f.key, &cert),
        "login after revoking its serial"
    );
    f.sshd.assert_logged("revoked");

    // A certificate for the same grant re-issued with a new serial still
    // works until the grant (its key id) is revoked.
    let reissued = support::issue(&f.ca, &f.public, &principals(&[&user]), 42, now_window());
    let reissued_for_grant =
        f.ca.issue(&CertificateRequest {
            public_key: &f.public,
            key_id: "grant-41",
            serial: 43,
            principals: &principals(&[&user]),
            valid_after: now_window().0,
            valid_before: now_window().1,
            max_validity: SignedDuration::from_hours(8),
            source_address: None,
        })
        .unwrap();
    assert!(
        f.sshd.login(&f.key, &reissued_for_grant),
        "new serial, same grant"
    );
    krl.revoke_key_id("grant-41").unwrap();
    f.sshd.revoke(&f.ca, &krl, 3);
    assert!(
        !f.sshd.login(&f.key, &reissued_for_grant),
        "after revoking the grant id"
    );
    assert!(
        f.sshd.login(&f.key, &reissued),
        "another grant is untouched"
    );
}

#[test]
fn login_fails_after_expiry_and_before_the_window() {
    let Some(f) = Fixture::new() else { return };
    let user = f.user();
    let now = Timestamp::now();
    let expired = f.issue(
        1,
        &user,
        (
            now - SignedDuration::from_hours(2),
            now - SignedDuration::from_hours(1),
        ),
    );
    assert!(
        !f.sshd.login(&f.key, &expired),
        "login with an expired certificate"
    );
    f.sshd.assert_logged("expired");
    let early = f.issue(
        2,
        &user,
        (
            now + SignedDuration::from_hours(1),
            now + SignedDuration::from_hours(2),
        ),
    );
    assert!(!f.sshd.login(&f.key, &early), "login before the window");
    f.sshd.assert_logged("not yet valid");
}

#[test]
fn login_fails_with_a_wrong_principal() {
    let Some(f) = Fixture::new() else { return };
    let cert = f.issue(5, "someone-else", now_window());
    assert!(!f.sshd.login(&f.key, &cert), "login with a wrong principal");
    f.sshd.assert_logged("not a listed principal");
}

#[test]
fn source_address_limits_where_the_certificate_works() {
    let Some(f) = Fixture::new() else { return };
    let user = f.user();
    let names = principals(&[&user]);
    let issue = |serial: u64, list: &str| {
        let source = SourceAddresses::parse(list).unwrap();
        f.ca.issue(&CertificateRequest {
            public_key: &f.public,
            key_id: &format!("grant-{serial}"),
            serial,
            principals: &names,
            valid_after: now_window().0,
            valid_before: now_window().1,
            max_validity: SignedDuration::from_hours(8),
            source_address: Some(&source),
        })
        .unwrap()
    };
    assert!(
        f.sshd.login(&f.key, &issue(7, "10.0.0.0/8,127.0.0.0/8")),
        "from a permitted network:\n{}",
        f.sshd.log_text()
    );
    assert!(
        !f.sshd.login(&f.key, &issue(8, "10.0.0.0/8")),
        "from outside the permitted networks"
    );
    f.sshd.assert_logged("source address");
}
