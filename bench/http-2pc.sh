#!/usr/bin/env bash
# The issue-5 benchmark: three Cohort nodes on loopback (fsync on), kv:a on the second and kv:b on the third, and
# `cohort bench` (64 clients, one /v1/batch with a put on each per transaction) against the first. Prints each run's
# report and, because throughput on a shared host moves with the neighbours, the CPU the three nodes used per
# committed transaction (from /proc/<pid>/stat), which does not. Stops the nodes it started, by pid.
# The nodes' tiered JIT keeps recompiling hot code for about the first 40 seconds of load (measured: 4.4 s of a node's
# CPU in the first 13-second run, 1 s in the second, 0.5 s in the third, none after), so unreported warm-up runs come
# first (--warm-runs, default 3).
# Usage: bench/http-2pc.sh [--runs N] [--warm-runs N] [cohort bench options, e.g. --clients 64 --duration 10s --warmup 3s]
# Environment: COHORT_BENCH_ARTIFACTS (build output, default /tmp/cohort-bench-http-art), COHORT_BENCH_NO_BUILD=1,
# COHORT_BENCH_PUBLISHED=<dir> (run a scripts/publish.sh output instead of building: ReadyToRun),
# COHORT_BENCH_ETCD=1 (the etcd backend: a 3-member etcd on loopback, started and stopped here, holds leadership and
# the decisions). Each run also prints the coordinator's mean prepare, decision-write and phase-two times (/metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
warm_runs=3
while true; do
  case "${1:-}" in
    --runs) runs="$2"; shift 2 ;;
    --warm-runs) warm_runs="$2"; shift 2 ;;
    *) break ;;
  esac
done

art="${COHORT_BENCH_ARTIFACTS:-/tmp/cohort-bench-http-art}"
if [ -n "${COHORT_BENCH_PUBLISHED:-}" ]; then
  # A scripts/publish.sh output (ReadyToRun): how the first minute after a start looks in production.
  cohort="$COHORT_BENCH_PUBLISHED/cohort.dll"
else
  [ -n "${COHORT_BENCH_NO_BUILD:-}" ] || dotnet build src/Cohort.Cli -c Release --artifacts-path "$art" -nologo -v quiet >/dev/null
  cohort="$art/bin/Cohort.Cli/release/cohort.dll"
