//! Random questions: never a panic, and a denial whenever nothing permits.

use palisade_access::policy::{AccessQuestion, Effect};
use palisade_model::Access;
use proptest::prelude::*;

use super::*;

const PEOPLE: &[&str] = &[
    "eleanor",
    "arjun",
    "katarzyna",
    "gareth",
    "tomas",
    "kavya",
    "sofia",
    "meera",
    "nobody",
    "",
];
const ROLES: &[&str] = &[
    "dev-developer",
    "staging-deployer",
    "prod-reader",
    "prod-deployer",
    "payments-db-admin",
    "incident-responder",
    "no-role",
];
const ENVS: &[Option<&str>] = &[
    None,
    Some("dev"),
    Some("staging"),
    Some("prod"),
    Some("mars"),
];

fn facts() -> impl Strategy<Value = (usize, usize, usize, u32)> {
    (
        0..PEOPLE.len(),
        0..ROLES.len(),
        0..ENVS.len(),
        prop_oneof![0u32..1000, Just(u32::MAX)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_questions_never_panic_and_deny_unless_permitted(
        (p, r, e, minutes) in facts(),
        approver in 0..PEOPLE.len(),
        approvers in proptest::collection::vec(0..PEOPLE.len(), 0..4),
        kind in 0..4usize,
        name in "[a-z/\"\\\\-]{0,12}",
    ) {
        thread_local! {
            static AUTH: palisade_access::policy::Authorizer = authorizer_on(&acme(), day());
        }
        let facts = ask(PEOPLE[p], ROLES[r], ENVS[e], minutes);
        let approvers: Vec<&str> = approvers.iter().map(|&i| PEOPLE[i]).collect();
        let q = match kind {
            0 => AccessQuestion::Request(facts),
            1 => AccessQuestion::Approve { approver: PEOPLE[approver], request: facts },
            2 => AccessQuestion::Activate { request: facts, approvers: &approvers },
            _ => AccessQuestion::Use {
                person: PEOPLE[p],
                environment: ENVS[e].unwrap_or(&name),
                resource: Some(&name),
                access: Access::Read,
            },
        };
        let d = AUTH.with(|a| a.decide(&q));
        if d.allowed {
            prop_assert!(!d.policies.is_empty());
            prop_assert!(d.policies.iter().all(|p| p.effect == Effect::Permit));
            prop_assert!(d.problems.is_empty());
        } else {
            // Denied by forbids, by problems, or by default: never by a permit.
            prop_assert!(d.policies.iter().all(|p| p.effect == Effect::Forbid));
        }
        // Nothing the model lacks is ever allowed.
        if PEOPLE[p] == "nobody" || ROLES[r] == "no-role" || ENVS[e] == Some("mars") {
            prop_assert!(!d.allowed || kind == 3);
        }
    }
}

#[test]
fn with_no_policy_permitting_it_use_is_denied_by_default() {
    let a = authorizer_on(&acme(), day());
    // The payments database offers admin; none of sofia's standing roles allows it.
    let d = a.decide(&AccessQuestion::Use {
        person: "sofia",
        environment: "prod",
        resource: Some("payments-db"),
        access: Access::Admin,
    });
    assert!(!d.allowed);
    assert!(d.policies.is_empty() && d.problems.is_empty(), "{d:#?}");
}
