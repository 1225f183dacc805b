//! Rails' master key: `config/master.key` (or `config/credentials/<environment>.key`)
//! holds nothing but the 32 hex digits that decrypt `credentials.yml.enc`, so whoever
//! reads the file reads every credential of the application. The file has no name in it
//! to match, only its path says what it is.
//! <https://guides.rubyonrails.org/security.html#custom-credentials>

use super::{Sink, place};

/// Whether `path` (file name `name`, lowercase) is where Rails keeps a master key.
pub(super) fn is_master_key_file(path: &str, name: &str) -> bool {
    name == "master.key"
        || (name.ends_with(".key")
            && path
                .rsplit('/')
                .nth(1)
                .is_some_and(|dir| dir.eq_ignore_ascii_case("credentials")))
}

pub(super) fn master_key(data: &[u8], sink: &mut Sink) {
    let value = data.trim_ascii();
    let start = data.len() - data.trim_ascii_start().len();
    if value.len() != 32 || !value.iter().all(u8::is_ascii_hexdigit) {
        // A PEM key or anything else named `.key` is another rule's.
        if !value.starts_with(b"-----BEGIN") && !value.is_empty() {
            sink.problem(format!(
                "not 32 hex digits (at {}): not a Rails master key",
                place(data, start)
            ));
        }
        return;
    }
    sink.hex_key(start..start + value.len(), value);
}
