package ring

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// TestReplicaIsSuccessor: without zones, the first replica of every slot is
// the member that owns it once the owner is gone, so failover is a ring
// change that lands each slot on the member already holding it.
func TestReplicaIsSuccessor(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		ms := make([]Member, n)
		for i := range ms {
			ms[i] = Member{Name: fmt.Sprintf("node-%d", i)}
		}
		cfg := DefaultConfig()
		cfg.Replicas = 1 // off by default
		r := mustBuild(t, cfg, ms)
		for k, m := range ms {
			rest := append(append([]Member(nil), ms[:k]...), ms[k+1:]...)
			after := mustBuild(t, cfg, rest)
			for s := range SlotCount {
				if r.SlotOwner(s).Name != m.Name {
					continue
				}
				if got, want := r.Replica(s, 1).Name, after.SlotOwner(s).Name; got != want {
					t.Fatalf("n=%d slot %d of %s: replica %s, owner without it %s", n, s, m.Name, got, want)
				}
			}
		}
	}
}

func TestReplicaSetDistinctAndZoned(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Replicas = 2
	r := mustBuild(t, cfg, members(6)) // zones z0, z1, z2
	for s := 0; s < SlotCount; s += 7 {
		set, err := r.ReplicaSet(s)
		if err != nil || len(set) != 3 {
			t.Fatalf("slot %d: %v, %v", s, set, err)
		}
		zones := map[string]bool{}
		for _, m := range set {
			zones[m.Zone] = true
		}
		if len(zones) != 3 {
			t.Fatalf("slot %d: replicas %v share zones", s, set)
		}
		if !r.HoldsReplica(set[2].Name, s) || r.HoldsReplica(set[0].Name, s) {
			t.Fatalf("slot %d: HoldsReplica disagrees with %v", s, set)
		}
	}
	one := mustBuild(t, cfg, members(1))
	if set, _ := one.ReplicaSet(5); len(set) != 1 || one.Replica(5, 1) != nil {
		t.Fatalf("one member: %v", set)
	}
	if _, err := r.ReplicaSet(SlotCount); err == nil {
		t.Fatal("slot out of range accepted")
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReplicaTable: a ring's first replica lookup, which builds its
// replica table (what a node pays on every ring change with --replicas).
func BenchmarkReplicaTable(b *testing.B) {
	for _, n := range []int{3, 10} {
		for _, reps := range []int{1, 2} {
			cfg := DefaultConfig()
			cfg.Replicas = reps
			ms := make([]Member, n)
			for i := range ms {
				ms[i] = Member{Name: fmt.Sprintf("node-%d", i)}
			}
			b.Run(fmt.Sprintf("members=%d/replicas=%d", n, reps), func(b *testing.B) {
				cpu0 := cpuTime()
				for b.Loop() {
					r, err := Build(cfg, ms)
					if err != nil {
						b.Fatal(err)
					}
					_ = r.Replica(0, 1)
				}
				// CPU time is steadier than wall time on a shared machine.
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			})
		}
	}
}
