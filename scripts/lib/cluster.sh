# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by scripts/pg-cluster, which sources this file.)
# The primary + streaming standby + PgBouncer cluster of scripts/pg-cluster: ports, paths, URLs and
# the small helpers its commands share. Sourced, not executed; sources scripts/lib/pg.sh for the
# credentials, pg_log/pg_die, pg_as_owner and pg_find_bindir. Everything it prints goes to stderr.

# shellcheck source=scripts/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-54381}
[[ $CLUSTER_PORT_BASE =~ ^[0-9]+$ ]] || pg_die "CLUSTER_PORT_BASE must be a number (got '$CLUSTER_PORT_BASE')"
CLUSTER_PRIMARY_PORT=${CLUSTER_PRIMARY_PORT:-$CLUSTER_PORT_BASE}
CLUSTER_STANDBY_PORT=${CLUSTER_STANDBY_PORT:-$((CLUSTER_PORT_BASE + 1))}
CLUSTER_PGBOUNCER_PORT=${CLUSTER_PGBOUNCER_PORT:-$((CLUSTER_PORT_BASE + 2))}
CLUSTER_TIMEOUT=${CLUSTER_TIMEOUT:-60}
# The standby's application_name (what synchronous_standby_names names) and its physical slot.
CLUSTER_STANDBY_NAME=standby1
CLUSTER_SLOT=standby1

cluster_check_settings() {
    local name value
    for name in CLUSTER_PRIMARY_PORT CLUSTER_STANDBY_PORT CLUSTER_PGBOUNCER_PORT CLUSTER_TIMEOUT; do
        value=${!name}
        [[ $value =~ ^[0-9]+$ ]] || pg_die "$name must be a number (got '$value')"
    done
    for name in CLUSTER_PRIMARY_PORT CLUSTER_STANDBY_PORT CLUSTER_PGBOUNCER_PORT; do
        value=${!name}
        ((value >= 1024 && value <= 65535)) || pg_die "$name must be between 1024 and 65535 (got $value)"
    done
    if [[ $CLUSTER_PRIMARY_PORT == "$CLUSTER_STANDBY_PORT" || $CLUSTER_PRIMARY_PORT == "$CLUSTER_PGBOUNCER_PORT" ||
        $CLUSTER_STANDBY_PORT == "$CLUSTER_PGBOUNCER_PORT" ]]; then
        pg_die "the primary, standby and PgBouncer ports must differ ($CLUSTER_PRIMARY_PORT, $CLUSTER_STANDBY_PORT, $CLUSTER_PGBOUNCER_PORT)"
    fi
}

# postgres://postgres:postgres@127.0.0.1:<port>/postgres
cluster_url() { echo "postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:$1/${PG_DATABASE}"; }

