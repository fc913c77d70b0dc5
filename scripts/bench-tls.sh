#!/bin/bash
# TLS vs plaintext on one cacheserver (GOMAXPROCS=1): redis-benchmark
# throughput and the server's CPU time per request (from /proc, which is
# less sensitive to a busy machine than throughput), runs alternated.
# Usage: scripts/bench-tls.sh [path/to/cacheserver]   (default bin/cacheserver)
set -eu
BIN=$(realpath "${1:-bin/cacheserver}")
DIR=$(mktemp -d)
free_port() { python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$DIR/key.pem" -out "$DIR/cert.pem" \
  -days 1 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
P=$(free_port); T=$(free_port)
GOMAXPROCS=1 "$BIN" --port "$P" --tls-port "$T" --tls-cert-file "$DIR/cert.pem" --tls-key-file "$DIR/key.pem" \
  --tls-auth-clients no --cluster-enabled=false --loglevel warn 2>"$DIR/server.log" &
SP=$!
trap 'kill $SP; wait $SP; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$P" PING >/dev/null 2>&1 && break; sleep 0.1; done
cpu() { awk '{print $14+$15}' "/proc/$SP/stat"; } # utime+stime, 1/100 s ticks
N=200000
run() { # mode pipeline test
  local extra="" port=$P
  if [ "$1" = tls ]; then extra="--tls --cacert $DIR/cert.pem"; port=$T; fi
  local c0 rps c1
  c0=$(cpu)
  # shellcheck disable=SC2086
  rps=$(redis-benchmark -p "$port" $extra -t "$3" -n $N -c 50 -P "$2" -r 100000 -q --csv 2>/dev/null | tr -d '"' | awk -F, 'NR>1 {print $2}')
  c1=$(cpu)
  echo "$1 P$2 $3 rps=$rps server_cpu_ns_per_req=$(((c1 - c0) * 10000000 / N))"
}
uptime
for _ in 1 2 3; do
  for p in 1 16; do for t in set get; do run plain "$p" "$t"; run tls "$p" "$t"; done; done
done
uptime
