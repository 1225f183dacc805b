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

use crate::read::{Bounded, MAX_LINE, read_line_bounded};

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
    /// The file became shorter than what was read: reading starts again at
    /// its start.
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
                Start::Beginning => (Tail::new(path, file, id, 0, 0)?, Opened::AtStart),
                Start::End => {
                    let (offset, lines) = last_line_end(&mut file, path)?;
                    (
                        Tail::new(path, file, id, offset, lines)?,
                        Opened::AtEnd { lines },
                    )
                }
            });
        };
        if saved.file == id {
            if holds(&file, &meta, saved, path)? {
                let tail = Tail::new(path, file, id, saved.offset, saved.line)?;
                return Ok((tail, Opened::Resumed(*saved)));
            }
            let opened = Opened::Truncated {
                size: meta.len(),
                offset: saved.offset,
            };
            return Ok((Tail::new(path, file, id, 0, 0)?, opened));
        }
        if let Some((rotated, old)) = find_rotated(path, saved) {
            let tail = Tail::new(path, old, saved.file, saved.offset, saved.line)?;
            let opened = Opened::Rotated {
                rotated: Some(rotated),
            };
            return Ok((tail, opened));
        }
        let opened = Opened::Rotated { rotated: None };
        Ok((Tail::new(path, file, id, 0, 0)?, opened))
    }

    fn new(
        path: &Path,
        mut file: File,
        id: FileId,
        offset: u64,
        line: u64,
    ) -> Result<Tail, FollowError> {
        file.seek(SeekFrom::Start(offset))
            .map_err(|source| read_error(path, source))?;
        Ok(Tail {
            path: path.to_owned(),
            reader: BufReader::with_capacity(64 * 1024, file),
            file: id,
            offset,
            line,
            buf: Vec::new(),
            pending: 0,
            cut: false,
            handed: false,
            drained: false,
        })
    }

    /// The position after the last line handed out: where a restart resumes
    /// once what was done with the lines up to it is stored. Reads the bytes
    /// of its fingerprint.
    pub fn position(&self) -> Result<Position, FollowError> {
        Ok(Position {
            file: self.file,
            offset: self.offset,
            line: self.line,
            fingerprint: fingerprint(self.reader.get_ref(), self.offset, &self.path)?,
        })
    }

    /// The next complete line, or what happened instead. Never blocks: at
    /// the end of what is written it returns [`Next::Idle`].
    pub fn next_line(&mut self) -> Result<Next<'_>, FollowError> {
        if std::mem::take(&mut self.handed) {
            self.buf.clear();
        }
        loop {
            let read: Bounded = read_line_bounded(&mut self.reader, &mut self.buf, MAX_LINE)
                .map_err(|source| read_error(&self.path, source))?;
            self.pending += read.consumed as u64;
            self.cut |= read.cut;
            if read.ended {
                self.offset += std::mem::take(&mut self.pending);
                self.line += 1;
                self.handed = true;
                if std::mem::take(&mut self.cut) {
                    return Ok(Next::TooLong { number: self.line });
                }
                let mut record: &[u8] = &self.buf;
                record = record.strip_suffix(b"\n").unwrap_or(record);
                record = record.strip_suffix(b"\r").unwrap_or(record);
                return Ok(Next::Line {
                    number: self.line,
                    record,
                });
            }
            // The end of what is written, with half a line read at most:
            // is the name still this file, and is it still as long?
            let meta = match std::fs::metadata(&self.path) {
                Ok(meta) => meta,
                // Between a rotation's rename and the new file: wait.
                Err(_) => return Ok(Next::Idle),
            };
            if FileId::of(&meta) != self.file {
                // A writer may have added lines just before the file was
                // moved: read it once more before leaving it.
                if !std::mem::replace(&mut self.drained, true) {
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
                *self = Tail::new(&self.path, file, FileId::of(&meta), 0, 0)?;
                return Ok(Next::Rotated { unfinished });
            }
            self.drained = false;
            if meta.len() < self.offset + self.pending {
                self.reader
                    .seek(SeekFrom::Start(0))
                    .map_err(|source| read_error(&self.path, source))?;
                self.offset = 0;
                self.line = 0;
                self.buf.clear();
                self.pending = 0;
                self.cut = false;
                return Ok(Next::Truncated);
            }
            return Ok(Next::Idle);
        }
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

/// The offset after the file's last `\n`, and how many lines end before it.
fn last_line_end(file: &mut File, path: &Path) -> Result<(u64, u64), FollowError> {
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut at, mut end, mut lines) = (0u64, 0u64, 0u64);
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => return Ok((end, lines)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(path, e)),
        };
        for i in memchr::memchr_iter(b'\n', &chunk[..n]) {
            lines += 1;
            end = at + i as u64 + 1;
        }
        at += n as u64;
    }
}

