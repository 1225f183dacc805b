//! Credentials in the configuration files of common tools: every registry of a docker
//! config, FileZilla's base64 passwords, `.npmrc`, hub, msmtp and esmtp, kubeconfig,
//! rclone, s3cmd, `.pgpass`, Terraform state and Ansible. Values are generated at test
//! time, of each format's alphabet and length; none is ever shown in full.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::OnceLock;

use palisade_scan::engine::Scanner;
use palisade_scan::finding::Finding;
use palisade_scan::rules::RuleSet;
use palisade_scan::scan::{Report, ScanConfig};
use palisade_scan::scan_bytes;

fn config() -> ScanConfig {
    ScanConfig::new(Scanner::new(RuleSet::builtin().expect("rules")).expect("scanner"))
}

/// One configuration for the many small scans here.
fn shared() -> &'static ScanConfig {
    static CONFIG: OnceLock<ScanConfig> = OnceLock::new();
    CONFIG.get_or_init(config)
}

/// A small random generator seeded per run (xorshift64*); the seed is in every failure
/// message.
struct Random(u64);

impl Random {
    /// Seeded from `PALISADE_TEST_SEED` when set (to replay a failure), else at random.
    fn new() -> Random {
        if let Some(seed) = std::env::var("PALISADE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        {
            return Random(seed | 1);
        }
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        Random(hasher.finish() | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn text(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }

    /// A password of 14 to 32 characters: letters, digits and the punctuation password
    /// generators use, none that reads as a template (`$`, `{`, `<`).
    fn password(&mut self) -> String {
        loop {
            let len = self.range(14, 32);
            let p = self.text(ALNUM_PUNCT, len);
            // Generated passwords hold every class; a run of one class could read as a
            // word by chance. `***` is how tools mask a value, and a stand-in word
            // (`test`, `fake`, …) written as a word marks a placeholder: the scanner reads
            // both so (documented), so a random draw that holds one is drawn again. The
            // same letters in mixed case are a real password's (checks.rs's unit tests).
            const STAND_INS: &[&str] = &[
                "***",
                "xxxx",
                "test",
                "fake",
                "dummy",
                "example",
                "sample",
                "changeme",
                "changeit",
                "placeholder",
                "redacted",
                "your",
            ];
            let lower = p.to_ascii_lowercase();
            if p.chars().any(|c| c.is_ascii_digit())
                && p.chars().any(|c| c.is_ascii_uppercase())
                && !STAND_INS.iter().any(|w| lower.contains(w))
            {
                return p;
            }
        }
    }

    fn user(&mut self) -> String {
        let len = self.range(3, 12);
        self.text(LOWER, len)
    }

    fn host(&mut self) -> String {
        let len = self.range(3, 10);
        format!("{}.{}.io", self.text(LOWER, len), self.text(LOWER, 3))
    }
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM_PUNCT: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!%^*-_+.~@";
const HEX: &str = "0123456789abcdef";
const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64(bytes: &[u8]) -> String {
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

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> u64 {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("generated text holds its value"));
    text[..at].matches('\n').count() as u64 + 1
}

fn scan(path: &str, text: &str) -> Report {
    scan_bytes(shared(), path, text.as_bytes(), None)
}

/// Asserts that no finding, skip reason or rendering of the report shows a secret whole.
fn shows_none(report: &Report, secrets: &[&str], seed: u64) {
    let rendered = format!(
        "{}{:?}",
        serde_json::to_string(report).expect("serialises"),
        report
    );
    for secret in secrets {
        assert!(
            !rendered.contains(secret),
            "seed {seed}: a secret of {} characters is shown whole",
            secret.len()
        );
    }
}

/// The findings on `line`.
fn on_line(report: &Report, line: u64) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.line == line).collect()
}

/// Asserts a finding on `line` of one of `rules` (of any rule if none are named).
#[track_caller]
fn expect_rule(report: &Report, path: &str, line: u64, rules: &[&str], seed: u64) {
    let found = on_line(report, line);
    assert!(
        found
            .iter()
            .any(|f| rules.is_empty() || rules.contains(&f.rule.as_str())),
        "seed {seed}: {path} line {line}: expected one of {rules:?}, got {:?}",
        found.iter().map(|f| &f.rule).collect::<Vec<_>>()
    );
}

#[test]
fn tool_config_files_credentials_are_found() {
    let mut random = Random::new();
    let seed = random.0;
    for _ in 0..8 {
        docker_config(&mut random, seed);
        legacy_dockercfg(&mut random, seed);
        line_formats(&mut random, seed);
        filezilla(&mut random, seed);
        pgpass(&mut random, seed);
        terraform_state(&mut random, seed);
        ansible(&mut random, seed);
        rails_master_key(&mut random, seed);
    }
}

fn docker_config(random: &mut Random, seed: u64) {
    let count = random.range(1, 5);
    let mut entries = Vec::new();
    let mut auths = Vec::new();
    let mut passwords = Vec::new();
    for i in 0..count {
        let password = random.password();
        let auth = base64(format!("{}:{password}", random.user()).as_bytes());
        entries.push(format!(
            "    \"{i}.{}\": {{\n      \"auth\": \"{auth}\"\n    }}",
            random.host()
        ));
        auths.push(auth);
        passwords.push(password);
    }
    // Registries whose credentials are elsewhere, or are templates, sit among them.
    entries.insert(
        random.below(entries.len() + 1),
        "    \"quay.io\": {}".to_owned(),
    );
    entries.insert(
        random.below(entries.len() + 1),
        "    \"empty.io\": {\"auth\": \"\"}".to_owned(),
    );
    let text = format!(
        "{{\n  \"auths\": {{\n{}\n  }},\n  \"credsStore\": \"desktop\",\n  \"credHelpers\": {{\n    \"public.ecr.aws\": \"ecr-login\"\n  }}\n}}\n",
        entries.join(",\n")
    );
    let path = "home/.docker/config.json";
    let report = scan(path, &text);
    assert!(
        report.skipped.is_empty(),
        "seed {seed}: {:?}",
        report.skipped
    );
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "docker-config-auth")
        .collect();
    assert_eq!(
        found.len(),
        count,
        "seed {seed}: {count} registries, reported {:?}\n{text}",
        found.iter().map(|f| f.line).collect::<Vec<_>>()
    );
    for auth in &auths {
        expect_rule(
            &report,
            path,
            line_of(&text, auth),
            &["docker-config-auth"],
            seed,
        );
    }
    let secrets: Vec<&str> = auths.iter().chain(&passwords).map(String::as_str).collect();
    shows_none(&report, &secrets, seed);
}

