//! E-mail addresses: a real-looking domain and local part, minus reserved, placeholder,
//! role and machine addresses.

use super::bytes::{byte_at, byte_before, digit_at, digit_run_end, is_word_byte};

/// The longest local part (RFC 5321).
const LOCAL_MAX: usize = 64;
/// The longest domain (RFC 1035).
const DOMAIN_MAX: usize = 253;

/// RFC 5322 `atext` plus the dot.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-.".contains(&b)
}

/// RFC 5322 allows these in a local part, but in source code they almost always end
/// something before an address (`--author=jane@…`, `path/jane@…`, `'jane@…'`), so the
/// reported address starts after the last one. An apostrophe between letters (`o'brien`)
/// stays part of the address.
fn is_local_delimiter(h: &[u8], i: usize) -> bool {
    match h[i] {
        b'\'' => {
            !(byte_before(h, i).is_some_and(|b| b.is_ascii_alphanumeric())
                && byte_at(h, i + 1).is_some_and(|b| b.is_ascii_alphanumeric()))
        }
        b'=' | b'/' | b'|' | b'`' | b'?' | b'!' | b'#' | b'&' | b'*' | b'^' | b'~' => true,
        b'{' | b'}' | b'$' | b'%' => true,
        _ => false,
    }
}

/// Where the local part ending at the `@` at `at` starts. None for template placeholders
/// (`${USER}@`, `{{ user }}@`, `%s@`, `%(user)s@`) and for nothing at all (`@scope/pkg`,
/// `@decorator`).
fn local_part_start(h: &[u8], at: usize) -> Option<usize> {
    // A local part has at most 64 bytes: its start, or the delimiter before it, lies within
    // the 65 bytes before the `@`.
    let limit = at.saturating_sub(LOCAL_MAX + 1);
    let mut raw = at;
    while raw > limit && is_atext(h[raw - 1]) {
        raw -= 1;
    }
    let mut start = match (raw..at).rev().find(|&i| is_local_delimiter(h, i)) {
        Some(i) if matches!(h[i], b'{' | b'}' | b'$' | b'%') => return None,
        Some(i) => i + 1,
        // No delimiter, and the run goes on beyond what a local part can be.
        None if raw == limit && byte_before(h, raw).is_some_and(is_atext) => return None,
        None => raw,
    };
    while start < at && matches!(h[start], b'.' | b'-' | b'+') {
        start += 1;
    }
    (start < at).then_some(start)
}

/// Where the domain starting at `from` ends (trailing dots, as in a sentence, excluded).
fn domain_end(h: &[u8], from: usize) -> Option<usize> {
    let mut end = from;
    while byte_at(h, end).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        end += 1;
        if end - from > DOMAIN_MAX + 1 {
            return None;
        }
    }
    while end > from && h[end - 1] == b'.' {
        end -= 1;
    }
    (end > from).then_some(end)
}

fn local_part_ok(local: &[u8]) -> bool {
    local.len() <= LOCAL_MAX
        && local
            .first()
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && !local.ends_with(b".")
        && !local.windows(2).any(|w| w == b"..")
}

