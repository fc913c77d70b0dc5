#!/usr/bin/env bash
# run-cluster.sh starts a local 3-node ringcache cluster on 127.0.0.1 —
# RESP ports 7379, 7380, 7381; gossip ports 7946, 7947, 7948; admin HTTP
# ports (/metrics, /readyz) 9379, 9380, 9381 — waits until the three agree
# on the ring, prints how to connect, and on Ctrl-C stops all three
# gracefully (SIGTERM: each leaves the cluster, then drains) in about a
# second. The nodes use the local gossip profile (one machine: short
# timers, so the leave completes quickly). Extra arguments are passed to
# every node, after the script's own (so they win): `make run ARGS="--redirect
# moved --maxmemory 1gb"`. Environment: BIN (default bin/cacheserver),
# LOGDIR (default a fresh temporary directory), BASE_PORT,
# BASE_GOSSIP_PORT, BASE_ADMIN_PORT.
set -euo pipefail

BIN=${BIN:-bin/cacheserver}
LOGDIR=${LOGDIR:-$(mktemp -d -t ringcache-run.XXXXXX)}
BASE_PORT=${BASE_PORT:-7379}
BASE_GOSSIP_PORT=${BASE_GOSSIP_PORT:-7946}
BASE_ADMIN_PORT=${BASE_ADMIN_PORT:-9379}
pids=()

stop() {
	trap - INT TERM EXIT
	if ((${#pids[@]})); then
		local t0=$EPOCHREALTIME
		echo
		echo "stopping ${#pids[@]} nodes (each leaves the cluster, then drains)..."
		kill -TERM "${pids[@]}" 2>/dev/null || true
		wait "${pids[@]}" 2>/dev/null || true
		printf 'stopped in %.1fs; logs in %s\n' "$(awk "BEGIN { print $EPOCHREALTIME - $t0 }")" "$LOGDIR"
	fi
}
trap stop INT TERM EXIT

for i in 0 1 2; do
	port=$((BASE_PORT + i))
	gossip=$((BASE_GOSSIP_PORT + i))
	join=()
	if ((i > 0)); then join=(--join "127.0.0.1:$BASE_GOSSIP_PORT"); fi
	"$BIN" --bind 127.0.0.1 --port "$port" --gossip-port "$gossip" --admin-port "$((BASE_ADMIN_PORT + i))" \
		--node-name "node-$((i + 1))" --gossip-profile local "${join[@]}" "$@" >"$LOGDIR/node-$((i + 1)).log" 2>&1 &
	pids+=($!)
done

# Wait (up to 30s) until every node has logged a 3-member ring.
for _ in $(seq 300); do
	ready=0
	for i in 1 2 3; do
		if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then
			echo "node-$i exited:" >&2
			cat "$LOGDIR/node-$i.log" >&2
			exit 1
		fi
		grep -q 'ring applied" members=3' "$LOGDIR/node-$i.log" && ready=$((ready + 1))
	done
	((ready == 3)) && break
	sleep 0.1
done
if ((ready != 3)); then
	echo "the nodes did not agree on a 3-member ring within 30s; logs in $LOGDIR" >&2
	exit 1
fi

cat <<MSG
ringcache: 3-node cluster running on 127.0.0.1
  RESP   127.0.0.1:$BASE_PORT  127.0.0.1:$((BASE_PORT + 1))  127.0.0.1:$((BASE_PORT + 2))
  gossip 127.0.0.1:$BASE_GOSSIP_PORT  127.0.0.1:$((BASE_GOSSIP_PORT + 1))  127.0.0.1:$((BASE_GOSSIP_PORT + 2))
  admin  http://127.0.0.1:$BASE_ADMIN_PORT/metrics  (/readyz, /livez; ports $BASE_ADMIN_PORT-$((BASE_ADMIN_PORT + 2)))
  logs   $LOGDIR

connect:
  redis-cli -p $BASE_PORT          any node answers any key (forwarded to its owner)
  redis-cli -c -p $BASE_PORT       cluster mode: follows -MOVED (make run ARGS="--redirect moved")
  redis-cli -p $BASE_PORT cluster shards

Ctrl-C stops all three.
MSG
wait
