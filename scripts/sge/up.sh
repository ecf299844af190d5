#!/usr/bin/env bash
# up.sh — bring up a REAL single-host Grid Engine cluster on loopback (Son of Grid Engine 8.1.9 from
# Debian 12's gridengine-master/-exec/-client packages), without systemd or the init scripts:
# sge_qmaster (with its scheduler thread) and sge_execd on one host that SGE calls "localhost",
# cluster queue all.q (slots = nproc), parallel environment smp, accounting file on.
# Gator's additions for @gator/scheduler-sge's tests: cluster queue tiny.q (2 slots, so tests can fill
# it) and the consumable complex simtool (a license: 2 seats cluster-wide, booked per job).
# Idempotent: installs what is missing, (re)applies the configuration, starts only the daemons that are
# not already running, waits until the queue instance all.q@localhost is up, then prints how to use it.
#
# Usage (as root):   bash up.sh
# Check:             bash smoke.sh
# Stop:              bash down.sh      (kills only the pids recorded in our pid files)
#
# Tunables (environment):
#   SGE_LB_SLOTS=$(nproc)     slots of all.q@localhost (= max concurrently running 1-slot jobs) and of PE smp
#   SGE_LB_ROOT_JOBS=1        1 = let root submit and run jobs (cluster config min_uid/min_gid 0).
#                             0 = keep Debian's default min_uid/min_gid 1000: root's qsub is then refused with
#                             "job rejected: your user id 0 is lower than minimum user id 1000"; submit as
#                             $SGE_LB_TEST_USER instead.
#   SGE_LB_TEST_USER=sgeci    unprivileged user (uid/gid >= 1000) created for test jobs ("" = don't create)
#   SGE_LB_SCHED_INTERVAL=0:0:1   scheduler run interval (Debian/SGE default 0:0:15 => up to 15 s per dispatch)
#   SGE_LB_NOTIFY=00:00:05    queue "notify" time: a job submitted with qsub -notify gets SIGUSR2 (qdel) or SIGUSR1
#                             (suspend) this long before SIGKILL/SIGSTOP (Debian's template: 00:00:60)
#   SGE_LB_ADDGRP_KILL=1      1 = execd_params ENABLE_ADDGRP_KILL=TRUE: on qdel / limit / job end, execd also
#                             kills processes that left the job's process group (found by the job's extra gid)
#   SGE_LB_TINY_SLOTS=2       slots of the second cluster queue tiny.q (also in PE smp's pe_list)
#   SGE_LB_LICENSES=simtool=2 consumable complexes (INT, booked per job) with their cluster-wide seats,
#                             as NAME=SEATS[,NAME=SEATS...]; "" = none
#   SGE_LB_FRESH=0            1 = delete all jobs, wipe the spool and accounting (job ids restart at 1)
#   SGE_LB_TIMEOUT=60         seconds to wait for qmaster to answer / the exec host to report
#   SGE_LB_RUN / SGE_LB_LOG   pid-file/lock dir and startup-log dir (defaults below)
set -eEuo pipefail
trap 'rc=$?; printf "[sge/up.sh] ERROR: line %s: %s failed (exit %s)\n" "$LINENO" "$BASH_COMMAND" "$rc" >&2' ERR

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default   # Debian's fixed layout (also what /usr/bin/q* wrappers use)
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine                            # qmaster/, spooldb/ (berkeleydb), execd/<host>/
RUN=${SGE_LB_RUN:-/run/sge-loopback}
LOG=${SGE_LB_LOG:-/var/log/sge-loopback}
SLOTS=${SGE_LB_SLOTS:-$(nproc)}
ROOT_JOBS=${SGE_LB_ROOT_JOBS:-1}
TEST_USER=${SGE_LB_TEST_USER-sgeci}
SCHED_INTERVAL=${SGE_LB_SCHED_INTERVAL:-0:0:1}
ADDGRP_KILL=${SGE_LB_ADDGRP_KILL:-1}
NOTIFY=${SGE_LB_NOTIFY:-00:00:05}
TINY_SLOTS=${SGE_LB_TINY_SLOTS:-2}
LICENSES=${SGE_LB_LICENSES-simtool=2}
FRESH=${SGE_LB_FRESH:-0}
TIMEOUT=${SGE_LB_TIMEOUT:-60}
SGE_HOST=localhost      # the unique host name SGE uses (host_aliases maps the real hostname onto it)
QUEUE=all.q
ADMIN=sgeadmin          # created by gridengine-common; qmaster runs as this user
PKGS=(gridengine-master gridengine-exec gridengine-client)
MARK='managed by scripts/sge/up.sh'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { printf '[sge/up.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[[ "$SLOTS" =~ ^[1-9][0-9]*$ ]] || die "SGE_LB_SLOTS must be a positive integer (got '$SLOTS')"
[[ "$TINY_SLOTS" =~ ^[1-9][0-9]*$ ]] || die "SGE_LB_TINY_SLOTS must be a positive integer (got '$TINY_SLOTS')"
[[ -z "$LICENSES" || "$LICENSES" =~ ^[A-Za-z_][A-Za-z0-9_]*=[0-9]+(,[A-Za-z_][A-Za-z0-9_]*=[0-9]+)*$ ]] \
  || die "SGE_LB_LICENSES must be NAME=SEATS[,NAME=SEATS...] (got '$LICENSES')"
# Every SGE client call is bounded. The /usr/bin/q* wrappers run the `arch` script twice (~90 ms a call);
# the binaries behind them only need SGE_ROOT/SGE_CELL (exported above).
q() { local c=$1; shift; timeout 30 "/usr/lib/gridengine/$c" "$@"; }

running() { # running PID NAME -> 0 if PID is a live (not zombie) process called NAME
  local st
  [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
alive() { # alive PIDFILE NAME -> 0 if the pid recorded in PIDFILE is a live process called NAME
  [ -s "$1" ] && running "$(cat "$1" 2>/dev/null)" "$2"
}
stop_pidfile() { # stop_pidfile PIDFILE NAME -> SIGTERM (SIGKILL after 30 s) the recorded pid, if it is still NAME
  local pid
  alive "$1" "$2" || { rm -f "$1"; return 0; }
  pid=$(cat "$1"); log "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do running "$pid" "$2" || { rm -f "$1"; return 0; }; sleep 0.1; done
  log "$2 (pid $pid) still alive after 30s, SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; rm -f "$1"
}
# Daemons must not inherit the caller's descriptors beyond 0-2 (a CI runner waiting for EOF on a pipe
# it handed us would otherwise hang until the daemons die).
close_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
  done
}
# The daemons get a clean environment, as from an init system: every job inherits sge_execd's environment
# (INHERIT_ENV defaults to TRUE), so a daemon started from a CI shell would leak that shell's variables into jobs.
DAEMON_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SGE_ROOT="$SGE_ROOT" SGE_CELL="$SGE_CELL")
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2-$1}"; }
qmaster_answers() { q qconf -sh >/dev/null 2>&1; }
execd_answers() { q qping -info "$SGE_HOST" "$EPORT" execd 1 >/dev/null 2>&1; }   # qstat keeps showing a dead
                                                                                   # execd's host up for max_unheard (5 min)
