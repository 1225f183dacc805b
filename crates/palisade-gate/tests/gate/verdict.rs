//! `classify` and `evaluate` against the example model: tiers, required
//! controls, evidence that counts, review rules, waivers and `--plan`.

use palisade_gate::diff::{Change, ChangeKind, ChangedFile, CommitInfo};
use palisade_gate::evaluate::{GateError, Given, Request, classify, evaluate};
use palisade_gate::evidence::{
    AnalysisSummary, Approval, AttestationFacts, Evidence, EvidenceError, EvidenceKind, Facts,
    PullRequestFacts, ScanSummary, TestSummary,
};
use palisade_gate::verdict::{ControlResult, Outcome, Verdict};
use palisade_model::{Control, Day, Index, RiskTier};

use super::acme;

const HEAD: &str = "1111111111111111111111111111111111111111";
const BASE: &str = "2222222222222222222222222222222222222222";
const OTHER: &str = "3333333333333333333333333333333333333333";

fn change(paths: &[&str], author_email: &str) -> Change {
    Change {
        base: BASE.to_owned(),
        head: HEAD.to_owned(),
        merge_base: BASE.to_owned(),
        files: paths
            .iter()
            .map(|p| ChangedFile {
                path: (*p).to_owned(),
                kind: ChangeKind::Modified,
            })
            .collect(),
        commits: vec![CommitInfo {
            id: HEAD.to_owned(),
            author_name: "Someone".to_owned(),
            author_email: author_email.to_owned(),
            committer_email: author_email.to_owned(),
        }],
    }
}

fn today() -> Day {
    Day("2026-12-07".parse().unwrap())
}

fn request<'a>(change: &'a Change, env: Option<&'a str>) -> Request<'a> {
    // The status page lives in acme/platform; everything else these tests touch in acme/payments.
    let repo = if change
        .files
        .iter()
        .any(|f| f.path.starts_with("services/status-page/"))
    {
        "acme/platform"
    } else {
        "acme/payments"
    };
    Request {
        change,
        repo: Some(repo),
        environment: env,
        today: today(),
        plan: false,
    }
}

fn given(kind: EvidenceKind, commit: Option<&str>, facts: Facts) -> Given {
    let source = format!("{}.file", kind.key());
    Given {
        source: source.clone(),
        digest: format!("sha256:{}", "ab".repeat(32)),
        declared: Some(kind),
        read: Ok(Evidence {
            source,
            kind,
            digest: format!("sha256:{}", "ab".repeat(32)),
            commit: commit.map(str::to_owned),
            facts,
        }),
    }
}

fn tests_passed() -> Given {
    given(
        EvidenceKind::Junit,
        None,
        Facts::Tests(TestSummary {
            tests: 12,
            ..TestSummary::default()
        }),
    )
}

fn sarif_clean() -> Given {
    given(
        EvidenceKind::Sarif,
        Some(HEAD),
        Facts::Analysis(AnalysisSummary {
            tools: vec!["bandit".to_owned()],
            by_severity: [3, 1, 0, 0, 0],
            ..AnalysisSummary::default()
        }),
    )
}

fn scan_clean() -> Given {
    given(
        EvidenceKind::Scan,
        Some(HEAD),
        Facts::Scan(ScanSummary::default()),
    )
}

fn approvals(by: &[&str]) -> Given {
    given(
        EvidenceKind::Reviews,
        None,
        Facts::Approvals(
            by.iter()
                .map(|b| Approval {
                    by: (*b).to_owned(),
                    commit: Some(HEAD.to_owned()),
                    at: None,
                })
                .collect(),
        ),
    )
}

fn pull_request(author: &str, rollback: Option<&str>) -> Given {
    given(
        EvidenceKind::PullRequest,
        Some(HEAD),
        Facts::PullRequest(PullRequestFacts {
            number: 42,
            author: author.to_owned(),
            head: HEAD.to_owned(),
            base: Some(BASE.to_owned()),
            rollback: rollback.map(str::to_owned),
        }),
    )
}

fn attestation(commit: Option<&str>) -> Given {
    given(
        EvidenceKind::Attestation,
        commit,
        Facts::Attestation(AttestationFacts {
            signer: "acme-release".to_owned(),
            predicate_type: "https://slsa.dev/provenance/v1".to_owned(),
            subjects: vec!["checkout@sha256:00".to_owned()],
        }),
    )
}

