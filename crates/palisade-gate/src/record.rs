//! The `gate.verdict` ledger event: the verdict with the digests of the model
//! and of every piece of evidence it was judged on, so an auditor can later
//! show exactly what the gate saw.

use palisade_ledger::ledger::Event;
use serde_json::json;

use crate::verdict::Verdict;

/// The ledger kind of a gate verdict.
pub const KIND: &str = "gate.verdict";

/// Who ran the gate, on what, and when: what the event says besides the verdict.
#[derive(Debug, Clone)]
pub struct Context {
    /// What the change is to: the repository (`owner/name`) or its path.
    pub subject: String,
    /// Who ran the gate (the CI job, a person).
    pub actor: String,
    /// When (the caller's clock).
    pub time: jiff::Timestamp,
    /// `sha256:<hex>` of the model's text.
    pub model_digest: String,
}

/// The `gate.verdict` event of `verdict`.
pub fn event(verdict: &Verdict, context: Context) -> Event {
    let controls: Vec<_> = verdict
        .controls
        .iter()
        .map(|c| {
            json!({
                "id": c.id.key(),
                "result": c.result.key(),
                "waiver": c.waiver,
            })
        })
        .collect();
    let evidence: Vec<_> = verdict
        .evidence
        .iter()
        .map(|e| {
            json!({
                "source": e.source,
                "kind": e.kind,
                "digest": e.digest,
                "counted": e.counted,
            })
        })
        .collect();
    Event {
        time: context.time,
        actor: context.actor,
        kind: KIND.to_owned(),
        subject: context.subject,
        data: json!({
            "verdict": verdict.verdict.key(),
            "tier": verdict.tier.key(),
            "base": verdict.base,
            "head": verdict.head,
            "environment": verdict.environment,
            "services": verdict.services.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            "changed_paths": verdict.changed_paths,
            "controls": controls,
            "waivers_used": verdict.waivers_used,
            "model": context.model_digest,
            "evidence": evidence,
        }),
    }
}
