//! Access reviews: a campaign over every standing role (in the model) and
//! every approved or active grant (in the store), each kept or revoked by a
//! reviewer with a reason, and settled at the deadline.
//!
//! - [`Reviews::start`] snapshots the access as numbered items, each with its
//!   last use as far as Palisade knows, and gives reviewers until the
//!   model's `[access] review_within`. A standing role's last use is the
//!   latest access the activity monitor saw that the role (or a role it
//!   includes) covered; a grant's, the latest credential issued for it or
//!   access the monitor saw under it, else its start. Access the person's
//!   team's services cover is no use of a role; nothing seen stays unknown.
//! - [`Reviews::decide`] records one reviewer's keep or revoke on one item.
//!   A reviewer is someone the policies allow to approve that role for that
//!   person, and never the person themselves. A revoked grant is withdrawn
//!   through [`Grants::revoke`]; a revoked standing role comes back as the
//!   [`StandingRemoval`] to make in the model, which the caller writes.
//! - [`Reviews::close`] (at or after the deadline, or earlier once every
//!   item is reviewed) settles what nobody reviewed: revoked when
//!   `[access] revoke_unreviewed` (the default), else left and marked so.
//! - [`Reviews::report`] shows who reviewed what, with totals.
//!
//! Each step commits with its ledger entry (`access.review.start`,
//! `access.review.decision`, `access.review.close`). Revoking a grant is a
//! step of its own after the decision commits, so a revocation that fails is
//! retried by the close, which withdraws every grant the campaign revoked
//! that is still live.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use palisade_ledger::ledger::{Event, Ledger, LedgerError, Query};
use palisade_model::Index;
use palisade_store::{
    AccessFilter, AccessRequestRow, AccessReviewCampaignRow, AccessReviewDecision,
    AccessReviewItemRow, StoreError,
};
use serde::Serialize;
use serde_json::json;

use crate::grants::{AccessError, Grants, RequestView};
use crate::policy::{AccessQuestion, Authorizer, Decision, RequestFacts};
use crate::request::{State, StepError};

/// The ledger kinds of access review events.
pub mod kind {
    /// A campaign started.
    pub const START: &str = "access.review.start";
    /// A reviewer kept or revoked one item.
    pub const DECISION: &str = "access.review.decision";
    /// A campaign closed, settling what nobody reviewed.
    pub const CLOSE: &str = "access.review.close";
    /// A credential's step for a grant (`data.phase`); the latest `issued`
    /// one is the grant's last use.
    pub const CREDENTIAL: &str = "access.credential";
}

/// The `via` of an item that is a role in the model.
pub const STANDING: &str = "standing";

/// A reviewer's decision on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The access stays.
    Keep,
    /// The access goes.
    Revoke,
}

impl Verdict {
    /// Its stored name.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Keep => "keep",
            Verdict::Revoke => "revoke",
        }
    }

    /// The verdict stored as `key`.
    pub fn from_key(key: &str) -> Option<Verdict> {
        match key {
            "keep" => Some(Verdict::Keep),
            "revoke" => Some(Verdict::Revoke),
            _ => None,
        }
    }
}

/// What became of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Its reviewer kept it.
    Kept,
    /// Its reviewer revoked it.
    Revoked,
    /// Nobody reviewed it by the deadline, and it was revoked.
    RevokedAtDeadline,
    /// Nobody reviewed it by the deadline, and it was left (`revoke_unreviewed = false`).
    LeftAtDeadline,
}

impl Outcome {
    /// Its stored name.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Kept => "kept",
            Outcome::Revoked => "revoked",
            Outcome::RevokedAtDeadline => "revoked-at-deadline",
            Outcome::LeftAtDeadline => "left-at-deadline",
        }
    }

    /// The outcome stored as `key`.
    pub fn from_key(key: &str) -> Option<Outcome> {
        [
            Outcome::Kept,
            Outcome::Revoked,
            Outcome::RevokedAtDeadline,
            Outcome::LeftAtDeadline,
        ]
        .into_iter()
        .find(|o| o.key() == key)
    }

    /// Whether the access was taken away.
    pub fn revokes(self) -> bool {
        matches!(self, Outcome::Revoked | Outcome::RevokedAtDeadline)
    }
}

