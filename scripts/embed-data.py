#!/usr/bin/env python3
"""Turns the committed data files (data/, described in data/README.md) into C++ definitions.

Run by CMake at build time (add_custom_command in CMakeLists.txt); the .cpp goes into the
build tree, never into src/:
  scripts/embed-data.py projection  --data data --out BUILD/generated/vision/projection_data.cpp
  scripts/embed-data.py calibration --data data --out BUILD/generated/service/calibration_data.cpp
Before anything is written, every input file's sha256 must equal the one data/README.md
records for it: a corrupted or unrecorded data file stops the build with its name.
  scripts/embed-data.py sums --data data
prints the README table's sha256 column for the files as they are now (after a tool's
--emit has written new data, to record it on purpose).

Floats are stored as raw little-endian IEEE-754 float32 and printed as '%.9g' + 'f', which a
C++ compiler parses back to the very same float32 (9 significant digits round-trip every
float32). The output is only rewritten when its text changes, so a README edit does not
recompile anything.
"""
import argparse
import hashlib
import json
import math
import os
import re
import struct
import sys

FEATURE_DIM = 512  # nn::kFeatureDim (src/nn/nets.h)
TEMPLATE_DIM = 128  # kTemplateDim (include/facegate/template.h)

# The files each generated source is made of (data/README.md describes them).
INPUTS = {
    "projection": ["projection.json", "projection_mean.f32", "projection_axes.f32"],
    "calibration": [
        "calibration.json",
        "calibration_impostor_lowest.f32",
        "calibration_impostor_rank_values.f32",
        "calibration_genuine_percentiles.f32",
    ],
}
# A README table row: | `file` | ... | `sha256` |
ROW_RE = re.compile(r"^\|\s*`([^`]+)`\s*\|.*\|\s*`([0-9a-f]{64})`\s*\|\s*$")


class DataError(Exception):
    pass


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def recorded_sums(data):
    readme = os.path.join(data, "README.md")
    try:
        with open(readme, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise DataError(f"{readme}: cannot read the recorded sha256 values: {e.strerror}")
    sums = {}
    for line in lines:
        m = ROW_RE.match(line)
        if m:
            sums[m.group(1)] = m.group(2)
    return sums


def check_sums(data, names):
    sums = recorded_sums(data)
    readme = os.path.join(data, "README.md")
    for name in names:
        path = os.path.join(data, name)
        if name not in sums:
            raise DataError(f"{path}: no sha256 recorded for it in {readme}")
        if not os.path.isfile(path):
            raise DataError(f"{path}: missing")
        actual = sha256(path)
        if actual != sums[name]:
            raise DataError(
                f"{path}: sha256 {actual} differs from the {sums[name]} recorded in {readme}: "
                f"the file is corrupted, or was rewritten (bench --emit) without recording its new "
                f"sha256 (scripts/embed-data.py sums --data {data})")


def read_json(data, name):
    path = os.path.join(data, name)
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: not JSON: {e}")


def read_f32(data, name, count):
    path = os.path.join(data, name)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) != 4 * count:
        raise DataError(f"{path}: {len(raw)} bytes, expected {4 * count} ({count} float32)")
    values = list(struct.unpack(f"<{count}f", raw))
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise DataError(f"{path}: value {i} is not finite ({v})")
    return values


def integer(meta, key, source):
    v = meta.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise DataError(f"{source}: \"{key}\" must be a non-negative integer")
    return v


def fmt_float(v):
    """A C++ float literal that parses back to exactly the float32 v."""
    s = "%.9g" % v
    if not any(c in s for c in ".e"):
        s += ".0"  # "1f" is no literal
    if struct.pack("<f", float(s)) != struct.pack("<f", v):  # cannot happen: 9 digits round-trip
        raise DataError(f"float {v!r} does not round-trip through {s}")
    return s + "f"


def fmt_array(values, fmt, per_line, indent="    "):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append(indent + " ".join(fmt(v) + "," for v in values[i:i + per_line]))
    return "\n".join(lines)


def cpp_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header(kind, data, tool):
    return (f"// GENERATED at build time by scripts/embed-data.py (do not edit) from data/{kind}.json\n"
            f"// and data/{kind}_*.f32"
            f" (written by {tool}; sha256 checked against data/README.md).\n")


