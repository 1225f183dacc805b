//! From a change and its evidence to a verdict.
//!
//! 1. Each changed path maps to the services that own it; the change's tier is
//!    the highest of their `risk`, of the `[[gates.path_rules]]` its paths
//!    match, and of the target environment's `[[gates.environments]]` minimum.
//! 2. The tier's `[gates.tiers.<tier>]` says which controls are required.
//! 3. Each required control is judged from the evidence that counts: evidence
//!    that names another commit than the head does not, and the verdict says
//!    so. No evidence is never a pass: a required control without evidence is
//!    `missing`, which fails the gate like a failed one.
//! 4. A control that is not met may be excused by a waiver of the model that
//!    covers the whole change and has not expired; the verdict is then `warn`.

use std::collections::BTreeMap;

use palisade_model::glob::Glob;
use palisade_model::{
    ConfigKind, Control, Day, GateControls, IdentityKind, Index, PersonId, Phase, RiskTier,
    ServiceId, Status, TeamKind, Waiver,
};

use crate::diff::Change;
use crate::evidence::{
    AnalysisSummary, Approval, Evidence, EvidenceError, EvidenceKind, Facts, PullRequestFacts,
    ScanSummary, TestSummary,
};
use crate::verdict::{
    ControlResult, ControlVerdict, EvidenceUse, Outcome, TierReason, TouchedService, Verdict,
};

/// How many examples (paths, failing tests) a reason lists before "and N more".
const EXAMPLES: usize = 5;

/// One `--evidence` file as the caller read it.
#[derive(Debug, Clone)]
pub struct Given {
    /// The file, as named on the command line.
    pub source: String,
    /// `sha256:<hex>` of its bytes (of whatever could be read).
    pub digest: String,
    /// The kind the caller declared (`KIND:PATH`), if any.
    pub declared: Option<EvidenceKind>,
    /// What reading it gave.
    pub read: Result<Evidence, EvidenceError>,
}

/// What the gate judges.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The change.
    pub change: &'a Change,
    /// The repository the change is in (`owner/name`), when the caller knows:
    /// services that list it in `repos` own paths in it, besides the services
    /// of the repository holding the model.
    pub repo: Option<&'a str>,
    /// The target environment (an id of `[[environments]]`).
    pub environment: Option<&'a str>,
    /// The day waivers are judged against.
    pub today: Day,
    /// Only say what the change will need; judge no evidence.
    pub plan: bool,
}

/// Why the gate could not judge at all (as opposed to a failed control).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    /// `--env` names no environment of the model.
    #[error("no environment `{given}` in the model{hint}")]
    UnknownEnvironment {
        /// As given.
        given: String,
        /// ` (did you mean …?)`, or the list of environments.
        hint: String,
    },
}

/// The services, tier and required controls of a change: what `--plan` and
/// the verdict share.
#[derive(Debug, Clone)]
pub struct Classification {
    /// The tier.
    pub tier: RiskTier,
    /// Why.
    pub reasons: Vec<TierReason>,
    /// Services touched, in model order.
    pub services: Vec<(ServiceId, usize)>,
    /// Changed paths no service owns (all of them).
    pub unowned: Vec<String>,
    /// Changed paths that hold deployment or access configuration, with the rule.
    pub config_paths: Vec<(String, String)>,
    /// The controls the tier requires (`None`: the model sets none for it).
    pub controls: Option<GateControls>,
}

/// Compiled path rules: each rule's globs, compiled once.
struct Rules<'m> {
    rules: Vec<(&'m palisade_model::PathRule, Vec<Glob>)>,
}

