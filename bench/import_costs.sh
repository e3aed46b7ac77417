#!/bin/sh
# Importing a large FOCUS 1.0 cost export: amlfs-audit import-costs against
# a plain sqlite3 .import of the same file.
#
#   sh bench/import_costs.sh [SIZE_MB]        (default 1024; needs ./build)
#
# Generates SIZE_MB MiB with bench/gen_focus.py (default seed, 1 % AMLFS
# rows) into a temporary directory, or uses the file named by $BENCH_FOCUS.
# The file is read once before the runs, so both see a warm page cache.
# Then, each under /usr/bin/time (wall seconds, peak RSS):
#   a. sqlite3 -csv DB '.import --csv FILE focus'   (fresh database, the
#      plain baseline: every row and column stored as text)
#   b. build/amlfs-audit --db TMP/history.db import-costs FILE
#      (skipped if the binary has no such command yet; $AMLFS_AUDIT_BIN
#      names another binary)
# and prints size, MB/s (10^6 bytes/s) and peak RSS of both.
# Goal: amlfs-audit >= 150 MB/s, peak RSS < 100 MiB, faster than sqlite3.
# The temporary directory is removed unless KEEP=1.
set -eu
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
bin=${AMLFS_AUDIT_BIN:-./build/amlfs-audit}
py=/usr/bin/python3
timecmd=/usr/bin/time
export AMLFS_AUDIT_DATADIR="$PWD"

