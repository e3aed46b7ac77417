#!/bin/sh
# How long verify takes over a history a year old: RUNS collections of the
# bundled samples (replayed) and MONTHS monthly FOCUS exports of SIZE_MB
# each (bench/gen_focus.py, 1 % AMLFS), every one a link of the chain whose
# cost rows verify derives again from the kept lines.
#
#   sh bench/verify_time.sh [RUNS] [MONTHS] [SIZE_MB]   (default 100 12 64;
#                                                     needs ./build)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-100}
months=${2:-12}
size=${3:-64}
bin=${AMLFS_AUDIT_BIN:-./build/amlfs-audit}
[ -x "$bin" ] || { echo "build first: sh scripts/bootstrap.sh demo" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/history.db"
export AMLFS_AUDIT_DATADIR="$PWD"
conf=samples/amlfs-audit.conf

i=0
while [ "$i" -lt "$runs" ]; do
	"$bin" -q --db "$db" --config "$conf" collect --replay samples/replay
	i=$((i + 1))
done
m=1
while [ "$m" -le "$months" ]; do
	month=$(printf '2025-%02d' "$m")
	/usr/bin/python3 bench/gen_focus.py --size-mb "$size" --month "$month" \
		--seed "$m" --out "$tmp/focus-$month.csv" >/dev/null
	"$bin" -q --db "$db" --config "$conf" import-costs "$tmp/focus-$month.csv" >/dev/null
	rm -f "$tmp/focus-$month.csv"
	m=$((m + 1))
done
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
echo "history: $runs collections, $months monthly exports of $size MiB"
echo "  size:       $(stat -c %s "$db") bytes"
echo "  runs:       $(sqlite3 "$db" 'SELECT count(*) FROM runs')"
echo "  cost rows:  $(sqlite3 "$db" 'SELECT count(*) FROM cost_rows')"
echo "  kept lines: $(sqlite3 "$db" "SELECT sum(b.size) FROM evidence e JOIN bodies b ON b.id = e.body JOIN requests q ON q.id = e.request WHERE q.kind = 'cost_export'") bytes"
start=$(date +%s%N)
/usr/bin/time -f '%M' -o "$tmp/rss" "$bin" --db "$db" verify
end=$(date +%s%N)
echo "verify: $(( (end - start) / 1000000 )) ms, peak RSS $(( $(cat "$tmp/rss") / 1024 )) MiB"
