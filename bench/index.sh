#!/usr/bin/env bash
# The model's index on the generated 10,000-person, 2,000-service model:
# build time (target < 20 ms), a lookup by identity (< 200 ns), the owners of
# 1,000,000 paths (< 1 s) beside globset and a naive loop over every glob,
# then `palisade check` end to end (< 200 ms, bench/check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p palisade-model --bench index
bench/check.sh
