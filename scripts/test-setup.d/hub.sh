#!/usr/bin/env bash
# What the @gator/hub tests need: Debian's `chromium` (driven by playwright-core) and a
# PostgreSQL server from Debian's `postgresql` package, run as a plain background
# process (no systemd) on a loopback port, its data under /tmp owned by `postgres`.
#
#   hub.sh [start]   install what is missing, start PostgreSQL if it is not up (idempotent)
#   hub.sh stop      stop the PostgreSQL server this script started (by its recorded pid)
#   hub.sh url       print the connection URL the tests use
#
# The tests read the URL from $GATOR_HUB_PG_DIR/url (default /tmp/gator-hub-pg/url).
set -euo pipefail

base="${GATOR_HUB_PG_DIR:-/tmp/gator-hub-pg}"
port="${GATOR_HUB_PG_PORT:-55432}"
data="$base/data"
pidfile="$base/pid"
urlfile="$base/url"
action="${1:-start}"

log() { echo "test-setup(hub): $*" >&2; }

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$dir" ] && [ -x "$dir/postgres" ] && echo "$dir"
}

# The recorded pid, if it is still our postmaster (a recycled pid is not ours).
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "postgres.*$data" || return 1
  echo "$pid"
}

# Run as the postgres user (when root), with a clean environment so the server does not
# inherit a test run's marker variable and is never mistaken for a leaked test process.
as_postgres() {
  local envs=(env -i PATH=/usr/bin:/bin HOME="$base" LANG=C.UTF-8 LC_ALL=C.UTF-8)
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "${envs[@]}" "$@")
  else
    (cd / && "${envs[@]}" "$@")
  fi
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "PostgreSQL is not running (no live pid in $pidfile)"
    rm -f "$pidfile"
    return 0
  fi
  # SIGINT = PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit.
  kill -INT "$pid"
  for _ in $(seq 1 100); do
    [ -e "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -e "/proc/$pid" ]; then
    log "PostgreSQL ($pid) did not stop within 10 s; sending SIGQUIT"
    kill -QUIT "$pid" || true
  fi
  rm -f "$pidfile"
  log "PostgreSQL ($pid) stopped"
}

install_missing() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  pg_bin >/dev/null || need+=(postgresql)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages ${need[*]} (run as root, or install them)"
    exit 1
  fi
  log "installing ${need[*]}"
  (apt-get update -qq || true) >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}

start() {
  install_missing
  if running_pid >/dev/null && [ -s "$urlfile" ]; then
    return 0
  fi
  local bin
  bin="$(pg_bin)"
  mkdir -p "$base"
  chmod 0755 "$base"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$base"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    local pw
    pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    (umask 077 && printf '%s\n' "$pw" >"$base/password")
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$base/password"
    as_postgres "$bin/initdb" -D "$data" -U postgres -E UTF8 --auth=scram-sha-256 \
      --pwfile="$base/password" >"$base/initdb.log" 2>&1 || {
      log "initdb failed:"; cat "$base/initdb.log" >&2; exit 1
    }
  fi
  # A stale postmaster.pid (machine restarted, server killed) would block the start.
  if [ -f "$data/postmaster.pid" ]; then
    local old
    old="$(head -n 1 "$data/postmaster.pid")"
    [ -e "/proc/$old" ] || rm -f "$data/postmaster.pid"
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $base" start >/dev/null; then
    log "PostgreSQL did not start (port $port busy? set GATOR_HUB_PG_PORT). Log:"
    tail -n 20 "$base/server.log" >&2 || true
    exit 1
  fi
  head -n 1 "$data/postmaster.pid" >"$pidfile"
  printf 'postgres://postgres:%s@127.0.0.1:%s/postgres\n' "$(cat "$base/password")" "$port" >"$urlfile"
  chmod 0644 "$urlfile" "$pidfile"
  log "PostgreSQL up on 127.0.0.1:$port (pid $(cat "$pidfile"))"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  url) cat "$urlfile" ;;
  *) echo "usage: $0 [start|stop|url]" >&2; exit 2 ;;
esac
