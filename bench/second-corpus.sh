#!/usr/bin/env bash
# Builds the held-out labelled corpus: cases the scan rules were NOT tuned on.
#
# The rules are tuned on the shared fixtures corpus (Nosey Parker rules, ripsecrets and
# detect-secrets test data; crates/palisade-scan/tests/support/labelled.rs). This one is
# held out: planted secrets from Plazmaz/leaky-repo, the true and false positives of
# gitleaks' rule tests, configuration-file inputs of trufflehog's detector tests, and
# personal data generated with Faker (several locales) beside look-alikes that are not
# personal data. bench/corpus/second.jsonl lists every case with its source repository,
# commit, path and lines, label, kind (secret|pii) and why; it never holds a secret
# value. Excluded candidates and the reasons are in bench/corpus/README.md.
#
# Usage:
#   bench/second-corpus.sh            writes $PALISADE_CORPUS2 (cases/ and labels.jsonl)
#
# Environment:
#   PALISADE_PEERS            (default: ~/.cache/palisade-peers); Faker is installed into
#                             $PALISADE_PEERS/corpus-venv
#   PALISADE_CORPUS_SOURCES   where the source repositories are, one git directory per
#                             repository as <owner>+<name>[/repo] or <owner>/<name>
#                             (default: $PALISADE_PEERS/src); a missing one is cloned
#                             there from $PALISADE_CORPUS_REMOTE/<owner>/<name>
#   PALISADE_CORPUS_REMOTE    (default: https://github.com)
#   PALISADE_CORPUS2          output (default: ${TMPDIR:-/tmp}/palisade-corpus2)
#
# Nothing is written inside the repository.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
PALISADE_PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
PALISADE_CORPUS_SOURCES="${PALISADE_CORPUS_SOURCES:-$PALISADE_PEERS/src}"
PALISADE_CORPUS_REMOTE="${PALISADE_CORPUS_REMOTE:-https://github.com}"
PALISADE_CORPUS2="${PALISADE_CORPUS2:-${TMPDIR:-/tmp}/palisade-corpus2}"
FAKER_VERSION=40.1.0
labels="$repo/bench/corpus/second.jsonl"
venv="$PALISADE_PEERS/corpus-venv"

log() { printf '==> %s\n' "$*" >&2; }

if ! "$venv/bin/python" -c "import faker, sys; sys.exit(faker.VERSION != '$FAKER_VERSION')" 2>/dev/null; then
    log "installing Faker $FAKER_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "Faker==$FAKER_VERSION"
fi

# Every repository and commit the labels name must be at hand.
python3 -c '
import json, sys
seen = {}
for line in open(sys.argv[1]):
    c = json.loads(line)
    if "repo" in c:
        seen.setdefault((c["repo"], c["commit"]), None)
for repo, commit in seen:
    print(repo, commit)
' "$labels" | while read -r name commit; do
    found=""
    for cand in "${name/\//+}/repo" "${name/\//+}" "$name"; do
        if [[ -d "$PALISADE_CORPUS_SOURCES/$cand" ]]; then
            found="$PALISADE_CORPUS_SOURCES/$cand"
            break
        fi
    done
    if [[ -z "$found" ]]; then
        found="$PALISADE_CORPUS_SOURCES/${name/\//+}"
        log "cloning $name into $found"
        mkdir -p "$PALISADE_CORPUS_SOURCES"
        git clone --quiet --bare "$PALISADE_CORPUS_REMOTE/$name" "$found"
    fi
    if ! git -C "$found" cat-file -e "$commit^{commit}" 2>/dev/null; then
        echo "$name: commit $commit is not in $found; fetch a newer copy" >&2
        exit 1
    fi
done

rm -rf "$PALISADE_CORPUS2"
mkdir -p "$PALISADE_CORPUS2"
"$venv/bin/python" "$repo/bench/corpus/build.py" "$labels" "$PALISADE_CORPUS_SOURCES" "$PALISADE_CORPUS2"