/// A campaign as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// Its id.
    pub id: String,
    /// Who started it.
    pub started_by: String,
    /// When.
    #[serde(serialize_with = "rfc3339")]
    pub started: Timestamp,
    /// When reviewers' time runs out.
    #[serde(serialize_with = "rfc3339")]
    pub deadline: Timestamp,
    /// `open` or `closed`.
    pub state: String,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// When.
    #[serde(serialize_with = "rfc3339_opt")]
    pub closed: Option<Timestamp>,
}

impl Campaign {
    /// Whether reviewers may still decide.
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }
}

/// One access under review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The campaign.
    pub campaign: String,
    /// Its number in the campaign, from 1.
    pub item: u32,
    /// Who holds the access.
    pub person: String,
    /// The role.
    pub role: String,
    /// [`STANDING`] or the request id of a grant.
    pub via: String,
    /// The environment a grant is narrowed to.
    pub environment: Option<String>,
    /// The last use Palisade knows of; `None`: no data.
    #[serde(serialize_with = "rfc3339_opt")]
    pub last_use: Option<Timestamp>,
    /// The reviewer's decision; `None`: not reviewed.
    pub decision: Option<Verdict>,
    /// Who decided.
    pub reviewer: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When.
    #[serde(serialize_with = "rfc3339_opt")]
    pub decided: Option<Timestamp>,
    /// What became of it; `None` while nobody decided and the campaign is open.
    pub outcome: Option<Outcome>,
}

impl Item {
    /// Whether it is a role in the model (else a grant).
    pub fn is_standing(&self) -> bool {
        self.via == STANDING
    }
}

/// A standing role to take out of the model: the change a revocation of a
/// standing role needs, which the caller writes to `palisade.toml`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StandingRemoval {
    /// The person's handle.
    pub person: String,
    /// The role id.
    pub role: String,
}

/// The result of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decided {
    /// The item, decided.
    pub item: Item,
    /// The grant it revoked, if it revoked a live one.
    pub revoked_grant: Option<RequestView>,
    /// The model change to make, if it revoked a standing role the model still has.
    pub model_change: Option<StandingRemoval>,
}

/// The result of closing a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closed {
    /// The campaign, closed.
    pub campaign: Campaign,
    /// Its totals.
    pub totals: Totals,
    /// Grants withdrawn now: unreviewed ones at the deadline, and any a
    /// reviewer revoked that were still live.
    pub revoked_grants: Vec<RequestView>,
    /// Standing roles to take out of the model: every one the campaign
    /// revoked that the model still has.
    pub model_changes: Vec<StandingRemoval>,
}

/// How many items came to what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Items in all.
    pub items: u32,
    /// Reviewed (kept or revoked by a reviewer).
    pub reviewed: u32,
    /// Kept by a reviewer.
    pub kept: u32,
    /// Revoked by a reviewer.
    pub revoked: u32,
    /// Revoked at the deadline, unreviewed.
    pub revoked_at_deadline: u32,
    /// Left at the deadline, unreviewed.
    pub left_at_deadline: u32,
    /// Not reviewed yet (the campaign is open).
    pub pending: u32,
}

impl Totals {
    /// The totals of `items`.
    pub fn of(items: &[Item]) -> Totals {
        let mut t = Totals::default();
        for i in items {
            t.items += 1;
            if i.decision.is_some() {
                t.reviewed += 1;
            }
            match i.outcome {
                Some(Outcome::Kept) => t.kept += 1,
                Some(Outcome::Revoked) => t.revoked += 1,
                Some(Outcome::RevokedAtDeadline) => t.revoked_at_deadline += 1,
                Some(Outcome::LeftAtDeadline) => t.left_at_deadline += 1,
                None => t.pending += 1,
            }
        }
        t
    }
}

