//! A tiled log in a directory, and the reader trait verification works over
//! (so it can check a log in memory, or one fetched from elsewhere, the same way).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Where a tiled log's files are read from, by their path in the log (`tile/0/000`).
pub trait TileReader {
    /// The file's bytes, or `None` when there is no such file.
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;
}

impl TileReader for BTreeMap<String, Vec<u8>> {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.get(path).cloned())
    }
}

/// A tiled log in a directory of the file system.
#[derive(Debug, Clone)]
pub struct Dir {
    root: PathBuf,
}

impl Dir {
    /// The tiled log in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Dir { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the log's file `path` is.
    pub fn path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// Whether the log's file `path` exists.
    pub fn exists(&self, path: &str) -> io::Result<bool> {
        match std::fs::symlink_metadata(self.path(path)) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes the log's file `path` atomically: to a temporary file beside it,
    /// renamed over it, so a reader sees the old file or the new one, never half.
    pub fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let target = self.path(path);
        let parent = target.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(parent)?;
        let mut name = target.file_name().unwrap_or_default().to_owned();
        name.push(format!(".tmp-{}", std::process::id()));
        let temporary = target.with_file_name(name);
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &target).inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
    }

    /// Removes the directory `path` of the log and all it holds, if present.
    pub fn remove_dir(&self, path: &str) -> io::Result<()> {
        match std::fs::remove_dir_all(self.path(path)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

impl TileReader for Dir {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            // A path through a file (`tile/0/000` a file where `000.p/` should be).
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => Ok(None),
            Err(e) => Err(e),
        }
    }
}
