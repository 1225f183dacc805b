//! The paths git tracks in a repository: its index (what the next commit
//! holds), or `HEAD`'s tree where there is no index (a bare clone).

use std::path::{Path, PathBuf};

/// Why the tracked paths could not be listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackedError {
    /// No git repository at or above the path.
    #[error(
        "{path}: not in a git repository ({message}); run it inside the repository, or pass the CODEOWNERS file of one"
    )]
    NotARepository {
        /// Where it looked.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
    /// The index or `HEAD` could not be read.
    #[error("{path}: cannot read the tracked files: {message}")]
    Unreadable {
        /// The repository.
        path: PathBuf,
        /// What gix said.
        message: String,
    },
}

/// The repository at or above `path`: its work tree (or git directory when
/// bare), and every path it tracks, sorted, `/`-separated, each once.
pub fn tracked_paths(path: &Path) -> Result<(PathBuf, Vec<String>), TrackedError> {
    let repo = gix::discover(path).map_err(|e| TrackedError::NotARepository {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    let index = repo
        .index_or_load_from_head_or_empty()
        .map_err(|e| TrackedError::Unreadable {
            path: root.clone(),
            message: e.to_string(),
        })?;
    let state: &gix::index::State = &index;
    let mut out: Vec<String> = state
        .entries()
        .iter()
        .map(|e| String::from_utf8_lossy(e.path(state)).into_owned())
        .collect();
    // A conflicted path has an entry per stage.
    out.dedup();
    Ok((root, out))
}
