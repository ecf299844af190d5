#!/usr/bin/env bash
# up.sh — bring up Gator's test cluster: a REAL single-node Slurm cluster on loopback
# (munged + slurmctld + slurmd + slurmrestd/JWT) from Debian 12 packages,
# without systemd. Idempotent: installs what is missing, (re)writes the config,
# starts only the daemons that are not already running, waits for the node to
# be idle and for slurmrestd to answer, then prints how to use it.
# Adapted from the verified recipe in shared/slurm (see its README for measured figures
# and gotchas); Gator's differences: the license simtool:2 and the partition `tiny`
# (MaxCPUsPerNode=2, so tests can fill it) used by the tests, and the config marker. Called by scripts/test-setup.d/slurm.sh, i.e. by `pnpm test`.
#
# Usage (as root):   bash up.sh
# Check:             bash smoke.sh
# Stop:              bash down.sh      (kills only the pids recorded in our pid files)
#
# Tunables (environment):
#   SLURM_LB_CPUS=64          CPUs the node advertises (SlurmdParameters=config_overrides lets this
#                             exceed nproc; = max concurrently running 1-CPU jobs). Use $(nproc) for realism.
#   SLURM_LB_MEM_MB=auto      RealMemory of the node (auto: MemTotal - 1 GiB)
#   SLURM_LB_DEF_MEM=100      DefMemPerCPU (MB). Without it a job gets ALL node memory => 1 job at a time.
#   SLURM_LB_LICENSES=toola:4,toolb:2,simtool:2   cluster-wide local licenses (sbatch -L/--licenses); "" = none
#   SLURM_LB_MIN_JOB_AGE=300  seconds a finished job stays visible to scontrol/squeue/REST
#   SLURM_LB_KILL_WAIT=5      seconds between SIGTERM and SIGKILL when a job is cancelled / times out
#   SLURM_LB_PROCTRACK=auto   how slurmd tracks a job's processes: cgroup (cgroup v1 freezer; nothing escapes,
#                             every process of a job is killed when it ends/is cancelled), linuxproc (parent-pid
#                             tree: a process whose parent died escapes), pgid. auto = cgroup if a cgroup v1
#                             freezer hierarchy is mounted at /sys/fs/cgroup/freezer and writable, else linuxproc.
#   SLURM_LB_REST_PORT=6820   slurmrestd listens on 127.0.0.1:$PORT
#   SLURM_LB_REST_USER=slurmrest   unprivileged user slurmrestd drops to (it refuses root/SlurmUser)
#   SLURM_LB_TEST_USER=slurmci     non-root user created for test jobs ("" = don't create)
#   SLURM_LB_FRESH=0          1 = cancel all jobs and wipe slurmctld/slurmd state (job ids restart at 1)
#   SLURM_LB_TIMEOUT=60       seconds to wait for node idle / REST up
#   SLURM_LB_DIR / SLURM_LB_RUN / SLURM_LB_LOG   state, pid-file and log dirs (defaults below)
set -euo pipefail

CONF=/etc/slurm/slurm.conf
DIR=${SLURM_LB_DIR:-/var/lib/slurm-loopback}     # state + jwt key
RUN=${SLURM_LB_RUN:-/run/slurm-loopback}         # pid files (ours)
LOG=${SLURM_LB_LOG:-/var/log/slurm-loopback}
CPUS=${SLURM_LB_CPUS:-64}
DEF_MEM=${SLURM_LB_DEF_MEM:-100}
LICENSES=${SLURM_LB_LICENSES-toola:4,toolb:2,simtool:2}
MIN_JOB_AGE=${SLURM_LB_MIN_JOB_AGE:-300}
KILL_WAIT=${SLURM_LB_KILL_WAIT:-5}
PROCTRACK=${SLURM_LB_PROCTRACK:-auto}
REST_PORT=${SLURM_LB_REST_PORT:-6820}
REST_USER=${SLURM_LB_REST_USER:-slurmrest}
TEST_USER=${SLURM_LB_TEST_USER-slurmci}
FRESH=${SLURM_LB_FRESH:-0}
TIMEOUT=${SLURM_LB_TIMEOUT:-60}
OPENAPI_PLUGINS=openapi/v0.0.36,openapi/v0.0.37,openapi/v0.0.38   # NOT dbv0.0.x: those need slurmdbd
PKGS=(munge slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin curl jq)
MARK='managed by scripts/slurm/up.sh'
# Either copy of the recipe (shared/slurm or ours) owns the files it wrote.
OWNED='managed by [a-z/]*slurm/up.sh'

