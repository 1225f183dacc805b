//! Detection rules: the built-in set (`rules/*.toml`, compiled into the binary) and rules
//! users add in their model. A rule is a keyword list for the prefilter, a regex with a
//! `secret` capture, and the checks a match must pass (entropy, checksum, placeholders).

use std::collections::HashSet;
use std::fmt;

use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// The built-in rule files, by name.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("cloud.toml", include_str!("../rules/cloud.toml")),
    ("database.toml", include_str!("../rules/database.toml")),
    ("generic.toml", include_str!("../rules/generic.toml")),
    ("hashes.toml", include_str!("../rules/hashes.toml")),
    ("keys.toml", include_str!("../rules/keys.toml")),
    ("messaging.toml", include_str!("../rules/messaging.toml")),
    ("payment.toml", include_str!("../rules/payment.toml")),
    ("registry.toml", include_str!("../rules/registry.toml")),
    ("saas.toml", include_str!("../rules/saas.toml")),
    ("transport.toml", include_str!("../rules/transport.toml")),
    ("vcs-ci.toml", include_str!("../rules/vcs-ci.toml")),
];

/// The largest compiled regex a rule may have (bytes of the compiled program).
const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// What a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A credential.
    Secret,
    /// A setting that sends data unencrypted to a remote host.
    Transport,
    /// Personal data where production data may not live.
    Pii,
}

impl RuleKind {
    /// The lowercase name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Secret => "secret",
            RuleKind::Transport => "transport",
            RuleKind::Pii => "pii",
        }
    }
}

/// How bad a finding of a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Low,
    /// Worth fixing.
    Medium,
    /// Fix before merging.
    High,
    /// Revoke now.
    Critical,
}

impl Severity {
    /// The lowercase name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// An offline checksum a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Checksum {
    /// GitHub's `ghp_`-style tokens: the last 6 characters are the CRC-32 of the 30
    /// before them, in base62.
    #[serde(rename = "github-crc32")]
    GithubCrc32,
    /// npm's `npm_` tokens: the same scheme as GitHub's.
    #[serde(rename = "npm-crc32")]
    NpmCrc32,
}

/// A rule as written in a rules file or the model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable identifier, kebab-case, unique.
    pub id: String,
    /// Human name.
    pub name: String,
    /// What it finds.
    pub kind: RuleKind,
    /// How bad a finding is.
    pub severity: Severity,
    /// Literals of which every match contains at least one (ASCII case-insensitive).
    pub keywords: Vec<String>,
    /// The regex; its `secret` capture is the credential.
    pub pattern: String,
    /// The offline checksum the secret must pass.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// The least Shannon entropy (bits a character) the secret must have.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// A generic assignment rule: placeholders, hashes, identifiers are dropped.
    #[serde(default)]
    pub generic: bool,
    /// Texts that must produce a finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts that must not.
    #[serde(default)]
    pub counter_examples: Vec<String>,
    /// Where the format is documented.
    #[serde(default)]
    pub references: Vec<String>,
}

/// A rules file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// The compiled pattern.
    pub regex: Regex,
    /// Index of the `secret` capture group.
    pub secret_group: usize,
    /// Index of the `host` capture group, if any.
    pub host_group: Option<usize>,
    /// Where the rule came from (`builtin:cloud.toml`, `palisade.toml`).
    pub origin: String,
}

/// A rule that cannot be used, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// The file or model the rule is in.
    pub origin: String,
    /// The rule's id, when known.
    pub rule: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(rule) => write!(f, "{}: rule `{rule}`: {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// A set of compiled rules with unique ids.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN_FILES {
            set.add_toml(&format!("builtin:{name}"), text)?;
        }
        Ok(set)
    }

    /// Adds the rules of a TOML rules file (`[[rule]]` tables).
    pub fn add_toml(&mut self, origin: &str, text: &str) -> Result<(), RuleError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RuleError {
            origin: origin.to_owned(),
            rule: None,
            message: e.to_string(),
        })?;
        for spec in file.rule {
            self.add(origin, spec)?;
        }
        Ok(())
    }

    /// Adds one rule.
    pub fn add(&mut self, origin: &str, spec: RuleSpec) -> Result<(), RuleError> {
        let rule = compile(origin, spec)?;
        if self.rules.iter().any(|r| r.spec.id == rule.spec.id) {
            return Err(RuleError {
                origin: origin.to_owned(),
                rule: Some(rule.spec.id.clone()),
                message: "another rule already has this id; rule ids must be unique".to_owned(),
            });
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Keeps only the rules `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Rule) -> bool) {
        self.rules.retain(keep);
    }

    /// The rules, in the order added.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn compile(origin: &str, spec: RuleSpec) -> Result<Rule, RuleError> {
    let fail = |message: String| RuleError {
        origin: origin.to_owned(),
        rule: Some(spec.id.clone()),
        message,
    };
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(fail(
            "the id must be kebab-case: lowercase letters, digits and dashes".to_owned(),
        ));
    }
    if spec.keywords.is_empty() {
        return Err(fail(
            "add at least one keyword: a literal every match contains, for the prefilter"
                .to_owned(),
        ));
    }
    let mut seen = HashSet::new();
    for keyword in &spec.keywords {
        if keyword.len() < 3 || !keyword.is_ascii() || keyword.to_ascii_lowercase() != *keyword {
            return Err(fail(format!(
                "keyword {keyword:?} must be lowercase ASCII of 3 bytes or more"
            )));
        }
        if !seen.insert(keyword) {
            return Err(fail(format!("keyword {keyword:?} is listed twice")));
        }
    }
    if let Some(entropy) = spec.min_entropy
        && !(0.0..=8.0).contains(&entropy)
    {
        return Err(fail(format!(
            "min_entropy {entropy} is outside 0 to 8 (bits a character)"
        )));
    }
    let regex = RegexBuilder::new(&spec.pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| fail(format!("the pattern does not compile: {e}")))?;
    let group = |name: &str| regex.capture_names().position(|n| n == Some(name));
    let Some(secret_group) = group("secret") else {
        return Err(fail(
            "the pattern needs a named capture `(?P<secret>...)` around the credential".to_owned(),
        ));
    };
    let host_group = group("host");
    Ok(Rule {
        spec,
        regex,
        secret_group,
        host_group,
        origin: origin.to_owned(),
    })
}