/// Top-level domains accepted for e-mail: the country codes and the generic TLDs people's
/// addresses actually use. A whitelist, because after an `@` in source code a "TLD" is
/// usually something else: `weights@x.shape`, `icon@2x.png`, `pkg@1.2.3`.
#[rustfmt::skip]
const EMAIL_TLDS: &[&str] = &[
    "ac", "academy", "ad", "ae", "aero", "af", "ag", "agency", "ai", "al", "am", "amsterdam",
    "ao", "app", "aq", "ar", "art", "as", "asia", "at", "au", "aw", "ax", "az", "ba", "bank",
    "bayern", "bb", "bd", "be", "berlin", "bf", "bg", "bh", "bi", "biz", "bj", "blog", "bm",
    "bn", "bo", "br", "bs", "bt", "bv", "bw", "by", "bz", "ca", "capital", "care", "cat", "cc",
    "cd", "center", "centre", "cf", "cg", "ch", "church", "ci", "ck", "cl", "cloud", "club",
    "cm", "cn", "co", "college", "com", "company", "consulting", "coop", "cr", "cu", "cv", "cw",
    "cx", "cy", "cymru", "cz", "de", "design", "dev", "digital", "dj", "dk", "dm", "do", "dz",
    "earth", "ec", "eco", "edu", "ee", "eg", "email", "engineering", "er", "es", "et", "eu",
    "expert", "family", "fi", "finance", "fit", "fj", "fk", "fm", "fo", "fr", "fun", "ga",
    "games", "gay", "gb", "gd", "ge", "gf", "gg", "gh", "gi", "gl", "global", "gm", "gmbh",
    "gn", "gov", "gp", "gq", "gr", "green", "group", "gs", "gt", "gu", "guru", "gw", "gy",
    "hamburg", "health", "hk", "hm", "hn", "host", "hr", "ht", "hu", "icu", "id", "ie", "il",
    "im", "in", "inc", "info", "ink", "int", "io", "iq", "ir", "is", "it", "je", "jm", "jo",
    "jobs", "jp", "ke", "kg", "kh", "ki", "km", "kn", "koeln", "kp", "kr", "kw", "ky", "kz",
    "la", "land", "law", "lb", "lc", "legal", "li", "life", "link", "live", "lk", "llc",
    "london", "lr", "ls", "lt", "ltd", "lu", "lv", "ly", "ma", "mc", "md", "me", "media", "mg",
    "mh", "mil", "mk", "ml", "mm", "mn", "mo", "mobi", "mp", "mq", "mr", "ms", "mt", "mu",
    "museum", "mv", "mw", "mx", "my", "mz", "na", "name", "nc", "ne", "net", "network", "news",
    "nf", "ng", "ni", "ninja", "nl", "no", "np", "nr", "nrw", "nu", "nyc", "nz", "om", "one",
    "online", "org", "pa", "page", "paris", "pe", "pf", "pg", "ph", "photo", "photography",
    "photos", "pk", "pl", "plus", "pm", "pn", "post", "pr", "press", "pro", "ps", "pt", "pw",
    "py", "qa", "re", "ro", "rocks", "rs", "ru", "rw", "sa", "sb", "sc", "school", "scot", "sd",
    "se", "services", "sg", "sh", "shop", "si", "site", "sj", "sk", "sl", "sm", "sn", "so",
    "social", "software", "solutions", "space", "sr", "ss", "st", "store", "studio", "su", "sv",
    "swiss", "sx", "sy", "systems", "sz", "tc", "td", "team", "tech", "tel", "tf", "tg", "th",
    "tj", "tk", "tl", "tm", "tn", "to", "today", "tokyo", "tools", "top", "tr", "travel", "tt",
    "tv", "tw", "tz", "ua", "ug", "uk", "university", "us", "uy", "uz", "va", "vc", "ve",
    "ventures", "vg", "vi", "vip", "vn", "vu", "wales", "website", "wf", "wien", "wiki", "work",
    "works", "world", "ws", "xyz", "ye", "yt", "za", "zm", "zone", "zw",
];

/// Names reserved for documentation, testing and private networks (RFC 2606, RFC 6761,
/// RFC 6762 `.local`, ICANN's `.internal`, and common private suffixes). Checked against the
/// last label; a domain with an `example` label anywhere (`example.com`, `mail.example.org`,
/// `example.co.uk`) is a placeholder too.
#[rustfmt::skip]
const RESERVED_TLDS: &[&str] = &[
    "alt", "arpa", "corp", "example", "home", "internal", "intranet", "invalid", "lan", "local",
    "localdomain", "localhost", "onion", "private", "test",
];

/// Domains that only appear as placeholders (`user@domain.com`, `foo@bar.com`,
/// `name@company.com`); subdomains included.
#[rustfmt::skip]
const PLACEHOLDER_DOMAINS: &[&str] = &[
    "acme.com", "bar.com", "company.com", "domain.com", "foo.com", "foobar.com",
    "mycompany.com", "mydomain.com", "mysite.com", "sample.com", "site.com", "test.com",
    "website.com", "yourcompany.com", "yourdomain.com", "yoursite.com",
];

