//! The checks a regex match must pass before it is a finding: randomness, offline
//! checksums, placeholders and look-alikes of generic assignments, local hosts.

/// Shannon entropy of `bytes`, in bits a byte (0 for empty input).
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` in base62 (`0-9A-Za-z`), left-padded with `0` to 6 characters.
pub fn base62_6(mut value: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out
}

/// Whether a `prefix_` + 30 + 6 token (GitHub, npm) carries a valid checksum: the last 6
/// characters are the base62 CRC-32 of the 30 before them.
pub fn github_checksum_valid(token: &[u8]) -> bool {
    let Some(underscore) = token.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let body = &token[underscore + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62_6(crc32(random)) == check
}

/// Whether a host is this machine, a private test name or a documentation address:
/// plaintext there sends nothing over a network anyone else sees.
pub fn is_local_host(host: &str) -> bool {
    let host = host
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let suffix = |s: &str| host == s || host.ends_with(&format!(".{s}"));
    host == "localhost"
        || host == "::1"
        || host == "0.0.0.0"
        || host.starts_with("127.")
        || host.starts_with("169.254.")
        || [
            "localhost",
            "local",
            "test",
            "example",
            "invalid",
            "internal",
        ]
        .iter()
        .any(|s| suffix(s))
        || names_a_documentation_host(&host)
}

/// Whether `text` (lowercase) names a host reserved for documentation: `example.com`,
/// `.org` and `.net` and their subdomains, a name under `.example` or `.invalid`
/// (RFC 2606), or an address of the documentation ranges 192.0.2.0/24,
/// 198.51.100.0/24, 203.0.113.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849). No real
/// service answers there, so a credential aimed at one is an example. Only whole names
/// count: `examples.io` and `example.company.io` are not documentation hosts.
pub fn names_a_documentation_host(text: &str) -> bool {
    let bytes = text.as_bytes();
    let label = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let found = |needle: &str, before_ok: &dyn Fn(u8) -> bool, after_ok: &dyn Fn(u8) -> bool| {
        text.match_indices(needle).any(|(at, _)| {
            let end = at + needle.len();
            at.checked_sub(1)
                .and_then(|i| bytes.get(i))
                .is_none_or(|&b| before_ok(b))
                && bytes.get(end).is_none_or(|&b| after_ok(b))
        })
    };
    let name_start = |b: u8| !label(b);
    let name_end = |b: u8| !label(b) && b != b'.';
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|host| found(host, &name_start, &name_end))
        || [".example", ".invalid"]
            .iter()
            .any(|tld| found(tld, &|b| label(b), &name_end))
        || ["192.0.2.", "198.51.100.", "203.0.113."].iter().any(|net| {
            found(net, &|b| !b.is_ascii_digit() && b != b'.', &|b| {
                b.is_ascii_digit()
            })
        })
        || found(
            "2001:db8:",
            &|b| !b.is_ascii_hexdigit() && b != b':',
            &|_| true,
        )
}

/// Whether a password is what an anonymous FTP login gives (RFC 1635): a plain name
/// ending in `@` (`guest@`, `busybox@`), standing for the user's e-mail address.
pub fn anonymous_login(value: &[u8]) -> bool {
    value.split_last().is_some_and(|(&last, name)| {
        last == b'@'
            && !name.is_empty()
            && name
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    })
}

/// The account IDs AWS uses in its documentation and examples: no real account has them
/// in anyone's infrastructure.
pub const AWS_EXAMPLE_ACCOUNTS: &[&str] = &[
    "123456789012",
    "111122223333",
    "444455556666",
    "777788889999",
    "210987654321",
    "012345678901",
    "000000000000",
];

/// The prefixes AWS's documentation gives example bucket names (`amzn-s3-demo-bucket`,
/// `DOC-EXAMPLE-BUCKET`).
const AWS_EXAMPLE_BUCKETS: &[&str] = &["amzn-s3-demo-", "doc-example-"];

/// Why an infrastructure identifier is not one of the organisation's, if it is not: an
/// AWS example account ([`AWS_EXAMPLE_ACCOUNTS`]) or one obviously made up
/// (`111111111111`, `123456789000`: see [`fake_rejection`]), an AWS example bucket, or a
/// file name where a bucket name was expected (`s3.amazonaws.com/index.html`). In an
/// ARN only the account field is an account; elsewhere every run of 12 digits is one.
pub fn identifier_rejection(value: &[u8]) -> Option<&'static str> {
    let accounts: Vec<&[u8]> = if value.starts_with(b"arn:") {
        value.split(|&b| b == b':').nth(4).into_iter().collect()
    } else {
        value
            .split(|b| !b.is_ascii_digit())
            .filter(|run| run.len() == 12)
            .collect()
    };
    for account in accounts.into_iter().filter(|a| !a.is_empty()) {
        if AWS_EXAMPLE_ACCOUNTS
            .iter()
            .any(|example| example.as_bytes() == account)
        {
            return Some("an AWS documentation example account");
        }
        if fake_rejection(account).is_some() {
            return Some("a made-up account");
        }
    }
    let lower = value.to_ascii_lowercase();
    if AWS_EXAMPLE_BUCKETS
        .iter()
        .any(|prefix| memchr::memmem::find(&lower, prefix.as_bytes()).is_some())
    {
        return Some("an AWS documentation example bucket");
    }
    const SERVICE_PRINCIPALS: &[&[u8]] = &[
        b"logging.",
        b"metadata.",
        b"maintenance.",
        b"replication.",
        b"batchoperations.",
        b"delivery.",
        b"notifications.",
    ];
    if lower.ends_with(b".amazonaws.com") && SERVICE_PRINCIPALS.iter().any(|p| lower.starts_with(p))
    {
        return Some("an AWS service principal");
    }
    const FILE_EXTENSIONS: &[&[u8]] = &[
        b"html", b"htm", b"ico", b"png", b"jpg", b"jpeg", b"gif", b"svg", b"css", b"js", b"json",
        b"xml", b"txt", b"pdf", b"zip", b"gz", b"tgz", b"md",
    ];
    let last = lower.rsplit(|&b| b == b'.').next().unwrap_or_default();
    (lower.contains(&b'.') && !lower.contains(&b':') && FILE_EXTENSIONS.contains(&last))
        .then_some("a file name, not a bucket")
}

/// The fewest characters in order (the digit row `1234567890`, `abcdefghij`,
/// `9876543210`) that make a value obviously typed by hand: a random token, even one of
/// 64 hex digits, holds such a run with odds below one in a hundred million.
const SEQUENCE_RUN: usize = 10;

/// The fewest filler characters in a row (`xxxxx`, `*****`, `#####`) that mark a value as
/// redacted or made up.
const FILLER_RUN: usize = 5;