impl<'m> Rules<'m> {
    fn new(index: &Index<'m>) -> Rules<'m> {
        let rules = index
            .model()
            .gates
            .path_rules
            .iter()
            .map(|r| {
                // `check` reports a glob that does not compile; here it matches nothing.
                let globs = r.paths.iter().filter_map(|g| Glob::new(g).ok()).collect();
                (r, globs)
            })
            .collect();
        Rules { rules }
    }
}

/// The change's services, tier and required controls.
pub fn classify(index: &Index<'_>, request: &Request<'_>) -> Result<Classification, GateError> {
    let model = index.model();
    let rules = Rules::new(index);
    let mut per_service: BTreeMap<ServiceId, (usize, String)> = BTreeMap::new();
    let mut per_rule: Vec<Option<String>> = vec![None; rules.rules.len()];
    let mut unowned = Vec::new();
    let mut config_paths = Vec::new();
    let mut owners = Vec::new();
    let mut more = Vec::new();
    for path in request.change.paths() {
        index.services_for_path_into(None, path, &mut owners);
        if let Some(repo) = request.repo {
            index.services_for_path_into(Some(repo), path, &mut more);
            owners.extend(more.iter().copied());
            owners.sort_unstable();
            owners.dedup();
        }
        if owners.is_empty() {
            unowned.push(path.to_owned());
        }
        for &s in &owners {
            per_service
                .entry(s)
                .and_modify(|e| e.0 += 1)
                .or_insert_with(|| (1, path.to_owned()));
        }
        for (i, (rule, globs)) in rules.rules.iter().enumerate() {
            if globs.iter().any(|g| g.matches(path)) {
                if per_rule[i].is_none() {
                    per_rule[i] = Some(path.to_owned());
                }
                if rule.config.is_some() {
                    config_paths.push((path.to_owned(), rule.name.clone()));
                }
            }
        }
    }

    let mut reasons = Vec::new();
    for (&s, (_, example)) in &per_service {
        let service = index.service(s);
        reasons.push(TierReason {
            tier: service.risk,
            source: "service",
            name: service.id.clone(),
            example: Some(example.clone()),
        });
    }
    for (i, example) in per_rule.into_iter().enumerate() {
        if let Some(example) = example {
            let rule = rules.rules[i].0;
            reasons.push(TierReason {
                tier: rule.raise_to,
                source: "path_rule",
                name: rule.name.clone(),
                example: Some(example),
            });
        }
    }
    if let Some(env) = request.environment {
        if index.environment_by_id(env).is_none() {
            let names = model.environments.iter().map(|e| e.id.as_str());
            let hint = match palisade_model::did_you_mean(env, names) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => format!(
                    "; it has: {}",
                    model
                        .environments
                        .iter()
                        .map(|e| e.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(GateError::UnknownEnvironment {
                given: env.to_owned(),
                hint,
            });
        }
        for g in model
            .gates
            .environments
            .iter()
            .filter(|g| g.environment == env)
        {
            reasons.push(TierReason {
                tier: g.min_tier,
                source: "environment",
                name: env.to_owned(),
                example: None,
            });
        }
    }
    reasons.sort_by(|a, b| b.tier.cmp(&a.tier).then(a.source.cmp(b.source)));
    // With nothing to raise it, a change gets the lowest tier the model gates.
    let floor = RiskTier::ALL
        .into_iter()
        .find(|&t| model.gates.tiers.get(t).is_some())
        .unwrap_or(RiskTier::Low);
    let tier = reasons
        .iter()
        .map(|r| r.tier)
        .max()
        .unwrap_or(floor)
        .max(floor);
    Ok(Classification {
        tier,
        reasons,
        services: per_service.into_iter().map(|(s, (n, _))| (s, n)).collect(),
        unowned,
        config_paths,
        controls: model.gates.tiers.get(tier).cloned(),
    })
}

/// The verdict on `request.change` with `evidence`.
pub fn evaluate(
    index: &Index<'_>,
    request: &Request<'_>,
    evidence: &[Given],
) -> Result<Verdict, GateError> {
    let class = classify(index, request)?;
    let head = request.change.head.as_str();
    let mut warnings = Vec::new();

    // Which evidence counts.
    let mut uses = Vec::new();
    let mut counted: Vec<&Evidence> = Vec::new();
    let mut unreadable: Vec<(&Given, &EvidenceError)> = Vec::new();
    for given in evidence {
        match &given.read {
            Ok(e) => {
                let other = e.commit.as_deref().filter(|c| !same_commit(c, head));
                let note = match (other, e.kind) {
                    (Some(c), _) => Some(format!(
                        "it is about commit {}, not the head {}",
                        short(c),
                        short(head)
                    )),
                    (None, EvidenceKind::Attestation) if e.commit.is_none() => Some(format!(
                        "the attestation names no commit; it must name the head {} as a subject or a resolved dependency (`gitCommit`)",
                        short(head)
                    )),
                    (None, _) if expired_signer(index, e, request.today).is_some() => {
                        expired_signer(index, e, request.today)
                    }
                    (None, EvidenceKind::Scan) if e.commit.is_none() => Some(match &e.facts {
                        Facts::Scan(s) if s.dirty => format!(
                            "the scan read a work tree with uncommitted changes, so it vouches for no commit; scan the head {} (`palisade scan --range BASE..{}`, or a clean checkout)",
                            short(head),
                            short(head)
                        ),
                        _ => format!(
                            "the scan names no commit; scan the head {} (`palisade scan --range BASE..{}`, or a clean checkout of it)",
                            short(head),
                            short(head)
                        ),
                    }),
                    _ => None,
                };
                if let Some(note) = &note {
                    warnings.push(format!("{} does not count: {note}", given.source));
                } else {
                    counted.push(e);
                }
                uses.push(EvidenceUse {
                    source: given.source.clone(),
                    kind: e.kind.key().to_owned(),
                    digest: given.digest.clone(),
                    counted: note.is_none(),
                    note,
                });
            }
            Err(err) => {
                warnings.push(format!(
                    "{} could not be read: {}",
                    given.source, err.message
                ));
                unreadable.push((given, err));
                uses.push(EvidenceUse {
                    source: given.source.clone(),
                    kind: given
                        .declared
                        .map_or("unreadable", EvidenceKind::key)
                        .to_owned(),
                    digest: given.digest.clone(),
                    counted: false,
                    note: Some(err.message.clone()),
                });
            }
        }
    }
    if !class.unowned.is_empty() {
        warnings.push(format!(
            "{} changed path{} no service owns: {}",
            class.unowned.len(),
            if class.unowned.len() == 1 { "" } else { "s" },
            examples(&class.unowned)
        ));
    }

    let judge = Judge {
        index,
        request,
        class: &class,
        counted: &counted,
        unreadable: &unreadable,
    };
    let approvals_needed = class
        .controls
        .as_ref()
        .is_some_and(|c| c.owner_approvals > 0 || c.internal_approval);
    let unknown = judge.unknown_authors();
    if approvals_needed && !request.plan && !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|(name, email)| format!("{name} <{email}>"))
            .collect();
        warnings.push(format!(
            "commits by addresses the model does not know, so their authors may approve unnoticed: {}; add them to the people's `emails`",
            examples(&list)
        ));
    }
    let mut controls = Vec::new();
    let mut waivers_used = Vec::new();
    match &class.controls {
        None => {
            for id in Control::ALL {
                controls.push(ControlVerdict {
                    id,
                    result: ControlResult::Fail,
                    reason: format!(
                        "the model sets no controls for the `{}` tier, so nothing can pass",
                        class.tier.key()
                    ),
                    provide: Some(format!(
                        "add a [gates.tiers.{}] table to palisade.toml",
                        class.tier.key()
                    )),
                    evidence: Vec::new(),
                    waiver: None,
                });
            }
        }
        Some(required) => {
            for id in Control::ALL {
                let mut verdict = if !is_required(required, id) {
                    ControlVerdict {
                        id,
                        result: ControlResult::NotRequired,
                        reason: format!("the `{}` tier does not require it", class.tier.key()),
                        provide: None,
                        evidence: Vec::new(),
                        waiver: None,
                    }
                } else if request.plan {
                    judge.plan(id, required)
                } else {
                    judge.control(id, required)
                };
                if verdict.result.blocks()
                    && let Some(w) = waiver_for(index, &class, request, id)
                {
                    verdict.reason = format!(
                        "{}; waived by `{}` (approved by {}, until {}): {}",
                        verdict.reason, w.id, w.approved_by, w.expires, w.reason
                    );
                    verdict.result = ControlResult::Waived;
                    verdict.waiver = Some(w.id.clone());
                    waivers_used.push(w.id.clone());
                }
                controls.push(verdict);
            }
        }
    }

    let outcome = if controls.iter().any(|c| c.result.blocks()) {
        Outcome::Fail
    } else if !waivers_used.is_empty() || !warnings.is_empty() {
        Outcome::Warn
    } else {
        Outcome::Pass
    };
    Ok(Verdict {
        verdict: if request.plan { Outcome::Pass } else { outcome },
        plan: request.plan,
        tier: class.tier,
        tier_reasons: class.reasons.clone(),
        services: class
            .services
            .iter()
            .map(|&(s, paths)| {
                let service = index.service(s);
                TouchedService {
                    id: service.id.clone(),
                    risk: service.risk,
                    team: service.team.clone(),
                    paths,
                }
            })
            .collect(),
        base: request.change.base.clone(),
        head: request.change.head.clone(),
        environment: request.environment.map(str::to_owned),
        changed_paths: request.change.path_count(),
        unowned: class.unowned.iter().take(20).cloned().collect(),
        controls,
        waivers_used,
        evidence: uses,
        warnings,
    })
}

/// Why an attestation does not count when its signer's key is past its `expires` day.
fn expired_signer(index: &Index<'_>, e: &Evidence, today: Day) -> Option<String> {
    let Facts::Attestation(a) = &e.facts else {
        return None;
    };
    let signer = index
        .model()
        .gates
        .signers
        .iter()
        .find(|s| s.id == a.signer)?;
    let day = signer.expires.filter(|&d| d < today)?;
    Some(format!(
        "it is signed by `{}`, whose key expired on {day}",
        signer.id
    ))
}

fn is_required(c: &GateControls, id: Control) -> bool {
    match id {
        Control::Tests => c.tests,
        Control::StaticAnalysis => c.static_analysis.is_some(),
        Control::SecretScan => c.secret_scan,
        Control::OwnerApprovals => c.owner_approvals > 0,
        Control::InternalApproval => c.internal_approval,
        Control::DocsUpdated => c.docs_updated,
        Control::SignedArtifact => c.signed_artifact,
        Control::RollbackPlan => c.rollback_plan,
    }
}

/// The first waiver that excuses `control` for this whole change, if any.
fn waiver_for<'m>(
    index: &Index<'m>,
    class: &Classification,
    request: &Request<'_>,
    control: Control,
) -> Option<&'m Waiver> {
    index.model().gates.waivers.iter().find(|w| {
        if w.control != control || w.expires < request.today {
            return false;
        }
        let services_ok = w.services.is_empty()
            || (!class.services.is_empty()
                && class
                    .services
                    .iter()
                    .all(|&(s, _)| w.services.contains(&index.service(s).id)));
        let paths_ok = w.paths.is_empty() || {
            let globs: Vec<Glob> = w.paths.iter().filter_map(|g| Glob::new(g).ok()).collect();
            request
                .change
                .paths()
                .all(|p| globs.iter().any(|g| g.matches(p)))
        };
        // A waiver naming both services and paths needs both to hold; one naming
        // neither covers every change.
        services_ok && paths_ok
    })
}

