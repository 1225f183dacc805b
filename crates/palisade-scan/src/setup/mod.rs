//! Building a scan from the model: its own rules, disabled rules, allowlists, where
//! personal data may not live, and the baseline. The mistakes of the model's `[scan]`
//! table are located diagnostics ([`diagnostics`]), which `palisade check` reports and a
//! scan refuses ([`SetupError::Model`]).

mod baseline;
mod settings;

use std::path::{Path, PathBuf};

use palisade_model::glob::Glob;
use palisade_model::{Diagnostic, Model, ModelPath};

pub use baseline::{Baseline, BaselineEntry, baseline_of, read_baseline};
pub use settings::diagnostics;

use crate::engine::{EngineError, Scanner};
use crate::pii::PiiDetector;
use crate::rules::{RuleError, RuleSet};
use crate::scan::{DEFAULT_PII_PATHS, ScanConfig};

/// What could not be set up, with where and how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A built-in rule is invalid.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The prefilter could not be built.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The model's scan settings (its `[scan]` table, its environments' data paths) have
    /// mistakes, each a diagnostic with a model path; their spans are not resolved.
    #[error("{origin}: {}", summary(.diagnostics))]
    Model {
        /// The model file.
        origin: String,
        /// The mistakes, in the order of the table.
        diagnostics: Vec<Diagnostic>,
    },
    /// The baseline given instead of the model's cannot be read.
    #[error("baseline {path}: {message}")]
    Baseline {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// The first diagnostic and how many more there are, for a one-line error.
fn summary(diagnostics: &[Diagnostic]) -> String {
    let Some(first) = diagnostics.first() else {
        return "the scan settings are invalid".to_owned();
    };
    let more = match diagnostics.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    format!("{}: {}{more}", first.primary.path, first.message)
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
///
/// # Errors
///
/// [`SetupError::Model`] with every mistake of the model's scan settings (the same
/// diagnostics as [`diagnostics`], and any invalid data path of an environment when
/// personal data is looked for); [`SetupError::Baseline`] when the baseline given in
/// the options cannot be read.
pub fn build(options: &SetupOptions<'_>) -> Result<ScanConfig, SetupError> {
    let rules = RuleSet::builtin()?;
    let Some((model, path)) = options.model else {
        return configure(
            options,
            settings::Settings {
                rules,
                ..Default::default()
            },
            &[],
        );
    };
    let origin = path.display().to_string();
    // The baseline given in the options replaces the model's, which is then not read.
    let dir = options
        .baseline
        .is_none()
        .then(|| path.parent().unwrap_or(Path::new(".")));
    let mut diagnostics = Vec::new();
    let settings = settings::read(&model.scan, rules, &origin, dir, &mut diagnostics);
    let mut data_paths = Vec::new();
    for (i, env) in model.environments.iter().enumerate() {
        if env.production_data {
            continue;
        }
        for (j, text) in env.data_paths.iter().enumerate() {
            let at = || {
                ModelPath::root()
                    .key("environments")
                    .index(i)
                    .key("data_paths")
                    .index(j)
            };
            match Glob::new(text) {
                Ok(glob) => data_paths.push(glob),
                Err(e) if options.pii => diagnostics.push(settings::invalid_glob(text, &e, at())),
                Err(_) => {}
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(SetupError::Model {
            origin,
            diagnostics,
        });
    }
    configure(options, settings, &data_paths)
}

/// The configuration of settings read without mistakes; `data_paths` are where personal
/// data may not live (the default places when empty).
fn configure(
    options: &SetupOptions<'_>,
    settings: settings::Settings,
    data_paths: &[Glob],
) -> Result<ScanConfig, SetupError> {
    let mut config = ScanConfig::new(Scanner::new(settings.rules)?);
    config.allow_paths = settings.allow_paths;
    config.allow_patterns = settings.allow_patterns;
    config.min_severity = settings.min_severity;
    if options.pii {
        let globs = if data_paths.is_empty() {
            DEFAULT_PII_PATHS
                .iter()
                .filter_map(|g| Glob::new(g).ok())
                .collect()
        } else {
            data_paths.to_vec()
        };
        config.pii = Some((PiiDetector::new(), globs));
    }
    config.baseline = match &options.baseline {
        Some(path) => read_baseline(path)?,
        None => settings.baseline.unwrap_or_default(),
    };
    Ok(config)
}
