package cacheserver_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/poll"
	"github.com/ringcache/ringcache/internal/promtest"
)

// TestHandoffMetrics: after a join, /metrics on the new node and on a
// previous owner reports the hand-off counters INFO ringcache reports.
func TestHandoffMetrics(t *testing.T) {
	admin := func(_ string, cfg *cacheserver.Config) { cfg.AdminAddr = "127.0.0.1:0" }
	c := cachetest.Start(t, cachetest.Options{N: 2, Configure: admin})
	keys := testKeys(1000)
	setAll(t, nodeClient(t, c.Nodes[0].Addr, 2), keys, valueOf)
	d := c.AddNode()
	c.WaitAgreed()
	poll.Until(t, 30*time.Second, "the joined node to copy its share", func() bool {
		return infoField(t, d.Addr, "ringcache_handoff_in_slots") == "0" &&
			infoField(t, d.Addr, "ringcache_handoff_slots_copied") != "0"
	})
	for _, n := range []*cachetest.Node{d, c.Nodes[0]} {
		m := promtest.Scrape(t, "http://"+n.Srv.AdminAddr().String()+"/metrics")
		want := map[string]string{
			`ringcache_handoff_enabled`:                      "ringcache_handoff_enabled",
			`ringcache_handoff_in_slots`:                     "ringcache_handoff_in_slots",
			`ringcache_handoff_keys_total{direction="in"}`:   "ringcache_handoff_keys_in",
			`ringcache_handoff_keys_total{direction="out"}`:  "ringcache_handoff_keys_out",
			`ringcache_handoff_bytes_total{direction="in"}`:  "ringcache_handoff_bytes_in",
			`ringcache_handoff_bytes_total{direction="out"}`: "ringcache_handoff_bytes_out",
			`ringcache_handoff_read_throughs_total`:          "ringcache_handoff_read_throughs",
			`ringcache_handoff_read_through_hits_total`:      "ringcache_handoff_read_through_hits",
			`ringcache_handoff_transfers_total`:              "ringcache_handoff_transfers",
			`ringcache_handoff_slots_copied_total`:           "ringcache_handoff_slots_copied",
			`ringcache_handoff_slots_failed_total`:           "ringcache_handoff_slots_failed",
			`ringcache_handoff_kept_expired_total`:           "ringcache_handoff_kept_expired",
		}
		for metric, field := range want {
			got, ok := m[metric]
			info := infoField(t, n.Addr, field)
			if b, err := strconv.ParseBool(info); err == nil && (info == "true" || info == "false") {
				info = strconv.Itoa(map[bool]int{false: 0, true: 1}[b]) // INFO prints a Go bool
			}
			if !ok || strconv.FormatFloat(got, 'f', -1, 64) != info {
				t.Errorf("%s: %s = %v (present %v), INFO %s = %s", n.Name, metric, got, ok, field, info)
			}
		}
		if _, ok := m["ringcache_handoff_kept_slots"]; !ok {
			t.Errorf("%s: no ringcache_handoff_kept_slots", n.Name)
		}
		if _, ok := m["ringcache_handoff_warming"]; !ok {
			t.Errorf("%s: no ringcache_handoff_warming", n.Name)
		}
	}
	if m := promtest.Scrape(t, "http://"+d.Srv.AdminAddr().String()+"/metrics"); m[`ringcache_handoff_keys_total{direction="in"}`] == 0 {
		t.Errorf("the joined node reports no key copied in")
	}
	if m := promtest.Scrape(t, "http://"+c.Nodes[0].Srv.AdminAddr().String()+"/metrics"); m[`ringcache_handoff_keys_total{direction="out"}`] == 0 {
		t.Errorf("the first node reports no key copied out")
	}
}
