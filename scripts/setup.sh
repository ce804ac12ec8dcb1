#!/usr/bin/env bash
# setup.sh installs everything lifeline's demo and tests need on a bare
# Debian machine: the PDF renderer and QR decoder used by the print tests,
# the CJK font the cards are printed with, PostgreSQL for the shared-store
# tests, tmux for the end-to-end screen tests, CUPS (a private scheduler
# that scripts/cupsd.sh starts) for the printing tests, the OpenSSH client
# and sqlite3 (to read the audit trail) for the end-to-end SSH test, and the
# Go modules.
# It is idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in poppler-utils zbar-tools postgresql tmux openssh-client sqlite3 fonts-droid-fallback fonts-wqy-microhei cups-daemon cups-client; do
	have "$pkg" || need+=("$pkg")
done
if ((${#need[@]})); then
	echo "setup: installing ${need[*]}" >&2
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >/dev/null
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

command -v go >/dev/null || { echo "setup: Go 1.26 is required (https://go.dev/dl/)" >&2; exit 1; }
go mod download
