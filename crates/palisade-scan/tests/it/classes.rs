//! Classes of secrets the scanner once missed on real repositories, each tested with
//! values generated at test time from the real alphabet and length of the secret, in the
//! syntaxes they are written in. A class is measured over many values, since one fixed
//! example proves nothing about the next one a generator draws.

use std::sync::OnceLock;

use palisade_scan::engine::Scanner;
use palisade_scan::rules::{RuleKind, RuleSet};
use proptest::prop_oneof;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(RuleSet::builtin().expect("rules")).expect("scanner"))
}

/// The secrets that secret rules report in `text`.
fn secrets(text: &str) -> Vec<String> {
    let scanner = scanner();
    scanner
        .scan(text.as_bytes())
        .into_iter()
        .filter(|hit| scanner.rule(hit.rule).spec.kind == RuleKind::Secret)
        .map(|hit| text[hit.secret].to_owned())
        .collect()
}

/// `count` values drawn from `strategy` with a fresh random seed.
fn draw<S: Strategy>(strategy: S, count: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::default();
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
        .collect()
}

/// A string of `len` characters drawn from `alphabet`.
fn random(
    alphabet: &'static str,
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), len)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Reports, for each `(text, secret)`, whether `secret` was found in `text`, and fails
/// listing the misses when fewer than `share` of them were.
fn assert_found(class: &str, cases: &[(String, String)], share: f64) {
    let missed: Vec<&(String, String)> = cases
        .iter()
        .filter(|(text, secret)| !secrets(text).iter().any(|found| found == secret))
        .collect();
    let found = 1.0 - missed.len() as f64 / cases.len() as f64;
    assert!(
        found >= share,
        "{class}: found {found:.3} of {} (want {share}); missed:\n{}",
        cases.len(),
        missed
            .iter()
            .take(20)
            .map(|(text, _)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

const LETTERS_DIGITS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const PASSWORD_ALPHABET: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*";
const HEX: &str = "0123456789abcdef";

/// Class 4: random passwords of letters, digits and `!@#$%^&*`, including those that
/// hold `&` or start with `$` or `%`, in quoted assignments of many languages.
#[test]
fn random_passwords_with_punctuation_are_found() {
    let password = (
        proptest::sample::select(&["", "$", "%", "&", "!", "@", "#", "*", "^"][..]),
        random(PASSWORD_ALPHABET, 9..24),
        proptest::sample::select(&['&', '!', '@', '#', '^', '*', '%', '$'][..]),
        0usize..8,
        random("0123456789", 1..3),
    )
        .prop_map(|(first, body, special, at, digits)| {
            let mut body: Vec<char> = body.chars().collect();
            body.insert(at.min(body.len()), special);
            format!("{first}{}{digits}", body.into_iter().collect::<String>())
        });
    let syntax = proptest::sample::select(
        &[
            "DB_PASSWORD = \"{v}\"",
            "password: '{v}'",
            "  \"password\": \"{v}\",",
            "$db_pass = '{v}';",
            "smtp_password => \"{v}\",",
            "spring.datasource.password: \"{v}\"",
            "const adminPassword = '{v}';",
            "redis_pwd = \"{v}\"  # rotated monthly",
        ][..],
    );
    let cases: Vec<(String, String)> = draw((password, syntax), 400)
        .into_iter()
        .map(|(value, syntax)| (syntax.replace("{v}", &value), value))
        .collect();
    assert_found("random passwords", &cases, 0.98);
}

/// Class 5: secrets the frameworks generate, in the files and syntax they are written in.
#[test]
fn framework_secrets_are_found() {
    const DJANGO: &str = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
    // WordPress's salt generator: printable ASCII but quotes and the backslash.
    const WORDPRESS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|";
    const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let wordpress_names = [
        "AUTH_KEY",
        "SECURE_AUTH_KEY",
        "LOGGED_IN_KEY",
        "NONCE_KEY",
        "AUTH_SALT",
        "SECURE_AUTH_SALT",
        "LOGGED_IN_SALT",
        "NONCE_SALT",
    ];
    let mut cases = Vec::new();
    for key in draw(random(DJANGO, 50), 100) {
        cases.push((format!("SECRET_KEY = '{key}'\n"), key.clone()));
        let insecure = format!("django-insecure-{key}");
        cases.push((format!("SECRET_KEY = \"{insecure}\"\n"), insecure));
    }
    for key in draw(random(HEX, 128), 40) {
        cases.push((
            format!("production:\n  secret_key_base: {key}\n"),
            key.clone(),
        ));
        cases.push((format!("config.secret_key_base = \"{key}\"\n"), key));
    }
    for (i, salt) in draw(random(WORDPRESS, 64), 160).into_iter().enumerate() {
        // The generator's output can end in a space; WordPress pads nothing.
        let name = wordpress_names[i % wordpress_names.len()];
        cases.push((format!("define( '{name}', '{salt}' );\n"), salt));
    }
    for key in draw(random(BASE64, 43), 60) {
        let value = format!("base64:{key}=");
        cases.push((format!("APP_KEY={value}\n"), value));
    }
    for key in draw(random(HEX, 32), 40) {
        cases.push((format!("app.secret_key = '{key}'\n"), key.clone()));
        // Symfony's .env.
        cases.push((format!("APP_SECRET={key}\n"), key));
    }
    for key in draw(random(URLSAFE, 43), 60) {
        cases.push((format!("app.config['SECRET_KEY'] = '{key}'\n"), key));
    }
    assert_found("framework secrets", &cases, 0.98);
}

/// Class 7: a hex value under a name that says key, secret or token is the key itself
/// (`openssl rand -hex`); under a name that says it is a digest it stays silent.
#[test]
fn hex_keys_under_key_names_are_found_and_digests_are_not() {
    let key_names = [
        "api_key",
        "API_KEY",
        "HEROKU_API_KEY",
        "client_secret",
        "CLIENT_SECRET",
        "SECRET_KEY",
        "webhook_secret",
        "access_token",
        "AUTH_TOKEN",
        "appKey",
    ];
    let digest_names = [
        "sha256_api_key",
        "integrity_token",
        "secret_checksum",
        "commit_token",
        "api_key_digest",
        "token_sha1",
    ];
    let syntax = [
        "{n} = \"{v}\"",
        "{n}: {v}",
        "export {n}={v}",
        "\"{n}\": \"{v}\",",
    ];
    let mut keys = Vec::new();
    let mut digests = Vec::new();
    for (i, value) in draw(
        prop_oneof![random(HEX, 32), random(HEX, 40), random(HEX, 64)],
        240,
    )
    .into_iter()
    .enumerate()
    {
        let form = syntax[i % syntax.len()];
        let text = |name: &str| form.replace("{n}", name).replace("{v}", &value);
        keys.push((text(key_names[i % key_names.len()]), value.clone()));
        digests.push(text(digest_names[i % digest_names.len()]));
    }
    assert_found("hex keys", &keys, 0.98);
    for text in &digests {
        assert!(secrets(text).is_empty(), "a digest was reported: {text}");
    }
    // Twilio API key SIDs: `SK` and 32 hex digits.
    let sids: Vec<(String, String)> = draw(random(HEX, 32), 50)
        .into_iter()
        .map(|hex| {
            let sid = format!("SK{hex}");
            (format!("TWILIO_API_KEY={sid}\n"), sid)
        })
        .collect();
    assert_found("Twilio API key SIDs", &sids, 1.0);
}

/// A guard for the draws above: a random value without the punctuation or the name that
/// makes it a secret stays silent, so the classes are found for their reason.
#[test]
fn letters_and_digits_alone_are_not_a_class() {
    for value in draw(random(LETTERS_DIGITS, 12..20), 50) {
        let text = format!("label = \"{value}\"\n");
        assert!(secrets(&text).is_empty(), "{text}");
    }
}