/// What one reviewer decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewerTally {
    /// The reviewer.
    pub reviewer: String,
    /// Items they kept.
    pub kept: u32,
    /// Items they revoked.
    pub revoked: u32,
}

/// Who reviewed what in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The campaign.
    pub campaign: Campaign,
    /// Its items, in order, each with its reviewer, decision, reason, time and outcome.
    pub items: Vec<Item>,
    /// Its totals.
    pub totals: Totals,
    /// Each reviewer's decisions, by reviewer.
    pub reviewers: Vec<ReviewerTally>,
}

/// Why a review step was refused or could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// No campaign has this id.
    #[error("no access review `{0}`; `palisade access review list` shows them")]
    NotFound(String),
    /// No campaign is open.
    #[error("no access review is open; `palisade access review start` opens one")]
    NoneOpen,
    /// A campaign is open already.
    #[error("access review `{id}` is open until {deadline}; close it before starting another")]
    AlreadyOpen {
        /// The open campaign.
        id: String,
        /// Its deadline.
        deadline: Timestamp,
    },
    /// The campaign is closed.
    #[error("access review `{0}` is closed; its decisions are final")]
    Closed(String),
    /// The deadline passed: nothing more is decided, the close settles it.
    #[error(
        "access review `{id}` ended at {deadline}; `palisade access review close` settles what nobody reviewed"
    )]
    PastDeadline {
        /// The campaign.
        id: String,
        /// Its deadline.
        deadline: Timestamp,
    },
    /// Closing before the deadline with items still unreviewed.
    #[error(
        "access review `{id}` runs until {deadline} and {pending} item(s) are not reviewed; close it then, or once every item is reviewed"
    )]
    NotDue {
        /// The campaign.
        id: String,
        /// Its deadline.
        deadline: Timestamp,
        /// Items nobody reviewed yet.
        pending: u32,
    },
    /// The campaign has no such item.
    #[error(
        "access review `{campaign}` has no item {item}; `palisade access review show` lists them"
    )]
    UnknownItem {
        /// The campaign.
        campaign: String,
        /// The item asked for.
        item: u32,
    },
    /// Someone reviewed the item already.
    #[error(
        "item {item} was already reviewed: {reviewer} chose {decision} at {at}; a decision is made once"
    )]
    AlreadyReviewed {
        /// The item.
        item: u32,
        /// Who reviewed it.
        reviewer: String,
        /// What they chose.
        decision: String,
        /// When.
        at: Timestamp,
    },
    /// The reviewer holds the access under review.
    #[error("{0} cannot review their own access; another approver of the role reviews it")]
    SelfReview(String),
    /// The policies do not let the reviewer approve this role for this person.
    #[error(
        "{reviewer} may not review item {item} ({person} as {role}): only someone who may approve it reviews it: {because}"
    )]
    NotEligible {
        /// The reviewer.
        reviewer: String,
        /// The item.
        item: u32,
        /// Its person.
        person: String,
        /// Its role.
        role: String,
        /// The policies' reasons.
        because: String,
        /// The decision.
        decision: Box<Decision>,
    },
    /// A decision without a reason.
    #[error("say why with a reason; a review decision without one is no evidence")]
    NoReason,
    /// The decision is recorded but the grant's revocation failed.
    #[error(
        "the decision on item {item} is recorded, but revoking grant `{grant}` failed: {source}; `palisade access revoke {grant}` retries, and closing the campaign does too"
    )]
    Revocation {
        /// The item.
        item: u32,
        /// The grant.
        grant: String,
        /// Why it failed.
        #[source]
        source: Box<AccessError>,
    },
    /// A stored row this version cannot read.
    #[error("access review `{campaign}` holds `{value}`, which this version does not know")]
    Corrupt {
        /// The campaign.
        campaign: String,
        /// The value.
        value: String,
    },
    /// The system gave no randomness for a campaign id.
    #[error("no randomness from the operating system for a review id: {0}")]
    Random(String),
    /// A grant step failed.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Access review campaigns over the store and the ledger.
