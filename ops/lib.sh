# Shared by the ops scripts (sourced, not run): make this machine ready for LML.
# Every step looks before it acts, so running it again changes nothing.
# shellcheck shell=bash disable=SC2034  # (variables used by the scripts that source this file)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
RUN_DIR="$ROOT/.run"
UV_VERSION="0.13.8"

# Ports of the local services the scripts look for, or start when nothing answers there.
OPS_POSTGRES_PORT="${OPS_POSTGRES_PORT:-5432}"
OPS_REDIS_PORT="${OPS_REDIS_PORT:-6379}"
OPS_MONGO_PORT="${OPS_MONGO_PORT:-27017}"
OPS_STRIPE_PORT="${OPS_STRIPE_PORT:-8420}"
OPS_SMTP_PORT="${OPS_SMTP_PORT:-1025}"

say() { printf '==> %s\n' "$*"; }
die() { printf '==> error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo -n "$@"
    else
        die "this step needs root: $*"
    fi
}

_apt_updated=""
# install_missing LABEL COMMAND... -- APT_ARGS...: Debian's package(s) when one of the commands is not
# found (/usr/sbin included: some packages put their daemon there).
install_missing() {
    local label=$1 missing=""
    shift
    while [[ $1 != -- ]]; do
        PATH="$PATH:/usr/sbin" command -v "$1" >/dev/null || missing=1
        shift
    done
    shift
    if [[ -z $missing ]]; then
        say "$label: already installed"
        return 0
    fi
    say "$label: not installed"
    apt_install "$@"
}

apt_install() {
    command -v apt-get >/dev/null || die "apt-get is not available: install $* by hand"
    if [[ -z $_apt_updated ]]; then
        say "apt: updating the package lists"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _apt_updated=1
    fi
    say "apt: installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until SECONDS WHAT PID COMMAND...: poll COMMAND until it succeeds; give up at the deadline,
# or at once when PID (a process we started for it; "" if none) has exited.
wait_until() {
    local seconds=$1 what=$2 pid=$3
    local deadline=$((SECONDS + seconds))
    shift 3
    until "$@"; do
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            die "$what exited before it was ready"
        fi
        ((SECONDS < deadline)) || die "$what was not ready within $seconds s"
        sleep 0.2
    done
}

# ---------------------------------------------------------------- Python

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

setup_python() {
    if [[ -x $VENV/bin/python ]]; then
        say "Python: virtualenv .venv already exists"
    else
        local python minor
        python="$(find_python)" || die "Python 3.11 or newer is needed (python3.11 or python3 on PATH)"
        if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
            # Debian's own Python ships venv's pip bootstrap as a separate package.
            minor="$("$python" -c 'import sys; print(sys.version_info.minor)')"
            apt_install "python3.$minor-venv"
        fi
        say "Python: creating .venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV"
    fi

    if [[ "$("$VENV/bin/uv" --version 2>/dev/null)" == "uv $UV_VERSION"* ]]; then
        say "Python: uv $UV_VERSION already in .venv"
    else
        # A virtualenv created by uv itself has no pip.
        "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip --upgrade >/dev/null
        say "Python: installing uv $UV_VERSION into .venv"
        "$VENV/bin/python" -m pip install --quiet "uv==$UV_VERSION"
    fi

    # --inexact leaves uv (and pip) in the virtualenv although uv.lock does not list them.
    local sync=(env -u VIRTUAL_ENV UV_PROJECT_ENVIRONMENT="$VENV" UV_PYTHON_DOWNLOADS=never
        "$VENV/bin/uv" sync --project "$ROOT" --frozen --inexact)
    if "${sync[@]}" --check --quiet >/dev/null 2>&1; then
        say "Python: packages already match uv.lock"
    else
        say "Python: installing the packages locked in uv.lock"
        "${sync[@]}"
    fi
}

# ---------------------------------------------------------------- PostgreSQL

pg_answers() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h 127.0.0.1 -p "$1" -t 2
    else
        port_open "$1"
    fi
}

