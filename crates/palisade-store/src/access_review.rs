//! Access review campaigns and the decisions reviewers record on each item.
//!
//! A campaign snapshots every standing role and active grant as items when it
//! starts; each item is then kept or revoked once, by one reviewer, with a
//! reason, and the campaign's close settles what nobody reviewed. Every change
//! goes through a [`LedgerTx`], so it commits with the ledger entry that
//! records it; an item already decided, or a campaign already closed, is never
//! written over (the writes say whether they changed anything).

use crate::ledger::LedgerTx;
use crate::ledger::conn::{check_text, on_conn};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// One access review campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReviewCampaignRow {
    /// Its id.
    pub id: String,
    /// Who started it (a handle).
    pub started_by: String,
    /// When (unix microseconds).
    pub started_us: i64,
    /// When reviewers' time runs out.
    pub deadline_us: i64,
    /// `open` or `closed`.
    pub state: String,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// When it was closed.
    pub closed_us: Option<i64>,
}

/// One access under review: a standing role or an active grant, as it stood
/// when the campaign started, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReviewItemRow {
    /// The campaign.
    pub campaign: String,
    /// Its number in the campaign, from 1.
    pub item: i64,
    /// Who holds the access (a handle).
    pub person: String,
    /// The role.
    pub role: String,
    /// `standing` (a role in the model) or the request id of a grant.
    pub via: String,
    /// The environment a grant is narrowed to.
    pub environment: Option<String>,
    /// The last use Palisade knows of (unix microseconds); `None`: no data.
    pub last_use_us: Option<i64>,
    /// `keep` or `revoke`; `None`: not reviewed.
    pub decision: Option<String>,
    /// Who decided (a handle).
    pub reviewer: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub decided_us: Option<i64>,
    /// `kept`, `revoked` (by its reviewer), `revoked-at-deadline` or
    /// `left-at-deadline`; `None` while the campaign is open and nobody decided.
    pub outcome: Option<String>,
}

/// A reviewer's decision on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessReviewDecision<'a> {
    /// The campaign.
    pub campaign: &'a str,
    /// The item.
    pub item: i64,
    /// `keep` or `revoke`.
    pub decision: &'a str,
    /// Who decides (a handle).
    pub reviewer: &'a str,
    /// Why.
    pub reason: &'a str,
    /// When (unix microseconds).
    pub decided_us: i64,
    /// What it comes to (`kept` or `revoked`).
    pub outcome: &'a str,
}

const CAMPAIGN_COLUMNS: &str =
    "id, started_by, started_us, deadline_us, state, closed_by, closed_us";

type CampaignTuple = (
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<i64>,
);

fn campaign(t: CampaignTuple) -> AccessReviewCampaignRow {
    AccessReviewCampaignRow {
        id: t.0,
        started_by: t.1,
        started_us: t.2,
        deadline_us: t.3,
        state: t.4,
        closed_by: t.5,
        closed_us: t.6,
    }
}

const ITEM_COLUMNS: &str = "campaign, item, person, role, via, environment, last_use_us, \
     decision, reviewer, reason, decided_us, outcome";

type ItemTuple = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn item(t: ItemTuple) -> AccessReviewItemRow {
    AccessReviewItemRow {
        campaign: t.0,
        item: t.1,
        person: t.2,
        role: t.3,
        via: t.4,
        environment: t.5,
        last_use_us: t.6,
        decision: t.7,
        reviewer: t.8,
        reason: t.9,
        decided_us: t.10,
        outcome: t.11,
    }
}

fn check_item(r: &AccessReviewItemRow) -> Result<(), StoreError> {
    for (value, what) in [
        (r.campaign.as_str(), "access review campaign"),
        (r.person.as_str(), "access review person"),
        (r.role.as_str(), "access review role"),
        (r.via.as_str(), "access review via"),
    ] {
        check_text(value, what)?;
    }
    for (value, what) in [
        (r.environment.as_deref(), "access review environment"),
        (r.decision.as_deref(), "access review decision"),
        (r.reviewer.as_deref(), "access reviewer"),
        (r.reason.as_deref(), "access review reason"),
        (r.outcome.as_deref(), "access review outcome"),
    ] {
        if let Some(v) = value {
            check_text(v, what)?;
        }
    }
    Ok(())
}

