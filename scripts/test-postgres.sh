#!/usr/bin/env bash
# test-postgres.sh runs lifeline's store suite (and every other test that
# needs PostgreSQL) against a throwaway PostgreSQL cluster on loopback, then
# stops and deletes the cluster. PostgreSQL must be installed
# (scripts/setup.sh installs Debian's postgresql package).
#
#   scripts/test-postgres.sh              # store suite, upstream, replicas
#   scripts/test-postgres.sh -race -v     # extra flags go to go test
set -euo pipefail
cd "$(dirname "$0")/.."

# A cluster of its own, so a developer's running one (scripts/pg.sh) is left alone.
export LIFELINE_PG_DIR="${TMPDIR:-/tmp}/lifeline-pg-test-$$"
eval "$(scripts/pg.sh start)"
trap 'scripts/pg.sh stop' EXIT

go test -count=1 "$@" ./store/... ./internal/pgtest/ ./upstream/
# Several replicas on one database: inbound once, outbox sent once, codes shared.
go test -count=1 "$@" -run 'Replicas' ./faults/
