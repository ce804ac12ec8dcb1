#!/usr/bin/env bash
# demo.sh installs what lifeline needs, builds it and runs `lifeline demo` on
# an embedded SQLite store (demo.db): seeded sample data, the staff screen,
# and the SMS gateway on 127.0.0.1:8080. Extra arguments go to `lifeline demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
go build -o lifeline ./cmd/lifeline
exec ./lifeline --db "${LIFELINE_DB:-demo.db}" demo "$@"
