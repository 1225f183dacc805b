use proptest::prelude::*;

use super::*;
use crate::rules::RuleSet;

fn builtin() -> RuleSet {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    RULES
        .get_or_init(|| {
            RuleSet::builtin().unwrap_or_else(|e| panic!("the built-in rules load: {e}"))
        })
        .clone()
}

const FORMATS: &[(&str, Format)] = &[
    ("home/.docker/config.json", Format::DockerConfig),
    ("containers/auth.json", Format::DockerConfig),
    ("home/.dockercfg", Format::DockerCfg),
    ("FileZilla/sitemanager.xml", Format::FileZilla),
    ("recentservers.xml", Format::FileZilla),
    ("home/.pgpass", Format::Pgpass),
    ("AppData/postgresql/pgpass.conf", Format::Pgpass),
    ("infra/terraform.tfstate", Format::TerraformState),
    ("infra/terraform.tfstate.backup", Format::TerraformState),
    ("ansible/.vault_pass", Format::AnsibleVaultPassword),
    ("ansible/vault-password.txt", Format::AnsibleVaultPassword),
    ("config/master.key", Format::RailsMasterKey),
    ("config/credentials/production.key", Format::RailsMasterKey),
];

fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            n |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

/// Runs the reader of `path` over `data` with no engine hits.
fn read(path: &str, data: &[u8]) -> (Vec<Hit>, Option<String>) {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(builtin);
    let mut hits = Vec::new();
    let note = add_hits(path, data, true, rules, &mut hits);
    (hits, note)
}

#[test]
fn every_format_has_its_rule_in_the_builtin_set() {
    let rules = builtin();
    for &(path, format) in FORMATS {
        let sample = if format == Format::DockerConfig {
            &b"{\"auths\": {}}"[..]
        } else {
            b""
        };
        assert_eq!(Format::of(path, sample), Some(format), "{path}");
        assert!(
            rules.rules().iter().any(|r| r.spec.id == format.rule()),
            "{}: no rule",
            format.rule()
        );
    }
    for path in ["src/config.json", "notes/pgpass.md", "vault.yml", "a.xml"] {
        assert_eq!(Format::of(path, b"{}"), None, "{path}");
    }
}

#[test]
fn base64_decodes_with_and_without_padding_and_refuses_the_rest() {
    assert_eq!(base64(b"dXNlcjpwYXNz").as_deref(), Some(&b"user:pass"[..]));
    assert_eq!(base64(b"YQ==").as_deref(), Some(&b"a"[..]));
    assert_eq!(base64(b"YQ").as_deref(), Some(&b"a"[..]));
    assert_eq!(base64(b"YWI=").as_deref(), Some(&b"ab"[..]));
    for broken in [&b"Y"[..], b"a b=", b"YQ=a", b"====", b"%%%%", b"\xff\xfe"] {
        assert_eq!(base64(broken), None, "{broken:?}");
    }
}

#[test]
fn every_registry_of_a_docker_config_is_reported_and_stores_are_not() {
    let auth = |pair: &str| encode(pair.as_bytes());
    let text = format!(
        r#"{{
  "auths": {{
    "registry.acme.io": {{"auth": "{}"}},
    "ghcr.io": {{"auth": "{}"}},
    "quay.io": {{}},
    "empty.io": {{"auth": ""}},
    "template.io": {{"auth": "${{QUAY_AUTH}}"}},
    "placeholder.io": {{"auth": "{}"}}
  }},
  "credsStore": "desktop",
  "credHelpers": {{"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}}
}}"#,
        auth("deploy:GTmPRfnEl1v-dBRXpL"),
        auth("ci:9X~QqUbu6lW%uhE!"),
        auth("user:${PASSWORD}"),
    );
    let (hits, note) = read("home/.docker/config.json", text.as_bytes());
    assert_eq!(note, None);
    let secrets: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
    assert_eq!(
        secrets,
        [
            auth("deploy:GTmPRfnEl1v-dBRXpL"),
            auth("ci:9X~QqUbu6lW%uhE!")
        ]
    );
    assert!(hits.iter().all(|h| !h.guessable));
}

