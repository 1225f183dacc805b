//! Whole-log verification: re-hash every entry, recompute every stored node, check every
//! checkpoint, cosignature and outside checkpoint, and name the first divergence.

use std::collections::HashMap;
use std::fmt;

use jiff::Timestamp;
use palisade_store::{LedgerCheckpoint, LedgerRowRef};

use super::tree::LOWEST_STORED_LEVEL;
use super::{Ledger, LedgerError, micros};
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::cosignature::Cosignature;
use crate::entry::Entry;
use crate::merkle::{self, Frontier, Hash};
use crate::note::VerifierKey;

/// The first place where the stored log and its own hashes disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Divergence {
    /// An index has no entry: it was deleted.
    #[error("entry {index} was removed: the log jumps from entry {before} to entry {after}", before = index.wrapping_sub(1))]
    Removed {
        /// The missing index.
        index: u64,
        /// The next index present.
        after: u64,
    },
    /// An entry's bytes, hash or indexed columns were changed.
    #[error("entry {index} was altered: {what}")]
    Altered {
        /// The entry.
        index: u64,
        /// What does not match.
        what: String,
    },
    /// The entry stored at a position says it belongs elsewhere.
    #[error("the entry at position {position} is entry {claims}: entries were {how}")]
    Moved {
        /// Where it is stored.
        position: u64,
        /// The index inside its signed content.
        claims: u64,
        /// `inserted before it`, `removed before it` or `reordered`.
        how: &'static str,
    },
    /// A stored tree node does not match the entries.
    #[error("tree node (level {level}, index {index}) was altered or is missing")]
    Node {
        /// Its level.
        level: u8,
        /// Its index.
        index: u64,
    },
    /// The node table holds more nodes than the entries make.
    #[error(
        "the tree holds {extra} node(s) that no entry accounts for, first at (level {level}, index {index})"
    )]
    ExtraNodes {
        /// How many.
        extra: u64,
        /// First one's level.
        level: u8,
        /// First one's index.
        index: u64,
    },
    /// A checkpoint's root is not the root of today's tree at its size.
    #[error(
        "checkpoint {size} is not a prefix of today's tree: its root differs from the entries' root at that size"
    )]
    CheckpointMismatch {
        /// The checkpoint's size.
        size: u64,
    },
    /// A checkpoint covers more entries than the log holds now.
    #[error(
        "checkpoint {size} covers more entries than the log now holds ({log_size}): the log was truncated or rolled back"
    )]
    RolledBack {
        /// The checkpoint's size.
        size: u64,
        /// The log's size.
        log_size: u64,
    },
    /// A checkpoint's signature or body is wrong.
    #[error("checkpoint {size} is not validly signed by this log: {why}")]
    CheckpointSignature {
        /// The checkpoint's size.
        size: u64,
        /// Why.
        why: String,
    },
    /// The index of entries by subject does not hold exactly the entries it says it
    /// holds, so a query by subject could miss some.
    #[error(
        "the subject index was edited: {what}; `palisade ledger reindex` rebuilds it from the entries",
        what = match (first, covers) {
            (Some(i), Some(c)) if i < c => format!("entry {i} is missing from it"),
            (Some(i), _) => format!("entry {i} is in it but beyond what it records"),
            (None, Some(c)) => format!("it holds {indexed} entries, its record says {c}"),
            (None, None) => "its record of what it holds is gone".to_owned(),
        }
    )]
    SubjectIndex {
        /// The first entry wrongly in or out of it, when there is one.
        first: Option<u64>,
        /// The entries in it.
        indexed: u64,
        /// The entries it records as holding (`0..covers`), when that record is there.
        covers: Option<u64>,
    },
    /// A witness cosignature does not verify.
    #[error("cosignature of witness `{witness}` on checkpoint {size} does not verify: {why}")]
    Cosignature {
        /// The checkpoint's size.
        size: u64,
        /// The witness.
        witness: String,
        /// Why.
        why: String,
    },
}

/// What `verify` checked and what it found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// Entries re-hashed.
    pub entries: u64,
    /// Stored tree nodes compared.
    pub nodes: u64,
    /// Root of the whole log as recomputed.
    pub root: Hash,
    /// Stored checkpoints checked.
    pub checkpoints: u64,
    /// Witness cosignatures checked.
    pub cosignatures: u64,
    /// Checkpoints from outside (witnesses, auditors) checked.
    pub external: u64,
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
}

