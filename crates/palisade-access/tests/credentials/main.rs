//! Credentials for grants, end to end over a real store and real outside
//! systems: temporary roles in the test PostgreSQL, SSH certificates checked
//! by OpenSSH's own `ssh-keygen` against the KRL Palisade writes. Every
//! issue and revocation is recorded intended before and done after; a crash
//! in between is reconciled; secrets are sealed and a wrong key writes
//! nothing; break-glass is loud and reviewed by someone else.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use super::postgres::support as pg;

use std::process::Command;

use jiff::Timestamp;
use palisade_access::credentials::{Credentials, Issuers, SshIssuer, kind, state};
use palisade_access::grants::{AccessError, Grants, NewRequest};
use palisade_access::keyring::{Keyring, KeyringError, SSH_CA};
use palisade_access::policy::{AccessSettings, Authorizer};
use palisade_access::postgres::PgIssuer;
use palisade_access::request::State;
use palisade_access::secrets::{Key, Secret};
use palisade_access::ssh::{CaKey, UserPublicKey};
use palisade_ledger::ledger::{Event, Ledger, Query};
use palisade_model::{Day, DbRoles, GrantDuration, Index, Model};
use palisade_store::AccessCredentialRow;
use palisade_test_support::db::backends;

fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    palisade_model::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Acme with its production database pointed at the test target.
fn acme_on(target: &pg::Target) -> Model {
    let mut model = acme();
    let prod = model
        .environments
        .iter_mut()
        .find(|e| e.id == "prod")
        .unwrap();
    let db = prod
        .resources
        .iter_mut()
        .find(|r| r.id == "payments-db")
        .unwrap();
    db.address = Some(target.address.clone());
    db.database = Some(target.database.clone());
    db.db_roles = Some(DbRoles {
        read: Some(target.read_role.clone()),
        deploy: None,
        admin: Some(target.deploy_role.clone()),
    });
    model
}

/// `minutes` after the start of this test run. PostgreSQL checks a role's
/// `VALID UNTIL` against its own clock, so grants here live in real time.
fn at(minutes: i64) -> Timestamp {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| Timestamp::now().as_second() / 60 * 60);
    Timestamp::from_second(start + minutes * 60).unwrap()
}

/// The day policies judge vetting on: one the example's vetted people are current.
fn day() -> Day {
    "2026-12-01".parse().unwrap()
}

fn ask(role: &str, minutes: u32) -> NewRequest {
    NewRequest {
        role: role.to_owned(),
        environment: Some("prod".to_owned()),
        duration: GrantDuration::from_minutes(minutes),
        reason: "INC-4711: payments latency".to_owned(),
        ticket: None,
        start: None,
    }
}

