# e2e-screen.sh is sourced by the end-to-end scripts that drive the staff
# screen in one tmux window: $SOCK names the tmux server, $S the window,
# and $E2E the script, for its messages.

# screen prints what the window shows now.
screen() { tmux -L "$SOCK" capture-pane -p -t "$S"; }
# keys presses keys (tmux key names: Enter, F7, C-c…).
keys() { tmux -L "$SOCK" send-keys -t "$S" "$@"; }
# type_text types its argument as it is.
type_text() { tmux -L "$SOCK" send-keys -t "$S" -l "$1"; }
# wait_for TEXT [SECONDS]: poll the screen until it shows TEXT; otherwise
# print the screen and exit 1.
wait_for() {
	local want=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if screen | grep -qF -- "$want"; then return 0; fi
		sleep 0.05
	done
	echo "$E2E: FAIL: the screen never showed \"$want\" within ${secs}s. Screen:" >&2
	echo "--------------------------------------------------------------------------------" >&2
	screen >&2 || true
	echo "--------------------------------------------------------------------------------" >&2
	exit 1
}
