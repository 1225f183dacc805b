//! `security_change`, weighed by who made it and what it exposes, and
//! `unknown_actor`, which leaves anonymous readers, bots and failures alone.

use palisade_monitor::event::{Action, Event, Outcome};
use palisade_monitor::finding::Severity;

use super::*;

const T: &str = "2026-03-10T10:00:00Z"; // in hours in London and Kolkata

fn change(login: &str, what: &str) -> Event {
    github(
        login,
        Action::SecurityChange {
            what: what.into(),
            change: "what the record says changed".into(),
        },
        "acme/payments",
        utc(T),
    )
}

fn severity_of(login: &str, what: &str) -> Option<Severity> {
    let f = Run::new(index(), &[]).feed(change(login, what));
    of(&f, "security_change").first().map(|f| f.severity)
}

#[test]
fn security_changes_weigh_more_when_a_vendor_member_makes_them() {
    // arjun is Nimbus's (vendor); eleanor is internal.
    assert_eq!(
        severity_of("arjun-menon-nimbus", "protected_branch.destroy"),
        Some(Severity::High)
    );
    assert_eq!(
        severity_of("ewhitfield", "protected_branch.destroy"),
        Some(Severity::Medium)
    );
    // Tokens and keys are routine inside, not from a vendor.
    assert_eq!(
        severity_of("ewhitfield", "personal_access_token.request_created"),
        Some(Severity::Low)
    );
    assert_eq!(
        severity_of("arjun-menon-nimbus", "deploy_key.create"),
        Some(Severity::High)
    );
    // Exposing a repository.
    assert_eq!(
        severity_of("ewhitfield", "repo.transfer"),
        Some(Severity::High)
    );
    assert_eq!(
        severity_of("knowak-harbor", "repo.access"),
        Some(Severity::Critical)
    );
    let f = Run::new(index(), &[]).feed(change("arjun-menon-nimbus", "protected_branch.destroy"));
    let s = &of(&f, "security_change")[0].sentence;
    assert!(
        s.contains("arjun of vendor team nimbus")
            && s.contains("`protected_branch.destroy`")
            && s.contains("repository:acme/payments")
            && s.ends_with(": what the record says changed"),
        "{s}"
    );
    assert!(
        s.contains("15:30 IST in Asia/Kolkata") && s.contains("10:00 UTC"),
        "{s}"
    );
}

#[test]
fn other_actions_and_refused_changes_are_not_security_changes() {
    let mut run = Run::new(index(), &[]);
    let f = run.feed(github(
        "ewhitfield",
        Action::Other {
            what: "repo.create".into(),
        },
        "acme/platform",
        utc(T),
    ));
    assert!(f.is_empty(), "{f:#?}");
    let mut refused = change("arjun-menon-nimbus", "protected_branch.destroy");
    refused.outcome = Outcome::Failure;
    assert!(run.feed(refused).is_empty());
}

#[test]
fn an_actor_no_identity_resolves_is_reported_and_anonymous_readers_and_bots_are_not() {
    let mut run = Run::new(index(), &[]);
    let f = run.feed(github("mallory", Action::GitClone, "acme/payments", utc(T)));
    let u = of(&f, "unknown_actor");
    assert_eq!(u.len(), 1, "{f:#?}");
    assert_eq!(u[0].severity, Severity::Medium);
    assert_eq!(u[0].person, None);
    assert!(
        u[0].sentence.contains("`mallory`") && u[0].sentence.contains("a GitHub login"),
        "{}",
        u[0].sentence
    );
    for quiet in ["(anonymous)", "dependabot[bot]", "github-actions"] {
        assert!(
            run.feed(github(quiet, Action::GitClone, "acme/payments", utc(T)))
                .is_empty(),
            "{quiet}"
        );
    }
    // A change by no one known: both findings, the change as high.
    let f = run.feed(change("mallory", "protected_branch.destroy"));
    assert_eq!(of(&f, "unknown_actor")[0].severity, Severity::High);
    assert_eq!(of(&f, "security_change")[0].severity, Severity::High);
    // A login as root: sshd user names resolve through SSH principals only.
    let f = run.feed(ssh(
        "root",
        login(),
        "bastion.prod.acme.internal",
        "203.0.113.1",
        utc(T),
    ));
    assert_eq!(of(&f, "unknown_actor").len(), 1, "{f:#?}");
    // A known person is never unknown.
    assert!(!has(
        &run.feed(github(
            "ewhitfield",
            Action::GitClone,
            "acme/platform",
            utc(T)
        )),
        "unknown_actor"
    ));
}
