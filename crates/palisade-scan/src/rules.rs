//! Detection rules: the built-in set (`rules/*.toml`, compiled into the binary) and rules
//! users add in their model. A rule is a keyword list for the prefilter, a regex with a
//! `secret` capture, and the checks a match must pass (entropy, checksum, placeholders).
//!
//! Built-in regexes are compiled on first use ([`LazyRegex`]): a scan runs only the rules
//! whose keywords occur, and compiling all of them costs more than a pre-commit scan of a
//! small change. Loading still parses each built-in pattern, for its capture groups.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::ast::{self, Ast, GroupKind};
use serde::{Deserialize, Serialize};

/// The built-in rule files, by name.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("cloud.toml", include_str!("../rules/cloud.toml")),
    ("database.toml", include_str!("../rules/database.toml")),
    ("generic.toml", include_str!("../rules/generic.toml")),
    ("hashes.toml", include_str!("../rules/hashes.toml")),
    (
        "identifiers.toml",
        include_str!("../rules/identifiers.toml"),
    ),
    ("keys.toml", include_str!("../rules/keys.toml")),
    ("messaging.toml", include_str!("../rules/messaging.toml")),
    ("payment.toml", include_str!("../rules/payment.toml")),
    ("registry.toml", include_str!("../rules/registry.toml")),
    ("saas.toml", include_str!("../rules/saas.toml")),
    ("services.toml", include_str!("../rules/services.toml")),
    ("tools.toml", include_str!("../rules/tools.toml")),
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
    /// Not a credential, but a name of the organisation's infrastructure (a cloud
    /// account, a resource, a storage bucket, an OAuth client) that ties the code to it.
    Identifier,
}

impl RuleKind {
    /// The lowercase name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Secret => "secret",
            RuleKind::Transport => "transport",
            RuleKind::Pii => "pii",
            RuleKind::Identifier => "identifier",
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

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Severity, String> {
        match text {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "{text:?} is not a severity: use low, medium, high or critical"
            )),
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

impl Checksum {
    /// Whether `secret` carries a valid checksum of this kind.
    pub fn valid(self, secret: &[u8]) -> bool {
        match self {
            Checksum::GithubCrc32 | Checksum::NpmCrc32 => {
                crate::checks::github_checksum_valid(secret)
            }
        }
    }
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
    /// The value sits where no code can be (a command line, a `.netrc`): a value shaped
    /// like a name in code (`dev_admin`, `a.b`) is a literal there, not a variable.
    #[serde(default)]
    pub literal: bool,
    /// The value follows an assignment operator (`password = …`), where, in source code,
    /// an unquoted value is an expression: a guessable value must then be quoted, and is
    /// never an unquoted camelCase name (`password = userPassword`).
    #[serde(default)]
    pub assignment: bool,
    /// A password rule that also reports guessable passwords: a literal value shorter
    /// than 8 characters or below `min_entropy` (`secret`, `postgres1`, `open sesame`)
    /// is reported at low severity instead of dropped, unless it is a stand-in, the user
    /// name again, or aimed at a documentation host.
    #[serde(default)]
    pub guessable: bool,
    /// The rule matches any name ending in a word such as `key` (`geo_key`, `fastlyKey`,
    /// `SUMOLOGIC_ACCESSKEY`): a match counts only where that name says it holds a
    /// credential ([`crate::checks::names_a_credential`]), and then a hex value or a
    /// UUID under it is the credential itself, not a digest or an id.
    #[serde(default)]
    pub key_name: bool,
    /// The value is read from a file that stores credentials for a program to use (a
    /// `.pgpass` line, FileZilla's `<Pass>`): a stand-in word there (`password`,
    /// `Example…`, `test…`) is still the password stored, so only an empty value, a
    /// mask, a filler or a template is dropped ([`crate::checks::stored_rejection`]).
    #[serde(default)]
    pub stored: bool,
    /// Texts that must produce a finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts that must not.
    #[serde(default)]
    pub counter_examples: Vec<String>,
    /// Texts that must produce a guessable (low-severity) finding of this rule and no
    /// strong one; only for rules with `guessable = true`.
    #[serde(default)]
    pub guessable_examples: Vec<String>,
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
    /// The compiled pattern (built-in rules: compiled on first use).
    pub regex: LazyRegex,
    /// Index of the `secret` capture group.
    pub secret_group: usize,
    /// Index of the `host` capture group, if any.
    pub host_group: Option<usize>,
    /// Index of the `name` capture group, if any: the name the secret is given (an HTTP
    /// header's), where it is not the identifier the match starts with.
    pub name_group: Option<usize>,
    /// Where the rule came from (`builtin:cloud.toml`, `palisade.toml`).
    pub origin: String,
}

/// A rule's regex, compiled when it is first used and then shared by every thread and every
/// clone of the rule. It dereferences to the [`Regex`].
///
/// Only built-in patterns are left uncompiled at load: the tests compile every one of them,
/// so compiling later cannot fail. A rule added with [`RuleSet::add`] or
/// [`RuleSet::add_toml`] (the model's own) is compiled at once, so that a pattern too large
/// to compile is refused at load, with the rule's name.
#[derive(Clone)]
pub struct LazyRegex {
    pattern: Arc<str>,
    compiled: Arc<OnceLock<Regex>>,
}

impl LazyRegex {
    /// A pattern compiled on first use; it must be one that compiles.
    fn builtin(pattern: &str) -> LazyRegex {
        LazyRegex {
            pattern: pattern.into(),
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// An already compiled pattern.
    fn compiled(regex: Regex) -> LazyRegex {
        LazyRegex {
            pattern: regex.as_str().into(),
            compiled: Arc::new(OnceLock::from(regex)),
        }
    }

    /// The pattern.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern has been compiled yet.
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The compiled regex, compiling it now if this is its first use (threads that ask at
    /// the same time wait for the one compiling it).
    pub fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            build(&self.pattern)
                .expect("a built-in pattern compiles: the tests compile every one of them")
        })
    }
}

impl Deref for LazyRegex {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.get()
    }
}

