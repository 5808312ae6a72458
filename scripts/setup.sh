#!/usr/bin/env bash
# Installs what Mimic needs on Debian/Ubuntu (OpenBLAS, pkg-config, SQLite headers for the request cache, CLD2, zlib
# for the evaluation sandbox's gzip reader, Python's venv, Chromium with its driver for the browser tests, and PostgreSQL for
# the rating store's tests) and
# fetches the built-in model, tokenizer and data files into the git-ignored cache (scripts/fetch-assets.sh).
# Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
need=()
for pkg in libopenblas-dev pkg-config libsqlite3-dev libcld2-dev zlib1g-dev python3-venv chromium chromium-driver postgresql; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [[ ${#need[@]} -gt 0 ]]; then
    echo "installing ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
bash scripts/fetch-assets.sh
