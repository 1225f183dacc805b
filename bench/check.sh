#!/usr/bin/env bash
# Benchmark: `palisade check` end to end on generated models of 10,000
# people and 2,000 services (target: under 200 ms), clean and with 5% of
# services naming an unknown owner (the diagnostic path). Uses hyperfine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }
mkdir -p bench/out
python3 bench/gen-model.py 10000 2000 > bench/out/model-10k.toml
python3 bench/gen-model.py 10000 2000 --broken 0.05 > bench/out/model-10k-broken.toml
cargo build --release -q -p palisade
bin=target/release/palisade
ls -l bench/out/model-10k*.toml
hyperfine -N --warmup 3 --runs 30 -i \
  --export-markdown bench/out/check.md \
  "$bin check bench/out/model-10k.toml --today 2026-11-22" \
  "$bin check bench/out/model-10k-broken.toml --today 2026-11-22" \
  "$bin check examples/acme/palisade.toml --today 2026-11-22"
