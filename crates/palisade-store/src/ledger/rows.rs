//! The ledger's rows as the store hands them out, and how stored values are read back:
//! whole rows, packed runs of rows or node hashes, checkpoints and cosignatures.

use crate::StoreError;

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerRow {
    /// Position in the log, from 0.
    pub idx: u64,
    /// The entry's RFC 6962 leaf hash.
    pub leaf_hash: [u8; 32],
    /// The exact bytes that were hashed (canonical JSON); stored and returned unchanged.
    pub entry: Vec<u8>,
    /// When the decision was made, unix microseconds.
    pub time_us: i64,
    /// Who made it.
    pub actor: String,
    /// What sort of decision it is (indexed).
    pub kind: String,
    /// What it is about (indexed).
    pub subject: String,
}

impl LedgerRow {
    /// The row as a [`LedgerRowRef`].
    pub fn as_view(&self) -> LedgerRowRef<'_> {
        LedgerRowRef {
            idx: self.idx,
            leaf_hash: &self.leaf_hash,
            entry: &self.entry,
            time_us: self.time_us,
            actor: &self.actor,
            kind: &self.kind,
            subject: &self.subject,
        }
    }
}

/// One ledger entry as stored, borrowed from a [`LedgerRow`] or a [`LedgerEntryRun`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LedgerRowRef<'a> {
    /// Position in the log, from 0.
    pub idx: u64,
    /// The entry's RFC 6962 leaf hash.
    pub leaf_hash: &'a [u8; 32],
    /// The exact bytes that were hashed.
    pub entry: &'a [u8],
    /// When the decision was made, unix microseconds.
    pub time_us: i64,
    /// Who made it.
    pub actor: &'a str,
    /// What sort of decision it is.
    pub kind: &'a str,
    /// What it is about.
    pub subject: &'a str,
}

/// Consecutive entries read in one round trip: the database packs the rows of an index
/// range into one answer, which costs a fraction of streaming them row by row. Used to
/// walk the whole log quickly ([`Store::ledger_entry_run`](crate::Store::ledger_entry_run)).
///
/// The packing relies on what the store lets in: canonical JSON entries hold no raw
/// newline and text columns no NUL. A run that does not unpack into exactly its rows
/// (rows edited behind the store's back, a gap in the indexes) gives `None` from
/// [`LedgerEntryRun::rows`]: read that range row by row to see what is there.
#[derive(Debug, Clone, Default)]
pub struct LedgerEntryRun(pub(super) Run);

/// A packed range as read: where it starts, how many rows it holds, their lowest and
/// highest index, and the bytes.
#[derive(Debug, Clone, Default)]
pub(super) struct Run {
    from: u64,
    count: u64,
    first: Option<u64>,
    last: Option<u64>,
    packed: Vec<u8>,
}

impl Run {
    /// Whether the rows' indexes run without a gap from the range's start.
    fn contiguous(&self) -> bool {
        self.first == Some(self.from) && self.last == Some(self.from + self.count - 1)
    }
}

impl LedgerEntryRun {
    /// How many rows the range holds.
    pub fn count(&self) -> u64 {
        self.0.count
    }

    /// The rows, in index order, when the range holds exactly `count` rows with
    /// consecutive indexes from the range's start and every one unpacks cleanly.
    pub fn rows(&self) -> Option<Vec<LedgerRowRef<'_>>> {
        let run = &self.0;
        if run.count == 0 {
            return run.packed.is_empty().then(Vec::new);
        }
        if !run.contiguous() {
            return None;
        }
        let mut rows = Vec::with_capacity(usize::try_from(run.count).ok()?);
        let mut rest = &run.packed[..];
        for idx in run.from..run.from + run.count {
            if idx > run.from {
                rest = rest.strip_prefix(b"\0")?;
            }
            let (leaf_hash, after) = rest.split_first_chunk::<32>()?;
            let (entry, after) = split_at_byte(after, b'\n')?;
            let (time, after) = split_at_byte(after, 0)?;
            let (actor, after) = split_at_byte(after, 0)?;
            let (kind, after) = split_at_byte(after, 0)?;
            let end = memchr::memchr(0, after).unwrap_or(after.len());
            let (subject, after) = after.split_at(end);
            rest = after;
            rows.push(LedgerRowRef {
                idx,
                leaf_hash,
                entry,
                time_us: parse_i64(time)?,
                actor: std::str::from_utf8(actor).ok()?,
                kind: std::str::from_utf8(kind).ok()?,
                subject: std::str::from_utf8(subject).ok()?,
            });
        }
        rest.is_empty().then_some(rows)
    }
}