/// Local parts that only appear as placeholders (`email@email.com`, `user@gmail.com`,
/// `john.doe@…`).
#[rustfmt::skip]
const PLACEHOLDER_LOCALS: &[&str] = &[
    "bar", "baz", "e-mail", "email", "example", "first.last", "firstname", "firstname.lastname",
    "foo", "foobar", "jane.doe", "janedoe", "john.doe", "johndoe", "lastname", "mail", "me",
    "name", "name.surname", "nobody", "null", "sample", "somebody", "someone", "test", "user",
    "username", "you", "your", "your-email",
    "your-name", "your.email", "your.name", "your_email", "your_name", "youremail", "yourname",
];

/// Addresses of machines and of roles, not of people: `git@host` (SSH remotes), mail daemons,
/// and the shared mailboxes projects publish (`security@`, `support@`, `team@` …).
#[rustfmt::skip]
const NON_PERSONAL_LOCALS: &[&str] = &[
    "abuse", "admin", "administrator", "billing", "careers", "coc", "community", "conduct",
    "contact", "dev", "developers", "devnull", "enquiries", "feedback", "git", "hello", "help",
    "hostmaster", "info", "inquiries", "jobs", "legal", "mailer-daemon", "maintainers",
    "marketing", "newsletter", "noc", "office", "open-source", "opensource", "oss", "postmaster",
    "press", "privacy", "report", "root", "sales", "secure", "security", "support", "team",
    "webmaster",
];

/// Domains whose addresses are not people's: mailing lists, and the SSH algorithm names
/// written as addresses (`chacha20-poly1305@openssh.com`). Subdomains included.
#[rustfmt::skip]
const NON_PERSONAL_DOMAINS: &[&str] = &[
    "googlegroups.com", "libssh.org", "openssh.com", "simulator.amazonses.com",
];

/// Local-part endings of mailing lists (`openssl-dev@`, `tz-announce@`, `foo-request@`).
#[rustfmt::skip]
const LIST_SUFFIXES: &[&str] = &[
    "-admin", "-announce", "-bugs", "-commits", "-core", "-dev", "-devel", "-discuss", "-help",
    "-list", "-owner", "-request", "-security", "-sig", "-team", "-users",
];

/// True when `text` equals one of `list`, ignoring ASCII case.
fn is_one_of(text: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| text.eq_ignore_ascii_case(w.as_bytes()))
}

