//! Writing the store-backed ledger as a tiled log, incrementally.
//!
//! Every file's content is fixed by its path for a given log (full tiles never
//! change, and a partial tile of width `W` always holds the same `W` hashes), so
//! once the directory's checkpoint is known to be a prefix of ours, a file
//! already present is left alone and only new and grown tiles are written. The
//! tiles are computed from the entries' bytes, level by level, and their root
//! must equal the checkpoint's before the checkpoint is replaced, last,
//! atomically. Partial tiles a full tile supersedes are removed after that.

use std::collections::HashMap;
use std::io;

use jiff::Timestamp;
use palisade_store::{LedgerEntryRun, LedgerRow, StoreError};

use super::codec::{encode_entry_bundle, encode_hash_tile};
use super::{
    CHECKPOINT, Dir, TILE_HEIGHT, TILE_WIDTH, TileReader, entries_path, level_count,
    root_from_partials, subtree_root, tile_count, tile_path, tile_width,
};
use crate::b64;
use crate::checkpoint::SignedCheckpoint;
use crate::ledger::{Ledger, LedgerError};
use crate::merkle::{EMPTY_ROOT, Hash, leaf_hash, verify_consistency};

/// What an export did.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The checkpoint now in the directory.
    pub checkpoint: SignedCheckpoint,
    /// The size of the checkpoint the directory held before (0 when none).
    pub previous: u64,
    /// Tiles and bundles written.
    pub written: u64,
    /// Tiles and bundles already present and left untouched.
    pub kept: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The ledger or its store failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file, in the directory.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The directory holds another log, or a later state of this one.
    #[error("{0}")]
    Conflict(String),
    /// The stored log is not what its checkpoint signs.
    #[error("{0}; run `palisade ledger verify`")]
    Inconsistent(String),
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Ledger(e.into())
    }
}

fn io_error(path: &str) -> impl FnOnce(io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `ledger` as a tiled log in `dir` at the size of its checkpoint now
/// (signed if the log has grown since the latest one and there is a signing
/// key; else the latest stored checkpoint).
pub async fn export_tiles(
    ledger: &Ledger,
    dir: &Dir,
    now: Timestamp,
) -> Result<Exported, ExportError> {
    let checkpoint = match ledger.checkpoint(now).await {
        Ok(c) => c,
        Err(LedgerError::NoSigner) => match ledger.latest_checkpoint().await? {
            Some(c) => c,
            None => return Err(LedgerError::NoSigner.into()),
        },
        Err(e) => return Err(e.into()),
    };
    let previous = previous_size(ledger, dir, &checkpoint).await?;
    let mut export = Export {
        ledger,
        dir,
        size: checkpoint.checkpoint.size,
        incremental: previous.is_some(),
        written: 0,
        kept: 0,
        completed: Vec::new(),
    };
    let root = export.tiles().await?;
    if root != checkpoint.checkpoint.root {
        return Err(ExportError::Inconsistent(format!(
            "the tiles computed from the entries have root {} at size {}, but the checkpoint's is {}",
            b64::encode(&root),
            export.size,
            b64::encode(&checkpoint.checkpoint.root)
        )));
    }
    dir.write(CHECKPOINT, checkpoint.to_string().as_bytes())
        .map_err(io_error(CHECKPOINT))?;
    // Partial tiles superseded by a full one: once the new checkpoint is out.
    for partials in &export.completed {
        dir.remove_dir(partials).map_err(io_error(partials))?;
    }
    Ok(Exported {
        checkpoint,
        previous: previous.unwrap_or(0),
        written: export.written,
        kept: export.kept,
    })
}

/// The size of the checkpoint in `dir`, once it is known to be a prefix of
/// `ours`; `None` when there is none (everything is then written).
async fn previous_size(
    ledger: &Ledger,
    dir: &Dir,
    ours: &SignedCheckpoint,
) -> Result<Option<u64>, ExportError> {
    let shown = dir.path(CHECKPOINT).display().to_string();
    let Some(bytes) = dir.read(CHECKPOINT).map_err(io_error(CHECKPOINT))? else {
        return Ok(None);
    };
    let old = SignedCheckpoint::parse(&bytes).map_err(|e| {
        ExportError::Conflict(format!(
            "{shown} is not a checkpoint ({e}); export to an empty directory or remove it"
        ))
    })?;
    let (old, new) = (&old.checkpoint, &ours.checkpoint);
    if old.origin != new.origin {
        return Err(ExportError::Conflict(format!(
            "{shown} is of the log {:?}, not {:?}; export to another directory",
            old.origin, new.origin
        )));
    }
    if old.size > new.size {
        return Err(ExportError::Conflict(format!(
            "{shown} is at size {}, beyond this log's checkpoint at {}: exporting would roll the tiles back",
            old.size, new.size
        )));
    }
    let consistent = if old.size == 0 {
        old.root == EMPTY_ROOT
    } else if old.size == new.size {
        old.root == new.root
    } else {
        let proof = ledger.consistency_proof(old.size, new.size).await?;
        verify_consistency(old.size, new.size, &old.root, &new.root, &proof).is_ok()
    };
    if !consistent {
        return Err(ExportError::Conflict(format!(
            "{shown} (size {}) is not a prefix of this log at size {}: the directory holds another log's tiles, or this log forked",
            old.size, new.size
        )));
    }
    Ok(Some(old.size))
}

struct Export<'a> {
    ledger: &'a Ledger,
    dir: &'a Dir,
    size: u64,
    incremental: bool,
    written: u64,
    kept: u64,
    /// `.p` directories of tiles written full in this export.
    completed: Vec<String>,
}

