-- 0011 monitor follow: where `palisade monitor follow` stopped reading each log it follows,
-- so that a restart reads the lines written while it was stopped, and none twice once
-- their events are stored. One row per followed path (its parent directory canonicalised).
-- Device and inode are the file's identity, stored as the bits of the unsigned value;
-- byte_offset is the end of the last complete line whose events, alerts and learning
-- were stored before this row was written; fingerprint is the SHA-256 (hex) of the bytes
-- before it (up to 256), which tells whether a file with that inode is still the one
-- that was read: inode numbers are reused once a file is deleted.
-- Never edit this file once released: add a new migration instead (the checksum is checked).

CREATE TABLE monitor_follow (
    path        TEXT   PRIMARY KEY NOT NULL,
    device      BIGINT NOT NULL,
    inode       BIGINT NOT NULL,
    byte_offset BIGINT NOT NULL,
    line_number BIGINT NOT NULL,
    fingerprint TEXT   NOT NULL,
    updated_us  BIGINT NOT NULL
);
