#!/usr/bin/env bash
# Issue 24, "Peers side by side": the same durable transfer between two accounts on two nodes/partitions, in one
# invocation, on Cohort and on what a .NET team would pick instead:
#   cohort        three Cohort nodes on loopback (fsync on), kv:a on the second, kv:b on the third; `cohort bench`
#                 (one /v1/batch with a put on each per transaction) against the master, as bench/http-2pc.sh does;
#   cohort-transfer  the same cluster doing the transfer itself: one /v1/batch with a burn of 1 on resource:a (second
#                 node) and a mint of 1 on resource:b (third node), the debit checked against the balance — bench/Cohort.Peers;
#   orleans       Orleans Transactions 10.4.2: two silos in one process on loopback (development clustering), accounts
#                 on different silos, ITransactionClient.RunTransaction(Create, withdraw ‖ deposit), grain storage in
#                 PostgreSQL (synchronous_commit on) — bench/Cohort.Peers;
#   orleans-mem   the same with memory grain storage (NOT durable; shows what the storage costs);
#   etcd          a 3-member etcd cluster on loopback, a transfer = one Txn comparing both keys' mod revisions and
#                 putting both balances — bench/Cohort.Peers;
#   pg-2pc        the hand-written Npgsql PREPARE TRANSACTION / COMMIT PREPARED loop across two databases of one
#                 PostgreSQL server, and Cohort doing the same through two pg resources (`cohort bench-pg`, one round).
# Every peer first gets one unreported warm run (--warm, at the largest client count: JIT, pools, activations), then a
# measured run at each client count. Prints a table with tx/s, p50/p99, the ratio of tx/s to Cohort's at the same
# client count and what each peer's commit guarantees. Starts everything on 127.0.0.1, stops it by pid, removes its
# temp dir.
# Usage: bench/peers.sh [--duration 10s] [--clients "1 64"] [--runs 1] [--warmup 3s] [--warm 20s] [--peers "cohort cohort-transfer orleans orleans-mem etcd pg-2pc"]
# Environment: COHORT_BENCH_ARTIFACTS (build output, default /tmp/cohort-bench-peers-art), COHORT_BENCH_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10s
clients="1 64"
runs=1
warmup=3s
warm=20s
peers="cohort cohort-transfer orleans orleans-mem etcd pg-2pc"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --warm) warm="$2"; shift 2 ;;
    --peers) peers="$2"; shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
has() { [[ " $peers " == *" $1 "* ]]; }
max_clients="$(tr ' ' '\n' <<<"$clients" | sort -n | tail -n 1)"

art="${COHORT_BENCH_ARTIFACTS:-/tmp/cohort-bench-peers-art}"
if [ -z "${COHORT_BENCH_NO_BUILD:-}" ]; then
  dotnet build src/Cohort.Cli -c Release --artifacts-path "$art" -nologo -v quiet >/dev/null
  dotnet build bench/Cohort.Peers -c Release --artifacts-path "$art" -nologo -v quiet >/dev/null
fi
cohort="$art/bin/Cohort.Cli/release/cohort.dll"
peersdll="$art/bin/Cohort.Peers/release/Cohort.Peers.dll"

root="$(mktemp -d /tmp/cohort-bench-peers-XXXXXX)"
chmod 755 "$root"
results="$root/results.jsonl"
: >"$results"
pids=()
pg_started=
pgbin="${COHORT_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
cleanup() {
  # SIGTERM, then SIGKILL whatever has not exited after 10 s (a node left without its master can hang in shutdown).
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=
    for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    [ -n "$alive" ] || break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_started" ]; then "${as_pg[@]}" "$pgbin/pg_ctl" -D "$root/pg" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$root"
}
trap cleanup EXIT

wait_for() { # wait_for <description> <command...>: up to 60 s
  local what="$1"; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $what" >&2
  return 1
}

# PostgreSQL (Orleans' grain storage and the pg-2pc peer): a throwaway server, fsync and synchronous_commit on (defaults).
pgport="${PGPORT_BENCH_PEERS:-55442}"
if has orleans || has pg-2pc; then
  [ -x "$pgbin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)"; exit 1; }
  mkdir "$root/pg"
  [ "${#as_pg[@]}" -eq 0 ] || chown -R postgres:postgres "$root/pg"
  "${as_pg[@]}" "$pgbin/initdb" -D "$root/pg" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  cat >>"$root/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$root/pg'
