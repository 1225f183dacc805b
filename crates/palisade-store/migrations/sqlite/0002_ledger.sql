-- 0002 ledger (SQLite): storage for the evidence ledger, an RFC 6962 / 9162 Merkle log.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
--
-- The store keeps bytes and metadata only; palisade-ledger does the hashing and checks.
-- STRICT tables refuse a value of the wrong type instead of converting it, so every
-- hash and entry reads back exactly as it was written.

-- One row per log entry. `idx` is declared INTEGER PRIMARY KEY so it is the rowid: the
-- table itself is the idx-ordered B-tree, with no second index to keep up to date.
CREATE TABLE ledger_entries (
    idx       INTEGER PRIMARY KEY CHECK (idx >= 0),
    leaf_hash BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    entry     BLOB    NOT NULL, -- the exact canonical JSON bytes that were hashed
    time_us   INTEGER NOT NULL, -- unix microseconds, UTC
    actor     TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    subject   TEXT    NOT NULL
) STRICT;

-- Every SQLite index ends with the rowid, so these are (kind, idx), (subject, idx) and
-- (time_us, idx): a filtered query walks them already in log order.
CREATE INDEX ledger_entries_kind ON ledger_entries (kind);
CREATE INDEX ledger_entries_subject ON ledger_entries (subject);
CREATE INDEX ledger_entries_time ON ledger_entries (time_us);

-- Hashes of perfect subtrees: (level, idx) covers leaves idx * 2^level up to
-- (idx + 1) * 2^level; level 0 holds the leaf hashes.
CREATE TABLE ledger_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- Signed checkpoints (tree heads), one per tree size.
CREATE TABLE ledger_checkpoints (
    size       INTEGER PRIMARY KEY CHECK (size >= 0),
    root       BLOB    NOT NULL CHECK (length(root) = 32),
    note       TEXT    NOT NULL, -- the signed note, as signed
    created_us INTEGER NOT NULL  -- unix microseconds, UTC
) STRICT;

-- Witness cosignatures on a checkpoint, one per witness.
CREATE TABLE ledger_cosignatures (
    size        INTEGER NOT NULL REFERENCES ledger_checkpoints (size),
    witness     TEXT    NOT NULL,
    line        TEXT    NOT NULL, -- the cosignature line, as received
    received_us INTEGER NOT NULL, -- unix microseconds, UTC
    PRIMARY KEY (size, witness)
) STRICT, WITHOUT ROWID;
