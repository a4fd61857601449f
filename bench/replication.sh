#!/usr/bin/env bash
# Issue 21: the cost of replicated resources. Three Cohort nodes on loopback (fsync on) with the etcd backend (a
# 3-member etcd on loopback), and in the same cluster, run after run, the same `cohort bench` workloads against
# unreplicated resources and against resources with three copies (primary + two replicas):
#   one-put  — one /v1/batch with one put on one KV resource (a one-phase commit): kv:a   vs kv:ra
#   two-put  — the issue-5 transaction, a put on each of two KV resources (2PC):      kv:a,kv:b vs kv:ra,kv:rb
# kv:a/kv:ra have their primary on the second node, kv:b/kv:rb on the third. During each replicated run the primaries'
# /metrics are sampled for the replication lag (entries shipped but not yet durable on a replica). Last, the
# second node (primary of kv:ra) is SIGKILLed and the time until a transaction on kv:ra commits again is measured.
# Stops what it started, by pid.
# Usage: bench/replication.sh [--runs N] [--warm-runs N] [cohort bench options, e.g. --clients 64 --duration 10s --warmup 3s]
# Environment: COHORT_BENCH_ARTIFACTS (build output, default /tmp/cohort-bench-repl-art), COHORT_BENCH_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
warm_runs=1
while true; do
  case "${1:-}" in
    --runs) runs="$2"; shift 2 ;;
    --warm-runs) warm_runs="$2"; shift 2 ;;
    *) break ;;
  esac
done

art="${COHORT_BENCH_ARTIFACTS:-/tmp/cohort-bench-repl-art}"
[ -n "${COHORT_BENCH_NO_BUILD:-}" ] || dotnet build src/Cohort.Cli -c Release --artifacts-path "$art" -nologo -v quiet >/dev/null
cohort="$art/bin/Cohort.Cli/release/cohort.dll"
root="$(mktemp -d /tmp/cohort-bench-repl-XXXXXX)"
nodes=127.0.0.1:17301,127.0.0.1:17302,127.0.0.1:17303
pids=()
etcd_pids=()
cleanup() {
  for pid in "${pids[@]}" "${etcd_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

cluster=m1=http://127.0.0.1:17411,m2=http://127.0.0.1:17412,m3=http://127.0.0.1:17413
for i in 1 2 3; do
  etcd --name "m$i" --data-dir "$root/etcd$i" --listen-client-urls "http://127.0.0.1:1740$i" --advertise-client-urls "http://127.0.0.1:1740$i" \
    --listen-peer-urls "http://127.0.0.1:1741$i" --initial-advertise-peer-urls "http://127.0.0.1:1741$i" --initial-cluster "$cluster" \
    --initial-cluster-state new --initial-cluster-token cohort-bench-repl --log-level warn >"$root/etcd$i.log" 2>&1 &
  etcd_pids+=($!)
done
for _ in $(seq 1 120); do
  if curl -sf http://127.0.0.1:17401/health | grep -q '"health":"true"'; then break; fi
  sleep 0.5
done
backend=(--etcd http://127.0.0.1:17401,http://127.0.0.1:17402,http://127.0.0.1:17403 --etcd-prefix /cohort/bench-repl)

dotnet "$cohort" start-master --addr 127.0.0.1:17301 --nodes "$nodes" --data-dir "$root/1" "${backend[@]}" >"$root/1.log" 2>&1 &
pids+=($!)
sleep 3 # the first node wins the etcd campaign
dotnet "$cohort" start-node --addr 127.0.0.1:17302 --nodes "$nodes" --data-dir "$root/2" "${backend[@]}" >"$root/2.log" 2>&1 &
pids+=($!)
dotnet "$cohort" start-node --addr 127.0.0.1:17303 --nodes "$nodes" --data-dir "$root/3" "${backend[@]}" >"$root/3.log" 2>&1 &
pids+=($!)
for port in 17301 17302 17303; do
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then break; fi
    sleep 0.5
  done
done
create() { # name node replicas
  for _ in $(seq 1 60); do
    if curl -sf -X POST http://127.0.0.1:17301/v1/resources -H 'content-type: application/json' \
         -d "{\"name\":\"$1\",\"node\":\"$2\",\"replicas\":$3}" >/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "could not create $1" >&2; exit 1
}
create kv:a 127.0.0.1:17302 1
create kv:b 127.0.0.1:17303 1
create kv:ra 127.0.0.1:17302 3
create kv:rb 127.0.0.1:17303 3
curl -sf http://127.0.0.1:17301/v1/resources; echo

bench() { dotnet "$cohort" bench --addr 127.0.0.1:17301 --quiet --json --resources "$1" "${@:2}"; }
lag_sampler() { # prints the largest lag seen on the primaries until killed
  local max=0
  trap 'echo "$max"; exit 0' TERM
  while true; do
    for port in 17302 17303; do
      v="$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^cohort_replication_lag_entries/ {print $2}' | sort -n | tail -1)"
      [ -n "$v" ] && [ "$v" -gt "$max" ] && max="$v"
    done
    sleep 0.2
  done
}
report() {
  python3 - "$1" "$2" "${3:-}" <<'PY'
import json, sys
name, r, extra = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
lat = r.get("latency_ms", {})
print("{:<14} {:>7.0f} tx/s  p50 {} ms  p99 {} ms  aborts {}{}".format(name, r["tx_per_s"], lat.get("p50"), lat.get("p99"), r["abort_rate"], extra))
PY
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for warm in $(seq 1 "$warm_runs"); do
  echo "warm-up run $warm of $warm_runs (JIT), not reported"
  for r in kv:a kv:ra kv:a,kv:b kv:ra,kv:rb; do bench "$r" "$@" >/dev/null; done
done
for run in $(seq 1 "$runs"); do
  echo "run $run"
  for r in kv:a kv:ra kv:a,kv:b kv:ra,kv:rb; do
    sampler=""
    if [[ "$r" == kv:r* ]]; then lag_sampler >"$root/lag" & sampler=$!; fi
    json="$(bench "$r" "$@")"
    extra=""
    if [ -n "$sampler" ]; then kill -TERM "$sampler"; wait "$sampler" 2>/dev/null || true; extra="  max replication lag $(cat "$root/lag") entries"; fi
    report "$r" "$json" "$extra"
  done
done

# Failover: the primary of kv:ra dies; how long until kv:ra commits again.
kill -9 "${pids[1]}"
start="$(date +%s%N)"
for _ in $(seq 1 600); do
  if curl -sf -X POST http://127.0.0.1:17301/v1/batch -H 'content-type: application/json' \
       -d '{"ops":[{"resource":"kv:ra","op":{"put":{"key":"failover","value":1}}}]}' | grep -q '"committed"'; then
    echo "failover: kv:ra committed again $(( ($(date +%s%N) - start) / 1000000 )) ms after its primary was SIGKILLed"
    break
  fi
  sleep 0.05
done
curl -sf http://127.0.0.1:17301/v1/resources; echo
echo "replication events on the nodes:"
grep -h "Cohort.Replication" "$root"/[123].log | sed -E 's/^[^ ]+ //' | cut -c1-220 || true