fn legacy_dockercfg(random: &mut Random, seed: u64) {
    let count = random.range(1, 4);
    let mut auths = Vec::new();
    let mut entries = Vec::new();
    for _ in 0..count {
        let user = random.user();
        let auth = base64(format!("{user}:{}", random.password()).as_bytes());
        entries.push(format!(
            "\"https://{}/v1/\":{{\"auth\":\"{auth}\",\"email\":\"{user}@acme.io\"}}",
            random.host()
        ));
        auths.push(auth);
    }
    let text = format!("{{{}}}", entries.join(","));
    let report = scan("home/.dockercfg", &text);
    assert!(
        report.skipped.is_empty(),
        "seed {seed}: {:?}",
        report.skipped
    );
    let found = report
        .findings
        .iter()
        .filter(|f| f.rule == "dockercfg-auth")
        .count();
    assert_eq!(found, count, "seed {seed}: {:?}", report.findings);
    let secrets: Vec<&str> = auths.iter().map(String::as_str).collect();
    shows_none(&report, &secrets, seed);
}

/// A value on a line, and the rules that may report it.
type Expected<'a> = (&'a str, &'a [&'a str]);

/// Formats a regex reads line by line: each case is a path, its text, and the lines
/// (by a value on them) with the rules that may report them.
fn line_formats(random: &mut Random, seed: u64) {
    let token = random.text(ALNUM, 36);
    let npm_auth = base64(format!("{}:{}", random.user(), random.password()).as_bytes());
    let npm_password = base64(random.password().as_bytes());
    let hub_token = random.text(HEX, 40);
    let (smtp1, smtp2, smtp3) = (random.password(), random.password(), random.password());
    let kube_token = random.text(&format!("{ALNUM}-_."), 48);
    let kube_password = random.password();
    let obscured_len = random.range(32, 64);
    let obscured = random.text(BASE64URL, obscured_len);
    let aws_secret = random.text(&format!("{ALNUM}/+"), 40);
    let s3_secret = random.text(&format!("{ALNUM}/+"), 40);
    let google_access = random.text(&format!("{ALNUM}-_"), 160);
    let google_refresh = random.text(&format!("{ALNUM}-_"), 99);
    let cases: Vec<(&str, String, Vec<Expected>)> = vec![
        (
            "home/.npmrc",
            format!(
                "registry = https://registry.npmjs.org/\n\
                 //npm.acme.io/:_authToken = {token}\n\
                 _auth = {npm_auth}\n\
                 //nexus.acme.io/repository/npm/:_password = \"{npm_password}\"\n\
                 always-auth = true\n"
            ),
            vec![
                (token.as_str(), &["npmrc-auth-token"][..]),
                (npm_auth.as_str(), &["npmrc-spaced-credentials"]),
                (npm_password.as_str(), &["npmrc-spaced-credentials"]),
            ],
        ),
        (
            "home/.config/hub",
            format!(
                "github.com:\n- user: {}\n  oauth_token: {hub_token}\n  protocol: https\n",
                random.user()
            ),
            vec![(hub_token.as_str(), &["hub-oauth-token"][..])],
        ),
        (
            "home/.esmtprc",
            format!(
                "identity {user}@acme.io\n  hostname smtp.acme.io:587\n  username \"{user}\"\n  password = \"{smtp1}\"\n\
                 identity ops@acme.io\n  password \"{smtp2}\"\n",
                user = random.user()
            ),
            vec![
                (
                    smtp1.as_str(),
                    &[
                        "generic-password-assignment",
                        "generic-password-quoted",
                        "mail-client-password",
                    ][..],
                ),
                (smtp2.as_str(), &["mail-client-password"]),
            ],
        ),
        (
            "home/.msmtprc",
            format!(
                "defaults\nauth on\ntls on\n\naccount acme\nhost smtp.acme.io\nport 587\nfrom alerts@acme.io\nuser alerts@acme.io\npassword {smtp3}\n\naccount default : acme\n"
            ),
            vec![(smtp3.as_str(), &["mail-client-password"][..])],
        ),
        (
            "home/.kube/config",
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://k8s.acme.io:6443\n  name: acme\nusers:\n- name: {}\n  user:\n    token: {kube_token}\n- name: admin\n  user:\n    username: admin\n    password: {kube_password}\n",
                random.user()
            ),
            vec![
                (kube_token.as_str(), &["kubernetes-user-token"][..]),
                (kube_password.as_str(), &["kubeconfig-user-password"]),
            ],
        ),
        (
            "home/.config/rclone/rclone.conf",
            format!(
                "[backup]\ntype = sftp\nhost = {}\nuser = {}\npass = {obscured}\n\n[s3]\ntype = s3\nprovider = AWS\naccess_key_id = AKIA{}\nsecret_access_key = {aws_secret}\n\n[drive]\ntype = drive\nscope = drive\ntoken = {{\"access_token\":\"ya29.{google_access}\",\"token_type\":\"Bearer\",\"refresh_token\":\"1//0{google_refresh}\",\"expiry\":\"2024-05-01T10:00:00Z\"}}\n",
                random.host(),
                random.user(),
                random.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
            ),
            vec![
                (obscured.as_str(), &["rclone-obscured-password"][..]),
                (aws_secret.as_str(), &["aws-secret-access-key"]),
                (google_refresh.as_str(), &[]),
            ],
        ),
        (
            "home/.s3cfg",
            format!(
                "[default]\naccess_key = {}\nhost_base = s3.acme.io\nsecret_key = {s3_secret}\nuse_https = True\n",
                random.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20)
            ),
            vec![(s3_secret.as_str(), &["s3cfg-secret-key"][..])],
        ),
    ];
    for (path, text, expected) in &cases {
        let report = scan(path, text);
        for (value, rules) in expected {
            expect_rule(&report, path, line_of(text, value), rules, seed);
        }
        let secrets: Vec<&str> = expected.iter().map(|(v, _)| *v).collect();
        shows_none(&report, &secrets, seed);
    }
}

