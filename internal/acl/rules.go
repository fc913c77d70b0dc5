package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Rule error reasons, Redis's texts.
const (
	ReasonSyntax      = "Syntax error"
	ReasonUnknown     = "Unknown command or category name in ACL"
	ReasonKeysAfter   = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	ReasonChansAfter  = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	ReasonNoSuchPass  = "The password you are trying to remove from the user does not exist"
	ReasonBadHash     = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	ReasonSubFirstArg = "Allowing first-arg of a subcommand is not supported"
	ReasonSelectors   = "Selectors are not supported by this server"
)

// RuleError is a rule Apply refused.
type RuleError struct {
	Rule, Reason string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("Error in ACL SETUSER modifier '%s': %s", e.Rule, e.Reason)
}

// Apply returns a copy of u with rules applied in order, or the first
// rule's error (u is never changed).
func (u *User) Apply(rules ...string) (*User, error) {
	v := u.clone()
	for _, r := range rules {
		if reason := v.apply(r); reason != "" {
			return nil, &RuleError{Rule: r, Reason: reason}
		}
	}
	v.finish()
	return v, nil
}

// apply applies one rule and returns an error reason, or "".
func (u *User) apply(r string) string {
	switch strings.ToLower(r) {
	case "on":
		u.enabled = true
	case "off":
		u.enabled = false
	case "nopass":
		u.nopass, u.passwords = true, nil
	case "resetpass":
		u.nopass, u.passwords = false, nil
	case "skip-sanitize-payload", "sanitize-payload":
		u.sanitize = strings.ToLower(r)
	case "allkeys":
		u.allKeys, u.keys = true, nil
	case "resetkeys":
		u.allKeys, u.keys = false, nil
	case "allchannels":
		u.allChans, u.chans = true, nil
	case "resetchannels":
		u.allChans, u.chans = false, nil
	case "allcommands":
		return u.apply("+@all")
	case "nocommands":
		return u.apply("-@all")
	case "reset":
		u.reset()
	case "clearselectors":
	default:
		return u.applyPrefixed(r)
	}
	return ""
}

func (u *User) reset() {
	u.enabled, u.nopass, u.passwords = false, false, nil
	u.allKeys, u.keys, u.allChans, u.chans = false, nil, false, nil
	u.sanitize = "sanitize-payload"
	u.apply("-@all")
}

func (u *User) applyPrefixed(r string) string {
	if r == "" {
		return ReasonSyntax
	}
	switch r[0] {
	case '>':
		sum := sha256.Sum256([]byte(r[1:]))
		return u.addPassword(hex.EncodeToString(sum[:]))
	case '#':
		if !validHash(r[1:]) {
			return ReasonBadHash
		}
		return u.addPassword(r[1:])
	case '<':
		sum := sha256.Sum256([]byte(r[1:]))
		return u.removePassword(hex.EncodeToString(sum[:]))
	case '!':
		if !validHash(r[1:]) {
			return ReasonBadHash
		}
		return u.removePassword(r[1:])
	case '~', '%':
		return u.addKeyPattern(r)
	case '&':
		return u.addChannel(r[1:])
	case '+', '-':
		return u.applyCommand(r[0] == '+', r[1:])
	case '(':
		return ReasonSelectors
	}
	return ReasonSyntax
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := range len(h) {
		if !('0' <= h[i] && h[i] <= '9' || 'a' <= h[i] && h[i] <= 'f') {
			return false
		}
	}
	return true
}

func (u *User) addPassword(h string) string {
	u.nopass = false
	if !slices.Contains(u.passwords, h) {
		u.passwords = append(u.passwords, h)
	}
	return ""
}

func (u *User) removePassword(h string) string {
	i := slices.Index(u.passwords, h)
	if i < 0 {
		return ReasonNoSuchPass
	}
	u.nopass = false
	u.passwords = slices.Delete(u.passwords, i, i+1)
	return ""
}

// addKeyPattern applies ~pattern or %R~ / %W~ / %RW~pattern.
func (u *User) addKeyPattern(r string) string {
	perm, pat := PermRW, r[1:]
	if r[0] == '%' {
		i := strings.IndexByte(r, '~')
		if i < 2 {
			return ReasonSyntax
		}
		perm = 0
		for _, ch := range strings.ToUpper(r[1:i]) {
			switch ch {
			case 'R':
				perm |= PermRead
			case 'W':
				perm |= PermWrite
			default:
				return ReasonSyntax
			}
		}
		pat = r[i+1:]
	}
	if u.allKeys {
		return ReasonKeysAfter
	}
	if strings.ContainsAny(pat, " \x00") {
		return ReasonSyntax
	}
	if perm == PermRW && pat == "*" {
		u.allKeys, u.keys = true, nil
		return ""
	}
	for i, k := range u.keys {
		if k.Pattern == pat {
			u.keys[i].Perm |= perm
			return ""
		}
	}
	u.keys = append(u.keys, KeyPattern{Pattern: pat, Perm: perm})
	return ""
}

func (u *User) addChannel(pat string) string {
	if u.allChans {
		return ReasonChansAfter
	}
	if strings.ContainsAny(pat, " \x00") {
		return ReasonSyntax
	}
	if pat == "*" {
		u.allChans, u.chans = true, nil
		return ""
	}
	if !slices.Contains(u.chans, pat) {
		u.chans = append(u.chans, pat)
	}
	return ""
}
