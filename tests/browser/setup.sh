#!/usr/bin/env bash
# Installs what the browser tests need from Debian's packages: chromium (driven by Playwright for Python
# with this executable; Playwright never downloads a browser here) and node (runs the generated encoding.js).
# Needs root (CI runs as root); does nothing when both are there.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/browser/setup.sh: ${missing[*]} missing; run this script as root to install them" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