fn filezilla(random: &mut Random, seed: u64) {
    let plain = random.password();
    let encoded = base64(random.password().as_bytes());
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FileZilla3 version=\"3.66.4\" platform=\"windows\">\n\
         \t<Servers>\n\t\t<Server>\n\t\t\t<Host>{h1}</Host>\n\t\t\t<Port>21</Port>\n\t\t\t<User>{u1}</User>\n\
         \t\t\t<Pass>{plain}</Pass>\n\t\t</Server>\n\t\t<Server>\n\t\t\t<Host>{h2}</Host>\n\t\t\t<Port>22</Port>\n\
         \t\t\t<User>{u2}</User>\n\t\t\t<Pass encoding=\"base64\">{encoded}</Pass>\n\t\t</Server>\n\
         \t\t<Server>\n\t\t\t<Host>{h3}</Host>\n\t\t\t<Pass encoding=\"crypt\" pubkey=\"{key}\">{crypt}</Pass>\n\t\t</Server>\n\
         \t</Servers>\n</FileZilla3>\n",
        h1 = random.host(),
        h2 = random.host(),
        h3 = random.host(),
        u1 = random.user(),
        u2 = random.user(),
        key = random.text(HEX, 64),
        crypt = random.text(HEX, 96),
    );
    for path in ["AppData/FileZilla/sitemanager.xml", "recentservers.xml"] {
        let report = scan(path, &text);
        assert!(
            report.skipped.is_empty(),
            "seed {seed}: {:?}",
            report.skipped
        );
        expect_rule(
            &report,
            path,
            line_of(&text, &plain),
            &["filezilla-password"],
            seed,
        );
        expect_rule(
            &report,
            path,
            line_of(&text, &encoded),
            &["filezilla-password"],
            seed,
        );
        assert_eq!(
            report.findings.len(),
            2,
            "seed {seed}: {:?}",
            report.findings
        );
        shows_none(&report, &[&plain, &encoded], seed);
    }
}

