#!/usr/bin/env bash
# Install Debian's CJK font for the map sheets' Chinese text (geoapp/sheets/fonts.py finds it
# by file path) when no CJK font is installed; with --test also poppler-utils (pdftotext,
# pdfinfo: the sheet tests read the PDFs with them). Idempotent and quick when present.
# Needs root (or sudo) and Debian's package mirror; nothing is fetched at run time.
set -euo pipefail

FONT_FILES="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf
/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

missing=""
have_font=""
for f in $FONT_FILES; do
    if [ -f "$f" ]; then have_font="$f"; break; fi
done
[ -n "$have_font" ] || missing="fonts-wqy-zenhei"
if [ "${1:-}" = "--test" ] && ! command -v pdftotext >/dev/null 2>&1; then
    missing="$missing poppler-utils"
fi
if [ -z "$missing" ]; then
    echo "fonts present: ${have_font}"
    exit 0
fi

# shellcheck disable=SC2086
bash "$(dirname "$0")/apt_install.sh" ensure_fonts $missing
echo "ensure_fonts: installed $missing"
