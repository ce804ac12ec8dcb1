#!/usr/bin/env bash
# End-to-end test of the staff screen over SSH: builds the real binary,
# seeds a store in a temp dir, adds a staff account with a password and an
# SSH key, starts a private CUPS scheduler whose printer writes every job to
# a file (scripts/cupsd.sh), runs `lifeline tui --ssh-addr --printer
# lifeline` and logs in with the real OpenSSH client in tmux at 80x24, as a
# worker at a colleague's laptop would:
#   - with the key (no login screen): find a resident, print their card to
#     the office printer; the file the printer got decodes with zbar and
#     verifies; Ctrl-C ends the session;
#   - with the password: find a resident;
#   - a wrong key and a wrong password are refused, and audited with the
#     address;
#   - an idle session ends by itself;
#   - a dropped connection in the middle of a building's batch leaves the
#     batch either complete and recorded or not there and not recorded;
#   - ten wrong passwords in a row lock the name at the address and block
#     the address; staff unlock lifts the lock.
# After every step it polls the screen (capture-pane) until the expected words
# appear, and on failure prints the screen and exits non-zero.
#
# Needs: go, tmux, ssh and ssh-keygen (openssh-client), sqlite3 (to read the
# audit trail), cupsd and lp (cups-daemon, cups-client), pdftoppm and zbarimg
# to decode the printed QR (scripts/setup.sh installs them all). Usage:
# scripts/e2e-ssh.sh   (KEEP=1 keeps the temp dir)
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in tmux ssh ssh-keygen sqlite3 lp pdftoppm zbarimg; do
	command -v "$tool" >/dev/null || { echo "e2e-ssh: $tool is not installed (scripts/setup.sh installs it)" >&2; exit 2; }
done

export LC_ALL=C.UTF-8 LANG=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-e2e-ssh.XXXXXX")
SOCK="lifeline-e2e-ssh-$$"
SERVER=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
	LIFELINE_CUPSD_DIR="$TMP/cupsd" scripts/cupsd.sh stop 2>/dev/null || true
	if [[ -z "${KEEP:-}" ]]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup EXIT

BIN="$TMP/lifeline"
DB="$TMP/lifeline.db"
export LIFELINE_DB="$DB" LIFELINE_KEYS="$TMP/keys"
step() { printf '== %s\n' "$*"; }
fail() {
	echo "e2e-ssh: FAIL: $*" >&2
	echo "---- server's log" >&2
	cat "$TMP/server.err" >&2 || true
	exit 1
}

step "build"
go build -o "$BIN" ./cmd/lifeline

step "seed a store, add staff e2e with a password and an SSH key"
"$BIN" seed --residents 3000 --seed 7 --quiet >/dev/null
"$BIN" keys new >/dev/null
printf 'e2e-password-1\n' | "$BIN" staff add --user e2e --admin --password-stdin >/dev/null
ssh-keygen -q -t ed25519 -N '' -C e2e@laptop -f "$TMP/id_e2e"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$TMP/id_other"
"$BIN" staff key add --user e2e --key "$TMP/id_e2e.pub" >/dev/null
first_json() { "$BIN" find --json --limit 1 "$1" 2>/dev/null; }
json_field() { sed -n "s/^ *\"$1\": \"\\(.*\\)\",\\{0,1\\}$/\\1/p" | head -1; }
DOC=$(first_json 1-1-101 | json_field doc_number)
TAIL=${DOC: -4}
NAME=$(first_json "$TAIL" | json_field name)
RID=$(first_json "$TAIL" | sed -n 's/^ *"id": \([0-9]*\),$/\1/p' | head -1)
[[ -n "$TAIL" && -n "$NAME" && -n "$RID" ]] || fail "could not pick a resident from the seeded store"
echo "resident: $NAME (ID ending $TAIL)"

step "start a private CUPS scheduler: the office printer, which writes every job to a file"
eval "$(LIFELINE_CUPSD_DIR="$TMP/cupsd" scripts/cupsd.sh start)"

step "start lifeline tui --ssh-addr; the host key is made and its fingerprint printed"
mkdir -p "$TMP/prints"
"$BIN" tui --ssh-addr 127.0.0.1:0 --ssh-idle 8s --print-dir "$TMP/prints" --site e2e-office --printer lifeline >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER=$!
for ((i = 0; i < 100; i++)); do grep -q '127.0.0.1:[0-9]' "$TMP/server.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(grep -o '127.0.0.1:[0-9]*' "$TMP/server.out" | head -1 | cut -d: -f2)
[[ -n "$PORT" ]] || fail "the server never said where it listens: $(cat "$TMP/server.out")"
HOSTKEY="$TMP/ssh_host_ed25519_key"
[[ "$(stat -c %a "$HOSTKEY")" == 600 ]] || fail "the host key is $(stat -c %a "$HOSTKEY"), want 600"
FP=$(ssh-keygen -lf "$HOSTKEY" | awk '{print $2}')
grep -qF "$FP" "$TMP/server.out" || fail "the printed fingerprint is not the host key's ($FP): $(cat "$TMP/server.out")"
echo "[127.0.0.1]:$PORT $(ssh-keygen -y -f "$HOSTKEY")" >"$TMP/known_hosts"
SSH=(ssh -F /dev/null -p "$PORT" -o UserKnownHostsFile="$TMP/known_hosts" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes)

