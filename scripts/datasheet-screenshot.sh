#!/usr/bin/env bash
# Renders the HTML datasheet in headless Chromium (Debian's package) and saves a screenshot, to see
# that its figures are drawn. Installs chromium with apt when it is missing (Debian, as root).
#   bash scripts/datasheet-screenshot.sh [datasheet.html] [datasheet.png]
set -euo pipefail
cd "$(dirname "$0")/.."
html="${1:-datasheet.html}"
png="${2:-${html%.html}.png}"
if ! command -v chromium > /dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
if [ ! -f "$html" ]; then
  node bin/dermaset.mjs datasheet --out "$html"
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1100,4200 --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")" 2> /dev/null
echo "wrote $png"
