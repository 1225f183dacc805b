#!/usr/bin/env bash
# The activity monitor's performance targets (issue 15), measured side by side in one run:
#
#   1. parse, normalise and run every detector over GitHub NDJSON at 500,000 events/s or
#      more on one core, against `jq -c 'select(.action=="git.clone")'` on the same file;
#      measured end to end (`palisade monitor ingest --no-events`, which still records the
#      alerts) and for the library pipeline alone (benches/pipeline.rs: read::Stream,
#      resolve, Detectors::observe), since the binary's figure also holds the store work;
#   2. persist 100,000 events/s or more on SQLite: the same ingest with and without the
#      events stored (the difference is the store's share), and the crate's persist bench;
#   3. memory grows with people and resources, not events: peak RSS of the ingest over
#      1 M and 10 M GitHub events (the 10 M file is streamed through a fifo, never written).
#
#   bench/monitor.sh
#
# Single-core figures are pinned with `taskset -c $MONITOR_CPU` (default 0); each timed
# run is repeated MONITOR_REPEAT times (default 3) and the fastest kept, since the machine
# may be shared (the load is printed). Rates are given by the wall clock and per
# CPU-second (user + system). Data goes to MONITOR_BENCH_DIR (default
# /tmp/palisade-monitor-bench), outside the repository, and is deleted at the end unless
# MONITOR_KEEP=1. MONITOR_SCALE (default 130, about 1 M GitHub events over 4 weeks of
# examples/acme) and MONITOR_SCALE_10M (default 1300) size the two files.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${MONITOR_BENCH_DIR:-/tmp/palisade-monitor-bench}
CPU=${MONITOR_CPU:-0}
REPEAT=${MONITOR_REPEAT:-3}
SCALE=${MONITOR_SCALE:-130}
SCALE_10M=${MONITOR_SCALE_10M:-1300}
KEEP=${MONITOR_KEEP:-0}
MODEL=$ROOT/examples/acme/palisade.toml
NOW=2026-11-03T00:00:00Z # after the generated period (2026-10-04 .. 2026-11-02)

say() { printf '== %s\n' "$*" >&2; }

need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2 for $1"
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq "$2" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    else
        sudo apt-get install -y -qq "$2" >/dev/null
    fi
}
need jq jq
need /usr/bin/time time
need taskset util-linux
need python3 python3

