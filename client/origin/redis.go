package origin

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisConfig configures a RedisOrigin. The zero value is not valid: start
// from DefaultRedisConfig.
type RedisConfig struct {
	// Addrs are the origin's "host:port" addresses: one for a single server,
	// several for a Redis Cluster (see redis.UniversalOptions). Required by
	// NewRedis; ignored by NewRedisFromClient.
	Addrs []string
	// Cluster makes NewRedis use a Redis Cluster client even for one
	// address (several addresses always do). Default false.
	Cluster bool
	// Username, Password and DB select the account and database. Default
	// none, none, 0.
	Username, Password string
	DB                 int
	// KeyPrefix is prepended to every key before it is sent to the origin
	// (the SDK key "user:1" reads "<KeyPrefix>user:1"). Default "".
	KeyPrefix string
	// BatchSize is the most keys sent in one MGET by LoadMany; larger
	// batches are split. Default 500; must be ≥ 1.
	BatchSize int
	// DialTimeout bounds one connection attempt. Default 500 ms; > 0.
	DialTimeout time.Duration
	// DialRetries is how many times a failed dial is attempted before the
	// command fails. Default 1 (go-redis's own default, 5 with 100 ms
	// back-off, keeps a caller waiting on a down origin); ≥ 1.
	DialRetries int
	// ReadTimeout and WriteTimeout bound one socket read or write when the
	// context has no earlier deadline. Default 1 s each; > 0.
	ReadTimeout, WriteTimeout time.Duration
	// MaxRetries is how many times a failed command is retried (go-redis
	// semantics: -1 none). Default 1.
	MaxRetries int
	// PoolSize is the connection pool size per node. Default 0: go-redis's
	// default (10 × GOMAXPROCS).
	PoolSize int
}

// DefaultRedisConfig returns the defaults documented on RedisConfig, with no
// address.
func DefaultRedisConfig() RedisConfig {
	return RedisConfig{
		BatchSize:    500,
		DialTimeout:  500 * time.Millisecond,
		DialRetries:  1,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		MaxRetries:   1,
	}
}

func (c RedisConfig) validate(needAddrs bool) error {
	switch {
	case needAddrs && len(c.Addrs) == 0:
		return errors.New("origin: redis config: Addrs is empty")
	case c.BatchSize < 1:
		return fmt.Errorf("origin: redis config: BatchSize %d < 1", c.BatchSize)
	case c.DialTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0:
		return errors.New("origin: redis config: DialTimeout, ReadTimeout and WriteTimeout must be > 0")
	case c.DialRetries < 1:
		return fmt.Errorf("origin: redis config: DialRetries %d < 1", c.DialRetries)
	case c.MaxRetries < -1:
		return fmt.Errorf("origin: redis config: MaxRetries %d < -1", c.MaxRetries)
	case c.PoolSize < 0:
		return fmt.Errorf("origin: redis config: PoolSize %d < 0", c.PoolSize)
	}
	return nil
}

func (c RedisConfig) options() *redis.UniversalOptions {
	return &redis.UniversalOptions{
		Addrs:    append([]string(nil), c.Addrs...),
		Username: c.Username, Password: c.Password, DB: c.DB,
		DialTimeout: c.DialTimeout, DialerRetries: c.DialRetries,
		ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            c.MaxRetries,
		PoolSize:              c.PoolSize,
		IsClusterMode:         c.Cluster,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	}
}

// RedisOrigin loads values with GET (Load) and MGET (LoadMany) from a Redis
// server or cluster. It is safe for concurrent use.
type RedisOrigin struct {
	client  redis.UniversalClient
	owned   bool // Close closes client
	cluster bool // MGET across slots is refused: LoadMany pipelines GETs
	prefix  string
	batch   int
	closed  atomic.Bool
}

var (
	_ Loader      = (*RedisOrigin)(nil)
	_ BatchLoader = (*RedisOrigin)(nil)
)