/// What judges each control, with everything it needs.
struct Judge<'a, 'm> {
    index: &'a Index<'m>,
    request: &'a Request<'a>,
    class: &'a Classification,
    counted: &'a [&'a Evidence],
    unreadable: &'a [(&'a Given, &'a EvidenceError)],
}

impl Judge<'_, '_> {
    /// The counted evidence whose facts `pick` selects, with its sources.
    fn facts<'e, T>(&'e self, pick: impl Fn(&'e Facts) -> Option<T>) -> Vec<(&'e str, T)> {
        self.counted
            .iter()
            .filter_map(|e| pick(&e.facts).map(|t| (e.source.as_str(), t)))
            .collect()
    }

    /// A sentence about unreadable files declared (or, undeclared, possibly) of `kind`.
    fn unreadable_note(&self, kind: EvidenceKind) -> String {
        let relevant: Vec<String> = self
            .unreadable
            .iter()
            .filter(|(g, _)| g.declared.is_none_or(|d| d == kind))
            .map(|(g, e)| format!("{} ({})", g.source, e.message))
            .collect();
        if relevant.is_empty() {
            String::new()
        } else {
            format!("; unreadable: {}", relevant.join("; "))
        }
    }

    fn missing(
        &self,
        id: Control,
        kind: EvidenceKind,
        what: &str,
        provide: &str,
    ) -> ControlVerdict {
        ControlVerdict {
            id,
            result: ControlResult::Missing,
            reason: format!(
                "no {what} for commit {}{}",
                short(&self.request.change.head),
                self.unreadable_note(kind)
            ),
            provide: Some(provide.to_owned()),
            evidence: Vec::new(),
            waiver: None,
        }
    }

