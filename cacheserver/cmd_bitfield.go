package cacheserver

// BITOP, BITFIELD and BITFIELD_RO as Redis 7.0's bitops.c: the same parsing
// order and error texts, the same overflow arithmetic (WRAP, SAT, FAIL) and
// the same side effects (a BITFIELD with a write pads the string to the
// highest bit written even when FAIL leaves the value alone).
//
// BITOP reads its sources and then writes the destination; in a cluster
// they share one slot (CROSSSLOT otherwise). Outside MULTI/EXEC a write by
// another connection may land between the reads and the write, where Redis,
// single-threaded, would order it before or after the whole command.

import (
	"math"
	"strings"

	"github.com/ringcache/ringcache/internal/rstrconv"
	"github.com/ringcache/ringcache/internal/store"
)

func bitfieldCommands() []*command {
	return []*command{
		{name: "bitop", arity: -4, flags: []string{"write", "denyoom"}, firstKey: 2, lastKey: -1, step: 1,
			acl: []string{"@write", "@bitmap", "@slow"}, group: "bitmap", since: "2.6.0",
			summary: "Perform bitwise operations between strings", handler: cmdBitOp},
		{name: "bitfield", arity: -2, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@bitmap", "@slow"}, group: "bitmap", since: "3.2.0",
			summary: "Perform arbitrary bitfield integer operations on strings", handler: cmdBitField},
		{name: "bitfield_ro", arity: -2, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@bitmap", "@fast"}, group: "bitmap", since: "6.0.0",
			summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
			handler: cmdBitField},
	}
}

