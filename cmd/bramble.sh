#!/bin/sh
# The `bramble` command as users run it (package.json's bin, the systemd
# units): node, with the settings of the role, running the bundled command
# (dist/bundle/bramble.cjs, see tools/bundle/bundle.ts). An agent lives for
# months beside a Pi's pods and is idle nearly all the time, so it gives up
# V8's optimizing compiler (lite mode, which also leaves out WebAssembly) and
# its large young generation for memory: about half the RSS
# (docs/benchmarks.md, `bench pods`). The server keeps V8's defaults: it
# serves the API and needs the throughput.
# BRAMBLE_NODE_ARGS adds node flags of one's own (--cpu-prof, say).
set -e
here=$(dirname "$(readlink -f "$0")")
case "$1" in
agent)
  # shellcheck disable=SC2086 # BRAMBLE_NODE_ARGS is a list of flags
  exec node --lite-mode --no-expose-wasm --max-semi-space-size=1 $BRAMBLE_NODE_ARGS "$here/../bundle/bramble.cjs" "$@"
  ;;
esac
# shellcheck disable=SC2086
exec node $BRAMBLE_NODE_ARGS "$here/../bundle/bramble.cjs" "$@"