impl fmt::Debug for LazyRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyRegex")
            .field("pattern", &self.pattern)
            .field("compiled", &self.is_compiled())
            .finish()
    }
}

/// A rule that cannot be used, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// The file or model the rule is in.
    pub origin: String,
    /// The rule's id, when known.
    pub rule: Option<String>,
    /// The part of the rule that is wrong, when one is.
    pub field: Option<RuleField>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The part of a rule a [`RuleError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleField {
    /// `id`.
    Id,
    /// `keywords`, as a whole (none given).
    Keywords,
    /// One entry of `keywords`, by index.
    Keyword(usize),
    /// `pattern`.
    Pattern,
    /// `min_entropy`.
    MinEntropy,
    /// `guessable_examples`, as a whole.
    GuessableExamples,
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
    /// The built-in rules; their regexes are compiled on first use.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN_FILES {
            set.add_file(&format!("builtin:{name}"), text, Compile::OnFirstUse)?;
        }
        Ok(set)
    }

    /// Adds the rules of a TOML rules file (`[[rule]]` tables), compiling their regexes.
    pub fn add_toml(&mut self, origin: &str, text: &str) -> Result<(), RuleError> {
        self.add_file(origin, text, Compile::Now)
    }

    /// Adds one rule, compiling its regex.
    pub fn add(&mut self, origin: &str, spec: RuleSpec) -> Result<(), RuleError> {
        self.add_spec(origin, spec, Compile::Now)
    }

    fn add_file(&mut self, origin: &str, text: &str, when: Compile) -> Result<(), RuleError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RuleError {
            origin: origin.to_owned(),
            rule: None,
            field: None,
            message: e.to_string(),
        })?;
        for spec in file.rule {
            self.add_spec(origin, spec, when)?;
        }
        Ok(())
    }

    fn add_spec(&mut self, origin: &str, spec: RuleSpec, when: Compile) -> Result<(), RuleError> {
        let rule = compile(origin, spec, when)?;
        if self.rules.iter().any(|r| r.spec.id == rule.spec.id) {
            return Err(RuleError {
                origin: origin.to_owned(),
                rule: Some(rule.spec.id.clone()),
                field: Some(RuleField::Id),
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

/// When a rule's regex is compiled.
#[derive(Debug, Clone, Copy)]
enum Compile {
    /// At load: any pattern, with every error (size limit included) reported then.
    Now,
    /// On first use: built-in patterns, which the tests compile. Loading only parses them.
    OnFirstUse,
}

fn compile(origin: &str, spec: RuleSpec, when: Compile) -> Result<Rule, RuleError> {
    let fail = |field: RuleField, message: String| RuleError {
        origin: origin.to_owned(),
        rule: Some(spec.id.clone()),
        field: Some(field),
        message,
    };
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(fail(
            RuleField::Id,
            "the id must be kebab-case: lowercase letters, digits and dashes".to_owned(),
        ));
    }
    if spec.keywords.is_empty() {
        return Err(fail(
            RuleField::Keywords,
            "add at least one keyword: a literal every match contains, for the prefilter"
                .to_owned(),
        ));
    }
    let mut seen = HashSet::new();
    for (i, keyword) in spec.keywords.iter().enumerate() {
        if keyword.len() < 3 || !keyword.is_ascii() || keyword.to_ascii_lowercase() != *keyword {
            return Err(fail(
                RuleField::Keyword(i),
                format!("keyword {keyword:?} must be lowercase ASCII of 3 bytes or more"),
            ));
        }
        if !seen.insert(keyword) {
            return Err(fail(
                RuleField::Keyword(i),
                format!("keyword {keyword:?} is listed twice"),
            ));
        }
    }
    if !spec.guessable && !spec.guessable_examples.is_empty() {
        return Err(fail(
            RuleField::GuessableExamples,
            "guessable_examples need `guessable = true`: only such a rule reports guessable \
             passwords"
                .to_owned(),
        ));
    }
    if let Some(entropy) = spec.min_entropy
        && !(0.0..=8.0).contains(&entropy)
    {
        return Err(fail(
            RuleField::MinEntropy,
            format!("min_entropy {entropy} is outside 0 to 8 (bits a character)"),
        ));
    }
    let (regex, groups) = match when {
        Compile::Now => {
            let regex = build(&spec.pattern).map_err(|e| {
                fail(
                    RuleField::Pattern,
                    format!("the pattern does not compile: {e}"),
                )
            })?;
            let group = |name: &str| regex.capture_names().position(|n| n == Some(name));
            let groups = Groups {
                secret: group("secret"),
                host: group("host"),
                name: group("name"),
            };
            (LazyRegex::compiled(regex), groups)
        }
        Compile::OnFirstUse => {
            let groups = capture_groups(&spec.pattern).map_err(|e| {
                fail(
                    RuleField::Pattern,
                    format!("the pattern does not compile: {e}"),
                )
            })?;
            (LazyRegex::builtin(&spec.pattern), groups)
        }
    };
    let Some(secret_group) = groups.secret else {
        return Err(fail(
            RuleField::Pattern,
            "the pattern needs a named capture `(?P<secret>...)` around the credential".to_owned(),
        ));
    };
    let host_group = groups.host;
    Ok(Rule {
        spec,
        regex,
        secret_group,
        host_group,
        name_group: groups.name,
        origin: origin.to_owned(),
    })
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// Indexes of the `secret` and `host` capture groups, as the compiled regex numbers them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Groups {
    secret: Option<usize>,
    host: Option<usize>,
    name: Option<usize>,
}

/// The capture groups of `pattern`, from its syntax tree alone: a fraction of the cost of
/// compiling it (and of translating it, which expands Unicode classes). The error is the
/// parser's message.
fn capture_groups(pattern: &str) -> Result<Groups, String> {
    let tree = ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    Ok(ast::visit(&tree, GroupFinder::default()).unwrap_or_else(|never| match never {}))
}

#[derive(Default)]
struct GroupFinder(Groups);

impl ast::Visitor for GroupFinder {
    type Output = Groups;
    type Err = std::convert::Infallible;

    fn finish(self) -> Result<Groups, Self::Err> {
        Ok(self.0)
    }

    fn visit_pre(&mut self, node: &Ast) -> Result<(), Self::Err> {
        if let Ast::Group(group) = node
            && let GroupKind::CaptureName { name, .. } = &group.kind
        {
            let index = Some(name.index as usize);
            match name.name.as_str() {
                "secret" => self.0.secret = index,
                "host" => self.0.host = index,
                "name" => self.0.name = index,
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> RuleSet {
        RuleSet::builtin().unwrap_or_else(|e| panic!("the built-in rules load: {e}"))
    }

    #[test]
    fn builtin_capture_groups_are_numbered_as_the_compiled_regex_numbers_them() {
        for rule in builtin().rules() {
            let compiled = build(rule.regex.as_str()).expect("every built-in pattern compiles");
            let group = |name: &str| compiled.capture_names().position(|n| n == Some(name));
            assert_eq!(
                (Some(rule.secret_group), rule.host_group, rule.name_group),
                (group("secret"), group("host"), group("name")),
                "{}",
                rule.spec.id
            );
        }
    }

    #[test]
    fn builtin_regexes_are_compiled_once_on_first_use_and_shared() {
        let set = builtin();
        assert!(set.rules().iter().all(|r| !r.regex.is_compiled()));
        let rule = &set.rules()[0];
        let copy = rule.clone();
        let addresses: Vec<usize> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| std::ptr::from_ref(rule.regex.get()) as usize))
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("thread"))
                .collect()
        });
        assert!(addresses.iter().all(|&a| a == addresses[0]));
        assert!(
            copy.regex.is_compiled(),
            "a clone shares the compiled regex"
        );
        assert_eq!(std::ptr::from_ref(copy.regex.get()) as usize, addresses[0]);
        assert!(!set.rules()[1].regex.is_compiled());
    }

    #[test]
    fn added_rules_are_compiled_at_load_and_too_large_ones_refused() {
        let file = |pattern: &str| {
            format!(
                "[[rule]]\nid = \"big\"\nname = \"x\"\nkind = \"secret\"\nseverity = \"high\"\n\
                 keywords = [\"abc\"]\npattern = '{pattern}'\n"
            )
        };
        let mut set = RuleSet::default();
        set.add_toml("custom.toml", &file(r"abc(?P<secret>\w+)"))
            .expect("compiles");
        assert!(set.rules()[0].regex.is_compiled());
        let err = RuleSet::default()
            .add_toml("custom.toml", &file(r"abc(?P<secret>(?:\w{1000}){1000})"))
            .expect_err("too large");
        assert!(err.to_string().contains("does not compile"), "{err}");
    }
}
