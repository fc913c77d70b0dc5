package ring

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/buraksezer/consistent"
	"pgregory.net/rapid"
)

func TestBuildValidation(t *testing.T) {
	ok := DefaultConfig()
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	cases := []struct {
		name string
		cfg  Config
		ms   []Member
		want error
	}{
		{"no members", ok, nil, ErrNoMembers},
		{"duplicate", ok, []Member{{Name: "a"}, {Name: "a"}}, ErrDuplicateMember},
		{"empty name", ok, []Member{{Name: ""}}, ErrEmptyName},
		{"zero partitions", with(func(c *Config) { c.Partitions = 0 }), members(3), ErrPartitionCount},
		{"negative partitions", with(func(c *Config) { c.Partitions = -4 }), members(3), ErrPartitionCount},
		{"oversized partitions", with(func(c *Config) { c.Partitions = 32768 }), members(3), ErrPartitionCount},
		{"not a power of two", with(func(c *Config) { c.Partitions = 1000 }), members(3), ErrPartitionCount},
		{"load below 1", with(func(c *Config) { c.Load = 0.5 }), members(3), ErrLoad},
		{"load NaN", with(func(c *Config) { c.Load = math.NaN() }), members(3), ErrLoad},
		{"load Inf", with(func(c *Config) { c.Load = math.Inf(1) }), members(3), ErrLoad},
		{"one virtual node", with(func(c *Config) { c.VirtualNodes = 1 }), members(3), ErrVirtualNodes},
		{"more members than partitions", with(func(c *Config) { c.Partitions = 4 }), members(5), ErrTooManyMembers},
		{"no room at load 1", Config{Partitions: 16, VirtualNodes: 8, Load: 1}, members(9), ErrTooManyMembers},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build(tc.cfg, tc.ms)
			if !errors.Is(err, tc.want) || r != nil {
				t.Fatalf("Build = %v, %v; want error %v", r, err, tc.want)
			}
		})
	}
}

func TestReplicasValidation(t *testing.T) {
	r := mustBuild(t, DefaultConfig(), members(3))
	for _, n := range []int{0, -1, 4} {
		if _, err := r.Replicas(0, n); !errors.Is(err, ErrReplicas) {
			t.Errorf("Replicas(0, %d) error = %v, want ErrReplicas", n, err)
		}
	}
	if _, err := r.Replicas(SlotCount, 1); !errors.Is(err, ErrSlot) {
		t.Errorf("Replicas(16384, 1) error = %v, want ErrSlot", err)
	}
}

func TestEverySlotOwnedAndShardsConsistent(t *testing.T) {
	r := mustBuild(t, DefaultConfig(), members(5))
	total := 0
	for _, sh := range r.Shards() {
		n := 0
		for _, rg := range sh.Ranges {
			for s := rg.Start; s <= rg.End; s++ {
				if !r.Owns(sh.Member.Name, s) {
					t.Fatalf("shard %s lists slot %d it does not own", sh.Member.Name, s)
				}
			}
			n += rg.Len()
		}
		if n != sh.Slots {
			t.Fatalf("shard %s: ranges cover %d slots, Slots = %d", sh.Member.Name, n, sh.Slots)
		}
		total += n
	}
	if total != SlotCount {
		t.Fatalf("shards cover %d slots, want %d", total, SlotCount)
	}
	prev, prevOwner := -1, ""
	for _, or := range r.SlotRanges() {
		for s := or.Start; s <= or.End; s++ {
			if !r.Owns(or.Owner.Name, s) {
				t.Fatalf("range %d-%d: slot %d not owned by %s", or.Start, or.End, s, or.Owner.Name)
			}
		}
		if or.Start != prev+1 || or.Owner.Name == prevOwner {
			t.Fatalf("range %d-%d of %s after %d (%s): not contiguous or not merged", or.Start, or.End, or.Owner.Name, prev, prevOwner)
		}
		prev, prevOwner = or.End, or.Owner.Name
	}
	if prev != SlotCount-1 {
		t.Fatalf("ranges end at %d", prev)
	}
}

