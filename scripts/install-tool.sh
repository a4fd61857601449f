#!/usr/bin/env bash
# Packs the cohort command line as a .NET tool (package Cohort.Tool) and the client library (Cohort.Client with its
# dependency Cohort.Core), then
# installs the tool from the local package folder.
# Usage: scripts/install-tool.sh [tool-path]     (default: a global install, `cohort` on the PATH via ~/.dotnet/tools)
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
packages="${COHORT_PACKAGES:-$work/packages}"

# By default an own artifacts folder: never the tree's bin/obj, which a concurrent build may be using.
# COHORT_PACK_NO_BUILD=1 packs what `dotnet build -c Release` (scripts/test.sh) already built in the tree.
if [ "${COHORT_PACK_NO_BUILD:-0}" = "1" ]; then
  build=(--no-build)
else
  build=(--artifacts-path "$work/artifacts")
fi
for project in src/Cohort.Cli src/Cohort.Core src/Cohort.Client; do
  dotnet pack "$project" -c Release -o "$packages" "${build[@]}" -nologo -v quiet
done
ls "$packages"

if [ $# -ge 1 ]; then
  dotnet tool update Cohort.Tool --tool-path "$1" --add-source "$packages"
  "$1/cohort" --help | head -n 3
else
  dotnet tool update Cohort.Tool --global --add-source "$packages"
  echo "installed: run 'cohort --help' (make sure ~/.dotnet/tools is on the PATH)"
fi