fn pgpass(random: &mut Random, seed: u64) {
    let mut lines = vec!["# hostname:port:database:username:password".to_owned()];
    let mut passwords = Vec::new();
    for _ in 0..random.range(1, 5) {
        let password = random.password();
        let port = ["5432", "6432", "5433", "*"][random.below(4)];
        lines.push(format!(
            "{}:{port}:{}:{}:{password}",
            random.host(),
            random.user(),
            random.user()
        ));
        passwords.push(password);
    }
    lines.push("hostname:5432:database:username:password".to_owned());
    let text = lines.join("\n") + "\n";
    let path = "home/.pgpass";
    let report = scan(path, &text);
    assert!(
        report.skipped.is_empty(),
        "seed {seed}: {:?}",
        report.skipped
    );
    for password in &passwords {
        expect_rule(
            &report,
            path,
            line_of(&text, password),
            &["pgpass-password"],
            seed,
        );
    }
    assert_eq!(report.findings.len(), passwords.len(), "seed {seed}");
    let secrets: Vec<&str> = passwords.iter().map(String::as_str).collect();
    shows_none(&report, &secrets, seed);
}

fn terraform_state(random: &mut Random, seed: u64) {
    let (db, output, key, result) = (
        random.password(),
        random.password(),
        random.text(&format!("{ALNUM}/+"), 40),
        random.password(),
    );
    let text = format!(
        r#"{{
  "version": 4,
  "terraform_version": "1.9.5",
  "serial": 12,
  "lineage": "{lineage}",
  "outputs": {{
    "db_password": {{
      "value": "{output}",
      "type": "string",
      "sensitive": true
    }},
    "db_endpoint": {{
      "value": "{host}:5432",
      "type": "string"
    }}
  }},
  "resources": [
    {{
      "mode": "managed",
      "type": "aws_db_instance",
      "name": "main",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 2,
          "attributes": {{
            "identifier": "orders",
            "username": "{user}",
            "db_pass": "{db}",
            "engine": "postgres"
          }},
          "sensitive_attributes": [
            [
              {{
                "type": "get_attr",
                "value": "db_pass"
              }}
            ]
          ]
        }}
      ]
    }},
    {{
      "mode": "managed",
      "type": "aws_iam_access_key",
      "name": "ci",
      "instances": [
        {{
          "attributes": {{
            "id": "AKIA{key_id}",
            "user": "ci",
            "secret": "{key}"
          }},
          "sensitive_attributes": []
        }}
      ]
    }},
    {{
      "mode": "managed",
      "type": "random_password",
      "name": "api",
      "instances": [
        {{
          "attributes": {{
            "length": 24,
            "result": "{result}"
          }},
          "sensitive_attributes": []
        }}
      ]
    }}
  ]
}}
"#,
        lineage = random.text(HEX, 32),
        host = random.host(),
        user = random.user(),
        key_id = random.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    );
    let path = "infra/terraform.tfstate";
    let report = scan(path, &text);
    assert!(
        report.skipped.is_empty(),
        "seed {seed}: {:?}",
        report.skipped
    );
    for value in [&output, &db, &result] {
        expect_rule(
            &report,
            path,
            line_of(&text, value),
            &["terraform-state-sensitive-value"],
            seed,
        );
    }
    // The access key's secret: its own rule, or the state's.
    expect_rule(
        &report,
        path,
        line_of(&text, &key),
        &["terraform-state-sensitive-value", "aws-secret-access-key"],
        seed,
    );
    shows_none(&report, &[&db, &output, &key, &result], seed);
}