    fn control(&self, id: Control, required: &GateControls) -> ControlVerdict {
        match id {
            Control::Tests => self.tests(),
            Control::StaticAnalysis => self.static_analysis(
                required
                    .static_analysis
                    .unwrap_or(palisade_model::Severity::Note),
            ),
            Control::SecretScan => self.secret_scan(),
            Control::OwnerApprovals => self.owner_approvals(required.owner_approvals),
            Control::InternalApproval => self.internal_approval(),
            Control::DocsUpdated => self.docs_updated(),
            Control::SignedArtifact => self.signed_artifact(),
            Control::RollbackPlan => self.rollback_plan(),
        }
    }

    /// `--plan`: what the control will need, before any evidence exists.
    fn plan(&self, id: Control, required: &GateControls) -> ControlVerdict {
        let provide = match id {
            Control::Tests => {
                "JUnit XML of the test run (pytest --junitxml, cargo nextest, jest-junit, Surefire)"
                    .to_owned()
            }
            Control::StaticAnalysis => format!(
                "SARIF 2.1.0 from a static analyser, with no result at `{}` or above",
                severity_key(
                    required
                        .static_analysis
                        .unwrap_or(palisade_model::Severity::Note)
                )
            ),
            Control::SecretScan => {
                "a clean `palisade scan --format json` report of the head commit".to_owned()
            }
            Control::OwnerApprovals => {
                let owners = self.owner_lists();
                format!(
                    "{} approval{} from the owners of each touched service: {}",
                    required.owner_approvals,
                    if required.owner_approvals == 1 {
                        ""
                    } else {
                        "s"
                    },
                    if owners.is_empty() {
                        "(no service touched)".to_owned()
                    } else {
                        owners.join("; ")
                    }
                )
            }
            Control::InternalApproval => "an approval from a member of an internal team".to_owned(),
            Control::DocsUpdated => {
                if self.class.config_paths.is_empty() {
                    return ControlVerdict {
                        id,
                        result: ControlResult::NotApplicable,
                        reason: "no deployment or access configuration changes so far; if some do, docs or a runbook must change too".to_owned(),
                        provide: None,
                        evidence: Vec::new(),
                        waiver: None,
                    };
                }
                format!(
                    "a change to {} or docs/, since {} changes",
                    self.runbooks().join(", "),
                    self.class.config_paths[0].0
                )
            }
            Control::SignedArtifact => {
                let signers: Vec<&str> = self
                    .index
                    .model()
                    .gates
                    .signers
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect();
                format!(
                    "an in-toto attestation of the head commit in a DSSE envelope, signed by {}",
                    if signers.is_empty() {
                        "a signer listed in [[gates.signers]] (none yet)".to_owned()
                    } else {
                        signers.join(" or ")
                    }
                )
            }
            Control::RollbackPlan => {
                "a \"Rollback\" section in the pull request's description".to_owned()
            }
        };
        ControlVerdict {
            id,
            result: ControlResult::Needed,
            reason: format!("the `{}` tier requires it", self.class.tier.key()),
            provide: Some(provide),
            evidence: Vec::new(),
            waiver: None,
        }
    }