async fn phases(ledger: &Ledger, request: &str) -> Vec<String> {
    ledger
        .query(&Query {
            limit: 1000,
            ..Query::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.entry.kind == kind::CREDENTIAL && s.entry.subject == request)
        .map(|s| s.entry.data["phase"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_database_role_is_intended_issued_works_and_is_dropped_on_revocation() {
    let Some(target) = pg::target().await else {
        return;
    };
    let model = acme_on(&target);
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::from_model(&model)).unwrap();
    let prod = &model.environments.iter().find(|e| e.id == "prod").unwrap();
    let resource = prod
        .resources
        .iter()
        .find(|r| r.id == "payments-db")
        .unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let issuers = Issuers::new().with_database(
            "prod",
            "payments-db",
            PgIssuer::new(&target.admin, resource).unwrap(),
        );
        let credentials = Credentials::new(&ledger, &index, &issuers);

        let req = grants
            .request("james", &ask("payments-db-admin", 60), at(0))
            .await
            .unwrap();
        // Not before the grant is in force.
        let err = credentials
            .database_role("james", &req.id, None, at(1))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("pending, not active"), "{err}");
        grants.approve("sofia", &req.id, "ok", at(1)).await.unwrap();
        grants.approve("dana", &req.id, "ok", at(2)).await.unwrap();
        // Only its holder gets it.
        let err = credentials
            .database_role("sofia", &req.id, None, at(3))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("only they"), "{err}");

        let issued = credentials
            .database_role("james", &req.id, None, at(3))
            .await
            .unwrap();
        target.track_role(&issued.role.role);
        assert_eq!(issued.credential.state, state::ISSUED);
        assert_eq!(issued.credential.valid_until, at(62));
        assert_eq!(issued.role.db_role, target.deploy_role, "admin maps to it");
        assert_eq!(phases(&ledger, &req.id).await, ["intended", "issued"]);
        // The password is nowhere in the ledger.
        let all = ledger
            .query(&Query {
                limit: 1000,
                ..Query::default()
            })
            .await
            .unwrap();
        let text =
            serde_json::to_string(&all.iter().map(|s| &s.entry.data).collect::<Vec<_>>()).unwrap();
        assert!(!text.contains(issued.role.password.expose()));

        let mut conn = target
            .login(&issued.role.role, issued.role.password.expose())
            .await
            .expect("the role logs in during the grant");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 2);
        drop(conn);

        // Extending the grant moves the role's end with it.
        let longer = grants
            .extend("james", &req.id, GrantDuration::from_minutes(30), at(5))
            .await
            .unwrap();
        assert_eq!(longer.until, Some(at(92)));
        let moved = credentials
            .extend_grant("james", &req.id, at(92), at(5))
            .await
            .unwrap();
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].valid_until, at(92));
        let mut admin = target.admin_conn().await;
        let until: i64 = sqlx::query_scalar(
            "SELECT extract(epoch FROM rolvaliduntil)::int8 FROM pg_roles WHERE rolname = $1",
        )
        .bind(&issued.role.role)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        assert_eq!(until, at(92).as_second(), "PostgreSQL has the new end");
        drop(admin);

        grants.revoke("eleanor", &req.id, at(10)).await.unwrap();
        let report = credentials
            .revoke_grant("eleanor", &req.id, at(10))
            .await
            .unwrap();
        assert_eq!(report.revoked.len(), 1);
        assert!(!target.role_exists(&issued.role.role).await);
        assert!(
            target
                .login(&issued.role.role, issued.role.password.expose())
                .await
                .is_err(),
            "no login after revocation"
        );
        assert_eq!(
            phases(&ledger, &req.id).await,
            ["intended", "issued", "extended", "revoking", "revoked"]
        );
        // Asking again after revocation is refused.
        let err = credentials
            .database_role("james", &req.id, None, at(11))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("revoked, not active"), "{err}");
    }
}

#[tokio::test]
async fn reconcile_undoes_what_a_crash_left_half_done() {
    let Some(target) = pg::target().await else {
        return;
    };
    let model = acme_on(&target);
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::from_model(&model)).unwrap();
    let prod = &model.environments.iter().find(|e| e.id == "prod").unwrap();
    let resource = prod
        .resources
        .iter()
        .find(|r| r.id == "payments-db")
        .unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let pg = PgIssuer::new(&target.admin, resource).unwrap();
        let issuers = Issuers::new().with_database("prod", "payments-db", pg.clone());
        let credentials = Credentials::new(&ledger, &index, &issuers);
        let req = grants
            .request("james", &ask("payments-db-admin", 60), at(0))
            .await
            .unwrap();
        grants.approve("sofia", &req.id, "ok", at(1)).await.unwrap();
        grants.approve("dana", &req.id, "ok", at(2)).await.unwrap();

        // A process recorded its intent, created the role, and died.
        let tag = format!("{}.cred-dead0000", req.id);
        let row = AccessCredentialRow {
            id: "cred-dead0000".to_owned(),
            request_id: req.id.clone(),
            kind: "database_role".to_owned(),
            environment: "prod".to_owned(),
            resource: "payments-db".to_owned(),
            state: state::INTENDED.to_owned(),
            serial: None,
            name: palisade_access::postgres::role_name(&tag),
            valid_until_us: at(62).as_microsecond(),
            detail: "{}".to_owned(),
            created_us: at(3).as_microsecond(),
            state_us: at(3).as_microsecond(),
            version: 1,
        };
        let mut tx = ledger.begin().await.unwrap();
        tx.access_insert_credential(&row).await.unwrap();
        ledger
            .append_in(
                &mut tx,
                &[Event {
                    time: at(3),
                    actor: "james".to_owned(),
                    kind: kind::CREDENTIAL.to_owned(),
                    subject: req.id.clone(),
                    data: serde_json::json!({"phase": "intended", "credential": row.id}),
                }],
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let half = pg
            .issue(&tag, "james", palisade_model::Access::Admin, at(62))
            .await
            .unwrap();
        target.track_role(&half.role);
        // And a role someone made under Palisade's tag with no record at all.
        let stray = pg
            .issue(
                "req-stray.cred-none",
                "james",
                palisade_model::Access::Read,
                at(62),
            )
            .await
            .unwrap();
        target.track_role(&stray.role);
        // A good credential alongside stays.
        let good = credentials
            .database_role("james", &req.id, None, at(4))
            .await
            .unwrap();
        target.track_role(&good.role.role);

        let report = credentials.reconcile("palisade", at(5)).await.unwrap();
        assert_eq!(
            report
                .abandoned
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>(),
            ["cred-dead0000"]
        );
        assert_eq!(report.orphan_roles, std::slice::from_ref(&stray.role));
        assert!(!target.role_exists(&half.role).await);
        assert!(!target.role_exists(&stray.role).await);
        assert!(
            target.role_exists(&good.role.role).await,
            "a live grant keeps its role"
        );
        let listed = credentials.list(&req.id).await.unwrap();
        let states: Vec<_> = listed.iter().map(|c| c.state.as_str()).collect();
        assert_eq!(states, [state::FAILED, state::ISSUED]);

        // Once the grant ends by itself, the next reconcile drops the rest.
        let report = credentials.reconcile("palisade", at(70)).await.unwrap();
        assert_eq!(report.revoked.len(), 1);
        assert!(!target.role_exists(&good.role.role).await);
        assert_eq!(report.revoked[0].detail["outcome"], "expired");
    }
}

