package acl

import "strings"

// CommandRules returns the user's command rules, as ACL GETUSER's
// "commands" ("+@all -flushall", "-@all +get").
func (u *User) CommandRules() string {
	start := "-@all"
	if u.allFuture {
		start = "+@all"
	}
	return strings.Join(append([]string{start}, u.rules...), " ")
}

// Flags returns ACL GETUSER's flags: on/off, nopass, sanitize-payload.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.enabled {
		f[0] = "on"
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	if u.sanitize != "" {
		f = append(f, u.sanitize)
	}
	return f
}

// Passwords returns the password hashes (SHA-256 hex).
func (u *User) Passwords() []string { return append([]string(nil), u.passwords...) }

// KeyRules returns the key patterns as ACL GETUSER's "keys" ("~*",
// "~a:* %R~b:*", "" for none).
func (u *User) KeyRules() string {
	if u.allKeys {
		return "~*"
	}
	parts := make([]string, 0, len(u.keys))
	for _, k := range u.keys {
		switch k.Perm {
		case PermRead:
			parts = append(parts, "%R~"+k.Pattern)
		case PermWrite:
			parts = append(parts, "%W~"+k.Pattern)
		default:
			parts = append(parts, "~"+k.Pattern)
		}
	}
	return strings.Join(parts, " ")
}

// ChannelRules returns the channel patterns as ACL GETUSER's "channels"
// ("&*", "&news:*", "" for none).
func (u *User) ChannelRules() string {
	if u.allChans {
		return "&*"
	}
	parts := make([]string, 0, len(u.chans))
	for _, c := range u.chans {
		parts = append(parts, "&"+c)
	}
	return strings.Join(parts, " ")
}

// Describe returns the rules that rebuild the user from nothing, as ACL
// LIST prints them after "user <name> ".
func (u *User) Describe() string {
	parts := u.Flags()
	for _, p := range u.passwords {
		parts = append(parts, "#"+p)
	}
	if k := u.KeyRules(); k != "" {
		parts = append(parts, k)
	}
	if !u.allChans {
		parts = append(parts, "resetchannels")
	}
	if c := u.ChannelRules(); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(append(parts, u.CommandRules()), " ")
}

// Line returns the user as an ACL file line: "user <name> <rules>".
func (u *User) Line() string { return "user " + u.name + " " + u.Describe() }
