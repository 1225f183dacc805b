//! Credentials in tools' configuration files that a regex cannot read whole: every
//! registry of a docker `config.json` (or podman's `auth.json`) and of a legacy
//! `.dockercfg`, with its base64 `user:password` decoded; FileZilla's base64 `<Pass>`;
//! `.pgpass` lines on any port; the values a Terraform state marks sensitive; an Ansible
//! vault password file; a Rails master key; msmtp's and esmtp's `password`; the URLs of
//! git's credential store. Each of these files stores a credential for a program to use,
//! so a value is reported whatever words it holds (`checks::stored_rejection`).
//!
//! The file's path says which format it is in; a reader runs only on a whole file (not on
//! the windows of a large one) and only when its rule is in the scan's set, so that a
//! model that turns a rule off turns its reader off too. A reader adds to the engine's
//! hits: its finding gives way to another specific rule's on the same secret and replaces
//! only a generic rule's; the one hit it takes away is its own rule's regex hit on a value
//! it decoded to a stand-in (`user:${PASSWORD}` in base64). A file a reader cannot read (broken
//! JSON, truncated XML, base64 that does not decode, too large) gets a note saying why;
//! the regex findings of that file stand. This module is not for formats a regex reads
//! line by line: those are rules in `rules/tools.toml`.

mod ansible;
mod docker;
mod filezilla;
mod git_credentials;
mod json;
mod mail;
mod pgpass;
mod rails;
mod terraform;

use std::ops::Range;

use crate::checks;
use crate::engine::Hit;
use crate::rules::{RuleKind, RuleSet};

/// The largest file a reader parses: tools' configuration files are a few kilobytes, a
/// Terraform state a few megabytes.
pub(crate) const MAX_PARSED: usize = 16 << 20;

/// The configuration formats read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// docker's `config.json`, podman's `auth.json`: `{"auths": {registry: {"auth": …}}}`.
    DockerConfig,
    /// docker's legacy `~/.dockercfg`: `{registry: {"auth": …, "email": …}}`.
    DockerCfg,
    /// FileZilla's `sitemanager.xml`, `recentservers.xml`, `filezilla.xml`.
    FileZilla,
    /// PostgreSQL's `.pgpass` / `pgpass.conf`.
    Pgpass,
    /// A Terraform state (`*.tfstate`, `*.tfstate.backup`).
    TerraformState,
    /// A file holding an Ansible vault's password (`.vault_pass`, `vault-password.txt`).
    AnsibleVaultPassword,
    /// Rails' `config/master.key` or `config/credentials/<env>.key`.
    RailsMasterKey,
    /// msmtp's or esmtp's configuration (`.msmtprc`, `.esmtprc`).
    MailClient,
    /// git's credential store (`.git-credentials`).
    GitCredentials,
}

impl Format {
    /// The rule its findings are reported as.
    fn rule(self) -> &'static str {
        match self {
            Format::DockerConfig => "docker-config-auth",
            Format::DockerCfg => "dockercfg-auth",
            Format::FileZilla => "filezilla-password",
            Format::Pgpass => "pgpass-password",
            Format::TerraformState => "terraform-state-sensitive-value",
            Format::AnsibleVaultPassword => "ansible-vault-password",
            Format::RailsMasterKey => "rails-master-key",
            Format::MailClient => "mail-client-password",
            Format::GitCredentials => "url-embedded-credentials",
        }
    }

    /// Its name in notes.
    fn name(self) -> &'static str {
        match self {
            Format::DockerConfig => "docker config",
            Format::DockerCfg => "legacy .dockercfg",
            Format::FileZilla => "FileZilla configuration",
            Format::Pgpass => ".pgpass file",
            Format::TerraformState => "Terraform state",
            Format::AnsibleVaultPassword => "Ansible vault password file",
            Format::RailsMasterKey => "Rails master key",
            Format::MailClient => "mail client configuration",
            Format::GitCredentials => "git credential store",
        }
    }

    /// The format `path` (with contents `data`) is in, if one of these.
    fn of(path: &str, data: &[u8]) -> Option<Format> {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let has = |needle: &[u8]| memchr::memmem::find(data, needle).is_some();
        if name == ".dockercfg" || name.ends_with(".dockercfg") {
            return Some(Format::DockerCfg);
        }
        if (name.ends_with(".json") || name.ends_with(".dockerconfigjson")) && has(b"\"auths\"") {
            return Some(Format::DockerConfig);
        }
        if name.ends_with(".xml")
            && (["sitemanager.xml", "recentservers.xml", "filezilla.xml"].contains(&name.as_str())
                || has(b"<FileZilla"))
        {
            return Some(Format::FileZilla);
        }
        if name == ".pgpass" || name == "pgpass.conf" || name.ends_with(".pgpass") {
            return Some(Format::Pgpass);
        }
        if name.ends_with(".tfstate") || name.ends_with(".tfstate.backup") {
            return Some(Format::TerraformState);
        }
        if ansible::is_vault_password_file(&name) {
            return Some(Format::AnsibleVaultPassword);
        }
        if rails::is_master_key_file(path, &name) {
            return Some(Format::RailsMasterKey);
        }
        if mail::is_mail_client_config(&name) {
            return Some(Format::MailClient);
        }
        if git_credentials::is_git_credentials(&name) {
            return Some(Format::GitCredentials);
        }
        None
    }
}