pub struct Reviews<'a, 'm> {
    ledger: &'a Ledger,
    index: &'a Index<'m>,
    authorizer: &'a Authorizer,
    grants: Grants<'a, 'm>,
}

impl<'a, 'm> Reviews<'a, 'm> {
    /// Reviews over `ledger`, of the model in `index`, judged by `authorizer`.
    pub fn new(ledger: &'a Ledger, index: &'a Index<'m>, authorizer: &'a Authorizer) -> Self {
        Reviews {
            ledger,
            index,
            authorizer,
            grants: Grants::new(ledger, index, authorizer),
        }
    }

    /// Opens a campaign over every standing role of everyone not offboarded
    /// and every approved or active grant, due `[access] review_within` from
    /// `now`. One campaign is open at a time.
    pub async fn start(&self, actor: &str, now: Timestamp) -> Result<Campaign, ReviewError> {
        let model = self.index.model();
        let within = SignedDuration::from_mins(i64::from(model.access.review_within.minutes()));
        let deadline = now.checked_add(within).unwrap_or(Timestamp::MAX);
        let id = new_id()?;

        let unnumbered = |person: String, role: String, via: String| AccessReviewItemRow {
            campaign: id.clone(),
            item: 0,
            person,
            role,
            via,
            environment: None,
            last_use_us: None,
            decision: None,
            reviewer: None,
            reason: None,
            decided_us: None,
            outcome: None,
        };
        let mut items: Vec<AccessReviewItemRow> = Vec::new();
        for person in &model.people {
            if person.status == palisade_model::Status::Offboarded {
                continue;
            }
            for role in &person.roles {
                if items
                    .iter()
                    .any(|i| i.person == person.handle && i.role == *role && i.via == STANDING)
                {
                    continue;
                }
                let last_use_us = self.role_last_use(&person.handle, role).await?;
                items.push(AccessReviewItemRow {
                    last_use_us,
                    ..unnumbered(person.handle.clone(), role.clone(), STANDING.to_owned())
                });
            }
        }
        for grant in self.live_grants(now).await? {
            let last_use_us = self.grant_last_use(&grant, now).await?;
            items.push(AccessReviewItemRow {
                environment: grant.environment,
                last_use_us,
                ..unnumbered(grant.requester, grant.role, grant.id)
            });
        }
        // By person, standing roles before grants, so a reviewer sees each
        // person's access together.
        items.sort_by(|a, b| {
            (&a.person, a.via != STANDING, &a.role, &a.via).cmp(&(
                &b.person,
                b.via != STANDING,
                &b.role,
                &b.via,
            ))
        });
        for (item, n) in items.iter_mut().zip(1..) {
            item.item = n;
        }
        let row = AccessReviewCampaignRow {
            id: id.clone(),
            started_by: actor.to_owned(),
            started_us: micros(now),
            deadline_us: micros(deadline),
            state: "open".to_owned(),
            closed_by: None,
            closed_us: None,
        };
        let mut tx = self.ledger.begin().await?;
        if let Some(open) = tx.access_review_open().await? {
            return Err(ReviewError::AlreadyOpen {
                id: open.id,
                deadline: time(open.deadline_us),
            });
        }
        tx.access_review_insert(&row, &items).await?;
        let standing = items.iter().filter(|i| i.via == STANDING).count();
        let event = Event {
            time: now,
            actor: actor.to_owned(),
            kind: kind::START.to_owned(),
            subject: id.clone(),
            data: json!({
                "items": items.len(),
                "standing_roles": standing,
                "grants": items.len() - standing,
                "deadline": deadline.to_string(),
                "revoke_unreviewed": model.access.revoke_unreviewed,
            }),
        };
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(campaign(row))
    }

