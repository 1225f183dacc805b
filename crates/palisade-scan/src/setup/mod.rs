//! Building a scan from the model: its own rules, disabled rules, allowlists, where
//! personal data may not live, and the baseline.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use palisade_model::glob::Glob;
use palisade_model::{Model, ScanRule};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

use crate::engine::{EngineError, Scanner};
use crate::pii::PiiDetector;
use crate::rules::{RuleError, RuleSet, RuleSpec};
use crate::scan::{DEFAULT_PII_PATHS, Report, ScanConfig};

/// What could not be set up, with where and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A rule is invalid.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The prefilter could not be built.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A setting of `[scan]` is invalid.
    #[error("{origin}: scan.{setting}: {message}")]
    Setting {
        /// The model file.
        origin: String,
        /// The setting.
        setting: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The baseline cannot be read.
    #[error("baseline {path}: {message}")]
    Baseline {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// How to set a scan up.
#[derive(Debug, Default)]
pub struct SetupOptions<'a> {
    /// The model and its file, if there is one.
    pub model: Option<(&'a Model, &'a Path)>,
    /// A baseline file that overrides the model's.
    pub baseline: Option<PathBuf>,
    /// Look for personal data.
    pub pii: bool,
}

/// The scan configuration: built-in rules plus the model's, minus disabled ones;
/// allowlists; personal-data paths; the baseline.
pub fn build(options: &SetupOptions<'_>) -> Result<ScanConfig, SetupError> {
    let mut rules = RuleSet::builtin()?;
    let origin = options
        .model
        .map(|(_, path)| path.display().to_string())
        .unwrap_or_default();
    let mut baseline_path = options.baseline.clone();
    let mut allow_paths = Vec::new();
    let mut allow_patterns = Vec::new();
    let mut pii_paths: Vec<String> = Vec::new();
    let mut min_severity = None;
    if let Some((model, path)) = options.model {
        let settings = &model.scan;
        if let Some(text) = &settings.min_severity {
            min_severity = Some(text.parse().map_err(|message| SetupError::Setting {
                origin: origin.clone(),
                setting: "min_severity",
                message,
            })?);
        }
        for id in &settings.disable {
            if !rules.rules().iter().any(|r| &r.spec.id == id) {
                let ids: Vec<&str> = rules.rules().iter().map(|r| r.spec.id.as_str()).collect();
                let hint = palisade_model::did_you_mean(id, ids.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(SetupError::Setting {
                    origin: origin.clone(),
                    setting: "disable",
                    message: format!("no built-in rule is called `{id}`{hint}"),
                });
            }
        }
        rules.retain(|r| !settings.disable.contains(&r.spec.id));
        for rule in &settings.rules {
            let spec = spec_of(rule).map_err(|message| RuleError {
                origin: origin.clone(),
                rule: Some(rule.id.clone()),
                message,
            })?;
            rules.add(&origin, spec)?;
            check_examples(&rules, &rule.id, &origin)?;
        }
        for glob in &settings.allow_paths {
            allow_paths.push(Glob::new(glob).map_err(|e| SetupError::Setting {
                origin: origin.clone(),
                setting: "allow_paths",
                message: format!("{glob:?}: {} (at byte {})", e.message, e.offset),
            })?);
        }
        for pattern in &settings.allow_patterns {
            allow_patterns.push(Regex::new(pattern).map_err(|e| SetupError::Setting {
                origin: origin.clone(),
                setting: "allow_patterns",
                message: format!("{pattern:?} is not a regex: {e}"),
            })?);
        }
        if baseline_path.is_none()
            && let Some(file) = &settings.baseline
        {
            let dir = path.parent().unwrap_or(Path::new("."));
            baseline_path = Some(dir.join(file));
        }
        for env in model.environments.iter().filter(|e| !e.production_data) {
            pii_paths.extend(env.data_paths.iter().cloned());
        }
    }
    if pii_paths.is_empty() {
        pii_paths = DEFAULT_PII_PATHS.iter().map(|s| (*s).to_owned()).collect();
    }
    let mut config = ScanConfig::new(Scanner::new(rules)?);
    config.allow_paths = allow_paths;
    config.allow_patterns = allow_patterns;
    config.min_severity = min_severity;
    if options.pii {
        let globs = pii_paths
            .iter()
            .map(|g| {
                Glob::new(g).map_err(|e| SetupError::Setting {
                    origin: origin.clone(),
                    setting: "environments.data_paths",
                    message: format!("{g:?}: {} (at byte {})", e.message, e.offset),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        config.pii = Some((PiiDetector::new(), globs));
    }
    if let Some(path) = baseline_path {
        config.baseline = read_baseline(&path)?;
    }
    Ok(config)
}

/// A model rule as a rule spec: the same fields, checked by the rule compiler.
fn spec_of(rule: &ScanRule) -> Result<RuleSpec, String> {
    let value = toml::Value::try_from(rule).map_err(|e| e.to_string())?;
    value.try_into().map_err(|e: toml::de::Error| e.to_string())
}

/// A model rule must find its examples (as strong findings), its guessable examples (as
/// guessable ones only) and none of its counter-examples.
fn check_examples(rules: &RuleSet, id: &str, origin: &str) -> Result<(), RuleError> {
    let Some(rule) = rules.rules().iter().find(|r| r.spec.id == id) else {
        return Ok(());
    };
    let mut alone = RuleSet::default();
    alone.add(origin, rule.spec.clone())?;
    let scanner = Scanner::new(alone).map_err(|e| RuleError {
        origin: origin.to_owned(),
        rule: Some(id.to_owned()),
        message: e.to_string(),
    })?;
    let fail = |message: String| RuleError {
        origin: origin.to_owned(),
        rule: Some(id.to_owned()),
        message,
    };
    for example in &rule.spec.examples {
        let hits = scanner.scan(example.as_bytes());
        if hits.is_empty() {
            return Err(fail(format!(
                "example {example:?} is not found: fix the pattern, its keywords or min_entropy"
            )));
        }
        if hits.iter().all(|hit| hit.guessable) {
            return Err(fail(format!(
                "example {example:?} is found only as a guessable password: move it to \
                 guessable_examples, or lower min_entropy"
            )));
        }
    }
    for counter in &rule.spec.counter_examples {
        if !scanner.scan(counter.as_bytes()).is_empty() {
            return Err(fail(format!(
                "counter-example {counter:?} is found: tighten the pattern"
            )));
        }
    }
    for example in &rule.spec.guessable_examples {
        let hits = scanner.scan(example.as_bytes());
        if hits.is_empty() {
            return Err(fail(format!(
                "guessable example {example:?} is not found: fix the pattern or its keywords \
                 (a guessable value needs 6 characters or more)"
            )));
        }
        if hits.iter().any(|hit| !hit.guessable) {
            return Err(fail(format!(
                "guessable example {example:?} is found as a strong password: it is 8 \
                 characters or more and reaches min_entropy; move it to examples"
            )));
        }
    }
    Ok(())
}

/// A baseline file: the fingerprints of findings accepted once, sorted, so that it only
/// changes when findings are added or removed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version, 1.
    pub version: u32,
    /// The accepted findings.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// Its fingerprint (rule, path, secret digest).
    pub fingerprint: String,
    /// The rule, for people reading the file.
    pub rule: String,
    /// The path, for people reading the file.
    pub path: String,
}

/// The baseline of a report, as the JSON text to write.
pub fn baseline_of(report: &Report) -> String {
    let mut findings: Vec<BaselineEntry> = report
        .findings
        .iter()
        .map(|f| BaselineEntry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            path: f.path.clone(),
        })
        .collect();
    findings.sort();
    findings.dedup();
    let baseline = Baseline {
        version: 1,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&baseline).unwrap_or_default();
    text.push('\n');
    text
}

/// The fingerprints in a baseline file.
pub fn read_baseline(path: &Path) -> Result<HashSet<String>, SetupError> {
    let fail = |message: String| SetupError::Baseline {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(format!(
            "cannot be read ({e}); create it with `palisade scan --write-baseline {}`",
            path.display()
        ))
    })?;
    let baseline: Baseline = serde_json::from_str(&text)
        .map_err(|e| fail(format!("is not a palisade baseline: {e}")))?;
    if baseline.version != 1 {
        return Err(fail(format!(
            "has version {}, this palisade reads version 1",
            baseline.version
        )));
    }
    Ok(baseline
        .findings
        .into_iter()
        .map(|f| f.fingerprint)
        .collect())
}
