#!/usr/bin/env bash
# bench-resp: redis-server vs cacheserver (GOMAXPROCS=1 and 2), side by side in
# one run, on the same machine, each loaded with 1,000,000 keys of 100 bytes.
# Every measurement is alternated across the targets ROUNDS times and the
# median is reported with its ratio to Redis.
#
#   make bench-resp                 # defaults below
#   ROUNDS=5 N=1000000 make bench-resp
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

ROUNDS=${ROUNDS:-3}
N=${N:-500000}          # requests per redis-benchmark run
KEYS=${KEYS:-1000000}   # keys loaded before measuring
OUT=${OUT:-bench/results/resp-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd) # redis-server resolves --logfile after chdir to --dir

for bin in redis-server redis-cli redis-benchmark; do
	command -v "$bin" >/dev/null || { echo "bench-resp: $bin not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
case " ${TARGETS:-rc} " in *rc*) go build -o bin/ ./cmd/cacheserver ;; esac


pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_ping() {
	for _ in $(seq 1 200); do
		[ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	echo "bench-resp: port $1 did not answer PING" >&2; exit 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Targets: name port pid
declare -A PORT PID
start_target() {
	local name=$1 port; port=$(free_port)
	case $name in
	redis) redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$OUT" --logfile "$OUT/redis.log" & ;;
	rc-p1) GOMAXPROCS=1 bin/cacheserver --bind 127.0.0.1 --port "$port" --gossip-port 0 2>"$OUT/$name.log" & ;;
	rc-p2) GOMAXPROCS=2 bin/cacheserver --bind 127.0.0.1 --port "$port" --gossip-port 0 2>"$OUT/$name.log" & ;;
	esac
	PID[$name]=$!; PORT[$name]=$port; pids+=("$!")
	wait_ping "$port"
}

gen_load() { # RESP pipe file of SET key:%012d <100 bytes>
	local f=$OUT/load.resp
	[ -s "$f" ] && return
	awk -v n="$KEYS" 'BEGIN {
		v = sprintf("%0100d", 0); gsub(/0/, "x", v)
		for (i = 0; i < n; i++) {
			k = sprintf("key:%012d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n", length(k), k, v
		}
	}' > "$f"
}

read -r -a TARGETS <<< "${TARGETS:-redis rc-p1 rc-p2}"
gen_load
echo "target,keys,rss_before_kb,rss_after_kb,bytes_per_key" > "$OUT/memory.csv"
for t in "${TARGETS[@]}"; do
	start_target "$t"
	before=$(rss_kb "${PID[$t]}")
	redis-cli -p "${PORT[$t]}" --pipe < "$OUT/load.resp" > /dev/null
	dbsize=$(redis-cli -p "${PORT[$t]}" dbsize)
	after=$(rss_kb "${PID[$t]}")
	echo "$t,$dbsize,$before,$after,$(( (after - before) * 1024 / KEYS ))" >> "$OUT/memory.csv"
done

# One redis-benchmark run: prints "test,rps,p50_ms,p99_ms" lines.
run_bench() { # target label args...
	local t=$1 label=$2; shift 2
	redis-benchmark -p "${PORT[$t]}" --csv "$@" 2>/dev/null | tail -n +2 | tr -d '"' |
		awk -F, -v t="$t" -v l="$label" '{ printf "%s,%s,%s,%s,%s,%s\n", t, l, $1, $2, $5, $7 }'
}

echo "target,load,test,rps,p50_ms,p99_ms" > "$OUT/runs.csv"
for r in $(seq 1 "$ROUNDS"); do
	for t in "${TARGETS[@]}"; do
		echo "round $r: $t" >&2
		run_bench "$t" c50-P1  -c 50 -n "$N" -r "$KEYS" -d 100 -t set,get -P 1  >> "$OUT/runs.csv"
		run_bench "$t" c50-P16 -c 50 -n "$N" -r "$KEYS" -d 100 -t set,get -P 16 >> "$OUT/runs.csv"
		run_bench "$t" c8-P1   -c 8  -n "$((N / 5))" -r "$KEYS" -d 100 -t set,get -P 1 >> "$OUT/runs.csv"
	done
done

# Medians per (target, load, test) and ratio to redis.
summary=$(medians "$OUT/runs.csv")
echo "$summary" > "$OUT/medians.csv"
{
	echo "bench-resp $(date -u +%FT%TZ), rounds=$ROUNDS, n=$N, keys=$KEYS, $(nproc) cores"
	echo
	printf "%-7s %-8s %-4s %12s %8s %8s %8s %10s\n" target load test "rps(median)" p50_ms p99_ms ratio p99_ratio
	echo "$summary" | awk -F, '
		{ key = $2 "," $3; if ($1 == "redis") { base[key] = $4; basep99[key] = $6 } row[NR] = $0 }
		END { for (i = 1; i <= NR; i++) { split(row[i], f, ","); key = f[2] "," f[3]
			printf "%-7s %-8s %-4s %12.0f %8.3f %8.3f %7.2fx %9.2fx\n", f[1], f[2], f[3], f[4], f[5], f[6],
				(base[key] ? f[4] / base[key] : 0), (basep99[key] ? f[6] / basep99[key] : 0) } }' | sort -k2,2 -k3,3 -k1,1
	echo
	echo "memory after loading $KEYS keys of 100 bytes (RSS growth):"
	column -t -s, "$OUT/memory.csv"
} | tee "$OUT/summary.txt"
