# bench-lib.sh: helpers shared by bench-resp.sh and bench-cluster.sh (sourced).

# free_port prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# medians reads "target,load,test,rps,p50_ms,p99_ms" rows (with a header)
# from $1 and prints, per (target, load, test), the run with the median
# rps: "target,load,test,rps,p50_ms,p99_ms".
medians() {
	tail -n +2 "$1" | sort -t, -k1,1 -k2,2 -k3,3 -k4,4n | awk -F, '
		function flush() { if (n) { m = int((n + 1) / 2); print key "," rps[m] "," p50[m] "," p99[m] } }
		{ k = $1 "," $2 "," $3; if (k != key) { flush(); key = k; n = 0 } n++; rps[n] = $4; p50[n] = $5; p99[n] = $6 }
		END { flush() }'
}
