//! Following a growing log by its name, as `tail -F` does: complete lines
//! only (a half-written last line waits for its end), at most [`MAX_LINE`]
//! bytes of a line held, across rotation (a new file under the name) and
//! truncation, and the [`Position`] to resume from after a restart, kept in
//! the store ([`save_checkpoint`]).
//!
//! It reads files and nothing else: what becomes of each line, and when a
//! position is stored, is the caller's. A caller that stores a position only
//! once everything read before it is stored reads every line at least once
//! across crashes, and exactly once across clean stops.

use std::fs::{File, Metadata};
use std::io::{BufReader, Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use palisade_store::{MonitorFollowRow, Store, StoreError};
use sha2::{Digest as _, Sha256};

use crate::read::{Bounded, MAX_LINE, read_line_bounded_seen};

/// A file's identity whatever its name: a renamed file keeps it, a new file
/// created under the old name does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The device it is on.
    pub device: u64,
    /// Its inode.
    pub inode: u64,
}

impl FileId {
    /// The identity `meta` describes.
    pub fn of(meta: &Metadata) -> FileId {
        FileId {
            device: meta.dev(),
            inode: meta.ino(),
        }
    }
}

/// Where reading stands in a file: just after the last complete line handed
/// out, and that line's number (0 before the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The file.
    pub file: FileId,
    /// The byte offset after the line.
    pub offset: u64,
    /// The line's number in the file, from 1.
    pub line: u64,
    /// The SHA-256 of the [`FINGERPRINT_SPAN`] bytes before `offset` (fewer
    /// near the start): a file found later with the same identity is the
    /// same file only if they are unchanged, since a deleted file's inode
    /// number is given to the next new file.
    pub fingerprint: [u8; 32],
}

/// How many bytes before a position its fingerprint covers.
pub const FINGERPRINT_SPAN: u64 = 256;

/// [`FINGERPRINT_SPAN`] as a length in memory.
const SPAN: usize = FINGERPRINT_SPAN as usize;

/// The last [`FINGERPRINT_SPAN`] bytes read of a file (all of them when it
/// was read from a nearer start): kept as reading goes, so a position's
/// fingerprint never needs the file again, which may have changed since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recent {
    bytes: [u8; SPAN],
    len: usize,
}

impl Recent {
    const EMPTY: Recent = Recent {
        bytes: [0; SPAN],
        len: 0,
    };