fi
root="$(mktemp -d /tmp/cohort-bench-http-XXXXXX)"
nodes=127.0.0.1:17101,127.0.0.1:17102,127.0.0.1:17103
pids=()
etcd_pids=()
cleanup() {
  for pid in "${pids[@]}" "${etcd_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

backend=()
if [ -n "${COHORT_BENCH_ETCD:-}" ]; then
  cluster=m1=http://127.0.0.1:17211,m2=http://127.0.0.1:17212,m3=http://127.0.0.1:17213
  for i in 1 2 3; do
    etcd --name "m$i" --data-dir "$root/etcd$i" --listen-client-urls "http://127.0.0.1:1720$i" --advertise-client-urls "http://127.0.0.1:1720$i" \
      --listen-peer-urls "http://127.0.0.1:1721$i" --initial-advertise-peer-urls "http://127.0.0.1:1721$i" --initial-cluster "$cluster" \
      --initial-cluster-state new --initial-cluster-token cohort-bench --log-level warn >"$root/etcd$i.log" 2>&1 &
    etcd_pids+=($!)
  done
  for _ in $(seq 1 120); do
    if curl -sf http://127.0.0.1:17201/health | grep -q '"health":"true"'; then break; fi
    sleep 0.5
  done
  backend=(--etcd http://127.0.0.1:17201,http://127.0.0.1:17202,http://127.0.0.1:17203 --etcd-prefix /cohort/bench)
  echo "backend: etcd (3 members on loopback)"
else
  echo "backend: file (the master's own decision log)"
fi

dotnet "$cohort" start-master --addr 127.0.0.1:17101 --nodes "$nodes" --data-dir "$root/1" "${backend[@]}" >"$root/1.log" 2>&1 &
pids+=($!)
[ -z "${COHORT_BENCH_ETCD:-}" ] || sleep 3 # the first node wins the etcd campaign, as it wins the embedded election
dotnet "$cohort" start-node --addr 127.0.0.1:17102 --nodes "$nodes" --data-dir "$root/2" --resource kv:a "${backend[@]}" >"$root/2.log" 2>&1 &
pids+=($!)
dotnet "$cohort" start-node --addr 127.0.0.1:17103 --nodes "$nodes" --data-dir "$root/3" --resource kv:b "${backend[@]}" >"$root/3.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  r="$(curl -sf http://127.0.0.1:17101/v1/resources || true)"
  if grep -q '"kv:a"' <<<"$r" && grep -q '"kv:b"' <<<"$r"; then break; fi
  sleep 0.5
done

# Each node's managed allocations (bytes) and JIT time (seconds) so far, from one /metrics read per node:
# "alloc jit" per node, in node order, on one line.
figures() { for port in 17101 17102 17103; do curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "dotnet_gc_allocated_bytes_total" {a = $2} $1 == "dotnet_jit_compilation_seconds_total" {j = $2} END {printf "%s %s ", a, j}'; done; }
ticks() { local sum=0; for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$sum"; }
hz="$(getconf CLK_TCK)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for warm in $(seq 1 "$warm_runs"); do
  echo "warm-up run $warm of $warm_runs (JIT), not reported"
  dotnet "$cohort" bench --addr 127.0.0.1:17101 --quiet "$@" >/dev/null
done
for run in $(seq 1 "$runs"); do
  before="$(ticks "${pids[@]}")"
  figures_before="$(figures)"
  etcd_before="$(ticks "${etcd_pids[@]}")"
  metrics_before="$(curl -sf http://127.0.0.1:17101/metrics | grep -E '^cohort_coordinator_(prepare|decision|phase_two)_seconds_(sum|count) ' || true)"
  json="$(dotnet "$cohort" bench --addr 127.0.0.1:17101 --quiet --json "$@")"
  after="$(ticks "${pids[@]}")"
  figures_after="$(figures)"
  etcd_after="$(ticks "${etcd_pids[@]}")"
  sleep 1 # the last phase twos
  metrics_after="$(curl -sf http://127.0.0.1:17101/metrics | grep -E '^cohort_coordinator_(prepare|decision|phase_two)_seconds_(sum|count) ' || true)"
  python3 - "$run" "$before" "$after" "$hz" "$json" "$metrics_before" "$metrics_after" "$etcd_before" "$etcd_after" "$figures_before" "$figures_after" <<'PY'
import json, sys
run, before, after, hz, text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def parse(t):
    return {l.split()[0]: float(l.split()[1]) for l in t.splitlines() if l.strip()}
m0, m1 = parse(sys.argv[6]), parse(sys.argv[7])
def mean_ms(name):
    n = m1.get(f"cohort_coordinator_{name}_seconds_count", 0) - m0.get(f"cohort_coordinator_{name}_seconds_count", 0)
    s = m1.get(f"cohort_coordinator_{name}_seconds_sum", 0) - m0.get(f"cohort_coordinator_{name}_seconds_sum", 0)
    return f"{s / n * 1000:.2f}" if n else "n/a"
r = json.loads(text)
lat = r.get("latency_ms", {})
committed = r["committed"]
# The nodes' CPU over the whole bench process, per transaction it committed (the warm-up's counted at the measured rate).
total = r["tx_per_s"] * (r["warmup_s"] + r["duration_s"])
cpu = (after - before) / hz * 1000 / total if total else float("nan")
etcd_ticks = int(sys.argv[9]) - int(sys.argv[8])
etcd = f", etcd's CPU ≈ {etcd_ticks / hz * 1000 / total:.2f} ms" if etcd_ticks and total else ""
f0, f1 = [float(x) for x in sys.argv[10].split()], [float(x) for x in sys.argv[11].split()]
alloc = ""
if total and len(f0) == 6 and len(f1) == 6:
    # Allocated per committed transaction, master / participant / participant (same counting as the CPU); the JIT summed.
    alloc = ", allocated " + " / ".join(f"{(f1[i] - f0[i]) / total / 1024:.1f}" for i in (0, 2, 4)) + " KiB per tx (master / kv:a / kv:b)"
    alloc += f", JIT {sum(f1[i] - f0[i] for i in (1, 3, 5)):.2f} s of the nodes' CPU"
print(f"run {run}: {r['tx_per_s']:.0f} tx/s, p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms, abort rate {r['abort_rate']}, "
      f"nodes' CPU ≈ {cpu:.2f} ms{etcd} per committed tx{alloc}; mean prepare {mean_ms('prepare')} ms, decision write {mean_ms('decision')} ms, phase two {mean_ms('phase_two')} ms")
PY
done
