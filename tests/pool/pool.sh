#!/usr/bin/env bash
# A real, personal HTCondor pool for jobsub's tests, in a Debian trixie chroot.
#
#   pool.sh up        build (first time, ~1 min) or restart or reuse the pool; wait until usable
#   pool.sh down      stop HTCondor cleanly and unmount everything
#   pool.sh status    say whether the pool runs (exit 0 if it does, 3 if not)
#   pool.sh env       print `export` lines for a host process (eval "$(pool.sh env)")
#   pool.sh schedds   the names of the pool's two schedds, one per line
#   pool.sh run CMD   run CMD inside the pool as user jobsub, in /home/jobsub (or -C DIR)
#   pool.sh root CMD  run CMD inside the pool as root, in /
#   pool.sh push DIR  copy a host folder into the pool (owned by jobsub); print its path there
#   pool.sh pull PDIR DIR   copy a folder of the pool back to the host
#   pool.sh downtime N on|off   schedd N (1 or 2) advertises InDownTime (or not)
#   pool.sh schedd N off|on     stop or start schedd N (the master keeps it as told)
#   pool.sh destroy   down, then delete the chroot and client/
#
# Why a chroot: Debian bookworm has no HTCondor; trixie ships condor 23.9.6 with a
# single-node configuration (package minicondor). The host talks to the pool over
# 127.0.0.1 with an IDTOKEN (the 25.x Python bindings' FS authentication does not work
# against the 23.x daemons). The pool is shaped like a site's access points: it shares
# no folder with the host (whatever crosses, crosses through HTCondor), the host's token
# maps to a pool user who cannot see the host's files, and two schedds stand behind one
# collector. See README.md beside this file.
#
# Environment: JOBSUB_POOL_DIR (state dir, default /var/tmp/jobsub-pool),
# JOBSUB_POOL_TIMEOUT (seconds `up` waits for the pool, default 120),
# JOBSUB_POOL_MIRROR (Debian mirror), JOBSUB_POOL_PORT (collector port, default 9618),
# JOBSUB_POOL_CLIENT_OWNER (user:group owning client/, default $SUDO_UID:$SUDO_GID or root).

set -eu
set -o pipefail

STATE=$(readlink -m "${JOBSUB_POOL_DIR:-/var/tmp/jobsub-pool}")
ROOT=$STATE/root        # the trixie chroot
CLIENT=$STATE/client    # host-side condor_config and token
SUITE=trixie
MIRROR=${JOBSUB_POOL_MIRROR:-http://deb.debian.org/debian}
TIMEOUT=${JOBSUB_POOL_TIMEOUT:-120}
PORT=${JOBSUB_POOL_PORT:-9618}
UID_DOMAIN=jobsub.pool
TEST_USER=jobsub
TEST_UID=2000
TEST_GID=2000
# Packages inside the chroot: minicondor pulls condor; procps for ps/pkill in debugging.
PACKAGES="minicondor procps"
# The chroot's daemons write their logs here (host path: $ROOT$CONDOR_LOG).
CONDOR_LOG=/var/log/condor
# Beside the primary schedd's spool, not inside it: condor_preen cleans the primary SPOOL of
# whatever its own schedd does not know, and would delete schedd 2's running jobs' folders.
SCHEDD2_SPOOL=/var/spool/condor-schedd2
DOWNTIME_CONF=/etc/condor/config.d/98-jobsub-downtime.conf
# Where `run` starts and `push` puts folders, inside the pool.
POOL_HOME=/home/$TEST_USER
MASTER_PIDFILE=$CONDOR_LOG/master.pid
# A clean environment for everything run inside the chroot: no host CONDOR_CONFIG,
# _CONDOR_* or venv leaks into the pool.
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

T0=${EPOCHREALTIME/,/.}

log() {
    local now=${EPOCHREALTIME/,/.}
    POOL_MSG="$*" awk -v a="$T0" -v b="$now" 'BEGIN { printf "[pool %6.1fs] %s\n", b - a, ENVIRON["POOL_MSG"] }' >&2
}

die() {
    log "ERROR: $*"
    exit 1
}

need_root() {
    [ "$(id -u)" = 0 ] || die "'$1' needs root (chroot and mount); run it with sudo"
}

case "$STATE" in
    *[[:space:]]*) die "JOBSUB_POOL_DIR must not contain white space: '$STATE'" ;;
    /) die "JOBSUB_POOL_DIR must not be /" ;;
