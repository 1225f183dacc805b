//! The model's `[scan]` table, read into what a scan needs, and each of its mistakes as a
//! located diagnostic with a stable code (`invalid-scan-rule`, `unknown-scan-rule`, ...;
//! docs/scan.md lists them all, and they are a contract like the model's own).

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use palisade_model::glob::{Glob, GlobError};
use palisade_model::{Diagnostic, Model, ModelPath, ScanRule, ScanSettings};
use regex::bytes::Regex;

use super::baseline;
use crate::engine::Scanner;
use crate::rules::{RuleField, RuleKind, RuleSet, RuleSpec, Severity};

/// What the `[scan]` table sets, once read.
#[derive(Debug, Default)]
pub(super) struct Settings {
    /// The rules: those given, minus the disabled ones, plus the model's own.
    pub(super) rules: RuleSet,
    pub(super) allow_paths: Vec<Glob>,
    pub(super) allow_patterns: Vec<Regex>,
    pub(super) min_severity: Option<Severity>,
    /// The fingerprints of `scan.baseline`, when it was read.
    pub(super) baseline: Option<HashSet<String>>,
}

/// The mistakes in the model's `[scan]` table, as diagnostics with model paths
/// (`scan.rules[2].pattern`); resolve their spans with
/// [`palisade_model::resolve_spans`]. `model_file` is where the model was read from:
/// `scan.baseline` is relative to it, and is not read without it.
///
/// A model without rules of its own and without disabled rules costs no rule loading.
pub fn diagnostics(model: &Model, model_file: Option<&Path>) -> Vec<Diagnostic> {
    let scan = &model.scan;
    let rules = if scan.disable.is_empty() && scan.rules.is_empty() {
        RuleSet::default()
    } else {
        match RuleSet::builtin() {
            Ok(rules) => rules,
            // The built-in rules always load (their tests say so); without them there
            // is nothing to compare the model's rules with.
            Err(_) => return Vec::new(),
        }
    };
    let origin = model_file.map_or_else(|| "palisade.toml".to_owned(), |p| p.display().to_string());
    let dir = model_file.map(|file| file.parent().unwrap_or(Path::new(".")));
    let mut out = Vec::new();
    read(scan, rules, &origin, dir, &mut out);
    out
}

/// Reads `scan` on top of `rules` (the built-in ones), pushing every mistake onto `out`.
/// `baseline_dir` is where `scan.baseline` is looked for; `None` leaves it unread.
pub(super) fn read(
    scan: &ScanSettings,
    mut rules: RuleSet,
    origin: &str,
    baseline_dir: Option<&Path>,
    out: &mut Vec<Diagnostic>,
) -> Settings {
    let at = || ModelPath::root().key("scan");
    let min_severity = scan.min_severity.as_ref().and_then(|text| {
        text.parse::<Severity>()
            .map_err(|message| {
                out.push(
                    Diagnostic::error("invalid-min-severity", at().key("min_severity"), message)
                        .label("not a severity"),
                );
            })
            .ok()
    });
    disable(scan, &mut rules, out);
    for (i, rule) in scan.rules.iter().enumerate() {
        add_rule(&mut rules, rule, origin, at().key("rules").index(i), out);
    }
    let mut allow_paths = Vec::new();
    for (i, text) in scan.allow_paths.iter().enumerate() {
        match Glob::new(text) {
            Ok(glob) => allow_paths.push(glob),
            Err(e) => out.push(invalid_glob(text, &e, at().key("allow_paths").index(i))),
        }
    }
    let mut allow_patterns = Vec::new();
    for (i, pattern) in scan.allow_patterns.iter().enumerate() {
        match Regex::new(pattern) {
            Ok(regex) => allow_patterns.push(regex),
            Err(e) => {
                let (problem, within) = regex_problem(pattern, &e);
                let mut d = Diagnostic::error(
                    "invalid-allow-pattern",
                    at().key("allow_patterns").index(i),
                    format!("{pattern:?} is not a regex: {problem}"),
                )
                .label("not a regex")
                .help("allow patterns are regexes (Rust syntax) matched against each secret found");
                if let Some(within) = within {
                    d = d.within(within).label("here");
                }
                out.push(d);
            }
        }
    }
    let baseline = match (&scan.baseline, baseline_dir) {
        (Some(file), Some(dir)) => match baseline::load(&dir.join(file)) {
            Ok(fingerprints) => Some(fingerprints),
            Err(message) => {
                out.push(
                    Diagnostic::error(
                        "invalid-baseline",
                        at().key("baseline"),
                        format!("the baseline {file} {message}"),
                    )
                    .label("this baseline")
                    .help("the path is relative to the model file"),
                );
                None
            }
        },
        _ => None,
    };
    Settings {
        rules,
        allow_paths,
        allow_patterns,
        min_severity,
        baseline,
    }
}

