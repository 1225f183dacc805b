-- 0010 metrics: the deployments and incidents the governance metrics are computed from.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
-- Rows change only inside a ledger write transaction, together with the ledger entry
-- that records them. Times are unix microseconds, UTC.

-- One deployment of a service to an environment, recorded by command or imported from
-- DevLake-shaped NDJSON. `recorded_us` and `recorded_by`: when and by whom it was
-- recorded, which is not when it happened.
CREATE TABLE metrics_deployments (
    id          TEXT   PRIMARY KEY NOT NULL,
    service     TEXT   NOT NULL,
    environment TEXT   NOT NULL,
    started_us  BIGINT NOT NULL,
    finished_us BIGINT NOT NULL,
    status      TEXT   NOT NULL CHECK (status IN ('success', 'failure')),
    source      TEXT   NOT NULL CHECK (source IN ('command', 'devlake')),
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT   NOT NULL,
    CHECK (started_us <= finished_us)
);
CREATE INDEX metrics_deployments_by_finish ON metrics_deployments (finished_us);
CREATE INDEX metrics_deployments_by_service ON metrics_deployments (service, environment, finished_us);

-- The head commits a deployment shipped, one per repository as a rule.
CREATE TABLE metrics_deployment_commits (
    deployment_id TEXT NOT NULL REFERENCES metrics_deployments (id),
    repo          TEXT NOT NULL, -- owner/name (group/subgroup/name on GitLab)
    sha           TEXT NOT NULL, -- full lower-case hex
    PRIMARY KEY (deployment_id, repo, sha)
);
CREATE INDEX metrics_deployment_commits_by_sha ON metrics_deployment_commits (sha);

-- Incidents, open (resolved_us NULL) or resolved, with the commit or the deployment
-- that caused them when known.
CREATE TABLE metrics_incidents (
    id            TEXT   PRIMARY KEY NOT NULL,
    service       TEXT   NOT NULL,
    severity      TEXT   NOT NULL, -- one of the model's [metrics] incident_severities
    title         TEXT   NOT NULL,
    opened_us     BIGINT NOT NULL,
    resolved_us   BIGINT,
    cause_sha     TEXT,
    deployment_id TEXT,            -- not a foreign key: the deployment may be imported later
    opened_by     TEXT   NOT NULL,
    resolved_by   TEXT,
    CHECK (resolved_us IS NULL OR resolved_us >= opened_us),
    CHECK ((resolved_us IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX metrics_incidents_by_opened ON metrics_incidents (opened_us);
CREATE INDEX metrics_incidents_by_service ON metrics_incidents (service, opened_us);
