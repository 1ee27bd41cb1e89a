package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/redis/go-redis/v9"
)

// Defaults of the task store's Options.
const (
	DefaultMaxTasks             = fastmcp.DefaultMaxTasks
	DefaultMaxTasksPerPrincipal = fastmcp.DefaultMaxTasksPerPrincipal
	DefaultTaskClaimPoll        = time.Second
)

// reapBatch bounds the lapsed leases one Reap ends, and claimBatch the
// stale queue entries (tasks cancelled or expired while queued) one Claim
// skips, so that no script holds Redis for long; the rest is left to the
// next call.
const (
	reapBatch  = 1000
	claimBatch = 100
)

// workerLostError is the JSON-RPC error of a task whose worker stopped: the
// same as the memory store's (the shared suite compares them).
const workerLostError = `{"code":-32603,"message":"Internal error: the worker running the task stopped before the task ended"}`

// NewTaskStore returns a fastmcp.TaskStore on Redis through client, so that
// a task created through one replica is polled, answered and cancelled
// through any other, and queued tasks are run by the workers of any process
// (fastmcp.TaskOptions.Store and Queue). Of opts it uses Prefix,
// MaxTasks, MaxTasksPerPrincipal and TaskClaimPoll. The client is the
// caller's.
//
// Every method is one Lua script (one round trip); Claim runs it again when
// a task may have been queued (see the package documentation).
func NewTaskStore(client redis.UniversalClient, opts Options) fastmcp.TaskStore {
	if client == nil {
		panic("redisstore: NewTaskStore with a nil client")
	}
	o := opts.withDefaults()
	base := o.Prefix + "{tasks}:"
	return &taskStore{
		c:       client,
		opts:    o,
		keys:    []string{base + "e", base + "o", base + "n", base + "q", base + "l"},
		base:    base,
		channel: base + "queued",
		wake:    make(chan struct{}, 1),
		claims:  make(chan struct{}, maxConcurrentClaims),
	}
}

type taskStore struct {
	c       redis.UniversalClient
	opts    Options
	keys    []string // the index keys: expiries, owners, counts, queue, leases
	base    string
	channel string

	// Claim's wait: while Claims wait, the store subscribes to channel
	// (the scripts that queue a task publish to it) and ticks every
	// TaskClaimPoll; each message or tick wakes one waiting Claim.
	mu       sync.Mutex
	claiming int
	ps       *redis.PubSub
	tick     *time.Ticker
	wake     chan struct{}
	// claims bounds the claim scripts running at once: a server starts
	// TaskOptions.MaxRunning workers (256 by default) that all Claim at
	// once, and without a bound they would take every connection of the
	// client's pool, failing the requests the server serves meanwhile.
	claims chan struct{}
}

// maxConcurrentClaims is how many claim scripts one store runs at once.
const maxConcurrentClaims = 4

// taskKeys are the index keys followed by the keys of task id.
func (s *taskStore) taskKeys(id string) []string {
	return append(s.keys[:5:5], s.base+"t:"+id, s.base+"i:"+id, s.base+"a:"+id)
}