mkdir -p "$WORK"
case "$WORK" in "$ROOT"/*) echo "MONITOR_BENCH_DIR must be outside the repository" >&2; exit 2 ;; esac
cleanup() {
    [ -n "${GEN_PID:-}" ] && kill "$GEN_PID" 2>/dev/null || true
    rm -rf "$WORK/10m" "$WORK"/*.db "$WORK"/*.db-*
    [ "$KEEP" = 1 ] || rm -rf "$WORK/1m"
}
trap cleanup EXIT

PIN=(taskset -c "$CPU")
pin() { "${PIN[@]}" "$@"; }

# timed OUT CMD...: runs CMD with its stdout to OUT.stdout; leaves "wall user sys maxrss_kb" in OUT.time.
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$@" >"$out.stdout"
}

# best NAME CMD...: the fastest of REPEAT runs; "wall user sys rss" on stdout, the
# fastest run's output in $WORK/NAME.stdout. A fresh store each time ($DB).
best() {
    local name=$1
    shift
    local i best_wall="" line
    for ((i = 1; i <= REPEAT; i++)); do
        rm -f "$DB" "$DB"-*
        timed "$WORK/$name.try" "$@"
        line=$(tail -n1 "$WORK/$name.try.time")
        local wall=${line%% *}
        if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
            best_wall=$wall
            echo "$line" >"$WORK/$name.time"
            mv "$WORK/$name.try.stdout" "$WORK/$name.stdout"
        fi
    done
    rm -f "$WORK/$name.try.stdout" "$WORK/$name.try.time"
    cat "$WORK/$name.time"
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", n / s; else print "-" }'; }
cpu() { awk -v u="$1" -v s="$2" 'BEGIN{ printf "%.2f", u + s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }'; }

LOAD_START=$(uptime)
say "load at start: $LOAD_START"

say "building (release)"
(cd "$ROOT" && cargo build --release -q -p palisade)
BIN=$ROOT/target/release/palisade
bench_exe() {
    (cd "$ROOT" && cargo bench -q -p palisade-monitor --bench "$1" --no-run --message-format=json 2>/dev/null) |
        jq -r 'select(.reason == "compiler-artifact" and .executable != null and .target.name == "'"$1"'") | .executable' | tail -n1
}
PIPELINE=$(bench_exe pipeline)
PERSIST=$(bench_exe persist)

# --- the 1 M file ---------------------------------------------------------------------
G1=$WORK/1m
if [ ! -s "$G1/github.ndjson" ]; then
    say "generating about 1 M GitHub events (--scale $SCALE)"
    rm -rf "$G1"
    python3 "$ROOT/bench/monitor-generate.py" --model "$MODEL" --out "$G1" --scale "$SCALE" >/dev/null
fi
FILE=$G1/github.ndjson
GRANTS=$G1/grants.json
N=$(wc -l <"$FILE")
SIZE=$(du -m "$FILE" | cut -f1)
say "$N GitHub events, $SIZE MB: $FILE"
cat "$FILE" >/dev/null # into the page cache for every contender alike

DB=$WORK/bench.db
# The ingest as timed, pinned to one core; alerts are recorded (never delivered).
INGEST=("${PIN[@]}" "$BIN" --format json --db "$DB" monitor --model "$MODEL" --now "$NOW"
    ingest --no-deliver --grants "$GRANTS")

say "jq (one core, best of $REPEAT)"
read -r JQ_WALL JQ_U JQ_S JQ_RSS < <(best jq "${PIN[@]}" jq -c 'select(.action=="git.clone")' "$FILE")
CLONES=$(wc -l <"$WORK/jq.stdout")
rm -f "$WORK/jq.stdout"

say "palisade monitor ingest --no-events (one core, best of $REPEAT)"
read -r NE_WALL NE_U NE_S NE_RSS < <(best noevents "${INGEST[@]}" --no-events --source github "$FILE")
# Alerts as recorded: distinct ids, and the findings folded into them.
ALERTS=$(jq '[.alerts[] | {id, count}] | unique_by(.id) | length' "$WORK/noevents.stdout")
FINDINGS=$(jq '[.alerts[] | {id, count}] | unique_by(.id) | map(.count) | add // 0' "$WORK/noevents.stdout")
BY_DETECTOR=$(jq -r '[.alerts[] | {id, detector, count}] | unique_by(.id) | group_by(.detector)
    | map("\(.[0].detector) \(map(.count) | add)/\(length)") | join(", ")' "$WORK/noevents.stdout")

say "library pipeline: read::Stream + resolve + Detectors::observe (one core)"
PIPELINE_FILE=$FILE PIPELINE_GRANTS=$GRANTS pin "$PIPELINE" >"$WORK/pipeline.out"
cat "$WORK/pipeline.out" >&2
pipe_field() { # pipe_field 'pass name' → "events wall cpu"
    grep -F "pipeline: $1:" "$WORK/pipeline.out" |
        sed -E 's/.*: ([0-9]+) events in ([0-9.]+) s.*; ([0-9.]+) CPU-s.*/\1 \2 \3/'
}
read -r _ PARSE_WALL PARSE_CPU < <(pipe_field "read + parse")
read -r _ PIPE_WALL PIPE_CPU < <(pipe_field "read + parse + resolve + every detector")

say "palisade monitor ingest with the events stored (one core, best of $REPEAT)"
read -r WE_WALL WE_U WE_S WE_RSS < <(best events "${INGEST[@]}" --source github "$FILE")
STORED=$(jq '.events_stored' "$WORK/events.stdout")
STORE_WALL=$(awk -v a="$WE_WALL" -v b="$NE_WALL" 'BEGIN{ printf "%.3f", a - b }')
STORE_CPU=$(awk -v a="$WE_U" -v b="$WE_S" -v c="$NE_U" -v d="$NE_S" 'BEGIN{ printf "%.2f", (a + b) - (c + d) }')

say "cargo bench -p palisade-monitor --bench persist (one core)"
pin "$PERSIST" >"$WORK/persist.out"
cat "$WORK/persist.out" >&2
PERSIST_RATE=$(sed -nE 's/^persist: .* ([0-9]+) events\/s.*/\1/p' "$WORK/persist.out" | head -n1)
PERSIST_CPU_RATE=$(sed -nE 's/^persist: .* ([0-9]+) events per CPU-second.*/\1/p' "$WORK/persist.out" | head -n1)

# --- 10 M events, streamed ------------------------------------------------------------
say "about 10 M GitHub events (--scale $SCALE_10M) streamed through a fifo into the ingest"
G10=$WORK/10m
rm -rf "$G10"
mkdir -p "$G10"
mkfifo "$G10/github.ndjson"
ln -s /dev/null "$G10/auth.log"
OTHER=$(awk -v c="$CPU" -v n="$(nproc)" 'BEGIN{ print (n > 1 ? (c == 0 ? 1 : 0) : c) }')
taskset -c "$OTHER" python3 "$ROOT/bench/monitor-generate.py" --model "$MODEL" --out "$G10" \
    --scale "$SCALE_10M" >"$WORK/gen10.out" 2>&1 &
