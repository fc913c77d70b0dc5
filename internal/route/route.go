// Package route decides where a command runs in a ringcache cluster and
// splits and merges the multi-key commands whose keys live on several nodes.
//
// Decide looks only at the ring and the command's keys: all keys in slots
// this node owns → run locally; one other owner → forward there (or answer
// -MOVED in moved mode); a request that was already forwarded once and is
// still not ours → -TRYAGAIN (views disagree; never forward twice); keys in
// several slots → -CROSSSLOT in moved mode, as Redis Cluster does, or, in
// forward mode and for the commands that allow it (MGET, MSET, DEL, UNLINK,
// EXISTS, TOUCH), a split into one sub-command per owner whose replies Merge
// combines exactly as a single Redis would have answered.
package route

import (
	"fmt"
	"strconv"

	"github.com/ringcache/ringcache/ring"
)

// Mode selects how unowned keys are handled.
type Mode int

const (
	// Forward proxies the command to the owner (default).
	Forward Mode = iota
	// Moved answers -MOVED like Redis Cluster.
	Moved
)

// ParseMode parses "forward" or "moved".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "forward":
		return Forward, nil
	case "moved":
		return Moved, nil
	}
	return 0, fmt.Errorf("route: redirect mode must be forward or moved, not %q", s)
}

// Kind is what to do with a command.
type Kind int

// The decisions.
const (
	Local     Kind = iota // run here
	Remote                // forward to Addr
	Redirect              // reply MovedError(Slot, Addr)
	CrossSlot             // reply CrossSlotError
	TryAgain              // reply TryAgainError
	Split                 // run Parts, then Merge
)

// Error texts, as Redis Cluster words them.
const (
	CrossSlotError = "CROSSSLOT Keys in request don't hash to the same slot"
	TryAgainError  = "TRYAGAIN Multiple keys request during rehashing of slot"
)

// MovedError returns "MOVED <slot> <addr>".
func MovedError(slot int, addr string) string {
	return "MOVED " + strconv.Itoa(slot) + " " + addr
}

// Decision is the outcome of Decide.
type Decision struct {
	Kind Kind
	Slot int    // the (first) slot, for Redirect
	Addr string // owner address, for Remote and Redirect
}

// Decide routes a command with the given keys on ring r as node self.
// forwarded is true when the request arrived from a peer; splittable when
// the command may be split by owner.
func Decide(r *ring.Ring, self string, keys [][]byte, mode Mode, forwarded, splittable bool) Decision {
	if len(keys) == 0 {
		return Decision{Kind: Local}
	}
	slot := ring.KeySlotBytes(keys[0])
	owner := r.SlotOwner(slot)
	sameSlot, sameOwner := true, true
	for _, k := range keys[1:] {
		s := ring.KeySlotBytes(k)
		if s != slot {
			sameSlot = false
			if r.SlotOwner(s) != owner {
				sameOwner = false
			}
		}
	}
	switch {
	case !sameSlot && mode == Moved:
		return Decision{Kind: CrossSlot, Slot: slot}
	case sameOwner && owner.Name == self:
		return Decision{Kind: Local, Slot: slot}
	case forwarded:
		return Decision{Kind: TryAgain, Slot: slot}
	case mode == Moved:
		return Decision{Kind: Redirect, Slot: slot, Addr: owner.Addr}
	case sameOwner:
		return Decision{Kind: Remote, Slot: slot, Addr: owner.Addr}
	case splittable:
		return Decision{Kind: Split, Slot: slot}
	}
	return Decision{Kind: CrossSlot, Slot: slot}
}
