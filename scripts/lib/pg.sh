# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by the scripts that source this file.)
# Shared by scripts/pg-start, scripts/pg-stop, scripts/test and .ci/run: one place for the port,
# the credentials, the data directory and the binaries, so the scripts cannot drift apart.
# Sourced, not executed. Everything it prints goes to stderr.

PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
PG_PORT=${PG_PORT:-54329}
PG_HOST=127.0.0.1
PG_USER=postgres
PG_PASSWORD=postgres
PG_DATABASE=postgres
PG_URL="postgres://${PG_USER}:${PG_PASSWORD}@${PG_HOST}:${PG_PORT}/${PG_DATABASE}"
PG_COMPOSE_FILE="${PG_ROOT}/docker-compose.yml"
PG_APT_PACKAGES=(postgresql postgresql-contrib libpq-dev pkg-config)
# Every swift build/test/run of the repository's scripts enables the package trait of the Hummingbird
# integration (off by default for the package's users): its HTTP tests are part of the test run, and one
# build configuration serves all the scripts (toggling a trait rebuilds the package's modules).
SWIFT_TRAITS=(--traits Hummingbird)

pg_log() { printf '%s: %s\n' "${PG_LOG_NAME:-${0##*/}}" "$*" >&2; }
pg_die() { pg_log "error: $*"; exit 1; }

pg_is_root() { [[ $(id -u) -eq 0 ]]; }

# Our server ports lie in Linux's ephemeral range (32768-60999), so a client connection can have one as
# its local port; after it closes, its TIME_WAIT (60 s) keeps a server from binding that port ("could not
# bind ... Address already in use": seen when pg_basebackup's connection to the primary got the standby's
# port). The TIME_WAIT of a connection a server closed does not block its successor (it inherits the
# listener's SO_REUSEADDR), and `ss` cannot tell the two apart, so the start scripts do not wait up front:
# they retry, for at most PG_BIND_RETRY_SECONDS (70), when the server's log says exactly that.
PG_BIND_RETRY_SECONDS=${PG_BIND_RETRY_SECONDS:-70}

# The size of <log> in bytes (0 when it does not exist yet): where a start's own lines begin.
pg_log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# 0 when the lines of <log> after byte <offset> say the server could not listen because its port was
# taken ("could not bind ...: Address already in use").
pg_log_says_port_taken() {
    local log=$1 offset=$2
    tail -c +"$((offset + 1))" "$log" 2>/dev/null | grep -q 'could not bind .*Address already in use'
}

# Decides, after a start failed, whether to try again: 0 (after a 1 s pause) when the log lines since
# <offset> show the port held by a TIME_WAIT and <started> (seconds since epoch of the first attempt) is
# less than PG_BIND_RETRY_SECONDS ago.
#   pg_should_retry_bind <log> <offset> <started> <port>
pg_should_retry_bind() {
    local log=$1 offset=$2 started=$3 port=$4
    pg_log_says_port_taken "$log" "$offset" || return 1
    if (($(date +%s) - started >= PG_BIND_RETRY_SECONDS)); then
        pg_log "port $port was still taken after ${PG_BIND_RETRY_SECONDS} s"
        return 1
    fi
    pg_log "port $port is taken (a closed connection's TIME_WAIT when nothing listens on it: ss -tan 'sport = :$port'); retrying in 1 s"
    sleep 1
}

# Runs a command as the OS user that owns the cluster: `postgres` when we are root (the server
# refuses to run as root), ourselves otherwise. Runs from / so an unreadable cwd does not matter.
pg_as_owner() {
    if pg_is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# True when a Docker engine answers (the client alone is not enough).
pg_docker_available() {
    command -v docker >/dev/null 2>&1 &&
        timeout 15 docker info >/dev/null 2>&1 &&
        docker compose version >/dev/null 2>&1
}

# PG_START_MODE=auto|local|docker (default auto: docker when an engine answers, else local).
pg_mode() {
    case ${PG_START_MODE:-auto} in
    local) echo local ;;
    docker) echo docker ;;
    auto) if pg_docker_available; then echo docker; else echo local; fi ;;
    *) pg_die "PG_START_MODE must be auto, local or docker (got '${PG_START_MODE}')" ;;
    esac
}