# state column of `qstat -f` for all.q@localhost: "" = ok; a/u/d/E/... = alarm/unknown/disabled/error
qi_line() { q qstat -f -q "$QUEUE@$SGE_HOST" 2>/dev/null | awk -v qi="$QUEUE@$SGE_HOST" '$1==qi'; }
port_user() { # port_user PORT -> "name,pid" of the process listening on PORT, or ""
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1,\2/p' | head -1
}

# One up.sh/down.sh at a time. The lock fd is closed in the daemons (close_inherited_fds).
mkdir -p "$RUN" "$LOG"; exec 9>"$RUN/lock"
flock -w 600 9 || die "another up.sh/down.sh holds $RUN/lock"
t_start=$(now)

# ---------------------------------------------------------------- 1. packages (debconf preseeded)
need_install=0
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need_install=1
done
if [ "$need_install" = 1 ]; then
  log "installing ${PKGS[*]}"
  # The postinsts read these (shared/* questions owned by all gridengine packages): with
  # gridengineconfig=true, gridengine-master runs init_cluster (berkeleydb spool, manager sgeadmin) and
  # gridengine-client/-exec write act_qmaster. Preseeding the master as "localhost" keeps it on loopback.
  timeout 60 debconf-set-selections <<EOF || die "debconf-set-selections failed"
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string $SGE_CELL
gridengine-common shared/gridenginemaster string $SGE_HOST
EOF
  # No init system: keep the postinsts' invoke-rc.d from starting sge_qmaster/sge_execd (and exim4, which
  # bsd-mailx pulls in) with dpkg's descriptors. Where policy-rc.d already exists (docker-style images), it does this.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
  for try in 1 2 3; do   # a mirror hiccup should not fail a CI run
    if timeout 300 apt-get update -qq >"$LOG/apt.log" 2>&1 && timeout 600 apt-get install -y -qq --no-install-recommends \
         -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PKGS[@]}" >>"$LOG/apt.log" 2>&1; then
      break
    fi
    [ "$try" = 3 ] && { tail -20 "$LOG/apt.log" >&2; die "apt-get failed 3 times (log: $LOG/apt.log)"; }
    log "apt-get failed (try $try), retrying in 5s"; sleep 5
  done
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  log "installed in $(secs "$t_start" "$(now)")s"
fi
for f in /usr/lib/gridengine/sge_qmaster /usr/lib/gridengine/sge_execd /usr/bin/qsub /usr/share/gridengine/scripts/init_cluster; do
  [ -x "$f" ] || die "$f missing after install"
