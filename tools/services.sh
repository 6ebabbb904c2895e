#!/usr/bin/env bash
# Finds Postgres and Redis, or starts private ones under .data/ when the
# server binaries are installed. Sourced by tools/run.sh and .ci/run: it
# exports DATABASE_URL and REDIS_URL, and records what it started in
# .data/started so tools/services.sh stop can stop exactly that.
#
#   source tools/services.sh   # ensure both answer, export the URLs
#   tools/services.sh stop     # stop the private servers it started

DATA_DIR="${DATA_DIR:-$PWD/.data}"

# answers HOST PORT: true when something accepts a TCP connection there.
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# hostport URL DEFAULT_PORT: prints "host port" of a postgres:// or redis:// URL.
hostport() {
  local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; rest=${rest%%\?*}
  local host=${rest%%:*} port=$2
  [[ $rest == *:* ]] && port=${rest##*:}
  echo "${host:-127.0.0.1} $port"
}

wait_for() { # wait_for HOST PORT WHAT
  for _ in $(seq 1 100); do answers "$1" "$2" && return 0; sleep 0.1; done
  echo "services: $3 did not start on $1:$2 (see $DATA_DIR/*.log)" >&2; return 1
}

ensure_postgres() {
  export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
  read -r host port <<<"$(hostport "$DATABASE_URL" 5432)"
  answers "$host" "$port" && return 0
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -z $bin ]] && bin=$(dirname "$(command -v initdb 2>/dev/null)" 2>/dev/null)
  if [[ -z $bin || ! -x $bin/initdb ]]; then
    echo "services: no Postgres answers at $host:$port and none is installed: run 'apt-get install postgresql' (or set DATABASE_URL)" >&2
    return 1
  fi
  local dir="$DATA_DIR/postgres" pport=55432 as=()
  # initdb and postgres refuse to run as root: run them as the postgres user.
  [[ $(id -u) == 0 ]] && as=(runuser -u postgres --)
  mkdir -p "$DATA_DIR"
  if [[ ! -f $dir/PG_VERSION ]]; then
    mkdir -p "$dir"; [[ ${#as[@]} -gt 0 ]] && chown postgres "$dir"
    "${as[@]}" "$bin/initdb" -D "$dir" -U postgres -A trust >"$DATA_DIR/postgres-init.log" 2>&1 \
      || { echo "services: initdb failed, see $DATA_DIR/postgres-init.log" >&2; return 1; }
  fi
  touch "$DATA_DIR/postgres.log"; [[ ${#as[@]} -gt 0 ]] && chown postgres "$DATA_DIR/postgres.log"
  "${as[@]}" "$bin/pg_ctl" -D "$dir" -l "$DATA_DIR/postgres.log" -w \
    -o "-p $pport -c listen_addresses=127.0.0.1 -k /tmp" start >/dev/null || return 1
  echo "postgres $bin/pg_ctl -D $dir" >>"$DATA_DIR/started"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pport/postgres?sslmode=disable"
  echo "services: started a private Postgres on 127.0.0.1:$pport (data in $dir)"
}

ensure_redis() {
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  read -r host port <<<"$(hostport "$REDIS_URL" 6379)"
  answers "$host" "$port" && return 0
  if ! command -v redis-server >/dev/null; then
    echo "services: no Redis answers at $host:$port and none is installed: run 'apt-get install redis-server' (or set REDIS_URL)" >&2
    return 1
  fi
  local dir="$DATA_DIR/redis" rport=56379
  mkdir -p "$dir"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$DATA_DIR/redis.log" || return 1
  wait_for 127.0.0.1 "$rport" Redis || return 1
  echo "redis $dir/redis.pid" >>"$DATA_DIR/started"
  export REDIS_URL="redis://127.0.0.1:$rport/0"
  echo "services: started a private Redis on 127.0.0.1:$rport"
}

stop_services() {
  [[ -f $DATA_DIR/started ]] || return 0
  while read -r what a b c d; do
    case $what in
      postgres) if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$a" "$b" "$c" -m fast stop >/dev/null; else "$a" "$b" "$c" -m fast stop >/dev/null; fi ;;
      redis) [[ -f $a ]] && kill "$(cat "$a")" 2>/dev/null ;;
    esac
  done <"$DATA_DIR/started"
  rm -f "$DATA_DIR/started"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case ${1:-} in
    stop) stop_services ;;
    *) ensure_postgres && ensure_redis && echo "DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL" ;;
  esac
else
  ensure_postgres && ensure_redis
fi
