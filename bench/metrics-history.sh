#!/usr/bin/env bash
# The history walk of `palisade metrics` against `git log --all`, in one run.
#
# `git log --all --format=%H%x00%at` is the physical limit of reading a
# repository's history: every commit reachable from any reference, decoded
# once. `palisade metrics` reads the same commits (id, author e-mail and
# time, committer time, parents) through gix; the `history_walk` example
# runs that walk (History::open, authors resolved through the model's
# index), then the DORA keys of 2000 deployments made along the newest
# commit's first-parent line (what each shipped, lead times, the month's
# keys). The target: the whole of it in at most 1.5x git's time.
#
# Usage: bench/metrics-history.sh [REPO] (default: a bare clone of git/git at
# /work/.mirror/git+git/repo; any clone works). RUNS sets the number of timed
# runs of each (default 5). Needs hyperfine (installed when missing) and jq.
# Honours CARGO_TARGET_DIR. Writes bench/out/metrics-history/hyperfine.json.
set -euo pipefail
cd "$(dirname "$0")/.."

REPO="${1:-/work/.mirror/git+git/repo}"
RUNS="${RUNS:-5}"
OUT="bench/out/metrics-history"
mkdir -p "$OUT"
[[ -d "$REPO" ]] || { echo "no repository at $REPO" >&2; exit 2; }
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null
command -v jq >/dev/null || apt-get install -y jq >/dev/null

TARGET="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET" = /* ]] || TARGET="$PWD/$TARGET"
cargo build --release -p palisade-metrics --example history_walk >/dev/null
WALK="$TARGET/release/examples/history_walk"

echo "repository: $REPO ($(git -C "$REPO" rev-list --all --count) commits reachable from its references)"
"$WALK" "$REPO"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/hyperfine.json" \
  -n "git log --all" "git -C '$REPO' log --all --format=%H%x00%at" \
  -n "palisade history walk" "'$WALK' '$REPO'"

jq -r '
  (.results[] | select(.command == "git log --all") | .mean) as $git
  | (.results[] | select(.command == "palisade history walk") | .mean) as $ours
  | "git log --all: \($git * 1000 | round) ms   palisade: \($ours * 1000 | round) ms   ratio: \(($ours / $git) * 100 | round / 100)x (target: at most 1.5x)"
' "$OUT/hyperfine.json"