// taskLua is the prelude of the task scripts. KEYS[1..5] are the index
// keys; the keys of a task are named from them (all share the {tasks} hash
// tag, so that one script may take a task off the queue and lease it, or
// count the tasks while creating one, on Redis Cluster too).
//
// A task's hash holds its fields; its outstanding input requests and its
// answers are hashes of their own, so that raw JSON is stored as it came and
// never passes through a Lua JSON codec. Times are Redis's milliseconds,
// except c (CreatedAt, kept as the caller's nanoseconds); durations ttl and
// poll are nanoseconds.
const taskLua = nowLua + `
local E, O, N, Q, L = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base = string.sub(E, 1, -2)
local function tk(id) return base .. 't:' .. id end
local function ik(id) return base .. 'i:' .. id end
local function ak(id) return base .. 'a:' .. id end
local function I(n) return string.format('%d', n) end

local function live(id, now)
  local x = redis.call('HGET', tk(id), 'x')
  return x and tonumber(x) > now
end

local function terminal(st)
  return st == 'completed' or st == 'failed' or st == 'cancelled'
end

local function set_expiry(id, x)
  redis.call('HSET', tk(id), 'x', I(x))
  redis.call('ZADD', E, x, id)
  redis.call('PEXPIREAT', tk(id), x)
  redis.call('PEXPIREAT', ik(id), x)
  redis.call('PEXPIREAT', ak(id), x)
end

-- settle makes the index keys expire with the last task: once every task
-- expired they are of no use, and Redis drops them.
local function settle()
  local top = redis.call('ZRANGE', E, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('DEL', E, O, N, Q, L)
    return
  end
  local at = tonumber(top[2])
  for i = 1, 5 do redis.call('PEXPIREAT', KEYS[i], at) end
end

-- drop removes an expired task from the indexes, and its keys if Redis has
-- not yet.
local function drop(id)
  local p = redis.call('HGET', O, id)
  if p then
    if redis.call('HINCRBY', N, p, -1) <= 0 then redis.call('HDEL', N, p) end
    redis.call('HDEL', O, id)
  end
  redis.call('ZREM', E, id)
  redis.call('ZREM', L, id)
  redis.call('DEL', tk(id), ik(id), ak(id))
end

-- sweep drops up to limit expired tasks.
local function sweep(now, limit)
  local old = redis.call('ZRANGEBYSCORE', E, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(old) do drop(id) end
end

local function enqueue(id)
  redis.call('RPUSH', Q, id)
  redis.call('PUBLISH', base .. 'queued', '')
end

local function lease(id, w, d, now)
  local t = tk(id)
  local le = now + d
  redis.call('HSET', t, 'w', w, 'le', I(le))
  redis.call('ZADD', L, le, id)
  if le > tonumber(redis.call('HGET', t, 'x')) then set_expiry(id, le) end
end

local function end_task(id, st, now)
  local t = tk(id)
  redis.call('HSET', t, 'st', st, 'u', I(now))
  redis.call('HDEL', t, 'w', 'le', 'cr')
  redis.call('DEL', ik(id))
  redis.call('ZREM', L, id)
  set_expiry(id, now + math.max(math.ceil(tonumber(redis.call('HGET', t, 'ttl')) / 1000000), 1))
end

local function record(id)
  return {redis.call('HGETALL', tk(id)), redis.call('HGETALL', ik(id)), redis.call('HGETALL', ak(id))}
end

local function hset_pairs(key, from, n)
  for i = from, from + 2 * n - 1, 200 do
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + 199, from + 2 * n - 1)))
  end
end

-- rfc3339 formats a time in milliseconds as Go's time.RFC3339 in UTC does,
-- to the second.
local function rfc3339(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local r = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02dZ', y, m, d, math.floor(r / 3600), math.floor(r % 3600 / 60), r % 60)
end
`

// ARGV: id, principal, worker, expires, lease expires, max, max per
// principal, then the task's fields, its input requests and its answers,
// each as a count of pairs and the pairs.
var taskCreateScript = redis.NewScript(taskLua + `
local now = now_ms()
local id, p, w = ARGV[1], ARGV[2], ARGV[3]
sweep(now, 100)
local function full()
  return redis.call('ZCARD', E) >= tonumber(ARGV[6]) or tonumber(redis.call('HGET', N, p) or '0') >= tonumber(ARGV[7])
end
if full() then
  sweep(now, 1000)
  if full() then return 'LIMIT' end
end
local x0 = redis.call('ZSCORE', E, id)
if x0 then
  if tonumber(x0) > now then return 'DUP' end
  drop(id) -- expired, not yet swept: its id is free again
end
-- The queue keeps the ids of tasks cancelled or expired while queued until
-- a Claim pops them: when they outnumber the tasks, keep only those still
-- queued (amortized: the queue at least doubled since it was last kept).
local tasks = redis.call('ZCARD', E)
if redis.call('LLEN', Q) > 2 * tasks + 64 then
  local keep = {}
  for _, q in ipairs(redis.call('LRANGE', Q, 0, -1)) do
    if live(q, now) and redis.call('HGET', tk(q), 'st') == 'working' and not redis.call('HGET', tk(q), 'w') then
      table.insert(keep, q)
    end
  end
  redis.call('DEL', Q)
  for i = 1, #keep, 200 do redis.call('RPUSH', Q, unpack(keep, i, math.min(i + 199, #keep))) end
end
local at = 8
for _, key in ipairs({tk(id), ik(id), ak(id)}) do
  local n = tonumber(ARGV[at])
  if n > 0 then hset_pairs(key, at + 1, n) end
  at = at + 1 + 2 * n
end
redis.call('HSET', O, id, p)
redis.call('HINCRBY', N, p, 1)
local x = tonumber(ARGV[4])
if w ~= '' then
  local le = tonumber(ARGV[5])
  redis.call('HSET', tk(id), 'w', w, 'le', I(le))
  redis.call('ZADD', L, le, id)
  if le > x then x = le end
else
  enqueue(id)
end
set_expiry(id, x)
settle()
return 'OK'
`)

