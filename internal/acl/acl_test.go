package acl

import (
	"strings"
	"testing"
)

func testCatalog() *Catalog {
	c := NewCatalog()
	c.AddCommand("get", Read|String|Fast)
	c.AddCommand("set", Write|String|Slow)
	c.AddCommand("hget", Read|Hash|Fast)
	c.AddCommand("hset", Write|Hash|Fast)
	c.AddCommand("select", Fast|Connection)
	c.AddCommand("debug", Admin|Slow|Dangerous)
	for _, name := range []string{"client", "config", "acl", "memory"} {
		id := c.AddCommand(name, Slow)
		for _, s := range []string{"get", "set", "list", "id", "doctor", "stats"} {
			c.AddSub(id, s, Slow)
		}
	}
	return c
}

func apply(t *testing.T, u *User, rules string) *User {
	t.Helper()
	v, err := u.Apply(strings.Fields(rules)...)
	if err != nil {
		t.Fatalf("Apply(%q): %v", rules, err)
	}
	return v
}

// TestCommandRulesCompaction: Redis 7.2's lossless compaction, the cases
// of Valkey's "ACL GETUSER provides correct results".
func TestCommandRulesCompaction(t *testing.T) {
	cat := testCatalog()
	u := apply(t, NewUser("adv", cat), "+@all -@hash -@slow +hget")
	steps := []struct{ rules, want string }{
		{"", "+@all -@hash -@slow +hget"},
		{"-@hash", "+@all -@slow +hget -@hash"},
		{"+@hash", "+@all -@slow +hget +@hash"},
		{"-@all", "-@all"},
		{"-@string -@slow +@all", "+@all"},
		{"-@all +@HASH +@hash +@HaSh", "-@all +@hash"},
		{"-@all +HGET +hget +hGeT", "-@all +hget"},
		{"-@all +hget -hset +hset -hget", "-@all +hset -hget"},
		{"-@all +client|list +client|list +config|get +config +acl|list -acl", "-@all +client|list +config -acl"},
		{"-@all +select|0 +select|0 +debug|segfault +debug", "-@all +select|0 +debug"},
		{"-@all -@dangerous", "-@all -@dangerous"},
		{"-@all +config +config|get -config|set +config", "-@all +config"},
	}
	for _, s := range steps {
		u = apply(t, u, s.rules)
		if got := u.CommandRules(); got != s.want {
			t.Errorf("after %q: %q, want %q", s.rules, got, s.want)
		}
	}
}

func TestPermissions(t *testing.T) {
	cat := testCatalog()
	u := apply(t, NewUser("u", cat), "on >pw -@all +get +client|id +select|0 ~k:* %R~ro:* %W~wo:* &news:*")
	id := func(n string) int { i, _ := cat.Lookup(n); return i }
	checks := []struct {
		name string
		ok   bool
	}{
		{"get", u.CanRun(id("get"), nil)},
		{"!set", !u.CanRun(id("set"), nil)},
		{"client|id", u.CanRun(id("client|id"), nil)},
		{"!client|list", !u.CanRun(id("client|list"), nil)},
		{"select 0", u.CanRun(id("select"), []byte("0"))},
		{"!select 1", !u.CanRun(id("select"), []byte("1"))},
		{"k:1 rw", u.KeyAllowed([]byte("k:1"), PermRW)},
		{"ro:1 r", u.KeyAllowed([]byte("ro:1"), PermRead)},
		{"!ro:1 w", !u.KeyAllowed([]byte("ro:1"), PermWrite)},
		{"wo:1 w", u.KeyAllowed([]byte("wo:1"), PermWrite)},
		{"!other", !u.KeyAllowed([]byte("x"), PermRead)},
		{"news:a", u.ChannelAllowed([]byte("news:a"), false)},
		{"!psub news:a", !u.ChannelAllowed([]byte("news:a"), true)},
		{"psub news:*", u.ChannelAllowed([]byte("news:*"), true)},
		{"pass", u.CheckPassword([]byte("pw"))},
		{"!pass", !u.CheckPassword([]byte("px"))},
		{"!unrestricted", !u.Unrestricted()},
		{"default", NewDefaultUser(cat).Unrestricted()},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong", c.name)
		}
	}
	want := "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k:* %R~ro:* %W~wo:* resetchannels &news:* -@all +get +client|id +select|0"
	if got := u.Describe(); got != want {
		t.Errorf("Describe:\n %s\nwant\n %s", got, want)
	}
}