    /// Adds `more`, read just after what it holds.
    fn push(&mut self, more: &[u8]) {
        if let Some(last) = more.len().checked_sub(SPAN) {
            self.bytes.copy_from_slice(&more[last..]);
            self.len = SPAN;
            return;
        }
        // Kept: the last bytes held that still fit before `more`.
        let keep = self.len.min(SPAN - more.len());
        self.bytes.copy_within(self.len - keep..self.len, 0);
        self.bytes[keep..keep + more.len()].copy_from_slice(more);
        self.len = keep + more.len();
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.as_slice()).into()
    }

    /// The bytes of `file` before `end` (as many as a position's
    /// fingerprint covers), or `None` when it is shorter than `end`.
    /// Leaves the file's cursor where it is.
    fn before(file: &File, end: u64) -> std::io::Result<Option<Recent>> {
        let from = end.saturating_sub(FINGERPRINT_SPAN);
        let mut recent = Recent::EMPTY;
        // At most SPAN: the conversion cannot fail.
        recent.len = usize::try_from(end - from).unwrap_or(SPAN).min(SPAN);
        match file.read_exact_at(&mut recent.bytes[..recent.len], from) {
            Ok(()) => Ok(Some(recent)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Where to begin when there is no saved position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After the lines already there, as `tail -F` does.
    End,
    /// At the first line.
    Beginning,
}

/// How [`Tail::open`] began.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Opened {
    /// No saved position: after the `lines` complete lines already there.
    AtEnd {
        /// How many.
        lines: u64,
    },
    /// No saved position: at the first line.
    AtStart,
    /// At the saved position.
    Resumed(Position),
    /// The file under the name is not the saved position's: the log was
    /// rotated while it was not followed. The new file is read from its start.
    Rotated {
        /// The old file, found beside the new one under another name (its
        /// identity is the saved one): its rest, from the saved position, is
        /// read first. `None` when it is not there (deleted, or compressed
        /// into a new file): lines written to it after the saved position are
        /// not read.
        rotated: Option<PathBuf>,
    },
    /// The file under the name has the saved identity but does not hold the
    /// saved position (it is shorter, or the bytes before the position
    /// changed): it was truncated or rewritten, or it is a new file given
    /// the old one's inode number. It is read from its start.
    Truncated {
        /// Its size now.
        size: u64,
        /// The saved offset.
        offset: u64,
    },
}

/// What [`Tail::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next<'a> {
    /// A complete line, without its `\n` (nor a `\r` before it).
    Line {
        /// The file it is in, by the name it has now: the followed name, or,
        /// while the rest of a rotated file is read, the name it was moved
        /// to (`auth.log.1`) when that is found beside it.
        file: &'a Path,
        /// Its number in the file, from 1.
        number: u64,
        /// Its bytes.
        record: &'a [u8],
    },
    /// A complete line longer than [`MAX_LINE`] bytes: read past, not held.
    TooLong {
        /// Its number in the file.
        number: u64,
    },
    /// The name now holds a new file: the old one was read to its end, and
    /// reading goes on at the new one's start.
    Rotated {
        /// Bytes at the end of the old file that no `\n` ended, not read as
        /// a line.
        unfinished: u64,
    },
    /// The file no longer holds what was read: it became shorter, or the
    /// bytes just before where reading stands changed (emptied and written
    /// again, as logrotate's `copytruncate` does, even past where reading
    /// stood). Reading starts again at its start.
    Truncated,
    /// No complete line for now: ask again later.
    Idle,
}

/// Why a followed log cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// The file cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The path names a directory.
    #[error("{} is a directory: follow names one log file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A log followed by its name.
#[derive(Debug)]
pub struct Tail {
    /// The name followed.
    path: PathBuf,
    /// The name of the file being read: `path`, or where a rotation moved
    /// it while its rest is read.
    reading: PathBuf,
    reader: BufReader<File>,
    /// The file being read (after a rotation, no longer the one at `path`
    /// until its end is read).
    file: FileId,
    /// After the last complete line handed out.
    offset: u64,
    line: u64,
    /// The line being read (at most [`MAX_LINE`] bytes of it).
    buf: Vec<u8>,
    /// Bytes of it consumed past `offset`.
    pending: u64,
    /// Some of those bytes were dropped: it is longer than [`MAX_LINE`].
    cut: bool,
    /// `buf` holds the line handed out last.
    handed: bool,
    /// The name was seen to hold another file, and the old one was read once
    /// more since, for lines written just before it was moved.
    drained: bool,
    /// The bytes just before `offset`: the position's fingerprint.
    before: Recent,
    /// The bytes just before `offset + pending`, the last ones read.
    read: Recent,
    /// The last call found the end of what is written: before reading on,
    /// the file must still hold `read` where it was read, or it was
    /// truncated and written again meanwhile.
    idle: bool,
    /// The file was seen gone from the name, and where it went was looked
    /// for.
    sought: bool,
}

