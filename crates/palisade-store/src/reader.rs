//! A read-only SQLite connection used on the caller's own thread, for the ledger's hot
//! point reads (the nodes and leaf hashes of a proof).
//!
//! sqlx runs each SQLite statement on a worker thread: a query costs two thread hand-offs,
//! which on a small machine take longer than the B-tree lookup itself (tens of
//! microseconds against a few). A proof is one small query, so it is served here, in the
//! calling thread, and the pool is kept for everything else.
//!
//! The reader never decides an answer on its own: when it is busy (another thread is
//! using it), cannot open, or its query fails or returns something unexpected, the caller
//! asks the pool, whose path also names what is missing. So an error here only costs time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How long a read waits for a lock (only WAL recovery by another connection takes one).
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// The lazily opened connection of one SQLite file.
pub(crate) struct Reader {
    path: PathBuf,
    /// `None` until first used, and again after the connection failed to open.
    conn: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("path", &self.path).finish()
    }
}

impl Reader {
    pub(crate) fn new(path: &Path) -> Reader {
        Reader {
            path: path.to_path_buf(),
            conn: Mutex::new(None),
        }
    }

    /// Runs `read` on the connection, opening it first if needed. `None` when the reader
    /// is in use by another thread, cannot be opened, or `read` fails: the caller then
    /// uses the pool.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        let mut slot = self.conn.try_lock().ok()?;
        if slot.is_none() {
            *slot = Some(self.open().ok()?);
        }
        let conn = slot.as_ref()?;
        read(conn).ok()
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // As the pool does: pages are mapped, not copied out of the OS cache.
        conn.pragma_update(None, "mmap_size", 1_073_741_824_i64)?;
        Ok(conn)
    }
}
