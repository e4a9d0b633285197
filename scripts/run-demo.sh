#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs a one-minute local broadcast:
# p2pswarmsink plus several p2phlssrc viewers on loopback, and prints what
# each viewer received. Extra arguments go to p2p-demo (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export GST_PLUGIN_PATH_1_0="$PWD/build/plugins/p2p${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
export GST_REGISTRY_1_0="$PWD/build/demo.registry"
exec build/tools/p2p-demo "$@"