/// Why a secret is obviously made up, if it is: a run of one character that fills a
/// third of it (`AKIAAAAAAAAAAAAAAAAA`, `00aaaa…`), a run of filler characters
/// (`tvly-xxxxxxxx…`), or ten characters in order (`1234567890`, `ABCDEFGHIJ`).
///
/// Unlike [`generic_rejection`] this looks only at the shape of the value, never at
/// words in it, so it suits every rule: a vendor token with a fixed prefix and length is
/// reported even when its random part spells `TEST` or `EXAMPLE`, since the format is
/// what makes it a token.
pub fn fake_rejection(value: &[u8]) -> Option<&'static str> {
    let mut same = 1;
    let mut filler = 0;
    let mut up = 1;
    let mut down = 1;
    let mut longest_same = usize::from(!value.is_empty());
    for (i, &b) in value.iter().enumerate() {
        filler = if matches!(b, b'x' | b'X' | b'*' | b'#') {
            filler + 1
        } else {
            0
        };
        if filler >= FILLER_RUN {
            return Some("filler characters");
        }
        let Some(&prev) = i.checked_sub(1).and_then(|p| value.get(p)) else {
            continue;
        };
        same = if b == prev { same + 1 } else { 1 };
        longest_same = longest_same.max(same);
        up = if follows(prev, b) { up + 1 } else { 1 };
        down = if follows(b, prev) { down + 1 } else { 1 };
        if up >= SEQUENCE_RUN || down >= SEQUENCE_RUN {
            return Some("characters in sequence");
        }
    }
    if longest_same >= 6 && longest_same * 3 >= value.len() {
        return Some("a run of one character");
    }
    None
}

/// Whether `next` comes right after `prev` on the digit row (`1`…`9`, `0`) or in the
/// alphabet (either case).
fn follows(prev: u8, next: u8) -> bool {
    match (prev, next) {
        (b'9', b'0') => true,
        (b'0'..=b'8', _) => next == prev + 1,
        _ if prev.is_ascii_alphabetic() && next.is_ascii_alphabetic() => {
            next.to_ascii_lowercase() == prev.to_ascii_lowercase() + 1
        }
        _ => false,
    }
}

/// Why [`generic_rejection`] drops `SOME_NAME` or `open_sesame`: in code, a variable.
pub const IDENTIFIER: &str = "an identifier";

/// Why [`generic_rejection`] drops `app.config.key`: in code, a field of a variable.
pub const IDENTIFIER_PATH: &str = "an identifier path";

/// Why [`generic_rejection`] drops `API_TOKEN`: a constant's or an environment
/// variable's name, in code and on command lines alike (a README's `-p DB_PASSWORD`).
pub const CONSTANT: &str = "a constant's name";

/// Why a hex value of a digest's length is dropped from a generic assignment, unless its
/// name says it is a key ([`name_says_key`]).
pub const HASH_DIGEST: &str = "a hash digest";

/// Why a UUID is dropped from a generic assignment, unless its name says it is a key
/// ([`name_says_key`]).
pub const UUID: &str = "a UUID";

