-- 0001 init (SQLite): the store's identity and the recorded operating-model versions.
-- Never edit this file once released: add a new migration instead (the checksum is checked).

CREATE TABLE palisade_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- AUTOINCREMENT so an id is never reused, even after rows are deleted.
CREATE TABLE model_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64),
    source      TEXT    NOT NULL,
    org         TEXT    NOT NULL,
    content     TEXT    NOT NULL,
    recorded_at BIGINT  NOT NULL -- unix microseconds, UTC
);
