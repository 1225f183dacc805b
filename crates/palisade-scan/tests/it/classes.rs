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

/// `(text, secret)` cases from drawn `(value, name, syntax)`: the syntax with `{n}` and
/// `{v}` filled in, and the value.
fn filled(draws: Vec<(String, impl AsRef<str>, &str)>) -> Vec<(String, String)> {
    draws
        .into_iter()
        .map(|(value, name, syntax)| {
            let text = syntax.replace("{n}", name.as_ref()).replace("{v}", &value);
            (text, value)
        })
        .collect()
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

/// A random v4-shaped UUID (hex in groups of 8, 4, 4, 4 and 12).
fn uuid() -> impl Strategy<Value = String> {
    (
        random(HEX, 8),
        random(HEX, 4),
        random(HEX, 3),
        random(HEX, 4),
        random(HEX, 12),
    )
        .prop_map(|(a, b, c, d, e)| format!("{a}-{b}-4{c}-{d}-{e}"))
}

/// Keys under a vendor's or an app's name: `geo_key`, `fastlyKey`, `SUMOLOGIC_ACCESSKEY`,
/// `aws_secret_access_key`, `"credentials"`, in random letters and digits, hex or UUIDs;
/// the same values under the name of a key of a data structure or of a public key stay
/// silent.
#[test]
fn keys_under_names_that_end_in_key_are_found_and_data_structure_keys_are_not() {
    let key_names = [
        "geo_key",
        "GEOCODER_KEY",
        "fastlyKey",
        "SUMOLOGIC_ACCESSKEY",
        "aws_secret_access_key",
        "mailer-key",
        "credentials",
        "stripe.restKey",
    ];
    let silent_names = [
        "primary_key",
        "sort_key",
        "partitionKey",
        "cache_key",
        "idempotency_key",
        "public_key",
        "recaptcha_site_key",
        "sha256_key",
        "api_key_id",
    ];
    let syntax = [
        "{n} = \"{v}\"",
        "  {n}: \"{v}\"",
        "export {n}={v}",
        "\"{n}\": \"{v}\",",
        "const {n} string = \"{v}\"",
        "{n} = {v}",
    ];
    let mut keys = Vec::new();
    let mut silent = Vec::new();
    for (i, value) in draw(
        prop_oneof![
            random(LETTERS_DIGITS, 24..65),
            random("abcdefghijklmnopqrstuvwxyz0123456789", 32..48),
            random(HEX, 40),
            uuid(),
        ],
        400,
    )
    .into_iter()
    .enumerate()
    {
        if !value.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let form = syntax[i % syntax.len()];
        let text = |name: &str| form.replace("{n}", name).replace("{v}", &value);
        keys.push((text(key_names[i % key_names.len()]), value.clone()));
        silent.push(text(silent_names[i % silent_names.len()]));
    }
    assert_found("keys under names ending in key", &keys, 0.98);
    for text in &silent {
        assert!(secrets(text).is_empty(), "reported: {text}");
    }
}

/// A UUID under a name that says key, token or secret is a key (Heroku, Octopus and IBM
/// Cloud issue them), in assignments, headers, environment defaults and URL queries;
/// under a name that says id it is an identifier and stays silent.
#[test]
fn uuids_under_credential_names_are_keys_and_under_ids_are_not() {
    let forms = [
        ("access_token = \"{v}\"", true),
        ("  docsign_secret: \"{v}\"", true),
        ("os.getenv(\"API_TOKEN\", \"{v}\")", true),
        ("curl -H \"apikey: {v}\" https://api.acme.io/v1/rates", true),
        (
            "curl -H \"X-Deploy-ApiKey: {v}\" https://deploy.acme.io/",
            true,
        ),
        (
            "curl --header 'Authorization: {v}' https://api.acme.io",
            true,
        ),
        ("base_url: \"https://api.acme.io/v1/user?key={v}\"", true),
        ("request_id = \"{v}\"", false),
        ("  tenant_id: \"{v}\"", false),
        ("client_id = \"{v}\"", false),
        ("curl -H \"X-Request-Id: {v}\" https://api.acme.io", false),
        ("https://api.acme.io/v1/orders?order_id={v}", false),
    ];
    let mut keys = Vec::new();
    for (i, value) in draw(uuid(), 240).into_iter().enumerate() {
        let (form, key) = forms[i % forms.len()];
        let text = form.replace("{v}", &value);
        if key {
            keys.push((text, value));
        } else {
            assert!(secrets(&text).is_empty(), "an id was reported: {text}");
        }
    }
    assert_found("UUIDs under credential names", &keys, 1.0);
}

/// A value written with its authorization scheme (`"Bearer <token>"`) under a token's
/// name or in a string of its own: the scheme is read past, and the token may hold
/// `.`, `+`, `/` and `=` (RFC 6750's token68, and vendors' tokens).
#[test]
fn tokens_written_with_their_auth_scheme_are_found() {
    let token = (
        random(LETTERS_DIGITS, 12..24),
        proptest::sample::select(&["", ".", "+", "/", "-", "="][..]),
        random(LETTERS_DIGITS, 12..32),
    )
        .prop_map(|(a, sep, b)| format!("{a}{sep}{b}"));
    let forms = [
        "  crm_auth_token: \"Bearer {v}\"",
        "WIDGET_API_KEY='Bearer {v}'",
        "auth_header = \"Bearer {v}\"",
        "headers: {{ auth: 'Bearer {v}' }}",
        "client_secret: \"Bearer {v}\"",
    ];
    let cases: Vec<(String, String)> = draw(token, 200)
        .into_iter()
        .enumerate()
        .filter(|(_, v)| v.bytes().any(|b| b.is_ascii_digit()))
        .map(|(i, v)| (forms[i % forms.len()].replace("{v}", &v), v))
        .collect();
    assert_found("tokens with their scheme", &cases, 0.98);
    for text in [
        "auth_header = \"Bearer ${ACCESS_TOKEN}\"",
        "auth_header = \"Bearer <your-access-token>\"",
        "doc = \"Bearer authentication is described in RFC 6750\"",
    ] {
        assert!(secrets(text).is_empty(), "reported: {text}");
    }
}

/// A vendor's prefix that spells a stand-in word (`sk_test_`, Stripe's test mode;
/// `secret_`) before a random part is no placeholder; a value of words and a counter
/// (`test-token-value-123456`) still is.
#[test]
fn vendor_prefixes_that_spell_a_stand_in_word_are_not_placeholders() {
    let values = prop_oneof![
        uuid().prop_map(|u| format!("sk_test_{u}")),
        random(LETTERS_DIGITS, 20..32).prop_map(|r| format!("secret_{r}")),
        random(LETTERS_DIGITS, 24..40).prop_map(|r| format!("pk_test_{r}")),
    ];
    let cases: Vec<(String, String)> = draw(values, 150)
        .into_iter()
        .enumerate()
        .filter(|(_, v)| v.bytes().any(|b| b.is_ascii_digit()))
        .map(|(i, v)| {
            let name = ["checkout_api_key", "CONVERT_API_KEY", "billing_token"][i % 3];
            (format!("  {name}: \"{v}\""), v)
        })
        .collect();
    assert_found("vendor prefixes spelling stand-in words", &cases, 0.98);
    for text in [
        "api_key = \"test-token-value-123456\"",
        "api_key = \"my-secret-key-1\"",
        "api_token = \"example-api-token-2\"",
        "api_key = \"dummy_api_key_for_tests_1\"",
    ] {
        assert!(secrets(text).is_empty(), "reported: {text}");
    }
}

/// Vendor formats in every length and spelling their vendors issue: Slack's older bot
/// tokens, `xoxe-` refresh tokens and webhooks over plain http, Sourcegraph tokens in
/// upper-case hex, Facebook app access tokens, Sumo Logic access ids, Stripe `prod` keys.
#[test]
fn vendor_formats_are_found_in_every_issued_shape() {
    let digits = "0123456789";
    let upper_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mixed_hex = "0123456789abcdefABCDEF";
    let b64url = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    let cases: Vec<(String, String)> = draw(
        (
            (
                random(digits, 12),
                random(digits, 13),
                random(LETTERS_DIGITS, 20..33),
            ),
            (
                random(digits, 13),
                random(digits, 13),
                random(digits, 13),
                random(HEX, 32),
            ),
            (
                random(upper_digits, 8),
                random(upper_digits, 8),
                random(LETTERS_DIGITS, 24),
            ),
            (random(mixed_hex, 16), random(mixed_hex, 40)),
            (random(digits, 15..17), random(b64url, 27), random(HEX, 32)),
            (random(LETTERS_DIGITS, 12), random(LETTERS_DIGITS, 99)),
        ),
        40,
    )
    .into_iter()
    .flat_map(|(bot, xoxe, hook, sg, fb, other)| {
        let bot2 = format!("xoxb-{}-{}", bot.0, bot.2);
        let bot3 = format!("xoxb-{}-{}-{}", bot.0, bot.1, bot.2);
        let refresh = format!("xoxe-{}-{}-{}-{}", xoxe.0, xoxe.1, xoxe.2, xoxe.3);
        let webhook = format!(
            "http://hooks.slack.com/services/T{}/B{}/{}",
            hook.0, hook.1, hook.2
        );
        let sourcegraph = format!("sgp_{}_{}", sg.0, sg.1);
        let app_token = format!("{}|{}", fb.0, fb.1);
        let app_secret_token = format!("{}|{}", fb.0, fb.2);
        let sumo = format!("su{}", other.0);
        let stripe = format!("rk_prod_{}", other.1);
        vec![
            (format!("\"bot_token\": \"{bot2}\""), bot2),
            (format!("\"bot_token\": \"{bot3}\""), bot3),
            (format!("\"t\": \"{refresh}\""), refresh),
            (format!("url = {webhook}"), webhook),
            (format!("SRC_ACCESS_TOKEN={sourcegraph}"), sourcegraph),
            (format!("facebook {app_token}"), app_token),
            (
                format!("FB_APP_TOKEN=\"{app_secret_token}\""),
                app_secret_token,
            ),
            (format!("sumologic.accessId = \"{sumo}\""), sumo),
            (format!("STRIPE_KEY={stripe}"), stripe),
        ]
    })
    .collect();
    assert_found("vendor formats", &cases, 0.98);
}

/// A credential's name with a number after it, one of several (`bot_token2`,
/// `api_token_123`, `DB_PASSWORD_1`, `CLIENT_SECRET_2`), is still the credential's name;
/// a word after the number (`token_2fa`) makes it something else.
#[test]
fn numbered_credential_names_are_found() {
    let names = [
        "bot_token2",
        "api_token_123",
        "DB_PASSWORD_1",
        "CLIENT_SECRET_2",
        "api_key_3",
        "appKey2",
    ];
    let forms = ["{n} = \"{v}\"", "\"{n}\": \"{v}\",", "export {n}={v}"];
    let cases: Vec<(String, String)> = draw(random(LETTERS_DIGITS, 24..40), 120)
        .into_iter()
        .enumerate()
        .filter(|(_, v)| v.bytes().any(|b| b.is_ascii_digit()))
        .map(|(i, v)| {
            let text = forms[i % forms.len()]
                .replace("{n}", names[i % names.len()])
                .replace("{v}", &v);
            (text, v)
        })
        .collect();
    assert_found("numbered credential names", &cases, 0.98);
    for (i, value) in draw(random(LETTERS_DIGITS, 24..40), 30)
        .into_iter()
        .enumerate()
    {
        let text =
            ["token_2fa = \"{v}\"", "password_v2_hash = \"{v}\""][i % 2].replace("{v}", &value);
        assert!(secrets(&text).is_empty(), "reported: {text}");
    }
}

/// JSON written inside a string literal (a request body in code, `curl -d` in a script or
/// a README, a test fixture): the quotes around the name and the value are escaped,
/// `\"password\":\"…\"`, and each generic assignment rule reads them as quotes.
#[test]
fn credentials_in_json_escaped_inside_a_string_are_found() {
    // Long enough to reach the entropy a bare `key` asks for.
    let key = (random(LETTERS_DIGITS, 24..40), random("0123456789", 1..3))
        .prop_map(|(body, digits)| format!("{body}{digits}"));
    // Letters, digits and punctuation, without a quote or a backslash, which the JSON
    // would escape; not first, where `#` or `@` would make a reference of it.
    let password = (
        random(LETTERS_DIGITS, 1..4),
        random(PASSWORD_ALPHABET, 10..24),
        random("!@#%^*", 1..2),
    )
        .prop_map(|(head, body, special)| format!("{head}{special}{body}"));
    let key_names = proptest::sample::select(
        &[
            "api_key",
            "apiKey",
            "client_secret",
            "secret",
            "token",
            "access_token",
            "stripeKey",
            "key",
        ][..],
    );
    let password_names = proptest::sample::select(&["password", "passwd", "db_pass"][..]);
    let syntax = proptest::sample::select(
        &[
            r#"const body = "{\"{n}\":\"{v}\"}";"#,
            r#"curl -X POST -d "{\"username\":\"admin\",\"{n}\":\"{v}\"}" https://api.example.com/login"#,
            r#"String json = "{\"region\": \"eu-west-1\", \"{n}\": \"{v}\"}";"#,
            r#"payload = "{\"{n}\" : \"{v}\", \"debug\": false}""#,
            r#"  request.setBody("{\"{n}\":\"{v}\"}");"#,
        ][..],
    );
    let cases = filled(draw(
        prop_oneof![
            (key, key_names, syntax.clone()),
            (password, password_names, syntax),
        ],
        400,
    ));
    assert_found("escaped JSON", &cases, 0.98);
    // What stays silent unescaped stays silent escaped: stand-ins, references and names
    // that do not say credential.
    for text in [
        r#"const body = "{\"password\":\"${DB_PASSWORD}\"}";"#,
        r#"const body = "{\"password\":\"changeme\"}";"#,
        r#"const body = "{\"api_key\":\"<your-api-key>\"}";"#,
        r#"const body = "{\"primary_key\":\"uze5kRl74wmDGESfyAZ9uEE5aQ\"}";"#,
        r#"const body = "{\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}";"#,
    ] {
        assert_eq!(secrets(text), Vec::<String>::new(), "{text}");
    }
}

/// Environment variables set by a directive that puts a space, not `=`, between name and
/// value: Apache's `SetEnv`, csh's and launchctl's `setenv`, Windows' `setx`, fish's
/// `set -x`, nginx's `fastcgi_param` (the Dockerfile `ENV` form has its own rule).
#[test]
fn secrets_set_by_space_separated_environment_directives_are_found() {
    let value = (random(LETTERS_DIGITS, 12..40), random("0123456789", 1..3))
        .prop_map(|(body, digits)| format!("{body}{digits}"));
    let name = (
        proptest::sample::select(&["", "DB_", "APP_", "STRIPE_", "GITHUB_", "MAIL_"][..]),
        proptest::sample::select(
            &[
                "PASSWORD",
                "SECRET",
                "TOKEN",
                "API_KEY",
                "ACCESS_KEY",
                "api_token",
            ][..],
        ),
    )
        .prop_map(|(prefix, word)| format!("{prefix}{word}"));
    let syntax = proptest::sample::select(
        &[
            "SetEnv {n} {v}",
            "  SetEnv {n} \"{v}\"",
            "setenv {n} {v}",
            "launchctl setenv {n} {v}",
            "setx {n} \"{v}\" /M",
            "set -gx {n} {v}",
            "set -x {n} '{v}'",
            "\tfastcgi_param {n} {v};",
        ][..],
    );
    let cases = filled(draw((value, name, syntax), 400));
    assert_found("environment directives", &cases, 0.98);
    // A reference to another variable, a file's path, or a name that is not a
    // credential's stays silent.
    for text in [
        "SetEnv DB_PASSWORD ${DB_PASSWORD}",
        "setx API_TOKEN %API_TOKEN%",
        "SetEnv DB_PASSWORD_FILE /run/secrets/db_password",
        "setenv JAVA_HOME /usr/lib/jvm/java-17-openjdk-amd64",
        "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;",
    ] {
        assert_eq!(secrets(text), Vec::<String>::new(), "{text}");
    }
}

/// Passwords set by the calls that set an environment variable or a property by name
/// (`System.setProperty`, `SetEnvironmentVariable`, `os.environ.setdefault`, `os.Setenv`,
/// `env::set_var`): the string after the name is its value.
#[test]
fn passwords_set_by_environment_or_property_calls_are_found() {
    let password = (
        random(LETTERS_DIGITS, 2..5),
        random(PASSWORD_ALPHABET, 8..20),
    )
        .prop_map(|(head, body)| format!("{head}{body}"));
    let name = proptest::sample::select(
        &[
            "DB_PASSWORD",
            "javax.net.ssl.keyStorePassword",
            "smtp.passwd",
            "REDIS_PWD",
            "KEY_PASSPHRASE",
        ][..],
    );
    let syntax = proptest::sample::select(
        &[
            r#"System.setProperty("{n}", "{v}");"#,
            r#"[Environment]::SetEnvironmentVariable("{n}", "{v}", "Machine")"#,
            r#"os.environ.setdefault("{n}", "{v}")"#,
            r#"monkeypatch.setenv("{n}", '{v}')"#,
            r#"os.Setenv("{n}", "{v}")"#,
            r#"std::env::set_var("{n}", "{v}");"#,
        ][..],
    );
    let cases = filled(draw((password, name, syntax), 400));
    assert_found("password setter calls", &cases, 0.98);
    // A value read from elsewhere, a stand-in, or a name that is not a password's.
    for text in [
        r#"System.setProperty("db.password", System.getenv("DB_PASSWORD"));"#,
        r#"os.environ.setdefault("DB_PASSWORD", "${DB_PASSWORD}")"#,
        r#"os.Setenv("DB_PASSWORD", "changeme")"#,
        r#"System.setProperty("password.policy", "strict");"#,
        r#"t.set("password", "Passwort")"#,
    ] {
        assert_eq!(secrets(text), Vec::<String>::new(), "{text}");
    }
}
