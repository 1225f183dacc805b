#!/usr/bin/env bash
# Measures the recall and the precision on the negatives of the peer secret scanners
# (and of `palisade scan`, once it is built) on the labelled cases made from the shared
# scanner fixtures (Nosey Parker rules, ripsecrets and detect-secrets test data; see
# crates/palisade-scan/tests/support/labelled.rs).
#
# Usage:
#   bench/scan-accuracy.sh
#
# Steps: writes the labelled corpus with the `labelled_corpus` example (one file per case
# plus labels.jsonl), runs every installed peer over its `cases` folder in the peer's
# JSON output mode (ripsecrets has none: its `path:line:match` lines are read instead),
# and counts per tool and per fixture source:
#   recall                      positive files with at least one finding / positive files
#   precision on the negatives  negative files with no finding / negative files
# The table goes to stdout and, machine-readable, to bench/peer-accuracy.json.
#
# Environment:
#   PALISADE_PEERS      where bench/peers.sh installed the peers
#                       (default: ~/.cache/palisade-peers)
#   PALISADE_TESTDATA   the shared test data (default: ../shared/testdata beside the repo)
#   ACCURACY_WORKDIR    where the corpus and raw tool outputs go
#                       (default: ${TMPDIR:-/tmp}/palisade-accuracy)
#   PALISADE_BIN        the palisade binary (default: target/release/palisade); measured
#                       only when it has a `scan` command
#   CARGO_TARGET_DIR    honoured by the cargo build of the example
#
# Peers are run without network access to anything: detect-secrets with --no-verify.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
PALISADE_PEERS="${PALISADE_PEERS:-$HOME/.cache/palisade-peers}"
PALISADE_TESTDATA="${PALISADE_TESTDATA:-$repo/../shared/testdata}"
ACCURACY_WORKDIR="${ACCURACY_WORKDIR:-${TMPDIR:-/tmp}/palisade-accuracy}"
PALISADE_BIN="${PALISADE_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/palisade}"
bin="$PALISADE_PEERS/bin"
work="$ACCURACY_WORKDIR"
results="$work/results"

log() { printf '==> %s\n' "$*" >&2; }

log "writing the labelled corpus to $work"
mkdir -p "$work"
rm -rf "$results"
mkdir -p "$results"
(cd "$repo" && cargo run --quiet -p palisade-scan --example labelled_corpus -- \
    "$PALISADE_TESTDATA" "$work")

# Each run_* function scans "$work/cases" (from inside $work, so paths read cases/...)
# and leaves the tool's raw output in $results/<tool>.<ext>. Exit codes that only mean
# "found something" are accepted; anything else fails the script.

run_ripsecrets() {
    # Exit 1 means secrets were found.
    (cd "$work" && "$bin/ripsecrets" cases >"$results/ripsecrets.txt") || [[ $? -eq 1 ]]
}

run_detect_secrets() {
    (cd "$work" && "$bin/detect-secrets" scan --all-files --no-verify cases \
        >"$results/detect-secrets.json")
}

run_trufflehog3() {
    # Exit 2 means issues were found.
    (cd "$work" && "$bin/trufflehog3" --no-history --format JSON \
        --output "$results/trufflehog3.json" cases) || [[ $? -eq 2 ]]
}

run_noseyparker() {
    local datastore="$work/noseyparker.datastore"
    rm -rf "$datastore"
    (cd "$work" && "$bin/noseyparker" scan --quiet --datastore "$datastore" cases >/dev/null)
    # Without the limits, a finding (one rule, one secret) lists only 3 of the files it
    # occurs in.
    "$bin/noseyparker" report --datastore "$datastore" --format json \
        --max-matches 0 --max-provenance 0 >"$results/noseyparker.json"
}

run_gitleaks() {
    # Exit 1 means leaks were found.
    (cd "$work" && gitleaks dir --no-banner --redact --report-format json \
        --report-path "$results/gitleaks.json" cases) || [[ $? -eq 1 ]]
}

# ---------------------------------------------------------------------------------
# Hook for palisade itself: `palisade scan --format jsonl <dir>` prints one finding per
# line and exits 1 when it found something. Measured only once the binary has `scan`.
# ---------------------------------------------------------------------------------
run_palisade() {
    (cd "$work" && "$PALISADE_BIN" scan --format jsonl cases >"$results/palisade.jsonl") ||
        [[ $? -eq 1 ]]
}

palisade_available() {
    [[ -x "$PALISADE_BIN" ]] && "$PALISADE_BIN" scan --help >/dev/null 2>&1
}

versions="$("$repo/bench/peers.sh" versions 2>/dev/null || true)"
version_of() { awk -v tool="$1" '$1 == tool {print $2}' <<<"$versions"; }

measured=()
for tool in ripsecrets detect-secrets trufflehog3 noseyparker gitleaks; do
    version="$(version_of "$tool")"
    if [[ -z "$version" || "$version" == "not" ]]; then
        log "$tool: not installed, skipped"
        continue
    fi
    log "running $tool $version"
    "run_${tool//-/_}"
    measured+=("$tool=$version")