    fn tests(&self) -> ControlVerdict {
        let runs = self.facts(|f| match f {
            Facts::Tests(t) => Some(t),
            _ => None,
        });
        if runs.is_empty() {
            return self.missing(
                Control::Tests,
                EvidenceKind::Junit,
                "test results",
                "JUnit XML of the test run, as --evidence junit:PATH",
            );
        }
        let mut total = TestSummary::default();
        for (_, t) in &runs {
            total.tests += t.tests;
            total.failures += t.failures;
            total.errors += t.errors;
            total.skipped += t.skipped;
            total.failing.extend(t.failing.iter().cloned());
        }
        let sources: Vec<String> = runs.iter().map(|(s, _)| (*s).to_owned()).collect();
        let bad = total.failures + total.errors;
        let (result, reason, provide) = if bad > 0 {
            (
                ControlResult::Fail,
                format!(
                    "{bad} of {} tests failed or errored: {}",
                    total.tests,
                    examples(&total.failing)
                ),
                Some("fix the failing tests and provide the new results".to_owned()),
            )
        } else if total.tests == 0 {
            (
                ControlResult::Fail,
                format!(
                    "the results hold no test that ran ({} skipped)",
                    total.skipped
                ),
                Some("run the tests; results with no test run prove nothing".to_owned()),
            )
        } else {
            (
                ControlResult::Pass,
                format!("{} tests passed ({} skipped)", total.tests, total.skipped),
                None,
            )
        };
        ControlVerdict {
            id: Control::Tests,
            result,
            reason,
            provide,
            evidence: sources,
            waiver: None,
        }
    }

    fn static_analysis(&self, threshold: palisade_model::Severity) -> ControlVerdict {
        let runs = self.facts(|f| match f {
            Facts::Analysis(a) => Some(a),
            _ => None,
        });
        if runs.is_empty() {
            return self.missing(
                Control::StaticAnalysis,
                EvidenceKind::Sarif,
                "static-analysis results",
                "SARIF 2.1.0 from a static analyser, as --evidence sarif:PATH",
            );
        }
        let mut total = AnalysisSummary::default();
        for (_, a) in &runs {
            for (t, n) in total.by_severity.iter_mut().zip(a.by_severity) {
                *t += n;
            }
            total.tools.extend(a.tools.iter().cloned());
            total.worst.extend(a.worst.iter().cloned());
            total.suppressed += a.suppressed;
        }
        if total.tools.is_empty() {
            return ControlVerdict {
                id: Control::StaticAnalysis,
                result: ControlResult::Fail,
                reason: "the SARIF holds no run: no analyser ran".to_owned(),
                provide: Some("SARIF from an analyser that ran on the change".to_owned()),
                evidence: runs.iter().map(|(s, _)| (*s).to_owned()).collect(),
                waiver: None,
            };
        }
        let over = total.at_or_above(threshold);
        let tools = if total.tools.is_empty() {
            "the analysers".to_owned()
        } else {
            total.tools.join(", ")
        };
        let sources: Vec<String> = runs.iter().map(|(s, _)| (*s).to_owned()).collect();
        let (result, reason, provide) = if over > 0 {
            (
                ControlResult::Fail,
                format!(
                    "{tools} reported {over} result{} at `{}` or above: {}",
                    if over == 1 { "" } else { "s" },
                    severity_key(threshold),
                    examples(&total.worst)
                ),
                Some(format!(
                    "fix or triage the results at `{}` or above",
                    severity_key(threshold)
                )),
            )
        } else {
            let below: u64 = total.by_severity.iter().sum();
            (
                ControlResult::Pass,
                format!(
                    "{tools}: nothing at `{}` or above ({below} below it)",
                    severity_key(threshold)
                ),
                None,
            )
        };
        ControlVerdict {
            id: Control::StaticAnalysis,
            result,
            reason,
            provide,
            evidence: sources,
            waiver: None,
        }
    }

    fn secret_scan(&self) -> ControlVerdict {
        let scans: Vec<(&str, &ScanSummary)> = self.facts(|f| match f {
            Facts::Scan(s) => Some(s),
            _ => None,
        });
        if scans.is_empty() {
            return self.missing(
                Control::SecretScan,
                EvidenceKind::Scan,
                "secret scan",
                "`palisade scan --format json` of the head commit, as --evidence scan:PATH",
            );
        }
        let secrets: u64 = scans.iter().map(|(_, s)| s.secrets).sum();
        let findings: u64 = scans.iter().map(|(_, s)| s.findings).sum();
        let first: Vec<String> = scans
            .iter()
            .flat_map(|(_, s)| s.first.iter().cloned())
            .collect();
        let sources: Vec<String> = scans.iter().map(|(s, _)| (*s).to_owned()).collect();
        let (result, reason, provide) = if secrets > 0 {
            (
                ControlResult::Fail,
                format!("the scan found {secrets} secret{}: {}", if secrets == 1 { "" } else { "s" }, examples(&first)),
                Some("remove and rotate the secrets, or baseline accepted ones (`palisade scan --write-baseline`)".to_owned()),
            )
        } else if findings > 0 {
            (
                ControlResult::Pass,
                format!(
                    "no secrets; {findings} other finding{} (personal data or plaintext transport) to review",
                    if findings == 1 { "" } else { "s" }
                ),
                None,
            )
        } else {
            (
                ControlResult::Pass,
                "the scan found nothing".to_owned(),
                None,
            )
        };
        ControlVerdict {
            id: Control::SecretScan,
            result,
            reason,
            provide,
            evidence: sources,
            waiver: None,
        }
    }

