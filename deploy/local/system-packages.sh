#!/usr/bin/env bash
# Installs the machine packages the project needs, from Debian's archive, when any is missing:
# gettext (translations), Chromium (browser tests), Pango (WeasyPrint's PDFs), fonts, and
# poppler-utils (tests turn PDFs into PNG pages and text).
# PostgreSQL and Redis are looked after by deploy/local/stack.py when they are needed.
# `system-packages.sh bench` also wants wrk, the load generator of `make bench-bookings`.
set -euo pipefail

missing=()
command -v msgfmt >/dev/null || missing+=(gettext)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
# Read whole before searching: `grep -q` stops at the first match, and under pipefail the writer's
# broken pipe would count as "missing".
libraries="$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true)"
grep -q 'libpango-1.0.so' <<<"$libraries" || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fonts="$(fc-list 2>/dev/null || true)"
grep -qi dejavu <<<"$fonts" || missing+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if [ "${1:-}" = "bench" ]; then
  command -v wrk >/dev/null || missing+=(wrk)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]}. Please install them (Debian: apt-get install ${missing[*]})." >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