/// Whether a value is a UUID: 32 hex digits in groups of 8, 4, 4, 4 and 12.
pub fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| {
            if [8, 13, 18, 23].contains(&i) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// The name a value is assigned to: the identifier that ends where the match's key word
/// ends (`CLIENT_SECRET`, `config.api_key`, `heroku-api-key`), read from `data` around
/// `key_start`, where the match begins, up to `value_start`.
pub fn assigned_name(data: &[u8], key_start: usize, value_start: usize) -> &[u8] {
    let name_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    // A match that opens with punctuation (`<apiKey>`, `"token"`) names what follows it.
    let key_start = key_start
        + data[key_start..value_start.max(key_start)]
            .iter()
            .take_while(|b| !name_byte(b))
            .count();
    let start = data[..key_start]
        .iter()
        .rposition(|b| !name_byte(b))
        .map_or(0, |i| i + 1);
    let end = data[key_start..value_start.max(key_start)]
        .iter()
        .position(|b| !name_byte(b))
        .map_or(value_start.max(key_start), |i| key_start + i);
    &data[start..end]
}

/// Whether an assignment's name says its value is a key, a secret or a token
/// (`SECRET_KEY`, `api_key`, `HEROKU_API_KEY`, `authToken`) and not a digest of
/// something (`sha256`, `integrity`, `checksum`, `commit`, `rev`): then a hex value is
/// the key itself (`openssl rand -hex 32`), not a hash. A bare `key` says neither: cache,
/// sort and map keys are called that.
pub fn name_says_key(name: &[u8]) -> bool {
    let squeezed: Vec<u8> = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    const KEY_WORDS: &[&[u8]] = &[
        b"secret",
        b"token",
        b"apikey",
        b"appkey",
        b"privatekey",
        b"accesskey",
        b"masterkey",
        b"signingkey",
        b"encryptionkey",
        b"authkey",
        b"licensekey",
        b"authorization",
        b"bearer",
    ];
    KEY_WORDS
        .iter()
        .any(|w| squeezed.windows(w.len()).any(|s| s == *w))
        && !says_digest(name)
}

/// Whether a name says its value is a digest of something: `sha256`, `integrity`,
/// `checksum`, `commit`, `rev`, `apiKeySha256`.
fn says_digest(name: &[u8]) -> bool {
    const DIGEST_WORDS: &[&[u8]] = &[
        b"hash",
        b"digest",
        b"checksum",
        b"integrity",
        b"commit",
        b"fingerprint",
        b"etag",
        b"revision",
    ];
    let lower = name.to_ascii_lowercase();
    let squeezed: Vec<u8> = lower
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect();
    let has = |word: &[u8]| squeezed.windows(word.len()).any(|w| w == word);
    // `rev` and `sum` only as whole segments: `reverse_proxy_token`, `summary_secret`.
    let segment = |word: &[u8]| {
        lower
            .split(|b| !b.is_ascii_alphanumeric())
            .any(|s| s == word)
    };
    // `sha`, `md5` and `crc` as a word of the name, alone or with their width (`sha256`,
    // `crc32`, `apiKeySha256`), not inside a word (`SHARED_SECRET`, `marshal`).
    let words = name_words(name);
    let algorithm = |word: &[u8]| {
        words.iter().any(|w| {
            w.strip_prefix(word)
                .is_some_and(|rest| rest.iter().all(u8::is_ascii_digit))
        })
    };
    DIGEST_WORDS.iter().any(|w| has(w))
        || [&b"sha"[..], b"md5", b"crc"].iter().any(|w| algorithm(w))
        || segment(b"rev")
        || segment(b"sum")
}

/// Words of a name that make a `…_key` something other than a credential: a key in a
/// data structure (`primary_key`, `sort_key`, `cache_key`, `idempotency_key`), one meant to
/// be published (`public_key`, `site_key`, `verify_key`) or the id of one (`gpg_key`).
const NOT_CREDENTIAL_WORDS: &[&str] = &[
    "public",
    "publishable",
    "pub",
    "site",
    "verify",
    "verification",
    "jwks",
    "host",
    "gpg",
    "pgp",
    "primary",
    "foreign",
    "natural",
    "surrogate",
    "composite",
    "unique",
    "sort",
    "partition",
    "cluster",
    "range",
    "row",
    "column",
    "field",
    "table",
    "index",
    "cache",
    "cached",
    "idempotency",
    "dedup",
    "dedupe",
    "lookup",
    "map",
    "dict",
    "list",
    "node",
    "item",
    "entry",
    "record",
    "object",
    "blob",
    "file",
    "path",
    "bucket",
    "queue",
    "topic",
    "event",
    "message",
    "msg",
    "label",
    "title",
    "name",
    "text",
    "i18n",
    "translation",
    "locale",
    "lang",
    "route",
    "routing",
    "group",
    "id",
    "search",
    "query",
    "order",
    "cursor",
    "page",
    "continuation",
    "resume",
    "state",
    "redis",
    "metric",
    "template",
    "menu",
    "tab",
    "view",
    "component",
    "model",
    "schema",
    "type",
    "kind",
    "icon",
    "image",
    "asset",
    "hot",
    "shortcut",
    "keyboard",
    "ssh",
    "property",
    "attr",
];

/// Words glued in front of `key` in a one-word name (`ACCESSKEY`, `apikey`, `SECRETKEY`)
/// that make it a credential's name.
const CREDENTIAL_KEY_PREFIXES: &[&str] = &[
    "access",
    "api",
    "app",
    "secret",
    "private",
    "auth",
    "master",
    "signing",
    "encryption",
    "license",
    "client",
    "dev",
    "server",
    "account",
    "storage",
    "shared",
    "subscription",
    "integration",
    "consumer",
    "admin",
    "write",
    "read",
    "ingest",
    "service",
    "partner",
    "merchant",
    "sdk",
    "rest",
    "hmac",
    "session",
    "crypt",
    "enc",
    "webhook",
];

/// The words of a name: split at punctuation and where a small letter meets a capital
/// (`fastlyKey` → `fastly`, `key`), lowercased.
fn name_words(name: &[u8]) -> Vec<Vec<u8>> {
    let mut words: Vec<Vec<u8>> = vec![Vec::new()];
    for (i, &b) in name.iter().enumerate() {
        let camel = i > 0 && b.is_ascii_uppercase() && name[i - 1].is_ascii_lowercase();
        if (!b.is_ascii_alphanumeric() || camel) && !words.last().is_some_and(Vec::is_empty) {
            words.push(Vec::new());
        }
        if b.is_ascii_alphanumeric() {
            words
                .last_mut()
                .expect("one word at least")
                .push(b.to_ascii_lowercase());
        }
    }
    words.retain(|w| !w.is_empty());
    words
}

/// Whether a name ending in `key` or `credentials` names a credential: `geo_key`,
/// `fastlyKey`, `SUMOLOGIC_ACCESSKEY`, `aws_secret_access_key`, `"credentials"`, a bare
/// `key` (in a URL's query or a header; the assignment `key = …` has its own, stricter
/// rule), and every name [`name_says_key`] accepts; not a key of a data structure or one meant to be public ([`NOT_CREDENTIAL_WORDS`]), not a name
/// that says digest.
pub fn names_a_credential(name: &[u8]) -> bool {
    let words = name_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if words
        .iter()
        .any(|w| NOT_CREDENTIAL_WORDS.iter().any(|n| w == n.as_bytes()))
    {
        return false;
    }
    if name_says_key(name) {
        return true;
    }
    if says_digest(name) {
        return false;
    }
    if last.starts_with(b"credential") {
        return true;
    }
    let glued = last
        .strip_suffix(b"key")
        .or_else(|| last.strip_suffix(b"keys"));
    match glued {
        Some(b"") => true,
        Some(prefix) => CREDENTIAL_KEY_PREFIXES
            .iter()
            .any(|p| prefix.ends_with(p.as_bytes())),
        None => false,
    }
}

/// Whether a rejection only says the value looks like a name in code
/// ([`IDENTIFIER`], [`IDENTIFIER_PATH`]): where no code can be (a command line, a
/// `.netrc`), such a value is a literal after all.
pub fn only_code_shaped(reason: &str) -> bool {
    reason == IDENTIFIER || reason == IDENTIFIER_PATH
}

/// Whether a value that is not quoted reads as a name in code: camelCase
/// (`userPassword`, `getSecret`), starting lowercase with an uppercase letter later.
pub fn camel_case_name(value: &[u8]) -> bool {
    value.first().is_some_and(u8::is_ascii_lowercase)
        && value.iter().any(u8::is_ascii_uppercase)
        && value.iter().all(u8::is_ascii_alphanumeric)
}

/// Words that mark a value as a stand-in for a secret, not a secret.
const STAND_IN_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "changeit",
    "xxxx",
    "***",
    "example",
    "dummy",
    "test",
    "placeholder",
    "redacted",
    "your_",
    "your-",
    "yourpass",
    "sample",
    "fake",
];