done
if palisade_available; then
    log "running palisade"
    run_palisade
    measured+=("palisade=$("$PALISADE_BIN" --version | awk '{print $NF}')")
else
    log "palisade: no binary with a scan command at $PALISADE_BIN, skipped"
fi

python3 - "$work" "$results" "$repo/bench/peer-accuracy.json" "${measured[@]}" <<'EOF'
"""Counts, per tool, the case files with at least one finding and scores them."""
import datetime
import json
import os
import re
import sys

work, results, out_path, *measured = sys.argv[1:]
labels = [json.loads(line) for line in open(os.path.join(work, "labels.jsonl"))]
by_name = {os.path.basename(case["file"]): case for case in labels}


# The corpus bench's reader of the peers' JSON outputs, shared.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(out_path)), "corpus"))
from score import paths_in  # noqa: E402


def flagged_files(tool):
    """Base names of the case files the tool reported at least one finding in."""
    if tool == "ripsecrets":
        lines = open(os.path.join(results, "ripsecrets.txt"), errors="replace")
        paths = [m.group(1) for m in map(re.compile(r"^(.*?):\d+:").match, lines) if m]
    elif tool == "detect-secrets":
        paths = json.load(open(os.path.join(results, "detect-secrets.json")))["results"].keys()
    elif tool == "palisade":
        paths = []
        for line in open(os.path.join(results, "palisade.jsonl")):
            if line.strip():
                paths.extend(paths_in(json.loads(line)))
    else:
        paths = paths_in(json.load(open(os.path.join(results, f"{tool}.json"))))
    names = {os.path.basename(path) for path in paths}
    unknown = names - by_name.keys()
    if unknown:
        sys.exit(f"{tool}: findings in files that are not cases: {sorted(unknown)[:5]}")
    return names


def score(cases, flagged, key="label"):
    positives = [c for c in cases if c.get(key) == "positive"]
    negatives = [c for c in cases if c.get(key) == "negative"]
    found = sum(os.path.basename(c["file"]) in flagged for c in positives)
    silent = sum(os.path.basename(c["file"]) not in flagged for c in negatives)
    return {
        "recall": round(found / len(positives), 4) if positives else None,
        "negative_precision": round(silent / len(negatives), 4) if negatives else None,
        "positives": len(positives),
        "positives_found": found,
        "negatives": len(negatives),
        "negatives_silent": silent,
    }


sources = sorted({case["source"].split("/")[0] for case in labels})
report = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "corpus": {
        "cases": len(labels),
        "positives": sum(c["label"] == "positive" for c in labels),
        "negatives": sum(c["label"] == "negative" for c in labels),
        "by_source": {
            s: sum(c["source"].startswith(s + "/") for c in labels) for s in sources
        },
    },
    "definitions": {
        "recall": "positive case files with at least one finding / positive case files",
        "negative_precision": "negative case files with no finding / negative case files",
        "reviewed": "the same, with the labels reviewed by hand in "
        "crates/palisade-scan/tests/support/labelled.rs",
    },
    "tools": [],
}
for entry in measured:
    tool, version = entry.split("=", 1)
    flagged = flagged_files(tool)
    row = {
        "tool": tool,
        "version": version,
        **score(labels, flagged),
        # The same with the labels reviewed by hand (tests/support/labelled.rs: cases
        # left out have no reviewed label).
        "reviewed": score(labels, flagged, "reviewed"),
        "by_source": {},
    }
    for source in sources:
        cases = [c for c in labels if c["source"].startswith(source + "/")]
        row["by_source"][source] = score(cases, flagged)
    report["tools"].append(row)

with open(out_path, "w") as f:
    json.dump(report, f, indent=2)
    f.write("\n")


def pct(value):
    return "   -  " if value is None else f"{100 * value:5.1f}%"


header = f"{'tool':<15} {'version':<20} {'recall':>17} {'neg. precision':>17}"
for source in sources:
    header += f" | {source + ' R / NP':>24}"
print(header)
print("-" * len(header))
for row in report["tools"]:
    line = (
        f"{row['tool']:<15} {row['version']:<20} "
        f"{pct(row['recall'])} {row['positives_found']:>4}/{row['positives']:<4} "
        f"{pct(row['negative_precision'])} {row['negatives_silent']:>4}/{row['negatives']:<4}"
    )
    for source in sources:
        s = row["by_source"][source]
        line += f" | {pct(s['recall']):>11} / {pct(s['negative_precision']):>10}"
    print(line)
print("\nreviewed labels")
for row in report["tools"]:
    r = row["reviewed"]
    print(
        f"{row['tool']:<15} {row['version']:<20} "
        f"{pct(r['recall'])} {r['positives_found']:>4}/{r['positives']:<4} "
        f"{pct(r['negative_precision'])} {r['negatives_silent']:>4}/{r['negatives']:<4}"
    )
print(f"\n{report['corpus']['cases']} cases ({report['corpus']['positives']} positive, "
      f"{report['corpus']['negatives']} negative); written to {out_path}")
EOF