fn result(v: &Verdict, id: Control) -> (ControlResult, String) {
    let c = v.controls.iter().find(|c| c.id == id).unwrap();
    (c.result, c.reason.clone())
}

#[test]
fn the_tier_is_the_highest_of_services_path_rules_and_environment() {
    let model = acme();
    let index = Index::new(&model);

    let c = change(&["services/status-page/index.html"], "x@example.com");
    let class = classify(&index, &request(&c, None)).unwrap();
    assert_eq!(class.tier, RiskTier::Low);
    let class = classify(&index, &request(&c, Some("prod"))).unwrap();
    assert_eq!(class.tier, RiskTier::High, "prod needs at least high");
    assert!(
        class
            .reasons
            .iter()
            .any(|r| r.source == "environment" && r.name == "prod")
    );

    let c = change(
        &[
            "web/checkout/pay.ts",
            "services/payments-api/iam/roles.json",
        ],
        "x@example.com",
    );
    let class = classify(&index, &request(&c, None)).unwrap();
    assert_eq!(class.tier, RiskTier::Critical);
    let sources: Vec<(&str, &str)> = class
        .reasons
        .iter()
        .map(|r| (r.source, r.name.as_str()))
        .collect();
    assert!(
        sources.contains(&("path_rule", "IAM and policy")),
        "{sources:?}"
    );
    assert!(
        sources.contains(&("service", "payments-api")),
        "{sources:?}"
    );
    assert!(
        sources.contains(&("service", "checkout-web")),
        "{sources:?}"
    );
    assert_eq!(
        class.reasons[0].tier,
        RiskTier::Critical,
        "the highest reason comes first"
    );

    let c = change(&["Cargo.lock", "notes/unowned.txt"], "x@example.com");
    let class = classify(&index, &request(&c, None)).unwrap();
    assert_eq!(
        class.tier,
        RiskTier::Medium,
        "a lockfile raises an unowned change"
    );
    assert_eq!(class.unowned, ["Cargo.lock", "notes/unowned.txt"]);
}

#[test]
fn an_unknown_environment_is_an_error_that_suggests_the_nearest() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["web/checkout/pay.ts"], "x@example.com");
    let err = classify(&index, &request(&c, Some("prdo"))).unwrap_err();
    assert!(matches!(&err, GateError::UnknownEnvironment { given, .. } if given == "prdo"));
    assert!(err.to_string().contains("did you mean `prod`"), "{err}");
}

#[test]
fn no_evidence_is_never_a_pass() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["services/payments-api/capture.rs"], "x@example.com");
    let v = evaluate(&index, &request(&c, None), &[]).unwrap();
    assert_eq!(v.verdict, Outcome::Fail);
    assert_eq!(v.tier, RiskTier::Critical);
    for control in &v.controls {
        assert!(
            matches!(
                control.result,
                ControlResult::Missing | ControlResult::NotApplicable
            ),
            "{control:?}"
        );
        if control.result == ControlResult::Missing {
            assert!(
                control.provide.is_some(),
                "{control:?} says what to provide"
            );
        }
    }
}

#[test]
fn a_critical_change_passes_with_every_piece_of_evidence() {
    let model = acme();
    let index = Index::new(&model);
    // A vendor engineer's change to checkout-web (high) and its IAM (critical).
    let mut c = change(
        &[
            "web/checkout/pay.ts",
            "web/checkout/iam/policy.json",
            "docs/runbooks/checkout-web.md",
        ],
        "arjun@nimbus.example",
    );
    c.files[2].kind = ChangeKind::Added;
    let evidence = [
        tests_passed(),
        sarif_clean(),
        scan_clean(),
        approvals(&["sofiabrandt", "ruth"]),
        pull_request(
            "arjun-menon-nimbus",
            Some("Revert the PR; no data migrates."),
        ),
        attestation(Some(HEAD)),
    ];
    let v = evaluate(&index, &request(&c, Some("prod")), &evidence).unwrap();
    assert_eq!(v.tier, RiskTier::Critical);
    for control in &v.controls {
        assert_eq!(control.result, ControlResult::Pass, "{control:?}");
    }
    // The runbook belongs to no service: worth a warning, not a failure.
    assert_eq!(v.verdict, Outcome::Warn);
    assert_eq!(
        v.warnings,
        ["1 changed path no service owns: docs/runbooks/checkout-web.md"]
    );
    assert_eq!(v.unowned, ["docs/runbooks/checkout-web.md"]);
    assert!(v.evidence.iter().all(|e| e.counted));
}

