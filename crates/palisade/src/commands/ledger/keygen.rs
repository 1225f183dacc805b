//! `ledger keygen`: the log's signing key, written readable by its owner only.

use super::*;

pub(super) fn keygen(
    args: &LedgerArgs,
    name: Option<&str>,
    output: Option<&Path>,
    force: bool,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let name = match name {
        Some(n) => n.to_owned(),
        None => load_org(&args.model)
            .map(|o| o.origin)
            .context("no --name given and the model's org.log_name could not be read")?,
    };
    let path = output
        .map(Path::to_path_buf)
        .or_else(|| args.key.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_KEY));
    if path.exists() && !force {
        bail!(
            "{} already exists; a new key would orphan every checkpoint signed so far. Pass --force to replace it anyway",
            path.display()
        );
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    let key = SignerKey::from_seed(&name, seed)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    write_private(&path, &key.private_key_text())?;
    let verifier = key.verifier().to_string();
    std::fs::write(path.with_extension("vkey"), format!("{verifier}\n"))?;
    if out.json() {
        out.print_json(&json!({"key_file": path.display().to_string(), "verifier_key": verifier}))?;
    } else {
        out.line(format!(
            "wrote the signing key to {} (mode 0600; keep it secret, back it up)",
            path.display()
        ))?;
        out.line(format!(
            "verifier key (publish it; also in {}):",
            path.with_extension("vkey").display()
        ))?;
        out.line(verifier)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a private key readable by its owner only, created so from the
/// start (never world-readable for a moment).
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(format!("{text}\n").as_bytes())?;
    file.sync_all()?;
    Ok(())
}