/// What verification is checked against.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Keys whose signature makes a checkpoint this log's.
    pub log_keys: Vec<VerifierKey>,
    /// Witness keys (algorithm cosignature/v1).
    pub witnesses: Vec<VerifierKey>,
    /// Checkpoints held outside the store (by witnesses or auditors): each
    /// must be a prefix of today's tree.
    pub external: Vec<SignedCheckpoint>,
    /// Told `(entries re-hashed, entries in the log)` after each run of entries.
    pub progress: Option<Progress>,
}

/// A callback told how far a long operation has come: `(done, total)`.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Ledger {
    /// Re-hashes the whole log, checks every stored checkpoint, cosignature
    /// and external checkpoint against it, compares every stored tree node,
    /// and names the first divergence. Memory: about 8 bytes an entry.
    ///
    /// The log is read in packed runs of 8,192 entries (one answer each from
    /// the database); a run that does not unpack cleanly, which only rows
    /// edited behind the store's back cause, is read again row by row from
    /// there on, so the divergence is named exactly.
    pub async fn verify(&self, options: &VerifyOptions) -> Result<VerifyReport, LedgerError> {
        const RUN: u64 = 8192;
        const CHUNK: u32 = 20_000;
        // Checkpoints first, then the size: every checkpoint read is then within the
        // size, even while others append.
        let checkpoints = self.all_checkpoints().await?;
        let size = self.store.ledger_size().await?;
        let mut report = VerifyReport {
            entries: 0,
            nodes: 0,
            root: merkle::empty_root(),
            checkpoints: 0,
            cosignatures: 0,
            external: 0,
            divergence: None,
        };
        // Roots at every size a checkpoint (stored or external) names.
        let mut wanted: Vec<u64> = checkpoints
            .iter()
            .map(|c| c.size)
            .chain(options.external.iter().map(|c| c.checkpoint.size))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut roots_at: HashMap<u64, Hash> = HashMap::new();
        if wanted.first() == Some(&0) {
            roots_at.insert(0, merkle::empty_root());
        }
        // The recomputed nodes of the stored levels, by level.
        let mut levels: Vec<Vec<Hash>> = Vec::new();
        let mut frontier = Frontier::new();
        let mut columns = ColumnCheck::default();
        let mut next = 0u64;
        let mut push = |leaf: Hash, next: &mut u64| {
            frontier.push_with(leaf, |id, hash| {
                if id.level >= LOWEST_STORED_LEVEL {
                    let level = usize::from(id.level);
                    if levels.len() <= level {
                        levels.resize_with(level + 1, Vec::new);
                    }
                    levels[level].push(hash);
                }
            });
            *next += 1;
            if wanted.binary_search(next).is_ok() {
                roots_at.insert(*next, frontier.root());
            }
        };
        // Fast: packed runs up to the size.
        while next < size {
            let run = self
                .store
                .ledger_entry_run(next, size.min(next + RUN))
                .await?;
            let Some(rows) = run.rows() else { break };
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if let Some(d) = check_row(row, next, &mut columns) {
                    report.divergence = Some(d);
                    report.entries = next;
                    return Ok(report);
                }
                push(*row.leaf_hash, &mut next);
            }
            if let Some(Progress(tell)) = &options.progress {
                tell(next, size);
            }
        }
        // Exact: row by row from where the runs stopped to the end of the table.
        'rows: loop {
            let rows = self.store.ledger_entries_chunk(next, CHUNK).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if let Some(d) = check_row(&row.as_view(), next, &mut columns) {
                    report.divergence = Some(d);
                    break 'rows;
                }
                push(row.leaf_hash, &mut next);
            }
        }
        report.entries = next;
        report.root = frontier.root();
        if report.divergence.is_some() {
            return Ok(report);
        }

        // Stored checkpoints and their cosignatures.
        for cp in &checkpoints {
            if let Some(d) = self.check_checkpoint(cp, &roots_at, next, options) {
                report.divergence = Some(d);
                return Ok(report);
            }
            report.checkpoints += 1;
            let body = Checkpoint::new(self.origin.clone(), cp.size, cp.root).body();
            for cosig in self.store.ledger_cosignatures(cp.size).await? {
                let Some(key) = options.witnesses.iter().find(|k| k.name() == cosig.witness) else {
                    continue;
                };
                let check = Cosignature::parse_line(&cosig.line)
                    .map_err(|e| e.to_string())
                    .and_then(|c| c.verify(&body, key).map_err(|e| e.to_string()));
                if let Err(why) = check {
                    report.divergence = Some(Divergence::Cosignature {
                        size: cp.size,
                        witness: cosig.witness,
                        why,
                    });
                    return Ok(report);
                }
                report.cosignatures += 1;
            }
        }

        // Checkpoints held outside: a witness's or an auditor's copy.
        for ext in &options.external {
            let size = ext.checkpoint.size;
            if let Err(e) = ext.verify(&options.log_keys) {
                report.divergence = Some(Divergence::CheckpointSignature {
                    size,
                    why: e.to_string(),
                });
                return Ok(report);
            }
            if size > next {
                report.divergence = Some(Divergence::RolledBack {
                    size,
                    log_size: next,
                });
                return Ok(report);
            }
            if roots_at.get(&size) != Some(&ext.checkpoint.root)
                || ext.checkpoint.origin != self.origin
            {
                report.divergence = Some(Divergence::CheckpointMismatch { size });
                return Ok(report);
            }
            report.external += 1;
        }
        // The stored nodes against the recomputed ones: packed runs when every
        // level holds the count it should, row by row to name what differs.
        let expected: Vec<(u8, u64)> = levels
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.is_empty())
            .map(|(level, l)| (level as u8, l.len() as u64))
            .collect();
        if self.store.ledger_node_counts().await? == expected {
            let mut all_equal = true;
            'levels: for &(level, count) in &expected {
                let want = &levels[usize::from(level)];
                let mut from = 0;
                while from < count {
                    let to = count.min(from + RUN * 4);
                    let run = self.store.ledger_node_run(level, from, to).await?;
                    if run.hashes() != Some(&want[from as usize..to as usize]) {
                        all_equal = false;
                        break 'levels;
                    }
                    from = to;
                }
            }
            if all_equal {
                report.nodes = expected.iter().map(|&(_, count)| count).sum();
                report.divergence = self.check_subject_index(next).await?;
                return Ok(report);
            }
        }
        report.divergence = self.compare_nodes_by_row(&levels, &mut report).await?;
        if report.divergence.is_none() {
            report.divergence = self.check_subject_index(next).await?;
        }
        Ok(report)
    }

    /// Rebuilds the index of entries by subject from the entries, after `verify` found it
    /// edited. Returns the entries indexed.
    pub async fn reindex(&self) -> Result<u64, LedgerError> {
        Ok(self.store.ledger_rebuild_subjects().await?)
    }

    /// The subject index is not signed, but a query by subject trusts it to find every
    /// entry: an entry taken out of it would be hidden.
    async fn check_subject_index(&self, size: u64) -> Result<Option<Divergence>, LedgerError> {
        let check = self.store.ledger_check_subjects().await?;
        if check.is_consistent() && check.upto.is_some_and(|upto| upto <= size) {
            return Ok(None);
        }
        Ok(Some(Divergence::SubjectIndex {
            first: check.first_wrong,
            indexed: check.rows,
            covers: check.upto,
        }))
    }

    /// Compares every stored node with `levels` row by row, counting matches
    /// in the report, and names the first one missing, extra or different.
    /// Stored rows arrive ordered by (level, index), so a gap is a missing node.
    async fn compare_nodes_by_row(
        &self,
        levels: &[Vec<Hash>],
        report: &mut VerifyReport,
    ) -> Result<Option<Divergence>, LedgerError> {
        const CHUNK: u32 = 20_000;
        let mut from = (0u8, 0u64);
        let mut expect = (0usize, 0u64);
        let missing_before = |expect: (usize, u64), upto: (usize, u64)| -> Option<Divergence> {
            let (mut level, mut index) = expect;
            while (level, index) < upto {
                if levels
                    .get(level)
                    .is_some_and(|l| (index as usize) < l.len())
                {
                    return Some(Divergence::Node {
                        level: level as u8,
                        index,
                    });
                }
                level += 1;
                index = 0;
                if level >= levels.len() {
                    break;
                }
            }
            None
        };
        loop {
            let nodes = self.store.ledger_nodes_chunk(from, CHUNK).await?;
            let Some(&(last_level, last_index, _)) = nodes.last() else {
                break;
            };
            for &(level, index, hash) in &nodes {
                if let Some(d) = missing_before(expect, (usize::from(level), index)) {
                    return Ok(Some(d));
                }
                match levels
                    .get(usize::from(level))
                    .and_then(|l| l.get(index as usize))
                {
                    Some(h) if *h == hash => report.nodes += 1,
                    Some(_) => return Ok(Some(Divergence::Node { level, index })),
                    None => {
                        return Ok(Some(Divergence::ExtraNodes {
                            extra: 1,
                            level,
                            index,
                        }));
                    }
                }
                expect = (usize::from(level), index + 1);
            }
            from = (last_level, last_index + 1);
        }
        Ok(missing_before(expect, (levels.len(), 0)))
    }

    fn check_checkpoint(
        &self,
        cp: &LedgerCheckpoint,
        roots_at: &HashMap<u64, Hash>,
        log_size: u64,
        options: &VerifyOptions,
    ) -> Option<Divergence> {
        let size = cp.size;
        if size > log_size {
            return Some(Divergence::RolledBack { size, log_size });
        }
        if roots_at.get(&size) != Some(&cp.root) {
            return Some(Divergence::CheckpointMismatch { size });
        }
        let signed = match SignedCheckpoint::parse(cp.note.as_bytes()) {
            Ok(s) => s,
            Err(e) => {
                return Some(Divergence::CheckpointSignature {
                    size,
                    why: e.to_string(),
                });
            }
        };
        if signed.checkpoint.size != size
            || signed.checkpoint.root != cp.root
            || signed.checkpoint.origin != self.origin
        {
            return Some(Divergence::CheckpointSignature {
                size,
                why: "the signed note does not match the stored size, root or origin".to_owned(),
            });
        }
        if !options.log_keys.is_empty()
            && let Err(e) = signed.verify(&options.log_keys)
        {
            return Some(Divergence::CheckpointSignature {
                size,
                why: e.to_string(),
            });
        }
        None
    }

    async fn all_checkpoints(&self) -> Result<Vec<LedgerCheckpoint>, LedgerError> {
        let mut all = Vec::new();
        let mut from = 0;
        loop {
            let batch = self.store.ledger_checkpoints(from, 10_000).await?;
            let Some(last) = batch.last() else { break };
            from = last.size + 1;
            all.extend(batch);
        }
        Ok(all)
    }
}