done
getent passwd "$ADMIN" >/dev/null || die "user $ADMIN missing (gridengine-common's postinst creates it)"
t_installed=$(now)

# ---------------------------------------------------------------- 2. names, ports, users
# SGE needs the host's own name to resolve (every client and daemon calls gethostbyname(gethostname())).
H=$(uname -n)
if ! timeout 10 getent hosts "$H" >/dev/null 2>&1; then
  printf '127.0.0.1\t%s\t# %s\n' "$H" "$MARK" >> /etc/hosts
  log "hostname $H did not resolve: added '127.0.0.1 $H' to /etc/hosts"
fi
for s in sge_qmaster:6444 sge_execd:6445; do   # ports come from /etc/services (netbase) unless SGE_*_PORT is set
  timeout 10 getent services "${s%%:*}" >/dev/null 2>&1 && continue
  printf '%s\t%s/tcp\t\t# %s\n' "${s%%:*}" "${s##*:}" "$MARK" >> /etc/services
  log "added ${s%%:*} ${s##*:}/tcp to /etc/services"
done
QPORT=$(timeout 10 getent services sge_qmaster | awk '{split($2,a,"/"); print a[1]}')
EPORT=$(timeout 10 getent services sge_execd | awk '{split($2,a,"/"); print a[1]}')
if [ -n "$TEST_USER" ] && ! getent passwd "$TEST_USER" >/dev/null; then
  useradd --create-home --shell /bin/bash "$TEST_USER"   # uid/gid from UID_MIN (1000) up: allowed even with min_uid 1000
  log "created user $TEST_USER (uid $(id -u "$TEST_USER"))"
fi

# ---------------------------------------------------------------- 3. cell files (identity)
# Commlib checks that a client's IP resolves back to the name the client claims. Here 127.0.0.1 resolves to
# "localhost" but clients claim the hostname ("access denied: client IP resolved to host name "localhost".
# This is not identical to clients host name "vm""). host_aliases makes every name of this host one SGE host,
# "localhost"; act_qmaster=localhost keeps all traffic on 127.0.0.1.
identity_changed=0
names="$H"
for n in $(timeout 10 hostname -f 2>/dev/null || true) \
         $(timeout 10 getent hosts "$H" | awk '{for (i=2;i<=NF;i++) print $i}') \
         $(timeout 10 getent hosts "$(timeout 10 getent ahostsv4 "$H" | awk 'NR==1{print $1}')" | awk '{for (i=2;i<=NF;i++) print $i}'); do
  [ "$n" = "$SGE_HOST" ] || [[ " $names " == *" $n "* ]] || names="$names $n"