    /// Approved and active grants that have not ended by `now`.
    async fn live_grants(&self, now: Timestamp) -> Result<Vec<AccessRequestRow>, ReviewError> {
        let rows = self
            .ledger
            .store()
            .access_requests(&AccessFilter {
                states: [State::Approved, State::Active]
                    .iter()
                    .map(|s| s.key().to_owned())
                    .collect(),
                ..AccessFilter::default()
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.active_until_us.is_none_or(|u| u > micros(now)))
            .collect())
    }

    /// A standing role's last use by `person`: the latest access the
    /// monitor saw covered by that role, or by a role it includes; `None`
    /// when the monitor saw none. An access their team's services or a
    /// grant covered is no use of the role.
    async fn role_last_use(&self, person: &str, role: &str) -> Result<Option<i64>, ReviewError> {
        let store = self.ledger.store();
        let mut last = store.monitor_role_last_use(person, role).await?;
        if let Some(id) = self.index.role_by_id(role) {
            for &included in self.index.role_closure(id).iter().skip(1) {
                let used = store
                    .monitor_role_last_use(person, &self.index.role(included).id)
                    .await?;
                last = last.max(used);
            }
        }
        Ok(last)
    }

    /// A grant's last use: the latest credential issued for it or access
    /// the monitor saw covered by it, else its start once it has started;
    /// `None` when none is known. Credential entries that record no issue
    /// (intended, failed, revoking, revoked) are no use.
    async fn grant_last_use(
        &self,
        grant: &AccessRequestRow,
        now: Timestamp,
    ) -> Result<Option<i64>, ReviewError> {
        let entries = self
            .ledger
            .query(&Query {
                kind: Some(kind::CREDENTIAL.to_owned()),
                subject: Some(grant.id.clone()),
                limit: 1000,
                ..Query::default()
            })
            .await?;
        let issued = entries.iter().rev().find(|s| {
            s.entry
                .data
                .get("phase")
                .and_then(serde_json::Value::as_str)
                .is_none_or(|p| p == "issued")
        });
        let seen = self
            .ledger
            .store()
            .monitor_grant_last_use(&grant.id)
            .await?;
        let credential = issued.map(|stored| micros(stored.entry.time));
        match credential.max(seen) {
            Some(t) => Ok(Some(t)),
            None => Ok(grant.active_from_us.filter(|f| *f <= micros(now))),
        }
    }

