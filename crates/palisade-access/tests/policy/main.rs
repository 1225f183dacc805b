//! The access decisions by Cedar, against the example organisation
//! (`examples/acme/palisade.toml`): each generated rule allows and denies
//! what it should, the organisation's own policies are enforced or
//! rejected with their place, Cedar's Python bindings reach the same
//! decisions, and random questions never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cedarpy;
mod org;
mod props;
mod requests;
mod rules;

use palisade_access::policy::{
    AccessQuestion, AccessSettings, Authorizer, Decision, Effect, RequestFacts,
};
use palisade_model::{Day, Model};

/// The example organisation's model.
pub fn acme() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    let text = std::fs::read_to_string(path).unwrap();
    palisade_model::parse(&text).unwrap()
}

/// A day on which the example's vetted people are current.
pub fn day() -> Day {
    "2026-12-01".parse().unwrap()
}

pub fn authorizer_on(model: &Model, day: Day) -> Authorizer {
    let index = palisade_model::Index::new(model);
    Authorizer::new(&index, day, &AccessSettings::default()).unwrap()
}

pub fn ask<'q>(
    requester: &'q str,
    role: &'q str,
    environment: Option<&'q str>,
    minutes: u32,
) -> RequestFacts<'q> {
    RequestFacts {
        requester,
        role,
        environment,
        minutes,
    }
}

pub fn request(a: &Authorizer, facts: RequestFacts<'_>) -> Decision {
    a.decide(&AccessQuestion::Request(facts))
}

pub fn approve(a: &Authorizer, approver: &str, facts: RequestFacts<'_>) -> Decision {
    a.decide(&AccessQuestion::Approve {
        approver,
        request: facts,
    })
}

/// The ids of the policies that made a decision.
pub fn ids(d: &Decision) -> Vec<&str> {
    d.policies.iter().map(|p| p.id.as_str()).collect()
}

/// Asserts a denial by (at least) forbid `id`.
#[track_caller]
pub fn assert_denied_by(d: &Decision, id: &str) {
    assert!(!d.allowed, "expected a denial by {id}, got {d:#?}");
    let p = d
        .policies
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("expected {id} among the deciding policies, got {d:#?}"));
    assert_eq!(p.effect, Effect::Forbid);
    assert!(!p.reason.is_empty(), "{id} has no reason");
}

#[track_caller]
pub fn assert_allowed(d: &Decision) {
    assert!(d.allowed, "expected an allow, got {d:#?}");
    assert!(!d.policies.is_empty());
    assert!(d.policies.iter().all(|p| p.effect == Effect::Permit));
}
