-- 0007 access reviews: campaigns over every standing role and active grant, and
-- each reviewer's keep-or-revoke decision with its reason.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
-- Rows change only inside a ledger write transaction, together with the ledger entry
-- that records the change.

CREATE TABLE access_review_campaigns (
    id          TEXT   PRIMARY KEY NOT NULL,
    started_by  TEXT   NOT NULL,
    started_us  BIGINT NOT NULL,
    deadline_us BIGINT NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('open', 'closed')),
    closed_by   TEXT,
    closed_us   BIGINT
);
-- At most one campaign is open at a time.
CREATE UNIQUE INDEX access_review_campaigns_one_open ON access_review_campaigns (state)
    WHERE state = 'open';

-- One row per access under review, as it stood when the campaign started.
CREATE TABLE access_review_items (
    campaign    TEXT   NOT NULL REFERENCES access_review_campaigns (id),
    item        BIGINT NOT NULL CHECK (item > 0),
    person      TEXT   NOT NULL,
    role        TEXT   NOT NULL,
    via         TEXT   NOT NULL, -- `standing` (a role in the model) or a request id
    environment TEXT,
    last_use_us BIGINT,          -- NULL: no use known
    decision    TEXT   CHECK (decision IN ('keep', 'revoke')),
    reviewer    TEXT,
    reason      TEXT,
    decided_us  BIGINT,
    outcome     TEXT   CHECK (outcome IN ('kept', 'revoked', 'revoked-at-deadline', 'left-at-deadline')),
    PRIMARY KEY (campaign, item),
    -- A decision carries its reviewer, reason and time, or none of them.
    CHECK ((decision IS NULL) = (reviewer IS NULL) AND (decision IS NULL) = (reason IS NULL)
           AND (decision IS NULL) = (decided_us IS NULL))
);
