#!/usr/bin/env bash
# Clones this repository's current commit into a path that contains /src/ (as ~/src/cohort would) and builds the
# solution there: it must build with zero warnings, and only projects under the clone's own src/ may produce XML
# documentation. Usage: scripts/check-clone-under-src.sh [work-dir]   (default: a new temp dir; removed on success)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
clone="$work/src/cohort"
mkdir -p "$work/src"
git clone --quiet --no-hardlinks "$repo" "$clone"
git -C "$clone" checkout --quiet "$(git -C "$repo" rev-parse HEAD)"
cd "$clone"
log="$work/build.log"
if ! dotnet build Cohort.slnx -c Release -nologo -v quiet >"$log" 2>&1; then
  cat "$log"
  echo "check-clone-under-src: the build failed in $clone"
  exit 1
fi
warnings=$(grep -cE "warning [A-Z]+[0-9]+" "$log" || true)
if [ "$warnings" -ne 0 ]; then
  grep -E "warning [A-Z]+[0-9]+" "$log" | sort -u
  echo "check-clone-under-src: $warnings warning line(s) in $clone"
  exit 1
fi
docs=$(find tests bench examples -path '*/bin/Release/*' \( -name 'Cohort.Tests.xml' -o -name 'Cohort.IntegrationTests.xml' \
  -o -name 'Cohort.CrashHost.xml' -o -name 'Cohort.Benchmarks.xml' -o -name 'DistributedTransaction.xml' \))
if [ -n "$docs" ]; then
  echo "$docs"
  echo "check-clone-under-src: projects outside src/ generated documentation files"
  exit 1
fi
echo "check-clone-under-src: $clone builds with 0 warnings"
[ -n "${1:-}" ] || rm -rf "$work"