# Directory holding initdb/pg_ctl/postgres/pg_isready: $PG_BIN, the highest
# /usr/lib/postgresql/*/bin, `pg_config --bindir`, or the directory of initdb on PATH.
# Prints nothing and fails when no server binaries are installed.
pg_find_bindir() {
    local dir
    if [[ -n ${PG_BIN:-} ]]; then
        [[ -x $PG_BIN/initdb ]] && { echo "$PG_BIN"; return 0; }
        pg_die "PG_BIN=$PG_BIN has no initdb"
    fi
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    [[ -n $dir && -x $dir/initdb ]] && { echo "$dir"; return 0; }
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        [[ -n $dir && -x $dir/initdb ]] && { echo "$dir"; return 0; }
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

pg_have_libpq_dev() {
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libpq
}

# Makes sure libpq-dev and pkg-config (always) and the server binaries (when need_server=1) are
# there. As root on Debian/Ubuntu it installs them; otherwise it prints the command and exits 1.
pg_ensure_installed() {
    local need_server=$1 missing=()
    pg_have_libpq_dev || missing+=("libpq-dev + pkg-config")
    if [[ $need_server == 1 ]] && ! pg_find_bindir >/dev/null; then
        missing+=("PostgreSQL server")
    fi
    [[ ${#missing[@]} -eq 0 ]] && return 0

    local what
    what=$(printf '%s; ' "${missing[@]}")
    what=${what%; }
    if ! command -v apt-get >/dev/null 2>&1; then
        pg_die "missing: ${what}. Install a PostgreSQL server (14 or newer) and the libpq development files (libpq-dev, pkg-config), then run again."
    fi
    if ! pg_is_root; then
        pg_log "missing: ${what}. Install them with:"
        echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${PG_APT_PACKAGES[*]}" >&2
        exit 1
    fi
    pg_log "missing: ${what}; running: apt-get update && apt-get install -y ${PG_APT_PACKAGES[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update >&2 </dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${PG_APT_PACKAGES[@]}" >&2 </dev/null
    pg_have_libpq_dev || pg_die "libpq-dev is still missing after apt-get install"
    if [[ $need_server == 1 ]]; then
        pg_find_bindir >/dev/null || pg_die "PostgreSQL server binaries are still missing after apt-get install"
    fi
}

# Sets PG_HOME (.pg of the repo, or /tmp/postgres-sessions-<port> when the postgres user cannot
# reach the repo), PG_DATA (PG_DATA_DIR overrides), PG_SOCKET_DIR and PG_LOG.
# Pure: pg-start and pg-stop resolve the same paths from the same environment.
pg_resolve_paths() {
    PG_HOME="${PG_ROOT}/.pg"
    PG_HOME_FALLBACK=0
    if pg_is_root && ! runuser -u postgres -- test -x "$PG_ROOT" 2>/dev/null; then
        PG_HOME="/tmp/postgres-sessions-${PG_PORT}"
        PG_HOME_FALLBACK=1
    fi
    PG_DATA=${PG_DATA_DIR:-$PG_HOME/data}
    PG_SOCKET_DIR="$PG_HOME/run"
    # A unix socket path may be at most 107 bytes long.
    if ((${#PG_SOCKET_DIR} + ${#PG_PORT} + 12 > 107)); then
        PG_SOCKET_DIR="/tmp/postgres-sessions-${PG_PORT}.run"
    fi
    PG_LOG="$PG_HOME/log/postgres.log"
}

# 0 when a server accepts connections on 127.0.0.1:$PG_PORT.
pg_ready() {
    local bindir=$1
    "$bindir/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1
}