impl Export<'_> {
    /// Whether `path` must be written (else it is present and kept).
    fn needs(&mut self, path: &str) -> Result<bool, ExportError> {
        if self.incremental && self.dir.exists(path).map_err(io_error(path))? {
            self.kept += 1;
            return Ok(false);
        }
        Ok(true)
    }

    fn write(&mut self, path: &str, bytes: &[u8], width: u64) -> Result<(), ExportError> {
        self.dir.write(path, bytes).map_err(io_error(path))?;
        self.written += 1;
        if width == TILE_WIDTH && self.incremental {
            self.completed.push(format!("{path}.p"));
        }
        Ok(())
    }

    /// Writes every missing tile, level by level, and returns the root they make.
    async fn tiles(&mut self) -> Result<Hash, ExportError> {
        let size = self.size;
        let mut partials: Vec<Vec<Hash>> = Vec::new();

        // Level 0: entry bundles and leaf hashes, from the entries.
        let mut todo = Vec::new();
        for t in 0..tile_count(size) {
            let width = tile_width(size, t);
            let tile = self.needs(&tile_path(0, t, width))?;
            let bundle = self.needs(&entries_path(t, width))?;
            if tile || bundle {
                todo.push((t, tile, bundle));
            }
        }
        // The store is read here while a thread hashes, checks and writes what was
        // read before: the two take about as long, and there are two cores for them.
        let (send, receive) = std::sync::mpsc::sync_channel::<Chunk>(2);
        let writer = {
            let dir = self.dir.clone();
            let incremental = self.incremental;
            std::thread::spawn(move || write_level0(&dir, incremental, &receive))
        };
        let mut read_error = None;
        'read: for group in todo.chunk_by(|a, b| b.0 == a.0 + 1 && b.0 % 32 != 0) {
            let from = group[0].0 * TILE_WIDTH;
            let to = ((group[group.len() - 1].0 + 1) * TILE_WIDTH).min(size);
            match self.entries(from, to).await {
                Ok(rows) => {
                    let chunk = Chunk {
                        from,
                        rows,
                        tiles: group.to_vec(),
                    };
                    if send.send(chunk).is_err() {
                        break 'read; // The writer failed: its error is the one to report.
                    }
                }
                Err(e) => {
                    read_error = Some(e);
                    break 'read;
                }
            }
        }
        drop(send);
        let level0 = writer
            .join()
            .map_err(|_| ExportError::Inconsistent("the tile writer panicked".into()))??;
        if let Some(e) = read_error {
            return Err(e);
        }
        self.written += level0.written;
        self.completed.extend(level0.completed);
        // The roots of the full tiles built at the level below, by tile index.
        let mut built = level0.roots;
        let last_built = level0.last;
        partials.push(match last_built {
            Some(leaves) => leaves,
            None => {
                let from = size / TILE_WIDTH * TILE_WIDTH;
                self.ledger.store().ledger_leaf_hashes(from, size).await?
            }
        });

        // Higher levels: the roots just built, and stored nodes for the rest.
        let mut level = 1u8;
        while level_count(size, level) > 0 {
            let count = level_count(size, level);
            let mut next: HashMap<u64, Hash> = HashMap::new();
            let mut last_built = None;
            for t in 0..tile_count(count) {
                let width = tile_width(count, t);
                let path = tile_path(level, t, width);
                let is_last = t + 1 == tile_count(count);
                let write = self.needs(&path)?;
                if !(write || (is_last && width < TILE_WIDTH)) {
                    continue;
                }
                let hashes = self
                    .level_hashes(level, t * TILE_WIDTH, width, &built)
                    .await?;
                if write {
                    self.write(&path, &encode_hash_tile(&hashes), width)?;
                }
                if width == TILE_WIDTH {
                    next.insert(t, subtree_root(&hashes));
                } else {
                    last_built = Some(hashes);
                }
            }
            partials.push(last_built.unwrap_or_default());
            built = next;
            level += 1;
        }
        Ok(root_from_partials(&partials).unwrap_or(EMPTY_ROOT))
    }

    /// Entries `from..to` as read: a packed run, or rows when the run does not
    /// unpack cleanly (then a gap is named).
    async fn entries(&self, from: u64, to: u64) -> Result<Rows, ExportError> {
        let store = self.ledger.store();
        let run = store.ledger_entry_run(from, to).await?;
        if run.count() == to - from && run.rows().is_some() {
            return Ok(Rows::Run(run));
        }
        let rows = store.ledger_entries(from, to).await?;
        for (i, row) in rows.iter().enumerate() {
            if row.idx != from + i as u64 {
                return Err(ExportError::Inconsistent(format!(
                    "entry {} is missing from the store",
                    from + i as u64
                )));
            }
        }
        if rows.len() as u64 != to - from {
            return Err(ExportError::Inconsistent(format!(
                "entry {} is missing from the store",
                from + rows.len() as u64
            )));
        }
        Ok(Rows::Rows(rows))
    }

    /// The hashes of level `level` from index `first`, `width` of them: the
    /// roots of tiles built in this export, else the store's nodes (checked
    /// against the roots built).
    async fn level_hashes(
        &self,
        level: u8,
        first: u64,
        width: u64,
        built: &HashMap<u64, Hash>,
    ) -> Result<Vec<Hash>, ExportError> {
        let range = first..first + width;
        if range.clone().all(|j| built.contains_key(&j)) {
            return Ok(range.map(|j| built[&j]).collect());
        }
        let node_level = level * TILE_HEIGHT;
        let run = self
            .ledger
            .store()
            .ledger_node_run(node_level, first, first + width)
            .await?;
        let stored = run.hashes().ok_or_else(|| {
            ExportError::Inconsistent(format!(
                "the stored nodes of level {node_level} from {first} to {} are incomplete",
                first + width
            ))
        })?;
        for (j, hash) in range.zip(stored) {
            if built.get(&j).is_some_and(|b| b != hash) {
                return Err(ExportError::Inconsistent(format!(
                    "the stored node {j} of level {node_level} differs from the root of its entries' tile"
                )));
            }
        }
        Ok(stored.to_vec())
    }
}

