package ring

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func members(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Name: fmt.Sprintf("node-%d", i), Addr: fmt.Sprintf("127.0.0.1:%d", 7000+i), Zone: fmt.Sprintf("z%d", i%3)}
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
func movement(t testing.TB, cfg Config, n int) (add, remove float64) {
	ms := members(n)
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

// TestReportPlacement prints balance and movement for a grid of
// configurations: RINGCACHE_MEASURE=1 go test -run TestReportPlacement -v ./ring/
func TestReportPlacement(t *testing.T) {
	if os.Getenv("RINGCACHE_MEASURE") == "" {
		t.Skip("set RINGCACHE_MEASURE=1 to print the placement report")
	}
	for _, p := range []int{1024, 4096, 16384} {
		for _, v := range []int{32, 50, 64, 100, 160} {
			cfg := Config{Partitions: p, VirtualNodes: v, Load: 1.25}
			line := fmt.Sprintf("P=%-5d V=%-3d balance", p, v)
			for _, n := range []int{3, 5, 10, 50, 100} {
				line += fmt.Sprintf(" %d:%.3f", n, balance(mustBuild(t, cfg, members(n))))
			}
			line += " | add/remove"
			for _, n := range []int{3, 5, 10, 50} {
				a, r := movement(t, cfg, n)
				line += fmt.Sprintf(" %d:%.2f/%.2f", n, a, r)
			}
			start := time.Now()
			mustBuild(t, cfg, members(100))
			line += fmt.Sprintf(" | build100 %v", time.Since(start).Round(time.Millisecond))
			t.Log(line)
		}
	}
}
