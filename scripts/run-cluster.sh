#!/usr/bin/env bash
# run-cluster.sh starts a local 3-node ringcache cluster on 127.0.0.1 —
# RESP ports 7379, 7380, 7381; gossip ports 7946, 7947, 7948 — waits until
# the three agree on the ring, prints how to connect, and on Ctrl-C stops
# all three gracefully (SIGTERM: each leaves the cluster, then drains).
# Extra arguments are passed to every node (e.g. --redirect moved,
# --maxmemory 1gb). Environment: BIN (default bin/cacheserver), LOGDIR
# (default a fresh temporary directory), BASE_PORT, BASE_GOSSIP_PORT.
set -euo pipefail

BIN=${BIN:-bin/cacheserver}
LOGDIR=${LOGDIR:-$(mktemp -d -t ringcache-run.XXXXXX)}
BASE_PORT=${BASE_PORT:-7379}
BASE_GOSSIP_PORT=${BASE_GOSSIP_PORT:-7946}
pids=()

stop() {
	trap - INT TERM EXIT
	if ((${#pids[@]})); then
		echo
		echo "stopping ${#pids[@]} nodes..."
		kill -TERM "${pids[@]}" 2>/dev/null || true
		wait "${pids[@]}" 2>/dev/null || true
		echo "stopped; logs in $LOGDIR"
	fi
}
trap stop INT TERM EXIT

for i in 0 1 2; do
	port=$((BASE_PORT + i))
	gossip=$((BASE_GOSSIP_PORT + i))
	join=()
	if ((i > 0)); then join=(--join "127.0.0.1:$BASE_GOSSIP_PORT"); fi
	"$BIN" --bind 127.0.0.1 --port "$port" --gossip-port "$gossip" --node-name "node-$((i + 1))" \
		"${join[@]}" "$@" >"$LOGDIR/node-$((i + 1)).log" 2>&1 &
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
  logs   $LOGDIR

connect:
  redis-cli -p $BASE_PORT          any node answers any key (forwarded to its owner)
  redis-cli -c -p $BASE_PORT       cluster mode: follows -MOVED (with --redirect moved)
  redis-cli -p $BASE_PORT cluster shards

Ctrl-C stops all three.
MSG
wait