/// Adds to `hits` (the engine's, for this buffer) the credentials of a tool's
/// configuration file in `data`, when `path` names one and its rule is in `rules`.
/// `whole` says that `data` is all of the file. Returns why the file could not be read,
/// or only in part, if so: the caller reports it as the file's skip reason. Never
/// panics; removes only a generic rule's hit on a secret it reports itself, and its own
/// rule's hit on a value it read as a stand-in.
pub(crate) fn add_hits(
    path: &str,
    data: &[u8],
    whole: bool,
    rules: &RuleSet,
    hits: &mut Vec<Hit>,
) -> Option<String> {
    let format = Format::of(path, data)?;
    let rule = rules
        .rules()
        .iter()
        .position(|r| r.spec.id == format.rule())?;
    let name = format.name();
    if !whole || data.len() > MAX_PARSED {
        return Some(format!(
            "{name} not read: larger than {} MiB, or read in windows; its other findings \
             are reported",
            MAX_PARSED >> 20
        ));
    }
    let mut sink = Sink {
        rule,
        hits: Vec::new(),
        rejected: Vec::new(),
        problems: Vec::new(),
    };
    match format {
        Format::DockerConfig => docker::config(data, &mut sink),
        Format::DockerCfg => docker::legacy(data, &mut sink),
        Format::FileZilla => filezilla::read(data, &mut sink),
        Format::Pgpass => pgpass::read(data, &mut sink),
        Format::TerraformState => terraform::read(data, &mut sink),
        Format::AnsibleVaultPassword => ansible::vault_password_file(data, &mut sink),
        Format::RailsMasterKey => rails::master_key(data, &mut sink),
        Format::MailClient => mail::read(data, &mut sink),
        Format::GitCredentials => git_credentials::read(data, &mut sink),
    }
    hits.retain(|old| !(old.rule == rule && sink.rejected.contains(&old.secret)));
    merge(hits, sink.hits, rules);
    let mut problems = sink.problems.into_iter();
    let first = problems.next()?;
    let more = match problems.count() {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    Some(format!(
        "{name} not fully read: {first}{more}; its other findings are reported"
    ))
}

/// Adds a reader's hits: one on a secret a specific rule (of the same kind) already
/// reports gives way to it; one on a secret a generic rule reports replaces that one.
/// The engine's hits are looked up by position, so a Terraform state with a hundred
/// thousand values costs no more than its sort.
fn merge(hits: &mut Vec<Hit>, found: Vec<Hit>, rules: &RuleSet) {
    let spec = |hit: &Hit| &rules.rules()[hit.rule].spec;
    hits.sort_by_key(|h| h.secret.start);
    let longest = hits.iter().map(|h| h.secret.len()).max().unwrap_or(0);
    let mut replaced = vec![false; hits.len()];
    let mut added = Vec::new();
    for new in found {
        // The engine's hits that can overlap `new`: they start less than `longest`
        // before it, and before its end.
        let from = hits.partition_point(|h| h.secret.start + longest <= new.secret.start);
        let to = hits.partition_point(|h| h.secret.start < new.secret.end);
        let overlapping: Vec<usize> = (from..to)
            .filter(|&i| {
                !replaced[i]
                    && new.secret.start < hits[i].secret.end
                    && spec(&hits[i]).kind == RuleKind::Secret
            })
            .collect();
        if overlapping.iter().any(|&i| !spec(&hits[i]).generic) {
            continue;
        }
        for i in overlapping {
            replaced[i] = true;
        }
        added.push(new);
    }
    let mut index = 0;
    hits.retain(|_| {
        index += 1;
        !replaced[index - 1]
    });
    hits.extend(added);
}

/// Where a reader puts what it finds.
struct Sink {
    rule: usize,
    hits: Vec<Hit>,
    /// Values read and found to be stand-ins or empty.
    rejected: Vec<Range<usize>>,
    /// What could not be read, in words that never hold a secret.
    problems: Vec<String>,
}

impl Sink {
    /// Reports the credential at `raw` in the file, whose value (decoded) is `plain`,
    /// unless it is empty or a stand-in; a guessable one at low severity.
    fn credential(&mut self, raw: Range<usize>, plain: &[u8]) {
        if !raw.is_empty() {
            self.verdict(raw, judge(plain));
        }
    }

    /// Reports a key of random hex digits at `raw`, unless it is made up (`0000…`,
    /// `0123…`) or too regular to be random.
    fn hex_key(&mut self, raw: Range<usize>, value: &[u8]) {
        // The path says what the file is: only a value no generator would draw is dropped.
        let random = checks::fake_rejection(value).is_none() && checks::entropy(value) >= 2.5;
        self.verdict(raw, random.then_some(false));
    }

    /// A hit at `raw` (`Some(guessable)`), or a value read and rejected (`None`).
    fn verdict(&mut self, raw: Range<usize>, guessable: Option<bool>) {
        match guessable {
            Some(guessable) => self.hits.push(Hit {
                rule: self.rule,
                span: raw.clone(),
                secret: raw,
                guessable,
            }),
            None => self.rejected.push(raw),
        }
    }

    /// Notes something that could not be read.
    fn problem(&mut self, what: String) {
        self.problems.push(what);
    }
}

/// Whether a credential is reported, and if so whether it is only guessable: `None` for
/// an empty value, a mask, a filler or a template (`${PASSWORD}`, `xxxx`,
/// [`checks::stored_rejection`]); `Some(true)` for a literal too short or too
/// predictable to be strong, a stand-in word among them, since these files store the
/// password a program uses (reported at low severity, as the password rules report
/// theirs). Every value read
/// here is a literal, never code: a value shaped like a name in code (`a.b`,
/// `snake_case`) is a password all the same.
fn judge(value: &[u8]) -> Option<bool> {
    if value.is_empty() || checks::fake_rejection(value).is_some() {
        return None;
    }
    let stands = |reason: Option<&str>| reason.is_some_and(|r| !checks::only_code_shaped(r));
    let strong = value.len() >= checks::STRONG_MIN_LEN
        && checks::entropy(value) >= 3.0
        && !stands(checks::generic_rejection(value));
    if strong {
        return Some(false);
    }
    checks::stored_rejection(value).is_none().then_some(true)
}

/// The lines of `data`, each with the offset it starts at, its line feed and a carriage
/// return before it left out.
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    data.split(|&b| b == b'\n').map(move |line| {
        let at = start;
        start += line.len() + 1;
        (at, line.strip_suffix(b"\r").unwrap_or(line))
    })
}

