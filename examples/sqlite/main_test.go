package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/cacheserver/cachetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestExampleOutput runs the example against an in-process 3-node cluster,
// three times: every run ends its repeated reads in L1, the second SDK
// instance is answered by the cluster, and the unknown key's second read is
// answered by the cluster's negative marker (opt-in tracking does not put
// this client's own write-back in L1) or L1.
func TestExampleOutput(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 3})
	var seeds []string
	for _, n := range c.Nodes {
		seeds = append(seeds, n.Addr)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^first Get \(SDK a\) +user:[0-9a-f]+ +"Ada Lovelace" from tier origin$`),
		regexp.MustCompile(`(?m)^Get until L1 \(SDK a\) +user:[0-9a-f]+ +"Ada Lovelace" from tier l1$`),
		regexp.MustCompile(`(?m)^ +\d+ remote read\(s\) before L1 answered$`),
		regexp.MustCompile(`(?m)^first Get \(SDK b\) +user:[0-9a-f]+ +"Ada Lovelace" from tier remote$`),
		regexp.MustCompile(`(?m)^unknown key \(SDK a\) +user:[0-9a-f]+:nobody +not found \(tier origin\)$`),
		regexp.MustCompile(`(?m)^unknown key again +user:[0-9a-f]+:nobody +not found \(tier (l1|remote)\)$`),
	}
	for range 3 {
		var out bytes.Buffer
		if err := run(context.Background(), seeds, &out); err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		for _, re := range want {
			if !re.MatchString(out.String()) {
				t.Errorf("output lacks %v:\n%s", re, out.String())
			}
		}
	}
}
