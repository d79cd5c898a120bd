#!/usr/bin/env bash
# The demo on an embedded local cluster: sets up everything (scripts/setup.sh), starts the bed
# (Temporal dev server + Web UI, 3 OpenClaw gateways under supervisor, HAProxy, paired clients), runs
# the read-only preflight through a real worker, reproduces `device token mismatch`, and rolls the
# cluster out (scripts/demo.ts). The bed lives in .bed/demo (OPENCLAW_ROLLOUT_BED_DIR overrides).
# `--keep` leaves the bed running (stop it with `OPENCLAW_ROLLOUT_BED_DIR=.bed/demo npm run bed -- down`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec npx tsx scripts/demo.ts "$@"