# A cluster that these scripts installed or started is a development cluster: let this machine
# connect over TCP without a password (Debian's default asks for one).
trust_local_connections() {
    local hba="/etc/postgresql/$1/$2/pg_hba.conf" rule="host all all 127.0.0.1/32 trust"
    if as_root grep -qxF "$rule" "$hba"; then
        return 0
    fi
    say "PostgreSQL: allowing passwordless connections from 127.0.0.1 to cluster $1/$2 (development)"
    as_root sed -i -e "1i # Added by LML's ops scripts: a development cluster, trusted from this machine only." \
        -e "1i $rule" "$hba"
}

start_local_postgres() {
    local port=$1 version="" name="" status=""
    if ! command -v pg_lsclusters >/dev/null || ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
        say "PostgreSQL: not installed"
        apt_install postgresql
    fi
    # Debian runs PostgreSQL as clusters named "<version> <name>", each on its own port.
    read -r version name status < <(pg_lsclusters --no-header | awk -v port="$port" '$3 == port {print $1, $2, $4; exit}') || true
    if [[ -z $version ]]; then
        if [[ -n "$(pg_lsclusters --no-header)" ]]; then
            pg_lsclusters >&2
            die "no PostgreSQL cluster uses port $port: set LML_DATABASE_URL, or OPS_POSTGRES_PORT to a cluster's port"
        fi
        version="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
        name=main
        say "PostgreSQL: creating cluster $version/$name on port $port"
        as_root pg_createcluster --port "$port" "$version" "$name" >/dev/null
        status=down
    fi
    trust_local_connections "$version" "$name"
    if [[ $status == online* ]]; then
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload
    else
        say "PostgreSQL: starting cluster $version/$name on port $port"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
    fi
    wait_until 60 "PostgreSQL on 127.0.0.1:$port" "" pg_answers "$port"
    say "PostgreSQL: running on 127.0.0.1:$port"
}

# setup_postgres run|test: the service reads LML_DATABASE_URL, the test suite LML_TEST_DATABASE_URL
# (a role that may create databases: each test run migrates a database of its own).
setup_postgres() {
    local mode=$1 port=$OPS_POSTGRES_PORT configured=LML_DATABASE_URL
    [[ $mode == test ]] && configured=LML_TEST_DATABASE_URL
    if [[ -n ${!configured:-} ]]; then
        say "PostgreSQL: using $configured as set"
        if [[ $mode == run && -z ${LML_MIGRATE_DATABASE_URL:-} ]]; then
            say "PostgreSQL: note: LML_MIGRATE_DATABASE_URL is not set, so lml migrate uses postgresql://postgres@127.0.0.1:5432/lml"
        fi
        return 0
    fi
    if pg_answers "$port"; then
        say "PostgreSQL: already running on 127.0.0.1:$port; using it"
    else
        start_local_postgres "$port"
    fi
    if [[ $mode == test ]]; then
        export LML_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    else
        export LML_DATABASE_URL="postgresql://lml_app@127.0.0.1:$port/lml"
        export LML_MIGRATE_DATABASE_URL="${LML_MIGRATE_DATABASE_URL:-postgresql://postgres@127.0.0.1:$port/lml}"
    fi
}

# ---------------------------------------------------------------- Redis

# PING over a plain TCP connection: works before redis-cli is installed.
redis_answers() (
    local reply=""
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    [[ $reply == "+PONG"* ]]
) 2>/dev/null

# local_redis PORT VARIABLE: a Redis answering on 127.0.0.1:PORT, started (and installed) when none
# does; VARIABLE names the setting that would point elsewhere.
local_redis() {
    local port=$1 configured=$2
    if redis_answers "$port"; then
        say "Redis: already running on 127.0.0.1:$port; using it"
        return 0
    fi
    port_open "$port" && die "something on 127.0.0.1:$port does not answer Redis' PING: set $configured or OPS_REDIS_PORT"
    ensure_redis_commands
    # Debian's package may have started its own server on the default port.
    if ! redis_answers "$port"; then
        say "Redis: starting redis-server on 127.0.0.1:$port (nothing kept on disk)"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no >/dev/null
    fi
    wait_until 30 "Redis on 127.0.0.1:$port" "" redis_answers "$port"
    say "Redis: running on 127.0.0.1:$port"
}

# ensure_redis_commands: redis-server and redis-cli (the test suite starts a Redis Cluster of its own).
ensure_redis_commands() {
    install_missing "the Redis commands" redis-server redis-cli -- redis-server
}

