package redisstore

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// The client options NewClient sets when the URL does not: they bound how
// long an operation waits for a Redis that is gone (refused: at once; a
// host that does not answer: about (MaxRetries+1) × DialTimeout) or hung
// (about (MaxRetries+1) × ReadTimeout) before failing with ErrUnavailable.
// go-redis's own defaults (a 5 s dial tried 5 times, 3 s reads, 3 retries)
// would hold a request for up to a minute and a half.
const (
	RecommendedDialTimeout  = time.Second
	RecommendedReadTimeout  = 500 * time.Millisecond
	RecommendedWriteTimeout = 500 * time.Millisecond
	RecommendedPoolTimeout  = time.Second
	RecommendedMaxRetries   = 1
)

// NewClient returns a go-redis client of the Redis at url (as redis.ParseURL
// reads it: redis://[user:password@]host:port[/db][?option=value],
// rediss:// for TLS), with the Recommended options the URL does not set, a
// single dial attempt per try, and deadlines taken from the caller's
// context. For Sentinel or Cluster, build a redis.UniversalClient with the
// same options.
func NewClient(url string) (redis.UniversalClient, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = RecommendedDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = RecommendedReadTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = RecommendedWriteTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = RecommendedPoolTimeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = RecommendedMaxRetries
	}
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	o.ContextTimeoutEnabled = true
	return redis.NewClient(o), nil
}