#[test]
fn broken_inputs_say_why_and_keep_the_other_hits() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "a/config.json",
            b"{\"auths\": {\"r\": {\"auth\": \"ZGVw",
            "invalid JSON at line 1",
        ),
        (
            "a/config.json",
            b"{\"auths\": {\"r\": {\"auth\": \"not base64!\"}}}",
            "not base64",
        ),
        (
            "a/config.json",
            b"{\"auths\": {\"r\": {\"auth\": \"bm9jb2xvbg==\"}}}",
            "no `user:password`",
        ),
        ("a/config.json", b"{\"auths\": [1]}", "not an object"),
        (
            "a/.dockercfg",
            b"[\"auths\"]",
            "not an object of registries",
        ),
        ("a/.dockercfg", b"\xff\xfe{", "invalid JSON"),
        (
            "sitemanager.xml",
            b"<FileZilla3><Servers><Server><Pass encoding=\"base64\">WDNK",
            "not closed",
        ),
        (
            "sitemanager.xml",
            b"<Pass encoding=\"base64\">@@@@</Pass>",
            "does not decode",
        ),
        ("sitemanager.xml", b"<Pass", "not closed"),
        ("x/.pgpass", b"db:5432:orders\n", "line 1 is not"),
        ("x/terraform.tfstate", b"{\"resources\": [", "invalid JSON"),
        ("x/.vault_pass", b"one\ntwo\n", "more than one line"),
    ];
    let rules = builtin();
    let generic = rules
        .rules()
        .iter()
        .position(|r| r.spec.generic)
        .expect("a generic rule");
    for &(path, data, why) in cases {
        // A hit of another rule, elsewhere in the file, stays.
        let kept = Hit {
            rule: generic,
            span: 0..1,
            secret: 0..1,
            guessable: false,
        };
        let mut hits = vec![kept.clone()];
        let note = add_hits(path, data, true, &rules, &mut hits)
            .unwrap_or_else(|| panic!("{path}: no note for {data:?}"));
        assert!(note.contains(why), "{path}: {note}");
        assert!(note.ends_with("its other findings are reported"), "{note}");
        assert!(hits.contains(&kept), "{path}: {hits:?}");
    }
}

#[test]
fn a_file_read_in_windows_or_too_large_is_noted_not_parsed() {
    let rules = builtin();
    let mut hits = Vec::new();
    let note = add_hits(
        "a/config.json",
        b"{\"auths\": {}}",
        false,
        &rules,
        &mut hits,
    );
    assert!(note.is_some_and(|n| n.contains("larger than")));
    let big = vec![b' '; MAX_PARSED + 1];
    let mut data = b"{\"auths\": {}}".to_vec();
    data.extend_from_slice(&big);
    let note = add_hits("a/config.json", &data, true, &rules, &mut hits);
    assert!(note.is_some_and(|n| n.contains("larger than")));
    assert!(hits.is_empty());
}

#[test]
fn a_rule_turned_off_turns_its_reader_off() {
    let mut rules = builtin();
    rules.retain(|r| r.spec.id != "pgpass-password");
    let mut hits = Vec::new();
    assert_eq!(
        add_hits(
            "x/.pgpass",
            b"db:6432:orders:app:GTmPRfnEl1v-dBRXpL\n",
            true,
            &rules,
            &mut hits
        ),
        None
    );
    assert!(hits.is_empty());
}

#[test]
fn a_reader_gives_way_to_a_specific_rule_and_replaces_a_generic_one() {
    let rules = builtin();
    let index = |id: &str| {
        rules
            .rules()
            .iter()
            .position(|r| r.spec.id == id)
            .expect("rule")
    };
    let text = b"db:6432:orders:app:GTmPRfnEl1v-dBRXpL\nx:6432:y:z:9X~QqUbu6lW%uhE!\n";
    let hit = |rule: usize, secret: Range<usize>| Hit {
        rule,
        span: secret.clone(),
        secret,
        guessable: false,
    };
    let specific = hit(index("github-pat-classic"), 19..37);
    let generic = hit(index("generic-password-assignment"), 49..65);
    let mut hits = vec![specific.clone(), generic.clone()];
    assert_eq!(add_hits("x/.pgpass", text, true, &rules, &mut hits), None);
    let pgpass = index("pgpass-password");
    assert_eq!(hits, [specific, hit(pgpass, 49..65)]);
}