impl Tail {
    /// Opens the log at `path` at the `saved` position when the file there
    /// still holds it (the same identity, length and fingerprint), else as
    /// [`Opened`] says; with nothing saved, where `start` says.
    pub fn open(
        path: &Path,
        saved: Option<&Position>,
        start: Start,
    ) -> Result<(Tail, Opened), FollowError> {
        let (mut file, meta) = open_file(path)?;
        let id = FileId::of(&meta);
        let Some(saved) = saved else {
            return Ok(match start {
                Start::Beginning => (
                    Tail::new(path, path, file, id, 0, 0, Recent::EMPTY)?,
                    Opened::AtStart,
                ),
                Start::End => {
                    let (offset, lines, before) = last_line_end(&mut file, path)?;
                    (
                        Tail::new(path, path, file, id, offset, lines, before)?,
                        Opened::AtEnd { lines },
                    )
                }
            });
        };
        if saved.file == id {
            if let Some(before) = held(&file, &meta, saved, path)? {
                let tail = Tail::new(path, path, file, id, saved.offset, saved.line, before)?;
                return Ok((tail, Opened::Resumed(*saved)));
            }
            let opened = Opened::Truncated {
                size: meta.len(),
                offset: saved.offset,
            };
            return Ok((
                Tail::new(path, path, file, id, 0, 0, Recent::EMPTY)?,
                opened,
            ));
        }
        if let Some((rotated, old, before)) = find_rotated(path, saved) {
            let tail = Tail::new(
                path,
                &rotated,
                old,
                saved.file,
                saved.offset,
                saved.line,
                before,
            )?;
            let opened = Opened::Rotated {
                rotated: Some(rotated),
            };
            return Ok((tail, opened));
        }
        let opened = Opened::Rotated { rotated: None };
        Ok((
            Tail::new(path, path, file, id, 0, 0, Recent::EMPTY)?,
            opened,
        ))
    }

    /// Reading `file` (`id`), named `reading` now, at `offset` after line
    /// `line`, `before` being the bytes before `offset`.
    fn new(
        path: &Path,
        reading: &Path,
        mut file: File,
        id: FileId,
        offset: u64,
        line: u64,
        before: Recent,
    ) -> Result<Tail, FollowError> {
        file.seek(SeekFrom::Start(offset))
            .map_err(|source| read_error(reading, source))?;
        Ok(Tail {
            path: path.to_owned(),
            reading: reading.to_owned(),
            reader: BufReader::with_capacity(64 * 1024, file),
            file: id,
            offset,
            line,
            buf: Vec::new(),
            pending: 0,
            cut: false,
            handed: false,
            drained: false,
            before,
            read: before,
            idle: false,
            sought: false,
        })
    }

    /// The position after the last line handed out: where a restart resumes
    /// once what was done with the lines up to it is stored. Its fingerprint
    /// is of the bytes as they were read, kept in memory: the file is not
    /// read again, so whatever became of it since, this cannot fail.
    pub fn position(&self) -> Position {
        Position {
            file: self.file,
            offset: self.offset,
            line: self.line,
            fingerprint: self.before.fingerprint(),
        }
    }

    /// The next complete line, or what happened instead. Never blocks: at
    /// the end of what is written it returns [`Next::Idle`].
    pub fn next_line(&mut self) -> Result<Next<'_>, FollowError> {
        if std::mem::take(&mut self.handed) {
            self.buf.clear();
        }
        // Back after the end of what was written: whatever is there now is
        // read only if the file still holds, just before it, what was read.
        if std::mem::take(&mut self.idle) && !self.still_holds_what_was_read()? {
            self.read_again()?;
            return Ok(Next::Truncated);
        }
        loop {
            let read = &mut self.read;
            let bounded: Bounded =
                read_line_bounded_seen(&mut self.reader, &mut self.buf, MAX_LINE, |bytes| {
                    read.push(bytes);
                })
                .map_err(|source| read_error(&self.reading, source))?;
            self.pending += bounded.consumed as u64;
            self.cut |= bounded.cut;
            if bounded.ended {
                self.offset += std::mem::take(&mut self.pending);
                self.before = self.read;
                self.line += 1;
                self.handed = true;
                if std::mem::take(&mut self.cut) {
                    return Ok(Next::TooLong { number: self.line });
                }
                let record = crate::read::without_line_end(&self.buf);
                return Ok(Next::Line {
                    file: &self.reading,
                    number: self.line,
                    record,
                });
            }
            // The end of what is written, with half a line read at most:
            // is the name still this file, and is it still as long?
            self.idle = true;
            let meta = match std::fs::metadata(&self.path) {
                Ok(meta) => meta,
                // Between a rotation's rename and the new file: wait.
                Err(_) => {
                    self.seek_moved();
                    return Ok(Next::Idle);
                }
            };
            if FileId::of(&meta) != self.file {
                self.seek_moved();
                // A writer may have added lines just before the file was
                // moved: read it once more before leaving it.
                if !std::mem::replace(&mut self.drained, true) {
                    self.idle = false;
                    continue;
                }
                let (file, meta) = match open_file(&self.path) {
                    Ok(opened) => opened,
                    Err(FollowError::Open { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        return Ok(Next::Idle);
                    }
                    Err(e) => return Err(e),
                };
                let unfinished = self.pending;
                *self = Tail::new(
                    &self.path,
                    &self.path,
                    file,
                    FileId::of(&meta),
                    0,
                    0,
                    Recent::EMPTY,
                )?;
                return Ok(Next::Rotated { unfinished });
            }
            self.drained = false;
            if self.sought {
                // Moved back under the name.
                self.sought = false;
                self.reading.clone_from(&self.path);
            }
            if meta.len() < self.offset + self.pending {
                self.read_again()?;
                return Ok(Next::Truncated);
            }
            return Ok(Next::Idle);
        }
    }

