package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/redis/go-redis/v9"
)

// sessionStore is the fastmcp.SessionStore on Redis: a hash per session, its
// fields the session's fields plus a marker field, so that a session whose
// fields were all deleted still exists.
type sessionStore struct {
	c redis.UniversalClient
	k *keys
}

// marker is the field every session hash has. FastMCP's field names never
// start with NUL; Set refuses this one.
const marker = "\x00"

// sessionKeys are the keys of a session: its record, then the keys of its
// state and events, whose expiry its TTL extends (see extendLua).
func (k *keys) sessionKeys(id string) []string {
	t := k.tag(id)
	return []string{t + ":s", t + ":v", t + ":x", t + ":e", t + ":z", t + ":q"}
}

// extendLua makes the session's state and events live at least as long as
// its record: they would be unreachable without it, and a session whose
// replica died without closing it leaves nothing behind when it expires.
const extendLua = `
local function extend(ttl)
  for i = 2, #KEYS do
    local p = redis.call('PTTL', KEYS[i])
    if p == -1 or (p >= 0 and p < ttl) then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
`

var createScript = redis.NewScript(extendLua + `
redis.call('DEL', KEYS[1])
-- In chunks: unpack is bounded by Lua's stack.
for i = 2, #ARGV, 200 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
end
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  extend(ttl)
end
return 1
`)

var setFieldScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
`)

var touchScript = redis.NewScript(extendLua + `
local ttl = tonumber(ARGV[1])
if redis.call('PEXPIRE', KEYS[1], ttl) == 0 then return 0 end
extend(ttl)
return 1
`)

func (s *sessionStore) Create(ctx context.Context, id string, fields map[string][]byte, ttl time.Duration) error {
	args := make([]any, 0, 3+2*len(fields))
	var t int64
	if ttl > 0 {
		t = ms(ttl)
	}
	args = append(args, t, marker, "")
	for k, v := range fields {
		if k == marker {
			return fmt.Errorf("redisstore: session field %q is reserved", k)
		}
		args = append(args, k, v)
	}
	return fail(ctx, "session Create", createScript.Run(ctx, s.c, s.k.sessionKeys(id), args...).Err())
}

func (s *sessionStore) Get(ctx context.Context, id string) (map[string][]byte, error) {
	res, err := s.c.HGetAll(ctx, s.k.tag(id)+":s").Result()
	if err != nil {
		return nil, fail(ctx, "session Get", err)
	}
	if len(res) == 0 {
		return nil, fastmcp.ErrSessionNotFound
	}
	out := make(map[string][]byte, len(res)-1)
	for k, v := range res {
		if k != marker {
			out[k] = []byte(v)
		}
	}
	return out, nil
}

func (s *sessionStore) Set(ctx context.Context, id, field string, value []byte) error {
	if field == marker {
		return fmt.Errorf("redisstore: session field %q is reserved", field)
	}
	set := "1"
	if value == nil {
		set = "0"
	}
	n, err := setFieldScript.Run(ctx, s.c, []string{s.k.tag(id) + ":s"}, field, set, value).Int()
	if err != nil {
		return fail(ctx, "session Set", err)
	}
	if n == 0 {
		return fastmcp.ErrSessionNotFound
	}
	return nil
}

func (s *sessionStore) Touch(ctx context.Context, id string, ttl time.Duration) error {
	var n int64
	var err error
	if ttl > 0 {
		n, err = touchScript.Run(ctx, s.c, s.k.sessionKeys(id), ms(ttl)).Int64()
	} else {
		n, err = s.c.Exists(ctx, s.k.tag(id)+":s").Result()
	}
	if err != nil {
		return fail(ctx, "session Touch", err)
	}
	if n == 0 {
		return fastmcp.ErrSessionNotFound
	}
	return nil
}

func (s *sessionStore) Delete(ctx context.Context, id string) (bool, error) {
	n, err := s.c.Del(ctx, s.k.tag(id)+":s").Result()
	if err != nil {
		return false, fail(ctx, "session Delete", err)
	}
	return n > 0, nil
}
