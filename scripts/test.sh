#!/usr/bin/env bash
# The project's test command (npm test): provisions a real Docker build environment on this
# machine (idempotent), then runs the unit tests and the integration tests on both of the engine's
# image stores: every integration test on the containerd store, then on the classic store every test
# whose outcome the store can change (building, loading, sizing, publishing, caching, the command
# line, the faults). The start check, readiness and the image doctor's reading of files work on a
# loaded image the same way on either store; they run once. The cache service's export needs the
# containerd store (cache-action.itg.test.ts covers the classic store's side of it).
set -euo pipefail
cd "$(dirname "$0")/.."

export NODE_OPTIONS=--experimental-vm-modules
jest=(npx jest --ci)

bash scripts/provision.sh --store containerd
"${jest[@]}" --selectProjects unit
echo "== integration tests, containerd image store"
SMOKESTACK_STORE=containerd "${jest[@]}" --selectProjects integration --runInBand

bash scripts/provision.sh --store classic
echo "== integration tests, classic image store"
SMOKESTACK_STORE=classic "${jest[@]}" --selectProjects integration --runInBand \
  --testPathIgnorePatterns '/(readiness|start-check|examine-truth|doctor-shell|hostile|cache)\.itg\.test\.ts$'

# Leave the machine as the demo expects it.
bash scripts/provision.sh --store containerd >/dev/null
