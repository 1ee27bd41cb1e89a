package redisstore

import (
	"context"
	"fmt"

	"github.com/fastmcp-go/fastmcp"
	"github.com/redis/go-redis/v9"
)

// eventStore is the fastmcp.EventStore on Redis, with the bounds and answers
// of fastmcp.NewMemoryEventStore. A session's events live in three keys of
// one hash slot:
//
//   - :e, a hash: field "<index>:<stream>" holds an event; "f:<stream>" the
//     index of the stream's first stored event and "n:<stream>" how many it
//     has (kept once all were evicted, so that After reports expiry rather
//     than nothing); "b" the session's bytes; "q" a sequence numbering the
//     session's events;
//   - :z, a sorted set of the stored events' fields by sequence: the session's
//     oldest event is its first, the one to drop when over the byte budget;
//   - :q, a list of the streams whose events were all evicted, oldest first:
//     beyond 256 the oldest are forgotten.
//
// They expire with the session's record, or EventTTL after the last Append
// when there is none.
type eventStore struct {
	c redis.UniversalClient
	k *keys
}

func (k *keys) eventKeys(session string) []string {
	t := k.tag(session)
	return []string{t + ":e", t + ":z", t + ":q", t + ":s"}
}

// appendScript appends an event. A gap in the indexes restarts the stream's
// window at the new index; a repeat of the stream's last event (a client's
// retry after a lost reply) changes nothing.
var appendScript = redis.NewScript(`
local e, z, q = KEYS[1], KEYS[2], KEYS[3]
local st, idx, data = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local maxEv, maxB = tonumber(ARGV[4]), tonumber(ARGV[5])
local bytes = tonumber(redis.call('HGET', e, 'b') or '0')
local function num(i) return string.format('%d', i) end
local function drop(s)
  local m = redis.call('HMGET', e, 'f:' .. s, 'n:' .. s)
  local f, n = tonumber(m[1]), tonumber(m[2] or '0')
  if not f or n == 0 then return end
  local k = num(f) .. ':' .. s
  bytes = bytes - redis.call('HSTRLEN', e, k)
  redis.call('HDEL', e, k)
  redis.call('ZREM', z, k)
  redis.call('HSET', e, 'f:' .. s, num(f + 1), 'n:' .. s, n - 1)
  if n == 1 then
    redis.call('RPUSH', q, s)
    while redis.call('LLEN', q) > 256 do
      local old = redis.call('LPOP', q)
      if tonumber(redis.call('HGET', e, 'n:' .. old) or '0') == 0 then
        redis.call('HDEL', e, 'f:' .. old, 'n:' .. old)
      end
    end
  end
end
local m = redis.call('HMGET', e, 'f:' .. st, 'n:' .. st)
local first, n = tonumber(m[1]), tonumber(m[2] or '0')
if first and idx ~= first + n then
  if n > 0 and idx == first + n - 1 and redis.call('HGET', e, num(idx) .. ':' .. st) == data then return 0 end
  for _ = 1, n do drop(st) end
  first = nil
end
if not first then first, n = idx, 0 end
local k = num(idx) .. ':' .. st
redis.call('HSET', e, k, data, 'f:' .. st, num(first), 'n:' .. st, n + 1)
redis.call('ZADD', z, redis.call('HINCRBY', e, 'q', 1), k)
bytes = bytes + #data
if n + 1 > maxEv then drop(st) end
while bytes > maxB do
  local p = redis.call('ZRANGE', z, 0, 0)
  if #p == 0 then break end
  drop(string.sub(p[1], string.find(p[1], ':', 1, true) + 1))
  redis.call('ZREM', z, p[1])
end
redis.call('HSET', e, 'b', bytes)
local ttl = redis.call('PTTL', KEYS[4])
if ttl <= 0 then ttl = tonumber(ARGV[6]) end
redis.call('PEXPIRE', e, ttl)
redis.call('PEXPIRE', z, ttl)
redis.call('PEXPIRE', q, ttl)
return 1
`)

// afterScript answers {first, expired (0 or 1), events...}.
var afterScript = redis.NewScript(`
local e, st, idx = KEYS[1], ARGV[1], tonumber(ARGV[2])
local m = redis.call('HMGET', e, 'f:' .. st, 'n:' .. st)
local first, n = tonumber(m[1]), tonumber(m[2] or '0')
if not first then return {idx + 1, 0} end
local from, expired = idx + 1, 0
if from < first then from, expired = first, 1 end
local out = {from, expired}
local last = first + n - 1
local i = from
while i <= last do
  local fields = {}
  while i <= last and #fields < 1000 do
    fields[#fields + 1] = string.format('%d', i) .. ':' .. st
    i = i + 1
  end
  local vals = redis.call('HMGET', e, unpack(fields))
  for j = 1, #fields do
    if vals[j] then out[#out + 1] = vals[j] end
  end
end
return out
`)

// maxIndex bounds event indexes: Lua counts in doubles, exact to 2^53.
const maxIndex = 1<<53 - 2

func (s *eventStore) Append(ctx context.Context, sessionID, streamID string, index int64, data []byte) error {
	if index < 0 || index > maxIndex {
		return fmt.Errorf("redisstore: event index %d out of range [0, 2^53-2]", index)
	}
	o := s.k.opts
	err := appendScript.Run(ctx, s.c, s.k.eventKeys(sessionID), streamID, index, data,
		o.MaxEventsPerStream, o.MaxBytesPerSession, ms(o.EventTTL)).Err()
	return fail(ctx, "events Append", err)
}

func (s *eventStore) After(ctx context.Context, sessionID, streamID string, index int64) (int64, [][]byte, error) {
	if index >= maxIndex {
		return index + 1, nil, nil // beyond any stored index
	}
	index = max(index, -1-maxIndex)
	res, err := afterScript.Run(ctx, s.c, s.k.eventKeys(sessionID)[:1], streamID, index).Slice()
	if err != nil {
		return 0, nil, fail(ctx, "events After", err)
	}
	if len(res) < 2 {
		return 0, nil, fmt.Errorf("redisstore: events After: unexpected reply %v", res)
	}
	first, _ := res[0].(int64)
	expired, _ := res[1].(int64)
	var events [][]byte
	if len(res) > 2 {
		events = make([][]byte, 0, len(res)-2)
		for _, v := range res[2:] {
			if str, ok := v.(string); ok {
				events = append(events, []byte(str))
			}
		}
	}
	if expired == 1 {
		return first, events, fastmcp.ErrEventsExpired
	}
	return first, events, nil
}

func (s *eventStore) SessionClosed(ctx context.Context, sessionID string) error {
	k := s.k.eventKeys(sessionID)
	return fail(ctx, "events SessionClosed", s.c.Del(ctx, k[0], k[1], k[2]).Err())
}
