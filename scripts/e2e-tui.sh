#!/usr/bin/env bash
# End-to-end test of the staff screen: builds the real binary, makes a store
# in a temp dir, seeds it, adds a staff account and a signing key, starts a
# private CUPS scheduler whose printer writes every job to a file
# (scripts/cupsd.sh), runs `lifeline tui --printer lifeline` in a detached
# tmux session at 80x24, and drives it with send-keys as a worker would: log
# in, find a resident by the last 4 of their ID typed full-width as an input
# method types it, open them, print their card to the printer. The file the
# printer got must decode with zbar and verify. After every step it polls
# the screen text (capture-pane) until the expected words appear, and on
# failure prints the screen and exits non-zero.
#
# Needs: go, tmux, cupsd and lp (cups-daemon, cups-client), pdftoppm and
# zbarimg (scripts/setup.sh installs them all).
# Usage: scripts/e2e-tui.sh [--lang en]   (KEEP=1 keeps the temp dir)
set -euo pipefail

cd "$(dirname "$0")/.."
LANG_FLAG=(--lang zh)
if [[ "${1:-}" == "--lang" && -n "${2:-}" ]]; then LANG_FLAG=(--lang "$2"); fi
command -v tmux >/dev/null || { echo "e2e-tui: tmux is not installed (apt-get install tmux)" >&2; exit 2; }

export LC_ALL=C.UTF-8 LANG=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-e2e-tui.XXXXXX")
SOCK="lifeline-e2e-$$"
S=e2e
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	LIFELINE_CUPSD_DIR="$TMP/cupsd" scripts/cupsd.sh stop 2>/dev/null || true
	if [[ -z "${KEEP:-}" ]]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup EXIT

BIN="$TMP/lifeline"
export LIFELINE_DB="$TMP/lifeline.db" LIFELINE_KEYS="$TMP/keys" LIFELINE_CHECKPOINT="$TMP/checkpoint"
step() { printf '== %s\n' "$*"; }

step "build"
go build -o "$BIN" ./cmd/lifeline

step "seed a store, add staff and a signing key"
"$BIN" seed --residents 300 --seed 7 --quiet >/dev/null
"$BIN" keys new >/dev/null
printf 'e2e-password-1\n' | "$BIN" staff add --user e2e --admin --password-stdin >/dev/null

# A resident and the last 4 of their ID, as a worker would read it off the
# card; the one ranked first for that tail is who Enter opens.
first_json() { "$BIN" find --json --limit 1 "$1" 2>/dev/null; }
json_field() { sed -n "s/^ *\"$1\": \"\\(.*\\)\",\\{0,1\\}$/\\1/p" | head -1; }
DOC=$(first_json 1-1-101 | json_field doc_number)
TAIL=${DOC: -4}
NAME=$(first_json "$TAIL" | json_field name)
[[ -n "$TAIL" && -n "$NAME" ]] || { echo "e2e-tui: could not pick a resident from the seeded store" >&2; exit 1; }
echo "resident: $NAME (ID ending $TAIL)"

E2E=e2e-tui
. scripts/e2e-screen.sh

step "start a private CUPS scheduler with a printer that writes files"
eval "$(LIFELINE_CUPSD_DIR="$TMP/cupsd" scripts/cupsd.sh start)"

step "start lifeline tui in tmux at 80x24, printing to it"
mkdir -p "$TMP/prints"
tmux -L "$SOCK" -u new-session -d -s "$S" -x 80 -y 24 \
	"CUPS_SERVER='$CUPS_SERVER' '$BIN' ${LANG_FLAG[*]} tui --print-dir '$TMP/prints' --site e2e-desk --printer lifeline; echo \"lifeline exited with status \$?\"; sleep 600"
if [[ "${LANG_FLAG[1]}" == en ]]; then
	T_LOGIN="Community staff log in" T_LOGGED="Logged in: e2e" T_FIND="Find:" T_TEST="Latest test" T_PRINT="this person (one code)" T_DONE="Files:" T_HAS="the printer lifeline has"
