package ring_test

import (
	"fmt"

	"github.com/ringcache/ringcache/ring"
)

func Example() {
	members := []ring.Member{
		{Name: "node-a", Addr: "127.0.0.1:7001", Zone: "z1"},
		{Name: "node-b", Addr: "127.0.0.1:7002", Zone: "z2"},
		{Name: "node-c", Addr: "127.0.0.1:7003", Zone: "z3"},
	}
	r, err := ring.Build(ring.DefaultConfig(), members)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ring.KeySlot("{user1000}.following"), ring.KeySlot("{user1000}.followers"))
	owner := r.Owner("{user1000}.following")
	fmt.Println(owner.Name == r.Owner("{user1000}.followers").Name)

	_, err = ring.Build(ring.DefaultConfig(), append(members, ring.Member{Name: "node-a"}))
	fmt.Println(err)
	// Output:
	// 3443 3443
	// true
	// ring: duplicate member name: "node-a"
}