screen() { tmux -L "$SOCK" capture-pane -p -t "$1"; }
keys() { local s=$1; shift; tmux -L "$SOCK" send-keys -t "$s" "$@"; }
type_text() { tmux -L "$SOCK" send-keys -t "$1" -l "$2"; }
# wait_for SESSION TEXT [SECONDS]: poll the screen until it shows TEXT.
wait_for() {
	local s=$1 want=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if screen "$s" | grep -qF -- "$want"; then return 0; fi
		sleep 0.05
	done
	echo "e2e-ssh: the screen never showed \"$want\" within ${secs}s. Screen:" >&2
	screen "$s" >&2 || true
	fail "waiting for \"$want\""
}
# connect SESSION SSH-ARGS...: run ssh in a new tmux session at 80x24.
connect() {
	local s=$1; shift
	tmux -L "$SOCK" -u new-session -d -s "$s" -x 80 -y 24 "${SSH[*]} $*; echo \"ssh exited with status \$?\"; sleep 600"
}
# audited FILE ACTION PATTERN: how many audit entries of ACTION whose detail
# and place match the SQL LIKE pattern the store file (or its log) holds.
audited() {
	sqlite3 "$1" "SELECT COUNT(*) FROM audit_log WHERE action = '$2' AND (detail || ' ' || place) LIKE '$3'"
}

step "log in with the key: no login screen"
connect key -i "$TMP/id_e2e" -o IdentitiesOnly=yes -o BatchMode=yes e2e@127.0.0.1
wait_for key "查找："
wait_for key "e2e (管理员·全部社区)"
if screen key | grep -qF "社区工作人员登录"; then fail "a key login showed the login screen"; fi

step "find by the last 4 of the ID: $TAIL"
type_text key "$TAIL"
wait_for key "$NAME"
keys key Enter
wait_for key "最新检测"

step "print their card to the office printer; the screen says which printer, on the server"
keys key p
wait_for key "服务器"
wait_for key "打印机：lifeline"
keys key 1
wait_for key "完成。文件：" 30
PDF=$(ls "$TMP"/prints/card-*.pdf 2>/dev/null | head -1)
[[ -n "$PDF" ]] || fail "no card PDF in $TMP/prints"
wait_for key "打印机 lifeline 已收到" 30
JOB=$(ls "$LIFELINE_CUPS_OUT"/job-*.pdf 2>/dev/null | head -1)
[[ -n "$JOB" ]] || fail "the printer got no file"
cmp -s "$JOB" "$PDF" || fail "the printer got something else than $PDF"

step "Ctrl-C ends the session, and only it"
keys key C-c
wait_for key "ssh exited with status 0"
kill -0 "$SERVER" 2>/dev/null || fail "the server stopped with the session"
[[ $(audited "$DB" login "key SHA256:% ssh 127.0.0.1:% session %") == 1 ]] || fail "the key login is not audited with its address and session"

step "what the printer got decodes with zbar and verifies"
pdftoppm -r 300 -png -f 1 -l 1 "$JOB" "$TMP/page"
PAYLOAD=$(zbarimg -q --raw "$TMP"/page*.png 2>/dev/null | head -1)
[[ "$PAYLOAD" == LL1:* ]] || fail "no lifeline code decoded from $JOB"
# Exit status 0: valid and green at issue; 3: valid, holder not green.
rc=0; "$BIN" --lang en verify "$PAYLOAD" >"$TMP/verify.out" || rc=$?
[[ $rc == 0 || $rc == 3 ]] && grep -q "^VALID" "$TMP/verify.out" || fail "the printed code does not verify: $(cat "$TMP/verify.out")"

step "log in with the password"
connect pw -o PubkeyAuthentication=no e2e@127.0.0.1
wait_for pw "password:"
type_text pw "e2e-password-1"
keys pw Enter
wait_for pw "已登录：e2e"
type_text pw "$TAIL"
wait_for pw "$NAME"
keys pw C-c
wait_for pw "ssh exited with status 0"