var taskGetScript = redis.NewScript(taskLua + `
local id = ARGV[1]
if not live(id, now_ms()) then return 'NOTFOUND' end
return record(id)
`)

// ARGV: id, worker, status, message, has result, result, has error, error,
// has state, state, then the input requests as a count and pairs.
var taskUpdateScript = redis.NewScript(taskLua + `
local now = now_ms()
local id = ARGV[1]
local t = tk(id)
if not live(id, now) then return 'NOTFOUND' end
if (redis.call('HGET', t, 'w') or '') ~= ARGV[2] or terminal(redis.call('HGET', t, 'st')) then return 'LOST' end
local u, m = ARGV[3], ARGV[4]
if u == 'working' then
  if m ~= '' and m ~= (redis.call('HGET', t, 'm') or '') then redis.call('HSET', t, 'm', m, 'u', I(now)) end
  return record(id) -- no expiry changed
elseif u == 'input_required' and redis.call('HEXISTS', t, 'cr') == 1 then
  end_task(id, 'cancelled', now)
elseif u == 'input_required' then
  redis.call('HSET', t, 'st', u, 'u', I(now), 'm', m)
  redis.call('DEL', ik(id))
  local n = tonumber(ARGV[11])
  if n > 0 then hset_pairs(ik(id), 12, n) end
  if ARGV[9] == '1' then redis.call('HSET', t, 'state', ARGV[10]) else redis.call('HDEL', t, 'state') end
  redis.call('HDEL', t, 'w', 'le')
  redis.call('ZREM', L, id)
  set_expiry(id, tonumber(redis.call('HGET', t, 'x')))
else
  end_task(id, u, now)
  if m ~= '' then redis.call('HSET', t, 'm', m) end
  if ARGV[5] == '1' then redis.call('HSET', t, 'res', ARGV[6]) else redis.call('HDEL', t, 'res') end
  if ARGV[7] == '1' then redis.call('HSET', t, 'err', ARGV[8]) else redis.call('HDEL', t, 'err') end
end
settle()
return record(id)
`)

// ARGV: id, worker, lease, then the answers as a count and pairs. It
// answers {record, resumed}.
var taskAnswerScript = redis.NewScript(taskLua + `
local now = now_ms()
local id = ARGV[1]
local t = tk(id)
if not live(id, now) then return 'NOTFOUND' end
if redis.call('HGET', t, 'st') ~= 'input_required' then return 'NOTWAITING' end
local changed = false
for i = 5, 4 + 2 * tonumber(ARGV[4]), 2 do
  if redis.call('HDEL', ik(id), ARGV[i]) == 1 then
    redis.call('HSET', ak(id), ARGV[i], ARGV[i + 1])
    changed = true
  end
end
if not changed then return {record(id), 0} end
set_expiry(id, tonumber(redis.call('HGET', t, 'x')))
redis.call('HSET', t, 'u', I(now))
if redis.call('EXISTS', ik(id)) == 1 then return {record(id), 0} end
redis.call('HSET', t, 'st', 'working', 'm', '')
if ARGV[2] ~= '' then
  lease(id, ARGV[2], tonumber(ARGV[3]), now)
else
  enqueue(id)
end
settle()
return {record(id), 1}
`)

var taskCancelScript = redis.NewScript(taskLua + `
local now = now_ms()
local id = ARGV[1]
local t = tk(id)
if not live(id, now) then return 'NOTFOUND' end
if terminal(redis.call('HGET', t, 'st')) then return record(id) end
if not redis.call('HGET', t, 'w') then
  end_task(id, 'cancelled', now)
  settle()
elseif redis.call('HEXISTS', t, 'cr') == 0 then
  redis.call('HSET', t, 'cr', '1')
end
return record(id)
`)

// ARGV: worker, lease. It answers {record or false, tasks left queued}, or
// 'AGAIN' when it skipped claimBatch stale entries.
var taskClaimScript = redis.NewScript(taskLua + `
local now = now_ms()
for _ = 1, ` + strconv.Itoa(claimBatch) + ` do
  local id = redis.call('LPOP', Q)
  if not id then return {false, 0} end
  local t = tk(id)
  if live(id, now) and redis.call('HGET', t, 'st') == 'working' and not redis.call('HGET', t, 'w') then
    lease(id, ARGV[1], tonumber(ARGV[2]), now)
    settle()
    return {record(id), redis.call('LLEN', Q)}
  end
end
return 'AGAIN'
`)