/// The fingerprint of the bytes of `file` before `offset` (the file must
/// be at least that long). Leaves the file's cursor where it is.
fn fingerprint(file: &File, offset: u64, path: &Path) -> Result<[u8; 32], FollowError> {
    let from = offset.saturating_sub(FINGERPRINT_SPAN);
    let mut bytes = [0u8; FINGERPRINT_SPAN as usize];
    let bytes = &mut bytes[..usize::try_from(offset - from).unwrap_or(0)];
    file.read_exact_at(bytes, from)
        .map_err(|source| read_error(path, source))?;
    Ok(Sha256::digest(bytes).into())
}

/// Whether `file` (described by `meta`) still holds `saved`: long enough,
/// with the same bytes before it.
fn holds(file: &File, meta: &Metadata, saved: &Position, path: &Path) -> Result<bool, FollowError> {
    Ok(meta.len() >= saved.offset && fingerprint(file, saved.offset, path)? == saved.fingerprint)
}

/// The file beside `path` whose name starts with its name (`auth.log.1`,
/// `auth.log-20261206`) and that is the saved position's file, still holding
/// it: where a rotation moved it.
fn find_rotated(path: &Path, saved: &Position) -> Option<(PathBuf, File)> {
    let name = path.file_name()?.to_str()?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.len() > name.len() && n.starts_with(name))
        })
        // Named as `path` names its directory.
        .map(|entry| path.with_file_name(entry.file_name()))
        .collect();
    candidates.sort();
    candidates.into_iter().find_map(|candidate| {
        let meta = std::fs::symlink_metadata(&candidate).ok()?;
        if !meta.is_file() || FileId::of(&meta) != saved.file {
            return None;
        }
        let (file, meta) = open_file(&candidate).ok()?;
        let same =
            FileId::of(&meta) == saved.file && holds(&file, &meta, saved, &candidate).ok()?;
        same.then_some((candidate, file))
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
                Next::Line { number, record } => {
                    seen.push(format!("{number}:{}", String::from_utf8_lossy(record)));
                }
                Next::TooLong { number } => seen.push(format!("{number}:too long")),
                Next::Rotated { unfinished } => seen.push(format!("rotated({unfinished})")),
                Next::Truncated => seen.push("truncated".to_owned()),
                Next::Idle => return seen,
            }
        }
    }

    #[test]
    fn a_half_line_at_the_end_waits_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntw").unwrap();
        let (mut tail, opened) = Tail::open(&log, None, Start::Beginning).unwrap();
        assert_eq!(opened, Opened::AtStart);
        assert_eq!(drain(&mut tail), ["1:one"]);
        assert_eq!(tail.position().unwrap().offset, 4, "not past the half line");
        assert_eq!(drain(&mut tail), Vec::<String>::new());
        append(&log, b"o\r\nthree\n");
        assert_eq!(drain(&mut tail), ["2:two", "3:three"]);
        assert_eq!(tail.position().unwrap().offset, 15);
        assert_eq!(tail.position().unwrap().line, 3);
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
        let old = tail.position().unwrap().file;
        append(&log, b"two\nhalf");
        std::fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
        // Between the rename and the new file: nothing to do.
        assert_eq!(drain(&mut tail), ["2:two"]);
        std::fs::write(&log, "new one\n").unwrap();
        // Written to the old file after it was moved: still read.
        append(&dir.path().join("auth.log.1"), b"three\n");
        assert_eq!(drain(&mut tail), ["3:halfthree", "rotated(0)", "1:new one"]);
        assert_ne!(tail.position().unwrap().file, old);
        assert_eq!(
            (
                tail.position().unwrap().offset,
                tail.position().unwrap().line
            ),
            (8, 1)
        );
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
        let id = tail.position().unwrap().file;
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&log)
            .unwrap();
        append(&log, b"x\n");
        assert_eq!(drain(&mut tail), ["truncated", "1:x"]);
        assert_eq!(tail.position().unwrap().file, id, "the same file");
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
        let len = std::fs::metadata(&log).unwrap().len();
        assert_eq!(tail.position().unwrap().offset, len);
    }

    #[test]
    fn a_saved_position_is_resumed_when_the_file_still_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "one\ntwo\n").unwrap();
        let (mut tail, _) = Tail::open(&log, None, Start::Beginning).unwrap();
        drain(&mut tail);
        let saved = tail.position().unwrap();
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
        let saved = tail.position().unwrap();
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
        let saved = tail.position().unwrap();
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
        assert_eq!(drain(&mut tail), ["2:two", "rotated(0)", "1:new"]);

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