func TestOwnerByKey(t *testing.T) {
	r := mustBuild(t, DefaultConfig(), members(3))
	for _, key := range []string{"foo", "{user1000}.following", ""} {
		want := r.SlotOwner(KeySlot(key))
		if got := r.Owner(key); got.Name != want.Name {
			t.Errorf("Owner(%q) = %s, want %s", key, got.Name, want.Name)
		}
		if got := r.OwnerBytes([]byte(key)); got.Name != want.Name {
			t.Errorf("OwnerBytes(%q) = %s, want %s", key, got.Name, want.Name)
		}
	}
	if r.SlotOwner(-1) != nil {
		t.Error("SlotOwner(-1) reported an owner")
	}
	if n := testing.AllocsPerRun(1000, func() { _ = r.Owner("key:000000012345") }); n != 0 {
		t.Fatalf("Owner allocates %v times", n)
	}
}

func TestReplicasPreferDistinctZones(t *testing.T) {
	ms := []Member{{Name: "a", Zone: "z1"}, {Name: "b", Zone: "z1"}, {Name: "c", Zone: "z2"}, {Name: "d", Zone: "z2"}, {Name: "e", Zone: "z3"}}
	r := mustBuild(t, DefaultConfig(), ms)
	for slot := 0; slot < SlotCount; slot += 97 {
		reps, err := r.Replicas(slot, 3)
		if err != nil {
			t.Fatal(err)
		}
		owner := r.SlotOwner(slot)
		zones := map[string]bool{}
		names := map[string]bool{}
		for _, m := range reps {
			zones[m.Zone], names[m.Name] = true, true
		}
		if reps[0].Name != owner.Name || len(zones) != 3 || len(names) != 3 {
			t.Fatalf("slot %d: replicas %v (owner %s) not 3 distinct members in 3 zones", slot, reps, owner.Name)
		}
		all, _ := r.Replicas(slot, 5)
		if len(all) != 5 {
			t.Fatalf("slot %d: Replicas(5) = %d members", slot, len(all))
		}
	}
}

// With a single zone, Replicas is consistent's GetClosestNForPartition.
func TestReplicasMatchConsistent(t *testing.T) {
	ms := members(7)
	for i := range ms {
		ms[i].Zone = "z"
	}
	cfg := Config{Partitions: 256, VirtualNodes: 16, Load: 1.25}
	r := mustBuild(t, cfg, ms)
	cms := make([]consistent.Member, len(r.members))
	for i, m := range r.members {
		cms[i] = circleMember{key: circleKey(m.Name), idx: i}
	}
	c := consistent.New(cms, consistent.Config{Hasher: xxHasher{}, PartitionCount: cfg.Partitions,
		ReplicationFactor: cfg.VirtualNodes, Load: cfg.Load})
	for p := range cfg.Partitions {
		want, err := c.GetClosestNForPartition(p, len(ms))
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Replicas(p*SlotCount/cfg.Partitions, len(ms))
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i].Name != r.members[want[i].(circleMember).idx].Name {
				t.Fatalf("partition %d: replicas %v, consistent says %v", p, got, want)
			}
		}
	}
}

// consistent names virtual nodes String()+index; circle keys must keep them
// distinct even for names like node-1 and node-11.
func TestVirtualNodeKeysDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, m := range members(200) {
		for i := range 1024 {
			k := circleKey(m.Name) + strconv.Itoa(i)
			if other, dup := seen[k]; dup {
				t.Fatalf("virtual node %q of %s collides with %s", k, m.Name, other)
			}
			seen[k] = m.Name
		}
	}
}

