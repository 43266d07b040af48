#!/usr/bin/env bash
# Compatibility check: the package as `npm pack` makes it, installed with a plain `npm install`
# (no --legacy-peer-deps) into the small applications of test/compat/apps/, one per supported
# combination of Nest, TypeORM, module system and database. Each application gets the shared
# sources of test/compat/app-src/ plus its own src/database.ts, is built, and is checked by
# check-app.mjs: API started, a task enqueued over HTTP, a separate worker process runs it.
#
#   bash test/compat/run.sh [APP...]       # default: every application, in parallel
#
# Databases: PG_DATABASE and MYSQL_DATABASE (default `test`) on the local servers; the
# applications' tables are dropped first so their migrations run on a fresh schema.
# COMPAT_WORK keeps the work folder (default: a new temporary one, removed at the end);
# COMPAT_NPM_CACHE points npm at another cache (default: npm's own, where the project's `npm ci`
# left the packages the applications share with it; npm still asks the registry for the versions).
# Ends with one line: "N passed, N failed" (one test per application, and one for what the
# package contains).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
COMPAT="$ROOT/test/compat"
WORK="${COMPAT_WORK:-$(mktemp -d -t nestjs-tasks-compat-XXXXXX)}"
mkdir -p "$WORK"
[ -n "${COMPAT_NPM_CACHE:-}" ] && export npm_config_cache="$COMPAT_NPM_CACHE"
# Native drivers (better-sqlite3, sqlite3) compile here with node-gyp: their install scripts
# would otherwise try to download prebuilt binaries from outside the npm registry first.
export npm_config_build_from_source=true
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# A registry connection that stalls fails after a minute (npm's default waits five) and is retried.
export npm_config_fetch_timeout=60000 npm_config_fetch_retries=4
PG_DATABASE="${PG_DATABASE:-test}"
MYSQL_DATABASE="${MYSQL_DATABASE:-test}"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
started=$(date +%s)

if [ $# -gt 0 ]; then apps=("$@"); else mapfile -t apps < <(ls "$COMPAT/apps"); fi

log "packing the package"
cd "$ROOT" || exit 1
tarball="$WORK/$(npm pack --pack-destination "$WORK" 2>"$WORK/pack.log" | tail -n1)"
version=$(node -p 'require("./package.json").version')
if [ ! -s "$tarball" ]; then
  cat "$WORK/pack.log"
  echo "0 passed, $(( ${#apps[@]} + 1 )) failed"
  exit 1
fi
log "packed $(basename "$tarball"): $(tar tzf "$tarball" | wc -l) files"

# What the package must ship, checked as one more test.
contents_result="PASS"
tar tzf "$tarball" >"$WORK/contents.txt"
for file in LICENSE README.md package.json dist/src/index.js dist/src/index.d.ts dist/migrations/index.js dashboard-ui/public/dashboard.js dashboard-ui/public/dashboard.css; do
  grep -qx "package/$file" "$WORK/contents.txt" || contents_result="FAIL: $file is not in the package"
done

reset_database() {
  case "$1" in
    postgres) psql -h 127.0.0.1 -U postgres -d "$PG_DATABASE" -qc 'DROP TABLE IF EXISTS task_dependencies, task_schedules, task_throttles, task_queues, task_workers, task_results, migrations' ;;
    mariadb) mariadb -h 127.0.0.1 -u root "$MYSQL_DATABASE" -e 'DROP TABLE IF EXISTS task_dependencies, task_schedules, task_throttles, task_queues, task_workers, task_results, migrations' ;;
    *) true ;;
  esac
}

# `npm install` of the tarball, tried again (up to three times in all) only when it failed on the
# network (a stalled or reset registry connection, a 5xx answer): a resolution or build error
# fails at once.
install_tarball() {
  local app=$1 dir=$2 try
  for try in 1 2 3; do
    npm install "$tarball" >"$dir/install.log" 2>&1 && return 0
    grep -qE 'npm error code (E[A-Z]*TIMEOUT|ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENETUNREACH|EPIPE|E5[0-9][0-9])' "$dir/install.log" || return 1
    [ "$try" -lt 3 ] || return 1
    cp "$dir/install.log" "$dir/install-try$try.log"
    log "$app: npm install failed on the network ($(grep -m1 -oE 'npm error code [A-Z0-9_]+' "$dir/install.log")), trying again"
    sleep $((try * 10))
  done
}

# One application from copy to check; writes PASS or FAIL <step> to $WORK/<app>.result.
check_app() {
  local app=$1 dir="$WORK/apps/$1" from; from=$(date +%s)
  local result="$WORK/$app.result"
  rm -rf "$dir" && mkdir -p "$WORK/apps" && cp -r "$COMPAT/apps/$app" "$dir" && cp "$COMPAT"/app-src/*.ts "$dir/src/"
  cd "$dir" || { echo "FAIL copy" >"$result"; return; }
  local database; database=$(node -p 'require("./package.json").compat.database')
  local env=()
  case "$database" in
    sqlite) env=(SQLITE_FILE="$dir/app.sqlite") ;;
    postgres) env=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$PG_DATABASE") ;;
    mariadb) env=(DATABASE_URL="mysql://root@127.0.0.1:3306/$MYSQL_DATABASE") ;;
  esac
  log "$app: npm install $(basename "$tarball")"
  if ! install_tarball "$app" "$dir"; then
    echo "FAIL npm install ($(( $(date +%s) - from )) s)" >"$result"; return
  fi
  log "$app: build"
  if ! npm run build >"$dir/build.log" 2>&1; then
    echo "FAIL build ($(( $(date +%s) - from )) s)" >"$result"; return
  fi
  log "$app: run"
  reset_database "$database" >"$dir/reset.log" 2>&1
  if ! env "${env[@]}" node "$COMPAT/check-app.mjs" "$dir" "$version" >"$dir/check.log" 2>&1; then
    echo "FAIL run ($(( $(date +%s) - from )) s)" >"$result"; return
  fi
  echo "PASS ($(( $(date +%s) - from )) s)" >"$result"
}

pids=()
for app in "${apps[@]}"; do
  rm -f "$WORK/$app.result"
  check_app "$app" &
  pids+=($!)
done
wait "${pids[@]}"

passed=0; failed=0
echo "package contents: $contents_result"
if [ "$contents_result" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
for app in "${apps[@]}"; do
  result=$(cat "$WORK/$app.result" 2>/dev/null || echo "FAIL (no result)")
  echo "$app: $result"
  if [[ $result == PASS* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    for file in install build check; do
      [ -f "$WORK/apps/$app/$file.log" ] && { echo "--- $app/$file.log (last 40 lines)"; tail -n 40 "$WORK/apps/$app/$file.log"; }
    done
  fi
done
log "compatibility check took $(( $(date +%s) - started )) s"
[ -z "${COMPAT_WORK:-}" ] && rm -rf "$WORK"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
