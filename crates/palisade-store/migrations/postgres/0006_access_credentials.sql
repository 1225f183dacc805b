-- 0006 access credentials: what Palisade issued to outside systems for each
-- grant, break-glass use and its review, and the sealed secrets the issuers use.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
--
-- A credential is written `intended` in the ledger transaction before the
-- outside system is touched, and `issued` (or `failed`) in another after it:
-- a crash in between leaves an `intended` row that the sweep reconciles.
-- Revocation goes `revoking` then `revoked` the same way.

CREATE TABLE access_credentials (
    id             TEXT   PRIMARY KEY NOT NULL,
    request_id     TEXT   NOT NULL REFERENCES access_requests (id),
    kind           TEXT   NOT NULL CHECK (kind IN ('ssh_certificate', 'database_role')),
    environment    TEXT   NOT NULL,
    resource       TEXT   NOT NULL,
    state          TEXT   NOT NULL CHECK (state IN ('intended', 'issued', 'failed', 'revoking', 'revoked')),
    serial         BIGINT,          -- an SSH certificate's serial
    name           TEXT   NOT NULL, -- the certificate's key id, or the database role
    valid_until_us BIGINT NOT NULL,
    detail         TEXT   NOT NULL, -- JSON: principals, key fingerprint, database role held
    created_us     BIGINT NOT NULL,
    state_us       BIGINT NOT NULL,
    version        BIGINT NOT NULL
);
CREATE INDEX access_credentials_by_request ON access_credentials (request_id);
CREATE INDEX access_credentials_by_state ON access_credentials (state, kind);

-- Break-glass: taken without approval, reviewed afterwards by someone else.
ALTER TABLE access_requests ADD COLUMN break_glass SMALLINT NOT NULL DEFAULT 0;
CREATE TABLE access_break_glass_reviews (
    request_id TEXT   PRIMARY KEY NOT NULL REFERENCES access_requests (id),
    reviewer   TEXT   NOT NULL,
    reason     TEXT   NOT NULL,
    at_us      BIGINT NOT NULL
);

-- Secrets the issuers need (the SSH CA key, database admin credentials),
-- sealed with AES-256-GCM under a key the store never holds.
CREATE TABLE access_secrets (
    name       TEXT   PRIMARY KEY NOT NULL,
    sealed     TEXT   NOT NULL,
    key_id     TEXT   NOT NULL,
    updated_us BIGINT NOT NULL
);