fn ansible(random: &mut Random, seed: u64) {
    let (become_password, ssh_password, vault_password) =
        (random.password(), random.password(), random.password());
    let inventory = format!(
        "[web]\n{} ansible_user=deploy ansible_ssh_pass={ssh_password}\n",
        random.host()
    );
    let report = scan("inventory/hosts.ini", &inventory);
    expect_rule(
        &report,
        "hosts.ini",
        line_of(&inventory, &ssh_password),
        &["ansible-connection-password"],
        seed,
    );
    let vars = format!("ansible_user: deploy\nansible_become_password: \"{become_password}\"\n");
    let report = scan("group_vars/web.yml", &vars);
    // Quoted, a value that starts with `!` (a YAML tag when bare) is the quoted rule's.
    expect_rule(
        &report,
        "web.yml",
        2,
        &["ansible-connection-password", "generic-password-quoted"],
        seed,
    );
    for path in [
        "ansible/.vault_pass",
        "vault-password.txt",
        ".ansible_vault_pass",
    ] {
        let report = scan(path, &format!("{vault_password}\n"));
        expect_rule(&report, path, 1, &["ansible-vault-password"], seed);
        shows_none(&report, &[&vault_password], seed);
    }
    shows_none(&report, &[&become_password], seed);
}

/// Rails' master key: 32 hex digits alone in `config/master.key` or
/// `config/credentials/<env>.key`; the same digits in any other file say nothing.
fn rails_master_key(random: &mut Random, seed: u64) {
    let key = random.text("0123456789abcdef", 32);
    for path in ["config/master.key", "config/credentials/production.key"] {
        let report = scan(path, &format!("{key}\n"));
        expect_rule(&report, path, 1, &["rails-master-key"], seed);
        shows_none(&report, &[&key], seed);
    }
    let report = scan("config/cache.txt", &format!("{key}\n"));
    assert!(
        report.findings.is_empty(),
        "seed {seed}: a bare hex line in any file"
    );
    let report = scan("config/master.key", "00000000000000000000000000000000\n");
    assert!(
        report.findings.is_empty(),
        "seed {seed}: a made-up master key"
    );
}