max_connections = 400
max_prepared_transactions = 200
shared_buffers = 128MB
fsync = on
synchronous_commit = on
CONF
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$root/pg" -l "$root/pg/server.log" -w start >/dev/null
  pg_started=1
  for db in bench_a bench_b orleans; do "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres "$db"; done
fi
dsn() { echo "Host=127.0.0.1;Port=$pgport;Username=postgres;Database=$1"; }

# etcd: 3 members on loopback, each fsyncing its WAL (etcd's default).
etcd_endpoints=http://127.0.0.1:17401,http://127.0.0.1:17402,http://127.0.0.1:17403
if has etcd; then
  command -v etcd >/dev/null || { echo "etcd not found (apt-get install -y etcd-server)"; exit 1; }
  cluster=p1=http://127.0.0.1:17411,p2=http://127.0.0.1:17412,p3=http://127.0.0.1:17413
  for i in 1 2 3; do
    etcd --name "p$i" --data-dir "$root/etcd$i" --listen-client-urls "http://127.0.0.1:1740$i" --advertise-client-urls "http://127.0.0.1:1740$i" \
      --listen-peer-urls "http://127.0.0.1:1741$i" --initial-advertise-peer-urls "http://127.0.0.1:1741$i" --initial-cluster "$cluster" \
      --initial-cluster-state new --initial-cluster-token cohort-peers --log-level warn >"$root/etcd$i.log" 2>&1 &
    pids+=($!)
  done
  wait_for etcd bash -c 'curl -sf http://127.0.0.1:17401/health | grep -q "\"health\":\"true\""'
fi

# Cohort: the three-node cluster of http-2pc.sh (on ports of its own), and for pg-2pc one node homing both databases.
nodes=127.0.0.1:17121,127.0.0.1:17122,127.0.0.1:17123
cohort_pids=()
if has cohort || has cohort-transfer; then
  dotnet "$cohort" start-master --addr 127.0.0.1:17121 --nodes "$nodes" --data-dir "$root/n1" >"$root/n1.log" 2>&1 &
  pids+=($!); cohort_pids+=($!)
  dotnet "$cohort" start-node --addr 127.0.0.1:17122 --nodes "$nodes" --data-dir "$root/n2" --resource kv:a --resource resource:a >"$root/n2.log" 2>&1 &
  pids+=($!); cohort_pids+=($!)
  dotnet "$cohort" start-node --addr 127.0.0.1:17123 --nodes "$nodes" --data-dir "$root/n3" --resource kv:b --resource resource:b >"$root/n3.log" 2>&1 &
  pids+=($!); cohort_pids+=($!)
  wait_for "the Cohort nodes" bash -c 'r="$(curl -sf http://127.0.0.1:17121/v1/resources)" && grep -q "\"kv:a\"" <<<"$r" && grep -q "\"kv:b\"" <<<"$r" && grep -q "\"resource:a\"" <<<"$r" && grep -q "\"resource:b\"" <<<"$r"'
fi
pg_node=127.0.0.1:17131
if has pg-2pc; then
  dotnet "$cohort" start-master --addr "$pg_node" --data-dir "$root/pgnode" --dsn "$(dsn bench_a)" >"$root/pgnode.log" 2>&1 &
  pids+=($!)
  wait_for "the pg node" bash -c "curl -sf http://$pg_node/v1/resources | grep -q 'pg:default@'"
  curl -sf -X POST "http://$pg_node/v1/resources" -H 'content-type: application/json' -d "{\"name\":\"pg:b\",\"dsn\":\"$(dsn bench_b)\"}" >/dev/null
fi