done
install -d -o "$ADMIN" -g "$ADMIN" -m 0755 "$SGE_ROOT/$SGE_CELL" "$COMMON"
want_file() { # want_file PATH CONTENT -> write PATH (owned by sgeadmin) if its content differs; 0 = changed
  if [ "$(cat "$1" 2>/dev/null)" != "$2" ]; then
    printf '%s\n' "$2" > "$1.tmp.$$"; chown "$ADMIN:$ADMIN" "$1.tmp.$$"; chmod 0644 "$1.tmp.$$"; mv -f "$1.tmp.$$" "$1"
    return 0
  fi
  return 1
}
if want_file "$COMMON/host_aliases" "$SGE_HOST $names"; then identity_changed=1; log "wrote $COMMON/host_aliases: $SGE_HOST $names"; fi
if want_file "$COMMON/act_qmaster" "$SGE_HOST"; then identity_changed=1; log "wrote $COMMON/act_qmaster: $SGE_HOST"; fi
[ -s "$COMMON/bootstrap" ] || install -m 0644 -o "$ADMIN" -g "$ADMIN" /usr/share/gridengine/default-bootstrap "$COMMON/bootstrap"
if [ ! -s /etc/default/gridengine ]; then   # the q* wrappers fall back to the same defaults anyway
  sed "s@^SGE_CELL=.*@SGE_CELL=$SGE_CELL@" /usr/share/gridengine/templates/gridengine.default > /etc/default/gridengine
fi
install -d -o "$ADMIN" -g "$ADMIN" -m 0755 "$RUN"   # qmaster writes its pid file after dropping to sgeadmin
install -d -o "$ADMIN" -g "$ADMIN" -m 0755 "$SPOOL/qmaster" "$SPOOL/qmaster/job_scripts" "$SPOOL/spooldb" "$SPOOL/execd"

# ---------------------------------------------------------------- 4. fresh start / cluster initialisation
delete_all_jobs() { # as manager: delete every user's jobs, wait (max 30 s) until none is left
  [ -n "$(q qstat -u '*' 2>/dev/null | head -1)" ] || return 0
  log "deleting all jobs"
  q qdel -f -u '*' >/dev/null 2>&1 || true
  for _ in $(seq 150); do [ -z "$(q qstat -u '*' 2>/dev/null | head -1)" ] && return 0; sleep 0.2; done
  log "warning: jobs still listed after 30s"
}
if [ "$FRESH" = 1 ]; then
  qmaster_answers && delete_all_jobs
  stop_pidfile "$RUN/execd.pid" sge_execd
  stop_pidfile "$RUN/qmaster.pid" sge_qmaster
  if qmaster_answers; then die "SGE_LB_FRESH=1 but a qmaster not started by up.sh still answers on port $QPORT"; fi
  log "SGE_LB_FRESH=1: wiping spool and accounting"
  find "$SPOOL/spooldb" "$SPOOL/qmaster" "$SPOOL/execd" -mindepth 1 -delete
  rm -f "$COMMON/accounting"
  install -d -o "$ADMIN" -g "$ADMIN" -m 0755 "$SPOOL/qmaster/job_scripts"
fi
if [ ! -e "$SPOOL/spooldb/sge" ]; then
  # What gridengine-master's postinst does when shared/gridengineconfig is true (also the way back
  # from an install made with gridengineconfig=false, or after SGE_LB_FRESH=1).
  log "initialising the cluster (init_cluster, berkeleydb spool in $SPOOL/spooldb)"
  timeout 120 runuser -u "$ADMIN" -- /usr/share/gridengine/scripts/init_cluster \
    "$SGE_ROOT" "$SGE_CELL" "$SPOOL/spooldb" "$ADMIN" >"$LOG/init_cluster.log" 2>&1 \
    || { cat "$LOG/init_cluster.log" >&2; die "init_cluster failed"; }
