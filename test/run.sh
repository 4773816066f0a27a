#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, builds,
# and runs every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# Debian's python3-kubernetes, a second real client (test/e2e/python-client.test.ts
# runs it with /usr/bin/python3, not whatever python3 is first on PATH).
# Installed only when missing, and only as root (CI is root on a fresh machine).
if ! /usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-kubernetes; } >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      rm -f "$apt_log"
      echo "test/run.sh: could not install python3-kubernetes" >&2
      exit 1
    fi
    rm -f "$apt_log"
  else
    echo "test/run.sh: python3-kubernetes is missing and this is not root; run 'apt-get install python3-kubernetes' (the python client test will fail)" >&2
  fi
fi
# Debian's containerd and runc: the agent's tests start a real containerd
# (test/helpers/containerd.ts). Same rule: only when missing, only as root.
if ! command -v containerd >/dev/null || ! command -v runc >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends containerd runc; } >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      rm -f "$apt_log"
      echo "test/run.sh: could not install containerd and runc" >&2
      exit 1
    fi
    rm -f "$apt_log"
  else
    echo "test/run.sh: containerd or runc is missing and this is not root; run 'apt-get install containerd runc' (the agent tests will fail)" >&2
  fi
fi
# Real pods (test/helpers/{containerd,registry,test-images}.ts): CNI plugins and
# iptables for the pod network, a static busybox and umoci/skopeo to build test
# images offline, a real registry to pull them from, htpasswd (apache2-utils)
# for a registry that wants a login, and zstd for compressed image archives.
# Same rule: only the missing ones, in one apt-get call, only as root.
pod_packages=()
[ -x /usr/lib/cni/bridge ] || pod_packages+=(containernetworking-plugins)
command -v iptables >/dev/null || [ -x /usr/sbin/iptables ] || pod_packages+=(iptables)
# Static: the image has no libc (ldd fails on a static binary). busybox-static
# replaces Debian's dynamic busybox.
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || pod_packages+=(busybox-static)
command -v umoci >/dev/null || pod_packages+=(umoci)
command -v skopeo >/dev/null || pod_packages+=(skopeo)
command -v docker-registry >/dev/null || pod_packages+=(docker-registry)
command -v htpasswd >/dev/null || pod_packages+=(apache2-utils)
command -v zstd >/dev/null || pod_packages+=(zstd)
if [ "${#pod_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pod_packages[@]}"; } >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      rm -f "$apt_log"
      echo "test/run.sh: could not install ${pod_packages[*]}" >&2
      exit 1
    fi
    rm -f "$apt_log"
  else
    echo "test/run.sh: ${pod_packages[*]} missing and this is not root; run 'apt-get install ${pod_packages[*]}' (the pod runtime tests will fail)" >&2
  fi
fi
npm run build --silent
# Only *.test.js: helpers and fixtures under test/ are not tests themselves.
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --test --test-concurrency=2 "${files[@]}"