# setup_cluster_broker: on a Redis Cluster (LML_REDIS_CLUSTER=true) the worker's queues go to a plain
# Redis: LML_BROKER_URL as set, or the local one (set up as for LML_REDIS_URL).
setup_cluster_broker() {
    [[ ${LML_REDIS_CLUSTER:-} =~ ^([Tt][Rr][Uu][Ee]|1)$ ]] || return 0
    if [[ -n ${LML_BROKER_URL:-} ]]; then
        say "Redis: the worker's queues on LML_BROKER_URL as set"
        return 0
    fi
    local_redis "$OPS_REDIS_PORT" LML_BROKER_URL
    export LML_BROKER_URL="redis://127.0.0.1:$OPS_REDIS_PORT/0"
    say "Redis: the worker's queues on $LML_BROKER_URL (LML_REDIS_URL names a cluster)"
}

# setup_redis run|test: the service reads LML_REDIS_URL, the test suite LML_TEST_REDIS_URL.
setup_redis() {
    local mode=$1 port=$OPS_REDIS_PORT configured=LML_REDIS_URL
    [[ $mode == test ]] && configured=LML_TEST_REDIS_URL
    if [[ -n ${!configured:-} ]]; then
        say "Redis: using $configured as set"
        return 0
    fi
    local_redis "$port" "$configured"
    if [[ $mode == test ]]; then
        export LML_TEST_REDIS_URL="redis://127.0.0.1:$port"
    else
        export LML_REDIS_URL="redis://127.0.0.1:$port/0"
    fi
}

# ---------------------------------------------------------------- Secrets

# The settings whose development default is public (LISTENING_SECRETS in src/lml/config.py): a random
# value for each, made once per install and kept in .run/secrets.env (mode 0600, git-ignored).
GENERATED_SECRETS=(LML_JWT_SECRET LML_TICKET_SIGNING_KEY LML_STRIPE_WEBHOOK_SECRET LML_IDEMPOTENCY_SECRET)

random_secret() {
    head -c 48 /dev/urandom | base64 | tr '+/' '-_'
}

# load_secrets: export each of GENERATED_SECRETS that the environment does not set, from the secrets
# file, generating into it those it does not hold yet.
load_secrets() {
    local file="$RUN_DIR/secrets.env" name value
    mkdir -p "$RUN_DIR"
    (umask 077 && touch "$file")
    chmod 600 "$file"
    for name in "${GENERATED_SECRETS[@]}"; do
        if [[ -n ${!name:-} ]]; then
            say "secrets: using $name as set"
            continue
        fi
        value="$(sed -n "s/^$name=//p" "$file" | head -n 1)"
        if [[ -z $value ]]; then
            value="$(random_secret)"
            printf '%s=%s\n' "$name" "$value" >>"$file"
            say "secrets: generated $name into .run/secrets.env"
        fi
        export "$name=$value"
    done
}

# ---------------------------------------------------------------- PgBouncer

# The tests run the application through PgBouncer in transaction pooling mode (tests/services.py starts
# one on a free port, as a user of its own when run as root); Debian's package, whose own service is
# left alone.
setup_pgbouncer() {
    install_missing PgBouncer pgbouncer -- pgbouncer
}

# ---------------------------------------------------------------- Chromium

# The test suite drives a real headless browser (tests/fixtures/chromium.py) to check CORS as browsers
# enforce it; Debian's package, since Playwright's own browsers are downloaded from outside PyPI.
setup_chromium() {
    install_missing Chromium chromium -- chromium
}

# ---------------------------------------------------------------- promtool

# The test suite checks the alert rules of ops/prometheus with Prometheus' own promtool, which Debian
# ships in its prometheus package.
setup_promtool() {
    install_missing promtool promtool -- --no-install-recommends prometheus
}

# prepare_machine run|test: the virtualenv with the locked packages, PostgreSQL and Redis (and, for
# the tests, PgBouncer, Chromium, promtool and the Redis commands; for the service on a Redis Cluster,
# a plain Redis for the worker's queues).
prepare_machine() {
    setup_python
    setup_postgres "$1"
    setup_redis "$1"
    if [[ $1 == test ]]; then
        setup_pgbouncer
        setup_chromium
        setup_promtool
        ensure_redis_commands
    else
        setup_cluster_broker
    fi
}
