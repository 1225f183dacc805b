//! `palisade init`: a starter model for the current git repository.
//!
//! This module gathers the facts (top-level directories, CODEOWNERS,
//! `.mailmap`, the authors and changed directories of every commit of `HEAD`'s
//! history, read with gix); `palisade_model::starter_model` does the guessing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::Context as _;
use gix::ObjectId;
use gix::bstr::ByteSlice as _;
use palisade_model::{Level, RepoFacts, Source, starter_model};
use serde_json::json;

use super::check::count;
use crate::cli::InitArgs;
use crate::output::Output;

/// The innermost directory at or above `start` that holds a `.git`.
fn repo_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

const CODEOWNERS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// Top-level trees kept decoded while walking: a commit's tree is read again
/// as its child's parent side, usually soon after.
const TREE_CACHE: usize = 1024;

/// The top-level entries of a tree: name → object id.
type TopLevel = HashMap<Vec<u8>, ObjectId>;

struct Trees<'r> {
    repo: &'r gix::Repository,
    cache: HashMap<ObjectId, Rc<TopLevel>>,
}

impl Trees<'_> {
    fn top_level(&mut self, tree: ObjectId) -> anyhow::Result<Rc<TopLevel>> {
        if let Some(t) = self.cache.get(&tree) {
            return Ok(Rc::clone(t));
        }
        let object = self.repo.find_tree(tree)?;
        let decoded = object.decode()?;
        let entries: TopLevel = decoded
            .entries
            .iter()
            .map(|e| (e.filename.to_vec(), e.oid.to_owned()))
            .collect();
        if self.cache.len() >= TREE_CACHE {
            self.cache.clear();
        }
        let entries = Rc::new(entries);
        self.cache.insert(tree, Rc::clone(&entries));
        Ok(entries)
    }

    /// The tree of commit `id`.
    fn tree_of(&self, id: ObjectId) -> anyhow::Result<ObjectId> {
        Ok(self.repo.find_commit(id)?.tree_id()?.detach())
    }
}

fn lossy(bytes: &[u8]) -> String {
    bytes.to_str_lossy().into_owned()
}

