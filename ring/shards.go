package ring

// SlotRange is an inclusive range of slots, as CLUSTER SLOTS reports them.
type SlotRange struct {
	Start, End int
}

// Len returns the number of slots in the range.
func (s SlotRange) Len() int { return s.End - s.Start + 1 }

// Shard is one member with the slot ranges it owns: the data CLUSTER SLOTS
// and CLUSTER SHARDS render.
type Shard struct {
	Member Member
	Ranges []SlotRange // ascending, merged
	Slots  int         // number of slots owned
}

func (r *Ring) buildShards() []Shard {
	shards := make([]Shard, len(r.members))
	for i, m := range r.members {
		shards[i].Member = m
	}
	start := 0
	for s := 1; s <= SlotCount; s++ {
		if s < SlotCount && r.owner[s] == r.owner[start] {
			continue
		}
		sh := &shards[r.owner[start]]
		sh.Ranges = append(sh.Ranges, SlotRange{start, s - 1})
		sh.Slots += s - start
		start = s
	}
	return shards
}

// Shards returns every member with its merged slot ranges, sorted by member
// name. The result is shared: callers must not modify it.
func (r *Ring) Shards() []Shard { return r.shards }

// SlotRanges returns the ranges of slots owned by every member, ascending by
// slot, each with its owner: the rows of CLUSTER SLOTS. The result is shared:
// callers must not modify it.
func (r *Ring) SlotRanges() []OwnedRange { return r.ranges }

func (r *Ring) buildRanges() []OwnedRange {
	var out []OwnedRange
	start := 0
	for s := 1; s <= SlotCount; s++ {
		if s < SlotCount && r.owner[s] == r.owner[start] {
			continue
		}
		out = append(out, OwnedRange{SlotRange{start, s - 1}, r.members[r.owner[start]]})
		start = s
	}
	return out
}

// OwnedRange is a slot range with its owner.
type OwnedRange struct {
	SlotRange
	Owner Member
}

// MemberShard returns the shard of the member called name.
func (r *Ring) MemberShard(name string) (Shard, bool) {
	i, ok := r.byName[name]
	if !ok {
		return Shard{}, false
	}
	return r.shards[i], true
}

// Move is a range of slots whose owner changed between two rings. From is
// empty when the old ring was nil.
type Move struct {
	SlotRange
	From, To string
}

// Diff returns the slot ranges whose owner differs between old and new,
// merged and ascending. A nil old ring counts as owning nothing; a nil new
// ring gives no moves.
func Diff(old, new *Ring) []Move {
	if new == nil {
		return nil
	}
	ownerName := func(r *Ring, s int) string {
		if r == nil {
			return ""
		}
		return r.members[r.owner[s]].Name
	}
	var out []Move
	for s := 0; s < SlotCount; s++ {
		from, to := ownerName(old, s), ownerName(new, s)
		if from == to {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End == s-1 && out[n-1].From == from && out[n-1].To == to {
			out[n-1].End = s
			continue
		}
		out = append(out, Move{SlotRange{s, s}, from, to})
	}
	return out
}

// MovedSlots counts the slots in moves.
func MovedSlots(moves []Move) int {
	n := 0
	for _, m := range moves {
		n += m.Len()
	}
	return n
}