#[tokio::test]
async fn a_certificate_covers_the_grant_window_and_revocation_puts_it_in_the_krl() {
    let Some(keygen) =
        palisade_test_support::tool_installed_by("PALISADE_TEST_SSH_KEYGEN", "scripts/ensure-sshd")
    else {
        return;
    };
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::from_model(&model)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user =
        UserPublicKey::parse(&CaKey::from_seed(&[0x17; 32]).public_key().to_openssh()).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        let krl = dir.path().join(format!("{}.krl", db.backend()));
        let issuers = Issuers::new().with_ssh(SshIssuer::new(CaKey::from_seed(&[0x5a; 32]), &krl));
        let credentials = Credentials::new(&ledger, &index, &issuers);
        let req = grants
            .request("james", &ask("incident-responder", 120), at(0))
            .await
            .unwrap();
        grants.approve("sofia", &req.id, "ok", at(1)).await.unwrap();
        let issued = credentials
            .ssh_certificate("james", &req.id, None, &user, None, at(2))
            .await
            .unwrap();
        let cert = &issued.certificate;
        assert_eq!(cert.key_id(), req.id, "the key id is the grant id");
        assert_eq!(cert.principals(), ["james"]);
        assert_eq!((cert.valid_after(), cert.valid_before()), (at(1), at(121)));
        assert_eq!(issued.credential.resource, "prod-hosts");
        let cert_file = dir.path().join(format!("{}-cert.pub", db.backend()));
        std::fs::write(&cert_file, cert.to_openssh()).unwrap();

        grants.revoke("eleanor", &req.id, at(30)).await.unwrap();
        let report = credentials
            .revoke_grant("eleanor", &req.id, at(30))
            .await
            .unwrap();
        assert_eq!(report.krl_entries, Some(1));
        // OpenSSH's own tool reads the KRL and finds the certificate revoked.
        let out = Command::new(&keygen)
            .arg("-Q")
            .arg("-f")
            .arg(&krl)
            .arg(&cert_file)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("REVOKED"), "{said} {out:?}");
        assert_eq!(
            phases(&ledger, &req.id).await,
            ["intended", "issued", "revoking", "revoked"]
        );

        // A second grant's certificate, left to expire, never enters the KRL.
        let other = grants
            .request("james", &ask("incident-responder", 60), at(40))
            .await
            .unwrap();
        grants
            .approve("sofia", &other.id, "ok", at(41))
            .await
            .unwrap();
        let second = credentials
            .ssh_certificate("james", &other.id, Some("prod-hosts"), &user, None, at(42))
            .await
            .unwrap();
        let second_file = dir.path().join(format!("{}-second-cert.pub", db.backend()));
        std::fs::write(&second_file, second.certificate.to_openssh()).unwrap();
        let report = credentials.reconcile("palisade", at(200)).await.unwrap();
        assert_eq!(report.revoked.len(), 1);
        assert_eq!(
            report.krl_entries,
            Some(0),
            "the revoked one has expired too"
        );
        let out = Command::new(&keygen)
            .arg("-Q")
            .arg("-f")
            .arg(&krl)
            .arg(&second_file)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("ok"),
            "{out:?}"
        );
    }
}

