#!/usr/bin/env bash
# apt_install.sh WHO PACKAGE... — install Debian packages as root (or through sudo), quietly;
# WHO names the calling script in messages. Used by ensure_chromium.sh, ensure_fonts.sh and ensure_postgis.sh.
set -euo pipefail
who="$1"
shift
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "$who: missing $* and not root; install them with apt-get" >&2
        exit 1
    fi
fi
echo "$who: installing $*"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
