#!/bin/sh
# A short, bounded libFuzzer run of every harness on the sanitizer build,
# for the test command (scripts/bootstrap.sh test): each harness first
# replays its seeds and regression inputs, then fuzzes with a fixed seed
# for at most 2,000 executions or 10 seconds, whichever comes first.
# Exits 1 if any harness finds something (bench/fuzz.sh prints where).
set -eu
cd "$(dirname "$0")/.."
FUZZ_RUNS=${FUZZ_RUNS:-2000} FUZZ_SEED=${FUZZ_SEED:-1} \
	exec sh bench/fuzz.sh "${FUZZ_SECONDS:-10}"
