//! Evidence reader: a plain approvals file.
//!
//! One approval a line, `IDENTITY COMMIT`: who approved (a handle, login or
//! e-mail, resolved through the model's index later) and the full id of the commit
//! they approved. The commit is required: an approval of another commit must not
//! count for this one, and an approval that names none could be of anything. Blank
//! lines and lines starting with `#` are skipped; any other line is an error that
//! names it.

use super::{Approval, Evidence, EvidenceError, EvidenceKind, Facts, digest, full_commit};

/// Reads an approvals file.
///
/// # Errors
///
/// [`EvidenceError`] naming the first line that is not UTF-8 or not
/// `IDENTITY COMMIT` with a full commit id.
pub fn read(source: &str, bytes: &[u8]) -> Result<Evidence, EvidenceError> {
    let mut approvals = Vec::new();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let n = n + 1;
        let line = std::str::from_utf8(line)
            .map_err(|_| EvidenceError::new(source, format!("line {n}: not UTF-8 text")))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [by, commit] = fields[..] else {
            return Err(EvidenceError::new(
                source,
                format!(
                    "line {n}: expected `IDENTITY COMMIT`, found {} fields",
                    fields.len()
                ),
            )
            .help("write one approval a line: who approved and the full commit id they approved"));
        };
        let Some(commit) = full_commit(commit) else {
            return Err(EvidenceError::new(
                source,
                format!("line {n}: {commit:?} is not a full commit id (40 or 64 hex digits)"),
            ));
        };
        approvals.push(Approval {
            by: by.to_owned(),
            commit: Some(commit),
            at: None,
        });
    }
    Ok(Evidence {
        source: source.to_owned(),
        kind: EvidenceKind::Approvals,
        digest: digest(bytes),
        commit: None,
        facts: Facts::Approvals(approvals),
    })
}
