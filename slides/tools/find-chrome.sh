#!/bin/sh
# find-chrome.sh — print the path of a Chromium or Chrome to render slides
# with, or fail quietly if there is none. $CHROME_PATH wins (Marp reads it too).
for c in "${CHROME_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser \
    "$(command -v chromium 2>/dev/null)" "$(command -v google-chrome 2>/dev/null)" \
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
    "/Applications/Chromium.app/Contents/MacOS/Chromium"; do
    if [ -n "$c" ] && [ -x "$c" ]; then
        echo "$c"
        exit 0
    fi
done
exit 1
