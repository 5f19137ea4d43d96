#!/usr/bin/env bash
# Stops the server started by pg-start.sh STATE_DIR and removes its temporary
# directory (data, socket, logs) and the conninfo files.
set -uo pipefail
state=${1:?usage: pg-stop.sh STATE_DIR}
[ -f "$state/dir" ] || { echo "pg-stop: nothing to stop in $state"; exit 0; }
dir=$(cat "$state/dir")
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
rc=0
if [ -f "$dir/data/postmaster.pid" ]; then
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop || rc=1
fi
case "$dir" in
  */fg-pg-*) rm -rf "$dir" ;;  # only ever what pg-start.sh made
esac
rm -f "$state/dir" "$state/conninfo" "$state/conninfo.tcp"
exit $rc
