#!/usr/bin/env bash
# What the tests need beside Python, installed when missing (the README's test command and .ci/run start with it):
# - from Debian's packages: chromium (the browser tests drive it with Playwright for Python; Playwright never
#   downloads a browser here), nodejs (runs the generated encoding.js, and Azurite) and npm;
# - from the npm registry: Azurite, Microsoft's Azure Storage emulator, at a pinned version in .tools/azurite
#   (git-ignored); the storage queue tests start its queue service on 127.0.0.1 (tests/azurite.py).
# apt-get needs root (CI runs as root); nothing is installed when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# 3.35.0: the last release that runs on the Node.js of Debian 12 (18) and this image's (20); 3.36 wants Node 21+.
AZURITE_VERSION=3.35.0
AZURITE_DIR=.tools/azurite

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/setup.sh: ${missing[*]} missing; run this script as root to install them" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

installed=$(node -p "require('./$AZURITE_DIR/node_modules/azurite/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$AZURITE_VERSION" ]; then
    echo "tests/setup.sh: installing azurite $AZURITE_VERSION in $AZURITE_DIR"
    mkdir -p "$AZURITE_DIR"
    npm install --prefix "$AZURITE_DIR" --no-audit --no-fund --no-save --loglevel=error "azurite@$AZURITE_VERSION"
fi
test -x "$AZURITE_DIR/node_modules/.bin/azurite-queue"