else
	T_LOGIN="社区工作人员登录" T_LOGGED="已登录：e2e" T_FIND="查找：" T_TEST="最新检测" T_PRINT="本人（一张）" T_DONE="文件：" T_HAS="打印机 lifeline 已收到"
fi

step "log in"
wait_for "$T_LOGIN"
type_text e2e
keys Enter
type_text e2e-password-1
keys Enter
wait_for "$T_LOGGED"
wait_for "$T_FIND"

# The last 4 typed full-width, as a Chinese input method types them.
WIDE=$(printf '%s' "$TAIL" | sed 's/0/０/g;s/1/１/g;s/2/２/g;s/3/３/g;s/4/４/g;s/5/５/g;s/6/６/g;s/7/７/g;s/8/８/g;s/9/９/g;s/X/Ｘ/g')
step "find by the last 4 of the ID, full-width: $WIDE"
type_text "$WIDE"
wait_for "$NAME"
wait_for "${DOC:0:6}********$TAIL"

step "open the resident"
keys Enter
wait_for "$T_TEST"
wait_for "$NAME"
if screen | grep -qE '[0-9]{17}[0-9X]'; then
	echo "e2e-tui: FAIL: a full ID number is on the resident screen before reveal" >&2
	screen >&2
	exit 1
fi

step "print their card to the printer"
keys p
wait_for "$T_PRINT"
keys 1
wait_for "$T_DONE" 30
PDF=$(ls "$TMP"/prints/card-*.pdf 2>/dev/null | head -1)
[[ -n "$PDF" ]] || { echo "e2e-tui: FAIL: no card PDF in $TMP/prints" >&2; screen >&2; exit 1; }
head -c 5 "$PDF" | grep -q '%PDF-' || { echo "e2e-tui: FAIL: $PDF is not a PDF" >&2; exit 1; }
wait_for "$PDF"
wait_for "$T_HAS" 30
JOB=$(ls "$LIFELINE_CUPS_OUT"/job-*.pdf 2>/dev/null | head -1)
[[ -n "$JOB" ]] || { echo "e2e-tui: FAIL: the printer got no file" >&2; screen >&2; exit 1; }
cmp -s "$JOB" "$PDF" || { echo "e2e-tui: FAIL: the printer got something else than $PDF" >&2; exit 1; }

step "what the printer got decodes with zbar and verifies"
pdftoppm -r 300 -png -f 1 -l 1 "$JOB" "$TMP/page"
PAYLOAD=$(zbarimg -q --raw "$TMP"/page*.png 2>/dev/null | head -1)
[[ "$PAYLOAD" == LL1:* ]] || { echo "e2e-tui: FAIL: no lifeline code decoded from $JOB" >&2; exit 1; }
# Exit status 0: valid and green at issue; 3: valid, holder not green.
rc=0; "$BIN" --lang en verify "$PAYLOAD" >"$TMP/verify.out" || rc=$?
[[ $rc == 0 || $rc == 3 ]] || { echo "e2e-tui: FAIL: the printed code does not verify:" >&2; cat "$TMP/verify.out" >&2; exit 1; }
grep -q "^VALID" "$TMP/verify.out" || { echo "e2e-tui: FAIL: verify said:" >&2; cat "$TMP/verify.out" >&2; exit 1; }

step "back to the resident: the code is listed"
keys Escape
wait_for "$T_TEST"
if [[ "${LANG_FLAG[1]}" == en ]]; then wait_for "Paper codes: 1"; else wait_for "纸质码：1 张"; fi

if [[ -n "${PAYLOAD:-}" ]]; then
	step "scan the printed code on the check screen"
	keys F4
	type_text "$PAYLOAD"
	keys Enter
	if [[ "${LANG_FLAG[1]}" == en ]]; then wait_for "Holder:"; else wait_for "持码人："; fi
	wait_for "VALID"
	if screen | grep -q INVALID; then echo "e2e-tui: FAIL: the printed code was refused" >&2; screen >&2; exit 1; fi
fi

step "quit"
keys C-c
wait_for "lifeline exited with status 0"
echo "e2e-tui: OK ($(basename "$PDF"), $(wc -c <"$PDF") bytes)"
