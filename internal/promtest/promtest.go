// Package promtest scrapes a Prometheus /metrics endpoint in tests and
// returns its samples by name and labels, so tests assert on real metric
// values served over HTTP. It is test support.
package promtest

import (
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Samples maps `name{label="value",...}` (labels sorted by name, no braces
// without labels) to the sample's value. A histogram contributes
// `name{labels}_count`.
type Samples map[string]float64

// Get fetches url and returns the status code and body; it fails tb when
// the request fails.
func Get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// Scrape fetches url (a /metrics endpoint) and parses it.
func Scrape(tb testing.TB, url string) Samples {
	tb.Helper()
	code, body := Get(tb, url)
	if code != http.StatusOK {
		tb.Fatalf("GET %s: status %d", url, code)
	}
	s, err := Parse(body)
	if err != nil {
		tb.Fatalf("parse %s: %v", url, err)
	}
	return s
}

// Parse parses the Prometheus text format.
func Parse(body string) (Samples, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	out := Samples{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := name + labels(m)
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.Histogram.GetSampleCount())
			case m.Untyped != nil:
				out[key] = m.Untyped.GetValue()
			}
		}
	}
	return out, nil
}

func labels(m *dto.Metric) string {
	var ls []string
	for _, l := range m.GetLabel() {
		ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
	}
	if len(ls) == 0 {
		return ""
	}
	sort.Strings(ls)
	return "{" + strings.Join(ls, ",") + "}"
}

// Sum adds the values of every sample whose key starts with prefix (for
// example `redis_commands_total{` for all commands).
func (s Samples) Sum(prefix string) float64 {
	var sum float64
	for k, v := range s {
		if strings.HasPrefix(k, prefix) {
			sum += v
		}
	}
	return sum
}
