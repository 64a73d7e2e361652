# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by scripts/faults, which sources this file.)
# Helpers of scripts/faults: the fault suite's own throwaway cluster (durable settings, TLS, SCRAM, a
# DML-only role) and the certificates it uses. Sourced after scripts/lib/pg.sh, whose functions it uses
# and leaves as they are. Everything it prints goes to stderr.

FAULT_PORT=${FAULT_PORT:-54371}
FAULT_APP_ROLE=fault_app
FAULT_SUPERUSER_PASSWORD=postgres

# Makes a directory owned by the cluster's OS user (postgres when we are root), mode 0700 or $2.
faults_owned_dir() {
    mkdir -p "$1"
    if pg_is_root; then chown postgres: "$1"; fi
    chmod "${2:-0700}" "$1"
}

# faults_make_certs DIR: a CA, a server certificate it signs for 127.0.0.1 only (CN and an IP
# subjectAltName: a client that checks the name "localhost" must refuse it), and a second, unrelated CA.
# Writes DIR/ca.crt, DIR/other-ca.crt, DIR/server.crt and DIR/server.key (owned by the cluster's user,
# mode 0600, as the server demands).
faults_make_certs() {
    local dir=$1 ext
    command -v openssl >/dev/null 2>&1 || pg_die "openssl is needed for the TLS scenario (apt-get install openssl)"
    ext="$dir/server.ext"
    printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >"$ext"
    {
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=PostgresSessions fault CA" \
            -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
            -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Unrelated CA" \
                -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
                -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" &&
            openssl req -new -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
                -keyout "$dir/server.key" -out "$dir/server.csr" &&
            openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
                -days 2 -extfile "$ext" -out "$dir/server.crt"
    } >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; pg_die "openssl failed to make the certificates"; }
    rm -f "$dir/ca.key" "$dir/other-ca.key" "$dir/server.csr" "$dir/ca.srl" "$dir/openssl.log" "$ext"
    chmod 0644 "$dir/ca.crt" "$dir/other-ca.crt" "$dir/server.crt"
    chmod 0600 "$dir/server.key"
    if pg_is_root; then chown postgres: "$dir/server.key" "$dir/server.crt"; fi
}

# faults_init_cluster BINDIR HOME: initdb in HOME/data (superuser postgres/postgres, scram-sha-256 on
# TCP, trust on the unix socket in HOME/run), durable settings, TLS with HOME/tls, and a pg_hba.conf
# that lets the DML-only role in over TLS only.
faults_init_cluster() {
    local bindir=$1 home=$2 pwfile
    faults_owned_dir "$home/data"
    faults_owned_dir "$home/run"
    faults_owned_dir "$home/log"
    pwfile="$home/pwfile"
    printf '%s\n' "$FAULT_SUPERUSER_PASSWORD" >"$pwfile"
    if pg_is_root; then chown postgres: "$pwfile"; fi
    pg_as_owner "$bindir/initdb" --pgdata="$home/data" --username=postgres --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=trust --encoding=UTF8 --no-locale \
        >"$home/log/initdb.log" 2>&1 || { tail -n 20 "$home/log/initdb.log" >&2; pg_die "initdb failed"; }
    rm -f "$pwfile"
    pg_as_owner tee -a "$home/data/postgresql.conf" >/dev/null <<EOF

# scripts/faults: durable, so that acknowledged commits must survive a restart.
listen_addresses = '127.0.0.1'
port = $FAULT_PORT
unix_socket_directories = '$home/run'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 300
shared_buffers = 128MB
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$home/tls/server.crt'
ssl_key_file = '$home/tls/server.key'
log_min_messages = warning
EOF
    pg_as_owner tee "$home/data/pg_hba.conf" >/dev/null <<EOF
# scripts/faults
local   all  all                          trust
hostssl all  $FAULT_APP_ROLE  127.0.0.1/32  scram-sha-256
host    all  $FAULT_APP_ROLE  127.0.0.1/32  reject
host    all  all              127.0.0.1/32  scram-sha-256
EOF
}

# faults_psql BINDIR HOME SQL: runs SQL as the superuser over the cluster's unix socket.
faults_psql() {
    local bindir=$1 home=$2 sql=$3
    "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$home/run" -p "$FAULT_PORT" -U postgres -d postgres -c "$sql" >&2
}