func TestDiff(t *testing.T) {
	cfg := DefaultConfig()
	three := mustBuild(t, cfg, members(3))
	four := mustBuild(t, cfg, members(4))
	if moves := Diff(three, three); len(moves) != 0 {
		t.Fatalf("Diff of a ring with itself: %v", moves)
	}
	moves := Diff(three, four)
	moved := make([]bool, SlotCount)
	for _, m := range moves {
		for s := m.Start; s <= m.End; s++ {
			if !three.Owns(m.From, s) || !four.Owns(m.To, s) || m.From == m.To {
				t.Fatalf("move %+v wrong at slot %d", m, s)
			}
			moved[s] = true
		}
	}
	for s := range SlotCount {
		a, b := three.SlotOwner(s), four.SlotOwner(s)
		if (a.Name != b.Name) != moved[s] {
			t.Fatalf("slot %d: owners %s→%s but moved=%v", s, a.Name, b.Name, moved[s])
		}
	}
	if got := MovedSlots(Diff(nil, three)); got != SlotCount {
		t.Fatalf("Diff(nil, r) moves %d slots", got)
	}
	if Diff(three, nil) != nil {
		t.Fatal("Diff(r, nil) returned moves")
	}
}

func TestRingDoesNotShareCallerState(t *testing.T) {
	ms := []Member{{Name: "a", Meta: map[string]string{"v": "1"}}, {Name: "b"}}
	r := mustBuild(t, DefaultConfig(), ms)
	epoch := r.Epoch()
	ms[0].Meta["v"] = "2"
	ms[1].Name = "zzz"
	if m, _ := r.Member("a"); m.Meta["v"] != "1" {
		t.Fatal("ring shares the caller's Meta map")
	}
	if r.Epoch() != epoch {
		t.Fatal("epoch changed")
	}
}

func TestEpochReflectsMembersAndConfig(t *testing.T) {
	cfg := DefaultConfig()
	base := mustBuild(t, cfg, members(3))
	other := members(3)
	other[0].Addr = "127.0.0.1:1"
	if mustBuild(t, cfg, other).Epoch() == base.Epoch() {
		t.Error("changing an address did not change the epoch")
	}
	meta := members(3)
	meta[1].Meta = map[string]string{"version": "2"}
	if mustBuild(t, cfg, meta).Epoch() == base.Epoch() {
		t.Error("changing metadata did not change the epoch")
	}
	cfg2 := cfg
	cfg2.Load = 1.5
	if mustBuild(t, cfg2, members(3)).Epoch() == base.Epoch() || cfg2.Digest() == cfg.Digest() {
		t.Error("changing the config did not change the epoch and digest")
	}
}

// Property: any permutation of a member set builds the same placement and
// epoch.
func TestPermutationInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		names := rapid.SliceOfNDistinct(rapid.StringN(1, 12, -1), n, n, rapid.ID[string]).Draw(t, "names")
		ms := make([]Member, n)
		for i, name := range names {
			ms[i] = Member{Name: name, Addr: fmt.Sprintf("h:%d", i), Zone: rapid.SampledFrom([]string{"a", "b"}).Draw(t, "zone")}
		}
		cfg := Config{Partitions: rapid.SampledFrom([]int{16, 64, 256, 1024, 16384}).Draw(t, "p"), VirtualNodes: 16, Load: 1.25}
		a, err := Build(cfg, ms)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		perm := slices.Clone(ms)
		rapid.Permutation(perm).Draw(t, "perm")
		b, err := Build(cfg, perm)
		if err != nil {
			t.Fatalf("Build(perm): %v", err)
		}
		if a.Epoch() != b.Epoch() || a.owner != b.owner {
			t.Fatalf("permutation changed placement or epoch")
		}
		if moves := Diff(a, b); len(moves) != 0 {
			t.Fatalf("permutation moved slots: %v", moves)
		}
	})
}

