package route

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ringcache/ringcache/internal/resp"
	"github.com/ringcache/ringcache/ring"
)

// Merger says how sub-replies combine into one reply.
type Merger int

// The merge rules of the splittable commands.
const (
	MergeArray Merger = iota // MGET: elements back in key order
	MergeSum                 // DEL, UNLINK, EXISTS, TOUCH: sum of integers
	MergeOK                  // MSET: +OK when every part said +OK
)

// Spec describes a splittable command: how many arguments make one key's
// group (1 for MGET/DEL, 2 for MSET) and how replies merge.
type Spec struct {
	Stride int
	Merge  Merger
}

// Splittable lists the commands forward mode splits across owners.
var Splittable = map[string]Spec{
	"mget":   {1, MergeArray},
	"del":    {1, MergeSum},
	"unlink": {1, MergeSum},
	"exists": {1, MergeSum},
	"touch":  {1, MergeSum},
	"mset":   {2, MergeOK},
}

// Part is the sub-command for one owner: its arguments (the command name
// first) and, for MergeArray, the positions of its keys in the original.
type Part struct {
	Owner string // member name
	Addr  string
	Args  [][]byte
	Index []int
}

// SplitArgs groups a splittable command's key groups by owner, keeping their
// order. args[0] is the command name.
func SplitArgs(r *ring.Ring, args [][]byte, spec Spec) ([]Part, error) {
	if spec.Stride < 1 || (len(args)-1)%spec.Stride != 0 || len(args) < 2 {
		return nil, errors.New("route: arguments do not fit the command")
	}
	byOwner := map[string]int{}
	var parts []Part
	for i, n := 1, 0; i < len(args); i, n = i+spec.Stride, n+1 {
		m := r.SlotOwner(ring.KeySlotBytes(args[i]))
		p, ok := byOwner[m.Name]
		if !ok {
			p = len(parts)
			byOwner[m.Name] = p
			parts = append(parts, Part{Owner: m.Name, Addr: m.Addr, Args: [][]byte{args[0]}})
		}
		parts[p].Args = append(parts[p].Args, args[i:i+spec.Stride]...)
		parts[p].Index = append(parts[p].Index, n)
	}
	return parts, nil
}

// Merge combines the raw replies of parts (same order as parts) into the
// raw reply one Redis would have given for the whole command. An error
// reply from any part is returned as the reply. protocol is 2 or 3 (nulls
// inside MGET's array are written as the client's protocol expects).
func Merge(spec Spec, parts []Part, replies [][]byte, protocol int) ([]byte, error) {
	if len(parts) != len(replies) {
		return nil, errors.New("route: one reply per part needed")
	}
	values := make([]resp.Value, len(replies))
	for i, raw := range replies {
		v, err := parseOne(raw)
		if err != nil {
			return nil, err
		}
		if v.IsError() {
			return raw, nil
		}
		values[i] = v
	}
	switch spec.Merge {
	case MergeSum:
		var sum int64
		for _, v := range values {
			if v.Type != ':' {
				return nil, fmt.Errorf("route: expected an integer reply, got %s", v)
			}
			sum += v.Int
		}
		return fmt.Appendf(nil, ":%d\r\n", sum), nil
	case MergeOK:
		return []byte("+OK\r\n"), nil
	}
	return mergeArray(parts, values, protocol)
}

func mergeArray(parts []Part, values []resp.Value, protocol int) ([]byte, error) {
	n := 0
	for _, p := range parts {
		n += len(p.Index)
	}
	out := make([]resp.Value, n)
	for i, p := range parts {
		if values[i].Type != '*' || len(values[i].Elems) != len(p.Index) {
			return nil, fmt.Errorf("route: part %d: expected an array of %d, got %s", i, len(p.Index), values[i])
		}
		for j, idx := range p.Index {
			out[idx] = values[i].Elems[j]
		}
	}
	buf := fmt.Appendf(nil, "*%d\r\n", n)
	for _, v := range out {
		switch {
		case v.Null && protocol == 3:
			buf = append(buf, "_\r\n"...)
		case v.Null:
			buf = append(buf, "$-1\r\n"...)
		default:
			buf = fmt.Appendf(buf, "$%d\r\n%s\r\n", len(v.Str), v.Str)
		}
	}
	return buf, nil
}

func parseOne(raw []byte) (resp.Value, error) {
	return resp.NewReplyReader(bytes.NewReader(raw), resp.DefaultReaderConfig()).Read()
}
