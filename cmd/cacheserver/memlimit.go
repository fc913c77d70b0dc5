package main

import (
	"log/slog"
	"math"
	"os"
	"runtime/debug"
)

// The Go memory limit (runtime/debug.SetMemoryLimit) follows --maxmemory,
// so a node in a container with a memory limit collects garbage harder as
// it nears its budget instead of growing its heap to twice the live data
// (GOGC=100) and being killed. The limit is maxmemory plus a quarter plus
// 64 MiB (memoryLimit), which leaves room for connection buffers, forwarded
// replies and garbage not yet collected; CONFIG SET maxmemory moves it
// too. With --maxmemory 0 (unlimited) the runtime's default (no limit) is
// kept. An explicit GOMEMLIMIT in the environment always wins: the limit is
// then never changed. docs/operations.md explains how to size a container.

// memLimitFixedOverhead is the constant part of the overhead.
const memLimitFixedOverhead = 64 << 20

// memoryLimit returns the Go memory limit for a maxmemory budget in bytes;
// math.MaxInt64 (no limit) for an unlimited budget.
func memoryLimit(maxmemory int64) int64 {
	if maxmemory <= 0 {
		return math.MaxInt64
	}
	return min(maxmemory+maxmemory/4+memLimitFixedOverhead, math.MaxInt64/2)
}

// memoryLimiter sets the Go memory limit from maxmemory unless GOMEMLIMIT
// was set explicitly.
type memoryLimiter struct {
	explicit string            // GOMEMLIMIT as set in the environment
	set      func(int64) int64 // debug.SetMemoryLimit; replaced in tests
	log      *slog.Logger
}

func newMemoryLimiter(log *slog.Logger) *memoryLimiter {
	return &memoryLimiter{explicit: os.Getenv("GOMEMLIMIT"), set: debug.SetMemoryLimit, log: log}
}

// apply sets the limit for maxmemory and logs what it did.
func (m *memoryLimiter) apply(maxmemory int64) {
	if m.explicit != "" {
		m.log.Info("go memory limit set by GOMEMLIMIT", "gomemlimit", m.explicit)
		return
	}
	limit := memoryLimit(maxmemory)
	m.set(limit)
	if limit == math.MaxInt64 {
		m.log.Info("go memory limit off: maxmemory is unlimited")
		return
	}
	m.log.Info("go memory limit follows maxmemory", "maxmemory", maxmemory, "limit", limit)
}
