package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/ringcache/ringcache/cacheserver"
)

// handoffOptions are the flags of the hand-off of slot data on membership
// changes (cacheserver/handoff.go, docs/cluster.md).
type handoffOptions struct {
	rate              string
	keep, warm, drain time.Duration
	readThrough       time.Duration
}

func (h *handoffOptions) register(fs *flag.FlagSet) {
	d := cacheserver.DefaultClusterConfig()
	fs.StringVar(&h.rate, "handoff-rate", "64mb",
		"bytes/s budget for copying moved slots from their previous owner, e.g. 64mb (0 = no hand-off: moved slots start empty)")
	fs.DurationVar(&h.keep, "handoff-keep", d.HandoffKeep, "how long a node keeps a slot it lost for its new owner to copy")
	fs.DurationVar(&h.readThrough, "handoff-read-through", d.HandoffReadThrough,
		"bound of a miss's read-through to the previous owner while a slot is copied")
	fs.DurationVar(&h.warm, "handoff-warm", d.HandoffWarm,
		"a joining node reports not ready (/readyz) while it copies its slots, at most this long")
	fs.DurationVar(&h.drain, "drain-timeout", d.HandoffDrain,
		"on SIGTERM or RINGCACHE DRAIN, wait at most this long for the new owners to copy this node's slots")
}

// apply sets the hand-off fields of cc.
func (h *handoffOptions) apply(cc *cacheserver.ClusterConfig) error {
	rate, err := cacheserver.ParseMemory(h.rate)
	if err != nil {
		return fmt.Errorf("--handoff-rate: %w", err)
	}
	cc.HandoffRate, cc.HandoffKeep, cc.HandoffReadThrough = rate, h.keep, h.readThrough
	cc.HandoffWarm, cc.HandoffDrain = h.warm, h.drain
	return nil
}