#[tokio::test]
async fn a_wrong_secrets_key_is_refused_and_overwrites_nothing() {
    let model = acme();
    let index = Index::new(&model);
    let right = Key::from_bytes([7; 32]);
    let wrong = Key::from_bytes([8; 32]);
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let keyring = Keyring::new(&ledger, &right);
        let public = keyring.init_ca("eleanor", false, at(0)).await.unwrap();
        let before = ledger.store().access_secret(SSH_CA).await.unwrap().unwrap();
        assert!(before.sealed.starts_with("palisade-sealed-v1:"));

        // Creating it again without --replace keeps the first.
        let err = keyring.init_ca("eleanor", false, at(1)).await.unwrap_err();
        assert!(matches!(err, KeyringError::Exists { .. }), "{err}");

        let bad = Keyring::new(&ledger, &wrong);
        let err = bad.init_ca("eleanor", true, at(2)).await.unwrap_err();
        assert!(matches!(err, KeyringError::WrongKey { .. }), "{err}");
        assert!(err.to_string().contains("nothing was written"), "{err}");
        let url = Secret::new(b"postgres://admin:hunter2-secret@127.0.0.1:5432/postgres".to_vec());
        let err = bad
            .set_db_admin(&index, "prod", "payments-db", &url, "eleanor", at(2))
            .await
            .unwrap_err();
        assert!(matches!(err, KeyringError::WrongKey { .. }), "{err}");
        let err = bad.ca().await.unwrap_err();
        assert!(err.to_string().contains("wrong key"), "{err}");
        let after = ledger.store().access_secret(SSH_CA).await.unwrap().unwrap();
        assert_eq!(before, after, "the wrong key changed nothing");
        assert_eq!(
            ledger
                .store()
                .access_secret("db-admin:prod/payments-db")
                .await
                .unwrap(),
            None
        );

        // With the right key: the CA opens, and the database password is
        // neither stored in the clear nor in the ledger.
        let ca = keyring.ca().await.unwrap().unwrap();
        assert_eq!(ca.public_key().fingerprint(), public.fingerprint());
        keyring
            .set_db_admin(&index, "prod", "payments-db", &url, "eleanor", at(3))
            .await
            .unwrap();
        let stored = ledger
            .store()
            .access_secret("db-admin:prod/payments-db")
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.sealed.contains("hunter2"));
        let entries = ledger
            .query(&Query {
                limit: 100,
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 2, "the CA and the admin URL, each once");
        for e in entries {
            assert!(!e.entry.data.to_string().contains("hunter2"));
        }
        // A resource that is not a database is refused before anything is stored.
        let err = keyring
            .set_db_admin(&index, "prod", "prod-hosts", &url, "eleanor", at(4))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no database resource"), "{err}");
    }
}

#[tokio::test]
async fn break_glass_is_immediate_bounded_loud_and_reviewed_by_someone_else() {
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::from_model(&model)).unwrap();
    for db in backends().await {
        let ledger = Ledger::new(db.open().await, "acme.example/palisade");
        let grants = Grants::new(&ledger, &index, &authorizer);
        // Longer than break_glass_max (1h) is refused.
        let err = grants
            .break_glass("james", &ask("incident-responder", 120), at(0))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AccessError::BreakGlassTooLong { .. }),
            "{err}"
        );
        // The rest of the policy still holds: a vendor engineer cannot take an internal-only role.
        let err = grants
            .break_glass("arjun", &ask("incident-responder", 30), at(0))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");

        let used = grants
            .break_glass("james", &ask("incident-responder", 30), at(0))
            .await
            .unwrap();
        assert_eq!(used.state, State::Active);
        assert!(used.break_glass);
        assert_eq!((used.from, used.until), (Some(at(0)), Some(at(30))));
        let loud = ledger
            .query(&Query {
                limit: 10,
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(loud.len(), 1);
        assert_eq!(loud[0].entry.kind, "access.break_glass");
        assert_eq!(loud[0].entry.data["review_due"], at(24 * 60).to_string());

        let waiting = grants.break_glass_uses(true, at(60)).await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert!(!waiting[0].overdue);
        let late = grants
            .break_glass_uses(true, at(24 * 60 + 1))
            .await
            .unwrap();
        assert!(late[0].overdue, "unreviewed past its due time");

        let err = grants
            .review_break_glass("james", &used.id, "fine", at(61))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::OwnReview(_)), "{err}");
        let err = grants
            .review_break_glass("arjun", &used.id, "fine", at(61))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::Denied { .. }), "{err}");
        let reviewed = grants
            .review_break_glass("sofia", &used.id, "INC-4711 justified it", at(62))
            .await
            .unwrap();
        assert_eq!(reviewed.reviewed_by.as_deref(), Some("sofia"));
        let err = grants
            .review_break_glass("dana", &used.id, "again", at(63))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::AlreadyReviewed { .. }), "{err}");
        assert!(
            grants
                .break_glass_uses(true, at(3000))
                .await
                .unwrap()
                .is_empty()
        );
        // An ordinary request is not reviewed this way.
        let ordinary = grants
            .request("james", &ask("incident-responder", 30), at(70))
            .await
            .unwrap();
        let err = grants
            .review_break_glass("sofia", &ordinary.id, "x", at(71))
            .await
            .unwrap_err();
        assert!(matches!(err, AccessError::NotBreakGlass(_)), "{err}");
    }
}