impl LedgerTx<'_> {
    /// Inserts a new campaign and its items. A campaign id already used, or a
    /// second open campaign, is [`StoreError::InvalidInput`].
    pub async fn access_review_insert(
        &mut self,
        c: &AccessReviewCampaignRow,
        items: &[AccessReviewItemRow],
    ) -> Result<(), StoreError> {
        for (value, what) in [
            (c.id.as_str(), "access review campaign id"),
            (c.started_by.as_str(), "access review starter"),
            (c.state.as_str(), "access review state"),
        ] {
            check_text(value, what)?;
        }
        for i in items {
            check_item(i)?;
        }
        if self.access_review_open().await?.is_some() {
            return Err(StoreError::InvalidInput {
                what: "access review campaign",
                reason: "another campaign is open".to_owned(),
            });
        }
        let sql = format!(
            "INSERT INTO access_review_campaigns ({CAMPAIGN_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING"
        );
        let mut conn = self.conn();
        let done = on_conn!(conn, c_ => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&c.id).bind(&c.started_by).bind(c.started_us).bind(c.deadline_us)
                .bind(&c.state).bind(&c.closed_by).bind(c.closed_us)
                .execute(c_).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an access review campaign"))?;
        if done == 0 {
            return Err(StoreError::InvalidInput {
                what: "access review campaign id",
                reason: format!("`{}` is already taken", c.id),
            });
        }
        let sql = format!(
            "INSERT INTO access_review_items ({ITEM_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        for i in items {
            let mut conn = self.conn();
            on_conn!(conn, c_ => {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(&i.campaign).bind(i.item).bind(&i.person).bind(&i.role).bind(&i.via)
                    .bind(&i.environment).bind(i.last_use_us).bind(&i.decision)
                    .bind(&i.reviewer).bind(&i.reason).bind(i.decided_us).bind(&i.outcome)
                    .execute(c_).await.map(drop)
            })
            .map_err(StoreError::db("recording an access review item"))?;
        }
        Ok(())
    }

    /// The campaign `id`, as this transaction sees it.
    pub async fn access_review_campaign(
        &mut self,
        id: &str,
    ) -> Result<Option<AccessReviewCampaignRow>, StoreError> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM access_review_campaigns WHERE id = $1");
        let mut conn = self.conn();
        let found: Option<CampaignTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading an access review campaign"))?;
        Ok(found.map(campaign))
    }

    /// The open campaign, if any, as this transaction sees it.
    pub async fn access_review_open(
        &mut self,
    ) -> Result<Option<AccessReviewCampaignRow>, StoreError> {
        let sql =
            format!("SELECT {CAMPAIGN_COLUMNS} FROM access_review_campaigns WHERE state = 'open'");
        let mut conn = self.conn();
        let found: Option<CampaignTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_optional(c).await
        })
        .map_err(StoreError::db("reading the open access review campaign"))?;
        Ok(found.map(campaign))
    }

    /// Item `item` of `campaign`, as this transaction sees it.
    pub async fn access_review_item(
        &mut self,
        campaign: &str,
        item_no: i64,
    ) -> Result<Option<AccessReviewItemRow>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM access_review_items WHERE campaign = $1 AND item = $2"
        );
        let mut conn = self.conn();
        let found: Option<ItemTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(campaign).bind(item_no)
                .fetch_optional(c).await
        })
        .map_err(StoreError::db("reading an access review item"))?;
        Ok(found.map(item))
    }

    /// The items of `campaign` in order, as this transaction sees them.
    pub async fn access_review_items(
        &mut self,
        campaign: &str,
    ) -> Result<Vec<AccessReviewItemRow>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM access_review_items WHERE campaign = $1 ORDER BY item"
        );
        let mut conn = self.conn();
        let rows: Vec<ItemTuple> = on_conn!(conn, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(campaign).fetch_all(c).await
        })
        .map_err(StoreError::db("reading access review items"))?;
        Ok(rows.into_iter().map(item).collect())
    }

    /// Records a reviewer's decision on an item nobody decided yet, in an open
    /// campaign. Returns whether it did: `false` means the item was decided
    /// already (or is gone, or its campaign closed), and nothing was written.
    pub async fn access_review_decide(
        &mut self,
        d: &AccessReviewDecision<'_>,
    ) -> Result<bool, StoreError> {
        for (value, what) in [
            (d.campaign, "access review campaign"),
            (d.decision, "access review decision"),
            (d.reviewer, "access reviewer"),
            (d.reason, "access review reason"),
            (d.outcome, "access review outcome"),
        ] {
            check_text(value, what)?;
        }
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "UPDATE access_review_items SET decision = $1, reviewer = $2, reason = $3, \
                 decided_us = $4, outcome = $5 \
                 WHERE campaign = $6 AND item = $7 AND decision IS NULL AND outcome IS NULL \
                 AND EXISTS (SELECT 1 FROM access_review_campaigns \
                             WHERE id = $6 AND state = 'open')",
            )
            .bind(d.decision).bind(d.reviewer).bind(d.reason).bind(d.decided_us).bind(d.outcome)
            .bind(d.campaign).bind(d.item)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("recording an access review decision"))?;
        Ok(done == 1)
    }

    /// Closes the open campaign `campaign`, giving every item nobody reviewed
    /// `unreviewed_outcome`. Returns whether it did: `false` means it was not
    /// open, and nothing was written.
    pub async fn access_review_close(
        &mut self,
        campaign: &str,
        closed_by: &str,
        closed_us: i64,
        unreviewed_outcome: &str,
    ) -> Result<bool, StoreError> {
        check_text(closed_by, "access review closer")?;
        check_text(unreviewed_outcome, "access review outcome")?;
        let mut conn = self.conn();
        let done = on_conn!(conn, c => {
            sqlx::query(
                "UPDATE access_review_campaigns SET state = 'closed', closed_by = $1, \
                 closed_us = $2 WHERE id = $3 AND state = 'open'",
            )
            .bind(closed_by).bind(closed_us).bind(campaign)
            .execute(c).await.map(|d| d.rows_affected())
        })
        .map_err(StoreError::db("closing an access review campaign"))?;
        if done != 1 {
            return Ok(false);
        }
        on_conn!(conn, c => {
            sqlx::query(
                "UPDATE access_review_items SET outcome = $1 \
                 WHERE campaign = $2 AND decision IS NULL AND outcome IS NULL",
            )
            .bind(unreviewed_outcome).bind(campaign)
            .execute(c).await.map(drop)
        })
        .map_err(StoreError::db("settling unreviewed access review items"))?;
        Ok(true)
    }
}

impl Store {
    /// Every campaign, newest first.
    pub async fn access_review_campaigns(
        &self,
    ) -> Result<Vec<AccessReviewCampaignRow>, StoreError> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM access_review_campaigns ORDER BY started_us DESC, id"
        );
        let rows: Vec<CampaignTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await
        })
        .map_err(StoreError::db("listing access review campaigns"))?;
        Ok(rows.into_iter().map(campaign).collect())
    }

    /// The campaign `id`.
    pub async fn access_review_campaign(
        &self,
        id: &str,
    ) -> Result<Option<AccessReviewCampaignRow>, StoreError> {
        let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM access_review_campaigns WHERE id = $1");
        let found: Option<CampaignTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await
        })
        .map_err(StoreError::db("reading an access review campaign"))?;
        Ok(found.map(campaign))
    }

    /// The items of `campaign`, in order.
    pub async fn access_review_items(
        &self,
        campaign: &str,
    ) -> Result<Vec<AccessReviewItemRow>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM access_review_items WHERE campaign = $1 ORDER BY item"
        );
        let rows: Vec<ItemTuple> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(campaign).fetch_all(pool).await
        })
        .map_err(StoreError::db("reading access review items"))?;
        Ok(rows.into_iter().map(item).collect())
    }
}
