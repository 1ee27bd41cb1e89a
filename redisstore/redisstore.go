package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/redis/go-redis/v9"
)

// Options configure the store. The zero value works.
type Options struct {
	// Prefix starts the name of every key and pub/sub channel the store
	// uses, so that several servers (or other applications) can share one
	// Redis. It must not contain '{' or '}', which Redis Cluster reads as
	// hash tags. Default "fastmcp:".
	Prefix string
	// MaxEventsPerStream is the number of most recent events kept per
	// resumable stream. Default 1000, as fastmcp.NewMemoryEventStore.
	MaxEventsPerStream int
	// MaxBytesPerSession caps the bytes of events kept per session; the
	// oldest events of the session's streams are dropped first. Default
	// 1 MiB, as fastmcp.NewMemoryEventStore.
	MaxBytesPerSession int
	// EventTTL is how long the events of a session without a session record
	// (a stateless server's, or one whose record was created with no TTL)
	// are kept after the last one was appended, so that a session whose
	// replica died without closing it does not hold memory for ever. The
	// events of a session with a record expire with the record instead.
	// Default one hour; keep it above HTTP.SessionIdleTimeout.
	EventTTL time.Duration
	// Timeout bounds the waits the client's own timeouts do not: the PING
	// of Store.Health, and a bus subscription's wait for Redis to confirm it
	// (on top of the caller's context). Default one second.
	Timeout time.Duration
	// BusQueue is the number of messages a bus subscription may have
	// waiting for its function; more are dropped (the bus is at most once).
	// Default 1024, as fastmcp.NewMemoryBus.
	BusQueue int

	// MaxTasks caps the tasks a task store (NewTaskStore) keeps, whatever
	// their status, until they expire. Default DefaultMaxTasks (100,000),
	// as fastmcp.NewMemoryTaskStore.
	MaxTasks int
	// MaxTasksPerPrincipal caps the tasks a task store keeps for one
	// principal. Default DefaultMaxTasksPerPrincipal (10,000).
	MaxTasksPerPrincipal int
	// TaskClaimPoll is how often a task store's waiting Claims look at the
	// queue when no notice of a queued task arrives (notices travel by
	// pub/sub, which loses them while a connection is down). Default
	// DefaultTaskClaimPoll (one second).
	TaskClaimPoll time.Duration
}

// Defaults of Options.
const (
	DefaultPrefix             = "fastmcp:"
	DefaultMaxEventsPerStream = 1000
	DefaultMaxBytesPerSession = 1 << 20
	DefaultEventTTL           = time.Hour
	DefaultTimeout            = time.Second
	DefaultBusQueue           = 1024
)

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		panic(fmt.Sprintf("redisstore: Options.Prefix %q contains a brace: Redis Cluster would read it as a hash tag", o.Prefix))
	}
	if o.MaxEventsPerStream <= 0 {
		o.MaxEventsPerStream = DefaultMaxEventsPerStream
	}
	if o.MaxBytesPerSession <= 0 {
		o.MaxBytesPerSession = DefaultMaxBytesPerSession
	}
	if o.EventTTL <= 0 {
		o.EventTTL = DefaultEventTTL
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BusQueue <= 0 {
		o.BusQueue = DefaultBusQueue
	}
	if o.MaxTasks <= 0 {
		o.MaxTasks = DefaultMaxTasks
	}
	if o.MaxTasksPerPrincipal <= 0 {
		o.MaxTasksPerPrincipal = DefaultMaxTasksPerPrincipal
	}
	if o.TaskClaimPoll <= 0 {
		o.TaskClaimPoll = DefaultTaskClaimPoll
	}
	return o
}

// New returns a fastmcp.Store keeping everything on Redis through client, so
// that every replica given a store on the same Redis (and Prefix) serves
// every client. Every field of the Store is set. The client is the
// caller's: New does not close it. The bus opens one pub/sub connection of
// its own while it has subscribers.
//
// The operations fail with an error satisfying errors.Is(err,
// ErrUnavailable) when Redis cannot be reached in time; how long that takes
// is set by the client's options (see the package documentation).
func New(client redis.UniversalClient, opts Options) *fastmcp.Store {
	if client == nil {
		panic("redisstore: New with a nil client")
	}
	k := newKeys(opts.withDefaults())
	return &fastmcp.Store{
		Sessions:    &sessionStore{c: client, k: k},
		State:       &stateStore{c: client, k: k},
		Events:      &eventStore{c: client, k: k},
		RateLimiter: &rateLimiter{c: client, k: k},
		Bus:         newBus(client, k),
		Health:      health(client, k.opts.Timeout),
	}
}

// health returns a Store.Health that PINGs Redis.
func health(c redis.UniversalClient, timeout time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return fail(ctx, "PING", c.Ping(ctx).Err())
	}
}

// keys names the store's keys (see the key layout in the package
// documentation).
type keys struct {
	opts Options
}

func newKeys(o Options) *keys { return &keys{opts: o} }

// tag is the hash tag of everything stored about id: the keys of one session
// (its record, state and events) share it, so that they live in one Redis
// Cluster slot and one script may touch them together. Redis hashes a whole
// key whose tag is empty, so an id that is empty or starts with NUL gets a NUL
// in front: the encoding stays one-to-one and never empty.
func (k *keys) tag(id string) string {
	if id == "" || id[0] == 0 {
		id = "\x00" + id
	}
	return k.opts.Prefix + "{" + id + "}"
}

// ErrUnavailable is the error (tested with errors.Is) of an operation that
// could not reach Redis: the connection was refused, reset or timed out,
// the pool was exhausted, or Redis answered that it cannot serve now
// (LOADING, READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, BUSY, OOM). Such an
// operation wrote nothing, or all of what it would have written: every
// write is one script or one command. A server should answer 503 with
// Retry-After and try again later; the store recovers by itself when Redis
// does.
var ErrUnavailable = errors.New("redisstore: Redis unavailable")

// unavailableError is an error of Redis's availability.
type unavailableError struct {
	op  string
	err error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("redisstore: Redis unavailable: %s: %v", e.op, e.err)
}

func (e *unavailableError) Unwrap() []error {
	return []error{ErrUnavailable, fastmcp.ErrStoreUnavailable, e.err}
}

// fail describes err, the error of op: nil stays nil, an error of
// availability satisfies errors.Is(err, ErrUnavailable), and any other is
// prefixed with the package and op. A cancellation by the caller is returned
// as it is.
func fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return err
	}
	if unavailable(err) {
		return &unavailableError{op: op, err: err}
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// unavailable reports whether err says that Redis cannot serve now, rather
// than that the request was wrong.
func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted):
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "OOM", "NOREPLICAS"} {
			if strings.HasPrefix(msg, p+" ") {
				return true
			}
		}
	}
	return false
}

// ms converts a positive duration to whole milliseconds, at least one, as
// Redis expiries count them.
func ms(d time.Duration) int64 {
	return max(int64((d+time.Millisecond-1)/time.Millisecond), 1)
}
