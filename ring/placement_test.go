package ring

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// nameFamilies are the naming schemes placement quality is measured on:
// placement hashes names, so one scheme alone could flatter a config.
var nameFamilies = []struct {
	name   string
	format func(i int) string
}{
	{"node-i", func(i int) string { return fmt.Sprintf("node-%d", i) }},
	{"ip:port", func(i int) string { return fmt.Sprintf("10.0.%d.%d:7000", i/7, i*13%251) }},
	{"fqdn", func(i int) string { return fmt.Sprintf("cache-%03d.eu-west-1b.internal", i*7+3) }},
}

// members returns n members of the first family, with addresses and zones.
func members(n int) []Member { return familyMembers(0, n) }

func familyMembers(family, n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Name: nameFamilies[family].format(i), Addr: fmt.Sprintf("127.0.0.1:%d", 7000+i), Zone: fmt.Sprintf("z%d", i%3)}
	}
	return ms
}

// balance returns max/mean slots per member.
func balance(r *Ring) float64 {
	maxSlots := 0
	for _, s := range r.Shards() {
		maxSlots = max(maxSlots, s.Slots)
	}
	return float64(maxSlots) / (float64(SlotCount) / float64(r.Len()))
}

// movement returns the slots moved on adding one member (averaged over 5
// different newcomers) and on removing one (averaged over up to 10 members),
// as multiples of the ideal 1/(n+1) and 1/n of the slots.
func movement(t testing.TB, cfg Config, family, n int) (add, remove float64) {
	ms := familyMembers(family, n)
	base := mustBuild(t, cfg, ms)
	for i := range 5 {
		extra := Member{Name: fmt.Sprintf("new-%d", i)}
		grown := mustBuild(t, cfg, append(append([]Member(nil), ms...), extra))
		add += float64(MovedSlots(Diff(base, grown))) / (float64(SlotCount) / float64(n+1)) / 5
	}
	removals := min(n, 10)
	for i := range removals {
		k := i * n / removals
		rest := append(append([]Member(nil), ms[:k]...), ms[k+1:]...)
		remove += float64(MovedSlots(Diff(base, mustBuild(t, cfg, rest)))) / (float64(SlotCount) / float64(n)) / float64(removals)
	}
	return add, remove
}

func mustBuild(t testing.TB, cfg Config, ms []Member) *Ring {
	t.Helper()
	r, err := Build(cfg, ms)
	if err != nil {
		t.Fatalf("Build(%+v, %d members): %v", cfg, len(ms), err)
	}
	return r
}

// The defaults are chosen for these bounds; placement is deterministic, so
// they are asserted, not merely reported.
func TestDefaultPlacementQuality(t *testing.T) {
	cfg := DefaultConfig()
	for f, fam := range nameFamilies {
		t.Run(fam.name, func(t *testing.T) {
			t.Parallel()
			for _, n := range []int{3, 5, 10, 50, 100} {
				if b := balance(mustBuild(t, cfg, familyMembers(f, n))); b > cfg.Load {
					t.Errorf("n=%d: max/mean = %.3f > load %.2f", n, b, cfg.Load)
				}
			}
			checkMovement(t, cfg, f, 3, 5, 10)
		})
	}
}

// TestPlacementMovementLong is TestDefaultPlacementQuality's movement bound
// at 50 nodes: about 90 s of CPU per name family under the race detector,
// so it runs in make test-long (RINGCACHE_LONG=1) only. ring imports no
// test helper package (it is the bottom of the import graph), hence the
// direct environment check.
func TestPlacementMovementLong(t *testing.T) {
	if os.Getenv("RINGCACHE_LONG") == "" {
		t.Skip("50-node placement movement: set RINGCACHE_LONG=1 (make test-long)")
	}
	for f, fam := range nameFamilies {
		t.Run(fam.name, func(t *testing.T) {
			t.Parallel()
			checkMovement(t, DefaultConfig(), f, 50)
		})
	}
}

// checkMovement asserts that adding or removing one node to n moves at most
// 1.3× the ideal share of partitions.
func checkMovement(t *testing.T, cfg Config, family int, ns ...int) {
	t.Helper()
	for _, n := range ns {
		add, remove := movement(t, cfg, family, n)
		if add > 1.3 || remove > 1.3 {
			t.Errorf("n=%d: movement add %.2f× / remove %.2f× ideal, want ≤ 1.3×", n, add, remove)
		}
	}
}

// TestReportPlacement prints balance and movement for a grid of
// configurations: RINGCACHE_MEASURE=1 go test -run TestReportPlacement -v ./ring/
// RINGCACHE_MEASURE=all adds the other name families.
func TestReportPlacement(t *testing.T) {
	measure := os.Getenv("RINGCACHE_MEASURE")
	if measure == "" {
		t.Skip("set RINGCACHE_MEASURE=1 to print the placement report")
	}
	families := 1
	if measure == "all" {
		families = len(nameFamilies)
	}
	for f := range families {
		for _, p := range []int{256, 1024, 2048, 4096, 16384} {
			for _, v := range []int{20, 32, 50, 64, 100, 200} {
				t.Log(reportLine(t, Config{Partitions: p, VirtualNodes: v, Load: 1.25}, f))
			}
		}
	}
}

func reportLine(t *testing.T, cfg Config, family int) string {
	line := fmt.Sprintf("%-7s P=%-5d V=%-3d balance", nameFamilies[family].name, cfg.Partitions, cfg.VirtualNodes)
	for _, n := range []int{3, 5, 10, 50, 100} {
		line += fmt.Sprintf(" %d:%.3f", n, balance(mustBuild(t, cfg, familyMembers(family, n))))
	}
	line += " | add/remove"
	for _, n := range []int{3, 5, 10, 50} {
		a, r := movement(t, cfg, family, n)
		line += fmt.Sprintf(" %d:%.2f/%.2f", n, a, r)
	}
	start := time.Now()
	mustBuild(t, cfg, familyMembers(family, 100))
	return line + fmt.Sprintf(" | build100 %v", time.Since(start).Round(time.Millisecond))
}
