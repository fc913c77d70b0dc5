package ring

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// Ring is an immutable placement of the 16384 slots on a set of members.
// It is safe for concurrent use; callers must not modify returned Members'
// Meta maps.
type Ring struct {
	cfg       Config
	members   []Member       // sorted by name
	byName    map[string]int // name -> index in members
	owner     [SlotCount]uint16
	partOwner []uint16 // partition -> index in members
	circle    []int    // member indexes ordered by xxhash(name), for replicas
	shards    []Shard  // per member, sorted by name
	ranges    []OwnedRange
	epoch     uint64
	succ      successors // replicas, built on first use (successors.go)
	cache     *Placements
}

// Build places the slots on members according to cfg. The order of members
// does not matter. It returns an error, never panics, on invalid input.
func Build(cfg Config, members []Member) (r *Ring, err error) {
	return build(cfg, members, nil)
}

func build(cfg Config, members []Member, pc *Placements) (r *Ring, err error) {
	if err := validate(cfg, members); err != nil {
		return nil, err
	}
	sorted := make([]Member, len(members))
	for i, m := range members {
		sorted[i] = cloneMember(m)
	}
	slices.SortFunc(sorted, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	r = &Ring{cfg: cfg, members: sorted, byName: make(map[string]int, len(sorted)), cache: pc}
	for i, m := range sorted {
		r.byName[m.Name] = i
	}
	if err := r.place(); err != nil {
		return nil, err
	}
	r.fillSlots()
	r.circle = hashOrder(sorted)
	r.shards = r.buildShards()
	r.ranges = r.buildRanges()
	r.epoch = r.digest()
	return r, nil
}

func validate(cfg Config, members []Member) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(members) == 0 {
		return ErrNoMembers
	}
	seen := make(map[string]struct{}, len(members))
	for _, m := range members {
		if m.Name == "" {
			return ErrEmptyName
		}
		if _, dup := seen[m.Name]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicateMember, m.Name)
		}
		seen[m.Name] = struct{}{}
	}
	return checkRoom(cfg, len(members))
}

// checkRoom mirrors consistent's bounded-load arithmetic: each member may hold
// ceil(floor(P/n) * Load) partitions, and together they must hold all P.
func checkRoom(cfg Config, n int) error {
	per := float64(cfg.Partitions/n) * cfg.Load
	capacity := int(min(float64(n)*math.Ceil(per), float64(1<<40)))
	if n > cfg.Partitions || capacity < cfg.Partitions {
		return fmt.Errorf("%w: %d members, %d partitions, load %v", ErrTooManyMembers, n, cfg.Partitions, cfg.Load)
	}
	return nil
}

// place assigns every partition an owner (placement.go).
func (r *Ring) place() error {
	keys := make([]string, len(r.members))
	for i, m := range r.members {
		keys[i] = circleKey(m.Name)
	}
	owners, err := r.cache.place(r.cfg, keys, func() partPositions { return partitionHashes(r.cfg.Partitions, false) })
	r.partOwner = owners
	return err
}

func (r *Ring) fillSlots() {
	w := r.cfg.slotsPerPartition()
	for s := range r.owner {
		r.owner[s] = r.partOwner[s/w]
	}
}

// hashOrder returns member indexes ordered by the hash of their circle keys:
// the circle on which consistent's GetClosestN chooses replicas (ties, which
// consistent would collapse, are broken by name).
func hashOrder(ms []Member) []int {
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ha, hb := xxhash.Sum64String(circleKey(ms[a].Name)), xxhash.Sum64String(circleKey(ms[b].Name))
		if ha != hb {
			if ha < hb {
				return -1
			}
			return 1
		}
		return strings.Compare(ms[a].Name, ms[b].Name)
	})
	return order
}

func (r *Ring) digest() uint64 {
	h := xxhash.New()
	writeCount(h, int(r.cfg.Digest()))
	writeCount(h, len(r.members))
	for _, m := range r.members {
		m.digest(h)
	}
	return h.Sum64()
}

// circleKey is how a member appears on the hash circle, which places a
// member's virtual nodes at hash(key + decimal index). With bare names,
// "node-1" vnode 10 and "node-11" vnode 0 are both "node-110": the later
// member silently takes the point (486 of 6400 points at node-0..node-99,
// 64 vnodes). circleKey ends every name with a non-digit, so no two virtual
// nodes share a key.
func circleKey(name string) string { return name + "/" }
