#!/usr/bin/env bash
# Frame throughput of one automatic device at 640x480 (REQ D1, D2): the engine's own per-frame
# cost (Detect + Extract of every face, every frame) against the device path (DetectInArea over
# the middle 60% of the frame + FaceTracker + Landmark and Extract for new tracks only), on the
# clips of facedata/video and a synthetic two-person scene, on ONE OpenCV thread and then on the
# default threads, in the same run. Prints a table (docs/bench.md, "Device frames").
# Usage: bench/device.sh [--max-frames N] [--warmup N] [--json OUT.json]
#   --max-frames N  at most N frames of each clip (0, the default: every frame)
#   --json FILE     also keep bench_device_frames' JSON report there
# Env: FACEGATE_BUILD (default build/) is configured and bench_device_frames built there if
#   needed; FACEGATE_BUILD_LOCK, when set, is a lock file the build step holds (flock), for a build
#   tree shared with others.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${FACEGATE_BUILD:-$root/build}"
args=() json_out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --max-frames|--warmup) args+=("$1" "$2"); shift 2 ;;
    --json) json_out=$2; shift 2 ;;
    *) echo "bench: unknown option $1 (usage: bench/device.sh [--max-frames N] [--warmup N]" \
            "[--json OUT.json])" >&2
       exit 2 ;;
  esac
done

lock=()
[ -n "${FACEGATE_BUILD_LOCK:-}" ] && lock=(flock "$FACEGATE_BUILD_LOCK")
[ -f "$build/build.ninja" ] || "${lock[@]}" cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DFACEGATE_BENCH=ON >/dev/null
"${lock[@]}" cmake --build "$build" --target bench_device_frames >&2

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/bench/bench_device_frames" "${args[@]}" >"$out"
[ -n "$json_out" ] && cp "$out" "$json_out"

python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = d["backend"]
print(f"frames {d['frame']['width']}x{d['frame']['height']}; area {d['area']}; tracker min IoU "
      f"{d['tracker']['min_iou']:.2f}, gap {d['tracker']['max_gap_ms']} ms; OpenCV {b['opencv']}, "
      f"{b['hardware_concurrency']} cores; load average {d['load_average']['before']} -> "
      f"{d['load_average']['after']}")
print(f"model {d['model_version']}")
head = (f"{'threads':>7} {'clip':<24} {'frames':>6} {'path':<9} {'fps':>6} {'fps/core':>8} {'f/cpu-s':>7} "
        f"{'det ms':>7} {'face ms':>7} {'faces':>6} {'extr':>5} {'tracks':>6} {'dropped':>7} {'dev/ref':>7}")
print(head)
for run in d["runs"]:
    rows = run["clips"] + [dict(run["all"], name="all")]
    for c in rows:
        for path in ("reference", "device"):
            p = c[path]
            ratio = f"{c['ratio_device_over_reference']:.2f}x" if path == "device" else ""
            tracks = str(p["tracks_started"]) if path == "device" else "-"
            dropped = str(p["faces_dropped_outside_area"]) if path == "device" else "-"
            print(f"{run['threads']:>7} {c['name'].removeprefix('video/'):<24} {c['frames']:>6} {path:<9} "
                  f"{p['fps']:>6.2f} {p['fps_per_core']:>8.2f} {p['frames_per_cpu_second']:>7.2f} "
                  f"{p['detect_ms_per_frame']:>7.1f} {p['face_ms_per_frame']:>7.1f} {p['faces_detected']:>6} "
                  f"{p['faces_extracted']:>5} {tracks:>6} {dropped:>7} {ratio:>7}")
print("fps/core: frames per second / OpenCV threads; f/cpu-s: frames per CPU second of the process; "
      "det ms, face ms: per frame in detection and in landmarks+align+embed; faces: returned by "
      "Detect (reference) or DetectInArea (device); extr: templates made; dev/ref: fps ratio")
PY
