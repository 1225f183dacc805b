//! Requests and grants over the store and the ledger: each step reads the
//! request inside a ledger transaction, asks the [`request`](crate::request)
//! state machine and the Cedar [`Authorizer`] whether it may happen, writes
//! the new state and appends the ledger entry that records it, and commits
//! both at once. The ledger's lock serialises steps across processes, so an
//! approval racing a revocation sees the other's result; a step based on a
//! stale read is refused.

use jiff::{SignedDuration, Timestamp};
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use palisade_model::{GrantDuration, Index};
use palisade_store::{AccessDecisionRow, AccessFilter, AccessRequestRow, StoreError};
use serde::Serialize;
use serde_json::json;

use crate::policy::{AccessQuestion, Authorizer, Decision, RequestFacts};
use crate::request::{State, Status, Step, StepError, Timing, apply};

/// The ledger kinds of access events.
pub mod kind {
    /// A request made.
    pub const REQUEST: &str = "access.request";
    /// An approval or a denial.
    pub const DECISION: &str = "access.decision";
    /// A request's state changed (granted, expired, revoked, cancelled, extended).
    pub const STATE: &str = "access.state";
    /// Access taken without approval, for an incident.
    pub const BREAK_GLASS: &str = "access.break_glass";
    /// A break-glass use reviewed afterwards.
    pub const BREAK_GLASS_REVIEW: &str = "access.break_glass.review";
}

/// A new request, as its requester makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The role (a role id).
    pub role: String,
    /// The environment the role's grants are narrowed to, if any.
    pub environment: Option<String>,
    /// How long.
    pub duration: GrantDuration,
    /// Why.
    pub reason: String,
    /// A ticket URL.
    pub ticket: Option<String>,
    /// When it should start (`None`: once approved).
    pub start: Option<Timestamp>,
}

/// A request as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestView {
    /// Its id.
    pub id: String,
    /// Who asked.
    pub requester: String,
    /// The role.
    pub role: String,
    /// The environment it is narrowed to.
    pub environment: Option<String>,
    /// Its state.
    pub state: State,
    /// How long, in minutes.
    pub minutes: u32,
    /// Why.
    pub reason: String,
    /// A ticket URL.
    pub ticket: Option<String>,
    /// When it was made.
    #[serde(serialize_with = "rfc3339")]
    pub created: Timestamp,
    /// When its grant starts.
    #[serde(serialize_with = "rfc3339_opt")]
    pub from: Option<Timestamp>,
    /// When its grant ends.
    #[serde(serialize_with = "rfc3339_opt")]
    pub until: Option<Timestamp>,
    /// Who approved it so far.
    pub approved_by: Vec<String>,
    /// Taken without approval, for an incident.
    pub break_glass: bool,
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

/// Why a step was refused or could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No request has this id.
    #[error("no access request `{0}`; `palisade access list` shows them")]
    NotFound(String),
    /// The policies refuse it.
    #[error("{what} is not allowed: {because}")]
    Denied {
        /// What was asked.
        what: String,
        /// The policies' reasons.
        because: String,
        /// The decision, for `explain`.
        decision: Box<Decision>,
    },
    /// The request's state does not allow it.
    #[error(transparent)]
    Step(#[from] StepError),
    /// The actor already decided on this request.
    #[error("{actor} already decided on request `{id}`; a decision is made once")]
    AlreadyDecided {
        /// Who.
        actor: String,
        /// The request.
        id: String,
    },
    /// Only the requester may cancel.
    #[error(
        "only {requester}, who made request `{id}`, may cancel it; an approver may deny it instead"
    )]
    NotRequester {
        /// The request's requester.
        requester: String,
        /// The request.
        id: String,
    },
    /// The request was changed by someone else between read and write.
    #[error("request `{0}` changed while this step was being taken; look again and retry")]
    Conflict(String),
    /// A stored request this version cannot read.
    #[error("request `{id}` is stored in state `{state}`, which this version does not know")]
    Corrupt {
        /// The request.
        id: String,
        /// The stored state.
        state: String,
    },
    /// A break-glass use longer than the model allows.
    #[error(
        "break-glass access lasts at most {max} ([access] break_glass_max); {asked} was asked. \
         For longer work, request the role and have it approved"
    )]
    BreakGlassTooLong {
        /// What was asked.
        asked: GrantDuration,
        /// The maximum.
        max: GrantDuration,
    },
    /// Break-glass access starts now or not at all.
    #[error("break-glass access starts at once; --start is for requests that wait for approval")]
    BreakGlassLater,
    /// Only break-glass uses are reviewed this way.
    #[error("request `{0}` was not a break-glass use; approvals already reviewed it")]
    NotBreakGlass(String),
    /// Nobody reviews their own break-glass use.
    #[error("{0} cannot review their own break-glass use; someone who may approve the role must")]
    OwnReview(String),
    /// Reviewed already.
    #[error("break-glass use `{id}` was already reviewed by {reviewer}")]
    AlreadyReviewed {
        /// The request.
        id: String,
        /// Who reviewed it.
        reviewer: String,
    },
    /// The system gave no randomness for a request id.
    #[error("no randomness from the operating system for a request id: {0}")]
    Random(String),
    /// The ledger or the store failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Requests and grants: the steps, each atomic with its ledger entry.