    /// `reviewer` keeps or revokes item `item` of `campaign`, saying why.
    /// A revoked live grant is withdrawn; a revoked standing role comes back
    /// as the model change to make.
    pub async fn decide(
        &self,
        reviewer: &str,
        campaign_id: &str,
        item_no: u32,
        verdict: Verdict,
        reason: &str,
        now: Timestamp,
    ) -> Result<Decided, ReviewError> {
        if reason.trim().is_empty() {
            return Err(ReviewError::NoReason);
        }
        let mut tx = self.ledger.begin().await?;
        let c = tx
            .access_review_campaign(campaign_id)
            .await?
            .ok_or_else(|| ReviewError::NotFound(campaign_id.to_owned()))?;
        if c.state != "open" {
            return Err(ReviewError::Closed(c.id));
        }
        if micros(now) >= c.deadline_us {
            return Err(ReviewError::PastDeadline {
                id: c.id,
                deadline: time(c.deadline_us),
            });
        }
        let row = tx
            .access_review_item(campaign_id, i64::from(item_no))
            .await?
            .ok_or_else(|| ReviewError::UnknownItem {
                campaign: campaign_id.to_owned(),
                item: item_no,
            })?;
        if let (Some(decision), Some(by), Some(at)) = (&row.decision, &row.reviewer, row.decided_us)
        {
            return Err(ReviewError::AlreadyReviewed {
                item: item_no,
                reviewer: by.clone(),
                decision: decision.clone(),
                at: time(at),
            });
        }
        if row.person == reviewer {
            return Err(ReviewError::SelfReview(reviewer.to_owned()));
        }
        let grant = if row.via == STANDING {
            None
        } else {
            tx.access_request(&row.via).await?
        };
        let may = self.may_review(reviewer, &row, grant.as_ref());
        if !may.allowed {
            return Err(ReviewError::NotEligible {
                reviewer: reviewer.to_owned(),
                item: item_no,
                person: row.person.clone(),
                role: row.role.clone(),
                because: because(&may),
                decision: Box::new(may),
            });
        }
        let outcome = match verdict {
            Verdict::Keep => Outcome::Kept,
            Verdict::Revoke => Outcome::Revoked,
        };
        let recorded = tx
            .access_review_decide(&AccessReviewDecision {
                campaign: campaign_id,
                item: i64::from(item_no),
                decision: verdict.key(),
                reviewer,
                reason,
                decided_us: micros(now),
                outcome: outcome.key(),
            })
            .await?;
        if !recorded {
            // Only a change outside the ledger's lock gets here: report it as
            // the state it left.
            return Err(ReviewError::Closed(campaign_id.to_owned()));
        }
        let event = Event {
            time: now,
            actor: reviewer.to_owned(),
            kind: kind::DECISION.to_owned(),
            subject: campaign_id.to_owned(),
            data: json!({
                "item": item_no,
                "person": row.person,
                "role": row.role,
                "via": row.via,
                "environment": row.environment,
                "decision": verdict.key(),
                "reason": reason,
                "permitted_by": may.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            }),
        };
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;

        let decided = AccessReviewItemRow {
            decision: Some(verdict.key().to_owned()),
            reviewer: Some(reviewer.to_owned()),
            reason: Some(reason.to_owned()),
            decided_us: Some(micros(now)),
            outcome: Some(outcome.key().to_owned()),
            ..row
        };
        let item = item_view(decided)?;
        let mut revoked_grant = None;
        let mut model_change = None;
        if verdict == Verdict::Revoke {
            if item.is_standing() {
                model_change = self.still_standing(&item);
            } else {
                revoked_grant = self.withdraw(reviewer, &item, now).await?;
            }
        }
        Ok(Decided {
            item,
            revoked_grant,
            model_change,
        })
    }

    /// Whether `reviewer` may approve the item's role for its person.
    fn may_review(
        &self,
        reviewer: &str,
        row: &AccessReviewItemRow,
        grant: Option<&AccessRequestRow>,
    ) -> Decision {
        // Approval does not depend on a duration; a standing role is judged as
        // the longest grant of it.
        let minutes = match grant {
            Some(g) => u32::try_from(g.duration_s / 60).unwrap_or(u32::MAX),
            None => self
                .index
                .role_by_id(&row.role)
                .and_then(|r| self.index.role(r).max_duration)
                .unwrap_or(self.index.model().access.max_duration)
                .minutes(),
        };
        self.authorizer.decide(&AccessQuestion::Approve {
            approver: reviewer,
            request: RequestFacts {
                requester: &row.person,
                role: &row.role,
                environment: row.environment.as_deref(),
                minutes,
            },
        })
    }

    /// The model change a revoked standing role needs, if the model still has the role.
    fn still_standing(&self, item: &Item) -> Option<StandingRemoval> {
        let held = self
            .index
            .model()
            .people
            .iter()
            .any(|p| p.handle == item.person && p.roles.contains(&item.role));
        held.then(|| StandingRemoval {
            person: item.person.clone(),
            role: item.role.clone(),
        })
    }

