# Sourced by .ci/run: installs the system packages the tests use and starts their services.
#   PostgreSQL  a throw-away server on a free port on 127.0.0.1 -> exports MLBP_TEST_PG_URL
#   Chromium    the headless browser (and its WebDriver) the dashboard tests drive
#   wrk         the load generator the slow serving test (and bench/serve.py) runs against mlbp serve
# Idempotent: packages already present are not reinstalled; a server already started is reused.
export DEBIAN_FRONTEND=noninteractive
_need=()
command -v chromium >/dev/null 2>&1 || _need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || _need+=(chromium-driver)
command -v wrk >/dev/null 2>&1 || _need+=(wrk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || _need+=(postgresql)
if [ ${#_need[@]} -gt 0 ]; then
  echo "ci: installing ${_need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${_need[@]}" >/dev/null
fi

_pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
_pgdata=${MLBP_PGDATA:-/tmp/mlbp-ci-postgres}
_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! _as_pg "$_pgbin/pg_ctl" -D "$_pgdata" status >/dev/null 2>&1; then
  rm -rf "$_pgdata" && mkdir -p "$_pgdata"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$_pgdata"
  _port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  _as_pg "$_pgbin/initdb" -D "$_pgdata" -A trust -U postgres >/dev/null
  echo "$_port" > "$_pgdata/ci_port"
  _as_pg "$_pgbin/pg_ctl" -D "$_pgdata" -l "$_pgdata/server.log" -w \
    -o "-p $_port -k $_pgdata -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
  _as_pg "$_pgbin/createdb" -h 127.0.0.1 -p "$_port" -U postgres mlbp_test
fi
export MLBP_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$(cat "$_pgdata/ci_port")/mlbp_test"
echo "ci: PostgreSQL at $MLBP_TEST_PG_URL; chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
