#!/usr/bin/env bash
# Ledger benchmarks, one run: in-memory tree vs the ct-merkle crate, leaf
# hashing vs raw SHA-256, proof planning and verification at 10M leaves
# (divan), then the store-backed ledger on SQLite and PostgreSQL: batched and
# single appends, `verify` of 1M entries, inclusion proofs from a 10M-leaf
# tree. Sizes: BENCH_VERIFY_SIZE, BENCH_PROOF_SIZE.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/ensure-postgres)"
export PALISADE_TEST_POSTGRES_URL
cargo bench -p palisade-ledger --bench ledger
cargo bench -p palisade-ledger --bench service
cargo bench -p palisade-ledger --bench tiles