/// True when `domain` is `suffix` or a subdomain of it, ignoring ASCII case.
fn is_domain_or_sub(domain: &[u8], suffix: &str) -> bool {
    let suffix = suffix.as_bytes();
    domain.len() >= suffix.len()
        && domain[domain.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        && (domain.len() == suffix.len() || domain[domain.len() - suffix.len() - 1] == b'.')
}

/// True when an address is valid but not personal data ([`email_around`] has already checked
/// its shape):
/// - a reserved domain ([`RESERVED_TLDS`], any `example` label);
/// - a placeholder: [`PLACEHOLDER_DOMAINS`], [`PLACEHOLDER_LOCALS`], `example…@`, one
///   letter at one letter (`x@y.com`), one repeated letter (`xxxx@dot.ca.gov`, `bbb@zzz.org`);
/// - not a person: [`NON_PERSONAL_LOCALS`], [`NON_PERSONAL_DOMAINS`], `lists.…` domains,
///   mailing-list names ([`LIST_SUFFIXES`]), no-reply addresses (`noreply@`, `no-reply@`,
///   `do-not-reply@`, any `….noreply.…` domain such as GitHub's `users.noreply.github.com`);
/// - a mail Message-ID: a timestamp or hash, then a dot or dash (`20200505095915.11275-1-…@`,
///   `5ce86123a7b9….1538583282.git.…@`, `4FD05F05-F98B-…@`), or dotted numbers only
///   (`15090.61304.110929.45684@`).
pub(crate) fn email_is_excluded(local: &[u8], domain: &[u8]) -> bool {
    let labels = || domain.split(|&b| b == b'.');
    let first_label = labels().next().unwrap_or_default();
    let tld = labels().next_back().unwrap_or_default();
    let reserved = is_one_of(tld, RESERVED_TLDS)
        || labels().any(|label| label.eq_ignore_ascii_case(b"example"));

    // At least two letters for a local part (`xx@`), three for a domain (`qq.com` is real).
    let one_repeated_char =
        |text: &[u8], min: usize| text.len() >= min && text.iter().all(|&b| b == text[0]);
    let placeholder = PLACEHOLDER_DOMAINS
        .iter()
        .any(|p| is_domain_or_sub(domain, p))
        || is_one_of(local, PLACEHOLDER_LOCALS)
        || local
            .get(..7)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"example"))
        || (local.len() == 1 && first_label.len() == 1)
        || one_repeated_char(local, 2)
        || one_repeated_char(first_label, 3);

    let squashed = local.iter().filter(|b| !matches!(b, b'.' | b'-' | b'_'));
    let squashed_starts_with = |prefix: &[u8]| {
        let mut rest = squashed.clone();
        prefix
            .iter()
            .all(|p| rest.next().is_some_and(|b| b.eq_ignore_ascii_case(p)))
    };
    let ends_with = |suffix: &str| {
        local.len() > suffix.len()
            && local[local.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let not_a_person = is_one_of(local, NON_PERSONAL_LOCALS)
        || NON_PERSONAL_DOMAINS
            .iter()
            .any(|d| is_domain_or_sub(domain, d))
        || (first_label.eq_ignore_ascii_case(b"lists") && labels().count() > 2)
        || LIST_SUFFIXES.iter().any(|s| ends_with(s))
        || squashed_starts_with(b"noreply")
        || squashed_starts_with(b"donotreply")
        || labels().any(|label| is_one_of(label, &["noreply", "no-reply"]));

    let stamp = local.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let message_id = (stamp >= 8
        && local[..stamp].iter().any(u8::is_ascii_digit)
        && matches!(local.get(stamp), Some(b'.' | b'-')))
        || (local.iter().filter(|&&b| b == b'.').count() >= 2
            && local.iter().all(|&b| b.is_ascii_digit() || b == b'.'));

    reserved || placeholder || not_a_person || message_id
}

/// Labels of letters, digits and inner hyphens; at least two; a whitelisted TLD
/// ([`EMAIL_TLDS`]); and not an image scale suffix (`icon@2x.png`, `logo@1.5x.webp`).
fn domain_ok(domain: &[u8]) -> bool {
    let labels = domain.split(|&b| b == b'.');
    let mut count = 0;
    for label in labels.clone() {
        count += 1;
        if label.is_empty()
            || label.len() > 63
            || label.starts_with(b"-")
            || label.ends_with(b"-")
            || !label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return false;
        }
    }
    let Some(tld) = domain.rsplit(|&b| b == b'.').next() else {
        return false;
    };
    let tld_known = EMAIL_TLDS
        .binary_search_by(|known| known.bytes().cmp(tld.iter().map(u8::to_ascii_lowercase)))
        .is_ok();
    count >= 2 && tld_known && !is_image_scale(domain)
}

/// `2x.png`, `1.5x.webp`: the `@2x` suffix of high-resolution image file names.
fn is_image_scale(domain: &[u8]) -> bool {
    let int_end = domain
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(domain.len());
    if int_end == 0 {
        return false;
    }
    let mut i = int_end;
    if domain.get(i) == Some(&b'.') && digit_at(domain, i + 1) {
        i = digit_run_end(domain, i + 1);
    }
    matches!(domain.get(i), Some(b'x' | b'X')) && domain.get(i + 1) == Some(&b'.')
}

/// True when the `://` of a URL comes before `local_start` in the same token and nothing
/// (`/`, `?`, `#`) ends its authority: `ssh://git@host`, `postgres://user:pw@host` are
/// credentials and hosts, not e-mail addresses.
fn in_url_authority(h: &[u8], local_start: usize) -> bool {
    let lo = local_start.saturating_sub(512);
    let mut s = local_start;
    while s > lo && !h[s - 1].is_ascii_whitespace() && !b"\"'<>()[]{}`,;|".contains(&h[s - 1]) {
        s -= 1;
    }
    let before = &h[s..local_start];
    memchr::memmem::rfind(before, b"://")
        .is_some_and(|i| !before[i + 3..].iter().any(|b| b"/?#".contains(b)))
}

