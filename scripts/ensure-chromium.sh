#!/bin/sh
# The explorer's browser test drives the Debian `chromium` package through playwright-core (never a
# browser download). A no-op when it is already installed; installs it when run as root; otherwise
# says what to do and fails, so `npm test` stops with a clear message instead of a test timeout.
set -eu
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing the Debian chromium package" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  if [ -x "$CHROMIUM" ]; then
    exit 0
  fi
  echo "ensure-chromium: apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "ensure-chromium: $CHROMIUM is missing. The explorer browser test needs it:" >&2
echo "  sudo apt-get install -y --no-install-recommends chromium" >&2
exit 1