#[test]
fn evidence_about_another_commit_does_not_count_and_the_gate_says_so() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["services/status-page/index.html"], "x@example.com");
    let stale_scan = given(
        EvidenceKind::Scan,
        Some(OTHER),
        Facts::Scan(ScanSummary::default()),
    );
    let v = evaluate(&index, &request(&c, None), &[tests_passed(), stale_scan]).unwrap();
    assert_eq!(v.verdict, Outcome::Fail);
    let (res, _) = result(&v, Control::SecretScan);
    assert_eq!(res, ControlResult::Missing);
    let use_ = v.evidence.iter().find(|e| e.kind == "scan").unwrap();
    assert!(!use_.counted);
    assert!(
        use_.note.as_deref().unwrap().contains("333333333333"),
        "{use_:?}"
    );
    assert!(v.warnings.iter().any(|w| w.contains("does not count")));

    // An abbreviated id of the head is the head.
    let short_scan = given(
        EvidenceKind::Scan,
        Some(&HEAD[..10]),
        Facts::Scan(ScanSummary::default()),
    );
    let v = evaluate(&index, &request(&c, None), &[tests_passed(), short_scan]).unwrap();
    assert_eq!(v.verdict, Outcome::Pass, "{v:?}");
}

#[test]
fn failing_evidence_fails_its_control_with_the_reason() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["services/status-page/index.html"], "x@example.com");
    let failing = given(
        EvidenceKind::Junit,
        None,
        Facts::Tests(TestSummary {
            tests: 10,
            failures: 2,
            errors: 0,
            skipped: 1,
            failing: vec!["api::pays".to_owned(), "api::refunds".to_owned()],
            ..TestSummary::default()
        }),
    );
    let leaky = given(
        EvidenceKind::Scan,
        Some(HEAD),
        Facts::Scan(ScanSummary {
            findings: 1,
            secrets: 1,
            first: vec!["aws-access-key at config.py:3".to_owned()],
            ..ScanSummary::default()
        }),
    );
    let v = evaluate(&index, &request(&c, None), &[failing, leaky]).unwrap();
    assert_eq!(v.verdict, Outcome::Fail);
    let (res, why) = result(&v, Control::Tests);
    assert_eq!(res, ControlResult::Fail);
    assert!(
        why.contains("2 of 10") && why.contains("api::refunds"),
        "{why}"
    );
    let (res, why) = result(&v, Control::SecretScan);
    assert_eq!(res, ControlResult::Fail);
    assert!(why.contains("config.py:3"), "{why}");

    let empty = given(
        EvidenceKind::Junit,
        None,
        Facts::Tests(TestSummary::default()),
    );
    let v = evaluate(&index, &request(&c, None), &[empty, scan_clean()]).unwrap();
    let (res, why) = result(&v, Control::Tests);
    assert_eq!(
        res,
        ControlResult::Fail,
        "results with no test run prove nothing: {why}"
    );
}

#[test]
fn static_analysis_fails_at_the_tiers_threshold() {
    let model = acme();
    let index = Index::new(&model);
    // checkout-web is high: static_analysis = "medium".
    let c = change(&["web/checkout/pay.ts"], "x@example.com");
    let medium = given(
        EvidenceKind::Sarif,
        Some(HEAD),
        Facts::Analysis(AnalysisSummary {
            tools: vec!["bandit".to_owned()],
            by_severity: [0, 4, 1, 0, 0],
            worst: vec!["B105 at app.py:9".to_owned()],
            suppressed: 0,
        }),
    );
    let v = evaluate(&index, &request(&c, None), &[medium]).unwrap();
    let (res, why) = result(&v, Control::StaticAnalysis);
    assert_eq!(res, ControlResult::Fail);
    assert!(
        why.contains("1 result at `medium`") && why.contains("B105"),
        "{why}"
    );
    let v = evaluate(&index, &request(&c, None), &[sarif_clean()]).unwrap();
    assert_eq!(result(&v, Control::StaticAnalysis).0, ControlResult::Pass);
}

