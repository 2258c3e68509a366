#!/usr/bin/env bash
# Install Debian's Chromium, ChromeDriver and a CJK font (for readable Chinese labels in the
# browser tests' screenshots) when they are missing. Idempotent: does nothing when all are
# installed. Needs root (or sudo) and Debian's package mirror; never downloads a browser build
# of its own (no 'playwright install').
set -euo pipefail

PACKAGES="chromium chromium-driver fonts-wqy-microhei"
missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
if [ -z "$missing" ] && [ -x /usr/bin/chromium ]; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure_chromium: missing$missing and not root; install them with apt-get" >&2
        exit 1
    fi
fi

echo "ensure_chromium: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null)"