/// Entries read from the store.
enum Rows {
    Run(LedgerEntryRun),
    Rows(Vec<LedgerRow>),
}

/// Consecutive level-0 tiles to write: their entries, from entry `from`, and for
/// each tile (index, write the hash tile, write the bundle).
struct Chunk {
    from: u64,
    rows: Rows,
    tiles: Vec<(u64, bool, bool)>,
}

/// What the level-0 writer did.
#[derive(Default)]
struct Level0 {
    written: u64,
    completed: Vec<String>,
    /// The roots of the full tiles written.
    roots: HashMap<u64, Hash>,
    /// The leaf hashes of the partial tile, when written.
    last: Option<Vec<Hash>>,
}

/// Hashes, checks and writes level-0 tiles and bundles as chunks arrive.
fn write_level0(
    dir: &Dir,
    incremental: bool,
    chunks: &std::sync::mpsc::Receiver<Chunk>,
) -> Result<Level0, ExportError> {
    let mut done = Level0::default();
    let mut write = |path: String, bytes: &[u8], width: u64| -> Result<(), ExportError> {
        dir.write(&path, bytes).map_err(io_error(&path))?;
        done.written += 1;
        if width == TILE_WIDTH && incremental {
            done.completed.push(format!("{path}.p"));
        }
        Ok(())
    };
    let mut roots = HashMap::new();
    let mut last = None;
    for chunk in chunks {
        let rows: Vec<(&[u8], &Hash)> = match &chunk.rows {
            Rows::Run(run) => run
                .rows()
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.entry, r.leaf_hash))
                .collect(),
            Rows::Rows(rows) => rows.iter().map(|r| (&r.entry[..], &r.leaf_hash)).collect(),
        };
        for (k, entries) in rows.chunks(TILE_WIDTH as usize).enumerate() {
            let t = chunk.from / TILE_WIDTH + k as u64;
            let Some(&(_, tile, bundle)) = chunk.tiles.iter().find(|g| g.0 == t) else {
                continue;
            };
            let width = entries.len() as u64;
            let mut leaves = Vec::with_capacity(entries.len());
            for (i, (entry, stored)) in entries.iter().enumerate() {
                let leaf = leaf_hash(entry);
                if leaf != **stored {
                    return Err(ExportError::Inconsistent(format!(
                        "entry {} no longer hashes to its stored leaf hash",
                        t * TILE_WIDTH + i as u64
                    )));
                }
                leaves.push(leaf);
            }
            if bundle {
                let bytes = encode_entry_bundle(entries.iter().map(|(e, _)| *e)).map_err(|i| {
                    ExportError::Inconsistent(format!(
                        "entry {} is {} bytes long, more than an entry bundle can hold (65,535)",
                        t * TILE_WIDTH + i as u64,
                        entries[i].0.len()
                    ))
                })?;
                write(entries_path(t, width), &bytes, width)?;
            }
            if tile {
                write(tile_path(0, t, width), &encode_hash_tile(&leaves), width)?;
            }
            if width == TILE_WIDTH {
                roots.insert(t, subtree_root(&leaves));
            } else {
                last = Some(leaves);
            }
        }
    }
    done.roots = roots;
    done.last = last;
    Ok(done)
}
