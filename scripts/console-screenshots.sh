#!/usr/bin/env bash
# Regenerates docs/console-*.png (the README's pictures of the web console): runs the console's
# browser test on SQLite with DERMASET_SCREENSHOTS=1, which saves the gallery, an image's detail, a
# blind review and a policy preview as the test reaches them. Needs Debian's chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
node node_modules/vite/bin/vite.js build --config app/vite.config.ts
DERMASET_SCREENSHOTS=1 npx vitest run test/console.test.ts
ls -l docs/console-*.png
