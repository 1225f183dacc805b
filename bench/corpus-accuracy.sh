#!/usr/bin/env bash
# Secret and personal-data accuracy of `palisade scan` and of the installed peers, on two
# labelled corpora:
#
#   shared   TUNED: the labelled examples of Nosey Parker's rules and ripsecrets' and
#            detect-secrets' test data (../shared/testdata/secrets, written by the
#            `labelled_corpus` example). The scan rules were tuned on it; its figures
#            say how well the rules fit what they were fitted to.
#   second   HELD OUT: bench/corpus/second.jsonl, built by bench/second-corpus.sh from
#            leaky-repo, gitleaks' and trufflehog's tests and Faker. No rule was tuned
#            on it; keep it that way (fix a rule because of a class of misses, never
#            because of one case), or its figures stop meaning anything.
#
# Usage:
#   bench/corpus-accuracy.sh [shared|second|both]     (default: both)
#
# Per corpus, tool and source it prints:
#   secret recall        secret positives with a finding / secret positives
#   secret neg. flagged  secret negatives with a finding / secret negatives
#   PII recall           PII positives with a finding / PII positives
#   PII neg. flagged     PII negatives with a finding / PII negatives
# For palisade a secret case counts as found only by a finding of kind `secret`, a PII
# case only by one of kind `pii`; peers have no kinds, so any finding counts. JSON goes
# to bench/out/corpus-accuracy.json, and palisade's misses and false positives on each
# corpus (redacted by palisade itself) to bench/out/corpus-misses-<corpus>.json.
#
# Environment:
#   PALISADE_PEERS      where bench/peers.sh installed the peers (~/.cache/palisade-peers)
#   PALISADE_TESTDATA   the shared test data (default: ../shared/testdata beside the repo)
#   PALISADE_BIN        the palisade binary; default: built with
#                       `cargo build --release -p palisade` (honours CARGO_TARGET_DIR)
#   ACCURACY_WORKDIR    scratch (default: ${TMPDIR:-/tmp}/palisade-corpus-accuracy)
#   and those of bench/second-corpus.sh (PALISADE_CORPUS_SOURCES, PALISADE_CORPUS2).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
PALISADE_PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
PALISADE_TESTDATA="${PALISADE_TESTDATA:-$repo/../shared/testdata}"
ACCURACY_WORKDIR="${ACCURACY_WORKDIR:-${TMPDIR:-/tmp}/palisade-corpus-accuracy}"
export PALISADE_CORPUS2="${PALISADE_CORPUS2:-${TMPDIR:-/tmp}/palisade-corpus2}"
bin="$PALISADE_PEERS/bin"
which="${1:-both}"

log() { printf '==> %s\n' "$*" >&2; }

if [[ -z "${PALISADE_BIN:-}" ]]; then
    log "building palisade (release)"
    (cd "$repo" && cargo build --quiet --release -p palisade)
    PALISADE_BIN="${CARGO_TARGET_DIR:-$repo/target}/release/palisade"
fi
# The scans run inside the corpora's folders: a relative path would not be found there.
PALISADE_BIN="$(realpath "$PALISADE_BIN")"

corpora=()
case "$which" in
shared | both)
    log "writing the shared (tuned) corpus"
    rm -rf "$ACCURACY_WORKDIR/shared"
    mkdir -p "$ACCURACY_WORKDIR/shared"
    (cd "$repo" && cargo run --quiet -p palisade-scan --example labelled_corpus -- \
        "$PALISADE_TESTDATA" "$ACCURACY_WORKDIR/shared")
    corpora+=("shared=$ACCURACY_WORKDIR/shared")
    ;;&
second | both)
    log "writing the second (held-out) corpus"
    "$repo/bench/second-corpus.sh"
    corpora+=("second=$PALISADE_CORPUS2")
    ;;
shared) ;;
*)
    echo "usage: $0 [shared|second|both]" >&2
    exit 2
    ;;
esac

versions="$("$repo/bench/peers.sh" versions 2>/dev/null || true)"
version_of() { awk -v tool="$1" '$1 == tool {print $2}' <<<"$versions"; }

# Each run_<tool> DIR OUT scans DIR/cases from inside DIR (paths read cases/...) and
# leaves the tool's raw output in OUT. Exit codes that mean "found something" are fine.
run_palisade() { (cd "$1" && "$PALISADE_BIN" scan --format json cases >"$2") || [[ $? -eq 1 ]]; }
run_ripsecrets() { (cd "$1" && "$bin/ripsecrets" cases >"$2") || [[ $? -eq 1 ]]; }
run_detect_secrets() { (cd "$1" && "$bin/detect-secrets" scan --all-files --no-verify cases >"$2"); }
run_trufflehog3() {
    (cd "$1" && "$bin/trufflehog3" --no-history --format JSON --output "$2" cases) || [[ $? -eq 2 ]]
}
run_noseyparker() {
    local datastore="$1.noseyparker"
    rm -rf "$datastore"
    (cd "$1" && "$bin/noseyparker" scan --quiet --datastore "$datastore" cases >/dev/null)
    "$bin/noseyparker" report --datastore "$datastore" --format json \
        --max-matches 0 --max-provenance 0 >"$2"
    rm -rf "$datastore"
}
run_gitleaks() {
    (cd "$1" && gitleaks dir --no-banner --redact --report-format json --report-path "$2" cases) ||
        [[ $? -eq 1 ]]
}

runs=()
for entry in "${corpora[@]}"; do
    name="${entry%%=*}" dir="${entry#*=}"
    results="$ACCURACY_WORKDIR/results-$name"
    rm -rf "$results"
    mkdir -p "$results"
    log "$name: running palisade"
    run_palisade "$dir" "$results/palisade.json"
    runs+=("$name|$dir|palisade|$("$PALISADE_BIN" --version | awk '{print $NF}')|$results/palisade.json")
    for tool in ripsecrets detect-secrets trufflehog3 noseyparker gitleaks; do
        version="$(version_of "$tool")"
        if [[ -z "$version" || "$version" == "not" ]]; then
            log "$name: $tool not installed, skipped"
            continue
        fi
        log "$name: running $tool $version"
        "run_${tool//-/_}" "$dir" "$results/$tool.out"
        runs+=("$name|$dir|$tool|$version|$results/$tool.out")
    done
done

mkdir -p "$repo/bench/out"
python3 "$repo/bench/corpus/score.py" "$repo/bench/out" "${runs[@]}"
