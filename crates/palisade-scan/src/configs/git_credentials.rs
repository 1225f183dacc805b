//! git's credential store, `~/.git-credentials` (`git credential-store`): one URL a line,
//! `https://user:password@host`, the password percent-encoded. The file stores what git
//! sends, so each password is reported whatever words it holds
//! (`checks::stored_rejection`). The user information ends at the line's last `@`: a file
//! written by hand may leave an `@` or `#` of the password unencoded.
//! <https://git-scm.com/docs/git-credential-store#_storage_format>

use super::{Sink, lines, place};

/// Whether a file name (lowercase) is git's credential store.
pub(super) fn is_git_credentials(name: &str) -> bool {
    name == ".git-credentials" || name == "git-credentials"
}

pub(super) fn read(data: &[u8], sink: &mut Sink) {
    for (line_start, line) in lines(data) {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        let Some(scheme_end) = memchr::memmem::find(line, b"://") else {
            sink.problem(format!(
                "{} is not a URL (scheme://user:password@host)",
                place(data, line_start)
            ));
            continue;
        };
        let authority_start = scheme_end + 3;
        let Some(at) = memchr::memrchr(b'@', &line[authority_start..]) else {
            // A URL without user information stores no password.
            continue;
        };
        let userinfo = &line[authority_start..authority_start + at];
        let Some(colon) = memchr::memchr(b':', userinfo) else {
            continue;
        };
        let raw = authority_start + colon + 1..authority_start + at;
        let password = percent_decode(&line[raw.clone()]);
        sink.credential(line_start + raw.start..line_start + raw.end, &password);
    }
}

/// `%XX` decoded; a `%` not followed by two hex digits is kept as it is.
fn percent_decode(text: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%'
            && let (Some(high), Some(low)) = (
                text.get(i + 1).copied().and_then(hex),
                text.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}
