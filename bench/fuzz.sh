#!/bin/sh
# Run each libFuzzer harness of tests/fuzz for SECONDS (default 60).
#
#   sh bench/fuzz.sh [SECONDS] [HARNESS...]     (default: all six)
#
# Builds ./build-fuzz (clang-14, -Dfuzz=true, AddressSanitizer + UBSan,
# -fno-sanitize-recover=all) when it is not there, then runs the harnesses
# one after another, one process each (no -jobs/-workers: the machine is
# shared). Each starts from its checked-in seeds (tests/fuzz/corpus/NAME,
# read only) and its regression inputs (tests/fuzz/regressions/NAME),
# keeps what it learns in build-fuzz/corpus/NAME, and writes a crash, leak
# or timeout to build-fuzz/artifacts/NAME-*. Prints per harness the
# executions, executions per second (libFuzzer's, wall clock) and the
# verdict; exits 1 if any harness found something.
#
# FUZZ_TIMEOUT=S raises the 20 s a single input may take (a loaded
# machine starves a niced fuzzer past it: a false timeout).
# FUZZ_RUNS=N stops each harness after N executions as well (whichever
# comes first), FUZZ_SEED=N fixes libFuzzer's seed: scripts/fuzz-smoke.sh
# uses both. CC_FUZZ names another clang (default clang-14), FUZZ_BUILD
# another build directory.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
harnesses=${*:-costs project config policy url mustache}
dir=${FUZZ_BUILD:-build-fuzz}
cc=${CC_FUZZ:-clang-14}

command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc is needed (apt-get install clang-14 libfuzzer-14-dev libclang-rt-14-dev)" >&2; exit 2; }
if [ ! -f "$dir/build.ninja" ]; then
	CC=$cc meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null
fi
targets=""
for h in $harnesses; do
	[ -f "tests/fuzz/fuzz_$h.c" ] || { echo "fuzz.sh: no harness '$h'" >&2; exit 2; }
	targets="$targets tests/fuzz/fuzz_$h"
done
# shellcheck disable=SC2086
ninja -C "$dir" $targets >/dev/null

# Longest input per harness: past any real record (an export row or a
# list item is 1-3 KiB), short of slow (inputs twice as long halve the
# executions; the limits that matter, record bytes and lines, are tested
# at their real size by the suite, not reached by a fuzzer).
max_len() {
	case "$1" in
	url) echo 4096 ;;
	*) echo 8192 ;;
	esac
}

found=0
mkdir -p "$dir/artifacts"
printf '%-9s %12s %9s  %s\n' harness executions exec/s verdict
for h in $harnesses; do
	mkdir -p "$dir/corpus/$h"
	log="$dir/fuzz-$h.log"
	set -- "$dir/corpus/$h" "tests/fuzz/corpus/$h"
	[ -d "tests/fuzz/regressions/$h" ] && set -- "$@" "tests/fuzz/regressions/$h"
	[ -n "${FUZZ_RUNS:-}" ] && set -- "-runs=$FUZZ_RUNS" "$@"
	[ -n "${FUZZ_SEED:-}" ] && set -- "-seed=$FUZZ_SEED" "$@"
	status=0
	"$dir/tests/fuzz/fuzz_$h" -max_total_time="$seconds" \
		-max_len="$(max_len "$h")" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-20}" \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/$h-" \
		"$@" >"$log" 2>&1 || status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ "$status" -eq 0 ]; then
		verdict=ok
	else
		found=1
		verdict="FOUND: $(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1) (log: $log)"
	fi
	printf '%-9s %12s %9s  %s\n' "$h" "${runs:-?}" "${rate:-?}" "$verdict"
done
exit "$found"
