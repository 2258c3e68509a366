#!/usr/bin/env bash
# Install Debian's PostgreSQL 15 server and PostGIS 3 when they are missing, for the tests that
# start a throwaway cluster (tests/postgis_server.py). Idempotent: does nothing when both are
# installed. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail

PACKAGES="postgresql-15 postgresql-15-postgis-3"
missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
CONTROL=/usr/share/postgresql/15/extension/postgis.control
if [ -z "$missing" ] && [ -f "$CONTROL" ]; then
    echo "postgis present: $(grep default_version "$CONTROL")"
    exit 0
fi

# shellcheck disable=SC2086
bash "$(dirname "$0")/apt_install.sh" ensure_postgis $missing
echo "postgis installed: $(grep default_version "$CONTROL")"
