package cacheserver

// Bit and byte-algorithm commands on string values: GETBIT, SETBIT,
// BITCOUNT, BITPOS (BYTE and BIT ranges) and LCS. Range arithmetic follows
// Redis 7.0's bitops.c and t_string.c step by step, including its order of
// checks (a missing key answers before the range is even parsed).

import (
	"github.com/ringcache/ringcache/internal/rstrconv"
	"math/bits"
	"strings"
)

// bitCommands returns GETBIT, SETBIT, BITCOUNT, BITPOS and LCS with Redis
// 7.0's COMMAND INFO metadata (checked by TestCommandInfoMatchesRedis).
func bitCommands() []*command {
	return append([]*command{
		{name: "getbit", arity: 3, flags: []string{"readonly", "fast"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@bitmap", "@fast"}, group: "bitmap", since: "2.2.0",
			summary: "Returns the bit value at offset in the string value stored at key", handler: cmdGetBit},
		{name: "setbit", arity: 4, flags: []string{"write", "denyoom"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@write", "@bitmap", "@slow"}, group: "bitmap", since: "2.2.0",
			summary: "Sets or clears the bit at offset in the string value stored at key", handler: cmdSetBit},
		{name: "bitcount", arity: -2, flags: []string{"readonly"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@bitmap", "@slow"}, group: "bitmap", since: "2.6.0",
			summary: "Count set bits in a string", handler: cmdBitCount},
		{name: "bitpos", arity: -3, flags: []string{"readonly"}, firstKey: 1, lastKey: 1, step: 1,
			acl: []string{"@read", "@bitmap", "@slow"}, group: "bitmap", since: "2.8.7",
			summary: "Find first bit set or clear in a string", handler: cmdBitPos},
		{name: "lcs", arity: -3, flags: []string{"readonly"}, firstKey: 1, lastKey: 2, step: 1,
			acl: []string{"@read", "@string", "@slow"}, group: "string", since: "7.0.0",
			summary: "Find longest common substring", handler: cmdLCS},
	}, bitfieldCommands()...) // cmd_bitfield.go
}

const bitOffsetErr = "ERR bit offset is not an integer or out of range"

// bitOffset parses a bit offset like Redis's getBitOffsetFromArgument: an
// integer >= 0 whose byte lies below proto-max-bulk-len.
func bitOffset(c *conn, arg []byte) (int64, bool) {
	off, ok := rstrconv.ParseInt(arg)
	if !ok || off < 0 || off>>3 >= c.srv.cfg.MaxBulkLen {
		return 0, false
	}
	return off, true
}

func cmdGetBit(c *conn, args [][]byte) {
	off, ok := bitOffset(c, args[2])
	if !ok {
		c.replyErrString(bitOffsetErr)
		return
	}
	v, found := readValue(c, args[1])
	if !found && missWrongType(c, args[1]) {
		return
	}
	c.w.WriteInt(int64(bitAt(v, off)))
}

// bitAt returns bit off of v (bit 0 is the most significant of byte 0);
// bits past the end are 0.
func bitAt(v []byte, off int64) byte {
	if off>>3 >= int64(len(v)) {
		return 0
	}
	return v[off>>3] >> (7 - off&7) & 1
}

func cmdSetBit(c *conn, args [][]byte) {
	off, ok := bitOffset(c, args[2])
	if !ok {
		c.replyErrString(bitOffsetErr)
		return
	}
	on, ok := rstrconv.ParseInt(args[3])
	if !ok || on&^1 != 0 {
		c.replyErrString("ERR bit is not an integer or out of range")
		return
	}
	var old byte
	ok = c.editBits(args[1], off, func(buf []byte) {
		old = bitAt(buf, off)
		mask := byte(1) << (7 - off&7)
		buf[off>>3] = buf[off>>3]&^mask | byte(on)<<(7-off&7)
	})
	if !ok {
		return
	}
	c.w.WriteInt(int64(old))
}

// editBits runs edit on a copy of key's value padded with zero bytes up to
// the byte holding bit, stores it and emits the key's events (new,
// setbit): SETBIT and BITFIELD with a SET or INCRBY. It replies the store's error
// and returns false when the write failed.
func (c *conn) editBits(key []byte, bit int64, edit func(buf []byte)) bool {
	existed := false
	err := c.db.Modify(key, func(cur []byte, ex bool) ([]byte, bool) {
		existed = ex
		buf := append(c.scratch[:0], cur...)
		if need := int(bit>>3) + 1; len(buf) < need {
			buf = append(buf, make([]byte, need-len(buf))...)
		}
		edit(buf)
		c.scratch = buf[:0]
		return buf, true
	})
	if err != nil {
		c.replyErr(err)
		return false
	}
	c.notifyNew(!existed, key)
	c.notify(ntfString, "setbit", key)
	return true
}

// bitRange is a normalised BITCOUNT/BITPOS range over a string of n bytes:
// bits [first, last] (empty when first > last).
type bitRange struct{ first, last int64 }

// normRange applies Redis's index rules to start/end in bytes, or in bits
// when isBit, over a string of n bytes, and returns the bit range.
func normRange(start, end int64, isBit bool, n int64) bitRange {
	total := n
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return bitRange{0, -1} // empty (and start<<3 below cannot overflow)
	}
	if !isBit {
		return bitRange{start << 3, end<<3 + 7}
	}
	return bitRange{start, end}
}

// rangeUnit parses the optional BYTE|BIT argument.
func rangeUnit(arg []byte) (isBit, ok bool) {
	switch strings.ToLower(string(arg)) {
	case "bit":
		return true, true
	case "byte":
		return false, true
	}
	return false, false
}

func cmdBitCount(c *conn, args [][]byte) {
	v, found := readValue(c, args[1])
	if !found {
		if !missWrongType(c, args[1]) {
			c.w.WriteInt(0)
		}
		return
	}
	r := bitRange{0, int64(len(v))*8 - 1}
	switch len(args) {
	case 2:
	case 4, 5:
		start, ok1 := rstrconv.ParseInt(args[2])
		end, ok2 := rstrconv.ParseInt(args[3])
		if !ok1 || !ok2 {
			c.replyErrString(notIntegerErr)
			return
		}
		if start < 0 && end < 0 && start > end {
			c.w.WriteInt(0)
			return
		}
		isBit, ok := false, true
		if len(args) == 5 {
			isBit, ok = rangeUnit(args[4])
		}
		if !ok {
			c.replyErrString(syntaxErr)
			return
		}
		r = normRange(start, end, isBit, int64(len(v)))
	default:
		c.replyErrString(syntaxErr)
		return
	}
	c.w.WriteInt(popcount(v, r))
}

// popcount counts the set bits of v in r.
func popcount(v []byte, r bitRange) int64 {
	if r.first > r.last {
		return 0
	}
	fb, lb := r.first>>3, r.last>>3
	var n int
	for _, b := range v[fb : lb+1] {
		n += bits.OnesCount8(b)
	}
	n -= bits.OnesCount8(v[fb] & ^byte(0xff>>(r.first&7)))
	n -= bits.OnesCount8(v[lb] & byte(0xff>>(r.last&7+1)))
	return int64(n)
}

func cmdBitPos(c *conn, args [][]byte) {
	bit, ok := rstrconv.ParseInt(args[2])
	if !ok {
		c.replyErrString(notIntegerErr)
		return
	}
	if bit != 0 && bit != 1 {
		c.replyErrString("ERR The bit argument must be 1 or 0.")
		return
	}
	v, found := readValue(c, args[1])
	if !found {
		if !missWrongType(c, args[1]) {
			c.w.WriteInt(-bit) // missing key: infinite zeros: 0 for 0, -1 for 1
		}
		return
	}
	r, endGiven, e := bitPosRange(args, int64(len(v)))
	if e != "" {
		c.replyErrString(e)
		return
	}
	c.w.WriteInt(bitPos(v, r, byte(bit), endGiven))
}

// bitPosRange parses BITPOS's optional start, end and unit, in Redis's
// order: start, then the unit, then end.
func bitPosRange(args [][]byte, n int64) (bitRange, bool, string) {
	if len(args) == 3 {
		return bitRange{0, n*8 - 1}, false, ""
	}
	if len(args) > 6 {
		return bitRange{}, false, syntaxErr
	}
	start, ok := rstrconv.ParseInt(args[3])
	if !ok {
		return bitRange{}, false, notIntegerErr
	}
	isBit := false
	if len(args) == 6 {
		if isBit, ok = rangeUnit(args[5]); !ok {
			return bitRange{}, false, syntaxErr
		}
	}
	end := n - 1
	if len(args) >= 5 {
		if end, ok = rstrconv.ParseInt(args[4]); !ok {
			return bitRange{}, false, notIntegerErr
		}
	}
	return normRange(start, end, isBit, n), len(args) >= 5, ""
}

// bitPos finds the first bit equal to bit in r. Not found: -1, except that
// a clear bit is reported just past a byte range without an explicit end
// (the string is taken as zero-padded on the right), as Redis does.
func bitPos(v []byte, r bitRange, bit byte, endGiven bool) int64 {
	if r.first > r.last {
		return -1
	}
	for i := r.first; i <= r.last; {
		b := v[i>>3]
		if (bit == 1 && b == 0) || (bit == 0 && b == 0xff) {
			i = i&^7 + 8 // skip the rest of a byte without a match
			continue
		}
		if bitAt(v, i) == bit {
			return i
		}
		i++
	}
	if bit == 0 && !endGiven {
		return r.last + 1
	}
	return -1
}

// LCS option limits.
const maxLCSTable = 512 << 20 // bytes of the transient DP table

func cmdLCS(c *conn, args [][]byte) {
	a, _ := readValue(c, args[1])
	a = append([]byte(nil), a...)
	b, _ := readValue(c, args[2])
	o, e := parseLCSOpts(args[3:])
	if e == "" && int64(len(a)+1)*int64(len(b)+1)*4 > maxLCSTable {
		e = "ERR Insufficient memory, failed allocating transient memory for LCS"
	}
	if e != "" {
		c.replyErrString(e)
		return
	}
	lcsReply(c, a, b, o)
}

// lcsOpts are LCS's options.
type lcsOpts struct {
	idx, length, withLen bool
	minLen               int64
}

func parseLCSOpts(args [][]byte) (lcsOpts, string) {
	var o lcsOpts
	for j := 0; j < len(args); j++ {
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "idx":
			o.idx = true
		case opt == "len":
			o.length = true
		case opt == "withmatchlen":
			o.withLen = true
		case opt == "minmatchlen" && j+1 < len(args):
			n, ok := rstrconv.ParseInt(args[j+1])
			if !ok {
				return o, notIntegerErr
			}
			o.minLen = max(n, 0)
			j++
		default:
			return o, syntaxErr
		}
	}
	if o.idx && o.length {
		return o, "ERR If you want both the length and indexes, please just use IDX."
	}
	return o, ""
}

// lcsMatch is one matching range: a[aStart..aEnd] == b[bStart..bEnd].
type lcsMatch struct{ aStart, aEnd, bStart, bEnd int }

// lcs computes the longest common subsequence of a and b with Redis's
// dynamic programme and backtrack, returning it and the matching ranges from
// the end of the strings backwards (Redis's order).
func lcs(a, b []byte) ([]byte, []lcsMatch) {
	w := len(b) + 1
	dp := make([]uint32, (len(a)+1)*w)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				dp[i*w+j] = dp[(i-1)*w+j-1] + 1
			} else {
				dp[i*w+j] = max(dp[(i-1)*w+j], dp[i*w+j-1])
			}
		}
	}
	n := dp[len(a)*w+len(b)]
	out := make([]byte, n)
	var ms []lcsMatch
	cur, open := lcsMatch{}, false
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			n--
			out[n] = a[i-1]
			if open {
				cur.aStart, cur.bStart = i-1, j-1
			} else {
				cur, open = lcsMatch{i - 1, i - 1, j - 1, j - 1}, true
			}
			emit = cur.aStart == 0 || cur.bStart == 0
			i, j = i-1, j-1
		} else {
			if dp[(i-1)*w+j] > dp[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = open
		}
		if emit {
			ms = append(ms, cur)
			open = false
		}
	}
	return out, ms
}

