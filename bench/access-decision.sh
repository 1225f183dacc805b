#!/usr/bin/env bash
# Benchmark: one access decision by Cedar on the generated model of 10,000
# people and 500 roles (target: under 20 µs at p99), beside cedar-policy
# alone on a one-line policy, in the same run. Prints p50/p90/p99/p99.9 of
# 100,000 single decisions of each kind, then divan's medians.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p palisade-access --bench policy "$@"
