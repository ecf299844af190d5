#!/usr/bin/env bash
# down.sh — stop the daemons started by up.sh (Gator's copy of shared/slurm/down.sh).
# Kills ONLY the pids recorded in the pid files under $SLURM_LB_RUN (default /run/slurm-loopback),
# and only if the process still has the expected name (never by name pattern). munged is stopped
# only if up.sh started it (up.sh copies munged's pid into $RUN/munged.pid only then).
# Running jobs are cancelled through Slurm first, so their slurmstepd and job processes end too.
#
# Usage (as root): bash down.sh [--wipe]
#   --wipe   also delete job/node state and logs (next start is a fresh cluster, job ids from 1)
set -uo pipefail

DIR=${SLURM_LB_DIR:-/var/lib/slurm-loopback}
RUN=${SLURM_LB_RUN:-/run/slurm-loopback}
LOG=${SLURM_LB_LOG:-/var/log/slurm-loopback}
log() { printf '[slurm/down.sh] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "run as root"; exit 1; }

running() { # running PID NAME -> 0 if PID is a live (not zombie) process called NAME
  local st
  [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
alive() { # alive PIDFILE NAME -> 0 if the pid recorded in PIDFILE is a live process called NAME
  [ -s "$1" ] && running "$(cat "$1" 2>/dev/null)" "$2"
}

mkdir -p "$RUN"; exec 9>"$RUN/lock"   # one up.sh/down.sh at a time
flock -w 600 9 || { log "another up.sh/down.sh holds $RUN/lock"; exit 1; }

# 1. Cancel all jobs first: slurmstepd (one per running job) outlives slurmd and would be orphaned.
if alive "$RUN/slurmctld.pid" slurmctld && alive "$RUN/slurmd.pid" slurmd; then
  if [ -n "$(squeue -h -t PD,R,CG,S -o %i 2>/dev/null | head -1)" ]; then
    log "cancelling remaining jobs"
    scancel --partition=debug 2>/dev/null || true
    for _ in $(seq 150); do   # KillWait=5 -> jobs that ignore SIGTERM are gone within ~6s
      [ -z "$(squeue -h -t PD,R,CG,S -o %i 2>/dev/null | head -1)" ] && break; sleep 0.1
    done
  fi
fi

# 2. Stop daemons in reverse start order.
for d in slurmrestd slurmd slurmctld munged; do
  f=$RUN/$d.pid
  if alive "$f" "$d"; then
    pid=$(cat "$f"); log "stopping $d (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 200); do running "$pid" "$d" || break; sleep 0.05; done
    if running "$pid" "$d"; then log "$d still alive after 10s, SIGKILL"; kill -KILL "$pid" 2>/dev/null; fi
  fi
  rm -f "$f"
done

# 3. slurmd (proctrack/cgroup) leaves its freezer cgroup dirs behind; rmdir only succeeds on empty ones.
if [ -d /sys/fs/cgroup/freezer/slurm_localhost ] && ! alive "$RUN/slurmd.pid" slurmd; then
  find /sys/fs/cgroup/freezer/slurm_localhost -depth -type d -exec rmdir {} \; 2>/dev/null
fi

if [ "${1:-}" = "--wipe" ]; then
  log "wiping state and logs"
  rm -rf "$DIR/ctld" "$DIR/d" "$LOG"
fi
log "stopped"
