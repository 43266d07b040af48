#!/usr/bin/env bash
# Benchmark entry point: `npm run bench [-- flags]` from the root, or `bash bench/run.sh [flags]`.
# 1. installs the bench's own dependencies (bench/package.json) when bench/node_modules is missing
#    or older than bench/package-lock.json — the root `npm ci` never installs them;
# 2. builds the library (`npm run build` in the root) when dist/ is missing or older than any
#    file of src/ or migrations/; a failed build only means nestjs-tasks is skipped;
# 3. runs the harness: node bench/src/cli.js "$@"   (flags: bash bench/run.sh --help).
# Environment: BENCH_NO_BUILD=1 skips step 2; BENCH_PG_URL, BENCH_MYSQL_URL, BENCH_REDIS_URL
# point at other servers (defaults: the local ones, database `bench`).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$BENCH_DIR/.." && pwd)"

for arg in "$@"; do
  if [[ "$arg" == "--help" || "$arg" == "-h" || "$arg" == "--list" ]]; then
    if [[ -d "$BENCH_DIR/node_modules" ]]; then exec node "$BENCH_DIR/src/cli.js" "$@"; fi
  fi
done

if [[ ! -d "$BENCH_DIR/node_modules" || "$BENCH_DIR/package-lock.json" -nt "$BENCH_DIR/node_modules/.package-lock.json" ]]; then
  echo "bench: installing the bench's dependencies (bench/package.json) ..."
  (cd "$BENCH_DIR" && npm install --no-audit --no-fund --loglevel=error)
fi

entry="$ROOT_DIR/dist/src/index.js"
if [[ "${BENCH_NO_BUILD:-}" == "1" ]]; then
  echo "bench: BENCH_NO_BUILD=1, using dist/ as it is"
elif [[ ! -d "$ROOT_DIR/node_modules" ]]; then
  echo "bench: root node_modules missing (run npm ci in the root); nestjs-tasks will be skipped unless dist/ exists"
else
  stale=""
  if [[ ! -f "$entry" ]]; then
    stale="dist/ is missing"
  else
    newer="$(cd "$ROOT_DIR" && find src migrations tsconfig.json tsconfig.build.json package.json -newer "$entry" -type f 2>/dev/null | head -n 1 || true)"
    [[ -n "$newer" ]] && stale="$newer is newer than dist/"
  fi
  if [[ -n "$stale" ]]; then
    echo "bench: building nestjs-tasks ($stale) ..."
    if ! (cd "$ROOT_DIR" && npm run build --silent); then
      echo "bench: WARNING: the build failed; nestjs-tasks will be skipped, the peers still run"
    fi
  fi
fi

exec node "$BENCH_DIR/src/cli.js" "$@"