log() { printf '[slurm/up.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

running() { # running PID NAME -> 0 if PID is a live (not zombie) process called NAME
  local st
  [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
alive() { # alive PIDFILE NAME -> 0 if the pid recorded in PIDFILE is a live process called NAME
  [ -s "$1" ] && running "$(cat "$1" 2>/dev/null)" "$2"
}
stop_pidfile() { # stop_pidfile PIDFILE NAME -> SIGTERM (then SIGKILL after 10s) the recorded pid, if it is still NAME
  local pid
  alive "$1" "$2" || return 0
  pid=$(cat "$1"); log "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do running "$pid" "$2" || return 0; sleep 0.1; done
  log "$2 (pid $pid) still alive after 10s, SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
}
# Daemons must not inherit the caller's descriptors beyond 0-2 (a CI runner or test harness waiting
# for EOF on a pipe it handed us would otherwise hang until the daemons die).
close_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
  done
}
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2-$1}"; }

# One up.sh/down.sh at a time (parallel test workers may all call up.sh). The lock fd is closed in
# the daemons (close_inherited_fds), so it is released when this script exits.
mkdir -p "$RUN"; exec 9>"$RUN/lock"
flock -w 600 9 || die "another up.sh/down.sh holds $RUN/lock"
t_start=$(now)

# ---------------------------------------------------------------- 1. packages
need_install=0
for b in munged slurmctld slurmd sbatch slurmrestd curl jq; do command -v "$b" >/dev/null || need_install=1; done
ls /usr/lib/*/slurm-wlm/auth_jwt.so >/dev/null 2>&1 || need_install=1
if [ "$need_install" = 1 ]; then
  log "installing ${PKGS[*]}"
  # No init system: keep package postinsts from trying to start services.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  for try in 1 2 3; do   # a mirror hiccup should not fail a CI run
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null && break
    [ "$try" = 3 ] && die "apt-get failed 3 times"
    log "apt-get failed (try $try), retrying in 5s"; sleep 5
  done
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  log "installed in $(secs "$t_start" "$(now)")s"
fi
t_installed=$(now)

# ---------------------------------------------------------------- 2. users, dirs, keys
getent passwd slurm >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin slurm
getent passwd "$REST_USER" >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin "$REST_USER"
if [ -n "$TEST_USER" ] && ! getent passwd "$TEST_USER" >/dev/null; then
  useradd --create-home --shell /bin/bash "$TEST_USER"
fi

mkdir -p "$DIR" "$RUN" "$LOG"
install -d -o slurm -g slurm -m 0755 "$DIR/ctld"
install -d -o root -g root -m 0755 "$DIR/d"
chown slurm:slurm "$LOG"
install -d -o munge -g munge -m 0755 /run/munge

if [ ! -s /etc/munge/munge.key ]; then   # the munge package normally creates it at install time
  mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key; chmod 0600 /etc/munge/munge.key
fi
JWT_KEY=$DIR/jwt_hs256.key
if [ ! -s "$JWT_KEY" ]; then
  dd if=/dev/urandom of="$JWT_KEY" bs=32 count=1 status=none
fi
chown slurm:slurm "$JWT_KEY"; chmod 0600 "$JWT_KEY"

# ---------------------------------------------------------------- 3. slurm.conf (+ cgroup.conf)
FREEZER=/sys/fs/cgroup/freezer
if [ "$PROCTRACK" = auto ]; then
  PROCTRACK=linuxproc
  if awk -v m="$FREEZER" '$2==m && $3=="cgroup" && $4 ~ /(^|,)freezer(,|$)/ {f=1} END {exit !f}' /proc/mounts \
     && mkdir "$FREEZER/slurm-probe.$$" 2>/dev/null && rmdir "$FREEZER/slurm-probe.$$"; then
    PROCTRACK=cgroup
  fi
fi
mem_total_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
MEM=${SLURM_LB_MEM_MB:-auto}
[ "$MEM" = auto ] && MEM=$(( mem_total_mb > 2048 ? mem_total_mb - 1024 : mem_total_mb / 2 ))

new_conf=$(mktemp)
cat > "$new_conf" <<EOF
# $MARK — single-node Slurm on loopback (no systemd, no slurmdbd, no resource limits enforced)
ClusterName=loopback
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$JWT_KEY
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/$PROCTRACK
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.log
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEF_MEM
MinJobAge=$MIN_JOB_AGE
KillWait=$KILL_WAIT
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
PropagateResourceLimits=NONE
SlurmdParameters=config_overrides
${LICENSES:+Licenses=$LICENSES}
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
# 2 CPUs at most: tests fill it to check that jobs queue (Gator addition)
PartitionName=tiny Nodes=ALL MaxCPUsPerNode=2 MaxTime=INFINITE State=UP
EOF
conf_changed=0
CGCONF=${CONF%/*}/cgroup.conf
if [ "$PROCTRACK" = cgroup ]; then   # proctrack/cgroup only needs the v1 freezer; nothing is constrained
  printf '%s\n' "# $MARK" CgroupPlugin=cgroup/v1 CgroupAutomount=no CgroupMountpoint=/sys/fs/cgroup \
    ConstrainCores=no ConstrainRAMSpace=no ConstrainSwapSpace=no ConstrainDevices=no > "$new_conf.cg"
  if ! cmp -s "$new_conf.cg" "$CGCONF"; then
    conf_changed=1
    if [ -e "$CGCONF" ] && ! head -1 "$CGCONF" | grep -q "$OWNED" && [ ! -e "$CGCONF.pre-loopback" ]; then
      cp -p "$CGCONF" "$CGCONF.pre-loopback"; log "saved previous $CGCONF as $CGCONF.pre-loopback"
    fi
    mkdir -p "${CONF%/*}"; install -m 0644 "$new_conf.cg" "$CGCONF"; log "wrote $CGCONF"
  fi
  rm -f "$new_conf.cg"
fi
if ! cmp -s "$new_conf" "$CONF"; then
  conf_changed=1
  if [ -e "$CONF" ] && ! head -1 "$CONF" | grep -q "$OWNED" && [ ! -e "$CONF.pre-loopback" ]; then
    cp -p "$CONF" "$CONF.pre-loopback"; log "saved previous $CONF as $CONF.pre-loopback"
  fi
  mkdir -p /etc/slurm; install -m 0644 "$new_conf" "$CONF"; log "wrote $CONF"
fi
rm -f "$new_conf"

if [ "$FRESH" = 1 ] && alive "$RUN/slurmctld.pid" slurmctld && alive "$RUN/slurmd.pid" slurmd; then
  # Cancel first: a running job's slurmstepd outlives slurmd and would be left orphaned.
  log "SLURM_LB_FRESH=1: cancelling all jobs"
  scancel --partition=debug 2>/dev/null || true
  for _ in $(seq 150); do [ -z "$(squeue -h -t PD,R,CG,S -o %i 2>/dev/null | head -1)" ] && break; sleep 0.1; done
fi
# config changed while our daemons run -> restart them (node/license definition changes need a full restart)
if [ "$conf_changed" = 1 ] || [ "$FRESH" = 1 ]; then
  for d in slurmrestd slurmd slurmctld; do stop_pidfile "$RUN/$d.pid" "$d"; done
fi
if [ "$FRESH" = 1 ]; then
  log "SLURM_LB_FRESH=1: wiping job/node state"
  find "$DIR/ctld" "$DIR/d" -mindepth 1 -delete
  rm -f "$LOG/jobcomp.log"
fi

# ---------------------------------------------------------------- 4. daemons
t_daemons=$(now)
# munged (reuse a working one, else start our own as user munge; it daemonizes and writes its pid file)
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged already answering"
else
  rm -f /run/munge/munged.pid
  ( close_inherited_fds; exec runuser -u munge -- /usr/sbin/munged ) </dev/null >>"$LOG/startup.err" 2>&1
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  cp /run/munge/munged.pid "$RUN/munged.pid" 2>/dev/null || true
  munge -n | unmunge >/dev/null || { tail -5 "$LOG/startup.err" >&2; die "munged did not come up"; }
  log "started munged (pid $(cat "$RUN/munged.pid"))"
fi

if alive "$RUN/slurmctld.pid" slurmctld; then
  log "slurmctld already running (pid $(cat "$RUN/slurmctld.pid"))"
else
  rm -f "$RUN/slurmctld.pid"
  # daemonizes, writes $RUN/slurmctld.pid, drops to SlurmUser
  ( close_inherited_fds; cd /; exec slurmctld ) </dev/null >>"$LOG/startup.err" 2>&1
  for _ in $(seq 100); do alive "$RUN/slurmctld.pid" slurmctld && break; sleep 0.1; done
  alive "$RUN/slurmctld.pid" slurmctld || { tail -5 "$LOG/startup.err" "$LOG/slurmctld.log" >&2; die "slurmctld did not start"; }
  log "started slurmctld (pid $(cat "$RUN/slurmctld.pid"))"
fi

if alive "$RUN/slurmd.pid" slurmd; then
  log "slurmd already running (pid $(cat "$RUN/slurmd.pid"))"
else
  rm -f "$RUN/slurmd.pid"
  # -N: node name (localhost) != hostname; daemonizes and writes $RUN/slurmd.pid
  ( close_inherited_fds; cd /; exec slurmd -N localhost ) </dev/null >>"$LOG/startup.err" 2>&1
  for _ in $(seq 100); do alive "$RUN/slurmd.pid" slurmd && break; sleep 0.1; done
  alive "$RUN/slurmd.pid" slurmd || { tail -5 "$LOG/startup.err" "$LOG/slurmd.log" >&2; die "slurmd did not start"; }
  log "started slurmd (pid $(cat "$RUN/slurmd.pid"))"
fi

# wait for the node to be idle (or mixed/allocated if jobs are already running)
deadline=$(( $(date +%s) + TIMEOUT )); resumed=0
while :; do
  st=$(sinfo -h -n localhost -o '%T' 2>/dev/null | head -1 || true)
  case "$st" in
    idle|mixed|allocated) break ;;
    down*|drain*|fail*)
      if [ "$resumed" = 0 ]; then scontrol update nodename=localhost state=resume 2>/dev/null || true; resumed=1; fi ;;
  esac
  [ "$(date +%s)" -lt "$deadline" ] || { sinfo -R >&2 || true; die "node not idle after ${TIMEOUT}s (state: ${st:-none})"; }
  sleep 0.2
done
log "node localhost is $st"

# slurmrestd: stays in the foreground, so we background it and record $!.
# It refuses to run as root/SlurmUser -> -u drops to $REST_USER after binding.
# SLURM_JWT=daemon makes slurmrestd itself talk to slurmctld with auth/jwt (required
# for rest_auth/jwt pass-through; without it every request fails with
# "Rejecting thread config token for user ..." from auth/munge).
if alive "$RUN/slurmrestd.pid" slurmrestd; then
  log "slurmrestd already running (pid $(cat "$RUN/slurmrestd.pid"))"
else
  (
    close_inherited_fds; cd /
    SLURM_JWT=daemon exec setsid slurmrestd -u "$REST_USER" -a rest_auth/jwt -s "$OPENAPI_PLUGINS" \
        "127.0.0.1:$REST_PORT" >>"$LOG/slurmrestd.log" 2>&1 </dev/null
  ) &
  echo $! > "$RUN/slurmrestd.pid"
  for _ in $(seq 50); do alive "$RUN/slurmrestd.pid" slurmrestd && break; sleep 0.1; done   # until exec'd
  log "started slurmrestd (pid $(cat "$RUN/slurmrestd.pid"))"
fi
tok=$(scontrol token username=root lifespan=120 | cut -d= -f2) || die "scontrol token failed (auth/jwt not loaded?)"
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-SLURM-USER-NAME: root" -H "X-SLURM-USER-TOKEN: $tok" \
          "http://127.0.0.1:$REST_PORT/slurm/v0.0.38/ping" 2>/dev/null)" = 200 ]; do
  alive "$RUN/slurmrestd.pid" slurmrestd || { tail -20 "$LOG/slurmrestd.log" >&2; die "slurmrestd exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || die "slurmrestd not answering after ${TIMEOUT}s"
  sleep 0.2
done

t_end=$(now)
cat <<EOF
Slurm loopback cluster is up ($(sinfo -V); install $(secs "$t_start" "$t_installed")s, start $(secs "$t_daemons" "$t_end")s, total $(secs "$t_start" "$t_end")s).
  sinfo / sbatch / squeue / scancel / scontrol work as usual (config: $CONF); partitions: debug, tiny (2 CPUs); node: localhost
  licenses: ${LICENSES:-none}   (sbatch -L toola:1; scontrol show licenses)   proctrack: $PROCTRACK
  REST:   http://127.0.0.1:$REST_PORT/slurm/v0.0.38/   (also v0.0.37, v0.0.36; spec at /openapi/v3)
  token:  export \$(scontrol token username=${TEST_USER:-root} lifespan=3600)   # sets SLURM_JWT (root may mint for any user)
          curl -H "X-SLURM-USER-NAME: ${TEST_USER:-root}" -H "X-SLURM-USER-TOKEN: \$SLURM_JWT" http://127.0.0.1:$REST_PORT/slurm/v0.0.38/ping
  finished-job history: sacct -c   (jobcomp/filetxt; plain sacct needs slurmdbd)
  logs:   $LOG/   pids: $RUN/   stop: down.sh
EOF
