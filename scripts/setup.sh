#!/usr/bin/env bash
# Installs everything facegate needs on Debian 12 (Debian packages, model files
# from npm), then configures and builds. Safe to run again: it skips what is done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pkgs=(build-essential cmake ninja-build pkg-config git ca-certificates
      libopencv-dev libopencv-videoio-dev libonnx-dev libprotobuf-dev protobuf-compiler libsodium-dev libsqlite3-dev sqlite3
      libpq-dev postgresql
      python3 nlohmann-json3-dev libcli11-dev libcpp-httplib-dev openssl libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev
      clang libclang-rt-14-dev llvm  # fuzz/: clang, libFuzzer + sanitizer runtimes, llvm-symbolizer
      chromium  # the browser the tests open pages and site maps in (docs/sites.md); prints reports to PDF
      fonts-wqy-microhei  # a CJK font: the kiosk's Chinese screens in Chromium (docs/ui.md)
      poppler-utils)  # pdftoppm: the report tests turn each PDF into PNG pages (docs/reports.md)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$root/scripts/install-models.sh"
"$root/tools/openapi/setup.sh"  # Redocly CLI for the openapi.lint test (docs/api.md "Lint")
"$root/web/setup.sh"  # the pages' build tools and browser-test libraries (docs/ui.md)

build="${FACEGATE_BUILD:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "setup: built $build/facegate"

# Fuzz targets (fuzz/, docs/fuzzing.md), a separate clang/libFuzzer build that the
# fuzz.* tests run.
cmake -S "$root/fuzz" -B "$build/fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build/fuzz" -j "$(nproc)"
echo "setup: built the fuzz targets in $build/fuzz"

# AddressSanitizer + UndefinedBehaviorSanitizer build (docs/sanitizers.md) of the unit and
# integration tests that the sanitize.* tests run: clang (about half gcc's compile time
# here), -DFACEGATE_SANITIZE=ON (-O1, line tables), only the targets those tests need.
cmake -S "$root" -B "$build/asan" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DFACEGATE_SANITIZE=ON \
      -DFACEGATE_BENCH=OFF -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST >/dev/null
cmake --build "$build/asan" -j "$(nproc)" --target test_common test_gallery test_store test_policy \
      test_service test_server test_integration facegate
echo "setup: built the sanitizer tests in $build/asan"
