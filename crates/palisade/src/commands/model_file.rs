//! Writing the model file back after a command changed it (offboarding,
//! access reviews): whole or not at all.

use std::path::Path;

use anyhow::Context as _;

/// Replaces `path` with `text` through a temporary file in the same
/// directory and a rename, so that a reader never sees half a model. A file
/// marked read-only is left alone even where the rename would succeed.
pub(super) fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}'s permissions", path.display()))?;
    if meta.permissions().readonly() {
        anyhow::bail!("{} is read-only", path.display());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "palisade.toml".to_owned());
    let tmp = dir.join(format!(".{file_name}.palisade-{}.tmp", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {} beside it", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(meta.permissions())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