def projection(data):
    src = os.path.join(data, "projection.json")
    meta = read_json(data, "projection.json")
    if integer(meta, "feature_dim", src) != FEATURE_DIM or integer(meta, "template_dim", src) != TEMPLATE_DIM:
        raise DataError(f"{src}: dimensions {meta.get('feature_dim')}x{meta.get('template_dim')}, "
                        f"the code expects {FEATURE_DIM}x{TEMPLATE_DIM}")
    source = meta.get("source")
    if not isinstance(source, str) or not source:
        raise DataError(f"{src}: \"source\" must be a non-empty string")
    mean = read_f32(data, "projection_mean.f32", FEATURE_DIM)
    axes = read_f32(data, "projection_axes.f32", TEMPLATE_DIM * FEATURE_DIM)
    out = [header("projection", data, "bench/fit_projection --emit data")]
    out.append(f"// Mean and first {TEMPLATE_DIM} principal axes of the feature net's L2-normalised output\n"
               f"// ({meta.get('model', '?')}),\n"
               f"// fitted on ../shared/facedata/utkface ({meta.get('faces', '?')} crops with a face)."
               f" Variance kept: {meta.get('variance_kept', '?')}.\n"
               "// Derived statistics only: no vector of any one face.\n")
    out.append('#include "vision/projection.h"\n\nnamespace facegate::vision::projection_data {\n\n')
    out.append(f"const char kSource[] = {cpp_string(source)};\n\n")
    out.append("const float kMean[nn::kFeatureDim] = {\n" + fmt_array(mean, fmt_float, 8) + "\n};\n\n")
    out.append("const float kAxes[kTemplateDim][nn::kFeatureDim] = {\n")
    for k in range(TEMPLATE_DIM):
        row = axes[k * FEATURE_DIM:(k + 1) * FEATURE_DIM]
        out.append("  {\n" + fmt_array(row, fmt_float, 8) + "\n  },\n")
    out.append("};\n\n}  // namespace facegate::vision::projection_data\n")
    return "".join(out)


def calibration(data):
    src = os.path.join(data, "calibration.json")
    meta = read_json(data, "calibration.json")
    impostors = integer(meta, "impostor_count", src)
    genuine = integer(meta, "genuine_count", src)
    lowest_count = integer(meta, "impostor_lowest_count", src)
    ranks = meta.get("impostor_ranks")
    if not isinstance(ranks, list) or not ranks or not all(
            isinstance(r, int) and not isinstance(r, bool) and 0 <= r < 2**64 for r in ranks):
        raise DataError(f"{src}: \"impostor_ranks\" must be a non-empty list of non-negative integers")
    if any(a >= b for a, b in zip(ranks, ranks[1:])):
        raise DataError(f"{src}: \"impostor_ranks\" must be strictly ascending")
    lowest = read_f32(data, "calibration_impostor_lowest.f32", lowest_count)
    rank_values = read_f32(data, "calibration_impostor_rank_values.f32", len(ranks))
    percentiles = read_f32(data, "calibration_genuine_percentiles.f32", 101)
    out = [header("calibration", data, "bench/ident_calibrate --emit data")]
    out.append(f"// From ../shared/facedata ({meta.get('photos', '?')} LFW photos).\n"
               "// Derived statistics only, no template: distances between a photo and a person's\n"
               "// mean template (first half of their photos): the lowest impostor (different-\n"
               "// person) distances, sparse ranks of the rest, and genuine (same-person) percentiles.\n"
               f"// Model: the engine's default recognizer ({meta.get('model', '?')}).\n")
    out.append('#include "service/calibration.h"\n\nnamespace facegate::service::calibration_data {\n\n')
    out.append(f"const uint64_t kImpostorCount = {impostors};\n")
    out.append(f"const uint64_t kGenuineCount = {genuine};\n")
    out.append(f"const size_t kImpostorLowestCount = {lowest_count};\n")
    out.append("const float kImpostorLowest[] = {\n" + fmt_array(lowest, fmt_float, 10) + "\n};\n")
    out.append(f"const size_t kImpostorRankCount = {len(ranks)};\n")
    out.append("const uint64_t kImpostorRanks[] = {\n" + fmt_array(ranks, str, 10) + "\n};\n")
    out.append("const float kImpostorRankValues[] = {\n" + fmt_array(rank_values, fmt_float, 10) + "\n};\n")
    out.append("// Genuine distance percentiles 0, 1, ..., 100 (0: smallest, 100: largest).\n")
    out.append("const float kGenuinePercentiles[101] = {\n" + fmt_array(percentiles, fmt_float, 10) + "\n};\n")
    out.append("\n}  // namespace facegate::service::calibration_data\n")
    return "".join(out)


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=["projection", "calibration", "sums"])
    ap.add_argument("--data", required=True, help="the data/ directory")
    ap.add_argument("--out", help="the .cpp to write (projection, calibration)")
    args = ap.parse_args()
    try:
        if args.kind == "sums":
            for kind in INPUTS:
                for name in INPUTS[kind]:
                    path = os.path.join(args.data, name)
                    print(f"| `{name}` | {os.path.getsize(path)} | `{sha256(path)}` |")
            return 0
        if not args.out:
            ap.error("--out is required")
        check_sums(args.data, INPUTS[args.kind])
        text = projection(args.data) if args.kind == "projection" else calibration(args.data)
        write_if_changed(args.out, text)
        return 0
    except (DataError, OSError) as e:
        print(f"embed-data.py: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
