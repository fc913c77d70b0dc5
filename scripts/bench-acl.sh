#!/bin/bash
# ACL check cost on one cacheserver (GOMAXPROCS=1): redis-benchmark GET/SET
# at P16 as the default user (unrestricted: one atomic load and a flag) and
# as a restricted user (-@all +get +set ~key:*: a command bit and a key
# pattern per command), runs alternated, with the server's CPU time per
# request from /proc (less sensitive to a busy machine than throughput).
# Usage: scripts/bench-acl.sh [path/to/cacheserver]   (default bin/cacheserver)
set -eu
BIN=$(realpath "${1:-bin/cacheserver}")
DIR=$(mktemp -d)
free_port() { python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }
P=$(free_port)
GOMAXPROCS=1 "$BIN" --port "$P" --cluster-enabled=false --loglevel warn 2>"$DIR/server.log" &
SP=$!
trap 'kill $SP; wait $SP; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$P" PING >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$P" ACL SETUSER bench on '>benchpw' -@all +get +set +ping +config '~key:*' >/dev/null
cpu() { awk '{print $14+$15}' "/proc/$SP/stat"; } # utime+stime, 1/100 s ticks
N=${N:-300000}
run() { # who pipeline test
  local extra="" c0 rps c1
  if [ "$1" = user ]; then extra="--user bench -a benchpw"; fi
  c0=$(cpu)
  # shellcheck disable=SC2086
  rps=$(redis-benchmark -p "$P" $extra -t "$3" -n "$N" -c 50 -P "$2" -r 100000 -q --csv 2>/dev/null | tr -d '"' | awk -F, 'NR>1 {print $2}')
  c1=$(cpu)
  echo "$1 P$2 $3 rps=$rps server_cpu_ns_per_req=$(((c1 - c0) * 10000000 / N))"
}
uptime
for _ in $(seq "${ROUNDS:-3}"); do
  for t in set get; do run default 16 "$t"; run user 16 "$t"; done
done
uptime
