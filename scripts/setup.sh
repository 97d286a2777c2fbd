#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian 12 machine, as root. Idempotent: each
# step runs only when its result is missing, so a second run is a quick no-op.
#
#   - Debian packages: sshd, dockerd, static busybox (container image), Chromium (e2e browser),
#     tcsh (a csh-like login shell for the copy-id tests), and what code-server's native modules
#     build against;
#   - the extension's npm packages (npm ci), when node_modules is missing or older than the lock;
#   - code-server 4.100.3 under test/e2e (its own lock file), with Debian's ripgrep standing in
#     for the download its postinstall would attempt;
#   - the `docker` group (dockerd makes its socket root:docker 660) and sshd's /run/sshd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: it installs Debian packages and creates the docker group"
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"

# ---- Debian packages -------------------------------------------------------------------------
PACKAGES=(openssh-server openssh-client docker.io busybox-static chromium ripgrep
  libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev build-essential python3 pkg-config
  util-linux procps passwd tar tcsh)
missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  # Keep package scripts from starting system services (a system dockerd or sshd): the tests
  # start their own private instances.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  trap - EXIT
else
  log "Debian packages: all present"
fi

for tool in /usr/sbin/sshd /usr/sbin/dockerd /bin/busybox /usr/bin/chromium /usr/bin/rg /usr/bin/unshare; do
  [ -x "$tool" ] || die "$tool is missing after the package install"
done
[ -x /usr/local/bin/docker ] || die "/usr/local/bin/docker (the machine's docker CLI 28.x) is missing"

# ---- groups and runtime dirs -----------------------------------------------------------------
if ! getent group docker >/dev/null; then
  log "creating group docker"
  groupadd --system docker
fi
mkdir -p /run/sshd
chmod 755 /run/sshd

# ---- the extension's npm packages ------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (extension)"
  npm ci --no-audit --no-fund
else
  log "node_modules: up to date"
fi

# ---- code-server for the e2e tests and the demo ----------------------------------------------
CS_VERSION="$(node -p 'require("./test/e2e/package.json").dependencies["code-server"]')"
CS_PKG="test/e2e/node_modules/code-server/package.json"
have_cs=""
if [ -f "$CS_PKG" ] && [ -f test/e2e/node_modules/code-server/out/node/entry.js ] \
   && [ -f test/e2e/node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node ] \
   && [ -x test/e2e/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg ]; then
  have_cs="$(node -p "require('./$CS_PKG').version")"
fi
if [ "$have_cs" != "$CS_VERSION" ] || [ test/e2e/package-lock.json -nt test/e2e/node_modules/.package-lock.json ]; then
  log "installing code-server $CS_VERSION in test/e2e (several minutes)"
  # @vscode/ripgrep's postinstall downloads ripgrep unless it finds this archive in its cache.
  RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  RG_TAR="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -s "$RG_TAR" ]; then
    staging="$(mktemp -d)"
    mkdir -p "$RG_CACHE" "$staging/rg"
    cp /usr/bin/rg "$staging/rg/rg"
    tar czf "$RG_TAR" -C "$staging/rg" rg
    rm -rf "$staging"
  fi
  # unsafe_perm: code-server's postinstall refuses root otherwise; yes: node-pty's postinstall
  # runs `npx node-gyp`, which would wait for a confirmation.
  (cd test/e2e && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund)
  [ -f test/e2e/node_modules/code-server/out/node/entry.js ] || die "code-server did not install"
else
  log "code-server $CS_VERSION: present"
fi

log "done"
