// Package redisstore keeps what the replicas of a FastMCP server share on
// Redis, so that any number of replicas behind a plain load balancer serve
// every client: sessions, session and handle state, the events of resumable
// streams, rate-limit buckets, the message bus between replicas, the
// OAuth proxy's store, and the tasks of the tasks extension (NewTaskStore).
//
//	client, err := redisstore.NewClient(os.Getenv("FASTMCP_REDIS_URL"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	srv := fastmcp.New(fastmcp.Options{
//		Name:  "my-server",
//		Store: redisstore.New(client, redisstore.Options{}),
//	})
//
// New works on any go-redis v9 redis.UniversalClient: a single node,
// Sentinel, or Cluster. It needs Redis 6.2 or later (GETDEL); it is tested
// with Redis 7.
//
// # Behaviour
//
// Each implementation answers as FastMCP's in-memory one does: the same
// suites of tests (internal/storetest) run on both. The differences:
// expiries are counted by Redis's clock, in milliseconds; an Append that
// repeats a stream's last event (a client retrying after a lost reply)
// changes nothing instead of restarting the stream; event indexes are
// bounded to 2^53-2; and what a session holds (its state and events)
// expires with its record, so that a replica that dies without closing its
// sessions leaves nothing behind.
//
// Every operation is one round trip to Redis (one command, or one Lua
// script once the script is cached by Redis), and every write is atomic:
// a failure leaves all of it or none of it.
//
// # Faults
//
// When Redis cannot be reached in time, operations fail with an error that
// satisfies errors.Is(err, ErrUnavailable) (a server answers 503 with
// Retry-After); they work again by themselves when Redis returns, and the
// bus subscribes again to its channels. How long an operation waits is the
// client's: NewClient sets a 1 s dial timeout tried once, 500 ms reads and
// writes, a 1 s pool wait and one retry, so that an operation fails within
// about 2 s; go-redis's own defaults allow a minute and more. Build clients
// for Sentinel or Cluster with the same options (and ContextTimeoutEnabled,
// so that a request's deadline bounds its Redis calls too). A retry may run
// again a write whose reply was lost: a counter (State.Add) or a rate limit
// then counts twice; set MaxRetries to -1 if that matters more than riding
// out a dropped connection.
//
// # Keys
//
// Every key starts with Options.Prefix (P, default "fastmcp:"). What belongs
// to one session or state scope shares a hash tag, {id}, so that it lives in
// one Redis Cluster slot and one script can touch it:
//
//	P{id}:s      hash    a session's fields (plus the marker field "\x00")
//	P{id}:v      hash    a state scope's values
//	P{id}:x      zset    the expiries of the scope's values that expire
//	P{id}:e      hash    a session's events, per-stream windows, byte count
//	P{id}:z      zset    the session's events, oldest first
//	P{id}:q      list    streams whose events were all evicted (at most 256)
//	Prl:<key>    hash    a rate-limit bucket
//	P{tasks}:... the task store's keys (see Tasks)
//	Poauth:<key> string  an OAuth proxy entry
//
// An id that is empty or starts with NUL is stored with a NUL in front (an
// empty hash tag would not keep keys together). Bus topic T is the pub/sub
// channel P+T.
//
// # Tasks
//
// NewTaskStore keeps the tasks of the tasks extension (fastmcp.TaskStore),
// so that a task created through one replica is polled, answered and
// cancelled through any other, and with fastmcp.TaskOptions.Queue run by
// the workers of any process:
//
//	tasks := redisstore.NewTaskStore(client, redisstore.Options{})
//	srv := fastmcp.New(fastmcp.Options{
//		Secret: secret, // the same on every replica: it seals the caller's credentials kept with a task
//		Store:  redisstore.New(client, redisstore.Options{}),
//		Tasks:  fastmcp.TaskOptions{Store: tasks, Queue: true},
//	})
//
// Every method is one Lua script, so every change is atomic: of two
// replicas answering a task at once exactly one resumes it, and a task is
// taken off the queue and leased to its worker in the same step, so a
// worker that dies in between loses nothing (its lease lapses and Reap
// fails the task, or queues it again when it may run again). The task
// store's keys share the hash tag {tasks}, so that the caps (MaxTasks,
// MaxTasksPerPrincipal) are counted and the queue is taken atomically on
// Redis Cluster too: one shard holds all the tasks.
//
//	P{tasks}:t:<id>  hash    a task's fields (results, errors and state as
//	                         they came: raw JSON never goes through a Lua codec)
//	P{tasks}:i:<id>  hash    its outstanding input requests, by key
//	P{tasks}:a:<id>  hash    the client's answers, by key
//	P{tasks}:e       zset    every task by expiry
//	P{tasks}:o, :n   hash    each task's principal; tasks per principal
//	P{tasks}:q       list    the queue
//	P{tasks}:l       zset    the leased tasks by lease expiry (for Reap)
//	P{tasks}:queued  channel a notice per task queued
//
// A task's keys expire when the task does (pushed back while a worker holds
// it, TTL after it ends), never before; the index keys expire with the last
// task, so that once every task expired nothing is left. Expired tasks leave
// the indexes as Create sweeps them (up to 100 per call, more when a cap is
// reached), and Create keeps the queue to the tasks still queued when ids
// of tasks cancelled or expired while queued outnumber them. Times are
// compared on Redis's clock, in milliseconds; the times FastMCP sets when it
// creates a task come from the replica's clock, so keep the clocks in sync.
//
// Claim holds no Redis connection while it waits: it runs its script, and
// when nothing is queued subscribes (one pub/sub connection per store,
// while Claims wait) to the notices the scripts publish when they queue a
// task; each notice wakes one waiting Claim of each process, and a Claim
// that takes a task while more are queued wakes the next. Notices are lost
// while a connection is down, so a waiting Claim also looks every
// TaskClaimPoll (one second). Reap ends up to 1000 lapsed leases per call.
//
// # Memory
//
// A session holds at most MaxBytesPerSession of events (1 MiB) and
// MaxEventsPerStream per stream (1000), and its keys expire with its
// record (the session idle timeout) or EventTTL after its last event when
// it has none. A state scope keeps values without TTL until cleared (or
// until its session expires); expired values are swept by later writes,
// and a scope whose values all expired is deleted by Redis. A rate-limit
// bucket expires when it would be full again. The bus holds at most
// BusQueue messages per subscription in the process.
package redisstore
