// Package history records the operations of a fault run and checks them
// against the semantics a cache may honestly promise.
//
// Every operation (a read, a write of a value unique to the run, or a
// delete) is recorded with the times it was invoked and completed, its
// result and the kind of its error. The checker then applies, key by key,
// the rules of docs/faults.md: a read may always miss; a read that returns a
// value must return one that some write of that key put there (never a
// value nobody wrote), and not one that was overwritten by a write or
// delete acknowledged more than Δ before the read started (a stale read
// beyond Δ; Δ is set per read tier: L1 reads may lag the cluster by the
// SDK's staleness bound on top of the cluster's). When writes are
// acknowledged durably (WAIT), a miss of an acknowledged write is a lost
// write; without WAIT it is legal in a cache and only counted.
package history

import (
	"slices"
	"sync"
	"time"
)

// Kind is the kind of an operation.
type Kind uint8

// The operation kinds.
const (
	Read Kind = iota
	Write
	Delete
)

func (k Kind) String() string { return [...]string{"read", "write", "delete"}[k] }

// Op is one recorded operation.
type Op struct {
	// Client names the client that ran it ("forward-0", "cluster-1",
	// "sdk-0", "preload").
	Client string `json:"client"`
	// Tier is where a successful read was served from: "l1" for the SDK's
	// in-process tier, "" for the cluster. It selects the read's Δ.
	Tier string `json:"tier,omitempty"`
	Kind Kind   `json:"kind"`
	Key  string `json:"key"`
	// Value is the value written, or the value read when Found.
	Value string `json:"value,omitempty"`
	Found bool   `json:"found,omitempty"`
	// Invoke and Complete bound the operation in real time.
	Invoke   time.Time `json:"invoke"`
	Complete time.Time `json:"complete"`
	// Err is the kind of the error ("" when the operation succeeded; see
	// ErrKind). A write with an error may or may not have been applied.
	Err string `json:"err,omitempty"`
}

// OK reports whether the operation succeeded (for a write or delete: was
// acknowledged).
func (o Op) OK() bool { return o.Err == "" }

// Recorder collects operations from concurrent clients.
type Recorder struct {
	mu  sync.Mutex
	ops []Op
}

// Add records one operation. Safe for concurrent use.
func (r *Recorder) Add(o Op) {
	r.mu.Lock()
	r.ops = append(r.ops, o)
	r.mu.Unlock()
}

// Ops returns the operations recorded so far, ordered by invocation.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	ops := slices.Clone(r.ops)
	r.mu.Unlock()
	slices.SortStableFunc(ops, func(a, b Op) int { return a.Invoke.Compare(b.Invoke) })
	return ops
}
