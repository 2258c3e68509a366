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

# shellcheck disable=SC2086
bash "$(dirname "$0")/apt_install.sh" ensure_chromium $missing
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null)"
