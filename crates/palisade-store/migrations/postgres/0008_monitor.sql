-- 0008 monitor: the events the activity monitor read, its alerts with their states,
-- and the outbox of alert deliveries.
-- Never edit this file once released: add a new migration instead (the checksum is checked).

-- One row per normalised event the monitor read. Events are too many for the ledger:
-- they are evidence to look up, written in large batches, one transaction each. Times
-- are unix microseconds, UTC.
CREATE TABLE monitor_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_us       BIGINT NOT NULL,
    source        TEXT   NOT NULL, -- github, gitlab, sshd, journald, ledger, ndjson
    actor         TEXT   NOT NULL, -- the name in the record
    actor_kind    TEXT   NOT NULL, -- github_login, ssh_user, certificate_key_id, ...
    person        TEXT,            -- the handle it resolved to; NULL: unknown actor
    action        TEXT   NOT NULL, -- git_clone, login, security_change, other, ...
    action_detail TEXT,            -- a login's method, a source's own action name
    resource      TEXT,            -- kind:name, e.g. repository:acme/payments
    address       TEXT,            -- the source address
    outcome       TEXT   NOT NULL CHECK (outcome IN ('success', 'failure', 'unknown')),
    grant_id      TEXT,            -- the grant it was done under, when the record names one
    serial        BIGINT,          -- an SSH certificate's serial
    raw_file      TEXT   NOT NULL, -- where the raw record is
    raw_line      BIGINT NOT NULL,
    raw_id        TEXT             -- the record's own id
);
CREATE INDEX monitor_events_by_person ON monitor_events (person, time_us);

-- Alerts: a detector's finding, with later findings of the same detector, actor and
-- resource within the dedupe window folded in. Rows change only inside a ledger write
-- transaction, together with the ledger entry that records the change.
CREATE TABLE monitor_alerts (
    id           TEXT   PRIMARY KEY NOT NULL,
    detector     TEXT   NOT NULL,
    severity     TEXT   NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    person       TEXT,
    actor        TEXT   NOT NULL,
    resource     TEXT   NOT NULL, -- '' when the finding names none (so the key compares)
    sentence     TEXT   NOT NULL,
    evidence     TEXT   NOT NULL, -- JSON array of raw references, capped
    seen         BIGINT NOT NULL CHECK (seen > 0), -- findings folded in, the first included
    first_us     BIGINT NOT NULL,
    last_us      BIGINT NOT NULL,
    state        TEXT   NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    state_by     TEXT   NOT NULL,
    state_reason TEXT   NOT NULL,
    state_us     BIGINT NOT NULL, -- for a new alert, when it was recorded
    version      BIGINT NOT NULL
);
CREATE INDEX monitor_alerts_by_key ON monitor_alerts (detector, actor, resource, state);
CREATE INDEX monitor_alerts_by_state ON monitor_alerts (state, last_us);
CREATE INDEX monitor_alerts_by_person ON monitor_alerts (person, last_us);

-- Every state an alert was put in, with who and why.
CREATE TABLE monitor_alert_states (
    alert_id TEXT   NOT NULL REFERENCES monitor_alerts (id),
    seq      BIGINT NOT NULL CHECK (seq > 0),
    state    TEXT   NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    actor    TEXT   NOT NULL,
    reason   TEXT   NOT NULL,
    at_us    BIGINT NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

-- The outbox: one row per alert and hook, queued in the alert's own transaction, so an
-- alert is never lost when a receiver is down or the process stops. The body is fixed
-- when queued (the id is the webhook message id, the same on every attempt). No URL or
-- secret is stored: a hook is named by its kind and the environment variable of its URL.
CREATE TABLE monitor_deliveries (
    id              TEXT   PRIMARY KEY NOT NULL,
    alert_id        TEXT   NOT NULL REFERENCES monitor_alerts (id),
    hook            TEXT   NOT NULL,
    kind            TEXT   NOT NULL CHECK (kind IN ('slack', 'webhook')),
    body            TEXT   NOT NULL,
    state           TEXT   NOT NULL CHECK (state IN ('queued', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL,
    next_attempt_us BIGINT NOT NULL,
    last_error      TEXT,
    created_us      BIGINT NOT NULL,
    updated_us      BIGINT NOT NULL
);
CREATE INDEX monitor_deliveries_due ON monitor_deliveries (state, next_attempt_us);
CREATE INDEX monitor_deliveries_by_alert ON monitor_deliveries (alert_id);