#[test]
fn review_rules_of_the_playbook() {
    let model = acme();
    let index = Index::new(&model);
    // arjun (nimbus, co-deliver) changes checkout-web, which he owns.
    let c = change(&["web/checkout/pay.ts"], "arjun@nimbus.example");
    let run = |by: &[&str]| {
        let v = evaluate(
            &index,
            &request(&c, None),
            &[approvals(by), pull_request("arjun-menon-nimbus", None)],
        )
        .unwrap();
        (
            result(&v, Control::OwnerApprovals),
            result(&v, Control::InternalApproval),
        )
    };

    // His own approval does not count, though he owns the service.
    let ((owner, why), (internal, _)) = run(&["arjun-menon-nimbus"]);
    assert_eq!(owner, ControlResult::Fail);
    assert!(
        why.contains("an author of the change cannot approve it"),
        "{why}"
    );
    assert_eq!(internal, ControlResult::Fail);

    // ruth (payments, internal) is checkout-web's backup owner.
    let ((owner, _), (internal, why)) = run(&["ruth"]);
    assert_eq!(owner, ControlResult::Pass);
    assert_eq!(internal, ControlResult::Pass, "{why}");

    // A harbor engineer (vendor, phase observe) counts for nothing.
    let ((_, why), (internal, _)) = run(&["beareyes"]);
    assert!(why.contains("phase `observe`"), "{why}");
    assert_eq!(internal, ControlResult::Fail);

    // gareth is offboarded; a login the model does not know counts for nothing either.
    let ((_, why), (internal, _)) = run(&["glloyd", "mallory-unknown"]);
    assert!(why.contains("glloyd: offboarded"), "{why}");
    assert!(
        why.contains("mallory-unknown: not a person of the model"),
        "{why}"
    );
    assert_eq!(internal, ControlResult::Fail);

    // An approval of an older commit does not count for the head.
    let stale = given(
        EvidenceKind::Reviews,
        None,
        Facts::Approvals(vec![Approval {
            by: "ruth".to_owned(),
            commit: Some(OTHER.to_owned()),
            at: None,
        }]),
    );
    let v = evaluate(&index, &request(&c, None), &[stale]).unwrap();
    let (res, why) = result(&v, Control::OwnerApprovals);
    assert_eq!(res, ControlResult::Fail);
    assert!(why.contains("approved commit 333333333333"), "{why}");
}

#[test]
fn owner_approvals_are_needed_for_every_touched_service() {
    let model = acme();
    let index = Index::new(&model);
    // payments-api (critical: 2 owner approvals) and checkout-web.
    let c = change(
        &["services/payments-api/a.rs", "web/checkout/b.ts"],
        "x@example.com",
    );
    let v = evaluate(
        &index,
        &request(&c, None),
        &[approvals(&["sofiabrandt", "ruth"])],
    )
    .unwrap();
    let (res, why) = result(&v, Control::OwnerApprovals);
    assert_eq!(res, ControlResult::Fail);
    // sofia owns both (escalation of checkout-web); ruth only checkout-web.
    assert!(why.contains("payments-api has 1 of 2"), "{why}");
    assert!(!why.contains("checkout-web has"), "{why}");
}

#[test]
fn docs_must_change_with_deployment_or_access_configuration() {
    let model = acme();
    let index = Index::new(&model);
    let critical = |paths: &[&str]| {
        let c = change(paths, "x@example.com");
        let v = evaluate(&index, &request(&c, None), &[]).unwrap();
        result(&v, Control::DocsUpdated)
    };
    // IAM is access configuration and critical, which requires docs_updated.
    let (res, why) = critical(&["services/payments-api/iam/roles.json"]);
    assert_eq!(res, ControlResult::Fail);
    assert!(why.contains("access configuration"), "{why}");
    let (res, why) = critical(&[
        "services/payments-api/iam/roles.json",
        "docs/runbooks/payments-api.md",
    ]);
    assert_eq!(res, ControlResult::Pass, "{why}");
    // A critical change with no configuration in it: nothing calls for docs.
    let (res, _) = critical(&["services/payments-api/capture.rs"]);
    assert_eq!(res, ControlResult::NotApplicable);
}

#[test]
fn signed_artifacts_and_rollback_plans() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["services/payments-api/capture.rs"], "x@example.com");
    let v = evaluate(
        &index,
        &request(&c, None),
        &[attestation(None), pull_request("someone", None)],
    )
    .unwrap();
    let (res, _) = result(&v, Control::SignedArtifact);
    assert_eq!(
        res,
        ControlResult::Missing,
        "an attestation naming no commit does not count"
    );
    assert!(
        v.warnings.iter().any(|w| w.contains("names no commit")),
        "{:?}",
        v.warnings
    );
    let (res, why) = result(&v, Control::RollbackPlan);
    assert_eq!(res, ControlResult::Fail);
    assert!(why.contains("#42"), "{why}");
}

