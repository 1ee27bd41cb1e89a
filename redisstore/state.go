package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// stateStore is the fastmcp.StateStore on Redis. A scope is a hash of its
// values and a sorted set of the expiries of those that expire (scored in
// Redis's milliseconds); both keys expire with the last of their values, or
// with the scope's session when a value never expires (see settleLua).
// Clearing a scope is one DEL.
type stateStore struct {
	c redis.UniversalClient
	k *keys
}

// stateKeys are the keys of a scope: values, expiries, and the record of the
// session of the same id, if there is one.
func (k *keys) stateKeys(scope string) []string {
	t := k.tag(scope)
	return []string{t + ":v", t + ":x", t + ":s"}
}

// nowLua reads Redis's clock, the one clock every replica agrees on.
const nowLua = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// settleLua ends every write: it drops up to 100 expired values, so that a
// scope written to keeps no more than that many, and sets the expiry of the
// scope's keys: the last value's, or, when a value never expires, the
// session's (the state of a session is of no use after it) or none.
const settleLua = nowLua + `
local function settle(now)
  local v, x, s = KEYS[1], KEYS[2], KEYS[3]
  local old = redis.call('ZRANGEBYSCORE', x, '-inf', '(' .. now, 'LIMIT', 0, 100)
  if #old > 0 then
    redis.call('HDEL', v, unpack(old))
    redis.call('ZREM', x, unpack(old))
  end
  local n = redis.call('HLEN', v)
  if n == 0 then
    redis.call('DEL', v, x)
    return
  end
  local last = 0
  local top = redis.call('ZRANGE', x, -1, -1, 'WITHSCORES')
  if #top > 0 then last = tonumber(top[2]) end
  if redis.call('ZCARD', x) < n then
    local p = redis.call('PTTL', s)
    if p > 0 then
      local at = math.max(now + p, last + 1)
      redis.call('PEXPIREAT', v, at)
      redis.call('PEXPIREAT', x, at)
    else
      redis.call('PERSIST', v)
      redis.call('PERSIST', x)
    end
  else
    redis.call('PEXPIREAT', v, last + 1)
    redis.call('PEXPIREAT', x, last + 1)
  end
end
`

var stateGetScript = redis.NewScript(nowLua + `
local val = redis.call('HGET', KEYS[1], ARGV[1])
if not val then return false end
local e = redis.call('ZSCORE', KEYS[2], ARGV[1])
if e and tonumber(e) < now_ms() then return false end
return val
`)

var stateSetScript = redis.NewScript(settleLua + `
local now = now_ms()
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ttl > 0 then
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
settle(now)
return 1
`)

var stateDeleteScript = redis.NewScript(settleLua + `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
settle(now_ms())
return 1
`)

// stateAddScript answers the sum as a string: Lua numbers are doubles, which
// would round a sum beyond 2^53.
var stateAddScript = redis.NewScript(settleLua + `
local now = now_ms()
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local e = redis.call('ZSCORE', KEYS[2], ARGV[1])
if cur and not (e and tonumber(e) < now) then
  local ok = redis.pcall('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
  if type(ok) == 'table' and ok.err then return redis.error_reply('NOTINT ' .. ok.err) end
  settle(now)
  return redis.call('HGET', KEYS[1], ARGV[1])
end
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ttl > 0 then
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
settle(now)
return ARGV[2]
`)

func (s *stateStore) Get(ctx context.Context, scope, key string) ([]byte, bool, error) {
	v, err := stateGetScript.Run(ctx, s.c, s.k.stateKeys(scope)[:2], key).Text()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fail(ctx, "state Get", err)
	}
	return []byte(v), true, nil
}

func (s *stateStore) Set(ctx context.Context, scope, key string, value []byte, ttl time.Duration) error {
	return fail(ctx, "state Set", stateSetScript.Run(ctx, s.c, s.k.stateKeys(scope), key, value, ttlArg(ttl)).Err())
}

func (s *stateStore) Delete(ctx context.Context, scope, key string) error {
	return fail(ctx, "state Delete", stateDeleteScript.Run(ctx, s.c, s.k.stateKeys(scope), key).Err())
}

func (s *stateStore) Add(ctx context.Context, scope, key string, delta int64, ttl time.Duration) (int64, error) {
	v, err := stateAddScript.Run(ctx, s.c, s.k.stateKeys(scope), key, delta, ttlArg(ttl)).Text()
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOTINT ") {
			return 0, fmt.Errorf("redisstore: state key %q does not hold an integer (or the sum overflows)", key)
		}
		return 0, fail(ctx, "state Add", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisstore: state key %q: %w", key, err)
	}
	return n, nil
}

func (s *stateStore) Clear(ctx context.Context, scope string) error {
	k := s.k.stateKeys(scope)
	return fail(ctx, "state Clear", s.c.Del(ctx, k[0], k[1]).Err())
}

// ttlArg is a TTL as a script argument: milliseconds, 0 for none.
func ttlArg(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return ms(ttl)
}