pub struct Grants<'a, 'm> {
    ledger: &'a Ledger,
    index: &'a Index<'m>,
    authorizer: &'a Authorizer,
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn time(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::MAX)
}

impl<'a, 'm> Grants<'a, 'm> {
    /// Steps over `ledger`, judged by `authorizer` (built from `index`).
    pub fn new(ledger: &'a Ledger, index: &'a Index<'m>, authorizer: &'a Authorizer) -> Self {
        Grants {
            ledger,
            index,
            authorizer,
        }
    }

    fn timing(&self, row: &AccessRequestRow) -> Timing {
        let timeout = self.index.model().access.approval_timeout.minutes();
        Timing {
            created: time(row.created_us),
            start: row.start_us.map(time),
            duration: SignedDuration::from_secs(row.duration_s),
            approval_timeout: SignedDuration::from_mins(i64::from(timeout)),
        }
    }

    fn status(row: &AccessRequestRow) -> Result<Status, AccessError> {
        let state = State::from_key(&row.state).ok_or_else(|| AccessError::Corrupt {
            id: row.id.clone(),
            state: row.state.clone(),
        })?;
        Ok(Status {
            state,
            from: row.active_from_us.map(time),
            until: row.active_until_us.map(time),
        })
    }

    fn facts(row: &AccessRequestRow) -> RequestFacts<'_> {
        RequestFacts {
            requester: &row.requester,
            role: &row.role,
            environment: row.environment.as_deref(),
            minutes: u32::try_from(row.duration_s / 60).unwrap_or(u32::MAX),
        }
    }

    fn denied(what: String, decision: Decision) -> AccessError {
        let mut because: Vec<String> = decision
            .policies
            .iter()
            .map(|p| {
                if p.reason.is_empty() {
                    p.id.clone()
                } else {
                    format!("{} ({})", p.reason, p.id)
                }
            })
            .collect();
        because.extend(decision.problems.iter().cloned());
        if because.is_empty() {
            because.push("no policy permits it".to_owned());
        }
        AccessError::Denied {
            what,
            because: because.join("; "),
            decision: Box::new(decision),
        }
    }

    /// Makes a request; returns it, pending (or already denied by nothing: a
    /// request the policies refuse is not recorded as pending but refused).
    pub async fn request(
        &self,
        requester: &str,
        new: &NewRequest,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        let facts = RequestFacts {
            requester,
            role: &new.role,
            environment: new.environment.as_deref(),
            minutes: new.duration.minutes(),
        };
        let decision = self.authorizer.decide(&AccessQuestion::Request(facts));
        if !decision.allowed {
            return Err(Self::denied(
                format!("{requester} asking for `{}` for {}", new.role, new.duration),
                decision,
            ));
        }
        let id = new_id()?;
        let row = AccessRequestRow {
            id: id.clone(),
            requester: requester.to_owned(),
            role: new.role.clone(),
            environment: new.environment.clone(),
            duration_s: i64::from(new.duration.minutes()) * 60,
            reason: new.reason.clone(),
            ticket: new.ticket.clone(),
            start_us: new.start.map(micros),
            created_us: micros(now),
            state: State::Pending.key().to_owned(),
            state_us: micros(now),
            active_from_us: None,
            active_until_us: None,
            version: 1,
            break_glass: false,
        };
        let mut tx = self.ledger.begin().await?;
        tx.access_insert_request(&row).await?;
        let event = Event {
            time: now,
            actor: requester.to_owned(),
            kind: kind::REQUEST.to_owned(),
            subject: id.clone(),
            data: json!({
                "role": row.role,
                "environment": row.environment,
                "minutes": new.duration.minutes(),
                "reason": row.reason,
                "ticket": row.ticket,
                "start": new.start.map(|t| t.to_string()),
                "permitted_by": decision.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            }),
        };
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(view(row, Vec::new()))
    }

    /// `actor` approves request `id`; once the approvals meet the role's, the
    /// grant starts (now, or at the requested start).
    pub async fn approve(
        &self,
        actor: &str,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        self.decide(actor, id, reason, true, now).await
    }

    /// `actor` denies request `id`.
    pub async fn deny(
        &self,
        actor: &str,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        self.decide(actor, id, reason, false, now).await
    }

    async fn decide(
        &self,
        actor: &str,
        id: &str,
        reason: &str,
        approve: bool,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        let mut tx = self.ledger.begin().await?;
        let row = tx
            .access_request(id)
            .await?
            .ok_or_else(|| AccessError::NotFound(id.to_owned()))?;
        // Time first: an approval after the wait ran out finds it expired.
        let status = apply(Self::status(&row)?, &self.timing(&row), &Step::Tick, now)?;
        if status.state != State::Pending {
            return Err(AccessError::Step(StepError::WrongState {
                state: status.state.key(),
                verb: if approve { "approved" } else { "denied" },
            }));
        }
        let facts = Self::facts(&row);
        let may = self.authorizer.decide(&AccessQuestion::Approve {
            approver: actor,
            request: facts,
        });
        if !may.allowed {
            return Err(Self::denied(
                format!(
                    "{actor} {} request `{id}`",
                    if approve { "approving" } else { "denying" }
                ),
                may,
            ));
        }
        let decision_row = AccessDecisionRow {
            request_id: id.to_owned(),
            actor: actor.to_owned(),
            decision: if approve { "approve" } else { "deny" }.to_owned(),
            reason: reason.to_owned(),
            at_us: micros(now),
        };
        if !tx.access_insert_decision(&decision_row).await? {
            return Err(AccessError::AlreadyDecided {
                actor: actor.to_owned(),
                id: id.to_owned(),
            });
        }
        let decisions = tx.access_decisions(id).await?;
        let approvers: Vec<&str> = decisions
            .iter()
            .filter(|d| d.decision == "approve")
            .map(|d| d.actor.as_str())
            .collect();
        let step = if approve {
            let activation = self.authorizer.decide(&AccessQuestion::Activate {
                request: facts,
                approvers: &approvers,
            });
            Step::Approve {
                enough: activation.allowed,
            }
        } else {
            Step::Deny
        };
        let next = apply(status, &self.timing(&row), &step, now)?;
        let mut events = vec![Event {
            time: now,
            actor: actor.to_owned(),
            kind: kind::DECISION.to_owned(),
            subject: id.to_owned(),
            data: json!({
                "decision": decision_row.decision,
                "reason": reason,
                "permitted_by": may.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            }),
        }];
        let updated = self
            .write_state(&mut tx, &row, next, actor, now, &mut events)
            .await?;
        self.ledger.append_in(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(view(
            updated,
            approvers.iter().map(|s| (*s).to_owned()).collect(),
        ))
    }

    /// Writes `next` if it differs from the stored state, adding its event.
    async fn write_state(
        &self,
        tx: &mut palisade_store::LedgerTx<'_>,
        row: &AccessRequestRow,
        next: Status,
        actor: &str,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<AccessRequestRow, AccessError> {
        let before = Self::status(row)?;
        if next == before {
            return Ok(row.clone());
        }
        let mut updated = row.clone();
        updated.state = next.state.key().to_owned();
        if next.state != before.state {
            updated.state_us = micros(now);
        }
        updated.active_from_us = next.from.map(micros);
        updated.active_until_us = next.until.map(micros);
        updated.version = row.version + 1;
        if !tx.access_update_request(&updated, row.version).await? {
            return Err(AccessError::Conflict(row.id.clone()));
        }
        events.push(Event {
            time: now,
            actor: actor.to_owned(),
            kind: kind::STATE.to_owned(),
            subject: row.id.clone(),
            data: json!({
                "from": before.state.key(),
                "to": next.state.key(),
                "role": row.role,
                "requester": row.requester,
                "environment": row.environment,
                "active_from": next.from.map(|t| t.to_string()),
                "active_until": next.until.map(|t| t.to_string()),
            }),
        });
        Ok(updated)
    }

    /// A step on request `id` by `actor` that needs no policy beyond the
    /// state machine's: revoke, cancel (its requester only) or extend.
    async fn change(
        &self,
        actor: &str,
        id: &str,
        step: Step,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        let mut tx = self.ledger.begin().await?;
        let row = tx
            .access_request(id)
            .await?
            .ok_or_else(|| AccessError::NotFound(id.to_owned()))?;
        if step == Step::Cancel && row.requester != actor {
            return Err(AccessError::NotRequester {
                requester: row.requester.clone(),
                id: id.to_owned(),
            });
        }
        let status = apply(Self::status(&row)?, &self.timing(&row), &Step::Tick, now)?;
        let next = apply(status, &self.timing(&row), &step, now)?;
        let mut events = Vec::new();
        let updated = self
            .write_state(&mut tx, &row, next, actor, now, &mut events)
            .await?;
        self.ledger.append_in(&mut tx, &events).await?;
        tx.commit().await?;
        let approvers = self.approvers(id).await?;
        Ok(view(updated, approvers))
    }

    /// Withdraws the grant of request `id` (approved or active).
    pub async fn revoke(
        &self,
        actor: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        self.change(actor, id, Step::Revoke, now).await
    }

    /// Its requester withdraws request `id` before its grant starts.
    pub async fn cancel(
        &self,
        actor: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        self.change(actor, id, Step::Cancel, now).await
    }

    /// Moves the end of request `id`'s active grant by `more`, within the
    /// role's maximum counted from the grant's start.
    pub async fn extend(
        &self,
        actor: &str,
        id: &str,
        more: GrantDuration,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        let row = self
            .ledger
            .store()
            .access_request(id)
            .await?
            .ok_or_else(|| AccessError::NotFound(id.to_owned()))?;
        let (Some(from), Some(until)) = (row.active_from_us, row.active_until_us) else {
            return Err(AccessError::Step(StepError::WrongState {
                state: State::from_key(&row.state).map_or("unknown", State::key),
                verb: "extended",
            }));
        };
        let new_until = time(until)
            .checked_add(SignedDuration::from_mins(i64::from(more.minutes())))
            .unwrap_or(Timestamp::MAX);
        let total = (new_until.as_second() - time(from).as_second()) / 60;
        let facts = RequestFacts {
            minutes: u32::try_from(total).unwrap_or(u32::MAX),
            ..Self::facts(&row)
        };
        let decision = self.authorizer.decide(&AccessQuestion::Request(facts));
        if !decision.allowed {
            return Err(Self::denied(
                format!("extending request `{id}` to {total} minutes in all"),
                decision,
            ));
        }
        self.change(actor, id, Step::Extend { until: new_until }, now)
            .await
    }

    /// Applies what time has made true to every request it changed: grants
    /// that started or ended, requests that waited too long. Returns them.
    pub async fn tick(&self, actor: &str, now: Timestamp) -> Result<Vec<RequestView>, AccessError> {
        let timeout = i64::from(self.index.model().access.approval_timeout.minutes()) * 60_000_000;
        let mut tx = self.ledger.begin().await?;
        let due = tx.access_due(micros(now), micros(now) - timeout).await?;
        let mut events = Vec::new();
        let mut changed = Vec::new();
        for row in due {
            let next = apply(Self::status(&row)?, &self.timing(&row), &Step::Tick, now)?;
            let before = events.len();
            let updated = self
                .write_state(&mut tx, &row, next, actor, now, &mut events)
                .await?;
            if events.len() > before {
                changed.push(view(updated, Vec::new()));
            }
        }
        self.ledger.append_in(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Break-glass: `requester` takes `new`'s role at once, without approval,
    /// for at most the model's `break_glass_max`. Everything else the
    /// policies ask (eligibility, vetting, environment) still holds. The use
    /// is ledgered loudly and must be reviewed within
    /// `break_glass_review_within`.
    pub async fn break_glass(
        &self,
        requester: &str,
        new: &NewRequest,
        now: Timestamp,
    ) -> Result<RequestView, AccessError> {
        let settings = &self.index.model().access;
        if new.start.is_some() {
            return Err(AccessError::BreakGlassLater);
        }
        if new.duration.minutes() > settings.break_glass_max.minutes() {
            return Err(AccessError::BreakGlassTooLong {
                asked: new.duration,
                max: settings.break_glass_max,
            });
        }
        let facts = RequestFacts {
            requester,
            role: &new.role,
            environment: new.environment.as_deref(),
            minutes: new.duration.minutes(),
        };
        let decision = self.authorizer.decide(&AccessQuestion::Request(facts));
        if !decision.allowed {
            return Err(Self::denied(
                format!("{requester} breaking glass for `{}`", new.role),
                decision,
            ));
        }
        let id = new_id()?;
        let until = now
            .checked_add(SignedDuration::from_mins(i64::from(new.duration.minutes())))
            .unwrap_or(Timestamp::MAX);
        let review_due = now
            .checked_add(SignedDuration::from_mins(i64::from(
                settings.break_glass_review_within.minutes(),
            )))
            .unwrap_or(Timestamp::MAX);
        let row = AccessRequestRow {
            id: id.clone(),
            requester: requester.to_owned(),
            role: new.role.clone(),
            environment: new.environment.clone(),
            duration_s: i64::from(new.duration.minutes()) * 60,
            reason: new.reason.clone(),
            ticket: new.ticket.clone(),
            start_us: None,
            created_us: micros(now),
            state: State::Active.key().to_owned(),
            state_us: micros(now),
            active_from_us: Some(micros(now)),
            active_until_us: Some(micros(until)),
            version: 1,
            break_glass: true,
        };
        let mut tx = self.ledger.begin().await?;
        tx.access_insert_request(&row).await?;
        let events = [Event {
            time: now,
            actor: requester.to_owned(),
            kind: kind::BREAK_GLASS.to_owned(),
            subject: id.clone(),
            data: json!({
                "role": row.role,
                "environment": row.environment,
                "minutes": new.duration.minutes(),
                "reason": row.reason,
                "ticket": row.ticket,
                "active_from": now.to_string(),
                "active_until": until.to_string(),
                "review_due": review_due.to_string(),
                "permitted_by": decision.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            }),
        }];
        self.ledger.append_in(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(view(row, Vec::new()))
    }

    /// `reviewer` reviews break-glass use `id` after the fact. The reviewer
    /// is someone the policies let approve that role for that person, and
    /// never the person who broke the glass.
    pub async fn review_break_glass(
        &self,
        reviewer: &str,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<BreakGlassUse, AccessError> {
        let mut tx = self.ledger.begin().await?;
        let row = tx
            .access_request(id)
            .await?
            .ok_or_else(|| AccessError::NotFound(id.to_owned()))?;
        if !row.break_glass {
            return Err(AccessError::NotBreakGlass(id.to_owned()));
        }
        if row.requester == reviewer {
            return Err(AccessError::OwnReview(reviewer.to_owned()));
        }
        let may = self.authorizer.decide(&AccessQuestion::Approve {
            approver: reviewer,
            request: Self::facts(&row),
        });
        if !may.allowed {
            return Err(Self::denied(
                format!("{reviewer} reviewing break-glass use `{id}`"),
                may,
            ));
        }
        let review = palisade_store::BreakGlassReviewRow {
            request_id: id.to_owned(),
            reviewer: reviewer.to_owned(),
            reason: reason.to_owned(),
            at_us: micros(now),
        };
        if !tx.access_insert_break_glass_review(&review).await? {
            let earlier = self.ledger.store().access_break_glass_review(id).await?;
            return Err(AccessError::AlreadyReviewed {
                id: id.to_owned(),
                reviewer: earlier.map(|r| r.reviewer).unwrap_or_default(),
            });
        }
        let event = Event {
            time: now,
            actor: reviewer.to_owned(),
            kind: kind::BREAK_GLASS_REVIEW.to_owned(),
            subject: id.to_owned(),
            data: json!({ "reason": reason, "requester": row.requester, "role": row.role }),
        };
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        self.break_glass_use(view(row, Vec::new()), now).await
    }

    async fn break_glass_use(
        &self,
        request: RequestView,
        now: Timestamp,
    ) -> Result<BreakGlassUse, AccessError> {
        let within = self
            .index
            .model()
            .access
            .break_glass_review_within
            .minutes();
        let due = request
            .created
            .checked_add(SignedDuration::from_mins(i64::from(within)))
            .unwrap_or(Timestamp::MAX);
        let review = self
            .ledger
            .store()
            .access_break_glass_review(&request.id)
            .await?;
        Ok(BreakGlassUse {
            overdue: review.is_none() && due <= now,
            review_due: due,
            reviewed_by: review.as_ref().map(|r| r.reviewer.clone()),
            review_reason: review.as_ref().map(|r| r.reason.clone()),
            reviewed_at: review.map(|r| time(r.at_us)),
            request,
        })
    }

    /// Every break-glass use, newest first, with its review or how long is
    /// left for it (`unreviewed_only`: just those still waiting).
    pub async fn break_glass_uses(
        &self,
        unreviewed_only: bool,
        now: Timestamp,
    ) -> Result<Vec<BreakGlassUse>, AccessError> {
        let rows = self
            .ledger
            .store()
            .access_requests(&AccessFilter::default())
            .await?;
        let mut out = Vec::new();
        for row in rows.into_iter().filter(|r| r.break_glass) {
            let used = self.break_glass_use(view(row, Vec::new()), now).await?;
            if !unreviewed_only || used.reviewed_by.is_none() {
                out.push(used);
            }
        }
        Ok(out)
    }

    /// Ends everything `person` has open at once, for offboarding or a review
    /// that removes them: pending requests are denied, approved and active
    /// grants revoked, each atomically with its ledger entry (which carries
    /// `reason`). Returns the requests it changed.
    pub async fn withdraw_all(
        &self,
        person: &str,
        actor: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<RequestView>, AccessError> {
        let open = self
            .ledger
            .store()
            .access_requests(&AccessFilter {
                requester: Some(person.to_owned()),
                states: [State::Pending, State::Approved, State::Active]
                    .iter()
                    .map(|s| s.key().to_owned())
                    .collect(),
                ..AccessFilter::default()
            })
            .await?;
        let mut changed = Vec::new();
        for stored in open {
            let mut tx = self.ledger.begin().await?;
            let Some(row) = tx.access_request(&stored.id).await? else {
                continue;
            };
            let status = apply(Self::status(&row)?, &self.timing(&row), &Step::Tick, now)?;
            let step = match status.state {
                State::Pending => Step::Deny,
                State::Approved | State::Active => Step::Revoke,
                _ => Step::Tick,
            };
            let next = apply(status, &self.timing(&row), &step, now)?;
            let mut events = Vec::new();
            let updated = self
                .write_state(&mut tx, &row, next, actor, now, &mut events)
                .await?;
            if let Some(data) = events.last_mut().and_then(|e| e.data.as_object_mut()) {
                data.insert("reason".to_owned(), json!(reason));
            }
            self.ledger.append_in(&mut tx, &events).await?;
            tx.commit().await?;
            if !events.is_empty() {
                changed.push(view(updated, Vec::new()));
            }
        }
        Ok(changed)
    }

    async fn approvers(&self, id: &str) -> Result<Vec<String>, AccessError> {
        Ok(self
            .ledger
            .store()
            .access_decisions(id)
            .await?
            .into_iter()
            .filter(|d| d.decision == "approve")
            .map(|d| d.actor)
            .collect())
    }

    /// Request `id`, with its approvers.
    pub async fn get(&self, id: &str) -> Result<RequestView, AccessError> {
        let row = self
            .ledger
            .store()
            .access_request(id)
            .await?
            .ok_or_else(|| AccessError::NotFound(id.to_owned()))?;
        let approvers = self.approvers(id).await?;
        Ok(view(row, approvers))
    }

    /// Requests matching `filter`, newest first.
    pub async fn list(&self, filter: &AccessFilter) -> Result<Vec<RequestView>, AccessError> {
        let rows = self.ledger.store().access_requests(filter).await?;
        Ok(rows.into_iter().map(|r| view(r, Vec::new())).collect())
    }
}

/// A break-glass use and its review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlassUse {
    /// The request.
    pub request: RequestView,
    /// When its review is due.
    #[serde(serialize_with = "rfc3339")]
    pub review_due: Timestamp,
    /// Unreviewed past its due time.
    pub overdue: bool,
    /// Who reviewed it.
    pub reviewed_by: Option<String>,
    /// What they found.
    pub review_reason: Option<String>,
    /// When.
    #[serde(serialize_with = "rfc3339_opt")]
    pub reviewed_at: Option<Timestamp>,
}

/// Someone who can reach an environment (or one resource of it) now, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// Their handle.
    pub person: String,
    /// The role that gives it.
    pub role: String,
    /// `standing` (a role in the model) or the request id of an active grant.
    pub via: String,
    /// The resource (`None`: the environment has no resources).
    pub resource: Option<String>,
    /// The access level.
    pub access: palisade_model::Access,
    /// When an active grant ends (`None`: standing).
    #[serde(serialize_with = "rfc3339_opt")]
    pub until: Option<Timestamp>,
}

impl Grants<'_, '_> {
    /// Who can reach `environment` (only `resource`, if given) at `now`: through
    /// standing roles in the model and through active grants, each with how.
    pub async fn who_has(
        &self,
        environment: &str,
        resource: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<Holder>, AccessError> {
        let index = self.index;
        let Some(env) = index.environment_by_id(environment) else {
            return Err(AccessError::NotFound(format!("environment {environment}")));
        };
        let wanted =
            match resource {
                Some(r) => Some(index.resource_by_id(env, r).ok_or_else(|| {
                    AccessError::NotFound(format!("resource {r} in {environment}"))
                })?),
                None => None,
            };
        let mut out = Vec::new();
        let mut reach = |person: &str, role_id: &str, via: String, until: Option<Timestamp>| {
            let Some(role) = index.role_by_id(role_id) else {
                return;
            };
            for g in index.role_grants(role) {
                if g.env != env || (wanted.is_some() && g.resource != wanted) {
                    continue;
                }
                out.push(Holder {
                    person: person.to_owned(),
                    role: role_id.to_owned(),
                    via: via.clone(),
                    resource: g.resource.map(|r| index.resource(r).id.clone()),
                    access: g.access,
                    until,
                });
            }
        };
        for person in &index.model().people {
            if person.status == palisade_model::Status::Offboarded {
                continue;
            }
            for role in &person.roles {
                reach(&person.handle, role, "standing".to_owned(), None);
            }
        }
        let active = self
            .ledger
            .store()
            .access_requests(&AccessFilter {
                states: vec![State::Active.key().to_owned()],
                ..AccessFilter::default()
            })
            .await?;
        for row in active {
            let until = row.active_until_us.map(time);
            if until.is_some_and(|u| u <= now) {
                continue;
            }
            if row.environment.as_deref().is_some_and(|e| e != environment) {
                continue;
            }
            reach(&row.requester, &row.role, row.id.clone(), until);
        }
        // A role that includes others reaches a resource at several levels: keep the highest.
        out.sort_by(|a, b| {
            (&a.person, &a.via, &a.resource, std::cmp::Reverse(a.access)).cmp(&(
                &b.person,
                &b.via,
                &b.resource,
                std::cmp::Reverse(b.access),
            ))
        });
        out.dedup_by(|later, kept| {
            later.person == kept.person && later.via == kept.via && later.resource == kept.resource
        });
        Ok(out)
    }
}

fn view(row: AccessRequestRow, approved_by: Vec<String>) -> RequestView {
    RequestView {
        state: State::from_key(&row.state).unwrap_or(State::Expired),
        minutes: u32::try_from(row.duration_s / 60).unwrap_or(u32::MAX),
        created: time(row.created_us),
        from: row.active_from_us.map(time),
        until: row.active_until_us.map(time),
        id: row.id,
        requester: row.requester,
        role: row.role,
        environment: row.environment,
        reason: row.reason,
        ticket: row.ticket,
        approved_by,
        break_glass: row.break_glass,
    }
}

/// A new request id: `req-` and 12 random hex digits.
fn new_id() -> Result<String, AccessError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| AccessError::Random(e.to_string()))?;
    Ok(format!("req-{}", hex::encode(bytes)))
}
