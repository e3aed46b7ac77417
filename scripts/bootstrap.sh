#!/bin/sh
# Set up a Debian 12 machine for amlfs-audit and run it, in one command.
#
#   sh scripts/bootstrap.sh demo   install what is missing, build, run the demo
#   sh scripts/bootstrap.sh test   install what is missing, build twice (plain,
#                                  and with AddressSanitizer + UBSan), run the
#                                  whole suite on both
#
# Packages come from Debian only; only missing ones are installed (as root,
# or through sudo). Ends with the suite's "N passed, N failed" line.
set -eu

cd "$(dirname "$0")/.."

PACKAGES="gcc pkg-config meson ninja-build python3 python3-openpyxl sqlite3
libcurl4-openssl-dev libjansson-dev libsqlite3-dev libxlsxwriter-dev
libpcre2-dev libcmocka-dev libssl-dev libinih-dev zlib1g-dev libcsv-dev
libarchive-dev openssl"
# What only the suite needs: real readers of the outputs (LibreOffice
# headless, cmark-gfm) and the libFuzzer toolchain for the fuzz smoke runs.
TEST_PACKAGES="libreoffice-calc-nogui cmark-gfm clang-14 libfuzzer-14-dev
libclang-rt-14-dev
strace"

say() { printf 'bootstrap: %s\n' "$*" >&2; }

install_missing() {
	missing=""
	for p in $PACKAGES; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		     grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null
}

build() {	# build DIR [meson options...]
	dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

# meson test, then the counts of its summary ("Ok:", "Fail:", ...).
run_suite() {	# run_suite DIR
	set +e
	meson test -C "$1" --print-errorlogs
	status=$?
	set -e
	log="$1/meson-logs/testlog.json"
	ok=$(grep -c '"result": "OK"' "$log" || true)
	bad=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
	skipped=$(grep -c '"result": "SKIP"' "$log" || true)
	passed=$((passed + ok)); failed=$((failed + bad)); skips=$((skips + skipped))
	[ "$status" -eq 0 ] || suite_failed=1
}

mode=${1:-}
case "$mode" in
demo)
	install_missing
	build build
	exec ./build/amlfs-audit demo --out amlfs-audit-demo
	;;
test)
	PACKAGES="$PACKAGES $TEST_PACKAGES"
	install_missing
	passed=0; failed=0; skips=0; suite_failed=0
	build build
	run_suite build
	# Built with clang-compatible flags that gcc also takes; leaks count.
	# GCC's undefined does not include float-cast-overflow: added, so a
	# double cast to an integer out of range fails the suite too.
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug \
		-Dc_args="-fno-sanitize-recover=all -fsanitize=float-cast-overflow" \
		-Dc_link_args=-fsanitize=float-cast-overflow
	run_suite build-asan
	# Every libFuzzer harness, bounded (clang-14; scripts/fuzz-smoke.sh).
	sh scripts/fuzz-smoke.sh || failed=$((failed + 1))
	if [ "$suite_failed" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1	# meson failed without a test result: say so
	fi
	echo "$passed passed, $failed failed, $skips skipped"
	[ "$failed" -eq 0 ]
	;;
*)
	echo "usage: sh scripts/bootstrap.sh demo|test" >&2
	exit 2
	;;
esac
