#!/usr/bin/env bash
# check-house.sh checks the limits that keep lifeline easy to read and
# change: no non-test Go function over 100 lines, cmd/lifeline under 2,000
# lines of non-test Go, no dialect comparison (== or !=) outside the dialect
# type's files in store/, README.md under 300 lines. It prints one line per
# failure, saying what and where, and exits 1 if there is any. The checks
# read the Go syntax tree (internal/housecheck), and that program's own
# tests show each check failing on a tree that breaks it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./internal/housecheck .
