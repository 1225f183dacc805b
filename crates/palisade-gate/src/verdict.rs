//! The gate's verdict: the change's tier, the controls it needs, and the
//! result of each against the evidence.

use palisade_model::{Control, RiskTier};
use serde::Serialize;

/// The gate's overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every required control passed.
    Pass,
    /// Every required control passed or was waived, with something to look at
    /// (a waiver used, an unowned path, evidence that did not count).
    Warn,
    /// A required control failed or has no evidence.
    Fail,
}

impl Outcome {
    /// The word reports use.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }
}

/// The result of one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlResult {
    /// Required, and the evidence shows it met.
    Pass,
    /// Required, and the evidence shows it not met.
    Fail,
    /// Required, and no evidence for it was given (or none that counts).
    Missing,
    /// Required, not met, and a waiver in the model excuses it.
    Waived,
    /// Required by the tier, but nothing in this change calls for it
    /// (`docs_updated` with no deployment or access configuration changed).
    NotApplicable,
    /// The tier does not require it.
    NotRequired,
    /// `--plan`: required, and what to provide is in `reason`.
    Needed,
}

impl ControlResult {
    /// The word reports use.
    pub fn key(self) -> &'static str {
        match self {
            ControlResult::Pass => "pass",
            ControlResult::Fail => "fail",
            ControlResult::Missing => "missing",
            ControlResult::Waived => "waived",
            ControlResult::NotApplicable => "not_applicable",
            ControlResult::NotRequired => "not_required",
            ControlResult::Needed => "needed",
        }
    }

    /// Whether this result blocks the change.
    pub fn blocks(self) -> bool {
        matches!(self, ControlResult::Fail | ControlResult::Missing)
    }
}

/// One control's result, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlVerdict {
    /// The control.
    pub id: Control,
    /// Its result.
    pub result: ControlResult,
    /// Why, in one sentence: what the evidence showed, or what is missing.
    pub reason: String,
    /// For a missing or failed control: what to provide to meet it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provide: Option<String>,
    /// The evidence that decided it (sources as given).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The waiver that excused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

/// Why the change has the tier it has: one line per source of risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierReason {
    /// The tier this source asks for.
    pub tier: RiskTier,
    /// `service`, `path_rule` or `environment`.
    pub source: &'static str,
    /// Which one: the service id, path rule name or environment id.
    pub name: String,
    /// An example path that triggered it (none for an environment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// A service the change touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TouchedService {
    /// Its id.
    pub id: String,
    /// Its risk tier.
    pub risk: RiskTier,
    /// The owning team.
    pub team: String,
    /// Changed paths under it.
    pub paths: usize,
}

/// A piece of evidence as the verdict used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceUse {
    /// The file, as given.
    pub source: String,
    /// Its kind (`junit`, `sarif`, ...), or `unreadable`.
    pub kind: String,
    /// `sha256:<hex>` of its bytes.
    pub digest: String,
    /// Whether it counted.
    pub counted: bool,
    /// Why not, when it did not count (another commit, unreadable, unknown signer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole verdict on one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// pass, warn or fail.
    pub verdict: Outcome,
    /// Whether this is a `--plan` (no evidence judged).
    pub plan: bool,
    /// The change's risk tier.
    pub tier: RiskTier,
    /// Why that tier.
    pub tier_reasons: Vec<TierReason>,
    /// The services the change touches.
    pub services: Vec<TouchedService>,
    /// The base commit (full hex).
    pub base: String,
    /// The head commit (full hex).
    pub head: String,
    /// The target environment, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Paths changed (both sides of a rename count).
    pub changed_paths: usize,
    /// Changed paths no service owns (the first few).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unowned: Vec<String>,
    /// Every control, required or not, in the order of [`Control::ALL`].
    pub controls: Vec<ControlVerdict>,
    /// Waivers the verdict used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waivers_used: Vec<String>,
    /// The evidence given, and whether each piece counted.
    pub evidence: Vec<EvidenceUse>,
    /// Things to look at that do not fail the gate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