esac

# ---------------------------------------------------------------- mounts

# Every mount point at or under ROOT, as the kernel sees it (/proc/mounts, not our memory).
mounts_under_root() {
    awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts
}

is_mounted() {
    awk -v p="$1" '$2 == p { found = 1 } END { exit !found }' /proc/mounts
}

# Only what a machine needs of its own: proc, sys and devices. No folder of the host.
mount_all() {
    is_mounted "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
    is_mounted "$ROOT/sys" || mount -t sysfs sysfs "$ROOT/sys"
    local d
    for d in /dev /dev/pts /dev/shm; do
        if ! is_mounted "$ROOT$d"; then
            mount --bind "$d" "$ROOT$d"
            # Private, so that mounts made under ROOT never propagate back to the host
            # (on systemd hosts / is a shared mount).
            mount --make-private "$ROOT$d"
        fi
    done
}

umount_all() {
    local m _
    for _ in 1 2 3; do
        # Deepest first: sort reverse so /x/dev/pts comes before /x/dev.
        for m in $(mounts_under_root | sort -r); do
            umount "$m" 2>/dev/null || true
        done
        [ -z "$(mounts_under_root)" ] && return 0
        sleep 1
    done
    # Something still holds a mount busy: detach it lazily, which removes it from the
    # tree at once (so nothing below ROOT reaches the host's /dev any more).
    for m in $(mounts_under_root | sort -r); do
        log "mount $m busy; detaching it lazily"
        umount -l "$m" || true
    done
    [ -z "$(mounts_under_root)" ] || die "cannot unmount: $(mounts_under_root | tr '\n' ' ')"
}

# ---------------------------------------------------------------- processes

# PIDs of processes whose root directory is ROOT (every daemon and job of the pool).
pool_pids() {
    local p r
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        [ "$r" = "$ROOT" ] && echo "${p#/proc/}"
    done
    return 0
}

master_pid() {
    local pid
    [ -r "$ROOT$MASTER_PIDFILE" ] || return 1
    pid=$(cat "$ROOT$MASTER_PIDFILE" 2>/dev/null) || return 1
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    # Alive, a condor_master, and chrooted in OUR root (not a stale pid reused).
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = condor_master ] || return 1
    # (Only root may read another user's /proc/PID/root; others trust the comm check.)
    if [ "$(id -u)" = 0 ]; then
        [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$ROOT" ] || return 1
    fi
    echo "$pid"
}

# Run a command inside the chroot as root with a clean environment.
in_root() {
    env -i PATH="$CHROOT_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        chroot "$ROOT" "$@"
}

# ---------------------------------------------------------------- pool queries

# Number of slots in the collector (0 on any error).
slot_count() {
    in_root condor_status -af Name 2>/dev/null | grep -c . || true
}

# Schedd N answers a query. (Not `-name HOST` for the primary one: condor_q resolves a
# name without @ through DNS, and the chroot's host name may not resolve to it.)
schedd_answers_n() {
    if [ "$1" = 1 ]; then
        in_root condor_q -totals >/dev/null 2>&1
    else
        in_root condor_q -name "$(schedd_names | sed -n 2p)" -totals >/dev/null 2>&1
    fi
}

schedd_answers() {
    schedd_answers_n 1 && schedd_answers_n 2
}

pool_usable() {
    master_pid >/dev/null && [ "$(slot_count)" -ge 1 ] && schedd_answers
}

