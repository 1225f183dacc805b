//! Verdicts built by hand: a pass, a warn (a waiver used), a fail (failed and
//! missing controls), a plan, and one full of awkward text.

use palisade_gate::verdict::{
    ControlResult, ControlVerdict, EvidenceUse, Outcome, TierReason, TouchedService, Verdict,
};
use palisade_model::{Control, RiskTier};

pub const BASE: &str = "1111111111111111111111111111111111111111";
pub const HEAD: &str = "2222222222222222222222222222222222222222";

pub fn control(id: Control, result: ControlResult, reason: &str) -> ControlVerdict {
    ControlVerdict {
        id,
        result,
        reason: reason.to_owned(),
        provide: None,
        evidence: Vec::new(),
        waiver: None,
    }
}

fn with_provide(mut c: ControlVerdict, provide: &str) -> ControlVerdict {
    c.provide = Some(provide.to_owned());
    c
}

fn with_evidence(mut c: ControlVerdict, sources: &[&str]) -> ControlVerdict {
    c.evidence = sources.iter().map(|s| (*s).to_owned()).collect();
    c
}

pub fn evidence(source: &str, kind: &str, counted: bool, note: Option<&str>) -> EvidenceUse {
    EvidenceUse {
        source: source.to_owned(),
        kind: kind.to_owned(),
        digest: format!("sha256:{}", "ab12".repeat(16)),
        counted,
        note: note.map(str::to_owned),
    }
}

fn service(id: &str, risk: RiskTier, team: &str, paths: usize) -> TouchedService {
    TouchedService {
        id: id.to_owned(),
        risk,
        team: team.to_owned(),
        paths,
    }
}