/// Adds every commit of `HEAD`'s history to `facts`: its author, author time
/// and the top-level entries it changed (against its parent; merges change
/// none, as in `git log`; a root commit changes all it has). Returns how many
/// commits there were; an unborn `HEAD` has none.
fn read_history(root: &Path, facts: &mut RepoFacts) -> anyhow::Result<usize> {
    let fail = |what: &str| {
        format!(
            "cannot read {what} of the git repository at {}; check it with `git log` and `git fsck`",
            root.display()
        )
    };
    let mut repo = gix::open(root).with_context(|| {
        format!(
            "cannot open the git repository at {}; check that it is readable and intact (`git fsck`)",
            root.display()
        )
    })?;
    repo.object_cache_size_if_unset(16 << 20);
    let head = repo.head().with_context(|| fail("HEAD"))?;
    let Some(tip) = head.id().map(|id| id.detach()) else {
        return Ok(0);
    };
    let walk = repo
        .rev_walk([tip])
        .all()
        .with_context(|| fail("the history"))?;
    let mut trees = Trees {
        repo: &repo,
        cache: HashMap::new(),
    };
    let mut count = 0;
    for info in walk {
        let info = info.with_context(|| fail("the history"))?;
        let commit = info
            .object()
            .with_context(|| fail(&format!("commit {}", info.id)))?;
        let author = commit
            .author()
            .with_context(|| fail(&format!("the author of commit {}", info.id)))?;
        let tree = commit
            .tree_id()
            .with_context(|| fail(&format!("the tree of commit {}", info.id)))?
            .detach();
        let paths: Vec<String> = match info.parent_ids.as_slice() {
            [] => trees
                .top_level(tree)
                .with_context(|| fail(&format!("the tree of commit {}", info.id)))?
                .keys()
                .map(|k| lossy(k))
                .collect(),
            [parent] => {
                let ours = trees
                    .top_level(tree)
                    .with_context(|| fail(&format!("the tree of commit {}", info.id)))?;
                // A parent cut off by a shallow clone leaves the change unknown.
                match trees.tree_of(*parent).and_then(|t| trees.top_level(t)) {
                    Ok(theirs) => changed(&ours, &theirs),
                    Err(_) => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        facts.add_commit(
            &lossy(author.name),
            &lossy(author.email),
            author.seconds(),
            paths,
        );
        count += 1;
    }
    Ok(count)
}

/// The names whose entries differ between two top-level trees, sorted.
fn changed(ours: &TopLevel, theirs: &TopLevel) -> Vec<String> {
    let mut names: Vec<String> = ours
        .iter()
        .filter(|(name, id)| theirs.get(*name) != Some(id))
        .map(|(name, _)| lossy(name))
        .chain(
            theirs
                .keys()
                .filter(|name| !ours.contains_key(*name))
                .map(|name| lossy(name)),
        )
        .collect();
    names.sort();
    names
}

/// The text of a file at the repository root, if there is one.
fn read_optional(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

pub fn run(args: &InitArgs, out: &Output) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = repo_root(&cwd).with_context(|| {
        format!("{} is not inside a git repository; run `palisade init` from your repository (or `git init` first)", cwd.display())
    })?;
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| root.join("palisade.toml"));
    if target.exists() && !args.force {
        anyhow::bail!(
            "{} already exists; pass --force to overwrite it, or --output to write elsewhere",
            target.display()
        );
    }

    let mut top_dirs = Vec::new();
    for entry in
        std::fs::read_dir(&root).with_context(|| format!("cannot list {}", root.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_dir()
            && let Some(name) = entry.file_name().to_str()
        {
            top_dirs.push(name.to_owned());
        }
    }
    top_dirs.sort();
    let codeowners_path = CODEOWNERS
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_file());
    let codeowners = match &codeowners_path {
        Some(p) => Some(
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
        None => None,
    };
    let mailmap = read_optional(&root.join(".mailmap"))?;
    let timezone = jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_owned();
    let name = root
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("my-org")
        .to_owned();
    let mut facts = RepoFacts {
        name,
        top_dirs,
        codeowners,
        timezone,
        mailmap,
        ..RepoFacts::default()
    };
    let commits = read_history(&root, &mut facts)?;
    let text = starter_model(&facts)?;

    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&target, &text).with_context(|| format!("cannot write {}", target.display()))?;

    let source = Source::new(target.display().to_string(), text);
    let checked = palisade_model::check(&source, super::today(None)?);
    let model = checked.model.as_ref();
    let services = model.map_or(0, |m| m.services.len());
    let people: Vec<&str> = model.map_or_else(Vec::new, |m| {
        m.people.iter().map(|p| p.handle.as_str()).collect()
    });
    // With one person nobody can be a backup owner: the model says so, and
    // those errors are the user's to resolve, not a failure of `init`.
    let only_one = people.len() == 1;
    let unexpected = checked
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .filter(|d| !(only_one && d.code == "missing-backup-owner"))
        .count();

    let mut sources = vec!["the top-level directories".to_owned()];
    if commits > 0 {
        sources.push(format!(
            "{commits} commit{} of git history",
            if commits == 1 { "" } else { "s" }
        ));
    }
    if facts.mailmap.is_some() {
        sources.push(".mailmap".to_owned());
    }
    if let Some(p) = &codeowners_path {
        sources.push(p.strip_prefix(&root).unwrap_or(p).display().to_string());
    }
    let from = match sources.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => sources.join(""),
    };

    if out.json() {
        out.print_json(&json!({
            "written": target.display().to_string(),
            "services": services,
            "people": people,
            "commits": commits,
            "mailmap": facts.mailmap.is_some(),
            "codeowners": codeowners_path.map(|p| p.display().to_string()),
            "errors": checked.errors(),
            "warnings": checked.warnings(),
        }))?;
    } else {
        if unexpected > 0 {
            out.diagnostics(&source, &checked.diagnostics)?;
        }
        out.line(format!(
            "wrote {} with {} and {} guessed from {from}",
            target.display(),
            count(services, "service"),
            count(people.len(), "person"),
        ))?;
        if only_one {
            out.line(format!(
                "only {} was found, so no service has a backup owner yet: add a second person to {} and name them `backup_owner` of each service",
                people.first().copied().unwrap_or_default(),
                target.display()
            ))?;
        }
        out.line("next: check the guessed people, owners, hours and risk tiers, then run `palisade check`")?;
    }
    if unexpected > 0 {
        anyhow::bail!(
            "the starter model has {unexpected} error(s), shown above; fix them by hand (an unusual directory name?) and run `palisade check`"
        );
    }
    Ok(ExitCode::SUCCESS)
}