show_logs() {
    local f
    for f in MasterLog CollectorLog NegotiatorLog SchedLog StartLog SharedPortLog ProcLog; do
        [ -f "$ROOT$CONDOR_LOG/$f" ] || continue
        echo "==== $ROOT$CONDOR_LOG/$f (last 25 lines)" >&2
        tail -n 25 "$ROOT$CONDOR_LOG/$f" >&2
    done
}

# ---------------------------------------------------------------- build

# Where the pool is, for the pool and for the host alike: loopback only, IPv4 only.
loopback_config() {
    cat <<EOF
UID_DOMAIN = $UID_DOMAIN
FILESYSTEM_DOMAIN = $UID_DOMAIN
ENABLE_IPV6 = False
NETWORK_INTERFACE = 127.0.0.1
BIND_ALL_INTERFACES = False
CONDOR_HOST = 127.0.0.1
COLLECTOR_HOST = 127.0.0.1:$PORT
EOF
}

# The pool's own configuration. Compared on every `up`: a change restarts the daemons.
pool_config() {
    cat <<EOF
# Written by tests/pool/pool.sh; edits here are overwritten.
$(loopback_config)
SHARED_PORT_PORT = $PORT
# Daemon logs at a fixed place; the master's pid file is how pool.sh finds it.
LOG = $CONDOR_LOG
# No namespaces, no cgroups and no kernel tuning in this sandbox.
MOUNT_UNDER_SCRATCH =
BASE_CGROUP =
USE_PID_NAMESPACES = False
ENABLE_KERNEL_TUNING = False
DISCARD_SESSION_KEYRING_ON_STARTUP = False
# DAGMan as jobsub's tests need it.
DAGMAN_USE_STRICT = 0
DAGMAN_USER_LOG_SCAN_INTERVAL = 1
DAGMAN_SUBMIT_DELAY = 0
# The DAGMan job's DAG_* progress attributes, which jobsub status reads (default: 120 s).
DAGMAN_AD_UPDATE_INTERVAL = 2
# Fast cycles, so tests do not wait on timers.
NEGOTIATOR_INTERVAL = 1
NEGOTIATOR_MIN_INTERVAL = 1
NEGOTIATOR_CYCLE_DELAY = 1
NEGOTIATOR_UPDATE_INTERVAL = 1
SCHEDD_INTERVAL = 1
SCHEDD_MIN_INTERVAL = 1
SHADOW_QUEUE_UPDATE_INTERVAL = 1
STARTER_UPDATE_INTERVAL = 1
STARTER_INITIAL_UPDATE_INTERVAL = 1
UPDATE_INTERVAL = 1
MASTER_UPDATE_INTERVAL = 5
JOB_START_DELAY = 0
RUNBENCHMARKS = 0
# One partitionable slot of 4 cores and 8 GB, so several jobs run at once; always willing.
# A claim is given back as soon as its job ends (CLAIM_WORKLIFE = 0): otherwise a finished
# small job keeps its share for 20 minutes and a larger job waits behind it.
NUM_CPUS = 4
MEMORY = 8192
CLAIM_WORKLIFE = 0
UNUSED_CLAIM_TIMEOUT = 0
START = True
SUSPEND = False
# A way for tests to have a submission refused by the schedd itself.
SUBMIT_REQUIREMENT_NAMES = NotRefused
SUBMIT_REQUIREMENT_NotRefused = JobsubTestRefuse =!= true
SUBMIT_REQUIREMENT_NotRefused_REASON = "the test pool refuses jobs with JobsubTestRefuse"
PREEMPT = False
KILL = False
# Memory is enforced as sites enforce it: a job that uses more than its slot has is held
# (code 21, subcode 102), so jobsub's memory retry and analyze meet the real thing. (After
# PREEMPT = False: the policy ORs its own trigger onto it.)
use POLICY : HOLD_IF_MEMORY_EXCEEDED
# A slot whose job was held so leaves the Preempting state within seconds: 23.9's starter
# otherwise waits out the job's lease (40 min) for a shadow that has gone, keeping the slot.
MachineMaxVacateTime = 5
# Spooled jobs that were fetched (or may be removed) leave the queue within seconds.
PERIODIC_EXPR_INTERVAL = 2
# condor_preen (sites run it daily) deletes spool files no job owns: run it often here.
PREEN_INTERVAL = 120
# A second schedd, as sites with several access points behind one collector have: its own
# name (schedd2@HOST), spool (its own job queue) and logs.
SCHEDD2 = \$(SCHEDD)
SCHEDD2_ARGS = -local-name schedd2
DAEMON_LIST = \$(DAEMON_LIST) SCHEDD2
DC_DAEMON_LIST = + SCHEDD2
SCHEDD2.SCHEDD_NAME = schedd2
SCHEDD2.SPOOL = $SCHEDD2_SPOOL
SCHEDD2.JOB_QUEUE_LOG = $SCHEDD2_SPOOL/job_queue.log
SCHEDD2.SCHEDD_LOG = $CONDOR_LOG/SchedLog.schedd2
SCHEDD2.SCHEDD_ADDRESS_FILE = $SCHEDD2_SPOOL/.schedd_address
SCHEDD2.SCHEDD_DAEMON_AD_FILE = $SCHEDD2_SPOOL/.schedd_classad
# What site profiles select schedds on (jobsub_lite's attributes); \`pool.sh downtime\`
# overrides InDownTime per schedd in $DOWNTIME_CONF.
IsJobsubLite = true
SupportedVOList = "fermilab,jobsub"
InDownTime = false
SCHEDD_ATTRS = \$(SCHEDD_ATTRS) IsJobsubLite SupportedVOList InDownTime
EOF
}

