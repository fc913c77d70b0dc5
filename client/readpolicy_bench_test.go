package client

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkReadPolicy: Gets without L1 (every read remote) over keys of
// every node, from GOMAXPROCS goroutines, per read policy, with every other
// node as each slot's replicas. It reports each node's share of the reads
// served (n0%..n2%: spread) and ns/op. Until the server's replicas read
// their own copy, a replica forwards the read to the primary: the policies
// other than primary then cost a forwarding hop, which is what they
// measure today.
func BenchmarkReadPolicy(b *testing.B) {
	tc := startCluster(b)
	ctx := context.Background()
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("rpb:%d", i)
		tc.raw.Set(ctx, keys[i], "v", 0)
	}
	for _, p := range []ReadPolicy{ReadPrimary, ReadRoundRobin, ReadLeastOutstanding, ReadLowestLatency, ReadSameZone} {
		b.Run(p.String(), func(b *testing.B) {
			c := newClient(b, tc, func(cfg *Config) {
				cfg.L1.Disabled, cfg.ReadPolicy = true, p
				cfg.Zone, cfg.NodeZones = "z1", map[string]string{tc.seeds[1]: "z1"}
			})
			withReplicas(b, c, tc)
			nodes := c.router.current().nodes
			before := make([]int64, len(tc.seeds))
			for i, a := range tc.seeds {
				before[i] = nodes[a].load.served.Load()
			}
			var next atomic.Uint64
			b.ResetTimer()
			parallelKeys(b, func(string) error { // keys of every node, not parallelKeys' one hash tag
				_, err := c.Get(ctx, keys[next.Add(1)%uint64(len(keys))])
				return err
			})
			var total int64
			served := make([]int64, len(tc.seeds))
			for i, a := range tc.seeds {
				served[i] = nodes[a].load.served.Load() - before[i]
				total += served[i]
			}
			for i, s := range served {
				b.ReportMetric(100*float64(s)/float64(max(total, 1)), fmt.Sprintf("n%d%%", i))
			}
		})
	}
}