for t in "$py" "$timecmd"; do
	[ -x "$t" ] || { echo "import_costs.sh: $t is needed" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "import_costs.sh: sqlite3 is needed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/amlfs-bench.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	trap 'echo "kept $tmp"' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 130' INT TERM

# field NAME FILE: the value of a 'NAME: value' line
field() { sed -n "s/^$1: //p" "$2"; }
# timed NAME CMD...: run CMD under time; keeps $tmp/NAME.{time,out,err}, returns its status
timed() {
	name=$1; shift
	set +e
	"$timecmd" -f '%e %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	set -e
	return $rc
}
# secs/kib NAME: from the last line of the time output
secs() { tail -n 1 "$tmp/$1.time" | cut -d' ' -f1; }
kib() { tail -n 1 "$tmp/$1.time" | cut -d' ' -f2; }

if [ -n "${BENCH_FOCUS:-}" ]; then
	file=$BENCH_FOCUS
	[ -r "$file" ] || { echo "import_costs.sh: cannot read $file" >&2; exit 2; }
	echo "using $file"
	gen=""
else
	file=$tmp/focus.csv
	echo "generating $size_mb MiB FOCUS export in $tmp ..."
	timed gen "$py" bench/gen_focus.py --size-mb "$size_mb" --out "$file" || {
		cat "$tmp/gen.err" >&2; exit 3; }
	gen=$tmp/gen.out
	echo "generated in $(secs gen) s: $(field rows "$gen") rows," \
	     "$(field amlfs_rows "$gen") AMLFS rows," \
	     "AMLFS BilledCost sum $(field amlfs_billed_cost "$gen")"
fi
bytes=$(stat -L -c %s "$file")
cat "$file" >/dev/null		# warm the page cache for both runs

# a. sqlite3 baseline
echo "a. sqlite3 .import ..."
if ! timed sqlite sqlite3 -csv "$tmp/baseline.db" ".import --csv '$file' focus"; then
	echo "sqlite3 .import failed:" >&2; cat "$tmp/sqlite.err" >&2; exit 3
fi
sqlite_rows=$(sqlite3 "$tmp/baseline.db" 'SELECT count(*) FROM focus')
rm -f "$tmp/baseline.db"

# b. amlfs-audit import-costs
echo "b. amlfs-audit import-costs ..."
audit=skip
if [ ! -x "$bin" ]; then
	echo "   $bin not built (sh scripts/bootstrap.sh demo); skipped"
elif timed audit "$bin" --db "$tmp/history.db" import-costs "$file"; then
	audit=ok
elif grep -q "not a command" "$tmp/audit.err"; then
	echo "   $bin has no import-costs command yet; skipped"
else
	audit=failed
	echo "   amlfs-audit import-costs failed (exit $rc):"
	sed 's/^/   | /' "$tmp/audit.err"
fi

echo
awk -v bytes="$bytes" 'BEGIN { printf "file: %d bytes (%.1f MiB, %.1f MB)\n", bytes, bytes / 1048576, bytes / 1e6 }'
[ -n "$gen" ] && echo "rows: $(field rows "$gen"), AMLFS rows $(field amlfs_rows "$gen")," \
	"AMLFS BilledCost $(field amlfs_billed_cost "$gen")," \
	"EffectiveCost $(field amlfs_effective_cost "$gen") (generator)"
echo "sqlite3 imported $sqlite_rows rows"
if [ "$audit" = ok ]; then
	echo "amlfs-audit said:"
	sed 's/^/   | /' "$tmp/audit.out"
	[ -s "$tmp/audit.err" ] && sed 's/^/   ! /' "$tmp/audit.err"
	# what the history holds against what the generator wrote (schema of
	# src/store/migrations/0002_costs.sql; skipped if that changes)
	if [ -n "$gen" ] && kept=$(sqlite3 -separator ' ' "$tmp/history.db" \
		"SELECT count(*), printf('%.6f', coalesce(sum(cost_micros), 0) / 1000000.0) FROM cost_rows
		 WHERE cost_type = 'ActualCost'" 2>/dev/null); then
		awk -v h="$kept" -v n="$(field amlfs_rows "$gen")" \
		    -v c="$(field amlfs_billed_cost "$gen")" 'BEGIN {
			split(h, a, " ")
			d = a[2] - c; if (d < 0) d = -d
			m = (a[1] == n && d <= 1e-6 * (c < 0 ? -c : c) + 1e-6)
			printf "history: %d ActualCost rows, sum %s; generator: %d AMLFS rows, BilledCost %s: %s\n",
			    a[1], a[2], n, c, m ? "match" : "MISMATCH" }'
	fi
fi
echo
row() {	# row LABEL SECS KIB
	awk -v l="$1" -v s="$2" -v k="$3" -v b="$bytes" 'BEGIN {
		if (s < 0.005) s = 0.005
		printf "%-28s %9.2f %9.1f %12.1f\n", l, s, b / 1e6 / s, k / 1024 }'
}
printf '%-28s %9s %9s %12s\n' "" "wall s" "MB/s" "peak RSS MiB"
row "sqlite3 .import (baseline)" "$(secs sqlite)" "$(kib sqlite)"
case $audit in
ok)	row "amlfs-audit import-costs" "$(secs audit)" "$(kib audit)" ;;
*)	printf '%-28s %9s\n' "amlfs-audit import-costs" "$( [ "$audit" = skip ] && echo skipped || echo "$audit")" ;;
esac
echo
echo "goal: amlfs-audit >= 150 MB/s, peak RSS < 100 MiB, faster than sqlite3 .import"
case $audit in
skip)	echo "result: not measured"; exit 0 ;;
failed)	echo "result: import failed"; exit 3 ;;
esac
awk -v b="$bytes" -v s="$(secs audit)" -v k="$(kib audit)" -v q="$(secs sqlite)" 'BEGIN {
	if (s < 0.005) s = 0.005
	ok = 1
	v = b / 1e6 / s
	if (v >= 150) printf "  speed     %.1f MB/s: met\n", v
	else { printf "  speed     %.1f MB/s: NOT met\n", v; ok = 0 }
	if (k < 100 * 1024) printf "  peak RSS  %.1f MiB: met\n", k / 1024
	else { printf "  peak RSS  %.1f MiB: NOT met\n", k / 1024; ok = 0 }
	if (s < q) printf "  vs sqlite3 %.1fx faster: met\n", q / s
	else { printf "  vs sqlite3 %.2fx as fast: NOT met\n", q / s; ok = 0 }
	print (ok ? "result: goal met" : "result: goal NOT met")
}'
