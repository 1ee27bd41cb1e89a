package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/redis/go-redis/v9"
)

// rateLimiter is the fastmcp.RateLimiter on Redis: a token bucket per key, a
// hash of its rate, tokens and last update (in Redis's microseconds), checked
// and updated by one script. It refills at Limit per Per up to Burst, as the
// memory limiter's golang.org/x/time/rate buckets do, and expires once it
// would be full again: a missing bucket is a full one.
type rateLimiter struct {
	c redis.UniversalClient
	k *keys
}

// allowScript answers {allowed (0 or 1), microseconds until allowed}.
// A bucket whose rate changed starts full, as in memory.
var allowScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, per, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rate = limit / per
local m = redis.call('HMGET', KEYS[1], 'r', 't', 'u')
local tokens, last = burst, now
if m[1] == ARGV[4] and m[2] and m[3] then
  tokens, last = tonumber(m[2]), tonumber(m[3])
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) * rate)
  last = now
end
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'r', ARGV[4], 't', string.format('%.17g', tokens), 'u', string.format('%.0f', last))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) / rate / 1000)))
return {allowed, wait}
`)

func (l *rateLimiter) Allow(ctx context.Context, key string, r fastmcp.Rate) (bool, time.Duration, error) {
	if r.Limit <= 0 {
		return true, 0, nil // the zero Rate: no limit
	}
	per := r.Per
	if per <= 0 {
		per = time.Second
	}
	burst := r.Burst
	if burst <= 0 {
		burst = r.Limit
	}
	perUS := max(per.Microseconds(), 1)
	id := fmt.Sprintf("%d/%d/%d", r.Limit, perUS, burst)
	res, err := allowScript.Run(ctx, l.c, []string{l.k.opts.Prefix + "rl:" + key}, r.Limit, perUS, burst, id).Int64Slice()
	if err != nil {
		return false, 0, fail(ctx, "rate limit", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redisstore: rate limit: unexpected reply %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}
