//! Where a history walk starts: every reference and `HEAD`, peeled through annotated tags,
//! and the stash with its reflog.

use std::collections::HashSet;
use std::path::Path;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::{Kind, TagRefIter};

use super::errors::{Errors, FSCK, GitError, missing, render, unreadable};
use super::graph::person;
use super::pack::{Found, Reader};

/// A ref or tag that points straight at a tree or a blob.
pub(super) struct OtherTip {
    pub(super) name: String,
    pub(super) id: ObjectId,
    pub(super) kind: Kind,
    pub(super) tagger: String,
    pub(super) time: i64,
}

#[derive(Default)]
pub(super) struct Tips {
    pub(super) commits: Vec<ObjectId>,
    pub(super) others: Vec<OtherTip>,
}

pub(super) fn collect_tips(
    repo: &gix::Repository,
    reader: &mut Reader<'_>,
    path: &Path,
    stash: bool,
    errors: &mut Errors,
) -> Result<Tips, GitError> {
    let refs_error = |e: &(dyn std::error::Error + 'static)| GitError::References {
        path: path.to_owned(),
        message: render(e),
    };
    let mut tips = Tips::default();
    let mut seen = HashSet::new();
    let platform = repo.references().map_err(|e| refs_error(&e))?;
    for reference in platform.all().map_err(|e| refs_error(&e))? {
        let mut reference = match reference {
            Ok(r) => r,
            Err(e) => {
                errors.push(
                    None,
                    format!("a reference could not be read: {}", render(&e)),
                );
                continue;
            }
        };
        let name = reference.name().as_bstr().to_str_lossy().into_owned();
        if !stash && name == "refs/stash" {
            continue;
        }
        match reference.follow_to_object() {
            Ok(id) => add_tip(reader, id.detach(), &name, &mut tips, &mut seen, errors),
            Err(e) => errors.push(
                None,
                format!("reference {name} could not be resolved: {}", render(&e)),
            ),
        }
    }
    if let Ok(id) = repo.head_id() {
        add_tip(reader, id.detach(), "HEAD", &mut tips, &mut seen, errors);
    }
    if stash && let Ok(Some(reference)) = repo.try_find_reference("refs/stash") {
        let mut log = reference.log_iter();
        if let Ok(Some(lines)) = log.all() {
            for line in lines.flatten() {
                add_tip(
                    reader,
                    line.new_oid(),
                    "refs/stash",
                    &mut tips,
                    &mut seen,
                    errors,
                );
            }
        }
    }
    Ok(tips)
}

/// Peels `id` through annotated tags and files it as a commit tip or an [`OtherTip`].
fn add_tip(
    reader: &mut Reader<'_>,
    mut id: ObjectId,
    name: &str,
    tips: &mut Tips,
    seen: &mut HashSet<ObjectId>,
    errors: &mut Errors,
) {
    let hash = reader.repo.object_hash();
    let (mut tagger, mut time) = (String::new(), 0);
    loop {
        if !seen.insert(id) {
            return;
        }
        let context = format!("(target of {name}) ");
        let (kind, data) = match reader.find(&id, u64::MAX) {
            Ok(Found::Object(kind, data)) => (kind, data),
            Ok(_) => return errors.push(Some(&id), missing("object", &id, &context)),
            Err(e) => {
                let message = format!("object {id} {context}could not be read: {e}; {FSCK}");
                return errors.push(Some(&id), message);
            }
        };
        match kind {
            Kind::Commit => return tips.commits.push(id),
            Kind::Tag => {
                if let Ok(Some(sig)) = TagRefIter::from_bytes(&data, hash).tagger() {
                    tagger = person(sig.name, sig.email);
                    time = sig.seconds();
                }
                match TagRefIter::from_bytes(&data, hash).target_id() {
                    Ok(target) => id = target,
                    Err(e) => {
                        return errors.push(Some(&id), unreadable("tag", &id, &context, &e));
                    }
                }
            }
            Kind::Tree | Kind::Blob => {
                let tip = OtherTip {
                    name: name.to_owned(),
                    id,
                    kind,
                    tagger,
                    time,
                };
                return tips.others.push(tip);
            }
        }
    }
}
