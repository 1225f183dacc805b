//! People's identities on outside systems: the rules each system sets for
//! its names, and the case folding it applies when it compares them.

use std::borrow::Cow;
use std::fmt;

/// Which of a person's identities a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum IdentityKind {
    /// The model's own handle, the person's id.
    Handle,
    /// An e-mail address (`email` or one of `emails`).
    Email,
    /// A GitHub login.
    Github,
    /// A GitLab username.
    Gitlab,
    /// An SSH certificate principal.
    SshPrincipal,
}

impl IdentityKind {
    /// Every kind, in the order a free-form query tries them.
    pub const ALL: [IdentityKind; 5] = [
        IdentityKind::Handle,
        IdentityKind::SshPrincipal,
        IdentityKind::Github,
        IdentityKind::Gitlab,
        IdentityKind::Email,
    ];

    /// The field of `[[people]]` that holds it.
    pub fn field(self) -> &'static str {
        match self {
            IdentityKind::Handle => "handle",
            IdentityKind::Email => "email",
            IdentityKind::Github => "github",
            IdentityKind::Gitlab => "gitlab",
            IdentityKind::SshPrincipal => "ssh_principals",
        }
    }

    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            IdentityKind::Handle => "handle",
            IdentityKind::Email => "e-mail address",
            IdentityKind::Github => "GitHub login",
            IdentityKind::Gitlab => "GitLab username",
            IdentityKind::SshPrincipal => "SSH principal",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Whether the system that owns this kind of name compares it without
    /// regard to case (GitHub, GitLab and mail do; sshd does not).
    pub fn ignores_case(self) -> bool {
        !matches!(self, IdentityKind::SshPrincipal)
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The key two identities collide on: lower case, so that `Bob` the login
/// and `bob` the principal are one name to the people who read them.
pub(crate) fn fold(name: &str) -> Cow<'_, str> {
    if name.is_ascii() {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        }
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

/// Calls `f` with `name` folded as [`fold`] does, without allocating for
/// the short ASCII names that lookups mostly see.
pub(crate) fn with_folded<R>(name: &str, f: impl FnOnce(&str) -> R) -> R {
    const MAX: usize = 128;
    if name.is_ascii() && name.len() <= MAX && name.bytes().any(|b| b.is_ascii_uppercase()) {
        let mut buf = [0u8; MAX];
        let bytes = &mut buf[..name.len()];
        bytes.copy_from_slice(name.as_bytes());
        bytes.make_ascii_lowercase();
        // Lower-casing ASCII bytes keeps them ASCII, hence valid UTF-8.
        match std::str::from_utf8(bytes) {
            Ok(folded) => f(folded),
            Err(_) => f(&fold(name)),
        }
    } else {
        f(&fold(name))
    }
}

/// What is wrong with a GitHub login (or organisation name), if anything:
/// 1 to 39 characters, ASCII letters, digits and single hyphens, no hyphen
/// at either end.
pub fn github_login_problem(login: &str) -> Option<String> {
    if login.is_empty() {
        return Some("it is empty".to_owned());
    }
    if let Some(c) = login
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Some(format!(
            "it contains `{c}`; GitHub logins have only letters, digits and hyphens"
        ));
    }
    if login.len() > 39 {
        return Some(format!(
            "it has {} characters; GitHub allows at most 39",
            login.len()
        ));
    }
    if login.starts_with('-') || login.ends_with('-') {
        return Some("it starts or ends with a hyphen, which GitHub does not allow".to_owned());
    }
    if login.contains("--") {
        return Some("it has two hyphens in a row, which GitHub does not allow".to_owned());
    }
    None
}

