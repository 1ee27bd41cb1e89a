package fastmcp

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ResponseCache returns middleware that caches the results of the lists,
// resources/read and prompts/get, so repeated requests skip the registry walk,
// the resource loader or the prompt handler. Add it with Server.Use.
//
// A result is cached for the request's protocol revision, and for what it was
// asked: the cursor of a list page, the URI of a read, the name and arguments
// of a prompt. A result that may differ with who asks is private and cached
// per principal (see ResponseCacheOptions.Principal): a list is private when an
// item of its kind has an access check; a read or a prompt when its kind has
// an access check, the server authenticates, or the request has auth data. A
// session with its own visibility rules (Session.Disable) has its own
// entries.
//
// Cached results are dropped when the registry changes (anything that sends
// list_changed: adding, removing, mounting, disabling), when a resource is
// updated (Server.ResourceUpdated drops every cached read), and when a
// session's auth change alters what it may see. Otherwise they are served
// until their TTL passes: loaders and prompt handlers whose output changes on
// its own need a short TTL or no caching. Errors, 2026-07-28 input_required
// results and the rounds of multi round-trip requests are never cached.
//
// Caching costs nothing when ResponseCache is not installed. Install it on
// one server; the middleware keeps that server's entries apart from another's
// if it is installed on several.
func ResponseCache(opts ResponseCacheOptions) Middleware {
	rc := &responseCache{ttl: opts.TTL, store: opts.Store, principal: opts.Principal}
	if rc.ttl <= 0 {
		rc.ttl = DefaultResponseCacheTTL
	}
	if rc.store == nil {
		rc.store = NewMemoryCacheStore(MemoryCacheStoreOptions{})
	}
	if rc.principal == nil {
		rc.principal = defaultPrincipal
	}
	methods := opts.Methods
	if methods == nil {
		methods = CacheableMethods()
	}
	rc.methods = make(map[string]bool, len(methods))
	for _, m := range methods {
		if !slices.Contains(CacheableMethods(), m) {
			panic(fmt.Sprintf("fastmcp: ResponseCache: method %q cannot be cached (see CacheableMethods)", m))
		}
		rc.methods[m] = true
	}
	return func(next MethodHandler) MethodHandler {
		return func(c *Context, req *Request) (any, error) {
			if !rc.methods[req.Method] {
				return next(c, req)
			}
			return rc.serve(c, req, next)
		}
	}
}

// ResponseCacheOptions configure ResponseCache. The zero value is usable.
type ResponseCacheOptions struct {
	// TTL is how long a cached result is served. Default
	// DefaultResponseCacheTTL.
	TTL time.Duration
	// Methods are the methods whose results are cached, among
	// CacheableMethods. Default: all of them.
	Methods []string
	// Store holds the cached results. Default: a memory store of its own
	// (NewMemoryCacheStore with default limits). Keys include a random
	// number made per server and middleware, and the registry's change
	// count, which is per process: replicas sharing a store keep their
	// entries apart.
	Store CacheStore
	// Principal names who asks, for private results: requests with the same
	// principal share them. Default: the AuthSubject of auth data that is an
	// Identity, a digest of other auth data, the session id for a request
	// with no auth data but a session, else "" (anonymous requests share).
	// Access checks are assumed to decide by the principal alone.
	Principal func(ctx *Context) string
}

// DefaultResponseCacheTTL is the default of ResponseCacheOptions.TTL.
const DefaultResponseCacheTTL = 30 * time.Second

// CacheableMethods returns the methods ResponseCache can cache: the four
// lists, resources/read and prompts/get.
func CacheableMethods() []string {
	return []string{"tools/list", "resources/list", "resources/templates/list", "prompts/list", "resources/read", "prompts/get"}
}

