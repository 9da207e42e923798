#!/usr/bin/env bash
# Rebuilds the bundle into a temporary folder and fails if the committed dist/ differs from it:
# the runner executes dist/, so a stale bundle would ship code nobody reviewed or tested.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
node dev/build-bundle.ts "$fresh"
if ! diff -r "$fresh" dist >/dev/null; then
  echo "dist/ is out of date with src/: run 'npm run bundle' and commit dist/." >&2
  diff -r --brief "$fresh" dist >&2 || true
  exit 1
fi
echo "dist/ matches a fresh bundle."
