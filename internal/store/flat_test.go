package store

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestFlatTableModel drives a flatTable with random puts (values of
// changing sizes, so rewrites leave garbage), deletes and growth, through
// several compactions and rehashes, against a map.
func TestFlatTableModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tab, m := newFlatTable(true, 0), map[string]string{}
	rehashes := 0
	for i := 0; i < 200000; i++ {
		k := "k" + strconv.Itoa(rng.IntN(5000))
		switch rng.IntN(3) {
		case 0, 1:
			v := strings.Repeat("v", rng.IntN(40))
			_, had := m[k]
			if added := tab.put([]byte(k), []byte(v)); added == had {
				t.Fatalf("put %s: added %v, model had %v", k, added, had)
			}
			m[k] = v
		case 2:
			_, had := m[k]
			if tab.del([]byte(k)) != had {
				t.Fatalf("del %s: model had %v", k, had)
			}
			delete(m, k)
		}
		if tab.garbage == 0 && tab.dead == 0 {
			rehashes++
		}
		if i%20000 == 0 || i == 199999 {
			if tab.len() != len(m) {
				t.Fatalf("len %d, model %d", tab.len(), len(m))
			}
			seen := 0
			tab.each(func(k, v []byte) bool {
				if w, ok := m[string(k)]; !ok || w != string(v) {
					t.Fatalf("entry %s=%q, model %q %v", k, v, w, ok)
				}
				seen++
				return true
			})
			for k, v := range m {
				if got, ok := tab.get([]byte(k)); !ok || string(got) != v {
					t.Fatalf("get %s = %q %v, model %q", k, got, ok, v)
				}
			}
			if seen != len(m) || tab.garbage*2 > len(tab.data)+8192 {
				t.Fatalf("seen %d of %d; garbage %d of %d bytes", seen, len(m), tab.garbage, len(tab.data))
			}
		}
	}
	if rehashes < 2 {
		t.Fatalf("only %d rehashes/compactions", rehashes)
	}
}
