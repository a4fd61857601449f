#!/usr/bin/env bash
# Packs the client library packages into one folder, a feed an application consumes in one step:
# Cohort.Core, Cohort.Protocol, Cohort.Client and Cohort.Client.DependencyInjection (each with its .snupkg symbols).
# Usage: scripts/pack.sh [output-folder]        (default: ./artifacts/packages)
#   COHORT_PACK_NO_BUILD=1 packs what `dotnet build -c Release` already built in the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/packages}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "${COHORT_PACK_NO_BUILD:-0}" = "1" ]; then
  build=(--no-build)
else
  build=(--artifacts-path "$work/artifacts")
fi
for project in src/Cohort.Core src/Cohort.Protocol src/Cohort.Client src/Cohort.Client.DependencyInjection; do
  dotnet pack "$project" -c Release -o "$out" "${build[@]}" -nologo -v quiet
done
ls "$out"
echo "packages in $out: add it as a source (dotnet add package Cohort.Client.DependencyInjection --source $out)"
