#!/usr/bin/env bash
# REST API load benchmark (issue 6 item 8, docs/load.md): starts a private
# `facegate serve` on 127.0.0.1 (free port, temp FACEGATE_HOME, --rate 0), then
# bench/load_client sets up a purpose, notice and N consented+enrolled subjects,
# measures verify req/s and p50/p99 at 1, 8 and 32 concurrent clients, runs an
# enrolment load and checks that every acknowledged enrolment is present and the
# audit chain is intact. Loopback only; the server is stopped on exit.
# Usage: bench/load/run.sh [build-dir]   (env: DURATION=20 CLIENTS=1,8,32 SUBJECTS=16
#        THREADS=8 ENROL_CLIENTS=8 ENROL_PER_CLIENT=6)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-${FACEGATE_BUILD:-$root/build}}" && pwd)
fg="$build/facegate"
client="$build/bench/load_client"
for b in "$fg" "$client"; do
  [ -x "$b" ] || { echo "load: $b is missing; build it: cmake --build $build --target facegate load_client" >&2; exit 2; }
done

home=$(mktemp -d /tmp/facegate-load.XXXXXX)
log="$home/serve.log"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$home"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# A free loopback port: bind port 0 and read what the kernel gave.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export FACEGATE_HOME="$home/data"
mkdir -p "$FACEGATE_HOME"

# An operator key for the load (made before serve; serve then creates the admin key).
op_key=$("$fg" apikey create --role operator | grep -o 'fgk_[A-Za-z0-9_-]*' | head -1)
"$fg" serve --listen "127.0.0.1:$port" --rate 0 --threads "${THREADS:-8}" >"$log" 2>"$home/serve.err" &
pid=$!
for _ in $(seq 1 300); do
  grep -q "facegate serving" "$log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "load: serve exited:" >&2; cat "$log" "$home/serve.err" >&2; exit 2; }
  sleep 0.1
done
grep -q "facegate serving" "$log" || { echo "load: serve did not start within 30 s" >&2; cat "$home/serve.err" >&2; exit 2; }
admin_key=$(grep -o 'fgk_[A-Za-z0-9_-]*' "$log" | head -1)

echo "load: facegate serve on 127.0.0.1:$port (threads ${THREADS:-8}, rate 0); $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
"$client" --url "http://127.0.0.1:$port" --admin-key "$admin_key" --key "$op_key" \
  --subjects "${SUBJECTS:-16}" --duration "${DURATION:-20}" --clients "${CLIENTS:-1,8,32}" \
  --enrol-clients "${ENROL_CLIENTS:-8}" --enrol-per-client "${ENROL_PER_CLIENT:-6}" | tee "$home/client.out"
rc=${PIPESTATUS[0]}
set -e
echo "load: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
n5=$(grep -c ' 5[0-9][0-9] ' "$home/serve.err" || true)
echo "load: server log: $(wc -l <"$home/serve.err") request lines, $n5 with a 5xx status"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

# The reference, measured in the same run once the server is stopped: the engine's own
# detect + descriptor time on the path the server runs (the shipped configuration: RFB-320,
# landmarks, fr_feature) for the same kind of photo (LFW 250x250, in process, one thread of
# work, no HTTP, no store), from bench_engine's shipped_pipeline_ms. The ratio is what REST,
# the Gate, the store and the audit add to a verification.
engine="$build/bench/bench_engine"
facedata="${FACEGATE_FACEDATA:-$root/../shared/facedata}"
if [ -x "$engine" ] && [ -d "$facedata/lfw" ]; then
  mapfile -t photos < <(find "$facedata/lfw" -name '*_0002.jpg' | sort | head -8)
  if "$engine" --reps 5 --warmup 1 --threads 1 "${photos[@]}" >"$home/engine.json" 2>"$home/engine.err"; then
    python3 - "$home/engine.json" "$home/client.out" <<'PY'
import json, re, statistics, sys
eng = json.load(open(sys.argv[1]))
lfw = [i["shipped_pipeline_ms"] for i in eng["images"]
       if not i["image"].startswith("sample") and i.get("shipped_faces") == 1]
line = next((l for l in open(sys.argv[2]) if l.startswith("summary-json: ")), None)
if not lfw or not line:
    print("load: reference not measured (no single-face LFW photo or no client summary)")
    sys.exit(0)
ref = statistics.median(lfw)
v = json.loads(line[len("summary-json: "):])["verify"]
print(f"load: reference: the server's engine path (RFB-320, landmarks, fr_feature) per LFW photo, in process, "
      f"1 thread: {ref:.1f} ms (median of {len(lfw)} photos)")
for c, x in sorted(v.items(), key=lambda kv: int(kv[0])):
    print(f"load: verify over REST, {c} client(s): p50 {x['p50_ms']:.0f} ms = {x['p50_ms'] / ref:.2f}x the engine; "
          f"{x['req_per_s']:.2f} req/s = {x['req_per_s'] * ref / 1000:.2f}x one engine thread's rate")
PY
  else
    echo "load: reference not measured: $(tail -1 "$home/engine.err")"
  fi
else
  echo "load: reference not measured (build bench_engine; facedata at $facedata)"
fi
exit $rc
