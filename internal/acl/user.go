package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/ringcache/ringcache/internal/store"
)

// Perm is what a key pattern allows.
type Perm uint8

// Key permissions (%R~, %W~; ~ is both).
const (
	PermRead Perm = 1 << iota
	PermWrite
	PermRW = PermRead | PermWrite
)

// KeyPattern is one key pattern of a user.
type KeyPattern struct {
	Pattern string
	Perm    Perm
}

// match reports whether glob pattern p matches s, as Redis's stringmatch
// (store.Match, also behind KEYS and SCAN).
func match(p string, s []byte) bool { return store.Match([]byte(p), s, false) }

// User is one ACL user. It is immutable: Apply returns a changed copy.
type User struct {
	name      string
	cat       *Catalog
	enabled   bool
	nopass    bool
	sanitize  string   // "", "sanitize-payload" or "skip-sanitize-payload"
	passwords []string // SHA-256 hex, in the order added

	allowed   []uint64         // a bit per catalog id
	allFuture bool             // +@all: commands added later are allowed too
	firstArgs map[int][]string // +select|0: allowed first arguments of a command not allowed
	rules     []string         // command rules since the last +@all/-@all, compacted

	allKeys  bool
	keys     []KeyPattern
	allChans bool
	chans    []string

	unrestricted bool // on, every command, key and channel: the hot path skips checks
}

// NewUser returns a new user as ACL SETUSER creates it: off, no
// password, no command, key or channel ("reset" also sets
// sanitize-payload, as in Redis 7.0).
func NewUser(name string, cat *Catalog) *User {
	return &User{name: name, cat: cat, allowed: make([]uint64, (cat.Len()+63)/64)}
}

// Name returns the user's name.
func (u *User) Name() string { return u.name }

// Enabled reports whether the user may log in ("on").
func (u *User) Enabled() bool { return u.enabled }

// NoPass reports whether any password logs the user in.
func (u *User) NoPass() bool { return u.nopass }

// Unrestricted reports whether the user may run every command on every
// key and channel (the default user unless configured otherwise), on or
// off: off only stops new logins.
func (u *User) Unrestricted() bool { return u.unrestricted }

// AllKeys reports whether the user may read and write every key.
func (u *User) AllKeys() bool { return u.allKeys }

// AllChannels reports whether the user may use every channel.
func (u *User) AllChannels() bool { return u.allChans }

// CheckPassword reports whether pass logs the user in (ignoring on/off).
func (u *User) CheckPassword(pass []byte) bool {
	if u.nopass {
		return true
	}
	sum := sha256.Sum256(pass)
	h := []byte(hex.EncodeToString(sum[:]))
	ok := 0
	for _, p := range u.passwords {
		ok |= subtle.ConstantTimeCompare(h, []byte(p))
	}
	return ok == 1
}

// CanRun reports whether the user may run the command or subcommand id;
// firstArg is the command's first argument (nil if none), for the
// deprecated "+select|0" rules.
func (u *User) CanRun(id int, firstArg []byte) bool {
	if u.allowed[id/64]&(1<<(id%64)) != 0 {
		return true
	}
	if firstArg == nil || u.firstArgs == nil {
		return false
	}
	return slices.Contains(u.firstArgs[id], strings.ToLower(string(firstArg)))
}

// KeyAllowed reports whether the user may access key with perm.
func (u *User) KeyAllowed(key []byte, perm Perm) bool {
	if u.allKeys {
		return true
	}
	for _, p := range u.keys {
		if p.Perm&perm == perm && match(p.Pattern, key) {
			return true
		}
	}
	return false
}

// ChannelAllowed reports whether the user may publish or subscribe to
// channel; pattern is true for a PSUBSCRIBE pattern, which must be one of
// the user's channel patterns, literally.
func (u *User) ChannelAllowed(channel []byte, pattern bool) bool {
	if u.allChans {
		return true
	}
	for _, p := range u.chans {
		if pattern && p == string(channel) || !pattern && match(p, channel) {
			return true
		}
	}
	return false
}

// clone returns a deep copy of u.
func (u *User) clone() *User {
	v := *u
	v.passwords = slices.Clone(u.passwords)
	v.allowed = slices.Clone(u.allowed)
	v.rules = slices.Clone(u.rules)
	v.keys = slices.Clone(u.keys)
	v.chans = slices.Clone(u.chans)
	if u.firstArgs != nil {
		v.firstArgs = make(map[int][]string, len(u.firstArgs))
		for k, a := range u.firstArgs {
			v.firstArgs[k] = slices.Clone(a)
		}
	}
	return &v
}

func (u *User) setBit(id int, on bool) {
	if on {
		u.allowed[id/64] |= 1 << (id % 64)
	} else {
		u.allowed[id/64] &^= 1 << (id % 64)
	}
}

func (u *User) allBits() bool {
	for id := 0; id < u.cat.Len(); id++ {
		if u.allowed[id/64]&(1<<(id%64)) == 0 {
			return false
		}
	}
	return true
}

// finish recomputes the derived fields after rules were applied.
func (u *User) finish() {
	u.unrestricted = u.allKeys && u.allChans && u.allBits()
}

// NewDefaultUser returns Redis's default user: "on nopass ~* &* +@all".
func NewDefaultUser(cat *Catalog) *User {
	u, _ := NewUser("default", cat).Apply("on", "nopass", "~*", "&*", "+@all")
	return u
}