/// An invalid path glob, as the model's own checks report one.
pub(super) fn invalid_glob(text: &str, e: &GlobError, path: ModelPath) -> Diagnostic {
    Diagnostic::error(
        "invalid-glob",
        path,
        format!("invalid path glob `{text}`: {}", e.message),
    )
    .within(e.offset..(e.offset + 1).min(text.len().max(1)))
    .label("here")
    .help(
        "globs use `*` (within a directory), `?`, `[a-z]` and `**` (any depth); see docs/model.md",
    )
}

/// What is wrong with a regex that does not compile, in one line, and where in the
/// pattern when its syntax is what is wrong.
fn regex_problem(pattern: &str, e: &regex::Error) -> (String, Option<Range<usize>>) {
    if let Err(syntax) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        let span = syntax.span();
        let end = span
            .end
            .offset
            .max(span.start.offset + 1)
            .min(pattern.len());
        return (syntax.kind().to_string(), Some(span.start.offset..end));
    }
    let text = e.to_string();
    let problem = match text.rsplit_once("error: ") {
        Some((_, problem)) => problem.to_owned(),
        None => text.lines().map(str::trim).collect::<Vec<_>>().join(" "),
    };
    (problem, None)
}

/// Drops the rules `scan.disable` names; an id no rule has is a mistake.
fn disable(scan: &ScanSettings, rules: &mut RuleSet, out: &mut Vec<Diagnostic>) {
    for (i, id) in scan.disable.iter().enumerate() {
        if rules.rules().iter().any(|r| &r.spec.id == id) {
            continue;
        }
        let ids = rules.rules().iter().map(|r| r.spec.id.as_str());
        let help = match palisade_model::did_you_mean(id, ids) {
            Some(near) => format!("did you mean `{near}`?"),
            None => "disable takes the id of a built-in rule, as its findings show it".to_owned(),
        };
        out.push(
            Diagnostic::error(
                "unknown-scan-rule",
                ModelPath::root().key("scan").key("disable").index(i),
                format!("no built-in rule is called `{id}`"),
            )
            .label("unknown rule")
            .help(help),
        );
    }
    rules.retain(|r| !scan.disable.contains(&r.spec.id));
}

/// Adds one of the model's rules, once it compiles and passes its own examples.
fn add_rule(
    rules: &mut RuleSet,
    rule: &ScanRule,
    origin: &str,
    at: ModelPath,
    out: &mut Vec<Diagnostic>,
) {
    let id = &rule.id;
    let invalid = |path: ModelPath, message: String| {
        Diagnostic::error("invalid-scan-rule", path, format!("rule `{id}`: {message}"))
    };
    if let Err(message) = kind(&rule.kind) {
        out.push(invalid(at.key("kind"), message).label("not a rule kind"));
        return;
    }
    if let Err(message) = rule.severity.parse::<Severity>() {
        out.push(invalid(at.key("severity"), message).label("not a severity"));
        return;
    }
    if let Some(taken) = rules.rules().iter().find(|r| &r.spec.id == id) {
        let help = if taken.origin.starts_with("builtin:") {
            "rule ids must be unique: rename this rule, or disable the built-in one it replaces"
        } else {
            "rule ids must be unique: rename one of the two"
        };
        out.push(
            Diagnostic::error(
                "duplicate-scan-rule",
                at.key("id"),
                format!("another rule is already called `{id}`"),
            )
            .label("taken")
            .help(help),
        );
        return;
    }
    let spec = match spec_of(rule) {
        Ok(spec) => spec,
        Err(message) => return out.push(invalid(at, message)),
    };
    let pattern = spec.pattern.clone();
    if let Err(e) = rules.add(origin, spec) {
        if e.field == Some(RuleField::Pattern)
            && let Err(regex) = regex::bytes::Regex::new(&pattern)
        {
            let (problem, within) = regex_problem(&pattern, &regex);
            let mut d = invalid(
                at.key("pattern"),
                format!("the pattern does not compile: {problem}"),
            )
            .label("not a regex");
            if let Some(within) = within {
                d = d.within(within).label("here");
            }
            return out.push(d);
        }
        let path = match e.field {
            Some(RuleField::Id) => at.key("id"),
            Some(RuleField::Keywords) => at.key("keywords"),
            Some(RuleField::Keyword(k)) => at.key("keywords").index(k),
            Some(RuleField::Pattern) => at.key("pattern"),
            Some(RuleField::MinEntropy) => at.key("min_entropy"),
            Some(RuleField::GuessableExamples) => at.key("guessable_examples"),
            _ => at,
        };
        // Some messages (a regex too large to compile) span lines; a diagnostic is one.
        let message = e
            .message
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        return out.push(invalid(path, message));
    }
    let before = out.len();
    check_examples(rules, id, &at, out);
    if out.len() > before {
        // A rule that does not find its examples is not used.
        rules.retain(|r| &r.spec.id != id);
    }
}

