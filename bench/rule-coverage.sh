#!/usr/bin/env bash
# Measures how many of the peers' own positive rule examples `palisade scan` finds: the
# public rule sets of gitleaks (its default config, with the true positives of its rule
# tests), Nosey Parker and Kingfisher (the `examples:` of their rules). Each example is
# written to a file of its own in a work directory outside the repository, the tree is
# scanned once, and an example counts as found when palisade reports a secret or an
# identifier in its file (transport and personal-data findings do not count).
#
# Usage:
#   bench/rule-coverage.sh [-v]       -v also lists every peer rule with misses
#
# Output: a table per peer on stdout (found/total, rules found in full, examples not
# extracted), and bench/out/rule-coverage.json with the coverage per peer rule, the
# palisade rules that found each, and the shape of every missed example (its long runs
# redacted to their character classes and length, e.g. <aA932>).
#
# How examples are obtained (bench/rule-coverage.py does the work; nothing of the peers
# is copied into the repository, their files are read with `git show`):
#   - Nosey Parker: crates/noseyparker/data/default/builtin/rules/*.yml, `examples:`.
#   - Kingfisher: crates/kingfisher-rules/data/rules/*.yml, or data/rules/*.yml in older
#     trees, `examples:`.
#   - gitleaks: its rules and their tests are Go (cmd/generate/config/rules/*.go), and
#     many true positives are generated at test time from a regex (secrets.NewSecret) and
#     wrapped in some 28 assignment templates (utils.GenerateSampleSecrets). Without Go
#     and its module proxy, the script evaluates that small subset of Go itself: string
#     literals, concatenation, variables, slices, append, fmt.Sprintf and the one-line
#     helpers of cmd/generate/config/utils; the templates are read from gitleaks'
#     generate.go; random strings come from the regex through Python's regex parser,
#     seeded (RULE_COVERAGE_SEED), so runs repeat. Only rules registered in
#     cmd/generate/config/main.go count. Go the script cannot evaluate (a loop building
#     base64 JWTs, rules without tests) is listed as not extracted, not dropped.
#
# Environment:
#   GITLEAKS_REPO, NOSEYPARKER_REPO, KINGFISHER_REPO
#                       each peer's git repository: a bare git directory, a clone, or a
#                       URL cloned (bare) into $PALISADE_PEERS/src/<name>; default
#                       $PALISADE_PEERS/src/<name> when present, else the GitHub URL
#   GITLEAKS_REV, NOSEYPARKER_REV, KINGFISHER_REV
#                       the commit to read (default: HEAD)
#   PALISADE_PEERS      where peers live (default: ~/.cache/palisade-peers)
#   COVERAGE_WORKDIR    work directory (default: ${TMPDIR:-/tmp}/palisade-rule-coverage);
#                       its cases/ folder is rewritten on every run
#   PALISADE_BIN        the palisade binary (default: target/release/palisade, built
#                       with `cargo build --release -p palisade` when missing)
#   RULE_COVERAGE_SEED  seed of the generated gitleaks examples (default: 1)
#
# Needs git, python3 with PyYAML (python3-yaml).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
PALISADE_PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
COVERAGE_WORKDIR="${COVERAGE_WORKDIR:-${TMPDIR:-/tmp}/palisade-rule-coverage}"
PALISADE_BIN="${PALISADE_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/palisade}"
RULE_COVERAGE_SEED="${RULE_COVERAGE_SEED:-1}"
verbose=()
case "${1:-}" in
-v | --verbose) verbose=(--verbose) ;;
"") ;;
*)
    echo "usage: bench/rule-coverage.sh [-v]" >&2
    exit 2
    ;;
esac

log() { printf '==> %s\n' "$*" >&2; }

# peer_repo NAME URL VALUE: a local git directory for the peer
peer_repo() {
    local name="$1" url="$2" value="$3"
    if [[ -z "$value" ]]; then
        if [[ -d "$PALISADE_PEERS/src/$name" ]]; then
            value="$PALISADE_PEERS/src/$name"
        else
            value="$url"
        fi
    fi
    if [[ "$value" == *://* ]]; then
        local dest="$PALISADE_PEERS/src/$name"
        if [[ ! -d "$dest" ]]; then
            log "cloning $value into $dest"
            git clone --quiet --bare "$value" "$dest"
        fi
        value="$dest"
    fi
    if ! git --git-dir "$value" rev-parse --git-dir >/dev/null 2>&1 &&
        ! git -C "$value" rev-parse --git-dir >/dev/null 2>&1; then
        echo "rule-coverage: $name: $value is not a git repository; set ${name^^}_REPO" >&2
        exit 2
    fi
    printf '%s\n' "$value"
}

gitleaks="$(peer_repo gitleaks https://github.com/gitleaks/gitleaks "${GITLEAKS_REPO:-}")"
noseyparker="$(peer_repo noseyparker https://github.com/praetorian-inc/noseyparker "${NOSEYPARKER_REPO:-}")"
kingfisher="$(peer_repo kingfisher https://github.com/mongodb/kingfisher "${KINGFISHER_REPO:-}")"

if [[ ! -x "$PALISADE_BIN" ]]; then
    log "building palisade"
    (cd "$repo" && nice -n 19 cargo build --release --quiet -p palisade)
fi

work="$COVERAGE_WORKDIR"
mkdir -p "$work"
rm -rf "$work/cases"
log "extracting the peers' positive examples into $work/cases"
python3 "$repo/bench/rule-coverage.py" extract --work "$work" --seed "$RULE_COVERAGE_SEED" \
    --gitleaks "$gitleaks" --gitleaks-rev "${GITLEAKS_REV:-HEAD}" \
    --noseyparker "$noseyparker" --noseyparker-rev "${NOSEYPARKER_REV:-HEAD}" \
    --kingfisher "$kingfisher" --kingfisher-rev "${KINGFISHER_REV:-HEAD}"

log "scanning with $PALISADE_BIN"
status=0
(cd "$work" && "$PALISADE_BIN" scan cases --format json --no-pii --quiet >"$work/findings.json") || status=$?
if ((status > 1)); then
    echo "rule-coverage: palisade scan failed (exit $status)" >&2
    exit 2
fi

mkdir -p "$repo/bench/out"
python3 "$repo/bench/rule-coverage.py" report --work "$work" --findings "$work/findings.json" \
    --json "$repo/bench/out/rule-coverage.json" \
    --palisade-version "$("$PALISADE_BIN" --version 2>/dev/null || echo unknown)" "${verbose[@]}"
log "details: bench/out/rule-coverage.json"
