//! An access request's life: its states and the transitions between them,
//! as pure functions of the request, the event and the time the caller
//! passes. Storage, policy and credentials are the caller's; what happens
//! here is only whether a step is allowed and what the request becomes.
//!
//! ```text
//!  pending ──approve (enough)──► approved ──start reached──► active ──end reached──► expired
//!     │  └─approve (enough, start now)────────────────────────►│
//!     ├─deny──► denied                    │                    ├─revoke──► revoked
//!     ├─cancel──► cancelled ◄──cancel─────┤                    └─extend──► active (later end)
//!     └─no approval in time──► expired    └─revoke──► revoked
//! ```
//!
//! Expired, revoked, denied and cancelled are final: nothing leaves them.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for approvals.
    Pending,
    /// Approved; its grant starts at a later requested start.
    Approved,
    /// Its grant is in force.
    Active,
    /// Its grant ended, or it was never approved in time.
    Expired,
    /// Its grant was withdrawn before its end.
    Revoked,
    /// An approver refused it.
    Denied,
    /// Its requester withdrew it.
    Cancelled,
}

impl State {
    /// Every state, in the order of a request's life.
    pub const ALL: [State; 7] = [
        State::Pending,
        State::Approved,
        State::Active,
        State::Expired,
        State::Revoked,
        State::Denied,
        State::Cancelled,
    ];

    /// The name stored and shown.
    pub fn key(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Active => "active",
            State::Expired => "expired",
            State::Revoked => "revoked",
            State::Denied => "denied",
            State::Cancelled => "cancelled",
        }
    }

    /// The state a stored name names.
    pub fn from_key(key: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether nothing can happen to the request any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Expired | State::Revoked | State::Denied | State::Cancelled
        )
    }
}

/// What can happen to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An approval; `enough` says whether the request now has all it needs.
    Approve {
        /// Whether the approvals now meet the role's `approvals`.
        enough: bool,
    },
    /// An approver refuses it.
    Deny,
    /// Its requester withdraws it.
    Cancel,
    /// Its grant is withdrawn.
    Revoke,
    /// Its grant is lengthened to end at `until`.
    Extend {
        /// The new end.
        until: Timestamp,
    },
    /// Time passes: a start or an end is reached, or the approval wait runs out.
    Tick,
}

/// The time-related facts of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// When it was made.
    pub created: Timestamp,
    /// The start asked for (`None`: as soon as approved).
    pub start: Option<Timestamp>,
    /// How long the grant lasts.
    pub duration: SignedDuration,
    /// How long it may wait for approval before it expires.
    pub approval_timeout: SignedDuration,
}

/// A request's state and grant window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Its state.
    pub state: State,
    /// When its grant starts (set once approved).
    pub from: Option<Timestamp>,
    /// When its grant ends (set once approved).
    pub until: Option<Timestamp>,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The request's state does not allow the step.
    #[error("the request is {state}, so it cannot be {verb}")]
    WrongState {
        /// Its state.
        state: &'static str,
        /// The step, as a past participle (`approved`, `revoked`).
        verb: &'static str,
    },
    /// An extension that does not move the end later.
    #[error("the grant already ends at {until}; an extension must end later")]
    NotLater {
        /// The current end.
        until: Timestamp,
    },
}

fn verb(step: &Step) -> &'static str {
    match step {
        Step::Approve { .. } => "approved",
        Step::Deny => "denied",
        Step::Cancel => "cancelled",
        Step::Revoke => "revoked",
        Step::Extend { .. } => "extended",
        Step::Tick => "moved on",
    }
}

/// What `step` at `now` makes of a request with `status` and `timing`.
///
/// A [`Step::Tick`] never fails: it applies whatever time has made true (an
/// approved grant whose start came becomes active, an active one whose end
/// passed expires, a pending one past its approval wait expires) and leaves
/// the rest as it is.
pub fn apply(
    status: Status,
    timing: &Timing,
    step: &Step,
    now: Timestamp,
) -> Result<Status, StepError> {
    let wrong = || StepError::WrongState {
        state: status.state.key(),
        verb: verb(step),
    };
    let window = |from: Timestamp| -> (Timestamp, Timestamp) {
        let until = from.checked_add(timing.duration).unwrap_or(Timestamp::MAX);
        (from, until)
    };
    let next = match (status.state, step) {
        (State::Pending, Step::Approve { enough: false }) => status,
        (State::Pending, Step::Approve { enough: true }) => {
            let from = timing.start.map_or(now, |s| s.max(now));
            let (from, until) = window(from);
            let state = if from <= now {
                State::Active
            } else {
                State::Approved
            };
            Status {
                state,
                from: Some(from),
                until: Some(until),
            }
        }
        (State::Pending, Step::Deny) => Status {
            state: State::Denied,
            ..status
        },
        (State::Pending | State::Approved, Step::Cancel) => Status {
            state: State::Cancelled,
            ..status
        },
        (State::Approved | State::Active, Step::Revoke) => Status {
            state: State::Revoked,
            until: Some(status.until.map_or(now, |u| u.min(now))),
            ..status
        },
        (State::Active, Step::Extend { until }) => {
            let current = status.until.unwrap_or(now);
            if *until <= current {
                return Err(StepError::NotLater { until: current });
            }
            Status {
                until: Some(*until),
                ..status
            }
        }
        (_, Step::Tick) => tick(status, timing, now),
        _ => return Err(wrong()),
    };
    // An approval or extension that lands after the end has passed takes effect
    // and expires at once, as a tick would have made it.
    Ok(tick(next, timing, now))
}

/// What time alone makes of a request.
fn tick(status: Status, timing: &Timing, now: Timestamp) -> Status {
    match status.state {
        State::Pending => {
            let deadline = timing
                .created
                .checked_add(timing.approval_timeout)
                .unwrap_or(Timestamp::MAX);
            // A request whose start passed without approval is as stale as one
            // that waited too long.
            let started = timing
                .start
                .and_then(|s| s.checked_add(timing.duration).ok())
                .is_some_and(|end| end <= now);
            if now >= deadline || started {
                Status {
                    state: State::Expired,
                    ..status
                }
            } else {
                status
            }
        }
        State::Approved | State::Active => {
            let ended = status.until.is_some_and(|u| u <= now);
            let started = status.from.is_some_and(|f| f <= now);
            let state = if ended {
                State::Expired
            } else if started {
                State::Active
            } else {
                status.state
            };
            Status { state, ..status }
        }
        _ => status,
    }
}
