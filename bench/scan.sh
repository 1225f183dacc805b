#!/usr/bin/env bash
# `palisade scan` against the peer scanners, side by side in one run:
#   1. a ~1 GB working tree (distinct crate sources): palisade, Nosey Parker, a ripgrep
#      keyword search (the practical floor: reading the files), and ripsecrets,
#      detect-secrets and trufflehog3 on a ~100 MB sample of the same tree (they are
#      too slow for the whole of it; MB/s is comparable);
#   2. the whole git/git history: palisade --history and Nosey Parker (wall time and
#      peak RSS);
#   3. pre-commit: `palisade scan --staged` with a typical staged change in a
#      repository of 100,000 files;
#   4. (`engine` only) the matching engine alone on the sample, files held in memory, on
#      one thread, and a check that it finds what the engine before keyword windows found
#      (the `engine_bench` example; `check` on a git repository compares every blob).
# Prints wall time, MB/s, MB/s per core and peak RSS, and the ratios to palisade.
#
# Usage: bench/scan.sh [tree|history|staged|engine|all]     (default: all but engine)
# Needs the peers and corpora of bench/peers.sh (PALISADE_PEERS, default
# ~/.cache/palisade-peers) /usr/bin/time, ripgrep (installed when missing) and bc.
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

PALISADE_PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
BIN="$PALISADE_PEERS/bin"
TREE="$PALISADE_PEERS/corpus/tree"
SAMPLE="$PALISADE_PEERS/corpus/tree-sample"
SMALL="$PALISADE_PEERS/corpus/tree-sample-1pct"
GITREPO="$PALISADE_PEERS/corpus/git.git"
OUT="bench/out/scan"
CORES=$(nproc)
mkdir -p "$OUT"

for need in "$TREE" "$SAMPLE"; do
  [[ -d "$need" ]] || { echo "missing $need: run bench/peers.sh all" >&2; exit 2; }