# Sets CLUSTER_HOME (CLUSTER_DIR, else .pg-cluster of the repo, else /tmp/postgres-sessions-cluster-<port>
# when the postgres user cannot reach the repo), PRIMARY_DATA, STANDBY_DATA, BOUNCER_DIR, CLUSTER_LOG_DIR,
# CLUSTER_SOCKET_DIR, CLUSTER_ENV_FILE, CLUSTER_PROMOTED_MARK. Pure: every command resolves the same paths.
cluster_resolve_paths() {
    CLUSTER_HOME_FALLBACK=0
    if [[ -n ${CLUSTER_DIR:-} ]]; then
        CLUSTER_HOME=$CLUSTER_DIR
    else
        CLUSTER_HOME="${PG_ROOT}/.pg-cluster"
        if pg_is_root && ! runuser -u postgres -- test -x "$PG_ROOT" 2>/dev/null; then
            CLUSTER_HOME="/tmp/postgres-sessions-cluster-${CLUSTER_PRIMARY_PORT}"
            CLUSTER_HOME_FALLBACK=1
        fi
    fi
    PRIMARY_DATA="$CLUSTER_HOME/primary"
    STANDBY_DATA="$CLUSTER_HOME/standby"
    BOUNCER_DIR="$CLUSTER_HOME/pgbouncer"
    CLUSTER_LOG_DIR="$CLUSTER_HOME/log"
    CLUSTER_SOCKET_DIR="$CLUSTER_HOME/run"
    # A unix socket path may be at most 107 bytes long.
    if ((${#CLUSTER_SOCKET_DIR} + 20 > 107)); then
        CLUSTER_SOCKET_DIR="/tmp/postgres-sessions-cluster-${CLUSTER_PRIMARY_PORT}.run"
    fi
    CLUSTER_ENV_FILE="$CLUSTER_HOME/env"
    CLUSTER_PROMOTED_MARK="$CLUSTER_HOME/promoted"
}

# Creates a directory owned by the cluster's OS user, mode 0700.
cluster_owned_dir() {
    mkdir -p "$1"
    if pg_is_root; then chown postgres: "$1"; fi
    chmod 0700 "$1"
}

# Runs psql over TCP as postgres/postgres against 127.0.0.1:<port>, unaligned, tuples only, stopping on
# the first error. The caller's PG* variables (PGOPTIONS, PGTARGETSESSIONATTRS, ...) do not leak in.
#   cluster_psql <port> <sql> [psql options...]
cluster_psql() {
    local port=$1 sql=$2
    shift 2
    env -u PGOPTIONS -u PGSERVICE -u PGSERVICEFILE -u PGTARGETSESSIONATTRS -u PGHOSTADDR -u PGSSLMODE \
        -u PGAPPNAME -u PGTZ -u PGDATESTYLE -u PGCLIENTENCODING -u PGPASSFILE \
        PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 \
        psql -X -q -A -t -v ON_ERROR_STOP=1 \
        "host=$PG_HOST port=$port user=$PG_USER dbname=$PG_DATABASE application_name=pg-cluster" \
        -c "$sql" "$@"
}

# 0 when the postmaster of <datadir> runs (pg_ctl status: 3 = not running, 4 = no data directory).
cluster_pg_running() {
    local datadir=$1
    [[ -f $datadir/postmaster.pid ]] || return 1
    pg_as_owner "$CLUSTER_BIN/pg_ctl" status --pgdata="$datadir" >/dev/null 2>&1
}

# 0 when something accepts connections on 127.0.0.1:<port>.
cluster_port_answers() {
    "$CLUSTER_BIN/pg_isready" -q -h "$PG_HOST" -p "$1" -t 2 >/dev/null 2>&1
}

# 0 when <datadir> is a standby (standby.signal present) that has not been promoted.
cluster_is_standby_dir() { [[ -f $1/standby.signal ]]; }

# Starts the server of <datadir> (already configured) and waits until it accepts connections.
#   cluster_pg_start <name> <datadir> <port> <log>
cluster_pg_start() {
    local name=$1 datadir=$2 port=$3 log=$4
    if cluster_pg_running "$datadir"; then
        pg_log "$name already runs (port $port); reloading its settings"
        pg_as_owner "$CLUSTER_BIN/pg_ctl" reload --pgdata="$datadir" >/dev/null
        return 0
    fi
    if cluster_port_answers "$port"; then
        pg_die "port $port is taken by a server that is not our $name; stop it or set CLUSTER_PORT_BASE (or CLUSTER_${name^^}_PORT)"
    fi
    local started offset
    started=$(date +%s)
    while :; do
        offset=$(pg_log_size "$log")
        pg_log "starting the $name on $PG_HOST:$port (data $datadir, log $log)"
        if pg_as_owner "$CLUSTER_BIN/pg_ctl" start --pgdata="$datadir" --log="$log" --wait \
            --timeout="$CLUSTER_TIMEOUT" >/dev/null; then
            return 0
        fi
        pg_should_retry_bind "$log" "$offset" "$started" "$port" && continue
        tail -n 30 "$log" >&2 2>/dev/null || true
        pg_die "the $name did not start within $CLUSTER_TIMEOUT s; see $log"
    done
}

# Stops the server of <datadir> when it runs. <mode> is fast (default) or immediate (a crash).
cluster_pg_stop() {
    local name=$1 datadir=$2 mode=${3:-fast}
    if cluster_pg_running "$datadir"; then
        pg_log "stopping the $name ($datadir, -m $mode)"
        pg_as_owner "$CLUSTER_BIN/pg_ctl" stop --pgdata="$datadir" --mode="$mode" --wait \
            --timeout="$CLUSTER_TIMEOUT" >/dev/null || pg_die "pg_ctl stop failed for the $name in $datadir"
        return 0
    fi
    return 1
}

# The pid of our PgBouncer when it runs (read from its pidfile and checked against /proc), else nothing.
cluster_bouncer_pid() {
    local pid
    [[ -f $BOUNCER_DIR/pgbouncer.pid ]] || return 1
    pid=$(<"$BOUNCER_DIR/pgbouncer.pid") || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid must not be taken for ours: its command line names our ini file.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$BOUNCER_DIR/pgbouncer.ini" || return 1
    echo "$pid"
}

# PgBouncer's binary: PGBOUNCER_BIN, else pgbouncer on PATH or in /usr/sbin. Installs the Debian package
# when missing and root; otherwise prints the command and exits.
cluster_find_bouncer() {
    if [[ -n ${PGBOUNCER_BIN:-} ]]; then
        [[ -x $PGBOUNCER_BIN ]] || pg_die "PGBOUNCER_BIN=$PGBOUNCER_BIN is not executable"
        echo "$PGBOUNCER_BIN"
        return 0
    fi
    local bin
    bin=$(command -v pgbouncer 2>/dev/null || true)
    [[ -z $bin && -x /usr/sbin/pgbouncer ]] && bin=/usr/sbin/pgbouncer
    if [[ -z $bin ]]; then
        command -v apt-get >/dev/null 2>&1 || pg_die "PgBouncer is missing; install PgBouncer 1.18 or newer (or set PGBOUNCER_BIN)"
        if ! pg_is_root; then
            pg_log "PgBouncer is missing. Install it with:"
            echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer" >&2
            exit 1
        fi
        pg_log "PgBouncer is missing; running: apt-get update && apt-get install -y pgbouncer"
        DEBIAN_FRONTEND=noninteractive apt-get update >&2 </dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer >&2 </dev/null
        bin=$(command -v pgbouncer 2>/dev/null || true)
        [[ -z $bin && -x /usr/sbin/pgbouncer ]] && bin=/usr/sbin/pgbouncer
        [[ -n $bin ]] || pg_die "pgbouncer is still missing after apt-get install"
    fi
    echo "$bin"
}