/// Checks one stored row against its own content; `expected` is the index it
/// must have.
fn check_row(
    row: &LedgerRowRef<'_>,
    expected: u64,
    columns: &mut ColumnCheck,
) -> Option<Divergence> {
    if row.idx != expected {
        return Some(Divergence::Removed {
            index: expected,
            after: row.idx,
        });
    }
    let leaf = merkle::leaf_hash(row.entry);
    if leaf != *row.leaf_hash {
        return Some(Divergence::Altered {
            index: row.idx,
            what: "its bytes no longer hash to its leaf hash".to_owned(),
        });
    }
    // The common case, cheaply: the bytes are exactly the canonical entry of
    // this row's index and columns around some data. Only when they are not
    // is the entry decoded, to say precisely what differs.
    if columns.matches(row) {
        return None;
    }
    let entry = match Entry::from_canonical(row.entry) {
        Ok(e) => e,
        Err(e) => {
            return Some(Divergence::Altered {
                index: row.idx,
                what: format!("its content is not a canonical entry ({e})"),
            });
        }
    };
    if entry.index != row.idx {
        let how = if entry.index < row.idx {
            "inserted before it"
        } else {
            "removed before it"
        };
        return Some(Divergence::Moved {
            position: row.idx,
            claims: entry.index,
            how,
        });
    }
    if entry.kind != row.kind
        || entry.subject != row.subject
        || entry.actor != row.actor
        || micros(entry.time) != row.time_us
    {
        return Some(Divergence::Altered {
            index: row.idx,
            what:
                "its indexed columns (kind, subject, actor or time) differ from its signed content"
                    .to_owned(),
        });
    }
    None
}

