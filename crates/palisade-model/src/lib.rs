//! Palisade's operating model: the one `palisade.toml` that every other part
//! of Palisade reads.
//!
//! This crate parses the model strictly (unknown keys are errors), validates
//! it (references, ownership, access eligibility, contracts, vetting) and
//! reports problems as [`Diagnostic`]s that point at the exact place in the
//! file. It also publishes the model's JSON Schema, writes starter models,
//! and [`edit`]s the model's text in place (offboarding, removing standing
//! roles) keeping its comments and layout.
//!
//! It does not read the clock, the environment or the terminal: callers pass
//! in the day to judge expiry against, and render diagnostics themselves.

// A library never prints or exits: the binary decides what reaches the
// terminal and with which exit code.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod diag;
pub mod edit;
pub mod glob;
pub mod index;
pub mod note_key;
mod parse;
mod starter;
mod types;
mod validate;
mod values;

pub use diag::{Diagnostic, Label, Level, LineIndex, ModelPath, Seg, did_you_mean, resolve_spans};
pub use index::{
    ContractId, EffectiveGrant, EnvId, IdentityConflict, IdentityKind, IdentitySlot, Index,
    PersonId, ProductionReach, ResourceId, RoleId, ServiceId, TeamId, VendorId, VettingItem,
    VettingRecord, VettingState, VettingStatus,
};
pub use parse::{LoadError, MAX_MODEL_BYTES, Source, parse};
pub use starter::{CommitFacts, Mailmap, RepoFacts, StarterError, starter_model};
pub use types::*;
pub use values::{Day, GrantDuration, HoursError, HoursSegment, WorkingHours};

/// The outcome of checking a model.
#[derive(Debug)]
pub struct Checked {
    /// The model, if it parsed (it may still have semantic errors).
    pub model: Option<Model>,
    /// Every problem found, in source order, spans resolved.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// How many diagnostics are errors.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .count()
    }

    /// How many diagnostics are warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.level == Level::Warning)
            .count()
    }
}

/// Parses and validates `source`, judging dates against `today`.
pub fn check(source: &Source, today: Day) -> Checked {
    match parse(&source.text) {
        Err(d) => Checked {
            model: None,
            diagnostics: vec![*d],
        },
        Ok(model) => {
            let mut diagnostics = validate::validate(&model, today);
            resolve_spans(&source.text, &mut diagnostics);
            diagnostics.sort_by_key(|d| {
                (
                    d.primary.span.as_ref().map_or(0, |s| s.start),
                    std::cmp::Reverse(d.level),
                )
            });
            Checked {
                model: Some(model),
                diagnostics,
            }
        }
    }
}

/// Runs every semantic check of a model already parsed (or built in code).
/// Diagnostics carry model paths; their spans stay unresolved, since there
/// is no source text.
pub fn validate_model(model: &Model, today: Day) -> Vec<Diagnostic> {
    validate::validate(model, today)
}

/// [`validate_model`] for a caller that has built the model's [`Index`]
/// already, so that it is not built twice.
pub fn validate_indexed(index: &Index<'_>, today: Day) -> Vec<Diagnostic> {
    validate::validate_with(index, today)
}

/// The model's JSON Schema (draft 2020-12), as a JSON value.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Model).to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), "palisade.toml".into());
        obj.insert(
            "description".into(),
            "Palisade's operating model: org, teams, people, services, environments, roles, gates and contracts.".into(),
        );
    }
    schema
}

/// The model as JSON, the form the JSON Schema describes (dates as strings).
pub fn to_json(model: &Model) -> serde_json::Value {
    // Serialising plain data structures to a JSON value cannot fail.
    serde_json::to_value(model).unwrap_or(serde_json::Value::Null)
}

/// The SHA-256 of the model text, hex: the model version the store records.
pub fn digest(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}
