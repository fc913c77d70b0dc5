package ring

import (
	"sync"
)

// Replica placement: successive owners. The replicas of a slot are the
// members that would own it if the members before them were gone: the
// first replica owns the slot in the ring built without the owner, the
// second in the ring built without both, and so on. So when an owner fails,
// the ring the survivors build hands each of its slots to exactly the
// member that already holds a copy: failover is an ordinary ring change,
// with data. When members have zones, a replica is chosen among the members
// of zones not yet holding the slot while there are any (the ring built
// without those zones), so a zone's loss leaves a copy; a slot whose owner
// fails is then taken by a member that may not hold it (a cold slot).
//
// Bounded loads can move a few other slots when a member is removed (none
// with up to 5 members at the defaults, ~14 of 14,745 with 10): those
// changes are ordinary ring changes without data, as today.
//
// The alternative placements are computed lazily, once per ring (one per
// member for one replica without zones), on the first ReplicaSet or Replica
// call: placement.go places 16384 partitions in ~1 ms (consistent took
// ~10-20 ms).

// successors is the lazily computed replica table of a ring.
type successors struct {
	once sync.Once
	reps [][]uint16 // per partition: member indexes of the replicas, in order
}

// Replica returns the k-th member holding slot: 0 is the owner, 1 the
// first replica, ... It returns nil when slot is out of range or the slot
// has fewer than k replicas (ReplicaCount). It does not allocate once the
// table is built.
func (r *Ring) Replica(slot, k int) *Member {
	if slot < 0 || slot >= SlotCount || k < 0 {
		return nil
	}
	if k == 0 {
		return &r.members[r.owner[slot]]
	}
	reps := r.replicaTable()[r.Partition(slot)]
	if k > len(reps) {
		return nil
	}
	return &r.members[reps[k-1]]
}

// ReplicaCount is the number of replicas each slot has in r:
// Config.Replicas, or fewer when the ring has fewer other members.
func (r *Ring) ReplicaCount() int { return min(r.cfg.Replicas, len(r.members)-1) }

// ReplicaSet returns the members holding slot: the owner first, then its
// ReplicaCount replicas, successive owners (see above).
func (r *Ring) ReplicaSet(slot int) ([]Member, error) {
	if slot < 0 || slot >= SlotCount {
		return nil, ErrSlot
	}
	out := make([]Member, 0, 1+r.ReplicaCount())
	for k := 0; k <= r.ReplicaCount(); k++ {
		out = append(out, *r.Replica(slot, k))
	}
	return out, nil
}

// HoldsReplica reports whether the member called name is one of slot's
// replicas (not its owner).
func (r *Ring) HoldsReplica(name string, slot int) bool {
	for k := 1; k <= r.ReplicaCount(); k++ {
		if m := r.Replica(slot, k); m != nil && m.Name == name {
			return true
		}
	}
	return false
}

func (r *Ring) replicaTable() [][]uint16 {
	r.succ.once.Do(func() { r.succ.reps = r.buildSuccessors() })
	return r.succ.reps
}

// buildSuccessors computes every partition's replicas. An alternative ring
// that cannot be built (too many members excluded for the partition count)
// ends that partition's list early.
func (r *Ring) buildSuccessors() [][]uint16 {
	n := r.ReplicaCount()
	reps := make([][]uint16, r.cfg.Partitions)
	if n <= 0 {
		return reps
	}
	alts := &altRings{owners: map[string][]uint16{}, ex: make([]bool, len(r.members))}
	zoned := r.zoned()
	var chosen []int
	for p := range reps {
		chosen = append(chosen[:0], int(r.partOwner[p]))
		for len(chosen) <= n {
			owners := r.without(alts, r.exclusion(chosen, zoned, alts.ex))
			if owners == nil {
				break
			}
			idx := int(owners[p])
			chosen = append(chosen, idx)
			reps[p] = append(reps[p], uint16(idx))
		}
	}
	return reps
}

// zoned reports whether members carry zones.
func (r *Ring) zoned() bool {
	for _, m := range r.members {
		if m.Zone != "" {
			return true
		}
	}
	return false
}

// exclusion returns the members a replica after chosen may not be: the
// chosen ones and, with zones, every member of their zones while members
// of other zones remain.
func (r *Ring) exclusion(chosen []int, zoned bool, ex []bool) []bool {
	clear(ex)
	for _, i := range chosen {
		ex[i] = true
	}
	if !zoned {
		return ex
	}
	left := 0
	for i, m := range r.members {
		if !ex[i] && !r.zoneChosen(chosen, m.Zone) {
			left++
		}
	}
	if left > 0 {
		for i, m := range r.members {
			ex[i] = ex[i] || r.zoneChosen(chosen, m.Zone)
		}
	}
	return ex
}

// zoneChosen reports whether a chosen member is in zone.
func (r *Ring) zoneChosen(chosen []int, zone string) bool {
	for _, i := range chosen {
		if r.members[i].Zone == zone {
			return true
		}
	}
	return false
}

// altRings memoises the placements of r without some members.
type altRings struct {
	ph     *partPositions      // partition positions (placement.go), computed on first need
	owners map[string][]uint16 // bitmap of excluded members -> owners as r's member indexes
	key    []byte              // scratch bitmap
	ex     []bool              // scratch exclusion
}

// without returns the partition owners, as indexes into r.members, of the
// ring of r's members not excluded (placed as Build would place them);
// nil when none is left or they cannot be placed. A memoised placement is
// found without allocating.
func (r *Ring) without(alts *altRings, ex []bool) []uint16 {
	alts.key = alts.key[:0]
	for i := 0; i < len(ex); i += 8 {
		var b byte
		for j := i; j < min(i+8, len(ex)); j++ {
			if ex[j] {
				b |= 1 << (j - i)
			}
		}
		alts.key = append(alts.key, b)
	}
	if owners, ok := alts.owners[string(alts.key)]; ok {
		return owners
	}
	var keys []string
	var idx []uint16 // rest's index -> r's
	for i, m := range r.members {
		if !ex[i] {
			keys = append(keys, circleKey(m.Name))
			idx = append(idx, uint16(i))
		}
	}
	var owners []uint16
	if len(keys) > 0 && checkRoom(r.cfg, len(keys)) == nil {
		placed, err := r.cache.place(r.cfg, keys, func() partPositions {
			if alts.ph == nil {
				pp := partitionHashes(r.cfg.Partitions, true)
				alts.ph = &pp
			}
			return *alts.ph
		})
		if err == nil {
			owners = make([]uint16, len(placed))
			for p, o := range placed {
				owners[p] = idx[o]
			}
		}
	}
	alts.owners[string(alts.key)] = owners
	return owners
}