    /// The file was found gone from the name: lines read from it from now
    /// on are told to be in the file beside it it was moved to, when there
    /// is one. Looked for once.
    fn seek_moved(&mut self) {
        if self.reading != self.path || std::mem::replace(&mut self.sought, true) {
            return;
        }
        if let Some(moved) = find_moved(&self.path, self.file) {
            self.reading = moved;
        }
    }

    /// Whether the file still holds the bytes last read where they were
    /// read. One that was emptied and written again (logrotate's
    /// `copytruncate`) does not, however long it has grown since.
    fn still_holds_what_was_read(&self) -> Result<bool, FollowError> {
        let now = Recent::before(self.reader.get_ref(), self.offset + self.pending)
            .map_err(|source| read_error(&self.reading, source))?;
        Ok(now.is_some_and(|now| now.as_slice() == self.read.as_slice()))
    }

    /// Goes back to the start of the file, forgetting what was read of it.
    fn read_again(&mut self) -> Result<(), FollowError> {
        self.reader
            .seek(SeekFrom::Start(0))
            .map_err(|source| read_error(&self.reading, source))?;
        self.offset = 0;
        self.line = 0;
        self.buf.clear();
        self.pending = 0;
        self.cut = false;
        self.before = Recent::EMPTY;
        self.read = Recent::EMPTY;
        Ok(())
    }
}

fn read_error(path: &Path, source: std::io::Error) -> FollowError {
    FollowError::Read {
        path: path.to_owned(),
        source,
    }
}

fn open_file(path: &Path) -> Result<(File, Metadata), FollowError> {
    let file = File::open(path).map_err(|source| FollowError::Open {
        path: path.to_owned(),
        source,
    })?;
    let meta = file.metadata().map_err(|source| read_error(path, source))?;
    if meta.is_dir() {
        return Err(FollowError::NotAFile {
            path: path.to_owned(),
        });
    }
    Ok((file, meta))
}

/// The offset after the file's last `\n`, how many lines end before it, and
/// the bytes before it.
fn last_line_end(file: &mut File, path: &Path) -> Result<(u64, u64, Recent), FollowError> {
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut at, mut end, mut lines) = (0u64, 0u64, 0u64);
    // What was read before this chunk, and before `end`.
    let (mut read, mut before) = (Recent::EMPTY, Recent::EMPTY);
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => return Ok((end, lines, before)),
            Ok(n) => n.min(chunk.len()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(path, e)),
        };
        let bytes = &chunk[..n];
        let mut last = None;
        for i in memchr::memchr_iter(b'\n', bytes) {
            lines += 1;
            last = Some(i + 1);
        }
        if let Some(upto) = last {
            end = at + upto as u64;
            before = read;
            before.push(&bytes[..upto]);
        }
        read.push(bytes);
        at += n as u64;
    }
}

/// The bytes before `saved`'s offset when `file` (described by `meta`)
/// still holds `saved` (long enough, with the same bytes before it), else
/// `None`.
fn held(
    file: &File,
    meta: &Metadata,
    saved: &Position,
    path: &Path,
) -> Result<Option<Recent>, FollowError> {
    if meta.len() < saved.offset {
        return Ok(None);
    }
    let before = Recent::before(file, saved.offset).map_err(|source| read_error(path, source))?;
    Ok(before.filter(|before| before.fingerprint() == saved.fingerprint))
}

