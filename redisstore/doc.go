// Package redisstore keeps what the replicas of a FastMCP server share on
// Redis, so that any number of replicas behind a plain load balancer serve
// every client: sessions, session and handle state, the events of resumable
// streams, rate-limit buckets, the message bus between replicas, and the
// OAuth proxy's store.
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
//	Poauth:<key> string  an OAuth proxy entry
//
// An id that is empty or starts with NUL is stored with a NUL in front (an
// empty hash tag would not keep keys together). Bus topic T is the pub/sub
// channel P+T.
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