/// Whether a row's bytes are `{"actor":…,"data":…,"index":…,"kind":…,
/// "subject":…,"time":…}` (RFC 8785 key order) with the row's index and
/// columns. The data in the middle is covered by the leaf hash, the tree
/// and the signed checkpoints. Keeps its buffers between rows: a log is
/// checked without an allocation per entry.
#[derive(Debug, Default)]
struct ColumnCheck {
    head: String,
    tail: String,
}

impl ColumnCheck {
    fn matches(&mut self, row: &LedgerRowRef<'_>) -> bool {
        use std::fmt::Write as _;
        let Ok(time) = Timestamp::from_microsecond(row.time_us) else {
            return false;
        };
        self.head.clear();
        self.head.push_str("{\"actor\":");
        crate::jcs::write_string(row.actor, &mut self.head);
        self.head.push_str(",\"data\":");
        self.tail.clear();
        let _ = write!(self.tail, ",\"index\":{},\"kind\":", row.idx);
        crate::jcs::write_string(row.kind, &mut self.tail);
        self.tail.push_str(",\"subject\":");
        crate::jcs::write_string(row.subject, &mut self.tail);
        self.tail.push_str(",\"time\":\"");
        if crate::entry::write_time(time, &mut self.tail).is_err() {
            return false;
        }
        self.tail.push_str("\"}");
        row.entry.len() > self.head.len() + self.tail.len()
            && row.entry.starts_with(self.head.as_bytes())
            && row.entry.ends_with(self.tail.as_bytes())
    }
}
