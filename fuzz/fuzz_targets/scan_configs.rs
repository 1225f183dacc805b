//! Tools' configuration files: any bytes under the name of each format read by a parser
//! (docker config.json and .dockercfg, FileZilla XML, .pgpass, Terraform state, an
//! Ansible vault password file, a Rails master key, .msmtprc, .git-credentials) are
//! scanned without a panic; every finding points inside the buffer and never carries the
//! secret in clear, and the regex findings of a file do not depend on whether its parser
//! could read it.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use palisade_scan::scan::{Buffer, Report, ScanConfig};
use palisade_scan::setup::{self, SetupOptions};

static CONFIG: LazyLock<ScanConfig> =
    LazyLock::new(|| setup::build(&SetupOptions::default()).expect("the built-in setup"));

const PATHS: &[&str] = &[
    "home/.docker/config.json",
    "home/.dockercfg",
    "FileZilla/sitemanager.xml",
    "home/.pgpass",
    "infra/terraform.tfstate",
    "ansible/.vault_pass",
    "config/master.key",
    "home/.msmtprc",
    "home/.git-credentials",
];

/// Rules whose findings in these files may come from a parser as well as a regex.
const PARSED_RULES: &[&str] = &[
    "docker-config-auth",
    "dockercfg-auth",
    "filezilla-password",
    "pgpass-password",
    "terraform-state-sensitive-value",
    "ansible-vault-password",
    "rails-master-key",
    "mail-client-password",
    "url-embedded-credentials",
];

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let path = PATHS[usize::from(selector) % PATHS.len()];
    let mut report = Report::default();
    CONFIG.scan_buffer(Buffer::whole(path, data), data.len(), &mut report);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    for f in &report.findings {
        assert!(
            f.line >= 1 && f.line <= f.end_line && f.end_line <= lines,
            "{f:?}"
        );
        assert!(f.redacted.contains('…'));
    }
    assert!(report.skipped.len() <= 1, "{:?}", report.skipped);
    // The same bytes under a name no parser reads: every finding of a rule no parser
    // reports is found again.
    let mut plain = Report::default();
    CONFIG.scan_buffer(Buffer::whole("notes.txt", data), data.len(), &mut plain);
    assert!(plain.skipped.is_empty());
    for f in plain
        .findings
        .iter()
        .filter(|f| !PARSED_RULES.contains(&f.rule.as_str()) && !f.rule.starts_with("generic"))
    {
        assert!(
            report
                .findings
                .iter()
                .any(|g| g.rule == f.rule && g.line == f.line && g.column == f.column),
            "{path}: lost {} at {}:{}",
            f.rule,
            f.line,
            f.column
        );
    }
});