// ARGV: worker, lease, ids. It answers {cancel, lost}.
var taskRenewScript = redis.NewScript(taskLua + `
local now = now_ms()
local w, d = ARGV[1], tonumber(ARGV[2])
local cancel, lost = {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local t = tk(id)
  if not live(id, now) or redis.call('HGET', t, 'w') ~= w or terminal(redis.call('HGET', t, 'st')) then
    table.insert(lost, id)
  else
    lease(id, w, d, now)
    if redis.call('HEXISTS', t, 'cr') == 1 then table.insert(cancel, id) end
  end
end
settle()
return {cancel, lost}
`)

// ARGV: worker, lease, the error of a task whose worker stopped.
var taskReapScript = redis.NewScript(taskLua + `
local now = now_ms()
local w, d = ARGV[1], tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', L, '-inf', now, 'LIMIT', 0, ` + strconv.Itoa(reapBatch) + `)) do
  local t = tk(id)
  local le = redis.call('HGET', t, 'le')
  if not live(id, now) or not redis.call('HGET', t, 'w') or not le then
    redis.call('ZREM', L, id)
  elseif tonumber(le) <= now then
    local at = rfc3339(tonumber(le))
    local rr, mr = tonumber(redis.call('HGET', t, 'rr') or '0'), tonumber(redis.call('HGET', t, 'mr') or '0')
    if redis.call('HEXISTS', t, 'cr') == 1 then
      end_task(id, 'cancelled', now)
    elseif rr < mr then
      redis.call('HSET', t, 'm', string.format('The worker running the task stopped (its lease lapsed at %s); the task runs again (rerun %d of %d).', at, rr + 1, mr),
        'rr', I(rr + 1), 'u', I(now))
      redis.call('HDEL', t, 'w', 'le')
      redis.call('ZREM', L, id)
      if w ~= '' then lease(id, w, d, now) else enqueue(id) end
    else
      end_task(id, 'failed', now)
      redis.call('HSET', t, 'm', string.format('The worker running the task stopped before the task ended (its lease lapsed at %s).', at), 'err', ARGV[3])
    end
    table.insert(out, record(id))
  end
end
settle()
return out
`)

// taskError maps a script's refusal to the store's error.
func taskError(s string) error {
	switch s {
	case "NOTFOUND":
		return fastmcp.ErrTaskNotFound
	case "LOST":
		return fastmcp.ErrTaskLeaseLost
	case "NOTWAITING":
		return fastmcp.ErrTaskNotWaiting
	case "LIMIT":
		return fastmcp.ErrTaskLimit
	case "DUP":
		return errors.New("redisstore: a task with this id exists")
	}
	return fmt.Errorf("redisstore: unexpected answer %q of a task script", s)
}