/// Words that, where a random value is expected (a generic assignment), also mark a
/// stand-in: `my-secret-key`, `db_password_here`.
const GENERIC_STAND_IN_WORDS: &[&str] = &["password", "secret"];

/// Whether `text` holds one of `words` written as a person writes a word: its letters
/// all lowercase, all uppercase or capitalised (`test`, `TEST`, `Test`, `myTestKey`).
/// The same letters in mixed case (`tEst`, `fAKe`) are what a random generator draws in
/// a real password, not a stand-in someone typed.
fn holds_stand_in(text: &str, words: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    words.iter().any(|word| {
        lower.match_indices(word).any(|(at, _)| {
            let letters: Vec<u8> = text.as_bytes()[at..at + word.len()]
                .iter()
                .copied()
                .filter(u8::is_ascii_alphabetic)
                .collect();
            let Some((first, rest)) = letters.split_first() else {
                return true;
            };
            rest.iter().all(u8::is_ascii_lowercase)
                || (first.is_ascii_uppercase() && rest.iter().all(u8::is_ascii_uppercase))
        })
    })
}

/// Whether, the stand-in words taken out, a value still holds a random part of 16
/// characters or more: a vendor's prefix that happens to be such a word
/// (`sk_test_<uuid>`, Stripe's test mode; `secret_<random>`) is no placeholder, while
/// `test-token-value-123456` or `my-secret-key-1` are. Random is letters of both cases
/// with a digit, or hex with both letters and digits.
fn random_beyond_words(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let mut rest = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match STAND_IN_WORDS
            .iter()
            .chain(GENERIC_STAND_IN_WORDS)
            .find(|w| lower.as_bytes()[i..].starts_with(w.as_bytes()))
        {
            Some(word) => {
                rest.push(b' ');
                i += word.len();
            }
            None => {
                rest.push(text.as_bytes()[i]);
                i += 1;
            }
        }
    }
    rest.split(|b| !(b.is_ascii_alphanumeric() || *b == b'-'))
        .any(|run| {
            let letters = run.iter().filter(|b| b.is_ascii_alphabetic()).count();
            let digits = run.iter().filter(|b| b.is_ascii_digit()).count();
            let mixed_case =
                run.iter().any(u8::is_ascii_uppercase) && run.iter().any(u8::is_ascii_lowercase);
            let hex = run.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
            run.len() >= 16 && digits > 0 && letters > 0 && (mixed_case || hex)
        })
}

/// Why a generic assignment's value is not a secret, if it is not.
pub fn generic_rejection(value: &[u8]) -> Option<&'static str> {
    let Ok(text) = std::str::from_utf8(value) else {
        return None;
    };
    if (holds_stand_in(text, STAND_IN_WORDS) || holds_stand_in(text, GENERIC_STAND_IN_WORDS))
        && !random_beyond_words(text)
    {
        return Some("a placeholder");
    }
    shape_rejection(text)
}