fn base_verdict(verdict: Outcome, tier: RiskTier, controls: Vec<ControlVerdict>) -> Verdict {
    Verdict {
        verdict,
        plan: false,
        tier,
        tier_reasons: vec![TierReason {
            tier,
            source: "service",
            name: "billing-api".to_owned(),
            example: None,
        }],
        services: vec![service("billing-api", tier, "payments", 3)],
        base: BASE.to_owned(),
        head: HEAD.to_owned(),
        environment: None,
        changed_paths: 3,
        unowned: Vec::new(),
        controls,
        waivers_used: Vec::new(),
        evidence: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Every required control met, nothing to look at.
pub fn pass() -> Verdict {
    use ControlResult::*;
    let mut v = base_verdict(
        Outcome::Pass,
        RiskTier::Medium,
        vec![
            with_evidence(
                control(Control::Tests, Pass, "42 tests passed, none failed"),
                &["test-results.xml"],
            ),
            with_evidence(
                control(
                    Control::StaticAnalysis,
                    Pass,
                    "no results at or above high (bandit)",
                ),
                &["bandit.sarif"],
            ),
            with_evidence(
                control(Control::SecretScan, Pass, "the secret scan found nothing"),
                &["scan.json"],
            ),
            with_evidence(
                control(
                    Control::OwnerApprovals,
                    Pass,
                    "1 of 1 owner approvals (sofia)",
                ),
                &["reviews.json"],
            ),
            control(
                Control::InternalApproval,
                NotRequired,
                "tier medium does not require it",
            ),
            control(
                Control::DocsUpdated,
                NotApplicable,
                "no deployment or access configuration changed",
            ),
            control(
                Control::SignedArtifact,
                NotRequired,
                "tier medium does not require it",
            ),
            control(
                Control::RollbackPlan,
                NotRequired,
                "tier medium does not require it",
            ),
        ],
    );
    v.evidence = vec![
        evidence("test-results.xml", "junit", true, None),
        evidence("bandit.sarif", "sarif", true, None),
        evidence("scan.json", "scan", true, None),
        evidence("reviews.json", "reviews", true, None),
    ];
    v
}

/// Met with a waiver, with evidence that did not count and an unowned path.
pub fn warn() -> Verdict {
    let mut v = pass();
    v.verdict = Outcome::Warn;
    v.tier = RiskTier::High;
    v.tier_reasons = vec![
        TierReason {
            tier: RiskTier::Medium,
            source: "service",
            name: "billing-api".to_owned(),
            example: None,
        },
        TierReason {
            tier: RiskTier::High,
            source: "path_rule",
            name: "infrastructure code".to_owned(),
            example: Some("infra/main.tf".to_owned()),
        },
    ];
    v.environment = Some("staging".to_owned());
    v.changed_paths = 4;
    v.unowned = vec!["tools/run.sh".to_owned()];
    v.controls[1] = ControlVerdict {
        waiver: Some("legacy-billing-no-sast".to_owned()),
        ..control(
            Control::StaticAnalysis,
            ControlResult::Waived,
            "3 high results (bandit), waived until 2026-12-31",
        )
    };
    v.waivers_used = vec!["legacy-billing-no-sast".to_owned()];
    v.evidence.push(evidence(
        "old-results.xml",
        "junit",
        false,
        Some("about commit 333333333333, not the head"),
    ));
    v.warnings = vec!["1 changed path has no owner: tools/run.sh".to_owned()];
    v
}

/// A failed control and missing ones, each saying what to provide.
pub fn fail() -> Verdict {
    use ControlResult::*;
    let mut v = base_verdict(
        Outcome::Fail,
        RiskTier::Critical,
        vec![
            with_provide(
                with_evidence(
                    control(
                        Control::Tests,
                        Fail,
                        "2 of 40 tests failed: billing::refund, billing::tax",
                    ),
                    &["test-results.xml"],
                ),
                "tests that pass at the head commit: --evidence junit:PATH",
            ),
            control(
                Control::StaticAnalysis,
                Pass,
                "no results at or above medium",
            ),
            with_provide(
                control(
                    Control::SecretScan,
                    Missing,
                    "no secret scan report was given",
                ),
                "palisade scan --format json > scan.json, then --evidence scan:scan.json",
            ),
            with_provide(
                control(Control::OwnerApprovals, Missing, "0 of 2 owner approvals"),
                "2 approvals of the head commit from billing-api's owners (@acme/payments)",
            ),
            control(
                Control::InternalApproval,
                Pass,
                "approved by sofia (internal team platform)",
            ),
            control(
                Control::DocsUpdated,
                NotApplicable,
                "no deployment or access configuration changed",
            ),
            with_provide(
                control(Control::SignedArtifact, Missing, "no attestation was given"),
                "an in-toto attestation signed by ci-release: --evidence attestation:PATH",
            ),
            control(
                Control::RollbackPlan,
                Pass,
                "the pull request has a Rollback section",
            ),
        ],
    );
    v.environment = Some("prod".to_owned());
    v.evidence = vec![evidence("test-results.xml", "junit", true, None)];
    v
}

/// `--plan`: what a high-risk change will need.
pub fn plan() -> Verdict {
    use ControlResult::*;
    let needed = |id, provide: &str| with_provide(control(id, Needed, provide), provide);
    let mut v = base_verdict(
        Outcome::Fail,
        RiskTier::High,
        vec![
            needed(Control::Tests, "JUnit results of the head commit"),
            needed(
                Control::StaticAnalysis,
                "SARIF with no results at or above high",
            ),
            needed(Control::SecretScan, "a clean palisade scan report"),
            needed(
                Control::OwnerApprovals,
                "1 approval from billing-api's owners",
            ),
            control(
                Control::InternalApproval,
                NotRequired,
                "tier high does not require it",
            ),
            control(
                Control::DocsUpdated,
                NotApplicable,
                "no deployment or access configuration changed",
            ),
            control(
                Control::SignedArtifact,
                NotRequired,
                "tier high does not require it",
            ),
            // A plan may put what to provide in the reason only.
            control(
                Control::RollbackPlan,
                Needed,
                "a Rollback section in the pull request",
            ),
        ],
    );
    v.plan = true;
    v
}

/// Text that breaks naive renderings.
pub const PIPES: &str = "a | b || c \\| d";
pub const NEWLINES: &str = "first line\nsecond line\r\nthird\rfourth";
pub const PERCENT: &str = "100% of 50%0A; %25 stays";
pub const MARKUP: &str =
    "<b>&amp;</b> \"quoted\" 'single' `tick` *star* _under_ [link](x) $x$ ~~s~~";
pub const CONTROL_CHARS: &str =
    "bell\x07 esc\x1b[31mred\x1b[0m nul\0 csi\u{9b}2J tab\there end\u{FFFE}";
pub const BLOCKS: &str = "- not a list";
pub const NUMBERED: &str = "1. not a list either";
pub const HEADING: &str = "# not a heading";
pub const INJECTION: &str = "x\n::error title=forged::not ours\n## forged heading";

pub fn long_reason() -> String {
    "a very long reason, ".repeat(250)
}

/// A failing verdict whose every piece of outside text is awkward.
pub fn awkward() -> Verdict {
    use ControlResult::*;
    let mut v = fail();
    v.services[0].id = "svc|with,pipe:colon".to_owned();
    v.tier_reasons[0].name = "svc|with,pipe:colon".to_owned();
    v.controls = vec![
        with_provide(control(Control::Tests, Fail, PIPES), NEWLINES),
        with_provide(control(Control::StaticAnalysis, Missing, PERCENT), MARKUP),
        with_provide(control(Control::SecretScan, Fail, CONTROL_CHARS), BLOCKS),
        with_provide(control(Control::OwnerApprovals, Missing, NUMBERED), HEADING),
        ControlVerdict {
            waiver: Some("waiver|<&>,:%".to_owned()),
            ..control(Control::InternalApproval, Waived, INJECTION)
        },
        with_provide(control(Control::DocsUpdated, Fail, &long_reason()), "docs"),
        control(Control::SignedArtifact, NotRequired, MARKUP),
        control(Control::RollbackPlan, Pass, NEWLINES),
    ];
    v.waivers_used = vec!["waiver|<&>,:%".to_owned()];
    v.evidence = vec![
        evidence("results|1,2:3%.xml", "junit", false, Some(PIPES)),
        evidence("<&>.sarif", "sarif", false, Some(CONTROL_CHARS)),
        evidence("- scan.json", "scan", true, None),
    ];
    v.warnings = vec![
        NEWLINES.to_owned(),
        INJECTION.to_owned(),
        HEADING.to_owned(),
    ];
    v.unowned = vec!["dir|x/file`name`.sh".to_owned(), "1. odd".to_owned()];
    v
}

/// Every fixture, named.
pub fn all() -> Vec<(&'static str, Verdict)> {
    vec![
        ("pass", pass()),
        ("warn", warn()),
        ("fail", fail()),
        ("plan", plan()),
        ("awkward", awkward()),
    ]
}