client_config() {
    cat <<EOF
# Host-side client configuration for the jobsub test pool (written by tests/pool/pool.sh).
# Use it with CONDOR_CONFIG=$CLIENT/condor_config.
$(loopback_config)
# No SCHEDD_ADDRESS_FILE, no SCHEDD_HOST: like a login node, the host finds the pool's
# schedds through the collector only.
# Authenticate as $TEST_USER@$UID_DOMAIN with the token in SEC_TOKEN_DIRECTORY (FS
# authentication fails between the 25.x bindings and the 23.x daemons).
SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS
SEC_DEFAULT_AUTHENTICATION_METHODS = IDTOKENS
SEC_TOKEN_DIRECTORY = $CLIENT/tokens.d
SEC_PASSWORD_DIRECTORY = $CLIENT/local/passwords.d
SEC_CLIENT_AUTHENTICATION = REQUIRED
# Keep any client-side logs out of system directories.
LOCAL_DIR = $CLIENT/local
LOG = $CLIENT/local/log
SPOOL = $CLIENT/local/spool
LOCK = $CLIENT/local/lock
RUN = $CLIENT/local/run
EOF
}

# debootstrap + packages, once. The marker says the root is complete; a root without it
# is a half-built leftover and is rebuilt.
bootstrap() {
    if [ -f "$ROOT/.jobsub-pool-bootstrapped" ]; then
        return 0
    fi
    if [ -e "$ROOT" ]; then
        log "removing incomplete root $ROOT"
        remove_root
    fi
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap on the host"
        mkdir -p "$STATE"
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; } \
            >"$STATE/host-apt.log" 2>&1 ||
            { tail -n 20 "$STATE/host-apt.log" >&2; die "installing debootstrap failed (log: $STATE/host-apt.log)"; }
    fi
    log "debootstrap $SUITE into $ROOT (about 30 s)"
    mkdir -p "$STATE"
    debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 ||
        { tail -n 30 "$STATE/debootstrap.log" >&2; die "debootstrap failed (log: $STATE/debootstrap.log)"; }
    # Package scripts must not start services inside the chroot: we start condor ourselves.
    printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
    chmod 755 "$ROOT/usr/sbin/policy-rc.d"
    mount_all
    log "installing $PACKAGES in the chroot (about 15 s)"
    in_root sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $PACKAGES && apt-get clean" \
        >"$STATE/apt.log" 2>&1 ||
        { tail -n 30 "$STATE/apt.log" >&2; die "package installation in the chroot failed (log: $STATE/apt.log)"; }
    touch "$ROOT/.jobsub-pool-bootstrapped"
    log "root built: $(du -sh --one-file-system "$ROOT" | cut -f1)"
}