/// Why [`guessable_rejection`] drops `password` as a password: the field's own name.
pub const FIELD_NAME: &str = "the field's own name";

/// Whether a stored password is the format's own template line, every field its name
/// (`hostname:5432:database:username:password`): the password is the word `password`
/// and `before` it, in the same entry, stands a `username` or `hostname` field.
pub fn stored_template(before: &[u8], value: &[u8]) -> bool {
    let before = before.to_ascii_lowercase();
    guessable_rejection(value) == Some(FIELD_NAME)
        && [&b"username"[..], b"hostname", b"<user"]
            .iter()
            .any(|w| before.windows(w.len()).any(|x| x == *w))
}

/// Why a value read from a file that stores credentials (`.pgpass`, FileZilla's
/// `<Pass>`, a docker `auth`) is not one, if it is not: empty, made up or a mask
/// ([`fake_rejection`]: `****`, `xxxx`), or a template or a variable reference
/// (`${PGPASSWORD}`, `{{ db_password }}`). A stand-in word is no reason here: nobody
/// types a placeholder into their own `.pgpass`, so `password` there is the password.
pub fn stored_rejection(value: &[u8]) -> Option<&'static str> {
    if value.is_empty() {
        return Some("empty");
    }
    if let Some(reason) = fake_rejection(value) {
        return Some(reason);
    }
    let text = std::str::from_utf8(value).ok()?;
    if template_marker(text) {
        return Some("a template variable");
    }
    if reference(text) {
        return Some("a variable reference");
    }
    None
}

/// The fewest characters of a password reported at all: shorter ones (`root`, `admin`)
/// are defaults that name an account more than they protect it.
pub const GUESSABLE_MIN_LEN: usize = 6;

/// The fewest characters of a password reported as strong (NIST SP 800-63B's minimum);
/// a shorter one, or one below its rule's `min_entropy`, is guessable.
pub const STRONG_MIN_LEN: usize = 8;

/// Why a value too guessable to be a strong password is not a weak one either, if it is
/// not: shorter than [`GUESSABLE_MIN_LEN`], a number, made up ([`fake_rejection`]), a
/// stand-in (`changeme`, `your_password`, `xxxx`, `test…`, the bare word `password`), a
/// path, or not a literal at all (a template, expression, call or identifier).
///
/// Unlike [`generic_rejection`] it keeps dictionary words and the word `secret`: a
/// password such as `secret`, `postgres1` or `thisismypassword` is exactly the kind an
/// attacker tries first.
pub fn guessable_rejection(value: &[u8]) -> Option<&'static str> {
    if value.len() < GUESSABLE_MIN_LEN {
        return Some("too short to be a password");
    }
    if value.iter().all(u8::is_ascii_digit) {
        return Some("a number");
    }
    if let Some(reason) = fake_rejection(value) {
        return Some(reason);
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return None;
    };
    let lower = text.to_ascii_lowercase();
    if holds_stand_in(text, STAND_IN_WORDS) {
        return Some("a placeholder");
    }
    let word: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    if ["password", "passwd", "passphrase", "pass", "pwd"].contains(&word.as_str()) {
        return Some(FIELD_NAME);
    }
    const CODE_WORDS: &[&str] = &[
        "string",
        "str",
        "number",
        "boolean",
        "bool",
        "object",
        "unknown",
        "undefined",
        "null",
        "none",
        "nil",
        "true",
        "false",
        "optional",
        "secure",
        "required",
        "hidden",
        "text",
    ];
    if CODE_WORDS.contains(&lower.as_str()) {
        return Some("a type or a keyword");
    }
    if text.contains('/') || text.contains('\\') {
        return Some("a path");
    }
    shape_rejection(text)
}

/// Whether `text` at `at` starts a name: a letter or `_`, then letters, digits, `_`,
/// `.` or `-`; the name's end.
fn name_at(text: &[u8], at: usize) -> Option<usize> {
    let first = *text.get(at)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = text[at..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    Some(at + len)
}

/// Whether a value holds a template's variable: `${name}`, `{{ name }}`, `%(name)s`,
/// `$(command)`, `#{name}` or `<your-key>`. Only the marker around a name counts, so the
/// same punctuation in a random password or a generated key (`q$(=8x`, `k>9Q<w`) does not.
fn template_marker(value: &str) -> bool {
    let text = value.as_bytes();
    let lower = value.to_ascii_lowercase();
    if lower.contains("{{") && lower.contains("}}") {
        return true;
    }
    (0..text.len()).any(|i| {
        let rest = &text[i..];
        let after_space = |at: usize| {
            at + text[at..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'@')
                .count()
        };
        if rest.starts_with(b"${") || rest.starts_with(b"#{") {
            // `${NAME}`, `${NAME:-default}`, `#{ENV['X']}`: the name is followed by what
            // closes or continues the expression.
            return name_at(text, after_space(i + 2)).is_some_and(|end| {
                matches!(
                    text.get(end),
                    None | Some(b'}' | b':' | b'[' | b'(' | b'|' | b' ')
                )
            });
        }
        if rest.starts_with(b"%(") {
            return name_at(text, i + 2).is_some_and(|end| text.get(end) == Some(&b')'));
        }
        if rest.starts_with(b"$(") {
            return name_at(text, after_space(i + 2))
                .is_some_and(|end| text[end..].contains(&b')'));
        }
        if rest.starts_with(b"<") {
            // A name of three or more characters: `<t>` in a generated salt is noise.
            return name_at(text, i + 1).is_some_and(|end| {
                let end = end
                    + text[end..]
                        .iter()
                        .take_while(|&&b| {
                            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'_' | b'-')
                        })
                        .count();
                end - (i + 1) >= 3 && text.get(end) == Some(&b'>')
            });
        }
        false
    })
}