// CacheStore holds cached results for ResponseCache: in memory by default
// (NewMemoryCacheStore), or shared by replicas. Values are opaque bytes. A
// store must be safe for concurrent use; an error is treated as a miss (Get)
// or ignored (Set).
type CacheStore interface {
	// Get returns the value stored under key, if it has not expired.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Set stores value under key for ttl. The store may keep a copy or
	// value itself: the caller does not modify it afterwards.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// responseCache is one ResponseCache middleware's state.
type responseCache struct {
	ttl       time.Duration
	store     CacheStore
	principal func(*Context) string
	methods   map[string]bool
	// ids keys entries per server: a random number per *Server.
	ids sync.Map
}

// defaultPrincipal is ResponseCacheOptions.Principal's default.
func defaultPrincipal(c *Context) string {
	if auth := c.Auth(); auth != nil {
		return principalOf(auth)
	}
	if c.sess != nil {
		return "session:" + c.sess.id
	}
	return ""
}

// serverID returns the random number that keys s's entries.
func (rc *responseCache) serverID(s *Server) []byte {
	if id, ok := rc.ids.Load(s); ok {
		return id.([]byte)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	actual, _ := rc.ids.LoadOrStore(s, id)
	return actual.([]byte)
}

func (rc *responseCache) serve(c *Context, req *Request, next MethodHandler) (any, error) {
	r := c.req
	if pm := r.members(); pm.input != nil || pm.state != nil {
		// A round of a multi round-trip request answers for that round.
		return next(c, req)
	}
	key := rc.key(c, req)
	if raw, ok, err := rc.store.Get(c, key); ok && err == nil {
		if res, ok := decodeCached(req.Method, raw, r); ok {
			return res, nil
		}
	}
	res, err := next(c, req)
	if err != nil || r.input != nil || r.noCache {
		return res, err
	}
	if raw, ok := encodeCached(res, r); ok {
		_ = rc.store.Set(c, key, raw, rc.ttl)
	}
	return res, err
}

// key returns the store key of a request's result: a digest of everything the
// result depends on.
func (rc *responseCache) key(c *Context, req *Request) string {
	s := c.srv
	h := sha256.New()
	var n [8]byte
	num := func(v uint64) {
		binary.BigEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	str := func(v string) {
		num(uint64(len(v)))
		h.Write([]byte(v))
	}
	h.Write(rc.serverID(s))
	str(req.Method)
	num(uint64(c.req.version))
	num(s.lcSeq.Load())
	num(c.visibilitySeq())
	private := false
	switch req.Method {
	case "tools/list":
		private = s.reg.tools.hasChecks()
	case "resources/list":
		private = s.reg.resources.hasChecks()
	case "resources/templates/list":
		private = s.reg.templates.hasChecks()
	case "prompts/list":
		private = s.reg.prompts.hasChecks()
	case "resources/read":
		num(s.updSeq.Load())
		private = s.opts.Authenticate != nil || c.Auth() != nil || s.reg.resources.hasChecks() || s.reg.templates.hasChecks()
	case "prompts/get":
		private = s.opts.Authenticate != nil || c.Auth() != nil || s.reg.prompts.hasChecks()
	}
	str(req.Name)
	str(string(req.Arguments))
	str(listCursor(req))
	if private {
		h.Write([]byte{1})
		str(rc.principal(c))
		num(s.accessSeq.Load())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// listCursor returns the cursor member of a list request's params.
func listCursor(req *Request) string {
	if len(req.Params) == 0 || req.Method == "resources/read" || req.Method == "prompts/get" {
		return ""
	}
	var p struct {
		Cursor string `json:"cursor"`
	}
	_ = json.Unmarshal(req.Params, &p)
	return p.Cursor
}

// A cached value is the 2026-07-28 caching hint of the result (a byte saying
// whether it is set, a byte for its scope, eight for its TTL) and the encoded
// result.
const cachedHeader = 10

var cacheScopes = [...]CacheScope{"", CachePublic, CachePrivate}

func encodeCached(res any, r *request) ([]byte, bool) {
	b := make([]byte, cachedHeader, cachedHeader+256)
	if r.cache.set {
		b[0] = 1
	}
	b[1] = byte(slices.Index(cacheScopes[:], r.cache.scope))
	binary.BigEndian.PutUint64(b[2:], uint64(r.cache.ttl))
	b, err := appendResultValue(b, res, r.version)
	if err != nil {
		return nil, false
	}
	return b, true
}

// decodeCached returns a cached result as the method's handler would: a
// *ReadResourceResult, a *GetPromptResult, or the encoded list.
func decodeCached(method string, raw []byte, r *request) (any, bool) {
	if len(raw) < cachedHeader || int(raw[1]) >= len(cacheScopes) {
		return nil, false
	}
	hint := cacheHint{set: raw[0] == 1, scope: cacheScopes[raw[1]], ttl: int64(binary.BigEndian.Uint64(raw[2:]))}
	body := raw[cachedHeader:]
	var res any
	switch method {
	case "resources/read":
		var v ReadResourceResult
		if json.Unmarshal(body, &v) != nil {
			return nil, false
		}
		res = &v
	case "prompts/get":
		var v GetPromptResult
		if json.Unmarshal(body, &v) != nil {
			return nil, false
		}
		res = &v
	default:
		// A copy: middleware outside may change what it gets.
		res = json.RawMessage(slices.Clone(body))
	}
	r.cache = hint
	return res, true
}

// MemoryCacheStoreOptions configure NewMemoryCacheStore. The zero value is
// usable.
type MemoryCacheStoreOptions struct {
	// MaxEntries bounds the number of entries: beyond it the least recently
	// used are dropped. Default DefaultCacheMaxEntries.
	MaxEntries int
	// MaxBytes bounds the size of the values held: beyond it the least
	// recently used are dropped, and a value larger than an eighth of it is
	// not stored. Default DefaultCacheMaxBytes.
	MaxBytes int64
}

// Defaults of MemoryCacheStoreOptions.
const (
	DefaultCacheMaxEntries       = 10_000
	DefaultCacheMaxBytes   int64 = 64 << 20
)

// NewMemoryCacheStore returns a CacheStore in memory, bounded in entries and
// bytes (least recently used entries go first), whose entries expire after
// their TTL.
func NewMemoryCacheStore(opts MemoryCacheStoreOptions) CacheStore {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultCacheMaxEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultCacheMaxBytes
	}
	return &memoryCacheStore{opts: opts, items: make(map[string]*list.Element)}
}

type memoryCacheStore struct {
	opts  MemoryCacheStoreOptions
	mu    sync.Mutex
	lru   list.List // of *memoryCacheEntry, most recently used first
	items map[string]*list.Element
	bytes int64
}

type memoryCacheEntry struct {
	key     string
	value   []byte
	expires time.Time
}

func (m *memoryCacheStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, false, nil
	}
	e := el.Value.(*memoryCacheEntry)
	if !time.Now().Before(e.expires) {
		m.drop(el)
		return nil, false, nil
	}
	m.lru.MoveToFront(el)
	return e.value, true, nil
}

func (m *memoryCacheStore) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if int64(len(value)) > m.opts.MaxBytes/8 || ttl <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.drop(el)
	}
	e := &memoryCacheEntry{key: key, value: value, expires: time.Now().Add(ttl)}
	m.items[key] = m.lru.PushFront(e)
	m.bytes += int64(len(value))
	for len(m.items) > m.opts.MaxEntries || m.bytes > m.opts.MaxBytes {
		m.drop(m.lru.Back())
	}
	return nil
}

func (m *memoryCacheStore) drop(el *list.Element) {
	e := m.lru.Remove(el).(*memoryCacheEntry)
	delete(m.items, e.key)
	m.bytes -= int64(len(e.value))
}

// Len returns the number of entries held, expired ones included until they are
// dropped (for tests and metrics).
func (m *memoryCacheStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}