metric_sums() { curl -sf http://127.0.0.1:17121/metrics | grep -E '^cohort_coordinator_(prepare|decision|phase_two)_seconds_(sum|count) ' || true; }
ticks() { local sum=0; for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$sum"; }

run_cohort() { # run_cohort <run>
  echo "cohort: warm run (${warm} at $max_clients clients), not reported" >&2
  dotnet "$cohort" bench --addr 127.0.0.1:17121 --quiet --clients "$max_clients" --duration "$warm" --warmup 0s >/dev/null || echo "cohort: the warm run failed" >&2
  for n in $clients; do
    local m0 m1 t0 t1 json
    m0="$(metric_sums)"; t0="$(ticks "${cohort_pids[@]}")"
    if ! json="$(dotnet "$cohort" bench --addr 127.0.0.1:17121 --quiet --json --clients "$n" --duration "$duration" --warmup "$warmup")"; then
      echo "cohort at $n clients failed: $json" >&2
      continue
    fi
    t1="$(ticks "${cohort_pids[@]}")"
    sleep 1 # the last phase twos
    m1="$(metric_sums)"
    python3 - "$1" "$n" "$json" "$m0" "$m1" "$((t1 - t0))" "$(getconf CLK_TCK)" >>"$results" <<'PY'
import json, sys
run, n, r = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
def parse(t): return {l.split()[0]: float(l.split()[1]) for l in t.splitlines() if l.strip()}
m0, m1 = parse(sys.argv[4]), parse(sys.argv[5])
def mean_ms(name):
    k = f"cohort_coordinator_{name}_seconds_"
    c = m1.get(k + "count", 0) - m0.get(k + "count", 0)
    return round((m1.get(k + "sum", 0) - m0.get(k + "sum", 0)) / c * 1000, 2) if c else None
total = r["tx_per_s"] * (r["warmup_s"] + r["duration_s"])
cpu = round(int(sys.argv[6]) / int(sys.argv[7]) * 1000 / total, 2) if total else None
aborted = sum(v for k, v in r.get("outcomes", {}).items() if k != "committed")
print(json.dumps({"run": run, "peer": "cohort", "clients": n, "tx_per_s": r["tx_per_s"], "p50_ms": r["latency_ms"]["p50"],
                  "p99_ms": r["latency_ms"]["p99"], "committed": r["committed"], "aborted": aborted,
                  "durability": "durable (2PC across 2 nodes, fsync on each + the coordinator's decision)",
                  "detail": f"coordinator means: prepare {mean_ms('prepare')} ms, decision write {mean_ms('decision')} ms, phase two {mean_ms('phase_two')} ms; nodes' CPU {cpu} ms/tx"}))
PY
  done
}

run_peer() { # run_peer <run> <label> <Cohort.Peers args...>
  local run="$1" label="$2"; shift 2
  dotnet "$peersdll" "$@" --clients "$clients" --duration "$duration" --warmup "$warmup" --warm "$warm" 2>>"$root/$label.log" \
    | { python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line); r["run"] = int(sys.argv[1]); r["peer"] = sys.argv[2]; print(json.dumps(r), flush=True)' "$run" "$label" >>"$results"; } || echo "$label failed (see its log): $(tail -n 3 "$root/$label.log")" >&2
}

run_pg() { # run_pg <run>
  echo "pg-2pc: warm round (${warm}), not reported" >&2
  dotnet "$cohort" bench-pg --addr "$pg_node" --resources "pg:default@$pg_node,pg:b" --dsn "$(dsn bench_a)" --dsn "$(dsn bench_b)" \
    --clients "$max_clients" --rounds 1 --duration "$warm" --warmup 0s >/dev/null || echo "pg-2pc: the warm round failed" >&2
  for n in $clients; do
    if ! json="$(dotnet "$cohort" bench-pg --addr "$pg_node" --resources "pg:default@$pg_node,pg:b" --dsn "$(dsn bench_a)" --dsn "$(dsn bench_b)" \
      --clients "$n" --rounds 1 --duration "$duration" --warmup "$warmup" --json 2>>"$root/pg-2pc.log")"; then
      echo "pg-2pc at $n clients failed: $json" >&2
      continue
    fi
    python3 - "$1" "$n" "$json" >>"$results" <<'PY'
import json, sys
run, n, r = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
for side, peer, dur in (("baseline", "pg-2pc", "durable (PREPARE TRANSACTION + COMMIT PREPARED on 2 databases, one server, fsync on)"),
                        ("cohort", "cohort-on-pg", "durable (Cohort 2PC over the same 2 databases + decision fsync)")):
    s = r[side]; rd = s["rounds"][0]
    print(json.dumps({"run": run, "peer": peer, "clients": n, "tx_per_s": rd["per_second"], "p50_ms": rd["p50_ms"], "p99_ms": rd["p99_ms"],
                      "committed": rd["committed"], "aborted": rd["failed"], "durability": dur}))
PY
  done
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start ($(date -u +%H:%M) UTC)"
for run in $(seq 1 "$runs"); do
  if has cohort; then echo "run $run: cohort" >&2; run_cohort "$run"; fi
  if has cohort-transfer; then echo "run $run: cohort-transfer" >&2; run_peer "$run" cohort-transfer cohort-transfer --addr 127.0.0.1:17121 --resources resource:a,resource:b; fi
  if has orleans; then echo "run $run: orleans (PostgreSQL grain storage)" >&2; run_peer "$run" orleans orleans --dsn "$(dsn orleans)" --port 17301; fi
  if has orleans-mem; then echo "run $run: orleans (memory grain storage)" >&2; run_peer "$run" orleans-mem orleans --memory --port 17321; fi
  if has etcd; then echo "run $run: etcd" >&2; run_peer "$run" etcd etcd --endpoints "$etcd_endpoints"; fi
  if has pg-2pc; then echo "run $run: pg-2pc" >&2; run_pg "$run"; fi
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u +%H:%M) UTC)"

python3 - "$results" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
runs = sorted({r["run"] for r in rows})
def table(rs, title):
    print(f"\n{title}")
    print(f"| {'peer':<15} | {'clients':>7} | {'tx/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'vs cohort':>9} | {'vs cohort-transfer':>18} | {'aborted':>7} | durability |")
    print(f"|{'-'*17}|{'-'*9}|{'-'*10}|{'-'*9}|{'-'*9}|{'-'*11}|{'-'*20}|{'-'*9}|------------|")
    base = {r["clients"]: r["tx_per_s"] for r in rs if r["peer"] == "cohort"}
    base_t = {r["clients"]: r["tx_per_s"] for r in rs if r["peer"] == "cohort-transfer"}
    order = ["cohort", "cohort-transfer", "orleans", "orleans-mem", "etcd", "pg-2pc", "cohort-on-pg"]
    for r in sorted(rs, key=lambda r: (r["clients"], order.index(r["peer"]) if r["peer"] in order else 99)):
        b, bt = base.get(r["clients"]), base_t.get(r["clients"])
        ratio = f"{r['tx_per_s'] / b:.2f}x" if b else "n/a"
        ratio_t = f"{r['tx_per_s'] / bt:.2f}x" if bt else "n/a"
        fmt = lambda v: "n/a" if v is None else f"{v:.1f}"
        print(f"| {r['peer']:<15} | {r['clients']:>7} | {r['tx_per_s']:>8.0f} | {fmt(r['p50_ms']):>7} | {fmt(r['p99_ms']):>7} | {ratio:>9} | {ratio_t:>18} | {r['aborted']:>7} | {r['durability']} |")
    for r in rs:
        if r.get("detail"):
            print(f"{r['peer']} at {r['clients']} clients: {r['detail']}")
for run in runs:
    table([r for r in rows if r["run"] == run], f"run {run} (vs cohort = tx/s ÷ cohort\'s (put) tx/s, vs cohort-transfer = ÷ cohort-transfer\'s, at the same client count in this run)")
if len(runs) > 1:
    med = []
    for key in sorted({(r["peer"], r["clients"]) for r in rows}):
        rs = [r for r in rows if (r["peer"], r["clients"]) == key]
        med.append({"peer": key[0], "clients": key[1], "durability": rs[0]["durability"], "aborted": sum(r["aborted"] for r in rs),
                    **{k: statistics.median(r[k] for r in rs if r[k] is not None) if any(r[k] is not None for r in rs) else None for k in ("tx_per_s", "p50_ms", "p99_ms")}})
    table(med, f"medians of {len(runs)} runs")
PY
