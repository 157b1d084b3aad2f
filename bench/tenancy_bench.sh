#!/usr/bin/env bash
# Tenancy benchmarks on a throwaway PostgreSQL server (started by scripts/with-postgres), each next to its
# floor in the same run:
#   1. provisioning: 100 isolated tenants with Blog, one after the other, vs the same SQL sent statement by
#      statement on one session (as psql -f sends it), one transaction per tenant, the two taking turns;
#   2. migrate-all: one ADD COLUMN across N isolated tenants (default 1000) with --jobs 1 and --jobs 4, vs psql
#      applying it per tenant; then a pass with nothing to apply;
#   3. request path: GET /entries (50 rows as JSON) with Host rotating over 100 tenants, wrk on loopback, vs
#      minimal Beast servers resolving the schema from memory: with SOCI (the issue's floor) and with libpq.
# Usage: bench/tenancy_bench.sh [BUILD_DIR] [TENANTS] [SECONDS]
# Environment: ONLY=provision|migrate|request runs one part; ROUNDS (default 3) alternating rounds of the
# request path; REQUEST_TENANTS (default 100) tenants the request path rotates over.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
if [[ -z "${CALYX_TEST_POSTGRES_URL:-}" ]]; then exec scripts/with-postgres "$0" "$@"; fi
build=$(realpath "${1:-build}")
tenants=${2:-1000}
seconds=${3:-10}
calyx=$build/host/calyx
work=$(mktemp -d /tmp/calyx-tenancy-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

admin=$CALYX_TEST_POSTGRES_URL
server=${admin%/*}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
new_database() {
  psql -q "$admin" -c "CREATE DATABASE $1" >/dev/null
  CALYX_DATABASE_URL=$server/$1 CALYX_VAR_DIR=$work/var CALYX_LOG_LEVEL=warn "$calyx" migrate >/dev/null
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# The request path needs the ledger modules copied in part 2's preamble.
want() { [[ -z "${ONLY:-}" || "$ONLY" == "$1" ]]; }
mkdir -p "$work/blog" "$work/var"
cp "$build/modules/blog.so" "$work/blog/"

if want provision; then
echo "== 1. provisioning: 100 isolated tenants with Blog, interleaved tenant by tenant with the floor"
new_database bench_provision
new_database bench_provision_floor
blog_sql=$(cat plugins/blog/migrations/0001_create_posts.postgresql.sql)
{
  for i in $(seq 100); do
    schema="tenant_f$i"
    role="calyx_floor_$i"
    cat <<SQL
-- tenant
BEGIN;
INSERT INTO calyx_tenants (slug, name, status, isolation, data_location, created_at, updated_at)
  VALUES ('f$i', 'f$i', 'active', 'isolated', '$schema', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
INSERT INTO calyx_domains (host, tenant_id, is_primary) SELECT 'f$i.localhost', id, 1 FROM calyx_tenants WHERE slug = 'f$i';
CREATE SCHEMA "$schema";
CREATE ROLE "$role" NOLOGIN NOINHERIT;
GRANT "$role" TO CURRENT_USER;
GRANT USAGE ON SCHEMA "$schema" TO "$role";
SET LOCAL search_path TO "$schema";
CREATE TABLE calyx_schema_migrations (component TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,
  checksum TEXT NOT NULL, applied_at TEXT NOT NULL, duration_ms BIGINT NOT NULL, PRIMARY KEY (component, version));
ALTER DEFAULT PRIVILEGES IN SCHEMA "$schema" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "$role";
ALTER DEFAULT PRIVILEGES IN SCHEMA "$schema" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "$role";
$blog_sql
INSERT INTO calyx_schema_migrations VALUES ('blog', 1, 'create_posts', 'x', '2026-01-01T00:00:00Z', 1);
INSERT INTO blog_posts (slug, title, body, status, author_id, author_name, created_at, updated_at)
  VALUES ('welcome', 'Welcome to your blog', 'This is a draft.', 'draft', 0, 'Calyx', '2026-01-01', '2026-01-01');
INSERT INTO public.calyx_subscriptions (tenant_id, module, status, enabled_at)
  SELECT id, 'blog', 'active', '2026-01-01' FROM public.calyx_tenants WHERE slug = 'f$i';
INSERT INTO public.calyx_tenant_module_versions VALUES ('$schema', 'blog', 1, '2026-01-01');
UPDATE public.calyx_tenancy_version SET version = version + 1;
COMMIT;
SQL
  done
} >"$work/provision_floor.sql"
# DDL times on this machine move by 2x within seconds: the driver creates a tenant through Calyx, then sends
# the floor's transaction for one tenant (statement by statement on one session, as psql -f does), in turn.
times=$(FLOOR_URL="$server/bench_provision_floor" FLOOR_SQL="$work/provision_floor.sql" \
  "$build/bench/provision_bench" "$server/bench_provision" "$work/blog" p 100 blog 2>"$work/provision.log") \
  || { cat "$work/provision.log" >&2; exit 1; }
read -r calyx_ms floor_ms <<<"$times"
echo "Calyx ${calyx_ms} ms, floor ${floor_ms} ms: $(ratio "$calyx_ms" "$floor_ms")x the floor (target <= 1.5x)"
fi


echo "== 2. migrate-all: ADD COLUMN across $tenants isolated tenants"
mkdir -p "$work/v1" "$work/v2"
cp "$build/bench/ledger_v1/ledger.so" "$work/v1/"
cp "$build/bench/ledger_v2/ledger.so" "$work/v2/"
if want migrate; then
for db in bench_migrate_1 bench_migrate_4 bench_migrate_floor; do
  new_database "$db"
  "$build/bench/provision_bench" "$server/$db" "$work/v1" m "$tenants" ledger >/dev/null
done
{
  for i in $(seq "$tenants"); do
    cat <<SQL
BEGIN;
SELECT pg_advisory_xact_lock(1131571576, hashtext('calyx_migrations:tenant_m$i:ledger'));
SET LOCAL search_path TO "tenant_m$i";
ALTER TABLE entries ADD COLUMN memo TEXT;
INSERT INTO calyx_schema_migrations VALUES ('ledger', 2, 'add_entry_memo', 'x', '2026-01-01T00:00:00Z', 1);
COMMIT;
SQL
  done
} >"$work/migrate_floor.sql"
started=$(now_ms)
psql -q -v ON_ERROR_STOP=1 "$server/bench_migrate_floor" -f "$work/migrate_floor.sql" >/dev/null
floor_ms=$(($(now_ms) - started))
echo "psql floor: ${floor_ms} ms ($(ratio "$floor_ms" "$tenants") ms per tenant)"
for jobs in 1 4; do
  started=$(now_ms)
  CALYX_DATABASE_URL=$server/bench_migrate_$jobs CALYX_VAR_DIR=$work/var CALYX_MODULES_DIR=$work/v2 CALYX_LOG_LEVEL=warn \
    "$calyx" tenant migrate --jobs "$jobs" >"$work/migrate_$jobs.out"
  ms=$(($(now_ms) - started))
  migrated=$(grep -c " migrated " "$work/migrate_$jobs.out" || true)
  echo "Calyx --jobs $jobs: ${ms} ms for $migrated tenants ($(ratio "$ms" "$tenants") ms per tenant): $(ratio "$ms" "$floor_ms")x the floor (target <= 2x)"
done
started=$(now_ms)
CALYX_DATABASE_URL=$server/bench_migrate_1 CALYX_VAR_DIR=$work/var CALYX_MODULES_DIR=$work/v2 CALYX_LOG_LEVEL=warn \
  "$calyx" tenant migrate >"$work/noop.out"
ms=$(($(now_ms) - started))
echo "Calyx pass with nothing to apply: ${ms} ms for $tenants tenants, process start included ($(awk -v a="$ms" -v b="$tenants" 'BEGIN { printf "%.3f", a / b }') ms per tenant; target < 0.2)"

fi

if want request; then
request_tenants=${REQUEST_TENANTS:-100}
echo "== 3. request path: GET /entries, Host rotating over $request_tenants tenants (${seconds}s each)"
new_database bench_requests
"$build/bench/provision_bench" "$server/bench_requests" "$work/v1" req "$request_tenants" ledger >/dev/null
calyx_port=$(free_port)
CALYX_DATABASE_URL=$server/bench_requests CALYX_VAR_DIR=$work/var CALYX_MODULES_DIR=$work/v1 CALYX_LOG_LEVEL=warn \
  CALYX_HTTP_THREADS=${CALYX_HTTP_THREADS:-2} CALYX_LISTEN=127.0.0.1:$calyx_port "$calyx" serve 2>"$work/serve.log" &
pids+=($!)
conninfo=$(psql -Atq "$server/bench_requests" -c "SELECT 'host=' || host(inet_server_addr()) || ' port=' || inet_server_port() || ' dbname=bench_requests user=' || current_user")
# Two floors: Beast + SOCI (the one the tenancy issue names) and Beast + libpq (stricter: no client library
# between the server and the wire).
soci_port=$(free_port)
"$build/bench/minimal_tenant_server" 127.0.0.1 "$soci_port" 2 "$conninfo" localhost soci 2>"$work/floor-soci.log" &
pids+=($!)
libpq_port=$(free_port)
"$build/bench/minimal_tenant_server" 127.0.0.1 "$libpq_port" 2 "$conninfo" localhost libpq 2>"$work/floor-libpq.log" &
pids+=($!)
for port in "$calyx_port" "$soci_port" "$libpq_port"; do
  wait_port "$port"
  curl -sS -H "Host: req1.localhost" "http://127.0.0.1:$port/entries" >"$work/first.json"
  grep -q '"title":"entry 50"' "$work/first.json" || { cat "$work/first.json" "$work"/*.log; exit 1; }
done
run_wrk() { TENANTS=$request_tenants TENANT_PREFIX=req wrk -t2 -c32 -d"${seconds}s" --latency -s bench/rotate_hosts.lua "http://127.0.0.1:$1"; }
p99() { awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }'; }
mean() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.2f", s / NR }'; }
# The machine is shared (a VM; wrk, PostgreSQL and the servers on two cores): the servers take turns, round
# after round; req/s compare total requests, p99 the mean of the rounds' p99s.
rounds=${ROUNDS:-3}
declare -A total p99s
for round in $(seq "$rounds"); do
  for name in calyx soci libpq; do
    port_var=${name}_port
    out=$(run_wrk "${!port_var}")
    echo "-- round $round/$rounds, $name"; echo "$out" | grep -E "Latency|99%|Requests/sec"
    total[$name]=$(( ${total[$name]:-0} + $(echo "$out" | requests) ))
    p99s[$name]="${p99s[$name]:-} $(echo "$out" | p99)"
  done
done
for floor in soci libpq; do
  calyx_p99=$(mean ${p99s[calyx]}); floor_p99=$(mean ${p99s[$floor]})
  echo "Calyx ${total[calyx]} requests (p99 ${calyx_p99} ms), $floor floor ${total[$floor]} requests (p99 ${floor_p99} ms)" \
    "in $rounds x ${seconds}s each: $(ratio "${total[calyx]}" "${total[$floor]}")x the floor's req/s (target >= 0.8)," \
    "p99 $(ratio "$calyx_p99" "$floor_p99")x (target <= 1.5)"
done
fi