func TestRuleErrors(t *testing.T) {
	cat := testCatalog()
	for rule, want := range map[string]string{
		"#abc":           ReasonBadHash,
		"badrule":        ReasonSyntax,
		"+nosuch":        ReasonUnknown,
		"+@nosuch":       ReasonUnknown,
		"+config|get|x":  ReasonSubFirstArg,
		"+config|asdf":   ReasonUnknown,
		"-get|a":         ReasonUnknown,
		"+get|key1|key2": ReasonUnknown,
		"<nope":          ReasonNoSuchPass,
		"%X~a":           ReasonSyntax,
	} {
		_, err := NewUser("x", cat).Apply(rule)
		if re, ok := err.(*RuleError); !ok || re.Reason != want {
			t.Errorf("%s: %v, want %s", rule, err, want)
		}
	}
	u := apply(t, NewUser("x", cat), "allkeys allchannels")
	if _, err := u.Apply("~a"); err == nil || err.(*RuleError).Reason != ReasonKeysAfter {
		t.Errorf("~a after allkeys: %v", err)
	}
	if _, err := u.Apply("&a"); err == nil || err.(*RuleError).Reason != ReasonChansAfter {
		t.Errorf("&a after allchannels: %v", err)
	}
}

// TestPatterns: key and channel patterns are Redis globs.
func TestPatterns(t *testing.T) {
	u := apply(t, NewUser("g", testCatalog()), "~a[b-c]?:* %R~x\\* &n[^0-9]*")
	for _, c := range []struct {
		key  string
		perm Perm
		ok   bool
	}{{"abz:1", PermRW, true}, {"adz:1", PermRW, false}, {"x*", PermRead, true}, {"xy", PermRead, false}, {"x*", PermWrite, false}} {
		if got := u.KeyAllowed([]byte(c.key), c.perm); got != c.ok {
			t.Errorf("KeyAllowed(%q, %d) = %v", c.key, c.perm, got)
		}
	}
	if !u.ChannelAllowed([]byte("nx"), false) || u.ChannelAllowed([]byte("n1"), false) {
		t.Error("channel glob")
	}
}

// FuzzApplyRules: any rules either fail or give a user whose Describe
// rebuilds exactly the same user (same description, same permissions).
func FuzzApplyRules(f *testing.F) {
	for _, s := range []string{"on >p ~* &* +@all", "-@all +get +client|id %R~a* &n", "+@all -@hash -@slow +hget",
		"reset on nopass allkeys -debug +debug|x", "#" + strings.Repeat("a", 64) + " !" + strings.Repeat("a", 64),
		"+select|0 -config|set ~[a-z]* %W~w"} {
		f.Add(s)
	}
	cat := testCatalog()
	f.Fuzz(func(t *testing.T, rules string) {
		u, err := NewUser("f", cat).Apply(strings.Fields(rules)...)
		if err != nil {
			return
		}
		d := u.Describe()
		v, err := NewUser("f", cat).Apply(strings.Fields(d)...)
		if err != nil {
			t.Fatalf("Describe %q does not apply: %v", d, err)
		}
		if d2 := v.Describe(); d2 != d {
			t.Fatalf("round trip:\n %s\n %s", d, d2)
		}
		for id := range cat.Len() {
			if u.CanRun(id, nil) != v.CanRun(id, nil) {
				t.Fatalf("%s differs after round trip of %q", cat.Name(id), d)
			}
		}
	})
}

// BenchmarkCheck is the per-command work for a restricted user: one
// command bit and one key pattern.
func BenchmarkCheck(b *testing.B) {
	cat := testCatalog()
	u, _ := NewUser("b", cat).Apply("on", "nopass", "-@all", "+get", "+set", "~key:*")
	id, _ := cat.Lookup("get")
	key := []byte("key:000012345")
	b.ReportAllocs()
	for b.Loop() {
		if !u.CanRun(id, key) || !u.KeyAllowed(key, PermRead) {
			b.Fatal("denied")
		}
	}
}
