//! PostgreSQL's password file, `~/.pgpass` (`%APPDATA%\postgresql\pgpass.conf`): lines of
//! `hostname:port:database:username:password`, `#` comments, `\:` and `\\` escapes. The
//! `pgpass-password` rule's regex finds lines on the default port anywhere; here, in a
//! file that is one, every line counts.
//! <https://www.postgresql.org/docs/current/libpq-pgpass.html>

use super::{Sink, lines};
use crate::checks;

pub(super) fn read(data: &[u8], sink: &mut Sink) {
    for (index, (line_start, line)) in lines(data).enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) || line.starts_with(b"#") {
            continue;
        }
        // The first four fields, then the password up to the next unescaped colon, as
        // libpq reads it.
        let mut fields = 0;
        let mut field_start = 0;
        let mut password = Vec::new();
        let mut i = 0;
        while i < line.len() {
            match line[i] {
                b'\\' if i + 1 < line.len() => {
                    if fields == 4 {
                        password.push(line[i + 1]);
                    }
                    i += 2;
                    continue;
                }
                b':' if fields == 4 => break,
                b':' => {
                    fields += 1;
                    field_start = i + 1;
                }
                b => {
                    if fields == 4 {
                        password.push(b);
                    }
                }
            }
            i += 1;
        }
        if fields < 4 {
            sink.problem(format!(
                "line {} is not hostname:port:database:username:password",
                index + 1
            ));
            continue;
        }
        if checks::stored_template(&line[..field_start], &password) {
            continue;
        }
        sink.credential(line_start + field_start..line_start + i, &password);
    }
}
