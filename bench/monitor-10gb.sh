#!/usr/bin/env bash
# A 10 GB GitHub audit log, written to disk and streamed through `palisade monitor ingest`,
# with bad records spread through it: shows that the ingest streams (peak memory follows
# the people and resources, not the file) and that bad input is counted, never a stop.
#
# Usage:
#   bench/monitor-10gb.sh
#
# Environment:
#   PALISADE_BIN      the palisade binary; default: built with `cargo build --release -p palisade`
#   MONITOR_10GB_DIR  scratch outside the repository (default: ${TMPDIR:-/tmp}/palisade-monitor-10gb);
#                     needs about 11 GB free; the file is removed at the end unless KEEP=1
#   MONITOR_SCALE     the generator's --scale (default 3700: about 10.3 GB over four weeks)
#
# Prints the file's size and lines, the ingest's counts (events, problems by kind, order),
# its wall time and peak RSS (GNU time).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
model="$repo/examples/acme/palisade.toml"
work="${MONITOR_10GB_DIR:-${TMPDIR:-/tmp}/palisade-monitor-10gb}"
scale="${MONITOR_SCALE:-3700}"

case "$work/" in
    "$repo"/*) echo "monitor-10gb: MONITOR_10GB_DIR must be outside the repository" >&2; exit 2 ;;
esac
command -v /usr/bin/time >/dev/null || { echo "monitor-10gb: needs GNU time (apt-get install time)" >&2; exit 2; }
if [[ -z "${PALISADE_BIN:-}" ]]; then
    (cd "$repo" && cargo build --quiet --release -p palisade)
    PALISADE_BIN="${CARGO_TARGET_DIR:-$repo/target}/release/palisade"
fi
PALISADE_BIN="$(realpath "$PALISADE_BIN")"

rm -rf "$work"
mkdir -p "$work/data"
free_kb=$(df -Pk "$work" | awk 'NR==2 {print $4}')
if (( free_kb < 12 * 1024 * 1024 )); then
    echo "monitor-10gb: $work has $((free_kb / 1024 / 1024)) GB free; 12 GB are needed" >&2
    exit 2
fi
trap '[[ "${KEEP:-0}" == 1 ]] || rm -rf "$work"' EXIT

echo "generating (--scale $scale, four weeks)…" >&2
start=$(date +%s)
# The generator writes into a fifo; a filter copies its records to the file and puts bad
# ones among them, spread through it: a record cut off, one that is not JSON, one with
# invalid UTF-8, one of 3 MiB, and one an hour behind the records around it (a clock set
# back).
mkdir -p "$work/gen"
mkfifo "$work/gen/github.ndjson"
ln -s /dev/null "$work/gen/auth.log"
file="$work/data/github.ndjson"
python3 - "$work/gen/github.ndjson" "$file" <<'PY' &
import json, sys
src, dst = sys.argv[1], sys.argv[2]
bad = [
    b'{"@timestamp": 1791268200000, "action": "git.clo\n',
    b'not json at all\n',
    b'{"@timestamp": 1791268200000, "action": "git.clone", "actor": "\xff\xfe"}\n',
    b'{"@timestamp": 1791268200000, "action": "git.clone", "x": "' + b'a' * (3 << 20) + b'"}\n',
]
every = 5_000_000
with open(src, 'rb', buffering=1 << 20) as f, open(dst, 'wb', buffering=1 << 20) as out:
    for n, line in enumerate(f, 1):
        out.write(line)
        if n % every == 0:
            k = n // every - 1
            if k < len(bad):
                out.write(bad[k])
            elif k == len(bad):
                rec = json.loads(line)
                rec['@timestamp'] -= 3_600_000
                out.write(json.dumps(rec).encode() + b'\n')
PY
filter=$!
python3 "$repo/bench/monitor-generate.py" --model "$model" --out "$work/gen" \
    --scale "$scale" --weeks 4 >/dev/null
wait "$filter"
cp "$work/gen/grants.json" "$work/data/grants.json"
gen_secs=$(( $(date +%s) - start ))
bytes=$(stat -c %s "$file")
lines=$(wc -l <"$file")
echo "file: $bytes bytes ($(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1e9}') GB), $lines lines, generated in ${gen_secs}s" >&2

status=0
/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$PALISADE_BIN" monitor ingest --model "$model" \
    --db "$work/store.db" --grants "$work/data/grants.json" --no-events --no-deliver \
    --source github "$file" --format json >"$work/out.json" || status=$?
if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "monitor-10gb: ingest failed (exit $status)" >&2
    exit 2
fi
read -r wall user sys rss <"$work/time"
python3 - "$work/out.json" "$bytes" "$lines" "$wall" "$user" "$sys" "$rss" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
bytes_, lines, wall, user, sys_, rss = sys.argv[2:]
src = out["sources"][0]
s, o = src["stats"], src["order"]
print(f"input: {int(bytes_)/1e9:.2f} GB, {int(lines):,} lines")
print(f"records {s['records']:,}  events {s['events']:,}  problems {s['problems']}")
print(f"order: {o}")
print(f"alerts: {len(out['alerts'])}")
print(f"wall {wall} s ({int(s['events'])/float(wall):,.0f} events/s, {int(bytes_)/1e6/float(wall):,.0f} MB/s), "
      f"CPU {float(user)+float(sys_):.1f} s, peak RSS {int(rss)//1024} MB")
PY
