package cacheserver

// OBJECT and MEMORY: key introspection as Redis 7.0 answers it, so that
// redis-cli --hotkeys (OBJECT FREQ under an LFU policy, the default here)
// and --memkeys (MEMORY USAGE) work. Keys are read without being touched.
//
// The answers are derived from what the store keeps: ENCODING is what
// Redis would pick for the value as it is now (int for a canonical 64-bit
// integer of at most 20 bytes, embstr up to 44 bytes, raw above), and raw,
// as Redis, for a value APPEND or SETRANGE edited (a store record flag);
// REFCOUNT is 2147483647 for the integers Redis shares (0..9999
// unless maxmemory is set with an LRU/LFU policy), 1 otherwise; MEMORY
// USAGE is the key's record plus its share of the index. Both are
// container commands without key positions, as far as routing goes: in a
// cluster they answer about the keys of the node asked (as SCAN does).

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/ringcache/ringcache/internal/store"
)

func objectCommands() []*command {
	return []*command{
		{name: "object", arity: -2, flags: []string{}, acl: []string{"@slow"}, subs: objectSubcommands, group: "generic",
			since: "2.2.3", summary: "A container for object introspection commands", handler: objectCmd},
		{name: "memory", arity: -2, flags: []string{}, acl: []string{"@slow"}, subs: memorySubcommands, group: "server",
			since: "4.0.0", summary: "A container for memory diagnostics commands", handler: memoryCmd},
	}
}

var objectSubcommands = map[string]subcommand{
	"encoding": {3, objectEncoding},
	"freq":     {3, objectFreq},
	"idletime": {3, objectIdletime},
	"refcount": {3, objectRefcount},
	"help":     {2, objectHelp},
}

var memorySubcommands = map[string]subcommand{
	"usage":        {-3, memoryUsage},
	"stats":        {2, memoryStats},
	"doctor":       {2, memoryDoctor},
	"purge":        {2, memoryPurge},
	"malloc-stats": {2, func(c *conn, _ [][]byte) { c.w.WriteBulkString("Stats not supported for the current allocator") }},
	"help":         {2, memoryHelp},
}

func objectCmd(c *conn, args [][]byte) { c.runSubcommand("OBJECT", objectSubcommands, args) }
func memoryCmd(c *conn, args [][]byte) { c.runSubcommand("MEMORY", memorySubcommands, args) }

const (
	lfuNotSelectedErr = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	lfuSelectedErr = "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	sharedRefcount = 2147483647 // Redis's OBJ_SHARED_REFCOUNT
)

// inspect looks key up for OBJECT/MEMORY; a missing key answers null.
func (c *conn) inspect(key []byte) (store.KeyInfo, bool) {
	info, ok := c.srv.store.Inspect(key)
	if !ok {
		c.w.WriteNull()
	}
	return info, ok
}

// sharedInt reports whether v is a canonical integer as Redis's string2ll
// accepts it (no sign but '-', no leading zeros, fits in 64 bits).
func sharedInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == string(v)
}

func encodingOf(info store.KeyInfo) string {
	switch _, isInt := sharedInt(info.Small); {
	case info.Raw:
		return "raw"
	case isInt:
		return "int"
	case info.ValLen <= 44:
		return "embstr"
	}
	return "raw"
}

func objectEncoding(c *conn, args [][]byte) {
	if info, ok := c.inspect(args[2]); ok && info.Kind != store.KindString {
		c.w.WriteBulkString(c.srv.store.Encoding(args[2]))
	} else if ok {
		c.w.WriteBulkString(encodingOf(info))
	}
}

func (c *conn) policy() store.Policy { return c.srv.store.Policy() }

func objectFreq(c *conn, args [][]byte) {
	if !c.policy().IsLFU() {
		c.replyErrString(lfuNotSelectedErr)
		return
	}
	if info, ok := c.inspect(args[2]); ok {
		c.w.WriteInt(int64(info.Freq))
	}
}

func objectIdletime(c *conn, args [][]byte) {
	if c.policy().IsLFU() {
		c.replyErrString(lfuSelectedErr)
		return
	}
	if info, ok := c.inspect(args[2]); ok {
		c.w.WriteInt(int64(info.Idle.Seconds()))
	}
}

func objectRefcount(c *conn, args [][]byte) {
	info, ok := c.inspect(args[2])
	if !ok {
		return
	}
	p := c.policy()
	n, isInt := sharedInt(info.Small)
	if isInt && n >= 0 && n < 10000 && (c.srv.store.MaxMemory() == 0 || !p.IsLFU() && !p.IsLRU()) {
		c.w.WriteInt(sharedRefcount)
		return
	}
	c.w.WriteInt(1)
}

// writeHelp writes a HELP reply: one simple string per line.
func (c *conn) writeHelp(lines ...string) {
	c.w.WriteArray(len(lines))
	for _, l := range lines {
		c.w.WriteSimple(l)
	}
}

func objectHelp(c *conn, _ [][]byte) {
	c.writeHelp("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.")
}

// memoryUsage is MEMORY USAGE key [SAMPLES count] (SAMPLES is checked and
// ignored: strings have no nested values to sample).
func memoryUsage(c *conn, args [][]byte) {
	for i := 3; i < len(args); i += 2 {
		if !strings.EqualFold(string(args[i]), "samples") || i+1 >= len(args) {
			c.replyErrString(syntaxErr)
			return
		}
		if _, err := strconv.ParseInt(string(args[i+1]), 10, 64); err != nil {
			c.replyErrString("ERR value is not an integer or out of range")
			return
		}
	}
	if info, ok := c.inspect(args[2]); ok {
		c.w.WriteInt(int64(info.Bytes))
	}
}

// memoryStats is MEMORY STATS with the integer fields that have a meaning
// here: the Go heap for the allocator figures, the store for the dataset.
func memoryStats(c *conn, _ [][]byte) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	keys := int64(c.srv.store.Len())
	dataset := c.srv.store.UsedMemory()
	perKey := int64(0)
	if keys > 0 {
		perKey = dataset / keys
	}
	fields := []struct {
		name string
		v    int64
	}{
		{"peak.allocated", int64(ms.HeapSys)}, {"total.allocated", int64(ms.HeapAlloc)},
		{"startup.allocated", 0}, {"replication.backlog", 0}, {"clients.slaves", 0},
		{"clients.normal", 0}, {"keys.count", keys}, {"keys.bytes-per-key", perKey},
		{"dataset.bytes", dataset},
	}
	c.w.WriteMap(len(fields))
	for _, f := range fields {
		c.w.WriteBulkString(f.name)
		c.w.WriteInt(f.v)
	}
}

func memoryDoctor(c *conn, _ [][]byte) {
	used, max := c.srv.store.UsedMemory(), c.srv.store.MaxMemory()
	msg := fmt.Sprintf("Sam, I detected no memory issue in this instance: %d bytes used by the dataset", used)
	if max > 0 {
		msg += fmt.Sprintf(" of a %d bytes maxmemory budget", max)
	}
	c.w.WriteBulkString(msg + ".")
}

// memoryPurge returns freed memory to the OS, as after FLUSHALL.
func memoryPurge(c *conn, _ [][]byte) {
	c.srv.release.request()
	c.w.WriteSimple("OK")
}

func memoryHelp(c *conn, _ [][]byte) {
	c.writeHelp("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
		"HELP",
		"    Prints this help.")
}