#[test]
fn filezilla_base64_passwords_are_decoded_and_crypt_ones_left_alone() {
    let text = format!(
        "<FileZilla3>\n<Servers>\n<Server><Pass encoding=\"base64\">{}</Pass></Server>\n\
         <Server><Pass encoding=\"base64\">{}</Pass></Server>\n\
         <Server><Pass encoding=\"crypt\" pubkey=\"ab\">kR2fQp0mZ9sL4xW8vT6b</Pass></Server>\n\
         <Server><Pass encoding=\"base64\" /></Server>\n<Server><Password>x</Password></Server>\n\
         </Servers></FileZilla3>",
        encode(b"GTmPRfnEl1v-dBRXpL"),
        encode(b"hunter22"),
    );
    let (hits, note) = read("FileZilla/sitemanager.xml", text.as_bytes());
    assert_eq!(note, None);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(&text[hits[0].secret.clone()], encode(b"GTmPRfnEl1v-dBRXpL"));
    assert!(!hits[0].guessable && hits[1].guessable);
}

#[test]
fn terraform_sensitive_attributes_outputs_and_secret_names_are_reported() {
    let text = r#"{
  "version": 4,
  "outputs": {
    "db_password": {"value": "GTmPRfnEl1v-dBRXpL", "type": "string", "sensitive": true},
    "db_host": {"value": "db.acme.internal", "type": "string"}
  },
  "resources": [
    {"mode": "managed", "type": "aws_db_instance", "name": "main", "instances": [
      {"attributes": {"id": "db-1", "password": "9X~QqUbu6lW%uhE!", "endpoint": "db.acme.internal",
        "settings": [{"api_key": "T8b6AVKntEcxQBp8exMf0AetJVLH1M9H", "name": "orders"}]},
       "sensitive_attributes": [
         [{"type": "get_attr", "value": "password"}],
         [{"type": "get_attr", "value": "settings"}, {"type": "index", "value": {"value": 0, "type": "number"}}, {"type": "get_attr", "value": "api_key"}],
         [{"type": "get_attr", "value": "missing"}]
       ]}
    ]},
    {"mode": "managed", "type": "random_password", "name": "db", "instances": [
      {"attributes": {"id": "none", "result": "*kQHSPy.pGx^mRbjg!Z4", "length": 20}, "sensitive_attributes": []}
    ]}
  ]
}"#;
    let (hits, note) = read("infra/terraform.tfstate", text.as_bytes());
    assert_eq!(note, None);
    let mut secrets: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
    secrets.sort_unstable();
    assert_eq!(
        secrets,
        [
            "*kQHSPy.pGx^mRbjg!Z4",
            "9X~QqUbu6lW%uhE!",
            "GTmPRfnEl1v-dBRXpL",
            "T8b6AVKntEcxQBp8exMf0AetJVLH1M9H"
        ]
    );
}

#[test]
fn pgpass_escapes_and_comments() {
    let text = b"# comment\n\n*:*:*:app:Xy\\:9kQ!p2Lm#7Rz\r\nhost:5433:db:user:pw:trailing\n";
    let (hits, note) = read("home/.pgpass", text);
    assert_eq!(note, None);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(&text[hits[0].secret.clone()], b"Xy\\:9kQ!p2Lm#7Rz");
    // libpq stops the password at the next unescaped colon. Too short to be strong, a
    // stored password is reported all the same, at low severity.
    assert_eq!(&text[hits[1].secret.clone()], b"pw");
    assert!(hits[1].guessable);
}