step "a wrong key is refused, and audited with the address"
connect wrongkey -i "$TMP/id_other" -o IdentitiesOnly=yes -o BatchMode=yes e2e@127.0.0.1
wait_for wrongkey "ssh exited with status 255"
OTHER_FP=$(ssh-keygen -lf "$TMP/id_other.pub" | awk '{print $2}')
for ((i = 0; i < 40; i++)); do [[ $(audited "$DB-log" login_failed "%key not registered ($OTHER_FP)%ssh 127.0.0.1:%") == 1 ]] && break; sleep 0.05; done
[[ $(audited "$DB-log" login_failed "%key not registered ($OTHER_FP)%ssh 127.0.0.1:%") == 1 ]] || fail "the wrong key is not in the audit trail"

step "a wrong password is refused in words, and audited"
connect wrongpw -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 e2e@127.0.0.1
wait_for wrongpw "password:"
type_text wrongpw "not-the-password"
keys wrongpw Enter
wait_for wrongpw "用户名或密码错误"
wait_for wrongpw "ssh exited with status 255"
[[ $(audited "$DB" login_failed "user e2e: wrong password ssh 127.0.0.1:%") == 1 ]] || fail "the wrong password is not audited with the address"

step "an idle session ends by itself"
connect idle -i "$TMP/id_e2e" -o IdentitiesOnly=yes -o BatchMode=yes e2e@127.0.0.1
wait_for idle "查找："
wait_for idle "会话已结束" 20
wait_for idle "ssh exited with status 0"

step "a dropped connection in the middle of a building's batch"
CODES_BEFORE=$(sqlite3 "$DB" "SELECT COUNT(*) FROM issued_codes")
connect drop -i "$TMP/id_e2e" -o IdentitiesOnly=yes -o BatchMode=yes e2e@127.0.0.1
wait_for drop "查找："
type_text drop "$TAIL"
wait_for drop "$NAME"
keys drop Enter
wait_for drop "最新检测"
keys drop p
wait_for drop "整栋楼"
keys drop 3
wait_for drop "按 y 开始打印"
keys drop y
wait_for drop "按 esc 取消" 30
SSH_PID=$(pgrep -P "$(tmux -L "$SOCK" display -p -t drop '#{pane_pid}')" -x ssh || true)
[[ -n "$SSH_PID" ]] && kill -9 "$SSH_PID"
for ((i = 0; i < 100; i++)); do grep -q "logged out (connection dropped)\|logged out (quit)" "$TMP/server.err" && break; sleep 0.1; done
BUILDING=$(sqlite3 "$DB" "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id
	JOIN (SELECT h2.community, h2.building FROM residents r2 JOIN households h2 ON h2.id = r2.household_id WHERE r2.id = $RID) me
	ON h.community = me.community AND h.building = me.building")
NEW=$(( $(sqlite3 "$DB" "SELECT COUNT(*) FROM issued_codes") - CODES_BEFORE ))
BATCH=$(ls "$TMP"/prints/building-*.pdf 2>/dev/null | head -1 || true)
if [[ -n "$BATCH" ]]; then
	[[ "$NEW" == "$BUILDING" ]] || fail "the batch's file is there but $NEW of $BUILDING codes are recorded"
	head -c 5 "$BATCH" | grep -q '%PDF-' || fail "$BATCH is not a PDF"
	echo "the batch finished before the drop: $BUILDING codes, recorded"
else
	[[ "$NEW" == 0 ]] || fail "no file, but $NEW codes recorded as printed"
	ls "$TMP"/prints | grep -v '^card-' && fail "a part of the batch was left: $(ls "$TMP/prints")"
	echo "the batch was cut: no file, nothing recorded ($BUILDING residents in the building)"
fi
kill -0 "$SERVER" 2>/dev/null || fail "the server stopped with the dropped connection"

step "ten wrong passwords in a row: locked here, the address blocked"
for ((n = 1; n <= 10; n++)); do
	connect "bad$n" -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 e2e@127.0.0.1
	wait_for "bad$n" "password:"
	type_text "bad$n" "wrong-password-$n"
	keys "bad$n" Enter
	wait_for "bad$n" "ssh exited with status 255"
done
screen bad10 | grep -qF "已锁定" || fail "the tenth wrong password does not say the name is locked: $(screen bad10)"
connect blocked -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 e2e@127.0.0.1
wait_for blocked "登录失败次数过多"
[[ $(audited "$DB" login_locked "user e2e: locked at ssh 127.0.0.1%") -ge 1 ]] || fail "the lock is not audited"
[[ $(audited "$DB-log" login_blocked "address 127.0.0.1 refused%") == 1 ]] || fail "the address block is not audited"
"$BIN" --lang en staff list | grep -E '^e2e +admin +active +1 +1 ' >/dev/null || fail "staff list does not show the lock: $("$BIN" --lang en staff list)"
"$BIN" --lang en staff unlock --user e2e | grep -qF "locked at 1 places" || fail "staff unlock did not lift the lock"

echo "e2e-ssh: OK"