/// What is wrong with a GitLab username (or one segment of a group path),
/// if anything: 2 to 255 characters of ASCII letters, digits, `_`, `-` and
/// `.`; it starts and ends with a letter or digit, has no two special
/// characters in a row, and does not end in `.git` or `.atom`.
pub fn gitlab_name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if len < 2 {
        return Some(format!(
            "it has {len} character{}; GitLab needs at least 2",
            if len == 1 { "" } else { "s" }
        ));
    }
    if len > 255 {
        return Some(format!(
            "it has {len} characters; GitLab allows at most 255"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Some(format!(
            "it contains `{c}`; GitLab allows only letters, digits, `_`, `-` and `.`"
        ));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Some("it must start and end with a letter or a digit".to_owned());
    }
    let special = |c: char| matches!(c, '_' | '-' | '.');
    if name
        .as_bytes()
        .windows(2)
        .any(|w| special(w[0] as char) && special(w[1] as char))
    {
        return Some(
            "it has two of `_`, `-` and `.` in a row, which GitLab does not allow".to_owned(),
        );
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".git") || lower.ends_with(".atom") {
        return Some("it ends in `.git` or `.atom`, which GitLab reserves".to_owned());
    }
    None
}

/// What is wrong with a GitHub team reference `org/slug`, if anything.
pub fn github_team_problem(team: &str) -> Option<String> {
    let Some((org, slug)) = team.split_once('/') else {
        return Some("write it as `org/slug`, as CODEOWNERS names it without the `@`".to_owned());
    };
    if let Some(p) = github_login_problem(org) {
        return Some(format!("the organisation `{org}` is not valid: {p}"));
    }
    if slug.is_empty() {
        return Some("the team slug is empty".to_owned());
    }
    if let Some(c) = slug
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_')))
    {
        return Some(format!(
            "the slug contains `{c}`; GitHub team slugs are lower-case letters, digits, `-` and `_`"
        ));
    }
    None
}

/// What is wrong with a GitLab group's full path (`group/subgroup`), if anything.
pub fn gitlab_group_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("it is empty".to_owned());
    }
    for segment in path.split('/') {
        if let Some(p) = gitlab_name_problem(segment) {
            return Some(format!("segment `{segment}`: {p}"));
        }
    }
    None
}

/// What is wrong with an SSH principal, if anything: the names sshd
/// compares are whole words with no white space, commas or control
/// characters (certificates and `AuthorizedPrincipalsFile` separate
/// principals with them).
pub fn ssh_principal_problem(principal: &str) -> Option<String> {
    if principal.is_empty() {
        return Some("it is empty".to_owned());
    }
    if principal.len() > 256 {
        return Some("it is longer than 256 bytes".to_owned());
    }
    if let Some(c) = principal
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == ',')
    {
        return Some(format!(
            "it contains {}; principals are single words (a comma separates principals in a certificate)",
            match c {
                ',' => "a comma".to_owned(),
                c if c.is_whitespace() => "white space".to_owned(),
                c => format!("the control character U+{:04X}", c as u32),
            }
        ));
    }
    None
}

/// What is wrong with an e-mail address, if anything.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let valid = email.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty()
            && host.contains('.')
            && !host.starts_with('.')
            && !host.ends_with('.')
            && !host.contains('@')
    }) && !email.contains(|c: char| c.is_whitespace() || c.is_control());
    (!valid).then_some("write it as name@example.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_logins_follow_githubs_rules() {
        for ok in ["a", "octocat", "Octo-Cat", "a1-b2-c3", &"x".repeat(39)] {
            assert_eq!(github_login_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "-lead",
            "trail-",
            "two--hyphens",
            "under_score",
            "dot.ted",
            "spa ce",
            "ünï",
            &"x".repeat(40),
        ] {
            assert!(github_login_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn gitlab_names_follow_gitlabs_rules() {
        for ok in ["ab", "jane.doe", "Jane_Doe", "a-b.c_d"] {
            assert_eq!(gitlab_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "a",
            "-ab",
            "_ab",
            "ab.",
            "a..b",
            "a-.b",
            "repo.git",
            "feed.atom",
            "a b",
        ] {
            assert!(gitlab_name_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(gitlab_group_problem("acme/payments-team"), None);
        assert!(gitlab_group_problem("acme//x").is_some());
    }

    #[test]
    fn team_references_name_org_and_slug() {
        assert_eq!(github_team_problem("acme/payments"), None);
        assert!(github_team_problem("acme").is_some());
        assert!(github_team_problem("acme/Payments").is_some());
        assert!(github_team_problem("-acme/payments").is_some());
    }

    #[test]
    fn folding_borrows_when_nothing_changes() {
        assert!(matches!(fold("bob"), Cow::Borrowed(_)));
        assert_eq!(fold("Bob"), "bob");
        assert_eq!(fold("ÅSA@x.example"), "åsa@x.example");
    }
}
