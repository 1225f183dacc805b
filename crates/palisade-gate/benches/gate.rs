//! The gate's verdict on a large change (divan): 10,000 changed files across
//! the generated model's 2,000 services (`bench/gen-model.py`), with six path
//! rules and evidence for every control. Target: the verdict in under 100 ms
//! beyond the git diff itself; `bench/gate.sh` times the diff of a real
//! repository beside it.
//!
//! `cargo bench -p palisade-gate --bench gate`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::LazyLock;

use palisade_gate::diff::{Change, ChangeKind, ChangedFile, CommitInfo};
use palisade_gate::evaluate::{Given, Request, classify, evaluate};
use palisade_gate::evidence::{
    Approval, Evidence, EvidenceKind, Facts, PullRequestFacts, ScanSummary, TestSummary,
};
use palisade_model::{Day, Index, Model};

fn main() {
    divan::main();
}

const HEAD: &str = "1111111111111111111111111111111111111111";

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let mut text = palisade_test_support::generated_model(10_000, 2_000);
    // The path rules a real model has (those of `palisade init`).
    text.push_str(
        r#"
[[gates.path_rules]]
name = "infrastructure code"
paths = ["infra/**", "**/*.tf", "**/helm/**", "**/Dockerfile"]
raise_to = "high"
config = "deployment"

[[gates.path_rules]]
name = "IAM and policy"
paths = ["**/iam/**", "**/policies/**", "**/*.cedar"]
raise_to = "critical"
config = "access"

[[gates.path_rules]]
name = "database migrations"
paths = ["**/migrations/**", "**/*.sql"]
raise_to = "high"

[[gates.path_rules]]
name = "CI workflows"
paths = [".github/workflows/**", ".gitlab-ci.yml"]
raise_to = "high"

[[gates.path_rules]]
name = "authentication code"
paths = ["**/auth/**", "**/session/**"]
raise_to = "high"

[[gates.path_rules]]
name = "dependency lockfiles"
paths = ["**/Cargo.lock", "**/package-lock.json", "**/go.sum"]
raise_to = "medium"
"#,
    );
    let mut model = palisade_model::parse(&text).unwrap();
    // One repository holds all 2,000 services, so the change spans them all.
    for service in &mut model.services {
        service.repos.clear();
    }
    model
});

/// 10,000 files: most in service directories (one file in five of a service
/// touched), some matched by path rules, some owned by nobody.
static CHANGE: LazyLock<Change> = LazyLock::new(|| Change {
    base: "2".repeat(40),
    head: HEAD.to_owned(),
    merge_base: "2".repeat(40),
    files: (0..10_000)
        .map(|i| {
            let s = (i * 7919) % 2000;
            let path = match i % 20 {
                0 => format!("services/svc-{s:05}/migrations/{i:05}.sql"),
                1 => format!("services/svc-{s:05}/auth/session{i}.rs"),
                2 => format!("infra/modules/m{}/main.tf", i % 97),
                3 => format!("docs/notes/n{i}.md"),
                4..=6 => format!("libs/svc-{s:05}/part{i}.rs"),
                _ => format!("services/svc-{s:05}/src/module{}/file{i}.rs", i % 13),
            };
            ChangedFile {
                path,
                kind: ChangeKind::Modified,
            }
        })
        .collect(),
    commits: (0..50)
        .map(|i| CommitInfo {
            id: format!("{i:040}"),
            author_name: format!("Author {i}"),
            author_email: format!("author{i}@example.com"),
            committer_email: format!("author{i}@example.com"),
        })
        .collect(),
});

fn given(kind: EvidenceKind, facts: Facts) -> Given {
    Given {
        source: kind.key().to_owned(),
        digest: format!("sha256:{}", "ab".repeat(32)),
        declared: Some(kind),
        read: Ok(Evidence {
            source: kind.key().to_owned(),
            kind,
            digest: format!("sha256:{}", "ab".repeat(32)),
            commit: Some(HEAD.to_owned()),
            facts,
        }),
    }
}

static EVIDENCE: LazyLock<Vec<Given>> = LazyLock::new(|| {
    // Approvals by 300 people of the model, by handle.
    let approvals = MODEL
        .people
        .iter()
        .step_by(33)
        .map(|p| Approval {
            by: p.handle.clone(),
            commit: Some(HEAD.to_owned()),
            at: None,
        })
        .collect();
    vec![
        given(
            EvidenceKind::Junit,
            Facts::Tests(TestSummary {
                tests: 25_000,
                ..TestSummary::default()
            }),
        ),
        given(EvidenceKind::Scan, Facts::Scan(ScanSummary::default())),
        given(EvidenceKind::Reviews, Facts::Approvals(approvals)),
        given(
            EvidenceKind::PullRequest,
            Facts::PullRequest(PullRequestFacts {
                number: 1,
                author: MODEL.people[1].handle.clone(),
                head: HEAD.to_owned(),
                rollback: Some("revert".to_owned()),
                ..PullRequestFacts::default()
            }),
        ),
    ]
});

fn request(index_repo: Option<&'static str>) -> Request<'static> {
    Request {
        change: &CHANGE,
        repo: index_repo,
        environment: None,
        today: Day("2026-12-07".parse().unwrap()),
        plan: false,
    }
}

/// The index is built once per run of the gate; it is part of the verdict's cost.
#[divan::bench]
fn index_build() -> usize {
    let index = Index::new(&MODEL);
    black_box(&index);
    MODEL.services.len()
}

#[divan::bench]
fn classify_10k_files(bencher: divan::Bencher) {
    let index = Index::new(&MODEL);
    let req = request(None);
    bencher.bench(|| black_box(classify(&index, &req).unwrap()));
}

/// Index build, classification and every control judged: the whole verdict.
#[divan::bench]
fn verdict_10k_files_2k_services(bencher: divan::Bencher) {
    let req = request(None);
    LazyLock::force(&EVIDENCE);
    bencher.bench(|| {
        let index = Index::new(&MODEL);
        black_box(evaluate(&index, &req, &EVIDENCE).unwrap())
    });
}
