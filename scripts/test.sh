#!/usr/bin/env bash
# Runs every test of the solution and prints "tests: N passed, M failed", counted from the TRX results.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category!=Crash]
set -uo pipefail
cd "$(dirname "$0")/.."

results="${COHORT_TEST_RESULTS:-TestResults}"
rm -rf "$results"
mkdir -p "$results"
# Tests that keep artifacts (the dashboard's screenshots: <results>/screenshots/<test>/) find the directory here.
COHORT_TEST_RESULTS="$(cd "$results" && pwd)"
export COHORT_TEST_RESULTS

dotnet build Cohort.slnx -c Release -nologo -v quiet
build=$?
if [ "$build" -ne 0 ]; then
  echo "build failed"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

dotnet test Cohort.slnx -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" "$@"
status=$?

passed=0
failed=0
found=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  found=$((found + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  e=$(printf '%s' "$counters" | sed -n 's/.* error="\([0-9]*\)".*/\1/p')
  t=$(printf '%s' "$counters" | sed -n 's/.* timeout="\([0-9]*\)".*/\1/p')
  a=$(printf '%s' "$counters" | sed -n 's/.* aborted="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done

if [ "$found" -eq 0 ]; then
  echo "no test results were written"
  failed=$((failed + 1))
fi

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The runner failed without recording a failed test (a crash of the test host, for instance).
  failed=1
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