/// Whether a value is a reference to a variable rather than a literal: `$NAME` or
/// `$name` (a shell, PHP or compose variable: a name without digits between letters,
/// since a random password that starts with `$` has them), `#name` (a CSS selector or an
/// anchor), `%NAME%` (Windows) or `%name%` (a Symfony parameter, `%env(APP_SECRET)%`).
fn reference(value: &str) -> bool {
    let text = value.as_bytes();
    // A name without a digit right after a letter: `$DB_PASSWORD`, not `$Kq9x`.
    let plain_name = |name: &[u8]| {
        name_at(name, 0).is_some_and(|end| end == name.len())
            && !name
                .windows(2)
                .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_digit())
    };
    if text.starts_with(b"$") {
        // `$HOME`, or several run together: `$super$ecret`.
        return text[1..].split(|&b| b == b'$').all(plain_name);
    }
    if let Some(name) = text.strip_prefix(b"#") {
        // A CSS selector or a page anchor: `#add-password`.
        return plain_name(name);
    }
    if let Some(name) = text.strip_prefix(b"@").or_else(|| text.strip_prefix(b":")) {
        // A query's bind parameter: `@db_pass_param`, `:new_pwd`.
        return plain_name(name);
    }
    if let Some(inner) = text.strip_prefix(b"%").and_then(|t| t.strip_suffix(b"%")) {
        return name_at(inner, 0).is_some()
            && inner
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'(' | b')'));
    }
    false
}

/// Whether a value is a call in code: a name, maybe dotted, then parentheses to its end
/// (`get_token()`, `os.urandom(24)`). A generated key that happens to hold `(` and end in
/// `)` is not one.
fn call(value: &str) -> bool {
    let text = value.as_bytes();
    value.ends_with(')')
        && value.find('(').is_some_and(|open| {
            open > 0
                && text[..open]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b':'))
                && text[0].is_ascii_alphabetic() | (text[0] == b'_') | (text[0] == b'$')
        })
}

