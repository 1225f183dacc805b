-- 0004 ledger: index entries by subject in bulk, not one append at a time.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
--
-- The index on ledger_entries (subject) was updated row by row: a batch of entries about
-- many subjects touches one index page per subject, and each is written again at every
-- commit. Now the index is partial: it holds the entries whose subject_indexed flag is
-- set. Appends leave the flag clear; the store sets it for every entry from
-- ledger_subjects_upto.upto on, in one statement, when an append leaves 16,384 or more
-- entries behind and before any query by subject, so each subject's index page is written
-- once per fill instead of once per append.
--
-- The flag is not part of an entry's signed content. `palisade ledger verify` checks that
-- exactly the entries below upto are flagged (one scan of the partial index), so clearing
-- a flag to hide an entry from queries by subject is found.
DROP INDEX ledger_entries_subject;
ALTER TABLE ledger_entries ADD COLUMN subject_indexed INTEGER NOT NULL DEFAULT 0 CHECK (subject_indexed IN (0, 1));
UPDATE ledger_entries SET subject_indexed = 1;
CREATE INDEX ledger_entries_subject ON ledger_entries (subject) WHERE subject_indexed = 1;

-- Exactly one row: the entries below `upto` are the ones flagged.
CREATE TABLE ledger_subjects_upto (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    upto INTEGER NOT NULL CHECK (upto >= 0)
) STRICT;
INSERT INTO ledger_subjects_upto (one, upto)
    SELECT 1, coalesce(max(idx) + 1, 0) FROM ledger_entries;
