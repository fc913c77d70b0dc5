package deploy

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ringcache/cacheserver"
	"github.com/ringcache/ringcache/cacheserver/cachetest"
	"github.com/ringcache/ringcache/internal/promtest"
)

// dashboardExprs returns every PromQL expression of the Grafana dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("grafana/ringcache-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var exprs []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	if len(exprs) < 10 {
		t.Fatalf("only %d expressions in the dashboard", len(exprs))
	}
	return exprs
}

var metricRE = regexp.MustCompile(`\b((?:redis|ringcache|go|process)_[a-z0-9_]+)\{`)

// TestDashboardUsesServedMetrics checks that every metric the Grafana
// dashboard queries is served by real nodes: a 2-node in-process cluster
// with admin servers, after some traffic.
func TestDashboardUsesServedMetrics(t *testing.T) {
	c := cachetest.Start(t, cachetest.Options{N: 2, Configure: func(_ string, cfg *cacheserver.Config) {
		cfg.AdminAddr = "127.0.0.1:0"
	}})
	rdb := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr})
	defer rdb.Close()
	ctx := context.Background()
	for i := range 100 { // keys on both nodes: some are forwarded
		k := "key" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		_ = rdb.Set(ctx, k, "v", 0).Err()
		_ = rdb.Get(ctx, k).Err()
	}
	_ = rdb.Do(ctx, "NOSUCHCMD").Err() // an error reply
	served := map[string]bool{}
	for _, n := range c.Nodes {
		for k := range promtest.Scrape(t, "http://"+n.Srv.AdminAddr().String()+"/metrics") {
			served[strings.SplitN(k, "{", 2)[0]] = true
		}
	}
	for _, e := range dashboardExprs(t) {
		for _, m := range metricRE.FindAllStringSubmatch(e, -1) {
			if name := strings.TrimSuffix(m[1], "_bucket"); !served[name] {
				t.Errorf("dashboard queries %s, which the nodes do not serve (in %s)", m[1], e)
			}
		}
	}
}
