#!/usr/bin/env bash
# compat: run the Valkey test units ringcache depends on against a fresh
# standalone cacheserver and a fresh redis-server, one unit at a time, and
# print ok/err per unit side by side.
#
#   make compat                                  # the default units below
#   UNITS="unit/multi unit/tracking" make compat # a subset
#   KEEP=1 make compat                           # keep the logs (path printed)
#   UNSKIP="unit/acl unit/auth" UNITS="unit/acl unit/auth" make compat
#       # run the first block of those units, tagged external:skip upstream
#       # although it only needs a running server (issue #14)
#   RUNTEST_ARGS="--skiptest /shard" make compat # more runtest options
#
# The suite comes from $VALKEY_TESTS (default ../shared/valkey-tests, see its
# README.ringcache.md); it is copied to a temporary directory because the
# harness writes under tests/tmp and the shared copy may be read-only.
# A unit that stops making progress for UNIT_TIMEOUT seconds is cut off and
# its partial counts are printed with a "timeout" mark.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

VALKEY_TESTS=${VALKEY_TESTS:-../shared/valkey-tests}
[ -d "$VALKEY_TESTS" ] || VALKEY_TESTS=/work/shared/valkey-tests
UNITS=${UNITS:-unit/type/string unit/expire unit/protocol unit/keyspace unit/multi unit/tracking unit/pubsub unit/introspection unit/info-command unit/bitops unit/scan unit/type/incr}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-60}
TARGETS=${TARGETS:-cacheserver redis-server}

for bin in tclsh redis-server redis-cli; do
	command -v "$bin" >/dev/null || { echo "compat: $bin not found (apt-get install tcl redis-server)" >&2; exit 1; }
done
[ -x "$VALKEY_TESTS/runtest" ] || { echo "compat: no Valkey suite at $VALKEY_TESTS" >&2; exit 1; }

WORK=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "compat: logs in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

cp -r "$VALKEY_TESTS" "$WORK/suite"
for u in ${UNSKIP:-}; do
	sed -i '1s/ external:skip//' "$WORK/suite/tests/$u.tcl"
done
go build -o "$WORK/bin/" ./cmd/cacheserver

wait_ping() {
	for _ in $(seq 1 200); do
		[ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	echo "compat: port $1 did not answer PING" >&2
	return 1
}

# start TARGET LOG: starts a fresh server, sets PORT and PID.
start() {
	PORT=$(free_port)
	case $1 in
	cacheserver) "$WORK/bin/cacheserver" --bind 127.0.0.1 --port "$PORT" --cluster-enabled=false 2>"$2.server" & ;;
	redis-server) redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$WORK" --logfile "$2.server" & ;;
	esac
	PID=$!
	pids+=("$PID")
	wait_ping "$PORT"
}

# run_unit TARGET UNIT: prints "ok err [timeout]".
run_unit() {
	local log mark=""
	log="$WORK/$(echo "$1-$2" | tr / _).log"
	start "$1" "$log"
	(cd "$WORK/suite" && timeout -k 5 $((UNIT_TIMEOUT * 10)) ./runtest --host 127.0.0.1 --port "$PORT" \
		--singledb --clients 1 --durable --timeout "$UNIT_TIMEOUT" \
		--tags -needs:debug --tags -needs:repl --tags -needs:config-maxmemory \
		${RUNTEST_ARGS:-} --single "$2" >"$log" 2>&1) || true
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	sed -i 's/\x1b\[[0-9;]*m//g' "$log"
	grep -q "^Cleanup: may take some time" "$log" && ! grep -q "\[TIMEOUT\]" "$log" || mark=" timeout"
	echo "$(grep -c '^\[ok\]' "$log") $(grep -c '^\[err\]\|^\[exception\]' "$log")$mark"
}

printf '%-22s' unit
for t in $TARGETS; do printf ' %-20s' "$t ok/err"; done
echo
declare -A TOT_OK TOT_ERR
for t in $TARGETS; do TOT_OK[$t]=0; TOT_ERR[$t]=0; done
for u in $UNITS; do
	printf '%-22s' "$u"
	for t in $TARGETS; do
		read -r ok err mark < <(run_unit "$t" "$u")
		TOT_OK[$t]=$((TOT_OK[$t] + ok)); TOT_ERR[$t]=$((TOT_ERR[$t] + err))
		printf ' %-20s' "$ok/$err${mark:+ $mark}"
	done
	echo
done
printf '%-22s' total
for t in $TARGETS; do printf ' %-20s' "${TOT_OK[$t]}/${TOT_ERR[$t]}"; done
echo