fi

# ---------------------------------------------------------------- 5. sge_qmaster
if [ "$identity_changed" = 1 ]; then   # host_aliases/act_qmaster are read at daemon start
  stop_pidfile "$RUN/execd.pid" sge_execd
  stop_pidfile "$RUN/qmaster.pid" sge_qmaster
fi
t_daemons=$(now)
if alive "$RUN/qmaster.pid" sge_qmaster; then
  log "sge_qmaster already running (pid $(cat "$RUN/qmaster.pid"))"
elif qmaster_answers; then
  log "a qmaster not started by up.sh answers on port $QPORT: using it (down.sh will not stop it)"
else
  pu=$(port_user "$QPORT"); [ -z "$pu" ] || die "port $QPORT (sge_qmaster) is already used by ${pu%,*} (pid ${pu#*,})"
  rm -f "$RUN/qmaster.pid"
  # sge_qmaster daemonizes (setsid), drops to sgeadmin, writes $SGE_QMASTER_PIDFILE (the init script's
  # SGE_MASTER_PIDFILE is not what this build reads). Its log: $SPOOL/qmaster/messages.
  ( close_inherited_fds; cd /; exec env -i "${DAEMON_ENV[@]}" SGE_QMASTER_PIDFILE="$RUN/qmaster.pid" setsid timeout 60 /usr/sbin/sge_qmaster ) \
    </dev/null >>"$LOG/startup.log" 2>&1 || { tail -5 "$LOG/startup.log" >&2; die "sge_qmaster failed to start"; }
  for _ in $(seq 100); do alive "$RUN/qmaster.pid" sge_qmaster && break; sleep 0.1; done
  alive "$RUN/qmaster.pid" sge_qmaster || { tail -5 "$LOG/startup.log" "$SPOOL/qmaster/messages" >&2 2>/dev/null; die "sge_qmaster did not start"; }
  log "started sge_qmaster (pid $(cat "$RUN/qmaster.pid"))"
fi
deadline=$(( $(date +%s) + TIMEOUT ))
until qmaster_answers; do
  if [ -s "$RUN/qmaster.pid" ] && ! alive "$RUN/qmaster.pid" sge_qmaster; then
    tail -10 "$SPOOL/qmaster/messages" >&2 2>/dev/null; die "sge_qmaster exited"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { q qconf -sh >&2 || true; die "qmaster not answering after ${TIMEOUT}s"; }
  sleep 0.2
done
t_qmaster=$(now)

# ---------------------------------------------------------------- 6. configuration (via qconf, idempotent)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
normalize() { awk '{ while (sub(/\\$/, "")) { if ((getline n) > 0) { sub(/^[ \t]+/, "", n); $0 = $0 " " n } } $1=$1; print }'; }
set_keys() { # set_keys FILE KEY=VALUE... -> replace those keys' values in a normalized "key value" file
  local f=$1 kv; shift
  for kv in "$@"; do
    awk -v k="${kv%%=*}" -v v="${kv#*=}" '$1==k {print k, v; next} {print}' "$f" > "$f.new" && mv "$f.new" "$f"
  done
}
conf_changed=0
# global cluster configuration
if [ "$ROOT_JOBS" = 1 ]; then MIN_ID=0; else MIN_ID=1000; fi
EXECD_PARAMS=none; [ "$ADDGRP_KILL" = 1 ] && EXECD_PARAMS=ENABLE_ADDGRP_KILL=TRUE
q qconf -sconf global | normalize > "$T/cur" || die "qconf -sconf global failed"
cp "$T/cur" "$T/global"
set_keys "$T/global" "min_uid=$MIN_ID" "min_gid=$MIN_ID" "execd_params=$EXECD_PARAMS" "mailer=/bin/true" \
  "reporting_params=accounting=true reporting=false flush_time=00:00:15 joblog=false sharelog=00:00:00 accounting_flush_time=00:00:00"
