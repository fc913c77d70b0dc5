package cacheserver

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkTrackingWrite measures pipelined SETs over TCP (8 connections,
// 16 commands per pipeline) with no tracking client, with one BCAST client
// whose prefix never matches, and with one default-mode client that read
// the key (so every SET invalidates and re-reading is not modelled: the
// entry is gone after the first SET). The "none" case is the cost every
// write pays for tracking: one atomic load.
func BenchmarkTrackingWrite(b *testing.B) {
	cases := []struct {
		name  string
		setup []string
	}{
		{"none", nil},
		{"bcast-nomatch", []string{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zzz"}},
		{"default", []string{"CLIENT", "TRACKING", "ON"}},
	}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("tracking=%s/conns=8/P=16", tc.name), func(b *testing.B) {
			srv := startServer(b, testConfig())
			if tc.setup != nil {
				tr := dialRaw(b, srv)
				tr.do("HELLO", "3")
				tr.do(tc.setup...)
				tr.do("GET", "key:1")
			}
			const depth = 16
			batch := []byte(strings.Repeat("*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$3\r\nxxx\r\n", depth))
			benchClients(b, srv, batch, len("+OK\r\n")*depth, depth)
		})
	}
}