# Cheap, idempotent setup, on every `up`: test user, hosts, spool of schedd 2, config.
configure() {
    mkdir -p "$CLIENT/tokens.d" "$CLIENT/local/log" "$CLIENT/local/spool" \
        "$CLIENT/local/lock" "$CLIENT/local/run" "$CLIENT/local/passwords.d"

    # Jobs cannot run as root or condor: an unprivileged user owns the tests' jobs.
    if ! in_root getent passwd "$TEST_USER" >/dev/null; then
        in_root groupadd -g "$TEST_GID" "$TEST_USER"
        in_root useradd -u "$TEST_UID" -g "$TEST_GID" -m -s /bin/sh "$TEST_USER"
    fi
    # The daemons resolve this machine's name; the chroot's /etc/hosts does not know it
    # (and the host name may change between sessions on a reused machine).
    local h
    h=$(hostname)
    grep -v '# jobsub-pool$' "$ROOT/etc/hosts" >"$ROOT/etc/hosts.new" || true
    printf '127.0.0.1\t%s # jobsub-pool\n' "$h" >>"$ROOT/etc/hosts.new"
    mv -f "$ROOT/etc/hosts.new" "$ROOT/etc/hosts"
    mkdir -p "$ROOT$CONDOR_LOG" "$ROOT$SCHEDD2_SPOOL"
    # By name inside the chroot: the host may have no condor user, or another uid for it.
    in_root chown condor:condor "$CONDOR_LOG" "$SCHEDD2_SPOOL"
}

# Every `up` starts with both schedds in service (a test may have left one in downtime).
reset_downtime() {
    [ -e "$ROOT$DOWNTIME_CONF" ] || return 0
    rm -f "$ROOT$DOWNTIME_CONF"
    master_pid >/dev/null || return 0
    in_root condor_reconfig >/dev/null
    local deadline=$(($(date +%s) + 30))
    while in_root condor_status -schedd -af InDownTime 2>/dev/null | grep -q true; do
        [ "$(date +%s)" -lt "$deadline" ] || die "a schedd still advertises InDownTime = true"
        sleep 0.5
    done
}

write_pool_config() {
    pool_config >"$ROOT/etc/condor/config.d/99-jobsub-pool.conf"
}

pool_config_current() {
    [ -f "$ROOT/etc/condor/config.d/99-jobsub-pool.conf" ] &&
        pool_config | cmp -s - "$ROOT/etc/condor/config.d/99-jobsub-pool.conf"
}

# Host-side client config and an IDTOKEN for $TEST_USER@$UID_DOMAIN, minted by the pool.
write_client() {
    local tok
    write_client_config
    # The pool signing key is created by the daemons on first start; mint after that.
    tok=$(in_root condor_token_create -identity "$TEST_USER@$UID_DOMAIN" 2>"$STATE/token.err") ||
        { cat "$STATE/token.err" >&2; die "condor_token_create failed"; }
    [ -n "$tok" ] || die "condor_token_create printed no token"
    (umask 077 && printf '%s\n' "$tok" >"$CLIENT/tokens.d/jobsub.token.new")
    mv -f "$CLIENT/tokens.d/jobsub.token.new" "$CLIENT/tokens.d/jobsub"
    chmod 700 "$CLIENT/tokens.d"
    chmod 600 "$CLIENT/tokens.d/jobsub"
    chown_client
}

write_client_config() {
    client_config >"$CLIENT/condor_config.new"
    chmod 644 "$CLIENT/condor_config.new"
    mv -f "$CLIENT/condor_config.new" "$CLIENT/condor_config"
    chown_client
}