// msCeil is t in Unix milliseconds, rounded up: an expiry is never early.
func msCeil(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

// rawPairs appends a map of raw values as a count and pairs.
func rawPairs(args []any, m map[string]json.RawMessage) []any {
	args = append(args, len(m))
	for k, v := range m {
		args = append(args, k, []byte(v))
	}
	return args
}

func (s *taskStore) Create(ctx context.Context, rec *fastmcp.TaskRecord) error {
	fields := []any{
		"id", rec.ID, "p", rec.Principal, "st", string(rec.Status), "m", rec.StatusMessage,
		"c", strconv.FormatInt(rec.CreatedAt.UnixNano(), 10), "u", strconv.FormatInt(rec.UpdatedAt.UnixMilli(), 10),
		"ttl", strconv.FormatInt(int64(rec.TTL), 10), "poll", strconv.FormatInt(int64(rec.PollInterval), 10),
		"rr", rec.Reruns, "mr", rec.MaxReruns,
	}
	for _, f := range []struct {
		name string
		v    []byte
	}{{"res", rec.Result}, {"err", rec.Error}, {"state", rec.State}, {"run", rec.Run}} {
		if f.v != nil {
			fields = append(fields, f.name, f.v)
		}
	}
	if rec.CancelRequested {
		fields = append(fields, "cr", "1")
	}
	args := []any{rec.ID, rec.Principal, rec.Worker, msCeil(rec.ExpiresAt), msCeil(rec.LeaseExpires),
		s.opts.MaxTasks, s.opts.MaxTasksPerPrincipal, len(fields) / 2}
	args = append(args, fields...)
	args = rawPairs(args, rec.InputRequests)
	args = rawPairs(args, rec.Answers)
	res, err := taskCreateScript.Run(ctx, s.c, s.taskKeys(rec.ID), args...).Text()
	if err != nil {
		return fail(ctx, "task Create", err)
	}
	if res != "OK" {
		return taskError(res)
	}
	return nil
}

func (s *taskStore) Get(ctx context.Context, id string) (*fastmcp.TaskRecord, error) {
	res, err := taskGetScript.Run(ctx, s.c, s.taskKeys(id), id).Result()
	if err != nil {
		return nil, fail(ctx, "task Get", err)
	}
	return taskRecord(res)
}

func (s *taskStore) Update(ctx context.Context, id, worker string, u fastmcp.TaskUpdate) (*fastmcp.TaskRecord, error) {
	if u.Status != fastmcp.TaskWorking && u.Status != fastmcp.TaskInputRequired && !u.Status.Terminal() {
		return nil, errors.New("redisstore: invalid task update status " + string(u.Status))
	}
	args := []any{id, worker, string(u.Status), u.StatusMessage}
	for _, v := range [][]byte{u.Result, u.Error, u.State} {
		if v != nil {
			args = append(args, "1", v)
		} else {
			args = append(args, "0", "")
		}
	}
	args = rawPairs(args, u.InputRequests)
	res, err := taskUpdateScript.Run(ctx, s.c, s.taskKeys(id), args...).Result()
	if err != nil {
		return nil, fail(ctx, "task Update", err)
	}
	return taskRecord(res)
}

func (s *taskStore) Answer(ctx context.Context, id string, answers map[string]json.RawMessage, worker string, lease time.Duration) (*fastmcp.TaskRecord, bool, error) {
	args := rawPairs([]any{id, worker, ms(lease)}, answers)
	res, err := taskAnswerScript.Run(ctx, s.c, s.taskKeys(id), args...).Result()
	if err != nil {
		return nil, false, fail(ctx, "task Answer", err)
	}
	if msg, ok := res.(string); ok {
		return nil, false, taskError(msg)
	}
	pair, ok := res.([]any)
	if !ok || len(pair) != 2 {
		return nil, false, fmt.Errorf("redisstore: unexpected answer %v of task Answer", res)
	}
	rec, err := taskRecord(pair[0])
	if err != nil {
		return nil, false, err
	}
	return rec, pair[1] == int64(1), nil
}

func (s *taskStore) Cancel(ctx context.Context, id string) (*fastmcp.TaskRecord, error) {
	res, err := taskCancelScript.Run(ctx, s.c, s.taskKeys(id), id).Result()
	if err != nil {
		return nil, fail(ctx, "task Cancel", err)
	}
	return taskRecord(res)
}

func (s *taskStore) Claim(ctx context.Context, worker string, lease time.Duration) (*fastmcp.TaskRecord, error) {
	// The first try is one round trip when a task is queued; only a Claim
	// that must wait subscribes to the notices of queued tasks (and tries
	// again once subscribed, so that a task queued in between is not left
	// to the poll).
	var tick *time.Ticker
	for {
		rec, err := s.claim(ctx, worker, lease)
		if rec != nil || err != nil {
			return rec, err
		}
		if tick == nil {
			tick = s.enterClaim()
			defer s.leaveClaim()
			continue
		}
		select {
		case <-s.wake:
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// claim runs the claim script until it takes a task or finds none queued.
func (s *taskStore) claim(ctx context.Context, worker string, lease time.Duration) (*fastmcp.TaskRecord, error) {
	for {
		select {
		case s.claims <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		res, err := taskClaimScript.Run(ctx, s.c, s.keys, worker, ms(lease)).Result()
		<-s.claims
		if err != nil {
			return nil, fail(ctx, "task Claim", err)
		}
		if res == "AGAIN" {
			continue
		}
		pair, ok := res.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("redisstore: unexpected answer %v of task Claim", res)
		}
		if pair[0] == nil {
			return nil, nil
		}
		if n, _ := pair[1].(int64); n > 0 {
			s.nudge() // more are queued: wake another Claim
		}
		return taskRecord(pair[0])
	}
}

// nudge wakes one waiting Claim, or the next to wait.
func (s *taskStore) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// enterClaim counts a running Claim; the first subscribes to the queue's
// channel and starts the poll ticker.
func (s *taskStore) enterClaim() *time.Ticker {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claiming++; s.claiming == 1 {
		s.tick = time.NewTicker(s.opts.TaskClaimPoll)
		// Subscribe dials: not while holding mu (a Redis that does not
		// answer would hold every Claim for the dial timeout). On an
		// error, go-redis subscribes again when Channel reconnects; after
		// Close, Channel's channel is closed.
		ps := s.c.Subscribe(context.Background())
		s.ps = ps
		go func() {
			ps.Subscribe(context.Background(), s.channel)
			for range ps.Channel() {
				s.nudge()
			}
		}()
	}
	return s.tick
}

// leaveClaim ends what the last running Claim started.
func (s *taskStore) leaveClaim() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claiming--; s.claiming == 0 {
		s.tick.Stop()
		s.ps.Close()
		s.tick, s.ps = nil, nil
	}
}

func (s *taskStore) Renew(ctx context.Context, worker string, ids []string, lease time.Duration) (cancel, lost []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	args := make([]any, 0, 2+len(ids))
	args = append(args, worker, ms(lease))
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := taskRenewScript.Run(ctx, s.c, s.keys, args...).Slice()
	if err != nil {
		return nil, nil, fail(ctx, "task Renew", err)
	}
	if len(res) != 2 {
		return nil, nil, fmt.Errorf("redisstore: unexpected answer %v of task Renew", res)
	}
	return strs(res[0]), strs(res[1]), nil
}

func (s *taskStore) Reap(ctx context.Context, worker string, lease time.Duration) ([]*fastmcp.TaskRecord, error) {
	res, err := taskReapScript.Run(ctx, s.c, s.keys, worker, ms(lease), workerLostError).Slice()
	if err != nil {
		return nil, fail(ctx, "task Reap", err)
	}
	out := make([]*fastmcp.TaskRecord, 0, len(res))
	for _, r := range res {
		rec, err := taskRecord(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// taskRecord reads a record from a script's answer ({task hash, input
// requests, answers}, each as HGETALL answers it), or the error its refusal
// means.
func taskRecord(res any) (*fastmcp.TaskRecord, error) {
	if msg, ok := res.(string); ok {
		return nil, taskError(msg)
	}
	parts, ok := res.([]any)
	if !ok || len(parts) != 3 {
		return nil, fmt.Errorf("redisstore: unexpected answer %v of a task script", res)
	}
	rec := &fastmcp.TaskRecord{}
	num := func(v string) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
	millis := func(v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		return time.UnixMilli(num(v))
	}
	h, _ := parts[0].([]any)
	for i := 0; i+1 < len(h); i += 2 {
		k, _ := h[i].(string)
		v, _ := h[i+1].(string)
		switch k {
		case "id":
			rec.ID = v
		case "p":
			rec.Principal = v
		case "st":
			rec.Status = fastmcp.TaskStatus(v)
		case "m":
			rec.StatusMessage = v
		case "c":
			rec.CreatedAt = time.Unix(0, num(v))
		case "u":
			rec.UpdatedAt = millis(v)
		case "ttl":
			rec.TTL = time.Duration(num(v))
		case "x":
			rec.ExpiresAt = millis(v)
		case "poll":
			rec.PollInterval = time.Duration(num(v))
		case "res":
			rec.Result = json.RawMessage(v)
		case "err":
			rec.Error = json.RawMessage(v)
		case "state":
			rec.State = []byte(v)
		case "cr":
			rec.CancelRequested = v == "1"
		case "run":
			rec.Run = []byte(v)
		case "w":
			rec.Worker = v
		case "le":
			rec.LeaseExpires = millis(v)
		case "rr":
			rec.Reruns = int(num(v))
		case "mr":
			rec.MaxReruns = int(num(v))
		}
	}
	if rec.ID == "" {
		return nil, fmt.Errorf("redisstore: a task script answered a record without an id")
	}
	rec.InputRequests = rawMap(parts[1])
	rec.Answers = rawMap(parts[2])
	return rec, nil
}

// rawMap reads an HGETALL answer of raw values; nil when empty.
func rawMap(v any) map[string]json.RawMessage {
	l, _ := v.([]any)
	if len(l) < 2 {
		return nil
	}
	m := make(map[string]json.RawMessage, len(l)/2)
	for i := 0; i+1 < len(l); i += 2 {
		k, _ := l[i].(string)
		v, _ := l[i+1].(string)
		m[k] = json.RawMessage(v)
	}
	return m
}

func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