// NewRedis validates cfg and returns a RedisOrigin with its own go-redis
// client for cfg.Addrs (closed by Close). It does not connect: the first Load
// does, so a down origin is reported by Load, not here.
func NewRedis(cfg RedisConfig) (*RedisOrigin, error) {
	if err := cfg.validate(true); err != nil {
		return nil, err
	}
	o := newRedis(redis.NewUniversalClient(cfg.options()), cfg)
	o.owned = true
	return o, nil
}

// NewRedisFromClient returns a RedisOrigin over a client the caller owns and
// configured (Close leaves it open). Only KeyPrefix and BatchSize of cfg are
// used.
func NewRedisFromClient(client redis.UniversalClient, cfg RedisConfig) (*RedisOrigin, error) {
	if client == nil {
		return nil, errors.New("origin: redis: nil client")
	}
	if err := cfg.validate(false); err != nil {
		return nil, err
	}
	return newRedis(client, cfg), nil
}

func newRedis(client redis.UniversalClient, cfg RedisConfig) *RedisOrigin {
	_, cluster := client.(*redis.ClusterClient)
	return &RedisOrigin{client: client, cluster: cluster, prefix: cfg.KeyPrefix, batch: cfg.BatchSize}
}

// Load returns the value of key (GET), or ErrNotFound.
func (o *RedisOrigin) Load(ctx context.Context, key string) ([]byte, error) {
	if o.closed.Load() {
		return nil, ErrClosed
	}
	v, err := o.client.Get(ctx, o.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, o.fail(redisErr(ctx, "get", err))
	}
	return v, nil
}

// LoadMany returns the values of the keys the origin has, using MGET in
// chunks of BatchSize (pipelined GETs against a cluster, where one MGET may
// not span slots).
func (o *RedisOrigin) LoadMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if o.closed.Load() {
		return nil, ErrClosed
	}
	out := make(map[string][]byte, len(keys))
	for start := 0; start < len(keys); start += o.batch {
		chunk := keys[start:min(start+o.batch, len(keys))]
		var err error
		if o.cluster {
			err = o.pipelineGet(ctx, chunk, out)
		} else {
			err = o.mget(ctx, chunk, out)
		}
		if err != nil {
			return nil, o.fail(err)
		}
	}
	return out, nil
}

// fail returns ErrClosed for a call that raced with Close, else err.
func (o *RedisOrigin) fail(err error) error {
	if o.closed.Load() {
		return ErrClosed
	}
	return err
}

func (o *RedisOrigin) mget(ctx context.Context, keys []string, out map[string][]byte) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = o.prefix + k
	}
	vals, err := o.client.MGet(ctx, full...).Result()
	if err != nil {
		return redisErr(ctx, "mget", err)
	}
	if len(vals) != len(keys) {
		return fmt.Errorf("origin: redis mget: %d replies for %d keys", len(vals), len(keys))
	}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[keys[i]] = []byte(s)
		}
	}
	return nil
}

func (o *RedisOrigin) pipelineGet(ctx context.Context, keys []string, out map[string][]byte) error {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := o.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, o.prefix+k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return redisErr(ctx, "pipelined get", err)
	}
	for i, c := range cmds {
		v, err := c.Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return redisErr(ctx, "pipelined get", err)
		default:
			out[keys[i]] = v
		}
	}
	return nil
}

// Close makes later calls return ErrClosed and closes the client if NewRedis
// created it. It is safe to call more than once.
func (o *RedisOrigin) Close() error {
	if o.closed.Swap(true) || !o.owned {
		return nil
	}
	if err := o.client.Close(); err != nil {
		return fmt.Errorf("origin: redis close: %w", err)
	}
	return nil
}

// redisErr wraps err with the operation, and with the context's error when
// the context ended, so errors.Is(err, context.DeadlineExceeded) holds.
func redisErr(ctx context.Context, op string, err error) error {
	return wrapCtx(ctx, "redis "+op, err)
}

// wrapCtx wraps err as "origin: <op>: err", joining ctx.Err() when the
// context has ended and err does not already say so.
func wrapCtx(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("origin: %s: %w (%w)", op, cerr, err)
	}
	return fmt.Errorf("origin: %s: %w", op, err)
}