#[test]
fn stored_credentials_are_reported_whatever_words_they_hold() {
    // A placeholder's words in a file a program reads its password from are the password:
    // `password` in a `.pgpass`, `Example…` in FileZilla's base64 `<Pass>`.
    for (path, text, password) in [
        (
            "home/.pgpass",
            "db.acme.internal:5432:orders:app:password\n",
            "password",
        ),
        (
            "home/.pgpass",
            "db.acme.internal:5432:orders:app:test1234\n",
            "test1234",
        ),
        (
            "filezilla/sitemanager.xml",
            "<FileZilla3><Servers><Server><Host>ftp.acme.io</Host><User>deploy</User><Pass encoding=\"base64\">RXhhbXBsZVBhczEyMw==</Pass></Server></Servers></FileZilla3>",
            "RXhhbXBsZVBhczEyMw==",
        ),
    ] {
        let (hits, note) = read(path, text.as_bytes());
        assert_eq!(note, None, "{path}");
        let found: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
        assert_eq!(found, [password], "{path}: {text}");
    }
    // Masks, fillers and templates are still no password.
    for text in [
        "db.acme.internal:5432:orders:app:********\n",
        "db.acme.internal:5432:orders:app:${PGPASSWORD}\n",
        "db.acme.internal:5432:orders:app:{{ pg_password }}\n",
    ] {
        let (hits, _) = read("home/.pgpass", text.as_bytes());
        assert!(hits.is_empty(), "{text}: {hits:?}");
    }
}

#[test]
fn vault_password_files_report_their_line_unless_a_script() {
    let (hits, _) = read("ansible/.vault_pass", b"  GTmPRfnEl1v-dBRXpL \n\n");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].secret, 2..20);
    let (hits, note) = read("ansible/.vault_pass", b"#!/bin/sh\npass show ansible\n");
    assert!(hits.is_empty() && note.is_none());
}

fn paths() -> impl Strategy<Value = &'static str> {
    prop::sample::select(FORMATS.iter().map(|&(p, _)| p).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes, under any format's name: no panic, every hit inside the buffer, and the
    /// engine's hits of specific rules kept.
    #[test]
    fn readers_never_panic_and_stay_in_the_buffer(path in paths(), data in prop::collection::vec(any::<u8>(), 0..512)) {
        let (hits, _) = read(path, &data);
        for hit in hits {
            prop_assert!(hit.secret.start < hit.secret.end && hit.secret.end <= data.len());
        }
    }

    /// Structured noise: fragments of the formats' own syntax, cut anywhere.
    #[test]
    fn readers_survive_fragments_of_their_syntax(
        path in paths(),
        parts in prop::collection::vec(prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", "\"auths\"", "\"auth\"", "\"a\"", "\"ZGVwbG95OnB3\"",
            "\"resources\"", "\"instances\"", "\"attributes\"", "\"sensitive_attributes\"",
            "\"get_attr\"", "\"type\"", "\"value\"", "\"index\"", "0", "1e9", "true", "null",
            "<Pass encoding=\"base64\">", "</Pass>", "<Pass>", "WDNK", "\\u00", "\\", "\n",
            "*:", "5432:", "\\:", "#", "\u{e9}", "\u{1F600}", " ",
        ]), 0..64),
        cut in any::<prop::sample::Index>(),
    ) {
        let text = parts.concat();
        let end = cut.index(text.len() + 1);
        let data = &text.as_bytes()[..end];
        let (hits, _) = read(path, data);
        for hit in hits {
            prop_assert!(hit.secret.end <= data.len());
        }
    }

    /// Every registry of a generated docker config is reported, whatever its user and
    /// password, and every prefix of it is read without a panic.
    #[test]
    fn every_generated_registry_is_reported(
        entries in prop::collection::vec(("[a-z]{1,12}\\.[a-z]{2,3}", "[a-z0-9._-]{1,16}", "[A-Za-z0-9!%^*~_.+-]{12,40}"), 1..6),
    ) {
        let mut auths = serde_json::Map::new();
        let mut expected = Vec::new();
        for (i, (host, user, password)) in entries.iter().enumerate() {
            let auth = encode(format!("{user}:{password}").as_bytes());
            if judge(password.as_bytes()).is_some() {
                expected.push(auth.clone());
            }
            auths.insert(format!("{i}.{host}"), serde_json::json!({ "auth": auth }));
        }
        let text = serde_json::to_string_pretty(&serde_json::json!({ "auths": auths }))
            .expect("serialises");
        let (hits, note) = read("home/.docker/config.json", text.as_bytes());
        prop_assert_eq!(note, None);
        let found: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
        prop_assert_eq!(found, expected);
        for end in (0..text.len()).step_by(7) {
            let _ = read("home/.docker/config.json", &text.as_bytes()[..end]);
        }
    }

    /// The JSON reader agrees with serde_json on strings, escapes included.
    #[test]
    fn json_strings_read_as_serde_json_writes_them(value in "\\PC{0,40}") {
        let text = serde_json::to_string(&serde_json::json!({ "k": value })).expect("serialises");
        let parsed = json::parse(text.as_bytes()).expect("valid JSON");
        let s = parsed.get("k").and_then(json::Value::as_str).expect("a string");
        prop_assert_eq!(&s.value, value.as_bytes());
    }
}