#[test]
fn unreadable_evidence_fails_with_its_error_and_never_passes() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["services/status-page/index.html"], "x@example.com");
    let broken = Given {
        source: "results.xml".to_owned(),
        digest: format!("sha256:{}", "cd".repeat(32)),
        declared: Some(EvidenceKind::Junit),
        read: Err(EvidenceError::new(
            "results.xml",
            "line 3: unexpected end of file",
        )),
    };
    let v = evaluate(&index, &request(&c, None), &[broken, scan_clean()]).unwrap();
    assert_eq!(v.verdict, Outcome::Fail);
    let (res, why) = result(&v, Control::Tests);
    assert_eq!(res, ControlResult::Missing);
    assert!(
        why.contains("results.xml (line 3: unexpected end of file)"),
        "{why}"
    );
    assert!(!v.evidence[0].counted);
}

#[test]
fn a_waiver_covering_the_whole_change_excuses_a_control_until_it_expires() {
    let mut model = acme();
    // The example waives static analysis for the status page; make it waive
    // what the low tier requires, so that the waiver is what decides.
    model.gates.waivers[0].control = Control::Tests;
    let index = Index::new(&model);
    let c = change(&["services/status-page/index.html"], "x@example.com");
    let v = evaluate(&index, &request(&c, None), &[scan_clean()]).unwrap();
    assert_eq!(v.verdict, Outcome::Warn);
    let (res, why) = result(&v, Control::Tests);
    assert_eq!(res, ControlResult::Waived);
    assert!(
        why.contains("status-page-no-sast") && why.contains("eleanor"),
        "{why}"
    );
    assert_eq!(v.waivers_used, ["status-page-no-sast"]);

    // A change that also touches another service is not covered.
    let c2 = change(
        &[
            "services/status-page/index.html",
            "services/admin-console/q.rs",
        ],
        "x@example.com",
    );
    let v = evaluate(&index, &request(&c2, None), &[scan_clean()]).unwrap();
    assert_eq!(result(&v, Control::Tests).0, ControlResult::Missing);
    assert!(v.waivers_used.is_empty());

    // After its expiry it is not honoured.
    let mut late = request(&c, None);
    late.today = Day("2027-07-01".parse().unwrap());
    let v = evaluate(&index, &late, &[scan_clean()]).unwrap();
    assert_eq!(result(&v, Control::Tests).0, ControlResult::Missing);
    assert_eq!(v.verdict, Outcome::Fail);
}

#[test]
fn a_plan_says_what_each_required_control_will_need() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(
        &["web/checkout/pay.ts", "web/checkout/helm/values.yaml"],
        "arjun@nimbus.example",
    );
    let mut req = request(&c, Some("prod"));
    req.plan = true;
    let v = evaluate(&index, &req, &[]).unwrap();
    assert!(v.plan);
    assert_eq!(v.verdict, Outcome::Pass);
    assert_eq!(v.tier, RiskTier::High);
    let (res, _) = result(&v, Control::OwnerApprovals);
    assert_eq!(res, ControlResult::Needed);
    let owner = v
        .controls
        .iter()
        .find(|c| c.id == Control::OwnerApprovals)
        .unwrap();
    let provide = owner.provide.as_deref().unwrap();
    assert!(
        provide.contains("checkout-web: arjun, ruth, sofia"),
        "{provide}"
    );
    assert!(
        v.tier_reasons
            .iter()
            .any(|r| r.name == "infrastructure code"
                && r.example.as_deref() == Some("web/checkout/helm/values.yaml")),
        "{:?}",
        v.tier_reasons
    );
    assert_eq!(
        result(&v, Control::SignedArtifact).0,
        ControlResult::NotRequired
    );
}

#[test]
fn a_scan_that_vouches_for_no_commit_does_not_count() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["services/status-page/index.html"], "x@example.com");
    let dirty = given(
        EvidenceKind::Scan,
        None,
        Facts::Scan(ScanSummary {
            dirty: true,
            ..ScanSummary::default()
        }),
    );
    let v = evaluate(&index, &request(&c, None), &[tests_passed(), dirty]).unwrap();
    assert_eq!(result(&v, Control::SecretScan).0, ControlResult::Missing);
    assert!(
        v.warnings.iter().any(|w| w.contains("uncommitted changes")),
        "{:?}",
        v.warnings
    );
    let unnamed = given(
        EvidenceKind::Scan,
        None,
        Facts::Scan(ScanSummary::default()),
    );
    let v = evaluate(&index, &request(&c, None), &[tests_passed(), unnamed]).unwrap();
    assert_eq!(result(&v, Control::SecretScan).0, ControlResult::Missing);
    assert!(
        v.warnings.iter().any(|w| w.contains("names no commit")),
        "{:?}",
        v.warnings
    );
}

