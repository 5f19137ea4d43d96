#!/usr/bin/env bash
# Runs one test binary of the AddressSanitizer + UndefinedBehaviorSanitizer tree
# (<build>/asan, built by scripts/setup.sh; docs/sanitizers.md) for a `sanitize.*`
# CTest test.
#
#   tests/sanitizers/run.sh BINARY [gtest flags, e.g. --gtest_filter=...]
#
# Every process the test starts (the test binary and the instrumented `facegate` CLI
# that the integration tests run) writes its sanitizer reports to files in
# <binary dir>/sanitizer-logs/<name>/, so a report from a child process whose output
# the test does not show still fails the test: this script prints every report and
# exits non-zero if there is one, or if the tests failed, or if none ran.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 1 ]; then
  echo "usage: $0 BINARY [gtest flags]" >&2
  exit 2
fi
bin=$1
shift
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
if [ ! -x "$bin" ]; then
  echo "sanitize: $bin is not built; run scripts/setup.sh (it builds the AddressSanitizer +" \
       "UndefinedBehaviorSanitizer tree into <build>/asan)" >&2
  exit 1
fi

# One log directory per CTest test (its name in SANITIZE_NAME, else the binary's).
name=${SANITIZE_NAME:-$(basename "$bin")}
logs="$(cd "$(dirname "$bin")" && pwd)/sanitizer-logs/$name"
rm -rf "$logs"
mkdir -p "$logs"

symbolizer=$(command -v llvm-symbolizer || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | head -n 1)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
# Stop at the first error; leak check at exit; reports to $logs/<tool>.<pid>.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:check_initialization_order=1:log_path=$logs/asan:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=1:${LSAN_OPTIONS:-}"

cd "$(dirname "$bin")" || exit 1
out="$logs/gtest.out"
start=$(date +%s)
"$bin" "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - start ))

reports=$(find "$logs" -type f \( -name 'asan.*' -o -name 'ubsan.*' \) -size +0 | sort)
if [ -n "$reports" ]; then
  for r in $reports; do
    echo "sanitize: ==== report $r"
    cat "$r"
  done
  echo "sanitize: $name FAILED: sanitizer reports above (from $(echo "$reports" | wc -l) process(es))"
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "sanitize: $name FAILED: $bin exited with $rc after ${elapsed}s"
  exit "$rc"
fi
if ! grep -Eq '^\[  PASSED  \] [1-9]' "$out"; then
  echo "sanitize: $name FAILED: no test ran (check the --gtest_filter)"
  exit 1
fi
echo "sanitize: $name passed in ${elapsed}s, no sanitizer report"
