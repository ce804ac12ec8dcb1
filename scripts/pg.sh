#!/usr/bin/env bash
# pg.sh starts and stops a throwaway PostgreSQL cluster for lifeline's tests.
#
#   eval "$(scripts/pg.sh start)"   # starts it, exports LIFELINE_TEST_POSTGRES
#   go test ./store/ ./upstream/
#   scripts/pg.sh stop              # stops it and deletes its files
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 only, on a
# free port, trusts local connections and is owned by an unprivileged user
# (PostgreSQL refuses to run as root: when run as root, the "postgres" user of
# Debian's package runs it). "start" prints shell export lines on stdout and
# everything else on stderr, so it can be eval'd. The binaries are taken from
# $PG_BIN, pg_config, or the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

say() { echo "pg.sh: $*" >&2; }

find_bin() {
	if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
	if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
	if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
	say "PostgreSQL binaries not found: install the postgresql package (scripts/setup.sh) or set PG_BIN"
	exit 1
}

# as runs a command as the cluster's owner.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

state_dir() { echo "${LIFELINE_PG_DIR:-${TMPDIR:-/tmp}/lifeline-pg-$(id -u)}"; }

start() {
	local bin dir port dsn tries
	bin=$(find_bin)
	dir=$(state_dir)
	if [ -f "$dir/dsn" ] && PG_USER=$(cat "$dir/user") && as "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		say "already running ($dir)"
		echo "export LIFELINE_PG_DIR='$dir'"
		echo "export LIFELINE_TEST_POSTGRES='$(cat "$dir/dsn")'"
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	PG_USER=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		PG_USER=postgres
		if ! id "$PG_USER" >/dev/null 2>&1; then
			useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
		fi
		chown "$PG_USER" "$dir"
	fi
	echo "$PG_USER" >"$dir/user"
	echo "$bin" >"$dir/bin"
	as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
		as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	# fsync off: a test cluster is thrown away, so waiting for the disk at
	# every commit would only slow the suite down. max_connections covers
	# several replicas in the benchmarks.
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = ''
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 300
	EOF
	for tries in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 30000))
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
		if as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
			dsn="postgres://postgres@127.0.0.1:$port/lifeline_test?sslmode=disable"
			as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres lifeline_test
			echo "$dsn" >"$dir/dsn"
			say "PostgreSQL running on 127.0.0.1:$port (data in $dir)"
			echo "export LIFELINE_PG_DIR='$dir'"
			echo "export LIFELINE_TEST_POSTGRES='$dsn'"
			return
		fi
	done
	say "could not start PostgreSQL; server log:"
	cat "$dir/server.log" >&2 || true
	exit 1
}

stop() {
	local dir bin
	dir=$(state_dir)
	if [ ! -d "$dir" ]; then
		say "not running"
		return
	fi
	if [ -f "$dir/bin" ]; then
		bin=$(cat "$dir/bin")
		PG_USER=$(cat "$dir/user")
		as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	say "stopped and removed $dir"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: scripts/pg.sh start|stop" >&2
	exit 2
	;;
esac