/// A rule kind as the rule files spell it.
fn kind(text: &str) -> Result<RuleKind, String> {
    toml::Value::String(text.to_owned())
        .try_into()
        .map_err(|_| format!("{text:?} is not a rule kind: use secret, transport or identifier"))
}

/// A model rule as a rule spec: the same fields, checked by the rule compiler.
fn spec_of(rule: &ScanRule) -> Result<RuleSpec, String> {
    let value = toml::Value::try_from(rule).map_err(|e| e.to_string())?;
    value.try_into().map_err(|e: toml::de::Error| e.to_string())
}

/// A model rule must find its examples (as strong findings), its guessable examples (as
/// guessable ones only) and none of its counter-examples.
fn check_examples(rules: &RuleSet, id: &str, at: &ModelPath, out: &mut Vec<Diagnostic>) {
    let Some(rule) = rules.rules().iter().find(|r| r.spec.id == id) else {
        return;
    };
    let mut alone = RuleSet::default();
    if alone.add(&rule.origin, rule.spec.clone()).is_err() {
        return; // it was added once already, so it compiles
    }
    let scanner = match Scanner::new(alone) {
        Ok(scanner) => scanner,
        Err(e) => {
            out.push(Diagnostic::error(
                "invalid-scan-rule",
                at.key("keywords"),
                format!("rule `{id}`: {e}"),
            ));
            return;
        }
    };
    let not_found = |list: &'static str, j: usize, message: String, help: &str| {
        Diagnostic::error(
            "scan-rule-example-not-found",
            at.key(list).index(j),
            message,
        )
        .label("this example")
        .help(help)
    };
    for (j, example) in rule.spec.examples.iter().enumerate() {
        let hits = scanner.scan(example.as_bytes());
        if hits.is_empty() {
            out.push(not_found(
                "examples",
                j,
                format!("example of rule `{id}` is not found"),
                "fix the pattern, its keywords or min_entropy",
            ));
        } else if hits.iter().all(|hit| hit.guessable) {
            out.push(not_found(
                "examples",
                j,
                format!("example of rule `{id}` is found only as a guessable password"),
                "move it to guessable_examples, or lower min_entropy",
            ));
        }
    }
    for (j, counter) in rule.spec.counter_examples.iter().enumerate() {
        if !scanner.scan(counter.as_bytes()).is_empty() {
            out.push(
                Diagnostic::error(
                    "scan-rule-counter-example-found",
                    at.key("counter_examples").index(j),
                    format!("counter-example of rule `{id}` is found"),
                )
                .label("found")
                .help("tighten the pattern"),
            );
        }
    }
    for (j, example) in rule.spec.guessable_examples.iter().enumerate() {
        let hits = scanner.scan(example.as_bytes());
        if hits.is_empty() {
            out.push(not_found(
                "guessable_examples",
                j,
                format!("guessable example of rule `{id}` is not found"),
                "fix the pattern or its keywords (a guessable value needs 6 characters or more)",
            ));
        } else if hits.iter().any(|hit| !hit.guessable) {
            out.push(not_found(
                "guessable_examples",
                j,
                format!("guessable example of rule `{id}` is found as a strong password"),
                "it is 8 characters or more and reaches min_entropy: move it to examples",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model `scan` table, with the least of the rest.
    fn model(scan: &str) -> Model {
        let text = format!(
            "[org]\nname = \"Acme\"\ntimezone = \"UTC\"\nlog_name = \"acme.example/palisade\"\n\n{scan}"
        );
        palisade_model::parse(&text).unwrap_or_else(|d| panic!("{}", d.message))
    }

    fn found(scan: &str) -> Vec<(&'static str, String)> {
        diagnostics(&model(scan), None)
            .into_iter()
            .map(|d| (d.code, d.primary.path.to_string()))
            .collect()
    }

    const RULE: &str = "[[scan.rules]]\nid = \"acme-token\"\nname = \"Acme token\"\nkind = \"secret\"\n\
        severity = \"high\"\nkeywords = [\"acme_\"]\npattern = '''\\b(?P<secret>acme_[a-z0-9]{12})\\b'''\n";

    #[test]
    fn a_good_table_has_no_diagnostics() {
        assert_eq!(found(""), []);
        assert_eq!(
            found(&format!(
                "[scan]\ndisable = [\"github-pat-classic\"]\nallow_paths = [\"vendor/**\"]\n\
                 allow_patterns = ['^EXAMPLE$']\nmin_severity = \"medium\"\n\n{RULE}\
                 examples = [\"t=acme_q2x8rk4lm7vn\"]\ncounter_examples = [\"acme_short\"]\n"
            )),
            []
        );
    }

    #[test]
    fn each_mistake_has_its_code_and_place() {
        assert_eq!(
            found(
                "[scan]\nmin_severity = \"severe\"\ndisable = [\"github-pat-clasic\"]\n\
                 allow_paths = [\"a/[b\"]\nallow_patterns = [\"(\"]\n"
            ),
            [
                ("invalid-min-severity", "scan.min_severity".to_owned()),
                ("unknown-scan-rule", "scan.disable[0]".to_owned()),
                ("invalid-glob", "scan.allow_paths[0]".to_owned()),
                ("invalid-allow-pattern", "scan.allow_patterns[0]".to_owned()),
            ]
        );
        let rule = |extra: &str| found(&format!("{RULE}{extra}"));
        assert_eq!(
            rule("examples = [\"t=acme_short\"]\ncounter_examples = [\"acme_q2x8rk4lm7vn\"]\n"),
            [
                (
                    "scan-rule-example-not-found",
                    "scan.rules[0].examples[0]".to_owned()
                ),
                (
                    "scan-rule-counter-example-found",
                    "scan.rules[0].counter_examples[0]".to_owned()
                ),
            ]
        );
        let broken = RULE.replace("(?P<secret>", "(?P<token>");
        assert_eq!(
            found(&broken),
            [("invalid-scan-rule", "scan.rules[0].pattern".to_owned())]
        );
        let kind = RULE.replace("kind = \"secret\"", "kind = \"password\"");
        assert_eq!(
            found(&kind),
            [("invalid-scan-rule", "scan.rules[0].kind".to_owned())]
        );
        let keyword = RULE.replace("[\"acme_\"]", "[\"acme_\", \"AB\"]");
        assert_eq!(
            found(&keyword),
            [("invalid-scan-rule", "scan.rules[0].keywords[1]".to_owned())]
        );
        let taken = RULE.replace("\"acme-token\"", "\"github-pat-classic\"");
        assert_eq!(
            found(&taken),
            [("duplicate-scan-rule", "scan.rules[0].id".to_owned())]
        );
        assert_eq!(
            found(&format!("{RULE}\n{RULE}")),
            [("duplicate-scan-rule", "scan.rules[1].id".to_owned())]
        );
    }

    #[test]
    fn the_baseline_is_read_beside_the_model_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("palisade.toml");
        let m = model("[scan]\nbaseline = \"baseline.json\"\n");
        let codes = |m: &Model| -> Vec<&str> {
            diagnostics(m, Some(&file)).iter().map(|d| d.code).collect()
        };
        assert_eq!(codes(&m), ["invalid-baseline"]);
        std::fs::write(
            dir.path().join("baseline.json"),
            "{\"version\": 1, \"findings\": []}",
        )
        .expect("written");
        assert_eq!(codes(&m), Vec::<&str>::new());
        assert!(
            diagnostics(&m, None).is_empty(),
            "no file, no baseline read"
        );
    }
}
