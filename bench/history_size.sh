#!/bin/sh
# How the history grows: size after 1 and after N replayed collections of
# the bundled samples (an unchanged estate), and the time per collection.
#
#   sh bench/history_size.sh [RUNS]       (default 100; needs ./build)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-100}
bin=./build/amlfs-audit
[ -x "$bin" ] || { echo "build first: sh scripts/bootstrap.sh demo" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/history.db"
export AMLFS_AUDIT_DATADIR="$PWD"

size() {	# database size with its WAL folded in
	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	stat -c %s "$db"
}

"$bin" -q --db "$db" --config samples/amlfs-audit.conf collect --replay samples/replay
one=$(size)
start=$(date +%s%N)
i=1
while [ "$i" -lt "$runs" ]; do
	"$bin" -q --db "$db" --config samples/amlfs-audit.conf collect --replay samples/replay
	i=$((i + 1))
done
end=$(date +%s%N)
many=$(size)
per_run=$(( (many - one) / (runs - 1) ))
ms=$(( (end - start) / 1000000 / (runs - 1) ))
vstart=$(date +%s%N)
"$bin" --db "$db" verify >/dev/null
vend=$(date +%s%N)
echo "history after 1 run:      $one bytes"
echo "history after $runs runs:   $many bytes ($per_run bytes per further run)"
echo "bodies stored:            $(sqlite3 "$db" 'SELECT count(*), sum(size) FROM bodies')  (count|bytes)"
echo "evidence rows:            $(sqlite3 "$db" 'SELECT count(*) FROM evidence')"
echo "collect time per run:     ${ms} ms"
echo "verify of $runs runs:       $(( (vend - vstart) / 1000000 )) ms"
