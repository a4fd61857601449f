#!/usr/bin/env bash
# Publishes the cohort command for running nodes in production: framework-dependent (.NET 10 runtime needed on the
# host), for one runtime identifier, every assembly precompiled to native code (ReadyToRun). That shortens start-up and
# each CLI command (an idle node compiles 2,027 methods instead of 3,431), but not a node's first seconds under load,
# where the tiered JIT recompiles the hot methods with profile data either way (docs/performance.md, session 13).
# Usage: scripts/publish.sh [output-folder] [runtime-identifier]   (defaults: artifacts/cohort, linux-x64)
# Then run <output-folder>/cohort (or dotnet <output-folder>/cohort.dll) as any other build of it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/cohort}"
rid="${2:-linux-x64}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Its own artifacts folder: never the tree's bin/obj, which a concurrent build may be using.
dotnet publish src/Cohort.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
  --artifacts-path "$work/artifacts" -o "$out" -nologo -v quiet
"$out/cohort" --version
echo "published to $out (ReadyToRun, $rid): run $out/cohort"
