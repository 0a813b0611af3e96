#!/usr/bin/env bash
# Kept for older instructions: everything the tests need (chromium and node for these browser tests,
# Azurite for the storage queue tests) is installed by tests/setup.sh.
exec bash "$(dirname "$0")/../setup.sh" "$@"
