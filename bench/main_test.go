package bench

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/ringcache/ringcache/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.QuietGoRedis()
	// go-redis retries a failed dial from a goroutine that sleeps up to a
	// second before noticing its pool was closed; it is not ours to join.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}