#[test]
fn sarif_with_no_run_is_no_analysis() {
    let model = acme();
    let index = Index::new(&model);
    let c = change(&["web/checkout/pay.ts"], "x@example.com");
    let empty = given(
        EvidenceKind::Sarif,
        Some(HEAD),
        Facts::Analysis(AnalysisSummary::default()),
    );
    let v = evaluate(&index, &request(&c, None), &[empty]).unwrap();
    let (res, why) = result(&v, Control::StaticAnalysis);
    assert_eq!(res, ControlResult::Fail);
    assert!(why.contains("no analyser ran"), "{why}");
}

#[test]
fn owner_approvals_fail_when_no_service_owns_the_change() {
    let model = acme();
    let index = Index::new(&model);
    // Lockfiles raise the tier to medium, which needs an owner's approval, but no service owns them.
    let c = change(&["Cargo.lock"], "x@example.com");
    let v = evaluate(&index, &request(&c, None), &[approvals(&["ruth"])]).unwrap();
    let (res, why) = result(&v, Control::OwnerApprovals);
    assert_eq!(res, ControlResult::Fail);
    assert!(
        why.contains("no service owns") && why.contains("Cargo.lock"),
        "{why}"
    );
}

#[test]
fn an_author_the_model_knows_by_another_address_cannot_approve_unnoticed() {
    let model = acme();
    let index = Index::new(&model);
    // Sofia commits from a private address the model does not list, then approves.
    let mut c = change(&["web/checkout/pay.ts"], "sofia.home@gmail.example");
    c.commits[0].author_name = "Sofia Brandt".to_owned();
    let v = evaluate(&index, &request(&c, None), &[approvals(&["sofiabrandt"])]).unwrap();
    let (res, why) = result(&v, Control::OwnerApprovals);
    assert_eq!(res, ControlResult::Fail);
    assert!(why.contains("may be an author of the change"), "{why}");
    assert!(
        v.warnings
            .iter()
            .any(|w| w.contains("sofia.home@gmail.example")),
        "{:?}",
        v.warnings
    );

    // A GitHub no-reply address names its login: arjun's own approval is refused.
    let c = change(
        &["web/checkout/pay.ts"],
        "1234+arjun-menon-nimbus@users.noreply.github.com",
    );
    let v = evaluate(
        &index,
        &request(&c, None),
        &[approvals(&["arjun-menon-nimbus", "ruth"])],
    )
    .unwrap();
    let owner = v
        .controls
        .iter()
        .find(|c| c.id == Control::OwnerApprovals)
        .unwrap();
    assert!(
        owner
            .reason
            .contains("arjun-menon-nimbus: an author of the change"),
        "{}",
        owner.reason
    );
    assert_eq!(owner.result, ControlResult::Pass, "ruth still approves");
    assert!(
        !v.warnings.iter().any(|w| w.contains("noreply")),
        "{:?}",
        v.warnings
    );
}

#[test]
fn an_attestation_by_an_expired_signer_does_not_count() {
    let mut model = acme();
    model.gates.signers[0].expires = Some(Day("2026-12-01".parse().unwrap()));
    let index = Index::new(&model);
    let c = change(&["services/payments-api/capture.rs"], "x@example.com");
    let v = evaluate(&index, &request(&c, None), &[attestation(Some(HEAD))]).unwrap();
    assert_eq!(
        result(&v, Control::SignedArtifact).0,
        ControlResult::Missing
    );
    let use_ = v.evidence.iter().find(|e| e.kind == "attestation").unwrap();
    assert!(!use_.counted);
    assert!(
        use_.note
            .as_deref()
            .unwrap()
            .contains("expired on 2026-12-01"),
        "{use_:?}"
    );

    model.gates.signers[0].expires = Some(Day("2026-12-31".parse().unwrap()));
    let index = Index::new(&model);
    let v = evaluate(&index, &request(&c, None), &[attestation(Some(HEAD))]).unwrap();
    assert_eq!(result(&v, Control::SignedArtifact).0, ControlResult::Pass);
}
