//! A request's life: every allowed step, every refused one, and properties
//! over random sequences of steps and times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::{SignedDuration, Timestamp};
use palisade_access::request::{State, Status, Step, StepError, Timing, apply};
use proptest::prelude::*;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
}

fn timing(start: Option<i64>) -> Timing {
    Timing {
        created: at(0),
        start: start.map(at),
        duration: SignedDuration::from_mins(120),
        approval_timeout: SignedDuration::from_mins(24 * 60),
    }
}

fn pending() -> Status {
    Status {
        state: State::Pending,
        from: None,
        until: None,
    }
}

#[test]
fn enough_approvals_activate_now_or_at_the_requested_start() {
    let t = timing(None);
    let once = apply(pending(), &t, &Step::Approve { enough: false }, at(5)).unwrap();
    assert_eq!(once, pending(), "one approval of two changes nothing");
    let active = apply(once, &t, &Step::Approve { enough: true }, at(6)).unwrap();
    assert_eq!(
        active,
        Status {
            state: State::Active,
            from: Some(at(6)),
            until: Some(at(126))
        }
    );

    let later = timing(Some(60));
    let approved = apply(pending(), &later, &Step::Approve { enough: true }, at(10)).unwrap();
    assert_eq!(approved.state, State::Approved);
    assert_eq!(
        (approved.from, approved.until),
        (Some(at(60)), Some(at(180)))
    );
    let still = apply(approved, &later, &Step::Tick, at(59)).unwrap();
    assert_eq!(still.state, State::Approved);
    let started = apply(approved, &later, &Step::Tick, at(60)).unwrap();
    assert_eq!(started.state, State::Active);
    let ended = apply(started, &later, &Step::Tick, at(180)).unwrap();
    assert_eq!(ended.state, State::Expired);
}

#[test]
fn an_unapproved_request_expires() {
    let t = timing(None);
    assert_eq!(
        apply(pending(), &t, &Step::Tick, at(24 * 60 - 1))
            .unwrap()
            .state,
        State::Pending
    );
    assert_eq!(
        apply(pending(), &t, &Step::Tick, at(24 * 60))
            .unwrap()
            .state,
        State::Expired
    );
    // One whose whole requested window passed unapproved expires too.
    let t = timing(Some(30));
    assert_eq!(
        apply(pending(), &t, &Step::Tick, at(150)).unwrap().state,
        State::Expired
    );
    // And an approval after that comes too late.
    let err = apply(
        apply(pending(), &t, &Step::Tick, at(150)).unwrap(),
        &t,
        &Step::Approve { enough: true },
        at(151),
    )
    .unwrap_err();
    assert_eq!(
        err,
        StepError::WrongState {
            state: "expired",
            verb: "approved"
        }
    );
}

#[test]
fn revoke_ends_the_grant_now_and_extension_moves_the_end_later() {
    let t = timing(None);
    let active = apply(pending(), &t, &Step::Approve { enough: true }, at(0)).unwrap();
    let extended = apply(active, &t, &Step::Extend { until: at(200) }, at(100)).unwrap();
    assert_eq!(extended.until, Some(at(200)));
    assert_eq!(
        apply(extended, &t, &Step::Extend { until: at(150) }, at(110)).unwrap_err(),
        StepError::NotLater { until: at(200) }
    );
    let revoked = apply(extended, &t, &Step::Revoke, at(111)).unwrap();
    assert_eq!(revoked.state, State::Revoked);
    assert_eq!(revoked.until, Some(at(111)));
}

#[test]
fn final_states_refuse_every_step_and_wrong_states_say_why() {
    let t = timing(None);
    let denied = apply(pending(), &t, &Step::Deny, at(1)).unwrap();
    assert_eq!(denied.state, State::Denied);
    for step in [
        Step::Approve { enough: true },
        Step::Deny,
        Step::Cancel,
        Step::Revoke,
        Step::Extend { until: at(500) },
    ] {
        let err = apply(denied, &t, &step, at(2)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the request is denied, so it cannot be"),
            "{err}"
        );
    }
    assert_eq!(apply(denied, &t, &Step::Tick, at(10_000)).unwrap(), denied);
    // Revoking or extending what was never granted is refused.
    assert!(apply(pending(), &t, &Step::Revoke, at(1)).is_err());
    assert!(apply(pending(), &t, &Step::Extend { until: at(9) }, at(1)).is_err());
    // Cancelling a granted request is a revocation, not a cancellation.
    let active = apply(pending(), &t, &Step::Approve { enough: true }, at(0)).unwrap();
    assert_eq!(
        apply(active, &t, &Step::Cancel, at(1))
            .unwrap_err()
            .to_string(),
        "the request is active, so it cannot be cancelled"
    );
}

#[test]
fn states_round_trip_through_their_names() {
    for s in State::ALL {
        assert_eq!(State::from_key(s.key()), Some(s));
    }
    assert_eq!(State::from_key("Active"), None);
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        any::<bool>().prop_map(|enough| Step::Approve { enough }),
        Just(Step::Deny),
        Just(Step::Cancel),
        Just(Step::Revoke),
        (0i64..3000).prop_map(|m| Step::Extend { until: at(m) }),
        Just(Step::Tick),
    ]
}

proptest! {
    /// Over any sequence of steps at non-decreasing times: a final state never
    /// changes, a grant's window never runs backwards, and a request is
    /// active exactly while its window holds.
    #[test]
    fn the_life_of_a_request_keeps_its_invariants(
        start in proptest::option::of(0i64..600),
        steps in proptest::collection::vec((step(), 0i64..120), 1..20),
    ) {
        let t = timing(start);
        let mut status = pending();
        let mut now = 0;
        for (step, wait) in steps {
            now += wait;
            let before = status;
            if let Ok(next) = apply(status, &t, &step, at(now)) {
                    prop_assert!(!before.state.is_final() || next == before, "{before:?} -> {next:?}");
                    if let (Some(f), Some(u)) = (next.from, next.until) {
                        prop_assert!(f <= u || next.state == State::Revoked, "{next:?}");
                    }
                    if next.state == State::Active {
                        prop_assert!(next.from.unwrap() <= at(now) && at(now) < next.until.unwrap(), "{next:?} at {now}");
                    }
                    status = next;
            }
        }
    }
}