/// A decimal `i64` as SQLite and PostgreSQL print one.
fn parse_i64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Splits at the first `byte`, dropping it.
fn split_at_byte(bytes: &[u8], byte: u8) -> Option<(&[u8], &[u8])> {
    let at = memchr::memchr(byte, bytes)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

/// Consecutive node hashes of one level read in one round trip
/// ([`Store::ledger_node_run`](crate::Store::ledger_node_run)).
#[derive(Debug, Clone, Default)]
pub struct LedgerNodeRun(pub(super) Run);

impl LedgerNodeRun {
    /// How many nodes the range holds.
    pub fn count(&self) -> u64 {
        self.0.count
    }

    /// The hashes in index order, when the range holds exactly `count` nodes with
    /// consecutive indexes from the range's start, each 32 bytes.
    pub fn hashes(&self) -> Option<&[[u8; 32]]> {
        let run = &self.0;
        if run.count == 0 {
            return run.packed.is_empty().then_some(&[]);
        }
        if !run.contiguous() {
            return None;
        }
        let (hashes, rest) = run.packed.as_chunks::<32>();
        (rest.is_empty() && hashes.len() as u64 == run.count).then_some(hashes)
    }
}

/// A signed checkpoint (tree head) of the log at one size.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerCheckpoint {
    /// Number of entries the checkpoint covers.
    pub size: u64,
    /// The Merkle tree hash of those entries.
    pub root: [u8; 32],
    /// The signed note, exactly as signed.
    pub note: String,
    /// When it was made, unix microseconds.
    pub created_us: i64,
}

/// A witness's cosignature on a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerCosignature {
    /// Size of the checkpoint it signs (the checkpoint must be stored).
    pub size: u64,
    /// The witness's name.
    pub witness: String,
    /// The cosignature line, exactly as received.
    pub line: String,
    /// When it was received, unix microseconds.
    pub received_us: i64,
}

/// A packed range as the database answers it: row count, lowest and highest index, bytes.
pub(super) type RunRecord = (i64, Option<i64>, Option<i64>, Option<Vec<u8>>);

/// A `ledger_entries` row as stored.
pub(super) type EntryRecord = (i64, Vec<u8>, Vec<u8>, i64, String, String, String);
/// A `ledger_checkpoints` row as stored.
pub(super) type CheckpointRecord = (i64, Vec<u8>, String, i64);
/// A `ledger_cosignatures` row as stored.
pub(super) type CosignatureRecord = (i64, String, String, i64);

/// A stored count, index or size, which the schema keeps non-negative.
pub(crate) fn u64_from_db(value: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        what,
        reason: format!("{value} is negative"),
    })
}

/// A stored 32-byte hash.
pub(super) fn hash_from_db(bytes: Vec<u8>, what: &'static str) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes).map_err(|bytes| StoreError::Corrupt {
        what,
        reason: format!("{} bytes instead of 32", bytes.len()),
    })
}

/// An entry row as stored, checked.
pub(super) fn row_from_record(record: EntryRecord) -> Result<LedgerRow, StoreError> {
    let (idx, leaf_hash, entry, time_us, actor, kind, subject) = record;
    Ok(LedgerRow {
        idx: u64_from_db(idx, "ledger entry index")?,
        leaf_hash: hash_from_db(leaf_hash, "ledger leaf hash")?,
        entry,
        time_us,
        actor,
        kind,
        subject,
    })
}

/// A checkpoint row as stored, checked.
pub(super) fn checkpoint_from_record(
    record: CheckpointRecord,
) -> Result<LedgerCheckpoint, StoreError> {
    let (size, root, note, created_us) = record;
    Ok(LedgerCheckpoint {
        size: u64_from_db(size, "checkpoint size")?,
        root: hash_from_db(root, "checkpoint root")?,
        note,
        created_us,
    })
}

/// A packed range as the database answered it, starting at `from`.
pub(super) fn run_from_record(
    (count, first, last, packed): RunRecord,
    from: u64,
    what: &'static str,
) -> Result<Run, StoreError> {
    Ok(Run {
        from,
        count: u64_from_db(count, what)?,
        first: first.map(|v| u64_from_db(v, what)).transpose()?,
        last: last.map(|v| u64_from_db(v, what)).transpose()?,
        packed: packed.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_i64;

    #[test]
    fn parse_i64_takes_exactly_what_the_databases_print() {
        for value in [0, 1, -1, 42, -5, i64::MAX, i64::MIN, 1_790_000_000_000_000] {
            assert_eq!(parse_i64(value.to_string().as_bytes()), Some(value));
        }
        for bad in [
            "",
            "-",
            "+1",
            "1.0",
            " 1",
            "9223372036854775808",
            "-9223372036854775809",
            "12a",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