/// True when the word before the `:` at `colon` is `mailto`, `mail`, `email` or `e-mail`.
fn mail_label_before(h: &[u8], colon: usize) -> bool {
    let mut s = colon;
    while s > 0 && colon - s < 16 && (h[s - 1].is_ascii_alphanumeric() || h[s - 1] == b'-') {
        s -= 1;
    }
    let word = &h[s..colon];
    word.eq_ignore_ascii_case(b"mailto")
        || word.len() >= 4 && word[word.len() - 4..].eq_ignore_ascii_case(b"mail")
}

/// The e-mail address around the `@` at `at`, if there is one worth reporting.
pub(super) fn email_around(h: &[u8], at: usize) -> Option<(usize, usize)> {
    let start = local_part_start(h, at)?;
    let end = domain_end(h, at + 1)?;
    let (local, domain) = (&h[start..at], &h[at + 1..end]);
    if !local_part_ok(local) || !domain_ok(domain) {
        return None;
    }
    // What follows: `host:path` is an scp/SSH remote (`git@github.com:org/repo`).
    match byte_at(h, end) {
        Some(b'_' | b'@') => return None,
        Some(b':')
            if byte_at(h, end + 1).is_some_and(|b| is_word_byte(b) || b"/~.".contains(&b)) =>
        {
            return None;
        }
        _ => {}
    }
    // What precedes: `user:password@host` unless the label is `mailto:`/`email:`; a second
    // `@`; the `)` of `%(user)s@`.
    match byte_before(h, start) {
        Some(b':') if !mail_label_before(h, start - 1) => return None,
        Some(b'@' | b')' | b']') => return None,
        _ => {}
    }
    if in_url_authority(h, start) || email_is_excluded(local, domain) {
        return None;
    }
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiKind;
    use crate::pii::testing::{assert_found, assert_none};

    #[test]
    fn emails_are_found() {
        for (text, value) in [
            ("jane.smith@gmail.com", "jane.smith@gmail.com"),
            (
                "Author: Jane Smith <jane.smith@protonmail.com>",
                "jane.smith@protonmail.com",
            ),
            ("contact dave+tag@yahoo.co.uk.", "dave+tag@yahoo.co.uk"),
            ("mailto:bob.jones@fastmail.fm", "bob.jones@fastmail.fm"),
            ("Email:carol_w@outlook.com", "carol_w@outlook.com"),
            (
                "--author=alice.w@company-mail.de",
                "alice.w@company-mail.de",
            ),
            ("o'brien@acme-widgets.ie", "o'brien@acme-widgets.ie"),
            ("'kim.lee@hotmail.com'", "kim.lee@hotmail.com"),
            ("`ana@posteo.de`", "ana@posteo.de"),
            (
                "https://example.org/invite?email=maria.g@gmail.com",
                "maria.g@gmail.com",
            ),
            ("12345678@qq.com", "12345678@qq.com"),
            (
                "/signup?utm_source=newsletter-2024-spring-campaign&utm_medium=email&utm_content=hero&ref=jane.w@gmx.de",
                "jane.w@gmx.de",
            ),
            ("PETER.PAN@GMAIL.COM", "PETER.PAN@GMAIL.COM"),
        ] {
            assert_found(text, PiiKind::Email, value);
        }
    }

    #[test]
    fn reserved_and_placeholder_emails_are_not_reported() {
        for text in [
            "jane@example.com",
            "jane@mail.example.org",
            "jane@example.net",
            "jane@example.co.uk",
            "jane@acme.example",
            "jane@server.test",
            "jane@foo.invalid",
            "jane@host.localhost",
            "jane@localhost",
            "jane@printer.local",
            "jane@build.internal",
            "user@domain.com",
            "foo@bar.com",
            "name@company.com",
            "email@email.com",
            "user@gmail.com",
            "john.doe@gmail.com",
            "someone@yourdomain.com",
            "noreply@github.com",
            "no-reply@accounts.google.com",
            "do-not-reply@bank.co.uk",
            "12345+octocat@users.noreply.github.com",
            "mailer-daemon@googlemail.com",
            "security@bytecodealliance.org",
            "team@tokio.rs",
            "x@x.com",
            "your@email.com",
            "name.surname@email.com",
            "openssl-dev@openssl.org",
            "tz-announce@iana.org",
            "rustls-mod@googlegroups.com",
            "debian-devel@lists.debian.org",
            "chacha20-poly1305@openssh.com",
            "xxxxxxxxxx@dot.ca.gov",
            "bbb@zzz.org",
            "exampleUser2@site.awsapps.com",
            "python-list@python.org",
            "email-sig@python.org",
            "15090.61304.110929.45684@aaa.zzz.org",
            "<4FD05F05-F98B-44DC-8111-C6009C925F0C@gmail.com>",
            "5ce86123a7b9dad925ac583d88d2f921040e859b.1538583282.git.puwen@hygon.cn",
            "Link: https://lore.kernel.org/r/20200505095915.11275-7-mszeredi@redhat.com",
        ] {
            assert_none(text, PiiKind::Email);
        }
    }

    #[test]
    fn exclusions_are_what_rejects_reserved_and_placeholder_addresses() {
        // Each is well formed; only the exclusion lists keep it out.
        for (local, domain) in [
            ("jane", "example.com"),
            ("jane", "mail.example.org"),
            ("jane", "example.co.uk"),
            ("jane", "build.internal"),
            ("jane", "printer.local"),
            ("jane", "server.test"),
            ("jane", "mail.domain.com"),
            ("jane", "foo.com"),
            ("user", "gmail.com"),
            ("John.Doe", "gmail.com"),
            ("noreply", "github.com"),
            ("no_reply.alerts", "bank.co.uk"),
            ("12345+octocat", "users.noreply.github.com"),
            ("git", "gitlab.com"),
        ] {
            assert!(
                email_is_excluded(local.as_bytes(), domain.as_bytes()),
                "{local}@{domain}"
            );
        }
        // The same local parts at ordinary domains are reported.
        for text in [
            "jane@gmail.com",
            "jane@build.acme-corp.com",
            "jane@mail.domains.com",
        ] {
            assert_found(text, PiiKind::Email, text);
        }
    }

    #[test]
    fn things_that_only_look_like_emails_are_not_reported() {
        for text in [
            // SSH remotes and URL credentials.
            "git@github.com:palisade/palisade.git",
            "deploy@build.acme-corp.com:/srv/app",
            "ssh://deploy@gitlab.acme-corp.com/group/repo.git",
            "postgres://admin:s3cret@db.acme-corp.com:5432/app",
            "https://jane@bitbucket.org/team/repo",
            "proxy=user:hunter2@proxy.acme-corp.com:8080",
            // Packages, decorators, image digests, image scale suffixes.
            "\"@types/node\": \"^20\"",
            "npm i @babel/core@7.24.0",
            "lodash@4.17.21",
            "    @app.route('/users')",
            "alpine@sha256:9b2e0c9e8f2b",
            "icon@2x.png",
            "logo@1.5x.webp",
            // Templates.
            "${USER}@gmail.com",
            "{{ user }}@gmail.com",
            "%s@gmail.com",
            "%(name)s@gmail.com",
            // Not a known top-level domain: code.
            "weights@x.shape",
            "a@b.transpose",
            // Malformed.
            "jane..smith@gmail.com",
            "jane.@gmail.com",
            "jane@gmail",
            "jane@-gmail.com",
            "jane@gmail.c0m",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@gmail.com",
        ] {
            assert_none(text, PiiKind::Email);
        }
    }

    #[test]
    fn domain_lists_are_sorted() {
        assert!(EMAIL_TLDS.windows(2).all(|w| w[0] < w[1]));
        for tld in [
            "com", "net", "org", "edu", "gov", "io", "uk", "de", "fr", "jp", "cn", "in",
        ] {
            assert!(EMAIL_TLDS.binary_search(&tld).is_ok(), "{tld}");
        }
        assert!(
            EMAIL_TLDS
                .iter()
                .all(|t| t.bytes().all(|b| b.is_ascii_lowercase()))
        );
        assert!(!EMAIL_TLDS.iter().any(|t| RESERVED_TLDS.contains(t)));
    }
}
