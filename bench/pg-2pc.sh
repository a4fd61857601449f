#!/usr/bin/env bash
# Two-phase commit across two PostgreSQL databases on one local server: Cohort (transactions through /v1/batch) against
# a hand-written Npgsql PREPARE TRANSACTION loop, in one run (cohort bench-pg alternates the sides). Starts its own
# PostgreSQL (initdb in a temp dir, as the postgres user when run as root) and its own nodes, and stops them by pid.
#   --nodes 1 (default): one node homes both databases (pg:default and pg:b), as one hand-written process does;
#   --nodes 2: two nodes, each homing pg:default on its own database (the seed's one-database-per-node layout), so
#              every transaction also crosses from the master to the other node over HTTP.
# Usage: bench/pg-2pc.sh [--nodes 1|2] [cohort bench-pg options, e.g. --clients 32 --duration 10s --rounds 3 --audited-baseline]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=1
if [ "${1:-}" = "--nodes" ]; then nodes="$2"; shift 2; fi
case "$nodes" in 1|2) ;; *) echo "--nodes must be 1 or 2"; exit 2 ;; esac

art="${COHORT_BENCH_ARTIFACTS:-/tmp/cohort-bench-pg-art}"
[ -n "${COHORT_BENCH_NO_BUILD:-}" ] || dotnet build src/Cohort.Cli -c Release --artifacts-path "$art" -nologo -v quiet >/dev/null
cohort="$art/bin/Cohort.Cli/release/cohort.dll"

pgbin="${COHORT_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)"; exit 1; }
root="$(mktemp -d /tmp/cohort-bench-pg-XXXXXX)"
port="${PGPORT_BENCH:-55432}"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$root"; as_pg=(runuser -u postgres --); fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$root"
}
trap cleanup EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$root/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
cat >>"$root/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root'
max_connections = 300
max_prepared_transactions = 200
shared_buffers = 128MB
CONF
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$root/data" -l "$root/server.log" -w start >/dev/null
"$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres bench_a
"$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres bench_b
dsn() { echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$1"; }

a=127.0.0.1:7191
b=127.0.0.1:7192
if [ "$nodes" = 1 ]; then
  dotnet "$cohort" start-master --addr "$a" --data-dir "$root/n1" --dsn "$(dsn bench_a)" >"$root/n1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do curl -sf "http://$a/v1/resources" | grep -q 'pg:default@' && break; sleep 0.5; done
  curl -sf -X POST "http://$a/v1/resources" -H 'content-type: application/json' -d "{\"name\":\"pg:b\",\"dsn\":\"$(dsn bench_b)\"}" >/dev/null
  resources="pg:default@$a,pg:b"
else
  dotnet "$cohort" start-master --addr "$a" --nodes "$a,$b" --data-dir "$root/n1" --dsn "$(dsn bench_a)" >"$root/n1.log" 2>&1 &
  pids+=($!)
  dotnet "$cohort" start-node --addr "$b" --nodes "$a,$b" --data-dir "$root/n2" --dsn "$(dsn bench_b)" >"$root/n2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    if [ "$(curl -sf "http://$a/v1/resources" | grep -o 'pg:default@' | wc -l)" -ge 2 ]; then break; fi
    sleep 0.5
  done
  resources="pg:default@$a,pg:default@$b"
fi

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); Cohort nodes: $nodes"
# Nodes just started are still compiling their hot paths (tiered JIT) for tens of seconds; one unreported round of
# each side first, so that the rounds below compare warm code (as http-2pc.sh does with its warm-up run).
echo "warm-up round (JIT), not reported"
dotnet "$cohort" bench-pg --addr "$a" --resources "$resources" --dsn "$(dsn bench_a)" --dsn "$(dsn bench_b)" --rounds 1 --duration 20s --warmup 1s >/dev/null
dotnet "$cohort" bench-pg --addr "$a" --resources "$resources" --dsn "$(dsn bench_a)" --dsn "$(dsn bench_b)" "$@"