/// The files beside `path` whose names start with its name (`auth.log.1`,
/// `auth.log-20261206`), in order, named as `path` names its directory:
/// where a rotation may have moved it.
fn beside(path: &Path) -> Vec<PathBuf> {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return Vec::new();
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut candidates: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.len() > name.len() && n.starts_with(name))
        })
        .map(|entry| path.with_file_name(entry.file_name()))
        .collect();
    candidates.sort();
    candidates
}

/// Whether `candidate` is a regular file (not a link to one) that is `id`.
fn is_file(candidate: &Path, id: FileId) -> bool {
    std::fs::symlink_metadata(candidate).is_ok_and(|meta| meta.is_file() && FileId::of(&meta) == id)
}

/// The name beside `path` of the file `id`, still open, that was moved
/// away from `path`. (While it is open, no other file can be given its
/// identity.)
fn find_moved(path: &Path, id: FileId) -> Option<PathBuf> {
    beside(path)
        .into_iter()
        .find(|candidate| is_file(candidate, id))
}

/// The file beside `path` that is the saved position's file, still holding
/// it, with the bytes before the position: where a rotation moved it.
fn find_rotated(path: &Path, saved: &Position) -> Option<(PathBuf, File, Recent)> {
    beside(path).into_iter().find_map(|candidate| {
        if !is_file(&candidate, saved.file) {
            return None;
        }
        let (file, meta) = open_file(&candidate).ok()?;
        if FileId::of(&meta) != saved.file {
            return None;
        }
        let before = held(&file, &meta, saved, &candidate).ok()??;
        Some((candidate, file, before))
    })
}