/// A vaulted file as `ansible-vault encrypt` writes it: a header and hex lines of 80.
fn vaulted(random: &mut Random) -> String {
    let lines = random.range(3, 8);
    let hex = random.text(HEX, 80 * lines + 40);
    let lines: Vec<&str> = hex
        .as_bytes()
        .chunks(80)
        .map(|c| std::str::from_utf8(c).expect("hex"))
        .collect();
    format!("$ANSIBLE_VAULT;1.1;AES256\n{}\n", lines.join("\n"))
}

#[test]
fn tool_config_placeholders_stores_and_vaulted_values_stay_silent() {
    let mut random = Random::new();
    let seed = random.0;
    let template_auth = base64(format!("{}:${{REGISTRY_PASSWORD}}", random.user()).as_bytes());
    let vault = vaulted(&mut random);
    let inline_vault = vault.replace('\n', "\n          ");
    let cases: Vec<(&str, String)> = vec![
        (
            "home/.docker/config.json",
            format!(
                "{{\n  \"auths\": {{\n    \"ghcr.io\": {{}},\n    \"quay.io\": {{\"auth\": \"\"}},\n    \"acme.io\": {{\"auth\": \"{template_auth}\"}},\n    \"tpl.io\": {{\"auth\": \"${{DOCKER_AUTH}}\"}}\n  }},\n  \"credsStore\": \"osxkeychain\",\n  \"credHelpers\": {{\"gcr.io\": \"gcloud\", \"public.ecr.aws\": \"ecr-login\"}}\n}}\n"
            ),
        ),
        (
            "home/.dockercfg",
            "{\"https://index.docker.io/v1/\":{\"auth\":\"\",\"email\":\"ops@acme.io\"}}".to_owned(),
        ),
        (
            "home/.npmrc",
            "_auth = ${NPM_AUTH}\n//registry.npmjs.org/:_authToken = ${NPM_TOKEN}\n".to_owned(),
        ),
        (
            "sitemanager.xml",
            format!(
                "<FileZilla3><Servers><Server><Pass encoding=\"crypt\" pubkey=\"{}\">{}</Pass></Server>\
                 <Server><Pass></Pass></Server></Servers></FileZilla3>",
                random.text(HEX, 64),
                random.text(HEX, 96)
            ),
        ),
        (
            "home/.pgpass",
            "# hostname:port:database:username:password\nhostname:5432:database:username:password\n*:*:*:*:${PGPASSWORD}\n"
                .to_owned(),
        ),
        ("group_vars/all/vault.yml", vault.clone()),
        (
            "group_vars/web.yml",
            format!(
                "ansible_become_password: !vault |\n          {inline_vault}ansible_ssh_pass: \"{{{{ vault_ssh_pass }}}}\"\n"
            ),
        ),
        (
            "ansible/.vault_pass",
            "#!/bin/sh\nexec pass show ansible/vault\n".to_owned(),
        ),
        (
            "infra/terraform.tfstate",
            "{\"version\": 4, \"outputs\": {\"db_host\": {\"value\": \"db.acme.internal\", \"type\": \"string\"}}, \
             \"resources\": [{\"type\": \"aws_vpc\", \"instances\": [{\"attributes\": {\"id\": \"vpc-1\", \"password\": \"\"}, \
             \"sensitive_attributes\": []}]}]}"
                .to_owned(),
        ),
    ];
    for (path, text) in &cases {
        let report = scan(path, text);
        assert!(
            report.findings.is_empty(),
            "seed {seed}: {path}: {:?}",
            report
                .findings
                .iter()
                .map(|f| (&f.rule, f.line, &f.redacted))
                .collect::<Vec<_>>()
        );
        assert!(
            report.skipped.is_empty(),
            "seed {seed}: {path}: {:?}",
            report.skipped
        );
    }
}

