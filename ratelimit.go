package fastmcp

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limiting is off by default. Options.RateLimits turns on token buckets
// for tool calls (per principal, per session, per tool) and for HTTP requests
// (server-wide). A tool call over its limit gets a result with isError telling
// when to retry; an HTTP request over the server-wide limit gets 429 with
// Retry-After.

// Rate is a token-bucket rate: Limit events per Per, in bursts of up to Burst.
// The zero Rate means no limit.
type Rate struct {
	// Limit is the number of events allowed per Per.
	Limit int
	// Per is the period of Limit. Default one second.
	Per time.Duration
	// Burst is the most events allowed at once. Default Limit.
	Burst int
}

func (r Rate) enabled() bool { return r.Limit > 0 }

func (r Rate) per() time.Duration {
	if r.Per <= 0 {
		return time.Second
	}
	return r.Per
}

func (r Rate) burst() int {
	if r.Burst > 0 {
		return r.Burst
	}
	return r.Limit
}

// RateLimits configures rate limiting.
type RateLimits struct {
	// PerUser limits the tool calls of one principal across all its sessions.
	// Principals are told apart by the subject of their auth data, which must
	// be an Identity; calls by auth data that is not are limited per session,
	// or, without a session (2026-07-28, stateless HTTP), per auth data.
	PerUser Rate
	// PerSession limits the tool calls of one session.
	PerSession Rate
	// Tools limits the calls of the named tools, per principal (or session,
	// as for PerUser), on top of the other limits.
	Tools map[string]Rate
	// HTTP limits all requests to the MCP endpoints of the server (Streamable
	// HTTP and legacy SSE), server-wide; over the limit they are answered 429
	// with Retry-After.
	HTTP Rate
	// Limiter keeps the buckets. Default: Options.Store.RateLimiter, else
	// in memory (NewMemoryRateLimiter); a shared implementation (Redis)
	// makes the limits hold across replicas.
	Limiter RateLimiter
}

// RateLimiter takes one event from the bucket of key, which refills at rate.
// It reports whether the event is allowed and, if not, how long until it would
// be. Implementations must be safe for concurrent use.
type RateLimiter interface {
	Allow(ctx context.Context, key string, rate Rate) (allowed bool, retryAfter time.Duration, err error)
}

// NewMemoryRateLimiter returns a RateLimiter keeping token buckets in memory.
// Buckets idle for long enough to be full again are dropped.
func NewMemoryRateLimiter() RateLimiter {
	return &memoryLimiter{buckets: map[string]*bucket{}}
}

type memoryLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	lim      *rate.Limiter
	rate     Rate
	lastUsed time.Time
}

func (m *memoryLimiter) Allow(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[key]
	if b == nil || b.rate != r {
		b = &bucket{lim: rate.NewLimiter(rate.Every(r.per()/time.Duration(r.Limit)), r.burst()), rate: r}
		m.buckets[key] = b
	}
	b.lastUsed = now
	m.calls++
	if m.calls%1024 == 0 {
		m.sweep(now)
	}
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, r.per(), nil
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d, nil
	}
	return true, 0, nil
}

// sweep drops buckets idle long enough to have refilled. m.mu is held.
func (m *memoryLimiter) sweep(now time.Time) {
	for k, b := range m.buckets {
		full := b.rate.per() * time.Duration(max(b.rate.burst(), 1)) / time.Duration(b.rate.Limit)
		if now.Sub(b.lastUsed) > full {
			delete(m.buckets, k)
		}
	}
}

// limiter returns the configured limiter, creating the default once.
func (s *Server) limiter() RateLimiter {
	s.rlOnce.Do(func() {
		if s.opts.RateLimits != nil {
			s.rl = s.opts.RateLimits.Limiter
		}
		if s.rl == nil && s.opts.Store != nil {
			s.rl = s.opts.Store.RateLimiter
		}
		if s.rl == nil {
			s.rl = NewMemoryRateLimiter()
		}
	})
	return s.rl
}

// checkToolRate applies the tool-call limits to a call of tool. It returns a
// result to send instead of running the tool, or nil.
func (s *Server) checkToolRate(c *Context, tool string) *CallToolResult {
	rl := s.opts.RateLimits
	if rl == nil || (!rl.PerUser.enabled() && !rl.PerSession.enabled() && len(rl.Tools) == 0) {
		return nil
	}
	caller := "anonymous"
	if c.sess != nil {
		caller = "session:" + c.sess.id
	}
	user := ""
	if id, ok := c.Auth().(Identity); ok {
		user = "user:" + id.AuthSubject()
		caller = user
	} else if auth := c.Auth(); auth != nil && c.sess == nil {
		// A sessionless request (2026-07-28, stateless HTTP) with auth
		// data that names no subject: limited per principal, told apart
		// by the data itself.
		user = "user:" + principalOf(auth)
		caller = user
	}
	type check struct {
		key, scope string
		rate       Rate
	}
	var checks []check
	if rl.PerSession.enabled() && c.sess != nil {
		checks = append(checks, check{"session:" + c.sess.id, "this session", rl.PerSession})
	}
	if rl.PerUser.enabled() {
		key := user
		if key == "" && c.sess != nil {
			key = "session:" + c.sess.id
		}
		if key != "" {
			checks = append(checks, check{"peruser:" + key, "this user", rl.PerUser})
		}
	}
	if r, ok := rl.Tools[tool]; ok && r.enabled() {
		checks = append(checks, check{"tool:" + tool + ":" + caller, "tool " + strconv.Quote(tool), r})
	}
	for _, ch := range checks {
		ok, retry, err := s.limiter().Allow(c, ch.key, ch.rate)
		if err != nil {
			s.logger.WarnContext(c, "fastmcp: rate limiter failed; allowing the call", "error", err)
			continue
		}
		if !ok {
			res := errorResult(fmt.Sprintf("Rate limit exceeded for %s; retry in %s.", ch.scope, roundUp(retry)))
			res.Meta = Meta{"fastmcp/retryAfterMs": retry.Milliseconds()}
			res.refusal = RefusalRateLimit
			return res
		}
	}
	return nil
}

// roundUp formats a wait, rounded up to a tenth of a second.
func roundUp(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(d)/float64(100*time.Millisecond))) * 100 * time.Millisecond
}

// rateLimited wraps a handler with a server-wide limit on its own bucket.
func (s *Server) rateLimited(key string, rate Rate, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.allowHTTP(w, r, key, rate) {
			h.ServeHTTP(w, r)
		}
	})
}

// checkHTTPRate applies the server-wide HTTP limit. It answers 429 itself and
// reports false when the request is over the limit.
func (s *Server) checkHTTPRate(w http.ResponseWriter, r *http.Request) bool {
	rl := s.opts.RateLimits
	if rl == nil || !rl.HTTP.enabled() {
		return true
	}
	return s.allowHTTP(w, r, "http", rl.HTTP)
}

// allowHTTP takes a request from the bucket key. It answers 429 itself and
// reports false when the request is over the limit.
func (s *Server) allowHTTP(w http.ResponseWriter, r *http.Request, key string, rate Rate) bool {
	ok, retry, err := s.limiter().Allow(r.Context(), key, rate)
	if err != nil {
		s.logger.Warn("fastmcp: rate limiter failed; allowing the request", "error", err)
		return true
	}
	if ok {
		return true
	}
	secs := int(math.Ceil(retry.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeJSONError(w, http.StatusTooManyRequests, nil, CodeInvalidRequest,
		fmt.Sprintf("Too Many Requests: retry in %s", roundUp(retry)))
	return false
}
