package redistest

import "testing"

func TestStartServer(t *testing.T) {
	s := StartServer(t)
	got, err := s.Do("SET", "k", "v")
	if err != nil || got != "+OK" {
		t.Fatalf("SET: %q %v", got, err)
	}
	got, err = s.Do("STRLEN", "k")
	if err != nil || got != ":1" {
		t.Fatalf("STRLEN: %q %v", got, err)
	}
}
