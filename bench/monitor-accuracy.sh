#!/usr/bin/env bash
# Precision and recall of the activity monitor's detectors on generated acme activity.
#
# Generates five weeks from 2026-10-05 (spanning Europe's daylight-saving change on
# 2026-10-25 and the US one on 2026-11-01, with a US working day after it) with a fixed
# seed into a scratch directory outside the repository, checks the generated records'
# shape, ingests them with `palisade monitor ingest`, and scores the alerts against the
# planted incidents with bench/monitor-eval.py (see docs/monitor.md, "Measuring the
# detectors").
#
# Usage:
#   bench/monitor-accuracy.sh [--verbose]      (--verbose lists false positives and misses)
#
# Environment:
#   PALISADE_BIN        the palisade binary; default: built with
#                       `cargo build --release -p palisade` (honours CARGO_TARGET_DIR)
#   MONITOR_SEED        the generator's seed (default 7)
#   MONITOR_WEEKS       weeks to generate (default 5)
#   ACCURACY_WORKDIR    scratch (default: ${TMPDIR:-/tmp}/palisade-monitor-accuracy)
#   MONITOR_ORDER       oldest-first (default) or newest-first: newest-first writes the
#                       GitHub log backwards, as GitHub's audit-log API pages it by
#                       default, and leaves the ingest to find that out
#
# Writes ACCURACY_WORKDIR/{data,alerts.json,store.db,score.json}; exits 0 after scoring,
# 2 when the generator, its check or the ingest fail.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
model="$repo/examples/acme/palisade.toml"
seed="${MONITOR_SEED:-7}"
weeks="${MONITOR_WEEKS:-5}"
work="${ACCURACY_WORKDIR:-${TMPDIR:-/tmp}/palisade-monitor-accuracy}"
verbose=()
[[ "${1:-}" == "--verbose" ]] && verbose=(--verbose)

case "$work/" in
    "$repo"/*) echo "monitor-accuracy: ACCURACY_WORKDIR must be outside the repository" >&2; exit 2 ;;
esac

if [[ -z "${PALISADE_BIN:-}" ]]; then
    echo "building palisade (release)…" >&2
    (cd "$repo" && cargo build --quiet --release -p palisade)
    PALISADE_BIN="${CARGO_TARGET_DIR:-$repo/target}/release/palisade"
fi
PALISADE_BIN="$(realpath "$PALISADE_BIN")"

# The monitor's CLI is newer than this script's other dependencies: say exactly what
# is missing rather than failing half-way.
if ! "$PALISADE_BIN" monitor ingest --help >/dev/null 2>&1; then
    echo "monitor-accuracy: \`palisade monitor ingest\` is missing from $PALISADE_BIN" >&2
    echo "  (it reads the generated logs; build a palisade that has it, or set PALISADE_BIN)" >&2
    exit 2
fi

rm -rf "$work"
mkdir -p "$work"
data="$work/data"

python3 "$repo/bench/monitor-generate.py" --model "$model" --out "$data" \
    --weeks "$weeks" --start 2026-10-05 --seed "$seed" >&2
python3 "$repo/bench/monitor-generate.py" --model "$model" --check "$data" >&2
case "${MONITOR_ORDER:-oldest-first}" in
    oldest-first) ;;
    newest-first) tac "$data/github.ndjson" >"$data/github.rev" && mv "$data/github.rev" "$data/github.ndjson" ;;
    *) echo "monitor-accuracy: MONITOR_ORDER is oldest-first or newest-first" >&2; exit 2 ;;
esac

# Exit 1 means alerts were raised (findings), which is what we expect here.
status=0
"$PALISADE_BIN" monitor ingest --model "$model" --grants "$data/grants.json" \
    --source github "$data/github.ndjson" --source sshd "$data/auth.log" \
    --year 2026 --zone UTC --format json --db "$work/store.db" >"$work/alerts.json" || status=$?
if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "monitor-accuracy: palisade monitor ingest failed (exit $status)" >&2
    exit 2
fi

python3 "$repo/bench/monitor-eval.py" "$work/alerts.json" "$data/truth.json" --format json \
    "${verbose[@]}" >"$work/score.json"
python3 "$repo/bench/monitor-eval.py" "$work/alerts.json" "$data/truth.json" "${verbose[@]}"
echo "alerts: $work/alerts.json  truth: $data/truth.json  score: $work/score.json" >&2