    /// Revokes the item's grant if it is still approved or active.
    async fn withdraw(
        &self,
        actor: &str,
        item: &Item,
        now: Timestamp,
    ) -> Result<Option<RequestView>, ReviewError> {
        let failed = |source: AccessError| ReviewError::Revocation {
            item: item.item,
            grant: item.via.clone(),
            source: Box::new(source),
        };
        let current = match self.grants.get(&item.via).await {
            Ok(view) => view,
            Err(AccessError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        if !matches!(current.state, State::Approved | State::Active) {
            return Ok(None);
        }
        match self.grants.revoke(actor, &item.via, now).await {
            Ok(view) if view.state == State::Revoked => Ok(Some(view)),
            // Time ended it first: the stored state was still live, but the
            // revocation's own tick found it expired (or otherwise over), so
            // there is nothing left to withdraw.
            Ok(_) => Ok(None),
            Err(AccessError::Step(StepError::WrongState { state, .. }))
                if State::from_key(state).is_some_and(State::is_final) =>
            {
                Ok(None)
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// Closes the open campaign: at or after its deadline, or earlier once
    /// every item is reviewed. What nobody reviewed is revoked when
    /// `[access] revoke_unreviewed`, else left and marked so; then every
    /// grant the campaign revoked that is still live is withdrawn, and the
    /// standing roles it revoked that the model still has come back as the
    /// model changes to make.
    pub async fn close(&self, actor: &str, now: Timestamp) -> Result<Closed, ReviewError> {
        let revoke_unreviewed = self.index.model().access.revoke_unreviewed;
        let unreviewed = if revoke_unreviewed {
            Outcome::RevokedAtDeadline
        } else {
            Outcome::LeftAtDeadline
        };
        let mut tx = self.ledger.begin().await?;
        let c = tx
            .access_review_open()
            .await?
            .ok_or(ReviewError::NoneOpen)?;
        let before: Vec<Item> = tx
            .access_review_items(&c.id)
            .await?
            .into_iter()
            .map(item_view)
            .collect::<Result<_, _>>()?;
        let pending: Vec<&Item> = before.iter().filter(|i| i.outcome.is_none()).collect();
        let due = micros(now) >= c.deadline_us;
        if !due && !pending.is_empty() {
            return Err(ReviewError::NotDue {
                id: c.id,
                deadline: time(c.deadline_us),
                pending: u32::try_from(pending.len()).unwrap_or(u32::MAX),
            });
        }
        if !tx
            .access_review_close(&c.id, actor, micros(now), unreviewed.key())
            .await?
        {
            return Err(ReviewError::Closed(c.id));
        }
        let items: Vec<Item> = before
            .iter()
            .cloned()
            .map(|mut i| {
                if i.outcome.is_none() {
                    i.outcome = Some(unreviewed);
                }
                i
            })
            .collect();
        let totals = Totals::of(&items);
        let event = Event {
            time: now,
            actor: actor.to_owned(),
            kind: kind::CLOSE.to_owned(),
            subject: c.id.clone(),
            data: json!({
                "deadline": time(c.deadline_us).to_string(),
                "before_deadline": !due,
                "revoke_unreviewed": revoke_unreviewed,
                "totals": totals,
                "unreviewed": pending.iter().map(|i| json!({
                    "item": i.item,
                    "person": i.person,
                    "role": i.role,
                    "via": i.via,
                    "environment": i.environment,
                    "outcome": unreviewed.key(),
                })).collect::<Vec<_>>(),
            }),
        };
        self.ledger.append_in(&mut tx, &[event]).await?;
        tx.commit().await?;

        let mut revoked_grants = Vec::new();
        let mut model_changes = Vec::new();
        let mut failure = None;
        for i in items
            .iter()
            .filter(|i| i.outcome.is_some_and(Outcome::revokes))
        {
            if i.is_standing() {
                model_changes.extend(self.still_standing(i));
                continue;
            }
            match self.withdraw(actor, i, now).await {
                Ok(Some(view)) => revoked_grants.push(view),
                Ok(None) => {}
                // Withdraw the rest first; report the first failure after.
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        model_changes.sort();
        model_changes.dedup();
        let closed = self
            .ledger
            .store()
            .access_review_campaign(&c.id)
            .await?
            .ok_or_else(|| ReviewError::NotFound(c.id.clone()))?;
        Ok(Closed {
            campaign: campaign(closed),
            totals,
            revoked_grants,
            model_changes,
        })
    }

    /// Closes the open campaign if its deadline has come, as every review
    /// command does first; `None` when none is open or it is not yet due.
    pub async fn sweep(&self, actor: &str, now: Timestamp) -> Result<Option<Closed>, ReviewError> {
        match self.open().await? {
            Some(c) if now >= c.deadline => self.close(actor, now).await.map(Some),
            _ => Ok(None),
        }
    }

    /// The open campaign, if any.
    pub async fn open(&self) -> Result<Option<Campaign>, ReviewError> {
        Ok(self
            .ledger
            .store()
            .access_review_campaigns()
            .await?
            .into_iter()
            .find(|c| c.state == "open")
            .map(campaign))
    }

    /// Every campaign, newest first.
    pub async fn list(&self) -> Result<Vec<Campaign>, ReviewError> {
        Ok(self
            .ledger
            .store()
            .access_review_campaigns()
            .await?
            .into_iter()
            .map(campaign)
            .collect())
    }

    /// Campaign `id` and its items, in order.
    pub async fn get(&self, id: &str) -> Result<(Campaign, Vec<Item>), ReviewError> {
        let store = self.ledger.store();
        let c = store
            .access_review_campaign(id)
            .await?
            .ok_or_else(|| ReviewError::NotFound(id.to_owned()))?;
        let items = store
            .access_review_items(id)
            .await?
            .into_iter()
            .map(item_view)
            .collect::<Result<_, _>>()?;
        Ok((campaign(c), items))
    }

    /// Who reviewed what in campaign `id`: each item with its reviewer,
    /// decision, reason, time and outcome; the totals; each reviewer's count.
    pub async fn report(&self, id: &str) -> Result<Report, ReviewError> {
        let (campaign, items) = self.get(id).await?;
        let mut by: BTreeMap<&str, ReviewerTally> = BTreeMap::new();
        for i in &items {
            let (Some(reviewer), Some(decision)) = (&i.reviewer, i.decision) else {
                continue;
            };
            let tally = by.entry(reviewer).or_insert_with(|| ReviewerTally {
                reviewer: reviewer.clone(),
                kept: 0,
                revoked: 0,
            });
            match decision {
                Verdict::Keep => tally.kept += 1,
                Verdict::Revoke => tally.revoked += 1,
            }
        }
        let reviewers = by.into_values().collect();
        Ok(Report {
            totals: Totals::of(&items),
            campaign,
            items,
            reviewers,
        })
    }
}

fn because(d: &Decision) -> String {
    let mut because: Vec<String> = d
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
    because.extend(d.problems.iter().cloned());
    if because.is_empty() {
        because.push("no policy permits it".to_owned());
    }
    because.join("; ")
}

fn campaign(r: AccessReviewCampaignRow) -> Campaign {
    Campaign {
        id: r.id,
        started_by: r.started_by,
        started: time(r.started_us),
        deadline: time(r.deadline_us),
        state: r.state,
        closed_by: r.closed_by,
        closed: r.closed_us.map(time),
    }
}

fn item_view(r: AccessReviewItemRow) -> Result<Item, ReviewError> {
    let corrupt = |value: &str| ReviewError::Corrupt {
        campaign: r.campaign.clone(),
        value: value.to_owned(),
    };
    let decision = match r.decision.as_deref() {
        None => None,
        Some(d) => Some(Verdict::from_key(d).ok_or_else(|| corrupt(d))?),
    };
    let outcome = match r.outcome.as_deref() {
        None => None,
        Some(o) => Some(Outcome::from_key(o).ok_or_else(|| corrupt(o))?),
    };
    let item = u32::try_from(r.item).map_err(|_| corrupt(&r.item.to_string()))?;
    Ok(Item {
        campaign: r.campaign,
        item,
        person: r.person,
        role: r.role,
        via: r.via,
        environment: r.environment,
        last_use: r.last_use_us.map(time),
        decision,
        reviewer: r.reviewer,
        reason: r.reason,
        decided: r.decided_us.map(time),
        outcome,
    })
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn time(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::MAX)
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

/// A new campaign id: `rev-` and 12 random hex digits.
fn new_id() -> Result<String, ReviewError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| ReviewError::Random(e.to_string()))?;
    Ok(format!("rev-{}", hex::encode(bytes)))
}