/// One post a receiver got: its headers (names lower-cased) and body.
type Post = (Vec<(String, String)>, Vec<u8>);

/// A loopback receiver that answers 204 to `count` posts and hands back
/// each one's headers and body.
fn receiver(count: usize) -> (String, std::thread::JoinHandle<Vec<Post>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/access", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut got = Vec::new();
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with("POST /hooks/access "), "{line}");
            let mut headers = Vec::new();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                let (k, v) = l.split_once(':').unwrap();
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap();
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .unwrap();
            got.push((headers, body));
        }
        got
    });
    (url, handle)
}

#[tokio::test]
async fn grants_and_revocations_go_out_signed_and_each_delivery_is_ledgered() {
    use palisade_access::webhook::{Sender, SenderOptions, Verifier, WebhookSecret};
    let model = acme();
    let index = Index::new(&model);
    let authorizer = Authorizer::new(&index, day(), &AccessSettings::from_model(&model)).unwrap();
    let secret = WebhookSecret::generate().unwrap();
    let verifier = Verifier::new([WebhookSecret::parse(&secret.expose_text()).unwrap()]).unwrap();
    let Some(db) = backends().await.into_iter().next() else {
        return;
    };
    let ledger = Ledger::new(db.open().await, "acme.example/palisade");
    let grants = Grants::new(&ledger, &index, &authorizer);
    let (url, got) = receiver(2);
    let sender = Sender::new(&url, secret, SenderOptions::default()).unwrap();

    let req = grants
        .request("james", &ask("incident-responder", 60), at(0))
        .await
        .unwrap();
    // A pending request is nobody else's business yet.
    let none = palisade_access::notify::announce(
        &sender,
        &ledger,
        "palisade",
        std::slice::from_ref(&req),
        at(0),
    )
    .await
    .unwrap();
    assert!(none.is_empty());
    let granted = grants.approve("sofia", &req.id, "ok", at(1)).await.unwrap();
    let revoked = grants.revoke("eleanor", &req.id, at(5)).await.unwrap();
    for (change, when) in [(granted, at(1)), (revoked, at(5))] {
        let sent = palisade_access::notify::announce(&sender, &ledger, "palisade", &[change], when)
            .await
            .unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].error, None);
    }
    let got = got.join().unwrap();
    let mut types = Vec::new();
    for ((headers, body), when) in got.iter().zip([at(1), at(5)]) {
        let message = verifier.verify(headers.as_slice(), body, when).unwrap();
        let event = message.event().unwrap();
        assert_eq!(event.data["request"], req.id.as_str());
        assert_eq!(event.data["person"], "james");
        types.push(event.event_type.clone());
        // The same message again is a replay.
        assert!(verifier.verify(headers.as_slice(), body, when).is_err());
    }
    assert_eq!(types, ["access.granted", "access.revoked"]);
    let deliveries: Vec<_> = ledger
        .query(&Query {
            limit: 100,
            ..Query::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.entry.kind == palisade_access::notify::KIND)
        .collect();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.entry.data["delivered"] == true));
}
