-- 0003 ledger: stop storing the lowest Merkle nodes.
-- Never edit this file once released: add a new migration instead (the checksum is checked).
--
-- Nodes of levels 0 to 3 (subtrees of at most 8 leaves) are no longer stored: the ledger
-- recomputes them from the leaf hashes in ledger_entries, at most 16 of them, which costs
-- less than looking them up. Level 0 duplicated ledger_entries.leaf_hash outright. The
-- table keeps levels 4 and up: an eighth of the rows it held, so appends write less and
-- verification reads less.
DELETE FROM ledger_nodes WHERE level < 4;
