#!/bin/sh
# Export and verify of the evidence pack of a 1,000-file-system run.
#
# Goal (issue 11, point 7): `evidence export` and `evidence verify` of the
# pack of the 1,000-file-system run, each in under 5 s.
#
# The history is the one bench/check_rules.py builds (its generated
# recording of 50 subscriptions x 20 file systems, replayed by `collect`,
# costs imported, one check stored), with DAYS days of hourly metrics
# (default 1: a daily collection's answers). The pack holds the collection
# run and that check. Each step is timed under /usr/bin/time: wall, CPU
# (user + system) and peak RSS; the load average is printed (wall times
# include whatever else the machine runs, CPU times do not).
#
#     sh bench/evidence_pack.sh [DAYS]        (AMLFS_BIN: the binary)
set -eu
DAYS=${1:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${AMLFS_BIN:-$ROOT/build/amlfs-audit}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/amlfs-bench-pack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "building the history (bench/check_rules.py --days $DAYS) ..."
KEEP=1 TMPDIR=$WORK python3 "$ROOT/bench/check_rules.py" --days "$DAYS" \
    --runs 1 --no-per-rule --bin "$BIN" > "$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log"; exit 1; }
DB=$(ls "$WORK"/amlfs-bench-check-*/history.db)
RUN=$(sqlite3 "$DB" "SELECT max(id) FROM runs WHERE source IN ('live', 'replay')")
CHECK=$(sqlite3 "$DB" "SELECT max(id) FROM runs WHERE source = 'check' AND
    json_extract(scope, '$.judged_run') = $RUN")
echo "history: $(du -m "$DB" | cut -f1) MiB; run $RUN: $(sqlite3 "$DB" \
    "SELECT count(*) FROM evidence_log WHERE run_id = $RUN") responses," \
    "$(sqlite3 "$DB" "SELECT count(*) FROM filesystems WHERE run_id = $RUN")" \
    "file systems; check $CHECK: $(sqlite3 "$DB" \
    "SELECT count(*) FROM findings WHERE check_run = $CHECK") findings"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" evidence keygen --out "$WORK/signer" > /dev/null
printf '[evidence]\nsigning_key = %s\n' "$WORK/signer" > "$WORK/sign.conf"

export AMLFS_AUDIT_DATADIR="$ROOT"
step() {    # NAME COMMAND...: one timed step
    name=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > "$WORK/out" 2>&1 ||
        { cat "$WORK/out"; exit 1; }
    read -r wall user sys rss < "$WORK/time"
    printf '| %s | %s s | %.2f s | %d MiB |\n' "$name" "$wall" \
        "$(echo "$user + $sys" | bc)" $((rss / 1024))
}
echo
echo "| step | wall | CPU (user + sys) | peak RSS |"
echo "|---|---|---|---|"
step "export (directory, signed)" "$BIN" --config "$WORK/sign.conf" --db "$DB" \
    evidence export --run "$RUN" --check "$CHECK" --out "$WORK/pack"
step "verify (directory, with the key)" "$BIN" evidence verify "$WORK/pack" \
    --public-key "$WORK/signer.pub"
step "export (.tar.gz, signed)" "$BIN" --config "$WORK/sign.conf" --db "$DB" \
    evidence export --run "$RUN" --check "$CHECK" --out "$WORK/pack.tar.gz"
step "verify (.tar.gz, with the key)" "$BIN" evidence verify \
    "$WORK/pack.tar.gz" --public-key "$WORK/signer.pub"
step "sha256sum -c SHA256SUMS (for comparison)" sh -c \
    "cd '$WORK/pack' && sha256sum -c --quiet SHA256SUMS"
echo
echo "pack: $(find "$WORK/pack" -type f | wc -l) files, $(du -sm "$WORK/pack" |
    cut -f1) MiB; .tar.gz $(du -m "$WORK/pack.tar.gz" | cut -f1) MiB"
