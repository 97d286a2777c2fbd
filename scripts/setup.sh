#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian 12 machine, as root. Idempotent: each
# step runs only when its result is missing, so a second run is a quick no-op.
#
#   - Debian packages: sshd, dockerd, static busybox (container image), Chromium (e2e browser),
#     tcsh (a csh-like login shell for the copy-id tests), sudo (the guided flow's sudo fixes),
#     rsync (the sync benchmark's reference), docker-compose (compose run on the remote), and what
#     code-server's native modules build against;
#   - the extension's npm packages (npm ci), when node_modules does not hold what the lock lists
#     (eslint, prettier, tsc and vsce among them: `npm test` starts with `npm run lint`);
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
  util-linux procps passwd tar tcsh sudo rsync docker-compose curl)
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
# The docker CLI the tests use is the one a shell finds on PATH (test/support/busybox.ts does the
# same); Debian's 20.10 cannot be it: `docker context ls --format json` needs 23 or later.
DOCKER_CLI="$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v docker || true)"
[ -n "$DOCKER_CLI" ] || die "no docker CLI on PATH"
docker_version="$("$DOCKER_CLI" version --format '{{.Client.Version}}' 2>/dev/null || true)"
[ "${docker_version%%.*}" -ge 23 ] 2>/dev/null \
  || die "$DOCKER_CLI is docker ${docker_version:-?}; the tests need a docker CLI 23 or later first on PATH"
log "docker CLI: $DOCKER_CLI $docker_version"

# ---- groups and runtime dirs -----------------------------------------------------------------
if ! getent group docker >/dev/null; then
  log "creating group docker"
  groupadd --system docker
fi
mkdir -p /run/sshd
chmod 755 /run/sshd

# ---- the extension's npm packages ------------------------------------------------------------
# npm keeps what it installed in node_modules/.package-lock.json. Compare that with the lock by
# content, not by date: a checkout or merge gives the lock a new mtime without changing it, and a
# lock that changed can still be older than an install made from another one. Every package the
# lock lists must be installed at its version and integrity (optional ones may be absent: npm
# skips those of other platforms), and nothing else installed. `npm test` runs the linters from
# these devDependencies, so a stale node_modules fails there.
lock_matches_install() {
  [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const lock = require("./package-lock.json").packages || {};
    const got = require("./node_modules/.package-lock.json").packages || {};
    const bad = [];
    for (const [key, want] of Object.entries(lock)) {
      if (key === "") continue;
      const have = got[key];
      if (!have) { if (!want.optional) bad.push(`${key} missing`); continue; }
      if (have.version !== want.version || (want.integrity && have.integrity !== want.integrity)) bad.push(`${key} ${have.version} != ${want.version}`);
    }
    for (const key of Object.keys(got)) if (!(key in lock)) bad.push(`${key} not in the lock`);
    if (bad.length) { console.error(`[setup] node_modules differs from package-lock.json: ${bad.slice(0, 5).join("; ")}${bad.length > 5 ? " …" : ""}`); process.exit(1); }
  '
}
if ! lock_matches_install; then
  log "npm ci (extension)"
  npm ci --no-audit --no-fund
  lock_matches_install || die "node_modules still differs from package-lock.json after npm ci"
else
  log "node_modules: matches package-lock.json"
fi
for tool in tsc eslint prettier vsce esbuild; do
  [ -x "node_modules/.bin/$tool" ] || die "node_modules/.bin/$tool is missing (npm test needs it)"
done

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
