package ring

import "fmt"

// Config returns the configuration the ring was built with.
func (r *Ring) Config() Config { return r.cfg }

// Epoch is a digest of the ring's config and members. Two rings with equal
// epochs place every slot identically.
func (r *Ring) Epoch() uint64 { return r.epoch }

// Len returns the number of members.
func (r *Ring) Len() int { return len(r.members) }

// Members returns the members sorted by name (a copy of the slice; the
// Meta maps are shared and must not be modified).
func (r *Ring) Members() []Member { return append([]Member(nil), r.members...) }

// Member returns the member called name.
func (r *Ring) Member(name string) (Member, bool) {
	i, ok := r.byName[name]
	if !ok {
		return Member{}, false
	}
	return r.members[i], true
}

// SlotOwner returns the member that owns slot, or nil if slot is not in
// [0, 16384). It does not allocate. The Member is shared by every caller and
// must not be modified.
func (r *Ring) SlotOwner(slot int) *Member {
	if slot < 0 || slot >= SlotCount {
		return nil
	}
	return &r.members[r.owner[slot]]
}

// Owner returns the member that owns key. It does not allocate. The Member
// is shared and must not be modified.
func (r *Ring) Owner(key string) *Member {
	return &r.members[r.owner[KeySlot(key)]]
}

// OwnerBytes is Owner for a byte-slice key.
func (r *Ring) OwnerBytes(key []byte) *Member {
	return &r.members[r.owner[KeySlotBytes(key)]]
}

// Owns reports whether the member called name owns slot.
func (r *Ring) Owns(name string, slot int) bool {
	if slot < 0 || slot >= SlotCount {
		return false
	}
	return r.members[r.owner[slot]].Name == name
}

// Partition returns the partition that holds slot.
func (r *Ring) Partition(slot int) int { return slot / r.cfg.slotsPerPartition() }

// Replicas returns n distinct members for slot: the owner first, then the
// members that follow it on the circle of member hashes (the order of
// consistent's GetClosestNForPartition), first those in zones not yet
// chosen, then the rest. n must be between 1 and Len().
func (r *Ring) Replicas(slot, n int) ([]Member, error) {
	if n < 1 || n > len(r.members) {
		return nil, fmt.Errorf("%w: asked for %d of %d members", ErrReplicas, n, len(r.members))
	}
	if slot < 0 || slot >= SlotCount {
		return nil, fmt.Errorf("%w: %d", ErrSlot, slot)
	}
	owner := int(r.owner[slot])
	start := 0
	for i, m := range r.circle {
		if m == owner {
			start = i
			break
		}
	}
	out := []Member{r.members[owner]}
	zones := map[string]bool{r.members[owner].Zone: true}
	chosen := map[int]bool{owner: true}
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		for i := 1; i < len(r.circle) && len(out) < n; i++ {
			m := r.circle[(start+i)%len(r.circle)]
			if chosen[m] || (pass == 0 && zones[r.members[m].Zone]) {
				continue
			}
			chosen[m], zones[r.members[m].Zone] = true, true
			out = append(out, r.members[m])
		}
	}
	return out, nil
}
