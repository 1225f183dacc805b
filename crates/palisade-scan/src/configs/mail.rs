//! msmtp's and esmtp's configuration (`~/.msmtprc`, `~/.esmtprc`): lines of a command and
//! its argument, the SMTP password among them as `password <value>` or `password
//! "<value>"`. A file of this name stores the password the mail client sends, so the
//! value is reported whatever words it holds (`checks::stored_rejection`); `passwordeval`
//! runs a command to get it and holds none.
//! <https://marlam.de/msmtp/msmtp.html#Authentication-commands>,
//! <https://esmtp.sourceforge.net/esmtprc.html>

use super::{Sink, lines};

/// Whether a file name (lowercase) is a mail client's configuration read here.
pub(super) fn is_mail_client_config(name: &str) -> bool {
    matches!(
        name.strip_prefix('.').unwrap_or(name),
        "msmtprc" | "esmtprc"
    )
}

pub(super) fn read(data: &[u8], sink: &mut Sink) {
    for (line_start, line) in lines(data) {
        let lead = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let Some(rest) = line[lead..].strip_prefix(b"password") else {
            continue;
        };
        let gap = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        if gap == 0 {
            // `passwordeval`, or a word that only starts like the command.
            continue;
        }
        let mut at = lead + b"password".len() + gap;
        // Trailing blanks are not part of the value.
        let mut value = line[at..].trim_ascii_end();
        if let [quote @ (b'"' | b'\''), inner @ .., last] = value
            && last == quote
        {
            value = inner;
            at += 1;
        }
        sink.credential(line_start + at..line_start + at + value.len(), value);
    }
}