// FuzzBuild: whatever the inputs, Build returns an error or a ring whose
// every slot is owned by one of the members. dup > 0 gives member dup the
// name of member 0; names are prefix+index, so prefixes of one another
// ("x1", "x11") stress consistent's virtual-node naming.
func FuzzBuild(f *testing.F) {
	f.Add(uint8(3), uint8(0), uint16(16384), uint16(64), 1.25, "node-")
	f.Add(uint8(0), uint8(0), uint16(0), uint16(0), 0.0, "")
	f.Add(uint8(12), uint8(0), uint16(16), uint16(8), 1.0, "x")
	f.Add(uint8(200), uint8(0), uint16(256), uint16(2), 1.01, "a\x00")
	f.Add(uint8(5), uint8(3), uint16(1024), uint16(20), 1.25, "n")
	f.Add(uint8(40), uint8(0), uint16(16384), uint16(63), 1.25, "node-")
	f.Fuzz(func(t *testing.T, n, dup uint8, partitions, vnodes uint16, load float64, prefix string) {
		ms := make([]Member, n)
		for i := range ms {
			ms[i] = Member{Name: prefix + strconv.Itoa(i), Zone: strconv.Itoa(i % 3)}
		}
		if dup > 0 && int(dup) < len(ms) {
			ms[dup].Name = ms[0].Name
		}
		cfg := Config{Partitions: int(partitions), VirtualNodes: int(vnodes) % 64, Load: load}
		r, err := Build(cfg, ms)
		if err != nil {
			return
		}
		if dup > 0 && int(dup) < len(ms) {
			t.Fatalf("Build accepted duplicate name %q", ms[0].Name)
		}
		names := map[string]bool{}
		for _, m := range ms {
			names[m.Name] = true
		}
		for s := range SlotCount {
			if o := r.SlotOwner(s); o == nil || !names[o.Name] {
				t.Fatalf("slot %d owned by %v, not a member", s, o)
			}
		}
		reps, err := r.Replicas(SlotCount-1, r.Len())
		if err != nil || len(reps) != len(names) {
			t.Fatalf("Replicas(all) = %d members, %v; want %d", len(reps), err, len(names))
		}
	})
}

// A huge (finite) load is legal: it only lifts the bound.
func TestBuildHugeLoad(t *testing.T) {
	r := mustBuild(t, Config{Partitions: SlotCount, VirtualNodes: 8, Load: 1e300}, members(3))
	if r.Len() != 3 {
		t.Fatal(r.Len())
	}
}

// BenchmarkOwner: lookup by key, for one 16-byte key and cycling through
// 4096 distinct 16-byte keys (table entries not all in L1).
func BenchmarkOwner(b *testing.B) {
	r := mustBuild(b, DefaultConfig(), members(10))
	b.Run("key=16B", func(b *testing.B) {
		key := "key:000000012345"
		b.ReportAllocs()
		for b.Loop() {
			_ = r.Owner(key)
		}
	})
	b.Run("keys=4096x16B", func(b *testing.B) {
		keys := make([]string, 4096)
		for i := range keys {
			keys[i] = fmt.Sprintf("key:%012d", i*7919)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = r.Owner(keys[i&4095])
			i++
		}
	})
}

// BenchmarkBuildVirtualNodes: build cost at 100 members against the
// virtual-node count (consistent re-sorts its circle once per member).
func BenchmarkBuildVirtualNodes(b *testing.B) {
	ms := members(100)
	for _, v := range []int{32, 50, 64, 100} {
		cfg := DefaultConfig()
		cfg.VirtualNodes = v
		b.Run(fmt.Sprintf("members=100/vnodes=%d", v), func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(cfg, ms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{3, 10, 100, 1000} {
		ms := members(n)
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(DefaultConfig(), ms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestReplicaSet(t *testing.T) {
	for _, n := range []int{-1, MaxReplicas + 1} {
		cfg := DefaultConfig()
		cfg.Replicas = n
		if err := cfg.Validate(); !errors.Is(err, ErrReplicaCount) {
			t.Errorf("Replicas %d: Validate = %v, want ErrReplicaCount", n, err)
		}
	}
	cfg := DefaultConfig()
	cfg.Replicas = 2
	if cfg.Digest() == DefaultConfig().Digest() {
		t.Error("the replica count does not change the digest")
	}
	ms := []Member{{Name: "a"}, {Name: "b"}}
	r, err := Build(cfg, ms)
	if err != nil {
		t.Fatal(err)
	}
	set, err := r.ReplicaSet(100)
	if err != nil || len(set) != 2 || set[0].Name != r.SlotOwner(100).Name {
		t.Fatalf("ReplicaSet on 2 members with 2 replicas = %v, %v; want the owner then the other member", set, err)
	}
}
