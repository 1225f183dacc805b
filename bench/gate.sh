#!/usr/bin/env bash
# Benchmark: the gate's verdict on a 10,000-file change across 2,000 services
# (target: under 100 ms beyond the git diff itself).
#
# 1. The library: index, classification and every control judged, on the
#    generated model (divan, `crates/palisade-gate/benches/gate.rs`).
# 2. End to end, in one hyperfine run on a real repository whose change
#    touches 10,000 files of the generated model's 2,000 services:
#    `git diff --raw` of the change (the floor), `palisade gate --plan`
#    (diff, model, classification), and `palisade gate` with evidence and
#    every output but the ledger. The difference between the last and the
#    first is what the gate adds to the diff; `palisade check` of the same
#    model is timed too, since loading it is part of every run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }

cargo bench -p palisade-gate --bench gate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo"
python3 bench/gen-model.py 10000 2000 > "$work/model.toml"
# One repository holds every service, as in the library benchmark.
sed -e '/^repos = /d' "$work/model.toml" > "$repo/palisade.toml"
cat >> "$repo/palisade.toml" <<'TOML'

[[gates.path_rules]]
name = "database migrations"
paths = ["**/migrations/**", "**/*.sql"]
raise_to = "high"

[[gates.path_rules]]
name = "authentication code"
paths = ["**/auth/**"]
raise_to = "high"
TOML
python3 - "$repo" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(10_000):
    s = (i * 7919) % 2000
    d = f"services/svc-{s:05}/src/m{i % 13}"
    if i % 20 == 0:
        d = f"services/svc-{s:05}/migrations"
    os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, d, f"f{i}.rs"), "w") as f:
        f.write(f"// file {i}\n")
PY
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=b -c user.email=b@example.com add -A
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -q -m base
find "$repo/services" -name '*.rs' -exec sh -c 'for f; do echo "// changed" >> "$f"; done' sh {} +
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -q -am change
echo "changed files: $(git -C "$repo" diff --name-only HEAD~1 HEAD | wc -l)"

cat > "$repo/junit.xml" <<'XML'
<testsuites><testsuite name="t" tests="1" failures="0" errors="0"><testcase classname="a" name="b"/></testsuite></testsuites>
XML
printf '%s\n' "[]" > "$repo/reviews.json"

cargo build --release -q -p palisade
bin=$PWD/target/release/palisade
cd "$repo"
mkdir -p "$OLDPWD/bench/out"
hyperfine -N --warmup 2 --runs 15 -i \
  --export-markdown "$OLDPWD/bench/out/gate.md" \
  "git diff --raw HEAD~1 HEAD" \
  "$bin check palisade.toml --today 2026-12-07" \
  "$bin gate --base HEAD~1 --head HEAD --plan" \
  "$bin gate --base HEAD~1 --head HEAD --no-record --evidence junit:junit.xml --evidence reviews:reviews.json --json gate.json --markdown gate.md --junit gate.xml"