if ! cmp -s "$T/cur" "$T/global"; then
  q qconf -Mconf "$T/global" >/dev/null 2>&1 || die "qconf -Mconf global failed"
  conf_changed=1; log "global configuration updated (min_uid/min_gid $MIN_ID, execd_params $EXECD_PARAMS, accounting flushed at once)"
fi
# scheduler configuration
q qconf -ssconf | normalize > "$T/cur" || die "qconf -ssconf failed"
cp "$T/cur" "$T/sched"
set_keys "$T/sched" "schedule_interval=$SCHED_INTERVAL" "job_load_adjustments=NONE" "load_adjustment_decay_time=0:0:0"
if ! cmp -s "$T/cur" "$T/sched"; then
  q qconf -Msconf "$T/sched" >/dev/null 2>&1 || die "qconf -Msconf failed"; log "scheduler configuration updated (interval $SCHED_INTERVAL)"
fi
# this host: admin host (qmaster adds its own host), submit host, exec host, in @allhosts
q qconf -sh 2>/dev/null | grep -qx "$SGE_HOST" || q qconf -ah "$SGE_HOST" >/dev/null 2>&1 || die "qconf -ah $SGE_HOST failed"
q qconf -ss 2>/dev/null | grep -qx "$SGE_HOST" || q qconf -as "$SGE_HOST" >/dev/null 2>&1 || die "qconf -as $SGE_HOST failed"
if ! q qconf -sel 2>/dev/null | grep -qx "$SGE_HOST"; then
  printf '%s\n' "hostname $SGE_HOST" "load_scaling NONE" "complex_values NONE" "user_lists NONE" "xuser_lists NONE" \
    "projects NONE" "xprojects NONE" "usage_scaling NONE" "report_variables NONE" > "$T/host"
  q qconf -Ae "$T/host" >/dev/null 2>&1 || die "qconf -Ae $SGE_HOST failed"
fi
printf 'group_name @allhosts\nhostlist %s\n' "$SGE_HOST" > "$T/hgrp"
if ! q qconf -shgrpl 2>/dev/null | grep -qx @allhosts; then
  q qconf -Ahgrp "$T/hgrp" >/dev/null 2>&1 || die "qconf -Ahgrp @allhosts failed"
elif [ "$(q qconf -shgrp @allhosts | normalize)" != "$(normalize < "$T/hgrp")" ]; then
  q qconf -Mhgrp "$T/hgrp" >/dev/null 2>&1 || die "qconf -Mhgrp @allhosts failed"
fi
# parallel environment smp: all slots on one host ($pe_slots), like Debian's template
cat > "$T/pe" <<EOF
pe_name smp
slots $SLOTS
user_lists NONE
xuser_lists NONE
start_proc_args NONE
stop_proc_args NONE
allocation_rule \$pe_slots
control_slaves TRUE
job_is_first_task TRUE
urgency_slots min
accounting_summary TRUE
qsort_args NONE
EOF
if ! q qconf -spl 2>/dev/null | grep -qx smp; then
  q qconf -Ap "$T/pe" >/dev/null 2>&1 || die "qconf -Ap smp failed"
elif [ "$(q qconf -sp smp | normalize)" != "$(normalize < "$T/pe")" ]; then
  q qconf -Mp "$T/pe" >/dev/null 2>&1 || die "qconf -Mp smp failed"