GEN_PID=$!
rm -f "$DB" "$DB"-*
# The 1 M run's grants.json: the same period and seed plant the same grants.
timed "$WORK/rss10" "${INGEST[@]}" --no-events --source github "$G10/github.ndjson"
wait "$GEN_PID"
GEN_PID=
read -r R10_WALL R10_U R10_S R10_RSS <"$WORK/rss10.time"
N10=$(jq '.sources[0].stats.events' "$WORK/rss10.stdout")
ALERTS10=$(jq '[.alerts[] | {id, count}] | unique_by(.id) | length' "$WORK/rss10.stdout")
FINDINGS10=$(jq '[.alerts[] | {id, count}] | unique_by(.id) | map(.count) | add // 0' "$WORK/rss10.stdout")

LOAD_END=$(uptime)

# --- the table --------------------------------------------------------------------------
NE_CPU=$(cpu "$NE_U" "$NE_S")
JQ_CPU=$(cpu "$JQ_U" "$JQ_S")
WE_CPU=$(cpu "$WE_U" "$WE_S")
JQ_RATE=$(rate "$N" "$JQ_WALL")
NE_RATE=$(rate "$N" "$NE_WALL")
PIPE_RATE=$(rate "$N" "$PIPE_WALL")
PARSE_RATE=$(rate "$N" "$PARSE_WALL")
WE_RATE=$(rate "$N" "$WE_WALL")
STORE_RATE=$(rate "$STORED" "$STORE_WALL")
verdict() { awk -v r="$1" -v t="$2" 'BEGIN{ print (r >= t ? "met" : "MISSED") }'; }

cat <<EOF

Activity monitor performance ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))
load at start: ${LOAD_START#*load average: }; at end: ${LOAD_END#*load average: }
input: $N GitHub audit events ($SIZE MB NDJSON, bench/monitor-generate.py --scale $SCALE over examples/acme)
single-core runs pinned with taskset -c $CPU; best of $REPEAT; rates by wall clock (and per CPU-second)

| what                                              | wall s | CPU s | events/s  | per CPU-s | vs jq | target            |
|---------------------------------------------------|-------:|------:|----------:|----------:|------:|-------------------|
$(printf '| %-49s | %6s | %5s | %9s | %9s | %5s | %-17s |\n' \
    "jq -c 'select(.action==\"git.clone\")'" "$JQ_WALL" "$JQ_CPU" "$JQ_RATE" "$(rate "$N" "$JQ_CPU")" "1.00" "($CLONES clones)" \
    "library: read + parse" "$PARSE_WALL" "$PARSE_CPU" "$PARSE_RATE" "$(rate "$N" "$PARSE_CPU")" "$(ratio "$PARSE_RATE" "$JQ_RATE")" "" \
    "library: parse + resolve + every detector" "$PIPE_WALL" "$PIPE_CPU" "$PIPE_RATE" "$(rate "$N" "$PIPE_CPU")" "$(ratio "$PIPE_RATE" "$JQ_RATE")" "500,000: $(verdict "$PIPE_RATE" 500000)" \
    "ingest --no-events (records the alerts)" "$NE_WALL" "$NE_CPU" "$NE_RATE" "$(rate "$N" "$NE_CPU")" "$(ratio "$NE_RATE" "$JQ_RATE")" "500,000: $(verdict "$NE_RATE" 500000)" \
    "ingest, events stored" "$WE_WALL" "$WE_CPU" "$WE_RATE" "$(rate "$N" "$WE_CPU")" "$(ratio "$WE_RATE" "$JQ_RATE")" "" \
    "store: stored minus --no-events ($STORED events)" "$STORE_WALL" "$STORE_CPU" "$STORE_RATE" "$(rate "$STORED" "$STORE_CPU")" "" "100,000: $(verdict "$STORE_RATE" 100000)" \
    "persist bench (cargo bench --bench persist)" "" "" "$PERSIST_RATE" "$PERSIST_CPU_RATE" "" "100,000: $(verdict "${PERSIST_RATE:-0}" 100000)")

alerts recorded by ingest --no-events over $N events: $ALERTS alerts from $FINDINGS findings
  by detector (findings/alerts): $BY_DETECTOR

| peak RSS (ingest --no-events)   | events     | findings | alerts | max RSS   | wall s |
|---------------------------------|-----------:|---------:|-------:|----------:|-------:|
$(printf '| %-31s | %10s | %8s | %6s | %6s MB | %6s |\n' \
    "1 M (file)" "$N" "$FINDINGS" "$ALERTS" "$((NE_RSS / 1024))" "$NE_WALL" \
    "10 M (fifo from the generator)" "$N10" "$FINDINGS10" "$ALERTS10" "$((R10_RSS / 1024))" "$R10_WALL")
RSS 10 M / 1 M: $(ratio "$R10_RSS" "$NE_RSS") for $(ratio "$N10" "$N") times the events; RSS with the events stored (1 M): $((WE_RSS / 1024)) MB
(the 10 M run's wall time is the generator's pace, not the ingest's)
EOF