#[test]
fn notes_name_a_registry_by_its_host_only() {
    assert_eq!(
        super::shown(b"https://index.docker.io/v1/"),
        "https://index.docker.io/v1/"
    );
    assert_eq!(
        super::shown(b"https://deploy:Kq9x2Lm7Vw4@registry.acme.io"),
        "registry.acme.io"
    );
    assert_eq!(
        super::shown(b"Kq9x2Lm7Vw4Tz8Rb"),
        "a registry not named by host"
    );
}

#[test]
fn mail_client_passwords_are_read_plain_or_quoted_and_stored_words_count() {
    let text =
        "account default\nhost smtp.acme.io\nuser alerts@acme.io\npassword GTmPRfnEl1v-dBRXpL\n";
    let (hits, note) = read("home/.msmtprc", text.as_bytes());
    assert_eq!(note, None);
    let found: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
    assert_eq!(found, ["GTmPRfnEl1v-dBRXpL"]);
    assert!(!hits[0].guessable);
    // esmtp quotes it; the word `password` as the password is still the one stored.
    let text =
        "identity \"alerts@acme.io\"\n  hostname smtp.acme.io:587\n  password \"password\"  \r\n";
    let (hits, _) = read("home/.esmtprc", text.as_bytes());
    let found: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
    assert_eq!(found, ["password"]);
    assert!(hits[0].guessable);
    // A command that prints the password, a template, an empty value: none stored here.
    for text in [
        "passwordeval \"gpg --decrypt ~/.msmtp-password.gpg\"\n",
        "password ${SMTP_PASSWORD}\n",
        "password \"\"\n",
        "password\n",
    ] {
        let (hits, note) = read("home/.msmtprc", text.as_bytes());
        assert!(hits.is_empty() && note.is_none(), "{text}: {hits:?}");
    }
}

#[test]
fn git_credentials_report_each_urls_password_where_it_is_written() {
    let text = "https://deploy:Xq7%40tR2%23vLp9mK@github.com\n\
                https://octo@example.org:hunter2!#@498@git.acme.io/team/repo.git\n\
                https://ghp-user@github.com\n\
                \n\
                # a comment\n";
    let (hits, note) = read("home/.git-credentials", text.as_bytes());
    assert_eq!(note, None);
    let found: Vec<&str> = hits.iter().map(|h| &text[h.secret.clone()]).collect();
    // The span is the password as written (percent-encoded); the user information ends
    // at the last `@`, so an unencoded `@` or `#` stays in the password.
    assert_eq!(found, ["Xq7%40tR2%23vLp9mK", "hunter2!#@498"]);
    let (hits, note) = read("home/.git-credentials", b"not a url at all\n");
    assert!(hits.is_empty());
    assert!(
        note.as_deref()
            .is_some_and(|n| n.contains("line 1") && n.contains("not a URL")),
        "{note:?}"
    );
}