#[test]
fn broken_tool_config_files_are_noted_and_their_other_findings_kept() {
    let mut random = Random::new();
    let seed = random.0;
    // A token another rule finds, in every broken file.
    let token = format!("glpat-{}", random.text(ALNUM, 20));
    let auth = base64(format!("{}:{}", random.user(), random.password()).as_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "home/.docker/config.json",
            format!("{{\"note\": \"{token}\",\n \"auths\": {{\"a.io\": {{\"auth\": \"{auth}\"}}, \"b.io\": {{\"auth\": \"{}",
                &auth[..auth.len() / 2]).into_bytes(),
            "invalid JSON at line 2",
        ),
        (
            "home/.docker/config.json",
            format!("{{\"note\": \"{token}\", \"auths\": {{\"a.io\": {{\"auth\": \"not*base64\"}}}}}}").into_bytes(),
            "not base64",
        ),
        (
            "home/.dockercfg",
            [&b"\xff\xfe"[..], token.as_bytes(), b"\n{\"x\":"].concat(),
            "invalid JSON",
        ),
        (
            "sitemanager.xml",
            format!("<FileZilla3><!-- {token} -->\n<Server><Pass encoding=\"base64\">{}", &auth[..8]).into_bytes(),
            "not closed",
        ),
        (
            "sitemanager.xml",
            format!("<FileZilla3><!-- {token} -->\n<Pass encoding=\"base64\">%%%%</Pass>").into_bytes(),
            "does not decode",
        ),
        (
            "infra/terraform.tfstate",
            format!("{{\"outputs\": {{}}, \"note\": \"{token}\", \"resources\": [{{").into_bytes(),
            "invalid JSON",
        ),
    ];
    for (path, data, why) in &cases {
        let report = scan_bytes(shared(), path, data, None);
        assert!(
            report.findings.iter().any(|f| f.rule.starts_with("gitlab")),
            "seed {seed}: {path}: the token is lost: {:?}",
            report.findings
        );
        assert_eq!(report.skipped.len(), 1, "seed {seed}: {path}");
        let reason = &report.skipped[0].reason;
        assert!(reason.contains(why), "seed {seed}: {path}: {reason}");
        assert!(
            !reason.contains(&auth) && !reason.contains(&token),
            "{path}"
        );
    }
}

#[test]
fn a_tool_config_too_large_to_read_whole_is_noted_and_still_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.json");
    let mut random = Random::new();
    let token = format!("glpat-{}", random.text(ALNUM, 20));
    let mut text = format!("{{\"auths\": {{}}, \"note\": \"{token}\", \"pad\": \"");
    text.push_str(&"a\n".repeat(300_000));
    text.push_str("\"}\n");
    std::fs::write(&path, &text).expect("write");
    let mut config = config();
    config.window = 256 << 10;
    let mut report = Report::default();
    config.scan_file(Path::new(&path), "config.json", &mut report);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(
        report.skipped[0].reason.contains("read in windows"),
        "{:?}",
        report.skipped
    );
    assert!(report.findings.iter().any(|f| f.rule.starts_with("gitlab")));
}

/// A docker config written by another implementation: Python's `json` and `base64`.
#[test]
fn a_docker_config_written_by_python_is_read_whole() {
    let script = r#"
import base64, json, secrets, string
alphabet = string.ascii_letters + string.digits + "!%^*-_+.~"
auths = {}
for i in range(1 + secrets.randbelow(5)):
    password = "".join(secrets.choice(alphabet) for _ in range(16 + secrets.randbelow(16)))
    user = "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    auths["registry%d.acme.io" % i] = {"auth": base64.b64encode(("%s:%sQ7" % (user, password)).encode()).decode()}
print(json.dumps({"auths": auths, "credsStore": "desktop"}, indent="\t"))
"#;
    let Ok(output) = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
    else {
        eprintln!("python3 is not installed: skipped");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("JSON is UTF-8");
    let registries = text.matches("\"auth\"").count();
    let report = scan("home/.docker/config.json", &text);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule == "docker-config-auth")
            .count(),
        registries,
        "{:?}",
        report.findings
    );
}