/// Why a value is not a literal secret, by its shape: a template variable, a hash digest,
/// a UUID, an expression reading configuration, an identifier path, a call or an
/// identifier.
fn shape_rejection(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    if template_marker(value) {
        return Some("a template variable");
    }
    if reference(value) {
        return Some("a variable reference");
    }
    if value.contains("://") {
        return Some("a URL");
    }
    if let Some(word) = value.strip_suffix(['.', ',', ';', ':', '?', '!'])
        && !word.is_empty()
        && word.bytes().all(|b| b.is_ascii_lowercase())
    {
        // `password combination.`: a word that ends a sentence.
        return Some("prose");
    }
    if (value.starts_with('/')
        || value.starts_with("./")
        || value.starts_with("../")
        || value.starts_with("~/"))
        && value[1..].contains('/')
        && value.bytes().all(
            |b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' | b'~' | b'@'),
        )
    {
        // Lowercase segments: a random base64 key that starts with `/` has capitals.
        return Some("a path");
    }
    if value
        .split(' ')
        .filter(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_alphabetic()))
        .count()
        >= 3
    {
        // `put your unique phrase here`: words, where a key was to be pasted.
        return Some("prose");
    }
    let hex = !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && [32, 40, 56, 64, 96, 128].contains(&lower.len()) {
        return Some(HASH_DIGEST);
    }
    if is_uuid(value.as_bytes()) {
        return Some(UUID);
    }
    if [
        "os.environ",
        "getenv",
        "process.env",
        "env(",
        "environ[",
        "env.",
        "env[",
        "config[",
        "settings.",
    ]
    .iter()
    .any(|t| lower.contains(t))
    {
        return Some("an expression reading configuration");
    }
    let ident = |s: &str| {
        s.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
    };
    // A random segment (`hvb.JGbZ…`) makes a dotted value a token, not a path.
    let random_segment = |s: &str| {
        s.len() >= 16
            && s.bytes().any(|c| c.is_ascii_uppercase())
            && s.bytes().any(|c| c.is_ascii_lowercase())
            && s.as_bytes()
                .windows(2)
                .filter(|w| w[1].is_ascii_digit() && !w[0].is_ascii_digit())
                .count()
                >= 2
    };
    // Names in code keep their digits at the end (`apiKey2`, `v1`); a digit between
    // letters (`Xk9bQ`) is a generated value's.
    let digits_inside = |s: &str| {
        let b = s.trim_end_matches(|c: char| c.is_ascii_digit()).as_bytes();
        b.iter().any(u8::is_ascii_digit)
    };
    // Names are lower case with a capital at each word (`apiKey`, `XmlHttpRequest`) or
    // all capitals; a mix with as many capitals as small letters is drawn at random.
    let mixed_case = |s: &str| {
        let upper = s.bytes().filter(u8::is_ascii_uppercase).count();
        let lower = s.bytes().filter(u8::is_ascii_lowercase).count();
        lower > 0 && upper * 5 > (upper + lower) * 2
    };
    if value.contains('.')
        && value.split('.').all(ident)
        && !value.split('.').any(random_segment)
        && !value.split('.').any(digits_inside)
        && !value.split('.').any(mixed_case)
    {
        return Some(IDENTIFIER_PATH);
    }
    if call(value) {
        return Some("a call");
    }
    if ident(value) && value.contains('_') {
        if value
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit())
        {
            return Some(CONSTANT);
        }
        if value.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
            return Some(IDENTIFIER);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn github_checksums_are_checked() {
        let random = b"aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1";
        let token: Vec<u8> = [&b"ghp_"[..], random, &base62_6(crc32(random))].concat();
        assert!(github_checksum_valid(&token));
        let mut broken = token.clone();
        broken[10] = b'z';
        assert!(!github_checksum_valid(&broken));
        assert!(!github_checksum_valid(b"ghp_short"));
    }

    #[test]
    fn entropy_is_zero_for_repeats_and_high_for_random() {
        assert_eq!(entropy(b"aaaaaaaa"), 0.0);
        assert!((entropy(b"ab") - 1.0).abs() < 1e-9);
        assert!(entropy(b"q8Zr2LmX0vB7nK4t") > 3.5);
    }

    #[test]
    fn local_hosts_and_documentation_addresses() {
        for host in [
            "localhost",
            "127.0.0.1",
            "[::1]",
            "db.test",
            "api.example.com",
            "192.0.2.7",
            "svc.internal",
        ] {
            assert!(is_local_host(host), "{host}");
        }
        for host in ["api.acme.io", "10.0.0.5", "example.com.evil.io", "8.8.8.8"] {
            assert!(!is_local_host(host), "{host}");
        }
    }

    #[test]
    fn generic_values_that_are_not_secrets() {
        for value in [
            "changeme",
            "${DB_PASSWORD}",
            "{{ vault.pw }}",
            "os.environ['X']",
            "settings.API_KEY",
            "d41d8cd98f00b204e9800998ecf8427e",
            "123e4567-e89b-12d3-a456-426614174000",
            "MY_CONSTANT_NAME",
            "get_token()",
        ] {
            assert!(generic_rejection(value.as_bytes()).is_some(), "{value}");
        }
        for value in [
            "q8Zr2LmX0vB7nK4t",
            "Tr0ub4dor&3x!9Lq",
            // A token with a dot is not an identifier path.
            "hvs.Qm7rT2kXw9LpZ4vNc8bYd3Hf",
            // A lone angle bracket is punctuation, not a `<placeholder>`.
            "k>9Qw;Lm2&Zt8",
        ] {
            assert_eq!(generic_rejection(value.as_bytes()), None, "{value}");
        }
        assert_eq!(
            generic_rejection(b"app.config.apiKey2"),
            Some("an identifier path")
        );
    }

    #[test]
    fn names_ending_in_key_say_credential_unless_a_data_structure_or_public_key() {
        for name in [
            "geo_key",
            "fastlyKey",
            "SUMOLOGIC_ACCESSKEY",
            "aws_secret_access_key",
            "credentials",
            "key",
            "X-Deploy-ApiKey",
            "Authorization",
            "stripe.restKey",
        ] {
            assert!(names_a_credential(name.as_bytes()), "{name}");
        }
        for name in [
            "primary_key",
            "sortKey",
            "cache_key",
            "idempotency-key",
            "public_key",
            "recaptcha_site_key",
            "sha256_key",
            "monkey",
            "hotkey",
            "api_key_id",
            "X-Request-Id",
            "",
        ] {
            assert!(!names_a_credential(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn stored_values_drop_masks_and_templates_but_not_stand_in_words() {
        for value in ["password", "ExamplePas123", "test1234", "pw"] {
            assert_eq!(stored_rejection(value.as_bytes()), None, "{value}");
        }
        for value in [
            "",
            "********",
            "xxxxxxxx",
            "${PGPASSWORD}",
            "{{ db_password }}",
        ] {
            assert!(stored_rejection(value.as_bytes()).is_some(), "{value}");
        }
    }

    #[test]
    fn names_that_say_key_and_names_that_say_digest() {
        for name in [
            "api_key",
            "CLIENT_SECRET",
            "HEROKU_API_KEY",
            "authToken",
            "config.secret_key_base",
            "Authorization",
            "WEBHOOK_SHARED_SECRET",
            "marshalToken",
        ] {
            assert!(name_says_key(name.as_bytes()), "{name}");
        }
        for name in [
            "key",
            "cache_key",
            "sha256_api_key",
            "integrity_token",
            "secret_checksum",
            "commit_token",
            "api_key_rev",
            "token_sum",
            "apiKeySha256",
            "secret_md5",
            "token-crc32",
        ] {
            assert!(!name_says_key(name.as_bytes()), "{name}");
        }
        let line = b"  config.CLIENT_SECRET = \"ab\"";
        let at = line
            .windows(6)
            .position(|w| w == b"SECRET")
            .expect("in line");
        assert_eq!(assigned_name(line, at, at + 8), b"config.CLIENT_SECRET");
    }

    #[test]
    fn templates_and_references_are_told_from_punctuation() {
        for value in [
            "${DB_PASSWORD}",
            "${DB_PASSWORD:-x}",
            "#{ENV['X']}",
            "%(password)s",
            "$(cat /run/secret)",
            "<your-password>",
            "{{ vault_pw }}",
            "$DB_PASSWORD",
            "$super$ecret",
            "%APPDATA%",
            "%env(APP_SECRET)%",
            "#add-password",
            "@db_pass_param",
            ":new_pwd",
            "../../etc/passwd",
            "os.urandom(24)",
        ] {
            assert!(generic_rejection(value.as_bytes()).is_some(), "{value}");
        }
        for value in [
            "q$(=8xLm2&Zt",
            "k>9Q<w2!Lm",
            "$Kq9x!Lm2T",
            "%9gF*2kLw&Xq",
            "#Tz8*Lq2Wm5x",
            "x(2Lm9q)Rz4!",
            "q]4 Z|x#9@Lm,v`N{2<t>R8e",
        ] {
            assert_eq!(generic_rejection(value.as_bytes()), None, "{value}");
        }
    }

    #[test]
    fn made_up_values_are_recognised_by_their_shape_not_their_words() {
        for value in [
            "AKIAAAAAAAAAAAAAAAAA",
            "00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "tvly-xxxxxxxxxxxxxxxxxxxxxxxx",
            "sk_live_****************",
            "AKIA1234567890ABCDEF",
            "wx7.0123456789zq",
            "Kp3-ABCDEFGHIJ-q9Zt",
            "Zyxwvutsrq9Lq2",
        ] {
            assert!(fake_rejection(value.as_bytes()).is_some(), "{value}");
        }
        for value in [
            "AKIAQ3TESTR7UVW2KEYS",
            "hQ7vZ2/Lr9pWEXAMPLEcTn4K+ub8sDy3mJf0aGxR",
            "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",
            "1234567a",
            "Qr4-23456789a1",
            "",
            // Long key blobs may hold runs of `A` (zero bytes in base64).
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        ] {
            assert_eq!(fake_rejection(value.as_bytes()), None, "{value}");
        }
    }

    #[test]
    fn guessable_passwords_are_literals_and_stand_ins_are_not() {
        for value in [
            "secret",
            "postgres",
            "thisismypassword",
            "open sesame",
            "letmein",
            "Secret123",
            // A generator's draw that happens to hold a stand-in's letters in mixed case.
            "-2x+VilUVFtIRjQ!7tEst842",
            "k9FaKe-Q2w!zR7pL",
        ] {
            assert_eq!(guessable_rejection(value.as_bytes()), None, "{value}");
        }
        for value in [
            "TEST-api-key",
            "myTestKey99!",
            "Example#2024",
            "fake_token_1",
        ] {
            assert_eq!(
                guessable_rejection(value.as_bytes()),
                Some("a placeholder"),
                "{value}"
            );
        }
        for (value, why) in [
            ("admin", "too short to be a password"),
            ("12345678", "a number"),
            ("xxxxxxxx", "filler characters"),
            ("changeme", "a placeholder"),
            ("test1234", "a placeholder"),
            ("your_password_here", "a placeholder"),
            ("Password", "the field's own name"),
            ("pass-word", "the field's own name"),
            ("cms/sites/passwords#update", "a path"),
            ("${DB_PASSWORD}", "a template variable"),
            ("open_sesame", "an identifier"),
            ("app.config.dbPass", "an identifier path"),
            ("undefined", "a type or a keyword"),
            ("String", "a type or a keyword"),
        ] {
            assert_eq!(guessable_rejection(value.as_bytes()), Some(why), "{value}");
        }
        assert!(anonymous_login(b"busybox@"));
        assert!(anonymous_login(b"guest@"));
        assert!(!anonymous_login(b"b@sybox1"));
        assert!(!anonymous_login(b"Zq8!mW3#xLp@"));
        assert!(!anonymous_login(b"@"));
    }

    #[test]
    fn documentation_hosts_are_recognised() {
        for text in [
            "@example.com:5432/db",
            "@db.example.org",
            "@[2001:db8::1234]/database",
            "@192.0.2.10",
            "@svc.example",
        ] {
            assert!(names_a_documentation_host(text), "{text}");
        }
        for text in [
            "@localhost:5432",
            "@db.acme.io",
            "@[2001:db9::1]",
            "@10.0.0.5",
            "@db.examples.io",
            "@example.company.io",
            "@myexample.com",
            "@10.192.0.2.5",
        ] {
            assert!(!names_a_documentation_host(text), "{text}");
        }
    }

    #[test]
    fn example_and_made_up_accounts_and_buckets_are_not_the_organisations() {
        for value in [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:kms:us-west-2:111122223333:key/k",
            "arn:aws:sns:us-east-1:333333333333:topic",
            "amzn-s3-demo-bucket.s3.amazonaws.com",
            "DOC-EXAMPLE-BUCKET",
            "logging.s3.amazonaws.com",
            "index.html",
        ] {
            assert!(identifier_rejection(value.as_bytes()).is_some(), "{value}");
        }
        for value in [
            "arn:aws:iam::406139842376:role/deploy",
            "acme-logs.s3.amazonaws.com",
            // Thirteen digits are not an account.
            "arn:aws:s3:::bucket-1111111111111",
            // Only an ARN's account field is its account.
            "arn:aws:kms:us-west-2:406139842376:key/1f6b6a3e-3c1a-4f77-9a0e-123456789012",
            "www.acme.io",
        ] {
            assert_eq!(identifier_rejection(value.as_bytes()), None, "{value}");
        }
    }
}
