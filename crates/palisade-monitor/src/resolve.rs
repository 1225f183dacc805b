//! Actors to people: a record's name for someone, resolved through the
//! model's identities index (handle, GitHub or GitLab login, e-mail, SSH
//! principal; an SSH certificate key id names a grant, whose holder the
//! caller knows).
//!
//! A certificate login is resolved by the principal it logged in as first,
//! and only then by the holder of the grant its key id names: a key id is
//! whatever the certificate's signer wrote, while the principal is what
//! sshd let in. A key id shaped like a grant id that names no grant
//! ([`looks_like_grant`]) still resolves by principal; the detectors report
//! it (`unknown_actor`).

use palisade_model::{IdentityKind, Index};

use crate::event::{ActorKind, Event};

/// How Palisade's grant ids (its access request ids) begin: `req-` and 12
/// hex digits, the key id of every certificate it issues.
pub const GRANT_ID_PREFIX: &str = "req-";

/// Whether a certificate key id has the shape of a grant id: the prefix and
/// then letters and digits. Such a key id that names no known grant was
/// not written by Palisade (forged, or another system's).
pub fn looks_like_grant(key_id: &str) -> bool {
    key_id.strip_prefix(GRANT_ID_PREFIX).is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The identity kind of the index that an actor kind is looked up as.
pub fn identity_kind(kind: ActorKind) -> Option<IdentityKind> {
    match kind {
        ActorKind::GithubLogin => Some(IdentityKind::Github),
        ActorKind::GitlabUsername => Some(IdentityKind::Gitlab),
        ActorKind::Email => Some(IdentityKind::Email),
        ActorKind::SshUser => Some(IdentityKind::SshPrincipal),
        ActorKind::Handle => Some(IdentityKind::Handle),
        ActorKind::CertificateKeyId => None,
    }
}

/// Sets `event.actor.person` from the index; `grant_holder` answers for
/// certificate key ids (a grant id to its holder's handle).
pub fn resolve(
    event: &mut Event,
    index: &Index<'_>,
    grant_holder: &dyn Fn(&str) -> Option<String>,
) {
    let actor = &mut event.actor;
    actor.person = match identity_kind(actor.kind) {
        Some(kind) => index
            .person_by(kind, &actor.name)
            .map(|p| index.person(p).handle.clone()),
        None => grant_holder(&actor.name),
    };
    // A certificate login also names the grant; its holder is the person.
    if actor.person.is_none()
        && let Some(grant) = &event.grant
    {
        actor.person = grant_holder(grant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_shaped_key_ids_are_told_from_others() {
        for id in ["req-0123456789ab", "req-7", "req-X9"] {
            assert!(looks_like_grant(id), "{id}");
        }
        for id in [
            "req-",
            "req",
            "grant-41",
            "request-7",
            "req-7 (copy)",
            "req-ab/cd",
            "ci@runner",
            "",
        ] {
            assert!(!looks_like_grant(id), "{id}");
        }
        assert!(!looks_like_grant(&format!("req-{}", "a".repeat(65))));
    }
}
