#!/usr/bin/env bash
# End-to-end test of a testing round: builds the real binary, seeds a store
# in a temp dir, and drives `lifeline tui` in a detached tmux session at
# 80x24 as a community worker would on a mass-testing day: open a round of
# one building from the staff screen, fill a pooled tube by address (a
# household, Enter by Enter), close it, see the building's progress, mark
# a door-to-door visit on its missing list. Then the lab's results file
# comes back with the tube positive: the import says who is to be
# retested alone, the staff screen counts them, and the missing list
# exported as PDF and XLSX lists them. After every step it polls the
# screen (capture-pane) until the expected words appear; on failure it
# prints the screen and exits non-zero.
#
# Needs: go, tmux; pdftotext (poppler-utils) to read the exported PDF.
# Usage: scripts/e2e-rounds.sh   (KEEP=1 keeps the temp dir)
set -euo pipefail

cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "e2e-rounds: tmux is not installed (apt-get install tmux)" >&2; exit 2; }

export LC_ALL=C.UTF-8 LANG=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-e2e-rounds.XXXXXX")
SOCK="lifeline-e2e-rounds-$$"
S=rounds
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	if [[ -z "${KEEP:-}" ]]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup EXIT

BIN="$TMP/lifeline"
export LIFELINE_DB="$TMP/lifeline.db" LIFELINE_KEYS="$TMP/keys"
step() { printf '== %s\n' "$*"; }
fail() { echo "e2e-rounds: FAIL: $*" >&2; exit 1; }

step "build"
go build -o "$BIN" ./cmd/lifeline

step "seed a store, add a worker of its community and a signing key"
"$BIN" seed --residents 300 --seed 7 --quiet >/dev/null
"$BIN" keys new >/dev/null
first_json() { "$BIN" find --json --limit 1 "$1" 2>/dev/null; }
json_field() { sed -n "s/^ *\"$1\": \"\\(.*\\)\",\\{0,1\\}$/\\1/p" | head -1; }
COMMUNITY=$(first_json 1-1-101 | json_field community)
[[ -n "$COMMUNITY" ]] || fail "could not read the seeded community"
printf 'e2e-password-1\n' | "$BIN" staff add --user e2e --community "$COMMUNITY" --password-stdin >/dev/null
echo "community: $COMMUNITY; 1-1-101 is home to $("$BIN" find --limit 10 1-1-101 | tail -n +2 | wc -l) people"

E2E=e2e-rounds
. scripts/e2e-screen.sh
start_tui() {
	tmux -L "$SOCK" kill-session -t "$S" 2>/dev/null || true
	tmux -L "$SOCK" -u new-session -d -s "$S" -x 80 -y 24 \
		"'$BIN' tui --print-dir '$TMP/prints' --site e2e-desk; echo \"lifeline exited with status \$?\"; sleep 600"
	wait_for "社区工作人员登录"
	type_text e2e
	keys Enter
	type_text e2e-password-1
	keys Enter
	wait_for "已登录：e2e"
}

step "open a round of building 1 from the staff screen"
start_tui
keys F7
wait_for "还没有检测轮次"
keys n
wait_for "开启一轮核酸检测"
type_text 1
keys Tab
type_text "2099-12-31 18:00"
keys Enter
wait_for "已开启第 1 轮"
wait_for "10合1"

step "fill a pooled tube: scan it, add the household of 1-1-101 Enter by Enter, close it"
keys t
wait_for "扫描试管条码"
type_text E2E-0001
keys Enter
wait_for "0/10"
type_text 1-1-101
wait_for "住址"
N=$("$BIN" find --limit 10 1-1-101 | tail -n +2 | wc -l)
for ((i = 1; i <= N; i++)); do
	keys Enter
	wait_for "$i/10"
done
keys F8
wait_for "已封管（$N/10）"
keys Escape
wait_for "已采 $N"

step "the building's missing list: mark the first one not home"
keys Enter
wait_for "未采样"
keys 1
wait_for "上门未遇"
keys C-c
wait_for "lifeline exited with status 0"

step "the lab's results file: the tube is positive"
printf '试管编码,检测结果,采样时间\r\nE2E-0001,阳性,\r\n' >"$TMP/lab.csv"
"$BIN" import "$TMP/lab.csv" >"$TMP/import.out"
grep -q "混管阳性 $N 人须单管复检" "$TMP/import.out" || { cat "$TMP/import.out" >&2; fail "the import did not report $N to retest alone"; }
"$BIN" round missing --round 1 >"$TMP/list.out"
grep -q "混管阳性 $N，" "$TMP/list.out" || { cat "$TMP/list.out" >&2; fail "round missing does not count $N pooled positive"; }

step "the staff screen counts them, and the missing list names them"
start_tui
keys F7
wait_for "混管阳性 $N"
keys Enter
wait_for "其中混管阳性待复检 $N 人"
keys C-c
wait_for "lifeline exited with status 0"

step "export the missing list: XLSX for the office, PDF for a clipboard"
"$BIN" round missing --round 1 --building 1 --out "$TMP/missing.xlsx" >/dev/null
"$BIN" round missing --round 1 --building 1 --out "$TMP/missing.pdf" >/dev/null
[[ "$(stat -c %a "$TMP/missing.xlsx")" == 600 && "$(stat -c %a "$TMP/missing.pdf")" == 600 ]] || fail "the exported lists are not 0600"
head -c 5 "$TMP/missing.pdf" | grep -q '%PDF-' || fail "missing.pdf is not a PDF"
if command -v pdftotext >/dev/null; then
	pdftotext -layout "$TMP/missing.pdf" "$TMP/missing.txt"
	grep -q "混管阳性，需单管复检" "$TMP/missing.txt" || fail "the PDF does not say who is to be retested alone"
	grep -q "上门未遇" "$TMP/missing.txt" || fail "the PDF lacks the visit marked"
else
	echo "(pdftotext not installed: not reading the PDF)"
fi
echo "e2e-rounds: OK (a tube of $N, $(wc -c <"$TMP/missing.pdf") bytes of PDF)"