// lcsReply writes LCS's reply: the string, its length (LEN), or the map of
// matches and length (IDX), filtered by MINMATCHLEN.
func lcsReply(c *conn, a, b []byte, o lcsOpts) {
	s, ms := lcs(a, b)
	switch {
	case o.length:
		c.w.WriteInt(int64(len(s)))
	case !o.idx:
		c.w.WriteBulk(s)
	default:
		c.w.WriteMap(2)
		c.w.WriteBulkString("matches")
		kept := ms[:0]
		for _, m := range ms {
			if int64(m.aEnd-m.aStart+1) >= o.minLen {
				kept = append(kept, m)
			}
		}
		c.w.WriteArray(len(kept))
		for _, m := range kept {
			writeLCSMatch(c, m, o.withLen)
		}
		c.w.WriteBulkString("len")
		c.w.WriteInt(int64(len(s)))
	}
}

func writeLCSMatch(c *conn, m lcsMatch, withLen bool) {
	c.w.WriteArray(2 + int(boolInt(withLen)))
	c.w.WriteArray(2)
	c.w.WriteInt(int64(m.aStart))
	c.w.WriteInt(int64(m.aEnd))
	c.w.WriteArray(2)
	c.w.WriteInt(int64(m.bStart))
	c.w.WriteInt(int64(m.bEnd))
	if withLen {
		c.w.WriteInt(int64(m.aEnd - m.aStart + 1))
	}
}
