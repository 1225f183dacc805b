-- 0005 access: just-in-time access requests and the decisions on them.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
-- Rows change only inside a ledger write transaction, together with the ledger entry
-- that records the change; `version` rises with every change of a request.

CREATE TABLE access_requests (
    id              TEXT   PRIMARY KEY NOT NULL,
    requester       TEXT   NOT NULL,
    role            TEXT   NOT NULL,
    environment     TEXT,
    duration_s      BIGINT NOT NULL CHECK (duration_s > 0),
    reason          TEXT   NOT NULL,
    ticket          TEXT,
    start_us        BIGINT,          -- requested start, unix microseconds; NULL: on approval
    created_us      BIGINT NOT NULL,
    state           TEXT   NOT NULL,
    state_us        BIGINT NOT NULL, -- when it entered its state
    active_from_us  BIGINT,
    active_until_us BIGINT,
    version         BIGINT NOT NULL
);
CREATE INDEX access_requests_by_state ON access_requests (state, active_until_us);
CREATE INDEX access_requests_by_requester ON access_requests (requester, created_us);

-- One decision per person per request: approving twice is refused by the key.
CREATE TABLE access_decisions (
    request_id TEXT   NOT NULL REFERENCES access_requests (id),
    actor      TEXT   NOT NULL,
    decision   TEXT   NOT NULL CHECK (decision IN ('approve', 'deny')),
    reason     TEXT   NOT NULL,
    at_us      BIGINT NOT NULL,
    PRIMARY KEY (request_id, actor)
);
