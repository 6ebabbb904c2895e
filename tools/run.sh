#!/usr/bin/env bash
# make run: find or start Postgres and Redis, then run every subgraph and the
# router (bin/devstack), and stop what was started on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/services.sh || exit 1
trap 'tools/services.sh stop' EXIT
bin/devstack