fi
# cluster queue: SGE 8.1.9's template except hostlist, load_thresholds (NONE: a busy shared machine would
# otherwise put the queue in alarm state and stop dispatching), pe_list, slots and notify
queue_conf() { # queue_conf NAME SLOTS -> the cluster queue's configuration
cat <<EOF
qname $1
hostlist @allhosts
seq_no 0
load_thresholds NONE
suspend_thresholds NONE
nsuspend 1
suspend_interval 00:05:00
priority 0
min_cpu_interval 00:05:00
processors UNDEFINED
qtype BATCH INTERACTIVE
ckpt_list NONE
pe_list smp
rerun FALSE
slots $2
tmpdir /tmp
shell /bin/sh
prolog NONE
epilog NONE
shell_start_mode posix_compliant
starter_method NONE
suspend_method NONE
resume_method NONE
terminate_method NONE
notify $NOTIFY
owner_list NONE
user_lists NONE
xuser_lists NONE
subordinate_list NONE
complex_values NONE
projects NONE
xprojects NONE
calendar NONE
initial_state default
s_rt INFINITY
h_rt INFINITY
s_cpu INFINITY
h_cpu INFINITY
s_fsize INFINITY
h_fsize INFINITY
s_data INFINITY
h_data INFINITY
s_stack INFINITY
h_stack INFINITY
s_core INFINITY
h_core INFINITY
s_rss INFINITY
h_rss INFINITY
s_vmem INFINITY
h_vmem INFINITY
EOF
}
want_queue() { # want_queue NAME SLOTS -> create or update the cluster queue
  queue_conf "$1" "$2" > "$T/queue.$1"
  if ! q qconf -sql 2>/dev/null | grep -qx "$1"; then
    q qconf -Aq "$T/queue.$1" >/dev/null 2>&1 || die "qconf -Aq $1 failed"; log "created queue $1 (slots $2)"
  elif [ "$(q qconf -sq "$1" | normalize)" != "$(normalize < "$T/queue.$1")" ]; then
    q qconf -Mq "$T/queue.$1" >/dev/null 2>&1 || die "qconf -Mq $1 failed"; log "updated queue $1 (slots $2)"
  fi
}
want_queue "$QUEUE" "$SLOTS"
# Gator's second queue: tests fill its 2 slots whatever the machine's core count.
want_queue tiny.q "$TINY_SLOTS"
# Licenses: consumable INT complexes booked once per job (consumable JOB, not per slot), with their seats
# in the global exec host's complex_values, where a site keeps floating licenses.
q qconf -sc > "$T/complexes" || die "qconf -sc failed"
cp "$T/complexes" "$T/complexes.new"
values=NONE
for kv in ${LICENSES//,/ }; do
  name=${kv%%=*}
  awk -v n="$name" '$1!=n' "$T/complexes.new" > "$T/c" && mv "$T/c" "$T/complexes.new"
  printf '%s %s INT <= YES JOB 0 0\n' "$name" "$name" >> "$T/complexes.new"
  [ "$values" = NONE ] && values=$kv || values=$values,$kv
done
if [ "$(grep -v '^#' "$T/complexes" | normalize | sort)" != "$(grep -v '^#' "$T/complexes.new" | normalize | sort)" ]; then
  q qconf -Mc "$T/complexes.new" >/dev/null 2>&1 || die "qconf -Mc failed"; log "complexes updated (licenses: ${LICENSES:-none})"
fi
# (load_values and processors are reported by the host, not configured: qconf -Me refuses them.)
q qconf -se global | normalize | awk '$1!="load_values" && $1!="processors"' > "$T/cur" || die "qconf -se global failed"
cp "$T/cur" "$T/globalhost"
set_keys "$T/globalhost" "complex_values=$values"
if ! cmp -s "$T/cur" "$T/globalhost"; then
  q qconf -Me "$T/globalhost" >/dev/null 2>&1 || die "qconf -Me global failed"; log "license seats set (global complex_values $values)"
fi

# ---------------------------------------------------------------- 7. sge_execd
# execd copies the global configuration at start (a changed min_uid reached running jobs' shepherds late:
# "gid of user root (0) less than minimum allowed in conf (1000)"), so restart it after a change.
if [ "$conf_changed" = 1 ] && alive "$RUN/execd.pid" sge_execd; then
  delete_all_jobs; stop_pidfile "$RUN/execd.pid" sge_execd
fi
if alive "$RUN/execd.pid" sge_execd; then
  log "sge_execd already running (pid $(cat "$RUN/execd.pid"))"
elif execd_answers; then
  log "an execd not started by up.sh serves $QUEUE@$SGE_HOST: using it (down.sh will not stop it)"
else
  pu=$(port_user "$EPORT"); [ -z "$pu" ] || die "port $EPORT (sge_execd) is already used by ${pu%,*} (pid ${pu#*,})"
  rm -f "$RUN/execd.pid"
  # sge_execd stays root (it starts sge_shepherd per job), daemonizes, writes $SGE_EXECD_PIDFILE.
  # Its log: $SPOOL/execd/$SGE_HOST/messages.
  ( close_inherited_fds; cd /; exec env -i "${DAEMON_ENV[@]}" SGE_EXECD_PIDFILE="$RUN/execd.pid" setsid timeout 60 /usr/sbin/sge_execd ) \
    </dev/null >>"$LOG/startup.log" 2>&1 || { tail -5 "$LOG/startup.log" >&2; die "sge_execd failed to start"; }
  for _ in $(seq 100); do alive "$RUN/execd.pid" sge_execd && break; sleep 0.1; done
  alive "$RUN/execd.pid" sge_execd || { tail -5 "$LOG/startup.log" "$SPOOL/execd/$SGE_HOST/messages" >&2 2>/dev/null; die "sge_execd did not start"; }
  log "started sge_execd (pid $(cat "$RUN/execd.pid"))"
fi
# wait until the queue instance has a load report and no u(nknown)/E(rror)/d(isabled) state
deadline=$(( $(date +%s) + TIMEOUT )); cleared=0
while :; do
  line=$(qi_line)
  st=$(awk 'NF>=6 {print $6}' <<<"$line")
  if [ -n "$line" ] && [ "$(awk '{print $4}' <<<"$line")" != -NA- ] && [[ ! "$st" =~ [uEdDs] ]] && execd_answers; then break; fi
  if [[ "$st" =~ [Ed] ]] && [ "$cleared" = 0 ]; then   # left over from an earlier run
    q qmod -c "$QUEUE@$SGE_HOST" >/dev/null 2>&1 || true; q qmod -e "$QUEUE@$SGE_HOST" >/dev/null 2>&1 || true; cleared=1
  fi
  if [ -s "$RUN/execd.pid" ] && ! alive "$RUN/execd.pid" sge_execd; then
    tail -10 "$SPOOL/execd/$SGE_HOST/messages" >&2 2>/dev/null; die "sge_execd exited"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { q qstat -f >&2 || true; die "$QUEUE@$SGE_HOST not up after ${TIMEOUT}s (state: ${st:-none}; ${line:-no queue instance})"; }
  sleep 0.2
done
log "$QUEUE@$SGE_HOST is up: $(awk '{print "slots (resv/used/tot) " $3 ", load " $4}' <<<"$line") (qmaster answered after $(secs "$t_daemons" "$t_qmaster")s, exec host up $(secs "$t_qmaster" "$(now)")s later)"

t_end=$(now)
cat <<EOF
Grid Engine loopback cluster is up (SGE 8.1.9; install $(secs "$t_start" "$t_installed")s, start $(secs "$t_daemons" "$t_end")s, total $(secs "$t_start" "$t_end")s).
  host: $SGE_HOST (= $names), queues: $QUEUE ($SLOTS slots), tiny.q ($TINY_SLOTS slots), PE: smp, licenses: ${LICENSES:-none}
  ports: qmaster $QPORT, execd $EPORT
  submit: qsub -terse -N NAME -o OUT -e ERR -wd DIR -S /bin/bash script.sh     (root jobs: $([ "$ROOT_JOBS" = 1 ] && echo allowed || echo "refused, use runuser -u $TEST_USER --"))
  poll:   qstat -xml -u '*'      cancel: qdel ID     exit status: qacct -j ID (accounting file $COMMON/accounting)
  logs:   $SPOOL/qmaster/messages, $SPOOL/execd/$SGE_HOST/messages, $LOG/   pids: $RUN/   stop: down.sh
EOF
