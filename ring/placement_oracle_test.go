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

// TestBuildWithPlacements: rings built with a shared placement cache (a
// member set seen again, alternative placements shared between rings)
// place slots and replicas exactly as rings built without one.
func TestBuildWithPlacements(t *testing.T) {
	pc := NewPlacements()
	cfg := DefaultConfig()
	cfg.Replicas = 2
	all := familyMembers(1, 5)
	for _, ms := range [][]Member{all[:1], all[:2], all[:3], all[:5], all[1:4], all[:3], all[:5], all[:2]} {
		want := mustBuild(t, cfg, ms)
		got, err := BuildWith(cfg, ms, pc)
		if err != nil {
			t.Fatal(err)
		}
		for s := range SlotCount {
			for k := 0; k <= want.ReplicaCount(); k++ {
				if g, w := got.Replica(s, k), want.Replica(s, k); g.Name != w.Name {
					t.Fatalf("%d members, slot %d, k=%d: %s with the cache, %s without", len(ms), s, k, g.Name, w.Name)
				}
			}
		}
	}
	if n := len(pc.order); n == 0 || n > placementsMax {
		t.Fatalf("%d placements cached", n)
	}
}
