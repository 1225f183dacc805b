//! The recorded inputs end to end, on a real store (SQLite and PostgreSQL)
//! and a git repository made at test time: deployments recorded by command
//! and imported from DevLake-shaped NDJSON, incidents opened and resolved,
//! every one checked against the model, found in the ledger, and read back by
//! period; GitHub's pulls and reviews read as GitHub's own examples describe them.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod devlake;
mod github;
mod load;
mod record;

use jiff::Timestamp;
use palisade_ledger::ledger::{Ledger, Query};
use palisade_model::Model;
use palisade_test_support::git::{Author, Repo};

/// The example organisation's model: payments-api, ledger and checkout-web
/// live in acme/payments, identity in acme/platform; environments dev,
/// staging and prod (the only production one); severities sev1 to sev4.
pub fn model() -> Model {
    let path = palisade_test_support::repo_root().join("examples/acme/palisade.toml");
    let text = std::fs::read_to_string(path).unwrap();
    palisade_model::parse(&text).unwrap()
}

pub fn t(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// When every test acts: after every time below.
pub fn now() -> Timestamp {
    t("2026-12-01T00:00:00Z")
}

pub fn ledger(store: &palisade_store::Store) -> Ledger {
    Ledger::new(store.clone(), "acme.example/palisade")
}

/// Every entry of `kind`, oldest first: (subject, actor, data).
pub async fn entries(ledger: &Ledger, kind: &str) -> Vec<(String, String, serde_json::Value)> {
    ledger
        .query(&Query {
            kind: Some(kind.to_owned()),
            limit: 10_000,
            ..Query::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.entry.subject, s.entry.actor, s.entry.data))
        .collect()
}

/// A clone of acme/payments with one commit per kind of change, oldest first.
pub struct Payments {
    pub repo: Repo,
    /// Adds every service's first file.
    pub root: String,
    /// Changes payments-api only.
    pub api: String,
    /// Changes checkout-web only.
    pub web: String,
    /// Changes the README only: no service.
    pub readme: String,
    /// Changes ledger and checkout-web.
    pub both: String,
}

pub fn payments() -> Payments {
    let repo = Repo::new();
    let at = |date| Author {
        date,
        ..Author::default()
    };
    repo.write("README.md", "payments\n")
        .write("services/payments-api/main.go", "package main\n")
        .write("services/ledger/ledger.go", "package ledger\n")
        .write("web/checkout/index.html", "<p>pay</p>\n");
    let root = repo.commit_all_as("first", at("2026-09-28T09:00:00Z"));
    repo.write("services/payments-api/main.go", "package main // v2\n");
    let api = repo.commit_all_as("api v2", at("2026-10-01T09:00:00Z"));
    repo.write("web/checkout/index.html", "<p>pay now</p>\n");
    let web = repo.commit_all_as("checkout copy", at("2026-10-02T09:00:00Z"));
    repo.write("README.md", "payments, documented\n");
    let readme = repo.commit_all_as("docs", at("2026-10-03T09:00:00Z"));
    repo.write("services/ledger/ledger.go", "package ledger // v2\n")
        .write("web/checkout/pay.js", "pay()\n");
    let both = repo.commit_all_as("ledger and checkout", at("2026-10-04T09:00:00Z"));
    Payments {
        repo,
        root,
        api,
        web,
        readme,
        both,
    }
}