# A non-root host process must read its token: give client/ to the invoking user.
chown_client() {
    chown -R "${JOBSUB_POOL_CLIENT_OWNER:-${SUDO_UID:-0}:${SUDO_GID:-0}}" "$CLIENT"
}

# ---------------------------------------------------------------- start / stop

start_daemons() {
    log "starting condor_master"
    rm -f "$ROOT$MASTER_PIDFILE"
    # 9>&-: the daemons must not inherit (and hold forever) the lock on fd 9.
    in_root /usr/sbin/condor_master -pidfile "$MASTER_PIDFILE" 9>&- ||
        die "condor_master failed to start"
    local deadline=$(($(date +%s) + TIMEOUT)) n
    while :; do
        if master_pid >/dev/null; then
            n=$(slot_count)
            if [ "$n" -ge 1 ] && schedd_answers; then
                log "pool up: $n slot(s), both schedds answer"
                return 0
            fi
        elif [ -f "$ROOT$MASTER_PIDFILE" ] || [ $(($(date +%s) + TIMEOUT - deadline)) -gt 5 ]; then
            show_logs
            die "condor_master is not running"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            show_logs
            die "no slot and schedd within ${TIMEOUT}s"
        fi
        sleep 0.5
    done
}

stop_daemons() {
    local pid i
    if pid=$(master_pid); then
        log "stopping condor_master (pid $pid)"
        # SIGTERM = graceful shutdown of all daemons (jobs are vacated).
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 60); do
            [ -d "/proc/$pid" ] || break
            # Fast shutdown after 20 s, kill after 30 s.
            if [ "$i" = 40 ]; then kill -QUIT "$pid" 2>/dev/null || true; fi
            if [ "$i" = 60 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
            sleep 0.5
        done
    fi
    # Whatever is left running in the root (stray jobs, procd, a `run` shell) would keep
    # the mounts busy.
    local left
    left=$(pool_pids)
    if [ -n "$left" ]; then
        log "terminating leftover processes in the root: $(echo $left)"
        kill -TERM $left 2>/dev/null || true
        for i in $(seq 1 10); do
            left=$(pool_pids)
            [ -z "$left" ] && break
            sleep 0.5
        done
        [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$ROOT$MASTER_PIDFILE"
}

remove_root() {
    # Never delete while anything (the host's /dev) is mounted inside.
    umount_all
    if [ -n "$(mounts_under_root)" ]; then
        die "refusing to delete $ROOT: still mounted: $(mounts_under_root | tr '\n' ' ')"
    fi
    rm -rf --one-file-system "$ROOT"
}

# ---------------------------------------------------------------- commands

lock() {
    mkdir -p "$STATE"
    exec 9>"$STATE/.lock"
    flock -w 600 9 || die "another pool.sh holds $STATE/.lock"
}

cmd_up() {
    need_root up
    lock
    if master_pid >/dev/null; then
        if ! pool_config_current; then
            log "pool configuration changed: restarting the daemons"
            stop_daemons
        elif pool_usable; then
            configure
            reset_downtime
            # Config from this version of the script; token only if it is missing.
            if [ -s "$CLIENT/tokens.d/jobsub" ]; then write_client_config; else write_client; fi
            log "pool already running: reused"
            return 0
        else
            log "master runs but the pool does not answer: restarting the daemons"
            stop_daemons
        fi
    fi
    # Fail loudly and leave nothing half-started.
    # shellcheck disable=SC2154  # rc is assigned inside the trap
    trap 'rc=$?; if [ $rc != 0 ]; then log "up failed: stopping what was started"; stop_daemons; umount_all; fi' EXIT
    bootstrap
    mount_all
    configure
    rm -f "$ROOT$DOWNTIME_CONF"
    write_pool_config
    start_daemons
    write_client
    trap - EXIT
    log "ready; eval \"\$($0 env)\" to use it from the host"
}

cmd_down() {
    need_root down
    lock
    if [ -d "$ROOT" ]; then
        stop_daemons
    fi
    umount_all
    log "pool down"
}

cmd_destroy() {
    need_root destroy
    lock
    if [ -d "$ROOT" ]; then
        stop_daemons
        log "removing $ROOT"
        remove_root
    fi
    # (shared/ was the test scratch folder of pools that shared one with the host.)
    rm -rf --one-file-system "$CLIENT" "$STATE/shared"
    log "destroyed"
}

cmd_status() {
    local pid
    if pid=$(master_pid); then
        if [ "$(id -u)" = 0 ]; then
            echo "running: master pid $pid, $(slot_count) slot(s), schedds $(schedd_answers && echo answer || echo 'do not all answer')"
        else
            echo "running: master pid $pid"
        fi
        return 0
    fi
    if [ -f "$ROOT/.jobsub-pool-bootstrapped" ]; then
        echo "stopped (root built at $ROOT)"
    else
        echo "absent (no root at $ROOT)"
    fi
    return 3
}

cmd_env() {
    [ -f "$CLIENT/condor_config" ] || die "no client config at $CLIENT: run '$0 up' first"
    printf 'export CONDOR_CONFIG=%q\n' "$CLIENT/condor_config"
    printf 'export JOBSUB_POOL_DIR=%q\n' "$STATE"
}

# The pool's schedd names: the primary one first, then schedd2@HOST.
schedd_names() {
    local host
    host=$(in_root condor_config_val FULL_HOSTNAME) || die "cannot read FULL_HOSTNAME in the pool"
    printf '%s\n%s\n' "$host" "schedd2@$host"
}

cmd_schedds() {
    [ -f "$ROOT/.jobsub-pool-bootstrapped" ] || die "no pool root: $0 up"
    schedd_names
}

# Run as the pool's user in a pool folder, with the pool's own clean environment.
as_user() {
    local cwd=$1
    shift
    env -i PATH="$CHROOT_PATH" HOME="$POOL_HOME" USER="$TEST_USER" \
        LOGNAME="$TEST_USER" LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        chroot --userspec="$TEST_UID:$TEST_GID" --groups="$TEST_GID" "$ROOT" \
        /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
}

cmd_run() {
    need_root run
    local cwd=$POOL_HOME
    if [ "${1:-}" = -C ]; then
        [ $# -ge 2 ] || die "usage: $0 run [-C POOLDIR] CMD [ARGS...]"
        cwd=$2
        shift 2
    fi
    [ $# -ge 1 ] || die "usage: $0 run [-C POOLDIR] CMD [ARGS...]"
    master_pid >/dev/null || die "the pool is not running: $0 up"
    as_user "$cwd" "$@"
}

cmd_root() {
    need_root root
    [ $# -ge 1 ] || die "usage: $0 root CMD [ARGS...]"
    [ -f "$ROOT/.jobsub-pool-bootstrapped" ] || die "no pool root: $0 up"
    # Usable for inspection while the pool is down too: mount what is missing.
    mount_all
    in_root "$@"
}

# Copy a host folder into the pool, as the pool's user would receive it (scp to an access
# point): a fresh folder under $POOL_HOME/pushed, owned by that user. Prints its path.
cmd_push() {
    need_root push
    [ $# = 1 ] && [ -d "$1" ] || die "usage: $0 push HOSTDIR"
    local dest
    dest=$(as_user "$POOL_HOME" sh -c 'mkdir -p pushed && mktemp -d "$PWD/pushed/$1.XXXXXX"' \
        sh "$(basename "$1")") || die "push: cannot make a folder in the pool"
    tar -C "$1" -cf - . | as_user "$dest" tar -xf - --no-same-owner ||
        die "push: copying $1 into the pool failed"
    echo "$dest"
}

# Copy a pool folder back to the host (what a user would scp back from an access point).
cmd_pull() {
    need_root pull
    [ $# = 2 ] || die "usage: $0 pull POOLDIR HOSTDIR"
    mkdir -p "$2"
    as_user "$1" tar -cf - . | tar -C "$2" -xf - --no-same-owner ||
        die "pull: copying $1 out of the pool failed"
}

# Schedd N (1: the primary, 2: schedd2) as the config knows it: its prefix for per-daemon
# settings, its daemon-list name.
schedd_prefix() {
    case "$1" in
        1) echo SCHEDD ;;
        2) echo SCHEDD2 ;;
        *) die "schedd number must be 1 or 2, not '$1'" ;;
    esac
}

# InDownTime = true|false for one schedd; waits until the collector shows it.
cmd_downtime() {
    need_root downtime
    [ $# = 2 ] || die "usage: $0 downtime 1|2 on|off"
    local prefix value name other
    prefix=$(schedd_prefix "$1")
    case "$2" in on) value=true ;; off) value=false ;; *) die "downtime: on or off, not '$2'" ;; esac
    lock
    touch "$ROOT$DOWNTIME_CONF"
    # SCHEDD.X also applies to schedd2 (same subsystem) unless SCHEDD2.X says otherwise.
    grep -v "^$prefix\.InDownTime" "$ROOT$DOWNTIME_CONF" >"$ROOT$DOWNTIME_CONF.new" || true
    echo "$prefix.InDownTime = $value" >>"$ROOT$DOWNTIME_CONF.new"
    grep -q '^SCHEDD2\.InDownTime' "$ROOT$DOWNTIME_CONF.new" ||
        echo "SCHEDD2.InDownTime = false" >>"$ROOT$DOWNTIME_CONF.new"
    mv -f "$ROOT$DOWNTIME_CONF.new" "$ROOT$DOWNTIME_CONF"
    in_root condor_reconfig >/dev/null || die "condor_reconfig failed"
    name=$(schedd_names | sed -n "${1}p")
    local deadline=$(($(date +%s) + 30))
    while :; do
        other=$(in_root condor_status -schedd -constraint "Name == \"$name\"" -af InDownTime 2>/dev/null)
        [ "$other" = "$value" ] && break
        [ "$(date +%s)" -lt "$deadline" ] || die "schedd $name does not advertise InDownTime = $value"
        sleep 0.5
    done
    log "schedd $name: InDownTime = $value"
}

# Stop or start one schedd through the master (as an admin would for maintenance).
cmd_schedd() {
    need_root schedd
    [ $# = 2 ] || die "usage: $0 schedd 1|2 off|on"
    local prefix name deadline
    prefix=$(schedd_prefix "$1")
    name=$(schedd_names | sed -n "${1}p")
    case "$2" in
        off)
            in_root condor_off -fast -daemon "$prefix" >/dev/null || die "condor_off failed"
            deadline=$(($(date +%s) + 30))
            while schedd_answers_n "$1"; do
                [ "$(date +%s)" -lt "$deadline" ] || die "schedd $name still answers"
                sleep 0.5
            done
            ;;
        on)
            in_root condor_on -daemon "$prefix" >/dev/null || die "condor_on failed"
            deadline=$(($(date +%s) + 60))
            until schedd_answers_n "$1"; do
                [ "$(date +%s)" -lt "$deadline" ] || die "schedd $name does not answer"
                sleep 0.5
            done
            ;;
        *) die "schedd: off or on, not '$2'" ;;
    esac
    log "schedd $name: $2"
}

main() {
    [ $# -ge 1 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
    local cmd=$1
    shift
    case "$cmd" in
        up) cmd_up ;;
        down) cmd_down ;;
        status) cmd_status ;;
        env) cmd_env ;;
        schedds) cmd_schedds ;;
        run) cmd_run "$@" ;;
        root) cmd_root "$@" ;;
        push) cmd_push "$@" ;;
        pull) cmd_pull "$@" ;;
        downtime) cmd_downtime "$@" ;;
        schedd) cmd_schedd "$@" ;;
        destroy) cmd_destroy ;;
        -h | --help | help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown command '$cmd' (see $0 help)" ;;
    esac
}

main "$@"
