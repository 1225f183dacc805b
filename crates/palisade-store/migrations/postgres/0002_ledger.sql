-- 0002 ledger (PostgreSQL): storage for the evidence ledger, an RFC 6962 / 9162 Merkle log.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
--
-- The store keeps bytes and metadata only; palisade-ledger does the hashing and checks.
-- Text columns that are looked up use the "C" collation: byte-wise comparison, the same
-- answers as SQLite and cheaper index maintenance.

-- One row per log entry.
CREATE TABLE ledger_entries (
    idx       BIGINT PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BYTEA  NOT NULL CHECK (octet_length(leaf_hash) = 32),
    entry     BYTEA  NOT NULL, -- the exact canonical JSON bytes that were hashed
    time_us   BIGINT NOT NULL, -- unix microseconds, UTC
    actor     TEXT   NOT NULL,
    kind      TEXT   COLLATE "C" NOT NULL,
    subject   TEXT   COLLATE "C" NOT NULL
);

CREATE INDEX ledger_entries_kind ON ledger_entries (kind, idx);
CREATE INDEX ledger_entries_subject ON ledger_entries (subject, idx);
CREATE INDEX ledger_entries_time ON ledger_entries (time_us);

-- Hashes of perfect subtrees: (level, idx) covers leaves idx * 2^level up to
-- (idx + 1) * 2^level; level 0 holds the leaf hashes.
CREATE TABLE ledger_nodes (
    level SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   BIGINT   NOT NULL CHECK (idx >= 0),
    hash  BYTEA    NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Signed checkpoints (tree heads), one per tree size.
CREATE TABLE ledger_checkpoints (
    size       BIGINT PRIMARY KEY CHECK (size >= 0),
    root       BYTEA  NOT NULL CHECK (octet_length(root) = 32),
    note       TEXT   NOT NULL, -- the signed note, as signed
    created_us BIGINT NOT NULL  -- unix microseconds, UTC
);

-- Witness cosignatures on a checkpoint, one per witness.
CREATE TABLE ledger_cosignatures (
    size        BIGINT NOT NULL REFERENCES ledger_checkpoints (size),
    witness     TEXT   COLLATE "C" NOT NULL,
    line        TEXT   NOT NULL, -- the cosignature line, as received
    received_us BIGINT NOT NULL, -- unix microseconds, UTC
    PRIMARY KEY (size, witness)
);
