#!/usr/bin/env bash
# bench-cluster: throughput of a local 3-node ringcache cluster relative to a
# single node, same machine, same redis-benchmark settings as bench-resp
# (-c 50 -d 100 -r 1000000, -t set,get, at -P 1 and -P 16):
#   single   one node, plain redis-benchmark
#   moved    3 nodes with --redirect moved, redis-benchmark --cluster
#   forward  3 nodes with --redirect forward, plain redis-benchmark against
#            one node (about 2/3 of the requests are forwarded)
# Targets are alternated ROUNDS times; medians and ratios to single are
# reported. All processes share this machine's cores.
#
#   make bench-cluster
#   ROUNDS=5 N=1000000 make bench-cluster
#   NODE_ARGS="--replicas 0" make bench-cluster   # extra flags for every node
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

ROUNDS=${ROUNDS:-3}
N=${N:-300000}
OUT=${OUT:-bench/results/cluster-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
for bin in redis-cli redis-benchmark; do
	command -v "$bin" >/dev/null || { echo "bench-cluster: $bin not found (apt-get install redis-tools)" >&2; exit 1; }
done
go build -o bin/ ./cmd/cacheserver


pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_members() { # port members
	for _ in $(seq 1 400); do
		[ "$(redis-cli -p "$1" info ringcache 2>/dev/null | tr -d '\r' | awk -F: '/^ringcache_members:/ {print $2}')" = "$2" ] && return 0
		sleep 0.05
	done
	echo "bench-cluster: port $1 did not see $2 members" >&2; exit 1
}

# start_cluster name n redirect: starts n nodes, sets PORT[name] to the first.
declare -A PORT
start_cluster() {
	local name=$1 n=$2 redirect=$3 seed="" ports=()
	for i in $(seq 1 "$n"); do
		local port gport join=()
		port=$(free_port); gport=$(free_port)
		[ -n "$seed" ] && join=(--join "$seed")
		bin/cacheserver --bind 127.0.0.1 --port "$port" --gossip-port "$gport" --node-name "$name-$i" \
			--redirect "$redirect" "${join[@]}" ${NODE_ARGS:-} 2>"$OUT/$name-$i.log" &
		pids+=("$!"); ports+=("$port")
		[ -z "$seed" ] && seed=127.0.0.1:$gport
	done
	for p in "${ports[@]}"; do wait_members "$p" "$n"; done
	PORT[$name]=${ports[0]}
}

start_cluster single 1 forward
start_cluster moved 3 moved
start_cluster forward 3 forward

run_bench() { # target label args...
	local t=$1 label=$2; shift 2
	local extra=()
	[ "$t" = moved ] && extra=(--cluster)
	redis-benchmark "${extra[@]}" -p "${PORT[$t]}" --csv "$@" 2>"$OUT/$t-$label.err" | grep '^"[A-Z]' | tr -d '"' |
		awk -F, -v t="$t" -v l="$label" '{ printf "%s,%s,%s,%s,%s,%s\n", t, l, $1, $2, $5, $7 }'
}

echo "target,load,test,rps,p50_ms,p99_ms" > "$OUT/runs.csv"
for r in $(seq 1 "$ROUNDS"); do
	for t in single moved forward; do
		echo "round $r: $t" >&2
		run_bench "$t" P1  -c 50 -n "$N" -r 1000000 -d 100 -t set,get -P 1  >> "$OUT/runs.csv"
		run_bench "$t" P16 -c 50 -n "$((N * 3))" -r 1000000 -d 100 -t set,get -P 16 >> "$OUT/runs.csv"
	done
done

summary=$(medians "$OUT/runs.csv")
echo "$summary" > "$OUT/medians.csv"
{
	echo "bench-cluster $(date -u +%FT%TZ), rounds=$ROUNDS, n=$N (P16: $((N * 3))), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	printf "%-8s %-4s %-4s %12s %8s %8s %8s\n" target load test "rps(median)" p50_ms p99_ms ratio
	echo "$summary" | awk -F, '
		{ key = $2 "," $3; if ($1 == "single") base[key] = $4; row[NR] = $0 }
		END { for (i = 1; i <= NR; i++) { split(row[i], f, ","); key = f[2] "," f[3]
			printf "%-8s %-4s %-4s %12.0f %8.3f %8.3f %7.2fx\n", f[1], f[2], f[3], f[4], f[5], f[6],
				(base[key] ? f[4] / base[key] : 0) } }' | sort -k2,2 -k3,3 -k1,1
	if grep -qi error "$OUT"/*.err 2>/dev/null; then echo; echo "errors reported by redis-benchmark:"; grep -i error "$OUT"/*.err | head; fi
} | tee "$OUT/summary.txt"
