-- 0001 init (PostgreSQL): the store's identity and the recorded operating-model versions.
-- Never edit this file once released: add a new migration instead (the checksum is checked).

CREATE TABLE palisade_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE model_versions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256      TEXT   NOT NULL UNIQUE CHECK (length(sha256) = 64),
    source      TEXT   NOT NULL,
    org         TEXT   NOT NULL,
    content     TEXT   NOT NULL,
    recorded_at BIGINT NOT NULL -- unix microseconds, UTC
);
