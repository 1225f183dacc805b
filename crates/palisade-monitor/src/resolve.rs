//! Actors to people: a record's name for someone, resolved through the
//! model's identities index (handle, GitHub or GitLab login, e-mail, SSH
//! principal; an SSH certificate key id names a grant, whose holder the
//! caller knows).

use palisade_model::{IdentityKind, Index};

use crate::event::{ActorKind, Event};

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
