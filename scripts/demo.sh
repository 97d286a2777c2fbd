#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds the .vsix and the harness, then starts the demo
# (scripts/demo.mjs): a demo remote host (sshd + dockerd on 127.0.0.1 with a demo user) and a
# browser VS Code with the extension. Options: --port N (code-server's port; default: a free one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
echo "[demo] building the extension (.vsix) and the harness ..."
npm run --silent package
npm run --silent build:tests
exec node scripts/demo.mjs "$@"
