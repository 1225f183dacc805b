//! Which services own a path in a repository, without testing every glob.
//!
//! Most service globs claim a directory (`services/api/**`, `web/`, a plain
//! path): those go in a map from directory to services, and a path asks it
//! once for each of its ancestors. Other globs are filed under the
//! directory part of their literal prefix (`libs/api/*.rs` under `libs/api`,
//! `**/*.tf` under the root), so a path runs only the automata filed under
//! its own ancestors.

use super::identity::fold;
use super::{Map, ServiceId};
use crate::glob::Glob;

/// One repository's ownership table.
#[derive(Debug, Default)]
struct Table {
    /// Directory (no trailing `/`, `""` for the root) → services claiming
    /// everything below it, each with whether it claims the path itself too.
    directories: Map<Box<str>, Vec<(ServiceId, bool)>>,
    /// Directory of a literal prefix → (service, position in its `paths`)
    /// pairs whose globs run there.
    patterns: Map<Box<str>, Vec<(ServiceId, usize)>>,
}

/// The path-ownership index of every repository the model names.
#[derive(Debug, Default)]
pub(crate) struct PathIndex {
    /// Folded repository name (`""`: the repository that holds the model).
    repos: Map<Box<str>, Table>,
}

/// Each service's compiled globs, by position in its `paths`.
pub(crate) type ServiceGlobs = [Vec<Result<Glob, crate::glob::GlobError>>];

impl PathIndex {
    /// Files `glob` of `service` under each of `repos` (the model's own
    /// repository when empty).
    pub(crate) fn add(
        &mut self,
        service: ServiceId,
        position: usize,
        repos: &[String],
        glob: &Glob,
    ) {
        let keys: Vec<Box<str>> = if repos.is_empty() {
            vec!["".into()]
        } else {
            repos.iter().map(|r| fold(r).into()).collect()
        };
        let claim = glob
            .directory_claim()
            .map(|(d, itself)| (Box::<str>::from(d), itself));
        let dir: Box<str> = match glob.literal_prefix().rfind('/') {
            Some(i) => glob.literal_prefix()[..i].into(),
            None => "".into(),
        };
        for key in keys {
            let table = self.repos.entry(key).or_default();
            match &claim {
                Some((d, itself)) => table
                    .directories
                    .entry(d.clone())
                    .or_default()
                    .push((service, *itself)),
                None => table
                    .patterns
                    .entry(dir.clone())
                    .or_default()
                    .push((service, position)),
            }
        }
    }

    /// The services that own `path` in `repo` (`None`: the repository that
    /// holds the model), each once, in model order.
    pub(crate) fn owners(
        &self,
        globs: &ServiceGlobs,
        repo: Option<&str>,
        path: &str,
        out: &mut Vec<ServiceId>,
    ) {
        out.clear();
        let key = fold(repo.unwrap_or(""));
        let Some(table) = self.repos.get(key.as_ref()) else {
            return;
        };
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return;
        }
        // Each ancestor directory, the root first, then the path itself.
        let mut ends: Vec<usize> = Vec::with_capacity(8);
        ends.push(0);
        ends.extend(path.match_indices('/').map(|(i, _)| i));
        for &end in &ends {
            let dir = &path[..end];
            if let Some(claims) = table.directories.get(dir) {
                out.extend(claims.iter().map(|&(s, _)| s));
            }
            if let Some(patterns) = table.patterns.get(dir) {
                for &(s, g) in patterns {
                    let glob = globs[s.index()][g].as_ref();
                    if !out.contains(&s) && glob.is_ok_and(|g| g.matches(path)) {
                        out.push(s);
                    }
                }
            }
        }
        if let Some(claims) = table.directories.get(path) {
            out.extend(claims.iter().filter(|c| c.1).map(|&(s, _)| s));
        }
        out.sort_unstable();
        out.dedup();
    }
}