/// The name a followed log's position is kept under: `path` with its
/// directory made absolute and canonical (so `auth.log`, `./auth.log` and
/// `/var/log/auth.log` are one log), its file name as given (a symbolic link
/// followed by name stays that name).
pub fn checkpoint_key(path: &Path) -> Result<String, FollowError> {
    let Some(name) = path.file_name() else {
        return Err(FollowError::NotAFile {
            path: path.to_owned(),
        });
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let dir = dir.canonicalize().map_err(|source| FollowError::Open {
        path: path.to_owned(),
        source,
    })?;
    Ok(dir.join(name).to_string_lossy().into_owned())
}

/// The position saved for the log kept under `key` ([`checkpoint_key`]).
pub async fn load_checkpoint(store: &Store, key: &str) -> Result<Option<Position>, StoreError> {
    Ok(store
        .monitor_follow_checkpoint(key)
        .await?
        .map(|row| Position {
            file: FileId {
                device: row.device,
                inode: row.inode,
            },
            offset: row.offset,
            line: row.line,
            fingerprint: row.fingerprint,
        }))
}

/// Saves `position` for the log kept under `key`, replacing the last one.
/// Store it only once what was read before it is stored.
pub async fn save_checkpoint(
    store: &Store,
    key: &str,
    position: &Position,
    now: Timestamp,
) -> Result<(), StoreError> {
    store
        .monitor_save_follow_checkpoint(&MonitorFollowRow {
            path: key.to_owned(),
            device: position.file.device,
            inode: position.file.inode,
            offset: position.offset,
            line: position.line,
            fingerprint: position.fingerprint,
            updated_us: now.as_microsecond(),
        })
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write as _;

    use super::*;

    fn append(path: &Path, bytes: &[u8]) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        file.write_all(bytes).unwrap();
    }

    /// Every line until [`Next::Idle`], as text with its number; anything
    /// else that happened as a word.
    fn drain(tail: &mut Tail) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match tail.next_line().unwrap() {
                Next::Line { number, record, .. } => {
                    seen.push(format!("{number}:{}", String::from_utf8_lossy(record)));
                }
                Next::TooLong { number } => seen.push(format!("{number}:too long")),
                Next::Rotated { unfinished } => seen.push(format!("rotated({unfinished})")),
                Next::Truncated => seen.push("truncated".to_owned()),
                Next::Idle => return seen,
            }
        }
    }

    /// Every line until [`Next::Idle`] as [`drain`] has it, after the name
    /// of the file it is in.
    fn drain_named(tail: &mut Tail) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match tail.next_line().unwrap() {
                Next::Line {
                    file,
                    number,
                    record,
                } => seen.push(format!(
                    "{}:{number}:{}",
                    file.file_name().unwrap().to_string_lossy(),
                    String::from_utf8_lossy(record)
                )),
                Next::Rotated { .. } => seen.push("rotated".to_owned()),
                Next::Idle => return seen,
                other => seen.push(format!("{other:?}")),
            }
        }
    }

    /// The fingerprint of the bytes of `text` before `offset`.
    fn fingerprint_of(text: &[u8], offset: usize) -> [u8; 32] {
        Sha256::digest(&text[offset.saturating_sub(SPAN)..offset]).into()
    }

    /// `count` numbered lines, each `word` in it.
    fn numbered(word: &str, count: usize) -> String {
        (1..=count).map(|n| format!("{word} {n:03}\n")).collect()
    }

    fn copytruncate(path: &Path) {
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)
            .unwrap();
    }

    #[test]
    fn recent_keeps_the_last_span_bytes_however_they_come() {
        let text: Vec<u8> = (0..1_000u32).map(|i| (i % 251) as u8).collect();
        for piece in [1, 7, 255, 256, 257, 600] {
            let mut recent = Recent::EMPTY;
            for (i, chunk) in text.chunks(piece).enumerate() {
                recent.push(chunk);
                let end = (i * piece + chunk.len()).min(text.len());
                assert_eq!(
                    recent.as_slice(),
                    &text[end.saturating_sub(SPAN)..end],
                    "pieces of {piece}, after {end}"
                );
            }
        }
    }

    #[test]
    fn a_position_taken_after_the_file_was_truncated_is_where_reading_stood() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        // Longer than a fingerprint, in lines shorter than one.
        let text = numbered("line", 40);
        std::fs::write(&log, &text).unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail).len(), 40);
        // Emptied (copytruncate) after the lines were read, before the
        // position is taken: nothing to read it from, and no need to.
        copytruncate(&log);
        let position = tail.position();
        assert_eq!((position.offset, position.line), (text.len() as u64, 40));
        assert_eq!(
            position.fingerprint,
            fingerprint_of(text.as_bytes(), text.len())
        );
        // Written again with other bytes: the position is still of what was read.
        std::fs::write(&log, numbered("LINE", 40)).unwrap();
        assert_eq!(tail.position(), position);
        // The right fingerprint: the original file holds the position.
        std::fs::write(&log, &text).unwrap();
        let (_, opened) = Tail::open(&log, Some(&position), Start::End).unwrap();
        assert_eq!(opened, Opened::Resumed(position));
    }

    #[test]
    fn a_position_s_fingerprint_is_of_the_bytes_before_it_not_of_a_half_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        let text = numbered("line", 30);
        std::fs::write(&log, format!("{text}half")).unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        drain(&mut tail);
        assert_eq!(
            tail.position().fingerprint,
            fingerprint_of(text.as_bytes(), text.len())
        );
        // Started at the end: the bytes before it read while looking for it.
        let (tail, _) = Tail::open(&log, None, Start::End).unwrap();
        assert_eq!(
            tail.position().fingerprint,
            fingerprint_of(text.as_bytes(), text.len())
        );
    }

    #[test]
    fn a_copytruncate_then_growth_past_where_reading_stood_is_a_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        // Shorter than a fingerprint.
        std::fs::write(&log, "one\ntwo\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail), ["1:one", "2:two"]);
        copytruncate(&log);
        append(&log, b"alpha line\nbeta line\n");
        assert_eq!(
            drain(&mut tail),
            ["truncated", "1:alpha line", "2:beta line"]
        );

        // Longer than a fingerprint, and grown to many times what was read.
        let text = numbered("old", 40);
        std::fs::write(&log, &text).unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail).len(), 40);
        copytruncate(&log);
        append(&log, numbered("new", 120).as_bytes());
        let seen = drain(&mut tail);
        assert_eq!(seen.len(), 121, "{seen:?}");
        assert_eq!(seen[..2], ["truncated", "1:new 001"]);
        assert_eq!(tail.position().line, 120);

        // With half a line read: the half is not glued to other bytes.
        append(&log, b"half");
        assert_eq!(drain(&mut tail), Vec::<String>::new());
        copytruncate(&log);
        append(&log, numbered("again", 60).as_bytes());
        let seen = drain(&mut tail);
        assert_eq!(seen[..2], ["truncated", "1:again 001"]);
        assert_eq!(seen.len(), 61, "{seen:?}");
    }

    #[test]
    fn a_log_growing_as_usual_is_never_taken_for_a_truncated_one() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        let mut read = 0;
        for n in 1..=100 {
            append(&log, format!("line {n}\n").as_bytes());
            if n % 3 == 0 {
                append(&log, b"par");
                assert_eq!(drain(&mut tail), [format!("{}:line {n}", read + 1)]);
                read += 1;
                append(&log, b"tial\n");
            }
            read += drain(&mut tail).len();
        }
        assert_eq!(read, 100 + 33);
        let len = std::fs::metadata(&log).unwrap().len();
        assert_eq!(tail.position().offset, len);
    }

    #[test]
    fn a_half_line_at_the_end_waits_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntw").unwrap();
        let (mut tail, opened) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(opened, Opened::AtStart);
        assert_eq!(drain(&mut tail), ["1:one"]);
        assert_eq!(tail.position().offset, 4, "not past the half line");
        assert_eq!(drain(&mut tail), Vec::<String>::new());
        append(&log, b"o\r\nthree\n");
        assert_eq!(drain(&mut tail), ["2:two", "3:three"]);
        assert_eq!(tail.position().offset, 15);
        assert_eq!(tail.position().line, 3);
    }

    #[test]
    fn starting_at_the_end_skips_whole_lines_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntwo\nthr").unwrap();
        let (mut tail, opened) = Tail::open(&log, None, Start::End).unwrap();
        assert_eq!(opened, Opened::AtEnd { lines: 2 });
        assert_eq!(drain(&mut tail), Vec::<String>::new());
        // The line being written when it started is read whole.
        append(&log, b"ee\nfour\n");
        assert_eq!(drain(&mut tail), ["3:three", "4:four"]);
    }

    #[test]
    fn a_rotated_file_is_read_to_its_end_then_the_new_one_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail), ["1:one"]);
        let old = tail.position().file;
        append(&log, b"two\nhalf");
        std::fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
        // Between the rename and the new file: nothing to do.
        assert_eq!(drain(&mut tail), ["2:two"]);
        std::fs::write(&log, "new one\n").unwrap();
        // Written to the old file after it was moved: still read, under the
        // name it has now.
        append(&dir.path().join("auth.log.1"), b"three\n");
        assert_eq!(
            drain_named(&mut tail),
            ["auth.log.1:3:halfthree", "rotated", "auth.log:1:new one"]
        );
        assert_ne!(tail.position().file, old);
        assert_eq!((tail.position().offset, tail.position().line), (8, 1));
    }

    #[test]
    fn an_unfinished_line_of_a_rotated_file_is_counted_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\nhalf").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail), ["1:one"]);
        std::fs::remove_file(&log).unwrap();
        std::fs::write(&log, "new\n").unwrap();
        assert_eq!(drain(&mut tail), ["rotated(4)", "1:new"]);
    }

    #[test]
    fn a_truncated_file_is_read_again_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntwo\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail), ["1:one", "2:two"]);
        let id = tail.position().file;
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&log)
            .unwrap();
        append(&log, b"x\n");
        assert_eq!(drain(&mut tail), ["truncated", "1:x"]);
        assert_eq!(tail.position().file, id, "the same file");
    }

    #[test]
    fn an_overlong_line_is_skipped_in_bounded_memory_and_the_next_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, "first\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(drain(&mut tail), ["1:first"]);
        // Written in pieces, none with an end: held at most MAX_LINE bytes.
        let piece = vec![b'x'; MAX_LINE];
        for _ in 0..3 {
            append(&log, &piece);
            assert_eq!(drain(&mut tail), Vec::<String>::new());
            assert!(tail.buf.len() <= MAX_LINE, "{}", tail.buf.len());
        }
        append(&log, b"\nnext\n");
        assert_eq!(drain(&mut tail), ["2:too long", "3:next"]);
        let text = std::fs::read(&log).unwrap();
        assert_eq!(tail.position().offset, text.len() as u64);
        // Kept across the line not held: of the bytes as they are.
        assert_eq!(
            tail.position().fingerprint,
            fingerprint_of(&text, text.len())
        );
    }

    #[test]
    fn a_saved_position_is_resumed_when_the_file_still_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntwo\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        drain(&mut tail);
        let saved = tail.position();
        drop(tail);
        append(&log, b"three\n");
        let (mut tail, opened) = Tail::open(&log, Some(&saved), Start::End).unwrap();
        assert_eq!(opened, Opened::Resumed(saved));
        assert_eq!(drain(&mut tail), ["3:three"]);
    }

    #[test]
    fn a_saved_position_past_the_end_or_with_other_bytes_before_it_is_not_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntwo\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        drain(&mut tail);
        let saved = tail.position();
        drop(tail);
        let file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
        file.set_len(3).unwrap();
        let (mut tail, opened) = Tail::open(&log, Some(&saved), Start::End).unwrap();
        assert_eq!(opened, Opened::Truncated { size: 3, offset: 8 });
        append(&log, b"\n");
        assert_eq!(drain(&mut tail), ["1:one"]);
        // Rewritten past the position (or a new file given the inode):
        // other bytes before it.
        std::fs::write(&log, "a much longer first line\n").unwrap();
        let (_, opened) = Tail::open(&log, Some(&saved), Start::End).unwrap();
        assert_eq!(
            opened,
            Opened::Truncated {
                size: 25,
                offset: 8
            }
        );
    }

    #[test]
    fn rotated_while_stopped_the_rest_of_the_old_file_is_read_then_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        drain(&mut tail);
        let saved = tail.position();
        drop(tail);
        append(&log, b"two\n");
        let rotated = dir.path().join("auth.log.1");
        std::fs::rename(&log, &rotated).unwrap();
        std::fs::write(&log, "new\n").unwrap();
        std::fs::write(dir.path().join("auth.log.2.gz"), "older\n").unwrap();
        let (mut tail, opened) = Tail::open(&log, Some(&saved), Start::End).unwrap();
        assert_eq!(
            opened,
            Opened::Rotated {
                rotated: Some(rotated.clone())
            }
        );
        assert_eq!(
            drain_named(&mut tail),
            ["auth.log.1:2:two", "rotated", "auth.log:1:new"]
        );

        // The file with the old identity holds other bytes now: not it.
        std::fs::write(&rotated, "ONE\nTWO\n").unwrap();
        let (_, opened) = Tail::open(&log, Some(&saved), Start::End).unwrap();
        assert_eq!(opened, Opened::Rotated { rotated: None });

        // The old file gone: the new one from its start, and nothing else.
        std::fs::remove_file(&rotated).unwrap();
        let (mut tail, opened) = Tail::open(&log, Some(&saved), Start::End).unwrap();
        assert_eq!(opened, Opened::Rotated { rotated: None });
        assert_eq!(drain(&mut tail), ["1:new"]);
    }

    #[test]
    fn a_directory_or_a_missing_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Tail::open(dir.path(), None, Start::End).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let missing = dir.path().join("nope.log");
        let err = Tail::open(&missing, None, Start::End).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot open") && err.to_string().contains("nope.log"),
            "{err}"
        );
    }

    #[test]
    fn a_log_is_kept_under_one_key_however_its_directory_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let plain = checkpoint_key(&dir.path().join("auth.log")).unwrap();
        let dotted = checkpoint_key(&dir.path().join("sub/../auth.log")).unwrap();
        assert_eq!(plain, dotted);
        assert!(Path::new(&plain).is_absolute(), "{plain}");
        assert!(checkpoint_key(&dir.path().join("missing/auth.log")).is_err());
    }
}
