//! A file holding an Ansible vault's password (`vault_password_file` in `ansible.cfg`,
//! `--vault-password-file`): its first line is the password that decrypts every vaulted
//! value. The vaulted values themselves (`$ANSIBLE_VAULT;1.1;AES256` blocks) are
//! encrypted and not reported. A vault password file that is a script (`#!`) prints the
//! password from elsewhere: not reported either. Such files have no fixed name; these are
//! the names Ansible's documentation and common practice give them.
//! <https://docs.ansible.com/ansible/latest/vault_guide/vault_managing_passwords.html>

use super::{Sink, place};

/// Whether a file name (lowercase) is a usual name of a vault password file.
pub(super) fn is_vault_password_file(name: &str) -> bool {
    let name = name.strip_prefix('.').unwrap_or(name);
    let name = name.strip_suffix(".txt").unwrap_or(name);
    let name = name.strip_prefix("ansible").unwrap_or(name);
    let name = name.trim_start_matches(['_', '-', '.']);
    matches!(
        name.replace('-', "_").as_str(),
        "vault_pass" | "vault_password" | "vault_passwd" | "vaultpass" | "vault_pw"
    )
}

pub(super) fn vault_password_file(data: &[u8], sink: &mut Sink) {
    if data.starts_with(b"#!") {
        return;
    }
    let end = memchr::memchr(b'\n', data).unwrap_or(data.len());
    let line = &data[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = &data[end..];
    if !rest.iter().all(u8::is_ascii_whitespace) {
        sink.problem(format!(
            "more than one line (at {}): not a vault password file",
            place(data, end + 1)
        ));
        return;
    }
    // Ansible strips the password's surrounding whitespace.
    let lead = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let trail = line[lead..]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    let raw = lead..line.len() - trail;
    sink.credential(raw.clone(), &data[raw]);
}
