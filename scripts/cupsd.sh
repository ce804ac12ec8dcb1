#!/usr/bin/env bash
# cupsd.sh starts and stops a private CUPS scheduler for lifeline's printing
# tests: its own configuration, spool and logs in one directory, listening
# on a Unix socket there (never on the network, never the machine's own
# cupsd), with one print queue, "lifeline", whose backend writes every job
# it is given, untouched, to DIR/out/job-N.pdf, so a test can read what the
# printer would have printed.
#
#   eval "$(scripts/cupsd.sh start)"   # exports CUPS_SERVER and LIFELINE_CUPS_OUT
#   lp -d lifeline cards.pdf; ls "$LIFELINE_CUPS_OUT"
#   scripts/cupsd.sh stop
#
# The directory is $LIFELINE_CUPSD_DIR (default: a lifeline-cupsd directory
# under $TMPDIR for this user). Run as root, cupsd runs its filters as "lp"
# but the backend as root (it is mode 0700); run as anyone else, everything
# runs as that user. "start" prints export lines on stdout and everything
# else on stderr, so it can be eval'd. Needs cupsd and lpadmin (Debian:
# cups-daemon, cups-client; scripts/setup.sh installs them).
set -euo pipefail

say() { echo "cupsd.sh: $*" >&2; }
dir() { echo "${LIFELINE_CUPSD_DIR:-${TMPDIR:-/tmp}/lifeline-cupsd-$(id -u)}"; }

exports() {
	echo "export CUPS_SERVER='$1/cups.sock'"
	echo "export LIFELINE_CUPS_OUT='$1/out'"
	echo "export LIFELINE_CUPSD_DIR='$1'"
}

start() {
	local d
	d=$(dir)
	command -v cupsd >/dev/null || PATH=$PATH:/usr/sbin
	command -v cupsd >/dev/null || { say "cupsd is not installed (apt-get install cups-daemon cups-client, or scripts/setup.sh)"; exit 1; }
	if [ -f "$d/cupsd.pid" ] && kill -0 "$(cat "$d/cupsd.pid")" 2>/dev/null; then
		say "already running ($d)"
		exports "$d"
		return
	fi
	rm -rf "$d"
	mkdir -p "$d"/{bin/backend,bin/filter,bin/daemon,spool,cache,state,log,tmp,root,out}
	ln -s /usr/lib/cups/daemon/cups-exec "$d/bin/daemon/cups-exec"
	cat >"$d/bin/backend/lifeline-file" <<'EOF'
#!/bin/sh
# lifeline-file: a CUPS backend writing each job to DIR/job-ID.pdf, where
# the device URI is lifeline-file:DIR.
set -e
if [ $# -eq 0 ]; then
	echo 'file lifeline-file "Unknown" "lifeline test printer writing files"'
	exit 0
fi
dir=${DEVICE_URI#lifeline-file:}
out="$dir/job-$1.pdf"
if [ $# -ge 6 ]; then cat "$6" >"$out.tmp"; else cat >"$out.tmp"; fi
mv "$out.tmp" "$out"
EOF
	cat >"$d/root/cupsd.conf" <<EOF
Listen $d/cups.sock
LogLevel info
WebInterface No
Browsing No
DefaultAuthType None
MaxJobs 0
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
	cat >"$d/root/cups-files.conf" <<EOF
ServerRoot $d/root
ServerBin $d/bin
DataDir /usr/share/cups
RequestRoot $d/spool
CacheDir $d/cache
StateDir $d/state
TempDir $d/tmp
AccessLog $d/log/access_log
ErrorLog $d/log/error_log
PageLog $d/log/page_log
SystemGroup $(id -gn)
FileDevice Yes
Sandboxing Relaxed
EOF
	chmod -R go+rx "$d"
	chmod 0700 "$d/bin/backend/lifeline-file"
	cupsd -f -c "$d/root/cupsd.conf" -s "$d/root/cups-files.conf" >"$d/log/cupsd.out" 2>&1 </dev/null &
	echo $! >"$d/cupsd.pid"
	export CUPS_SERVER="$d/cups.sock"
	local i
	for ((i = 0; i < 100; i++)); do
		if lpstat -r 2>/dev/null | grep -q "scheduler is running"; then break; fi
		if ! kill -0 "$(cat "$d/cupsd.pid")" 2>/dev/null; then
			say "cupsd exited:"; cat "$d/log/cupsd.out" "$d/log/error_log" >&2 2>/dev/null || true; exit 1
		fi
		sleep 0.1
	done
	lpstat -r 2>/dev/null | grep -q "scheduler is running" || { say "cupsd did not start"; exit 1; }
	lpadmin -p lifeline -E -v "lifeline-file:$d/out" -D "lifeline test printer"
	say "running in $d, queue lifeline writes jobs to $d/out"
	exports "$d"
}

stop() {
	local d pid i
	d=$(dir)
	if [ -f "$d/cupsd.pid" ]; then
		pid=$(cat "$d/cupsd.pid")
		kill "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$d"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: scripts/cupsd.sh start|stop" >&2; exit 2 ;;
esac
