package store_test

import (
	"fmt"
	"time"

	"github.com/ringcache/ringcache/internal/store"
)

func Example() {
	cfg := store.DefaultConfig()
	cfg.MaxMemory = 64 << 20
	s, err := store.New(cfg)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	s.Set(nil, []byte("greeting"), []byte("hello"), store.SetOptions{TTL: time.Minute})
	v, ok := s.Get(nil, []byte("greeting"))
	fmt.Println(string(v), ok)

	_, _, written, _ := s.Set(nil, []byte("greeting"), []byte("hi"), store.SetOptions{Cond: store.SetNX})
	fmt.Println("NX written:", written)

	n, _ := s.IncrBy([]byte("visits"), 5)
	f, _ := s.IncrByFloat(nil, []byte("price"), 10.5)
	fmt.Println(n, string(f))
	// Output:
	// hello true
	// NX written: false
	// 5 10.5
}
