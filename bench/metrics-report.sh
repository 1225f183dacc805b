#!/usr/bin/env bash
# The monthly review's performance target: the report of an organisation with
# 10,000 deployments in under 1 s, end to end through the CLI.
#
#   bench/metrics-report.sh
#
# 1. bench/metrics-generate.py writes a deterministic organisation (seed 42):
#    10 vendors with two teams each, 10 internal teams, 100 services in 10
#    repositories, 10,000 production deployments over the 6 calendar months up to now (one new
#    commit each, authored 30 minutes to 40 days before), ~290 incidents linked to
#    them, 2,000 monitor alerts;
# 2. the repositories are built with `git fast-import`; the deployments are
#    recorded with `palisade deploy import` (DevLake NDJSON, mapped to services
#    through the clones), the incidents with `palisade incident open/resolve`, the
#    alerts with `palisade ledger append --from`: a fresh SQLite store;
# 3. `palisade report` is timed with hyperfine (or `time` without it): the whole
#    organisation and one vendor, with every repository's history read
#    (--repo-dir), as HTML and as JSON.
#
# Data goes to METRICS_BENCH_DIR (default /tmp/palisade-metrics-bench), outside
# the repository, and is kept for a look (the review is in it). The binary is
# built in release mode first.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${METRICS_BENCH_DIR:-/tmp/palisade-metrics-bench}
SEED=${METRICS_SEED:-42}
COUNT=${METRICS_DEPLOYMENTS:-10000}
NOW=${METRICS_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
MONTH=${NOW:0:7}

say() { printf '== %s\n' "$*" >&2; }

say "building palisade (release)"
(cd "$ROOT" && cargo build --release -q -p palisade)
BIN=$ROOT/target/release/palisade

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
say "generating $COUNT deployments (seed $SEED, up to $NOW) in $WORK"
python3 "$ROOT/bench/metrics-generate.py" generate . --seed "$SEED" --deployments "$COUNT" --now "$NOW"

REPO_DIRS=()
for fi in repos/*.fi; do
    name=$(basename "$fi" .fi)
    git init -q --bare "repos/$name.git"
    git -C "repos/$name.git" fast-import --quiet --export-marks="../$name.marks" < "$fi"
    REPO_DIRS+=(--repo-dir "gen/$name=$WORK/repos/$name.git")
done
python3 "$ROOT/bench/metrics-generate.py" resolve .

export PALISADE_DB=$WORK/palisade.db
M=(--model "$WORK/palisade.toml")
say "recording the deployments"
/usr/bin/time -f "   deploy import: %e s, %M KB" \
    "$BIN" deploy import deployments.ndjson "${REPO_DIRS[@]}" --env prod --as vendor-0-team-0-p0 --now "$NOW" "${M[@]}" --format json > import.json
say "recording the incidents"
while IFS=$'\t' read -r id service severity deployment opened resolved; do
    "$BIN" incident open --id "$id" --service "$service" --severity "$severity" --title "errors after $deployment" \
        --deployment "$deployment" --time "$opened" --as internal-0-p0 --now "$NOW" "${M[@]}" > /dev/null
    "$BIN" incident resolve "$id" --time "$resolved" --as internal-0-p0 --now "$NOW" "${M[@]}" > /dev/null
done < incidents.tsv
say "recording the alerts"
"$BIN" ledger append --from alerts.jsonl --batch 1000 > /dev/null

REPORT=("$BIN" report --month "$MONTH" --months 6 --now "$NOW" "${M[@]}" "${REPO_DIRS[@]}")
"${REPORT[@]}" -o review.html
"${REPORT[@]}" --vendor vendor-3 -o review-vendor-3.html
"${REPORT[@]}" -o review.json
printf '   the organisation: %s production deployments in %s (DORA), %s bytes of HTML\n' \
    "$(python3 -c "import json;d=json.load(open('review.json'));print(sum(w['deployments'] for w in d['trend']['weekly']) if isinstance(d['trend']['weekly'], list) else d['trend']['weekly'])")" \
    "the 6 months to $MONTH" "$(wc -c < review.html)"

say "timing palisade report"
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 2 --runs 10 --export-json timing.json \
        -n "organisation, HTML" "$(printf '%q ' "${REPORT[@]}") -o org.html" \
        -n "vendor-3, HTML" "$(printf '%q ' "${REPORT[@]}") --vendor vendor-3 -o vendor.html" \
        -n "organisation, JSON" "$(printf '%q ' "${REPORT[@]}") -o org.json"
else
    for i in 1 2 3; do /usr/bin/time -f "   organisation, HTML: %e s, %M KB" "${REPORT[@]}" -o org.html; done
fi
