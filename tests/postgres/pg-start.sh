#!/usr/bin/env bash
# Starts a private PostgreSQL server for the tests (CTest fixture "postgres").
#   pg-start.sh STATE_DIR
# Makes a temporary directory owned by the server's user, runs initdb there
# (trust auth, local connections only), starts the server listening on a unix
# socket in that directory and on 127.0.0.1 at a free port, and writes
#   STATE_DIR/conninfo      libpq conninfo over the unix socket (one line)
#   STATE_DIR/conninfo.tcp  the same server over TCP 127.0.0.1
#   STATE_DIR/dir           the temporary directory (read by pg-stop.sh)
# PostgreSQL refuses to run as root; as root the server runs as the `postgres`
# system user (made by Debian's postgresql package). Set PG_BIN to choose the
# server binaries (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail
state=${1:?usage: pg-start.sh STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$state"

# A server left behind by an interrupted run is stopped first.
if [ -f "$state/dir" ]; then "$here/pg-stop.sh" "$state" || true; fi

if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "pg-start: no PostgreSQL server binaries (initdb) found: run scripts/setup.sh" \
       "(installs Debian's postgresql) or set PG_BIN" >&2
  exit 1
fi

as=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "pg-start: running as root but there is no 'postgres' user: install Debian's" \
         "postgresql package (scripts/setup.sh)" >&2
    exit 1
  fi
  as=(runuser -u postgres --)
  owner=postgres
fi

# /tmp, not $TMPDIR: the server's user must reach the directory, and the unix
# socket path must stay short (107 bytes).
dir=$(mktemp -d /tmp/fg-pg-XXXXXX)
chmod 0700 "$dir"
chown "$owner" "$dir"
echo "$dir" > "$state/dir"

"${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

# Try random ports until the server binds one (another process may take a port
# between a check and the bind, so starting is the only reliable check).
started=0
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
  if "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
       -o "-k $dir -h 127.0.0.1 -p $port -c max_connections=60 -c shared_buffers=32MB" \
       start >"$dir/pg_ctl.log" 2>&1; then
    started=1
    break
  fi
  if ! grep -qi "address already in use\|could not bind" "$dir/server.log" 2>/dev/null; then
    break  # not a port clash: report it
  fi
done
if [ "$started" -ne 1 ]; then
  echo "pg-start: the server did not start; its log:" >&2
  cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null || true
  exit 1
fi

echo "host=$dir port=$port user=postgres dbname=postgres" > "$state/conninfo.new"
echo "host=127.0.0.1 port=$port user=postgres dbname=postgres" > "$state/conninfo.tcp"
mv "$state/conninfo.new" "$state/conninfo"
echo "pg-start: PostgreSQL ($("$PG_BIN/postgres" --version)) at $(cat "$state/conninfo")"