done
command -v rg >/dev/null || apt-get install -y ripgrep >/dev/null
TARGET="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET" = /* ]] || TARGET="$PWD/$TARGET"
cargo build --release -p palisade >/dev/null
PALISADE="$TARGET/release/palisade"

mb() { du -sb --apparent-size "$1" | awk '{printf "%.0f", $1/1e6}'; }

BENCH_REPEAT="${BENCH_REPEAT:-3}"
declare -A WALL
# timed NAME CMD...: runs CMD once (its output is discarded) and sets SECS and RSS (KB).
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || true
  # The last line: GNU time writes "Command exited with non-zero status N" first when
  # the scanner reports findings.
  read -r SECS RSS < <(tail -n 1 "$OUT/$name.time")
}

# The median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# row NAME SECS RSS MB RUNS: one row of the table.
row() {
  awk -v n="$1" -v s="$2" -v r="$3" -v m="$4" -v c="$CORES" -v t="$5" \
    'BEGIN { printf "%-28s %8.2f s %9.1f MB/s %8.1f MB/s/core %8.0f MB RSS   (runs: %s)\n", n, s, m/s, m/s/c, r/1024, t }'
}

# run NAME MB CMD...: wall seconds and peak RSS of CMD (its output is discarded), one
# row of the table. CMD runs REPEAT times (default BENCH_REPEAT, 3) and the row gives the
# median wall time and the largest RSS: on a shared machine one run can be off by half.
# The slow peers on the samples and the history scans run once (REPEAT=1). BEFORE, when
# set, is run untimed before each run (Nosey Parker's datastore is removed, or it would
# skip what the previous run scanned).
run() {
  local name=$1 size=$2; shift 2
  local times=() most=0
  for ((i = 0; i < ${REPEAT:-$BENCH_REPEAT}; i++)); do
    [[ -n "${BEFORE:-}" ]] && eval "$BEFORE"
    timed "$name" "$@"
    times+=("$SECS")
    (( RSS > most )) && most=$RSS
  done
  WALL[$name]=$(printf '%s\n' "${times[@]}" | median)
  row "$name" "${WALL[$name]}" "$most" "$size" "${times[*]}"
}

# alternate NAME_A NAME_B MB: times the commands in the arrays A and B in turn,
# ALTERNATE_REPEAT (default 5) rounds of A then B, so that both meet the same state of a
# shared machine (its page cache, the other tenants' load), which drifts between runs
# made one tool after the other. Prints both rows like `run`, and the median of the
# rounds' ratios A/B.
alternate() {
  local a=$1 b=$2 size=$3
  local ta=() tb=() ratios=() most_a=0 most_b=0
  for ((i = 0; i < ${ALTERNATE_REPEAT:-5}; i++)); do
    timed "$a" "${A[@]}"; ta+=("$SECS"); (( RSS > most_a )) && most_a=$RSS
    timed "$b" "${B[@]}"; tb+=("$SECS"); (( RSS > most_b )) && most_b=$RSS
    ratios+=("$(awk -v x="${ta[-1]}" -v y="$SECS" 'BEGIN { printf "%.3f", x / y }')")
  done
  WALL[$a]=$(printf '%s\n' "${ta[@]}" | median)
  WALL[$b]=$(printf '%s\n' "${tb[@]}" | median)
  ROUND_RATIO[$a/$b]=$(printf '%s\n' "${ratios[@]}" | median)
  row "$a" "${WALL[$a]}" "$most_a" "$size" "${ta[*]}"
  row "$b" "${WALL[$b]}" "$most_b" "$size" "${tb[*]}"
  echo "  rounds, $a / $b: ${ratios[*]}"
}
declare -A ROUND_RATIO

ratio() { awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" -v l="$3" 'BEGIN { printf "  %-60s %6.2fx\n", l, a/b }'; }

tree() {
  local size sample
  size=$(mb "$TREE"); sample=$(mb "$SAMPLE")
  echo "== working tree: $TREE ($size MB), sample $SAMPLE ($sample MB), $CORES cores"
  cat "$TREE" >/dev/null 2>&1 || true
  find "$TREE" -type f -print0 | xargs -0 cat >/dev/null   # page cache, for everyone
  # The floor: search the same files for the rules' keywords (the first 40 of them, as
  # every earlier run of this script did), timed in turn with palisade.
  mapfile -t keywords < <(grep -ho 'keywords = \[[^]]*\]' crates/palisade-scan/rules/*.toml \
    | grep -o '"[^"]*"' | tr -d '"' | sort -u | head -40)
  local args=(); for k in "${keywords[@]}"; do args+=(-e "$k"); done
  A=("$PALISADE" scan --quiet --no-pii --format jsonl "$TREE")
  B=(rg -c -i -F --no-messages "${args[@]}" "$TREE")
  alternate palisade-tree ripgrep-keywords-tree "$size"
  if [[ -x "$BIN/noseyparker" ]]; then
    BEFORE='rm -rf "$OUT/np.ds"' run noseyparker-tree "$size" "$BIN/noseyparker" scan --datastore "$OUT/np.ds" --progress never "$TREE"
  fi
  run palisade-sample "$sample" "$PALISADE" scan --quiet --no-pii --format jsonl "$SAMPLE"
  [[ -x "$BIN/ripsecrets" ]] && REPEAT=1 run ripsecrets-sample "$sample" "$BIN/ripsecrets" "$SAMPLE"
  # detect-secrets walks the current directory (given a path it scans nothing), and at
  # about 0.7 MB/s it gets the 1% sample; palisade is timed on the same files.
  local small; small=$(mb "$SMALL")
  run palisade-small "$small" "$PALISADE" scan --quiet --no-pii --format jsonl "$SMALL"
  [[ -x "$BIN/detect-secrets" ]] && REPEAT=1 run detect-secrets-small "$small" \
    bash -c 'cd "$1" && exec "$2" scan --all-files --no-verify' _ "$SMALL" "$BIN/detect-secrets"
  [[ -x "$BIN/trufflehog3" ]] && REPEAT=1 run trufflehog3-sample "$sample" "$BIN/trufflehog3" --no-history --format JSON -o "$OUT/trufflehog3.json" "$SAMPLE"
  echo "ratios (time of the other / time of palisade; above 1 means palisade is faster):"
  [[ -n "${WALL[noseyparker-tree]:-}" ]] && ratio noseyparker-tree palisade-tree "Nosey Parker, 1 GB tree"
  ratio ripgrep-keywords-tree palisade-tree "ripgrep keyword search (below 1: palisade is slower than the floor)"
  printf '  %-60s %6.2fx\n' "palisade / ripgrep, median of the rounds' ratios" "${ROUND_RATIO[palisade-tree/ripgrep-keywords-tree]}"
  for p in ripsecrets trufflehog3; do
    [[ -n "${WALL[$p-sample]:-}" ]] && ratio "$p-sample" palisade-sample "$p, 100 MB sample"
  done
  [[ -n "${WALL[detect-secrets-small]:-}" ]] && ratio detect-secrets-small palisade-small "detect-secrets, 12 MB sample"
}

history() {
  [[ -d "$GITREPO" ]] || { echo "missing $GITREPO: run bench/peers.sh corpus" >&2; return; }
  local commits size
  commits=$(git --git-dir "$GITREPO" rev-list --all --count)
  size=$(git --git-dir "$GITREPO" count-objects -v | awk '/size-pack/ {printf "%.0f", $2/1024}')
  echo "== git history: $GITREPO ($commits commits, $size MB packed)"
  REPEAT=1 run palisade-history "$size" "$PALISADE" scan --quiet --no-pii --history --format jsonl "$GITREPO"
  if [[ -x "$BIN/noseyparker" ]]; then
    REPEAT=1 BEFORE='rm -rf "$OUT/np-history.ds"' run noseyparker-history "$size" "$BIN/noseyparker" scan --datastore "$OUT/np-history.ds" --progress never "$GITREPO"
    ratio noseyparker-history palisade-history "Nosey Parker, git/git history"
  fi
}

staged() {
  local repo="$OUT/staged-repo"
  if [[ ! -d "$repo/.git" ]]; then
    echo "building a 100,000-file repository in $repo"
    rm -rf "$repo"; mkdir -p "$repo"
    ( cd "$repo" && git init -q && git config user.email b@example.com && git config user.name bench
      for d in $(seq 0 99); do mkdir -p "src/m$d"; for f in $(seq 0 999); do
        printf 'package m%d\n\nfunc F%d() int { return %d }\n' "$d" "$f" "$f" >"src/m$d/f$f.go"; done; done
      git add -A && git commit -qm init )
  fi
  ( cd "$repo" && git reset -q --hard && \
    for f in 1 2 3 4 5; do printf '\nfunc Extra() string { return "value-%d" }\n' "$f" >>"src/m$f/f$f.go"; done && \
    printf 'package m0\n\nconst Endpoint = "https://api.acme.io/v1"\n' >src/m0/new.go && git add -A )
  echo "== pre-commit: 6 staged files in a repository of 100,000 files"
  local times=()
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    s=$(date +%s.%N); (cd "$repo" && "$PALISADE" scan --staged --quiet >/dev/null) || true; e=$(date +%s.%N)
    times+=("$(echo "($e - $s) * 1000" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "palisade scan --staged: median %.0f ms (min %.0f, max %.0f) over %d runs\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
}

engine() {
  cargo build --release -p palisade-scan --example engine_bench >/dev/null
  local bench="$TARGET/release/examples/engine_bench"
  echo "== engine alone: $SAMPLE"
  "$bench" "$SAMPLE" scan 3
  "$bench" "$SAMPLE" reference 1
  "$bench" "$SAMPLE" check 1
}

case "${1:-all}" in
  tree) tree ;;
  history) history ;;
  staged) staged ;;
  engine) engine ;;
  all) tree; history; staged ;;
  *) echo "usage: bench/scan.sh [tree|history|staged|engine|all]" >&2; exit 2 ;;
esac