func cmdBitOp(c *conn, args [][]byte) {
	op := strings.ToLower(string(args[1]))
	switch op {
	case "and", "or", "xor", "not":
	default:
		c.replyErrString(syntaxErr)
		return
	}
	if op == "not" && len(args) != 4 {
		c.replyErrString("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, 0, len(args)-3)
	maxLen := 0
	for _, k := range args[3:] {
		v, ok := c.db.Get(nil, k)
		if !ok && missWrongType(c, k) { // a list, hash or set source
			return
		}
		srcs = append(srcs, v)
		maxLen = max(maxLen, len(v))
	}
	dest := args[2]
	if maxLen == 0 {
		if c.db.Del(dest) {
			c.notify(ntfGeneric, "del", dest)
		}
		c.w.WriteInt(0)
		return
	}
	res := bitop(op, srcs, maxLen)
	absent := c.keyAbsent(dest)
	if _, _, _, err := c.db.Set(nil, dest, res, store.SetOptions{}); err != nil {
		c.replyErr(err)
		return
	}
	c.notifySet(absent, dest, false)
	c.w.WriteInt(int64(maxLen))
}

// bitop combines srcs byte by byte; a source shorter than n reads as zeros.
func bitop(op string, srcs [][]byte, n int) []byte {
	at := func(v []byte, j int) byte {
		if j < len(v) {
			return v[j]
		}
		return 0
	}
	res := make([]byte, n)
	for j := range res {
		out := at(srcs[0], j)
		if op == "not" {
			out = ^out
		}
		for _, s := range srcs[1:] {
			switch op {
			case "and":
				out &= at(s, j)
			case "or":
				out |= at(s, j)
			case "xor":
				out ^= at(s, j)
			}
		}
		res[j] = out
	}
	return res
}

// Overflow behaviours of BITFIELD.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD command.
type bitfieldOp struct {
	op       string // "get", "set", "incrby"
	offset   int64  // in bits
	bits     int
	signed   bool
	value    int64 // SET value or INCRBY increment
	overflow int
}

const bitfieldTypeErr = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// parseBitfield parses the operations after the key, as Redis does.
func parseBitfield(c *conn, args [][]byte) ([]bitfieldOp, string) {
	var ops []bitfieldOp
	overflow := bfWrap
	for j := 0; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := strings.ToLower(string(args[j]))
		switch {
		case sub == "get" && rem >= 2, (sub == "set" || sub == "incrby") && rem >= 3:
		case sub == "overflow" && rem >= 1:
			j++
			switch strings.ToLower(string(args[j])) {
			case "wrap":
				overflow = bfWrap
			case "sat":
				overflow = bfSat
			case "fail":
				overflow = bfFail
			default:
				return nil, "ERR Invalid OVERFLOW type specified"
			}
			continue
		default:
			return nil, syntaxErr
		}
		op := bitfieldOp{op: sub, overflow: overflow}
		var ok bool
		if op.signed, op.bits, ok = bitfieldType(args[j+1]); !ok {
			return nil, bitfieldTypeErr
		}
		if op.offset, ok = bitfieldOffset(c, args[j+2], op.bits); !ok {
			return nil, bitOffsetErr
		}
		if sub != "get" {
			if op.value, ok = rstrconv.ParseInt(args[j+3]); !ok {
				return nil, notIntegerErr
			}
			j++
		}
		j += 2
		ops = append(ops, op)
	}
	return ops, ""
}

// bitfieldType parses i1..i64 or u1..u63.
func bitfieldType(arg []byte) (signed bool, bits int, ok bool) {
	if len(arg) < 2 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	n, ok := rstrconv.ParseInt(arg[1:])
	signed = arg[0] == 'i'
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

// bitfieldOffset parses N or #N (N fields of bits) as a bit offset.
func bitfieldOffset(c *conn, arg []byte, bits int) (int64, bool) {
	hash := len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	off, ok := rstrconv.ParseInt(arg)
	if !ok {
		return 0, false
	}
	if hash {
		off *= int64(bits)
	}
	if off < 0 || off>>3 >= c.srv.cfg.MaxBulkLen {
		return 0, false
	}
	return off, true
}

// cmdBitField is BITFIELD and BITFIELD_RO.
func cmdBitField(c *conn, args [][]byte) {
	ops, e := parseBitfield(c, args[2:])
	if e != "" {
		c.replyErrString(e)
		return
	}
	highest := int64(-1)
	for _, op := range ops {
		if op.op != "get" {
			highest = max(highest, op.offset+int64(op.bits)-1)
		}
	}
	if highest < 0 { // only GETs: a read
		v, _ := readValue(c, args[1])
		c.w.WriteArray(len(ops))
		for _, op := range ops {
			c.w.WriteInt(op.get(v))
		}
		return
	}
	if len(args[0]) == len("bitfield_ro") {
		c.replyErrString("ERR BITFIELD_RO only supports the GET subcommand")
		return
	}
	results := make([]*int64, len(ops))
	ok := c.editBits(args[1], highest, func(buf []byte) { // highest >= 0: a SET or INCRBY runs
		for i, op := range ops {
			results[i] = op.apply(buf)
		}
	})
	if !ok {
		return
	}
	c.w.WriteArray(len(results))
	for _, r := range results {
		if r == nil {
			c.w.WriteNull()
		} else {
			c.w.WriteInt(*r)
		}
	}
}

// get reads the field from v (bits past its end are 0).
func (op bitfieldOp) get(v []byte) int64 {
	var u uint64
	for i := range int64(op.bits) {
		u = u<<1 | uint64(bitAt(v, op.offset+i))
	}
	if op.signed && op.bits < 64 && u&(1<<(op.bits-1)) != 0 {
		u |= math.MaxUint64 << op.bits
	}
	return int64(u)
}

// put writes the low op.bits bits of u into buf (long enough).
func (op bitfieldOp) put(buf []byte, u uint64) {
	for i := range op.bits {
		bit := byte(u>>(op.bits-1-i)) & 1
		pos := op.offset + int64(i)
		shift := 7 - pos&7
		buf[pos>>3] = buf[pos>>3]&^(1<<shift) | bit<<shift
	}
}

// apply runs op on buf and returns its reply: nil when FAIL refused it.
func (op bitfieldOp) apply(buf []byte) *int64 {
	old := op.get(buf)
	if op.op == "get" {
		return &old
	}
	base, incr, reply := old, op.value, old // INCRBY: old + incr, replies the new value
	if op.op == "set" {
		base, incr = op.value, 0 // SET: the value itself, checked as value + 0
	}
	val, overflow := bitfieldAdd(base, incr, op.bits, op.signed, op.overflow)
	if overflow && op.overflow == bfFail {
		return nil
	}
	if op.op == "incrby" {
		reply = val
	}
	op.put(buf, uint64(val))
	return &reply
}
