#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on a copy of its seed corpus.
#
#   fuzz/run.sh TARGET SECONDS [more libFuzzer flags]
#
# TARGET is the path of a built target (e.g. build/fuzz/fuzz_json_body) or its name
# (then it is looked up in ${FACEGATE_BUILD:-build}/fuzz). The seeds of
# fuzz/corpus/<name>/ are copied to <target dir>/work/<name>/corpus, which the run
# grows; crash inputs go to <target dir>/work/<name>/artifacts/, the full log to
# <target dir>/work/<name>/fuzz.log. The repository is not written to.
#
# Prints the executions run and the corpus reached; exits with libFuzzer's exit
# code (0: no finding in the time given; non-zero: a crash, sanitizer report,
# property violation, timeout (> 10 s for one input) or out-of-memory (> 2048 MB)),
# naming the input that caused it and the command that reproduces it.
set -uo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")

if [ $# -lt 2 ]; then
  echo "usage: $0 TARGET SECONDS [libFuzzer flags]" >&2
  exit 2
fi
target=$1
seconds=$2
shift 2
case "$target" in
  */*) bin=$target ;;
  *) bin="${FACEGATE_BUILD:-$root/build}/fuzz/$target" ;;
esac
name=$(basename "$bin")
if [ ! -x "$bin" ]; then
  echo "fuzz: $bin is not built; run scripts/setup.sh (it builds the fuzz targets with clang into <build>/fuzz)" >&2
  exit 1
fi
seeds="$fuzz_dir/corpus/$name"
if [ ! -d "$seeds" ]; then
  echo "fuzz: no seed corpus $seeds" >&2
  exit 1
fi
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

work="$(cd "$(dirname "$bin")" && pwd)/work/$name"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
log="$work/fuzz.log"

# Per target: dictionary and input size.
flags=()
case "$name" in
  fuzz_image_header|fuzz_decode) flags+=(-dict="$fuzz_dir/dict/image.dict") ;;
  fuzz_json_body) flags+=(-dict="$fuzz_dir/dict/json.dict") ;;
  # Longer than cpp-httplib's 8192-byte header limit, so that check is reached.
  fuzz_multipart) flags+=(-dict="$fuzz_dir/dict/multipart.dict" -max_len=20000) ;;
esac

symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | head -n 1)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
export UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}"

echo "fuzz: $name for ${seconds}s on a copy of fuzz/corpus/$name ($(ls "$seeds" | wc -l) seeds); log $log"
start=$(date +%s)
"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "${flags[@]}" "$@" "$work/corpus" >"$log" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
execs=$(stat number_of_executed_units)
rate=$(stat average_exec_per_sec)
new_units=$(stat new_units_added)
rss=$(stat peak_rss_mb)
files=$(ls "$work/corpus" | wc -l)
bytes=$(du -sb "$work/corpus" | cut -f1)
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$done_line" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')

echo "fuzz: $name: ${elapsed}s, ${execs:-?} executions (${rate:-?}/s), corpus ${corp:-?} (units/size;" \
     "$files files, $bytes bytes in $work/corpus, ${new_units:-?} units added)," \
     "coverage ${cov:-?} edges / ${ft:-?} features, peak RSS ${rss:-?} MB, exit $rc"
if [ "$rc" -ne 0 ]; then
  echo "fuzz: $name FAILED (libFuzzer exit $rc); the end of $log:"
  tail -n 80 "$log"
  crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  if [ -n "$crash" ]; then
    echo "fuzz: crash input: $crash"
    echo "fuzz: reproduce with: $bin $crash"
  fi
fi
exit "$rc"
