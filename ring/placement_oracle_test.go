package ring

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/buraksezer/consistent"
	"github.com/cespare/xxhash/v2"
)

// consistent is the oracle of placement.go: placePartitions must place
// every partition exactly where consistent.New would.

type circleMember struct {
	key string
	idx int
}

func (m circleMember) String() string { return m.key }

type xxHasher struct{}

func (xxHasher) Sum64(b []byte) uint64 { return xxhash.Sum64(b) }

// consistentOwners is what Ring.place did before placement.go.
func consistentOwners(cfg Config, keys []string) []uint16 {
	cms := make([]consistent.Member, len(keys))
	for i, k := range keys {
		cms[i] = circleMember{key: k, idx: i}
	}
	c := consistent.New(cms, consistent.Config{Hasher: xxHasher{}, PartitionCount: cfg.Partitions,
		ReplicationFactor: cfg.VirtualNodes, Load: cfg.Load})
	out := make([]uint16, cfg.Partitions)
	for p := range out {
		out[p] = uint16(c.GetPartitionOwner(p).(circleMember).idx)
	}
	return out
}

// TestPlacementMatchesConsistent: random member sets, name families,
// partition counts, virtual nodes and loads, plus keys sharing points.
func TestPlacementMatchesConsistent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := 40
	if testing.Short() {
		cases = 10
	}
	for c := range cases {
		cfg := DefaultConfig()
		cfg.Partitions = 1 << rng.IntN(15)
		cfg.VirtualNodes = 2 + rng.IntN(100)
		cfg.Load = []float64{1, 1.05, 1.25, 2, 7.5}[rng.IntN(5)]
		n := 1 + rng.IntN(min(30, cfg.Partitions))
		if checkRoom(cfg, n) != nil {
			continue
		}
		ms := familyMembers(rng.IntN(len(nameFamilies)), n)
		keys := make([]string, n)
		for i, m := range ms {
			keys[i] = circleKey(m.Name)
		}
		if c%5 == 0 && n > 1 { // bare names: "node-1"+"10" and "node-11"+"0" share a point
			for i := range keys {
				keys[i] = fmt.Sprintf("node-%d", i)
			}
		}
		got, err := placePartitions(cfg, keys, partitionHashes(cfg.Partitions, c%2 == 0))
		if err != nil {
			t.Fatalf("case %d %+v n=%d: %v", c, cfg, n, err)
		}
		if want := consistentOwners(cfg, keys); !slices.Equal(got, want) {
			t.Fatalf("case %d %+v n=%d: placement differs from consistent's", c, cfg, n)
		}
	}
}