/// Decodes standard base64 (padding optional, no whitespace); `None` if it is not.
fn base64(text: &[u8]) -> Option<Vec<u8>> {
    let text = match text {
        [rest @ .., b'=', b'='] => rest,
        [rest @ .., b'='] => rest,
        _ => text,
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let sextet = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for &c in chunk {
            n = n << 6 | sextet(c)?;
        }
        n <<= 6 * (4 - chunk.len() as u32);
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// 1-based line and column of byte `at` in `data`, for notes.
fn place(data: &[u8], at: usize) -> String {
    let at = at.min(data.len());
    let line = memchr::memchr_iter(b'\n', &data[..at]).count() + 1;
    let start = memchr::memrchr(b'\n', &data[..at]).map_or(0, |i| i + 1);
    format!("line {line}, column {}", at - start + 1)
}

/// A registry's name as a note may show it: only what follows the last `@` (a registry
/// written `https://user:pass@host` keeps its credentials before it), host characters
/// only, at most 60 of them, and only if it is a host name at all.
fn shown(name: &[u8]) -> String {
    let name = name
        .iter()
        .rposition(|&b| b == b'@')
        .map_or(name, |at| &name[at + 1..]);
    let text: String = String::from_utf8_lossy(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-:/".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect();
    if !text.contains('.') && text != "localhost" {
        // Not a host name: it could be anything, a secret too.
        return "a registry not named by host".to_owned();
    }
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