    /// The people who wrote the change: commit authors and committers, and
    /// the pull request's author.
    fn authors(&self) -> Vec<PersonId> {
        let mut out = Vec::new();
        for c in &self.request.change.commits {
            for email in [&c.author_email, &c.committer_email] {
                if let Some(p) = self.author_of(email) {
                    out.push(p);
                }
            }
        }
        for (_, pr) in self.facts(|f| match f {
            Facts::PullRequest(p) => Some(p),
            _ => None,
        }) {
            if let Some((p, _)) = self.index.find_person(&pr.author) {
                out.push(p);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The person behind a commit e-mail: by e-mail, or by the GitHub login in a
    /// no-reply address (`12345+login@users.noreply.github.com`).
    fn author_of(&self, email: &str) -> Option<PersonId> {
        if let Some(p) = self.index.person_by(IdentityKind::Email, email) {
            return Some(p);
        }
        let local = email
            .to_ascii_lowercase()
            .strip_suffix("@users.noreply.github.com")?
            .to_owned();
        let login = local.split_once('+').map_or(local.as_str(), |(_, l)| l);
        self.index.person_by(IdentityKind::Github, login)
    }

    /// Commits whose author or committer the model does not know: their author
    /// cannot be told apart from an approver, so an approver of the same name
    /// does not count, and the verdict warns.
    fn unknown_authors(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for c in &self.request.change.commits {
            for (name, email) in [
                (c.author_name.as_str(), c.author_email.as_str()),
                (c.author_name.as_str(), c.committer_email.as_str()),
            ] {
                if self.author_of(email).is_none() && !out.contains(&(name, email)) {
                    out.push((name, email));
                }
            }
        }
        out
    }

    /// Every approval that counts, each approver once, and a note for each that does not.
    fn approvals(&self) -> (Vec<PersonId>, Vec<String>, Vec<String>) {
        let authors = self.authors();
        let head = self.request.change.head.as_str();
        let mut ok = Vec::new();
        let mut rejected = Vec::new();
        let mut sources = Vec::new();
        for (source, list) in self.facts(|f| match f {
            Facts::Approvals(a) => Some(a),
            _ => None,
        }) {
            sources.push(source.to_owned());
            for a in list {
                match self.approval(a, &authors, head) {
                    Ok(p) => ok.push(p),
                    Err(why) => rejected.push(format!("{}: {why}", a.by)),
                }
            }
        }
        ok.sort_unstable();
        ok.dedup();
        rejected.sort();
        rejected.dedup();
        (ok, rejected, sources)
    }

    /// Whether one approval counts, and who gave it.
    fn approval(&self, a: &Approval, authors: &[PersonId], head: &str) -> Result<PersonId, String> {
        let Some((p, _)) = self.index.find_person(&a.by) else {
            return Err("not a person of the model".to_owned());
        };
        if let Some(c) = &a.commit
            && !same_commit(c, head)
        {
            return Err(format!("approved commit {}, not the head", short(c)));
        }
        let person = self.index.person(p);
        if authors.contains(&p) {
            return Err("an author of the change cannot approve it".to_owned());
        }
        if let Some((_, email)) = self
            .unknown_authors()
            .into_iter()
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(person.name.trim()))
        {
            return Err(format!(
                "may be an author of the change: a commit by {} <{email}>, an address the model does not know; add it to their `emails`",
                person.name
            ));
        }
        if person.status == Status::Offboarded {
            return Err("offboarded".to_owned());
        }
        if self.index.is_vendor(p) && self.index.phase_of(p) == Some(Phase::Observe) {
            return Err("a member of a vendor team in phase `observe`".to_owned());
        }
        Ok(p)
    }

    /// For each touched service, its owner list in words.
    fn owner_lists(&self) -> Vec<String> {
        self.class
            .services
            .iter()
            .map(|&(s, _)| {
                let service = self.index.service(s);
                let mut names: Vec<&str> = Vec::new();
                let all = std::iter::once(service.owner.as_str())
                    .chain(service.backup_owner.as_deref())
                    .chain(service.escalation.iter().map(String::as_str));
                for name in all {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                format!("{}: {}", service.id, names.join(", "))
            })
            .collect()
    }

    fn owner_approvals(&self, needed: u32) -> ControlVerdict {
        let (approvers, rejected, sources) = self.approvals();
        if sources.is_empty() {
            return self.missing(Control::OwnerApprovals, EvidenceKind::Reviews, "approvals", "the pull request's reviews JSON (`gh api repos/{owner}/{repo}/pulls/{n}/reviews`) or an approvals file");
        }
        let mut short_of = Vec::new();
        for &(s, _) in &self.class.services {
            let service = self.index.service(s);
            let mut owners: Vec<&str> = Vec::new();
            for name in std::iter::once(service.owner.as_str())
                .chain(service.backup_owner.as_deref())
                .chain(service.escalation.iter().map(String::as_str))
            {
                if !owners.contains(&name) {
                    owners.push(name);
                }
            }
            let got = approvers
                .iter()
                .filter(|&&p| owners.contains(&self.index.person(p).handle.as_str()))
                .count();
            if got < needed as usize {
                short_of.push(format!(
                    "{} has {got} of {needed} (from {})",
                    service.id,
                    owners.join(", ")
                ));
            }
        }
        let rejected_note = if rejected.is_empty() {
            String::new()
        } else {
            format!("; not counted: {}", rejected.join("; "))
        };
        let (result, reason, provide) = if self.class.services.is_empty() {
            // Nobody owns what changed, so nobody can approve it as its owner.
            (
                ControlResult::Fail,
                format!(
                    "no service owns the changed paths ({}), so no owner can approve them{rejected_note}",
                    examples(&self.class.unowned)
                ),
                Some("add the paths to a service's `paths` in the model (`palisade owners check` lists every unowned file)".to_owned()),
            )
        } else if short_of.is_empty() {
            (
                ControlResult::Pass,
                format!(
                    "every touched service has {needed} owner approval{}{rejected_note}",
                    if needed == 1 { "" } else { "s" }
                ),
                None,
            )
        } else {
            (
                ControlResult::Fail,
                format!(
                    "too few owner approvals: {}{rejected_note}",
                    short_of.join("; ")
                ),
                Some(format!(
                    "approvals from the owners, backup owners or escalation of: {}",
                    self.owner_lists().join("; ")
                )),
            )
        };
        ControlVerdict {
            id: Control::OwnerApprovals,
            result,
            reason,
            provide,
            evidence: sources,
            waiver: None,
        }
    }

    fn internal_approval(&self) -> ControlVerdict {
        let (approvers, rejected, sources) = self.approvals();
        if sources.is_empty() {
            return self.missing(Control::InternalApproval, EvidenceKind::Reviews, "approvals", "the pull request's reviews JSON or an approvals file, with an approval from an internal team's member");
        }
        let internal: Vec<&str> = approvers
            .iter()
            .filter(|&&p| {
                self.index
                    .team_of(p)
                    .is_some_and(|t| self.index.team(t).kind == TeamKind::Internal)
            })
            .map(|&p| self.index.person(p).handle.as_str())
            .collect();
        let rejected_note = if rejected.is_empty() {
            String::new()
        } else {
            format!("; not counted: {}", rejected.join("; "))
        };
        let (result, reason, provide) = if internal.is_empty() {
            (
                ControlResult::Fail,
                format!("no approval from a member of an internal team{rejected_note}"),
                Some(
                    "an approval from a member of an internal team who did not write the change"
                        .to_owned(),
                ),
            )
        } else {
            (
                ControlResult::Pass,
                format!(
                    "approved by {} (internal){rejected_note}",
                    internal.join(", ")
                ),
                None,
            )
        };
        ControlVerdict {
            id: Control::InternalApproval,
            result,
            reason,
            provide,
            evidence: sources,
            waiver: None,
        }
    }

    /// The runbooks of the touched services.
    fn runbooks(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .class
            .services
            .iter()
            .filter_map(|&(s, _)| self.index.service(s).runbook.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn docs_updated(&self) -> ControlVerdict {
        let id = Control::DocsUpdated;
        let Some((config, rule)) = self.class.config_paths.first() else {
            return ControlVerdict {
                id,
                result: ControlResult::NotApplicable,
                reason: "no deployment or access configuration changed".to_owned(),
                provide: None,
                evidence: Vec::new(),
                waiver: None,
            };
        };
        let runbooks = self.runbooks();
        let doc = self.request.change.paths().find(|p| {
            runbooks.iter().any(|r| r.trim_start_matches("./") == *p)
                || p.starts_with("docs/")
                || p.contains("/docs/")
                || p.to_ascii_lowercase().contains("runbook")
                || p.ends_with(".md")
        });
        let kinds: Vec<&str> = self
            .index
            .model()
            .gates
            .path_rules
            .iter()
            .filter(|r| &r.name == rule)
            .filter_map(|r| r.config)
            .map(|k| match k {
                ConfigKind::Deployment => "deployment",
                ConfigKind::Access => "access",
            })
            .collect();
        let what = kinds.first().copied().unwrap_or("deployment");
        match doc {
            Some(doc) => ControlVerdict {
                id,
                result: ControlResult::Pass,
                reason: format!("{config} ({what} configuration) changed, and so did {doc}"),
                provide: None,
                evidence: Vec::new(),
                waiver: None,
            },
            None => ControlVerdict {
                id,
                result: ControlResult::Fail,
                reason: format!(
                    "{config} ({what} configuration, `{rule}`) changed, but no runbook or docs did"
                ),
                provide: Some(if runbooks.is_empty() {
                    "update the docs (docs/ or a Markdown file) that describe this configuration"
                        .to_owned()
                } else {
                    format!(
                        "update {} or the docs (docs/) in the same change",
                        runbooks.join(", ")
                    )
                }),
                evidence: Vec::new(),
                waiver: None,
            },
        }
    }

    fn signed_artifact(&self) -> ControlVerdict {
        let signed = self.facts(|f| match f {
            Facts::Attestation(a) => Some(a),
            _ => None,
        });
        match signed.first() {
            None => self.missing(
                Control::SignedArtifact,
                EvidenceKind::Attestation,
                "signed attestation by a signer of the model",
                "an in-toto Statement naming the head commit, in a DSSE envelope signed by a key in [[gates.signers]], as --evidence attestation:PATH",
            ),
            Some((source, a)) => ControlVerdict {
                id: Control::SignedArtifact,
                result: ControlResult::Pass,
                reason: format!(
                    "signed by `{}` ({}), subjects: {}",
                    a.signer,
                    a.predicate_type,
                    examples(&a.subjects)
                ),
                provide: None,
                evidence: signed.iter().map(|(s, _)| (*s).to_owned()).collect(),
                waiver: None,
            }
            .with_source(source),
        }
    }

    fn rollback_plan(&self) -> ControlVerdict {
        let prs: Vec<(&str, &PullRequestFacts)> = self.facts(|f| match f {
            Facts::PullRequest(p) => Some(p),
            _ => None,
        });
        let Some((source, pr)) = prs.first() else {
            return self.missing(Control::RollbackPlan, EvidenceKind::PullRequest, "pull request description", "the pull request JSON (`gh api repos/{owner}/{repo}/pulls/{n}`) with a \"Rollback\" section in its description");
        };
        match &pr.rollback {
            Some(plan) => ControlVerdict {
                id: Control::RollbackPlan,
                result: ControlResult::Pass,
                reason: format!("pull request #{} says how to roll back: {}", pr.number, first_line(plan)),
                provide: None,
                evidence: vec![(*source).to_owned()],
                waiver: None,
            },
            None => ControlVerdict {
                id: Control::RollbackPlan,
                result: ControlResult::Fail,
                reason: format!("pull request #{} has no \"Rollback\" section, or an empty one", pr.number),
                provide: Some("add a \"## Rollback\" section to the description saying how to undo the change".to_owned()),
                evidence: vec![(*source).to_owned()],
                waiver: None,
            },
        }
    }
}

impl ControlVerdict {
    fn with_source(mut self, source: &str) -> ControlVerdict {
        if !self.evidence.iter().any(|e| e == source) {
            self.evidence.push(source.to_owned());
        }
        self
    }
}

fn severity_key(s: palisade_model::Severity) -> &'static str {
    use palisade_model::Severity as S;
    match s {
        S::Note => "note",
        S::Low => "low",
        S::Medium => "medium",
        S::High => "high",
        S::Critical => "critical",
    }
}

/// Whether two commit names are the same commit: equal, or one a prefix of
/// the other of at least 7 hex digits (abbreviated ids), ignoring case.
fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short.len() >= 7 && long.starts_with(short.as_str())
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(100).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The first few items, then "and N more".
fn examples(items: &[String]) -> String {
    let mut out = items
        .iter()
        .take(EXAMPLES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > EXAMPLES {
        out.push_str(&format!(" and {} more", items.len() - EXAMPLES));
    }
    out
}

/// Reads one `--evidence [KIND:]PATH`: the file's digest and what reading it
/// gave, in memory bounded whatever the file's size (see
/// [`crate::evidence::read_path`]). A file that cannot be opened is an error
/// of the caller (the pipeline names a file that is not there), and so is a
/// `KIND:` that names no kind when no file is named by the whole spec; a file
/// that opens but does not read as evidence is a [`Given`] whose `read` holds
/// why, so the control it was meant for fails with that reason.
pub fn read_given(spec: &str, signers: &[palisade_model::Signer]) -> Result<Given, std::io::Error> {
    let (declared, path) = match spec.split_once(':') {
        Some((kind, path)) if EvidenceKind::from_key(kind).is_some() => {
            (EvidenceKind::from_key(kind), path)
        }
        // Text before the colon that could only be a kind, yet names none, is a
        // mistyped kind unless a file of that whole name exists.
        Some((kind, _))
            if !kind.is_empty()
                && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                && !std::path::Path::new(spec).exists() =>
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "unknown evidence kind `{kind}` in `--evidence {spec}`, and no such file: \
                     name one of {}, or leave the kind out to have it told from the content",
                    evidence_kinds()
                ),
            ));
        }
        _ => (None, spec),
    };
    let path_ref = std::path::Path::new(path);
    let file = crate::evidence::read_path(path_ref, declared, signers).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot read the evidence file {path}: {e}"),
        )
    })?;
    Ok(Given {
        source: path.to_owned(),
        digest: file.digest,
        declared,
        read: file.read,
    })
}

/// The kinds `--evidence KIND:PATH` accepts, for error messages and help.
pub fn evidence_kinds() -> String {
    EvidenceKind::ALL
        .iter()
        .map(|k| k.key())
        .collect::<Vec<_>>()
        .join(", ")
}
