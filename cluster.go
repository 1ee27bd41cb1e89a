package fastmcp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
	"github.com/fastmcp-go/fastmcp/internal/testhooks"
)

func init() {
	testhooks.ClusterTiming = func(server any, heartbeat, ttl time.Duration) {
		if c := server.(*Server).cluster; c != nil {
			c.heartbeat, c.ttl = heartbeat, ttl
		}
	}
}

// Clustered mode: several replicas of one server behind a load balancer
// without affinity, sharing Options.Store. It is on when the Store has both
// Sessions and Bus; without them Server.cluster is nil and none of this runs.
//
// This file holds what is not HTTP: the replica's identity and liveness, the
// bus envelope, the broadcasts (resource updates, list changes, session
// fields) and a session's link to its record (sharedSession). The HTTP side
// (loading records, streams across replicas, legacy forwarding) is in
// streamable_cluster.go.
//
// Every replica keeps its own copy of each session it serves, built from the
// session's record in the store the first time a request names it; later
// requests cost no round trip. What a request changes on the session (its log
// level, subscriptions, roots, whether it completed the handshake, the
// replica holding its GET stream) is written to the record, then broadcast so
// that the other copies follow. Messages that must reach the replica serving
// a request (a response to a server-to-client request, a progress report, a
// cancellation) travel on the bus, addressed by the replica id that prefixes
// the server's request ids and progress tokens.

// Liveness of replicas: each one sets its key every replicaHeartbeat; it is
// dead once its key has expired (replicaTTL).
const (
	replicaScope     = "fastmcp:replicas"
	replicaKeyPrefix = "fastmcp:replica:"
	replicaHeartbeat = 3 * time.Second
	replicaTTL       = 10 * time.Second
)

// storeTimeout bounds a store or bus operation made outside any request.
const storeTimeout = 5 * time.Second

// cluster is a server's membership of a cluster of replicas.
type cluster struct {
	srv *Server
	// id names the replica: 12 random bytes, base64url. It prefixes the
	// server's request ids, progress tokens and POST stream ids.
	id       string
	sessions SessionStore
	bus      Bus
	state    StateStore
	health   func(context.Context) error
	// heartbeat is the period of the liveness loop, and ttl the life of the
	// liveness key (replicaHeartbeat, replicaTTL; tests shorten them).
	heartbeat, ttl time.Duration

	// beatMu serializes heartbeats: the loop's, and those run at once when
	// the store is found to have lost its data (beatNow).
	beatMu sync.Mutex
	// recovering: a beatNow and its broadcast run for a store found to
	// have lost its data.
	recovering atomic.Bool

	mu       sync.Mutex
	handlers []*HTTPHandler
	stop     chan struct{} // closed to end the liveness loop; nil when not running
	loopDone chan struct{}
	subs     []func() // cancels the replica's subscriptions
	// servingSeq is the registry change number when the replica began to
	// serve: the changes before (its registrations at start-up) are not
	// announced to the other replicas' clients.
	servingSeq uint64
	// storeDown: the last heartbeat failed. When one succeeds again, the
	// sessions this replica started are written back if the store lost
	// them (restarted empty).
	storeDown bool
	// beaten: the last heartbeat set the liveness key. If the next one
	// finds it gone, the store lost its data: the sessions are written back
	// too.
	beaten bool
	// everBeaten: a heartbeat set the liveness key once; from then on, the
	// key missing means the store lost its data (storeLost).
	everBeaten bool
	// lostAt is when this replica learned that the store lost its data:
	// for two heartbeats after, while every replica writes its sessions
	// back, a session the store does not know may be one of those.
	lostAt time.Time
}

// newCluster returns the server's cluster membership, or nil when
// Options.Store does not share sessions and a bus.
func newCluster(s *Server) *cluster {
	st := s.opts.Store
	if st == nil || st.Sessions == nil || st.Bus == nil {
		return nil
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return &cluster{
		srv:       s,
		id:        base64.RawURLEncoding.EncodeToString(b[:]),
		sessions:  st.Sessions,
		bus:       st.Bus,
		state:     s.stateStore,
		health:    st.Health,
		heartbeat: replicaHeartbeat,
		ttl:       replicaTTL,
	}
}

// Topics of the bus. The Redis store prefixes them with its own prefix.
func replicaTopic(id string) string       { return busTopic("r", id) }
func broadcastTopic() string              { return busTopic("all") }
func sessionTopic(sid string) string      { return busTopic("g", sid) }
func tailTopic(sid, stream string) string { return busTopic("s", sid, stream) }
func replicaKey(id string) string         { return replicaKeyPrefix + id }
func (c *cluster) ctx() (context.Context, func()) {
	return context.WithTimeout(context.Background(), storeTimeout)
}

// envelope is a message between replicas.
type envelope struct {
	// T is the kind: resp, cancel, changed, ended, resource, lists, legacy,
	// tail (to a replica); ev, done (on a session's or stream's topic).
	T string `json:"t"`
	// R is the replica that sent it.
	R string `json:"r,omitempty"`
	// S is the session it concerns.
	S string `json:"s,omitempty"`
	// M is a JSON-RPC message (or a legacy POST's body).
	M json.RawMessage `json:"m,omitempty"`
	// F is a record field (changed), or a stream id (tail).
	F string `json:"f,omitempty"`
	// V is the field's new value; absent when the field was deleted.
	V *string `json:"v,omitempty"`
	// U is a resource URI (resource).
	U string `json:"u,omitempty"`
	// K are the lists that changed (lists).
	K listKinds `json:"k,omitempty"`
	// I is an event index (ev, tail): -1 when events are not stored.
	I int64 `json:"i"`
	// H are a legacy POST's headers.
	H http.Header `json:"h,omitempty"`
}

// publish sends e on topic.
func (c *cluster) publish(ctx context.Context, topic string, e *envelope) error {
	e.R = c.id
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return c.bus.Publish(ctx, topic, b)
}

// attach makes h one of the replica's HTTP handlers; the first one starts the
// replica's subscriptions and liveness.
func (c *cluster) attach(h *HTTPHandler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers = append(c.handlers, h)
	if c.servingSeq == 0 {
		c.servingSeq = c.srv.lcSeq.Load() + 1
	}
	if c.stop == nil {
		c.stop, c.loopDone = make(chan struct{}), make(chan struct{})
		go c.run(c.stop, c.loopDone)
	}
}

// detach forgets h; the last one stops the replica's work and removes its
// liveness key, so that the others know at once that it is gone.
func (c *cluster) detach(h *HTTPHandler) {
	c.mu.Lock()
	for i, x := range c.handlers {
		if x == h {
			c.handlers = append(c.handlers[:i], c.handlers[i+1:]...)
			break
		}
	}
	if len(c.handlers) > 0 || c.stop == nil {
		c.mu.Unlock()
		return
	}
	stop, done := c.stop, c.loopDone
	c.stop = nil
	c.mu.Unlock()
	close(stop)
	<-done
	c.beatMu.Lock() // no beatNow in progress, none to come (c.stop is nil)
	c.mu.Lock()
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	c.beatMu.Unlock()
	for _, cancel := range subs {
		cancel()
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_ = c.state.Delete(ctx, replicaScope, replicaKey(c.id))
}

// run is the liveness loop: it subscribes the replica to its topics (again,
// until it succeeds), sets its liveness key, refreshes the records of the
// sessions whose streams it holds, and writes back records a restarted store
// lost.
func (c *cluster) run(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(c.heartbeat)
	defer t.Stop()
	for {
		c.beat()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// beatNow runs a heartbeat at once, while the replica serves: the store
// lost its data, and the sessions this replica started are written back now
// rather than at the next beat.
func (c *cluster) beatNow() {
	c.beatMu.Lock()
	defer c.beatMu.Unlock()
	c.mu.Lock()
	running := c.stop != nil
	c.mu.Unlock()
	if running {
		c.beatLocked()
	}
}

// beat is one round of the liveness loop.
func (c *cluster) beat() {
	c.beatMu.Lock()
	defer c.beatMu.Unlock()
	c.beatLocked()
}

// storeLost reports whether the store lost its data (restarted empty):
// this replica's liveness key, set at its last heartbeat, is gone. Then a
// session the store does not know may be one it lost: its request is
// answered 503 (retry shortly) rather than 404 (start again), and every
// replica writes back the records of the sessions it started, at once.
func (c *cluster) storeLost(ctx context.Context) bool {
	c.mu.Lock()
	everBeaten, lostAt := c.everBeaten, c.lostAt
	c.mu.Unlock()
	if !everBeaten {
		return false
	}
	if time.Since(lostAt) < 2*c.heartbeat {
		return true // the replicas are writing their sessions back
	}
	if _, ok, err := c.state.Get(ctx, replicaScope, replicaKey(c.id)); err != nil || ok {
		return false
	}
	c.mu.Lock()
	c.lostAt = time.Now()
	c.mu.Unlock()
	if !c.recovering.CompareAndSwap(false, true) {
		return true // being handled
	}
	go func() {
		defer c.recovering.Store(false)
		c.beatNow()
		ctx, cancel := c.ctx()
		defer cancel()
		if err := c.publish(ctx, broadcastTopic(), &envelope{T: "lost"}); err != nil {
			c.srv.logger.Warn("fastmcp: cluster: broadcasting that the store lost its data failed", "error", err)
		}
	}()
	return true
}

// errStoreLost answers a request for a session the store may have lost.
var errStoreLost = fmt.Errorf("%w: it lost its data; the replicas are writing their sessions back", ErrStoreUnavailable)

func (c *cluster) beatLocked() {
	ctx, cancel := c.ctx()
	defer cancel()
	c.mu.Lock()
	subscribed := c.subs != nil
	c.mu.Unlock()
	if !subscribed {
		var subs []func()
		for _, topic := range []string{replicaTopic(c.id), broadcastTopic()} {
			cancelSub, err := c.bus.Subscribe(ctx, topic, c.receive)
			if err != nil {
				c.srv.logger.Warn("fastmcp: cluster: subscribing to the bus failed; retrying", "topic", topic, "error", err)
				for _, f := range subs {
					f()
				}
				subs = nil
				break
			}
			subs = append(subs, cancelSub)
		}
		if subs != nil {
			c.mu.Lock()
			c.subs = subs
			c.mu.Unlock()
		}
	}
	// The key set at the last beat, still within its TTL, is gone: the
	// store lost its data (it restarted empty between two beats).
	c.mu.Lock()
	everBeaten := c.everBeaten
	c.mu.Unlock()
	lost := false
	if everBeaten {
		_, ok, err := c.state.Get(ctx, replicaScope, replicaKey(c.id))
		lost = err == nil && !ok
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	err := c.state.Set(ctx, replicaScope, replicaKey(c.id), []byte(now), c.ttl)
	c.mu.Lock()
	recovered := err == nil && (c.storeDown || lost)
	c.storeDown = err != nil
	c.beaten = err == nil
	c.everBeaten = c.everBeaten || err == nil
	if lost {
		c.lostAt = time.Now()
	}
	c.mu.Unlock()
	if err != nil {
		c.srv.logger.Warn("fastmcp: cluster: the store is unavailable", "error", err)
		return
	}
	c.refresh(recovered)
	if lost && !c.recovering.Load() {
		// The others may not know yet: they write theirs back now too.
		if err := c.publish(ctx, broadcastTopic(), &envelope{T: "lost"}); err != nil {
			c.srv.logger.Warn("fastmcp: cluster: broadcasting that the store lost its data failed", "error", err)
		}
	}
}

// alive reports whether the replica id is alive: its liveness key is set.
func (c *cluster) alive(ctx context.Context, id string) (bool, error) {
	if id == c.id {
		return true, nil
	}
	_, ok, err := c.state.Get(ctx, replicaScope, replicaKey(id))
	return ok, err
}

// receive handles a message of the replica's own topic or of the broadcast
// topic. It runs on the bus's goroutine: what may take long runs apart.
func (c *cluster) receive(msg []byte) {
	var e envelope
	if err := json.Unmarshal(msg, &e); err != nil {
		c.srv.logger.Warn("fastmcp: cluster: undecodable bus message", "error", err)
		return
	}
	switch e.T {
	case "resource":
		if e.R != c.id {
			c.srv.updSeq.Add(1) // as ResourceUpdated here would (ResponseCache)
			go c.notifyResource(e.U)
		}
		return
	case "lists":
		if e.R != c.id {
			go c.notifyLists(e.K)
		}
		return
	case "lost":
		if e.R != c.id {
			c.mu.Lock()
			c.lostAt = time.Now()
			c.mu.Unlock()
			go c.beatNow()
		}
		return
	}
	hs := c.local(e.S)
	if hs == nil {
		return // no copy here: nothing to do
	}
	sess := hs.sess
	switch e.T {
	case "resp":
		var m jsonrpc.Message
		if jsonrpc.Decode(e.M, &m) != nil {
			return
		}
		if m.IsResponse() {
			sess.deliver(&m)
		} else if m.Method == "notifications/progress" {
			var p ProgressParams
			if json.Unmarshal(m.Params, &p) == nil {
				sess.peer.deliverProgress(p)
			}
		}
	case "cancel":
		if e.R != c.id {
			cancelFrom(&sess.peer, e.M)
		}
	case "changed":
		if e.R != c.id && sess.shared != nil {
			var v []byte
			if e.V != nil {
				v = []byte(*e.V)
			}
			sess.shared.apply(e.F, v)
		}
	case "ended":
		if e.R != c.id && sess.shared != nil {
			go sess.shared.h.endSession(hs, endedElsewhere{endCauses[e.F]})
		}
	case "legacy":
		// Served here, in order: initialize is answered before the next
		// message is taken, as on the replica's own POSTs.
		if sess.shared != nil {
			sess.shared.h.serveForwardedLegacy(hs, &e)
		}
	case "tail":
		if sess.shared != nil {
			go sess.shared.h.tailStream(hs, e.F, e.I)
		}
	}
}

// endedElsewhere is the cause that ends a replica's copy of a session that
// ended on another replica: it wraps the cause there.
type endedElsewhere struct{ cause error }

func (e endedElsewhere) Error() string {
	return e.cause.Error() + " (on another replica)"
}

func (e endedElsewhere) Unwrap() error { return e.cause }

// endCauses name the causes that end a session everywhere, for the "ended"
// message.
var endCauses = map[string]error{
	"deleted": ErrSessionDeleted,
	"closed":  ErrSessionClosedByServer,
	"ping":    ErrSessionPingFailed,
	"lost":    ErrSessionStreamLost,
	"":        ErrSessionClosed,
}

// causeName names cause for the "ended" message.
func causeName(cause error) string {
	for name, c := range endCauses {
		if c == cause {
			return name
		}
	}
	return ""
}

// local returns this replica's copy of session sid, or nil.
func (c *cluster) local(sid string) *httpSession {
	if sid == "" {
		return nil
	}
	c.mu.Lock()
	handlers := c.handlers
	c.mu.Unlock()
	for _, h := range handlers {
		if hs := h.lookup(sid); hs != nil {
			return hs
		}
	}
	return nil
}

// copies returns this replica's copies of clustered sessions.
func (c *cluster) copies() []*httpSession {
	c.mu.Lock()
	handlers := c.handlers
	c.mu.Unlock()
	var out []*httpSession
	for _, h := range handlers {
		h.mu.RLock()
		for _, hs := range h.sessions {
			if hs.sess.shared != nil {
				out = append(out, hs)
			}
		}
		h.mu.RUnlock()
	}
	return out
}

// notifiable calls f for every session of this replica that should be told
// of a change: sessions outside the cluster (stdio), and the copies of
// clustered sessions this replica is responsible for (see
// sharedSession.responsible), so that each client is told once.
func (c *cluster) notifiable(f func(*Session)) {
	for _, sess := range c.srv.Sessions() {
		if sess.shared == nil {
			f(sess)
		}
	}
	for _, hs := range c.copies() {
		if hs.sess.shared.responsible() {
			f(hs.sess)
		}
	}
}

// resourceUpdated is Server.ResourceUpdated in clustered mode: this
// replica's sessions and listeners are told now, the others' through the
// broadcast.
func (c *cluster) resourceUpdated(uri string) {
	c.notifyResource(uri)
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.publish(ctx, broadcastTopic(), &envelope{T: "resource", U: uri}); err != nil {
		c.srv.logger.Warn("fastmcp: cluster: broadcasting a resource update failed", "uri", uri, "error", err)
	}
}

func (c *cluster) notifyResource(uri string) {
	c.srv.notifyResourceUpdated(uri)
	c.notifiable(func(sess *Session) {
		if sess.subscribed(uri) {
			sess.notifyIfReady("notifications/resources/updated", map[string]string{"uri": uri})
		}
	})
}

// listsChanged is the flush of list changes in clustered mode: this
// replica's sessions and listeners are told now (with the exact change
// numbers), the other replicas through the broadcast.
func (c *cluster) listsChanged(pending [len(listChangedMethods)]uint64) {
	c.srv.notifyListChanged(pending)
	var kinds listKinds
	c.mu.Lock()
	serving := c.servingSeq
	c.mu.Unlock()
	for i, lc := range listChangedMethods {
		seq := pending[i]
		if seq == 0 {
			continue
		}
		if serving != 0 && seq >= serving {
			kinds |= lc.kind
		}
		c.notifiable(func(sess *Session) {
			if sess.initSeq.Load() < seq {
				sess.notifyIfReady(lc.method, nil)
			}
		})
	}
	if kinds == 0 {
		return
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.publish(ctx, broadcastTopic(), &envelope{T: "lists", K: kinds}); err != nil {
		c.srv.logger.Warn("fastmcp: cluster: broadcasting a list change failed", "error", err)
	}
}

// notifyLists tells this replica's sessions and listeners of list changes
// made on another replica: those that were here when the message came.
func (c *cluster) notifyLists(kinds listKinds) {
	var pending [len(listChangedMethods)]uint64
	now := c.srv.lcSeq.Load() + 1
	for i, lc := range listChangedMethods {
		if kinds&lc.kind != 0 {
			pending[i] = now
		}
	}
	c.listsChangedLocal(pending)
}

func (c *cluster) listsChangedLocal(pending [len(listChangedMethods)]uint64) {
	c.srv.notifyListChanged(pending)
	for i, lc := range listChangedMethods {
		if seq := pending[i]; seq != 0 {
			c.notifiable(func(sess *Session) {
				if sess.initSeq.Load() < seq {
					sess.notifyIfReady(lc.method, nil)
				}
			})
		}
	}
}

// refresh runs at each heartbeat: it touches the records of the sessions
// whose streams this replica holds (their clients may send nothing for
// longer than the idle timeout), and, when the store just came back, writes
// back the records of the sessions this replica started that it lost.
func (c *cluster) refresh(recovered bool) {
	for _, hs := range c.copies() {
		sh := hs.sess.shared
		if !hs.legacy && hs.sess.protocol() == vUnknown {
			continue // still in its initialize: no record yet
		}
		if recovered && sh.owner {
			sh.restore()
			continue
		}
		if hs.holdsStream() {
			sh.touch(false)
		}
	}
}

// sharedSession is one replica's link between its copy of a clustered
// session and the session's record.
type sharedSession struct {
	c    *cluster
	h    *HTTPHandler
	sess *Session
	hs   *httpSession
	// owner: this replica ran initialize (or holds the legacy stream); its
	// copy fires the session's events and is in Server.Sessions.
	owner bool
	// ttl is the record's expiry (HTTP.SessionIdleTimeout); 0: none.
	ttl time.Duration

	mu sync.Mutex
	// holder is the replica holding the session's GET stream ("" when
	// none ever did).
	holder string
	// touched is when this replica last extended the record's TTL.
	touched time.Time
	// legacy is the replica holding a legacy session's stream.
	legacy string
	// get is the side of the session's GET channel, set with the channel
	// (under the httpSession's mu).
	get *clusterGet
}

// Fields of a session record.
const (
	fieldVersion   = "v"
	fieldInfo      = "info"
	fieldCaps      = "caps"
	fieldPrincipal = "p"
	fieldLevel     = "lvl"
	fieldNotified  = "n"
	fieldRoots     = "roots"
	fieldSubPrefix = "sub:"
	fieldGet       = "get"
	fieldLegacy    = "legacy"
	fieldCreated   = "c"
	fieldReqPrefix = "req:"
)

// set writes one field of the session's record, and tells the other replicas
// (a nil value deletes the field).
func (sh *sharedSession) set(ctx context.Context, field string, value []byte) error {
	if ctx == nil {
		var cancel func()
		ctx, cancel = sh.c.ctx()
		defer cancel()
	}
	if err := sh.c.sessions.Set(ctx, sh.sess.id, field, value); err != nil {
		return err
	}
	e := &envelope{T: "changed", S: sh.sess.id, F: field}
	if value != nil {
		v := string(value)
		e.V = &v
	}
	if err := sh.c.publish(ctx, broadcastTopic(), e); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: broadcasting a session change failed", "session", sh.sess.id, "field", field, "error", err)
	}
	return nil
}

// setOrLog is set for a change with no request to fail: the error is
// logged.
func (sh *sharedSession) setOrLog(field string, value []byte) {
	if err := sh.set(nil, field, value); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: recording a session change failed", "session", sh.sess.id, "field", field, "error", err)
	}
}

// storeFailure is the JSON-RPC error of a request that could not record its
// effect in the shared store.
func storeFailure(err error) *Error {
	if errors.Is(err, ErrStoreUnavailable) {
		return NewError(CodeInternalError, "Service Unavailable: the shared store is unavailable; retry shortly")
	}
	return NewError(CodeInternalError, "Internal error: the shared store failed: %v", err)
}

// route sends a message from the client that this replica's copy does not
// expect (a response to a server-to-client request, or a progress report for
// one) to the replica that sent the request, named by the prefix of the
// request's id or progress token. It reports false when the message names no
// other replica.
func (sh *sharedSession) route(m *jsonrpc.Message, key json.RawMessage) bool {
	rid, ok := replicaOf(key)
	if !ok || rid == sh.c.id {
		return false
	}
	var raw []byte
	switch {
	case m.IsResponse() && m.Error != nil:
		raw = jsonrpc.AppendError(nil, m.ID, m.Error.Code, m.Error.Message, m.Error.Data)
	case m.IsResponse():
		raw = jsonrpc.AppendResult(nil, m.ID, m.Result)
	default:
		raw = jsonrpc.AppendNotification(nil, m.Method, m.Params)
	}
	ctx, cancel := sh.c.ctx()
	defer cancel()
	if err := sh.c.publish(ctx, replicaTopic(rid), &envelope{T: "resp", S: sh.sess.id, M: raw}); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: forwarding a client's answer failed", "session", sh.sess.id, "replica", rid, "error", err)
	}
	return true
}

// cancel tells every replica to cancel a request of the session that is not
// served here.
func (sh *sharedSession) cancel(params json.RawMessage) {
	ctx, cancel := sh.c.ctx()
	defer cancel()
	if err := sh.c.publish(ctx, broadcastTopic(), &envelope{T: "cancel", S: sh.sess.id, M: params}); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: broadcasting a cancellation failed", "session", sh.sess.id, "error", err)
	}
}

// replicaOf reads the replica id that prefixes a server request id or
// progress token ("<replica>:<n>", a JSON string).
func replicaOf(key json.RawMessage) (string, bool) {
	s, ok := jsonrpc.UnquoteString(key)
	if !ok {
		return "", false
	}
	rid, _, ok := strings.Cut(s, ":")
	return rid, ok && rid != ""
}

// responsible reports whether this replica's copy sends the session the
// messages that belong to no request (change notifications): the copy on
// the replica that last held its GET stream, or, if none ever did, the
// owner's.
func (sh *sharedSession) responsible() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.holder != "" {
		return sh.holder == sh.c.id
	}
	return sh.owner
}

// apply applies a change of the record made on another replica to this copy.
func (sh *sharedSession) apply(field string, v []byte) {
	s := sh.sess
	switch {
	case field == fieldNotified:
		s.mu.Lock()
		first := s.initialized && !s.notified
		s.notified = s.initialized
		s.mu.Unlock()
		if first && (s.srv.opts.DisableRoots || s.ClientCapabilities().Roots == nil) {
			s.setReady()
		}
	case field == fieldLevel:
		s.mu.Lock()
		s.logLevel = LoggingLevel(v)
		s.mu.Unlock()
	case field == fieldRoots:
		var roots []Root
		if json.Unmarshal(v, &roots) != nil {
			return
		}
		s.mu.Lock()
		s.roots = roots
		wasReady, notified := s.ready, s.notified
		s.mu.Unlock()
		if wasReady {
			s.emitRootsChanged(roots)
		} else if notified {
			s.setReady()
		}
	case strings.HasPrefix(field, fieldSubPrefix):
		uri := field[len(fieldSubPrefix):]
		if v == nil {
			s.unsubscribe(uri)
		} else {
			s.subscribe(uri)
		}
	case field == fieldGet:
		sh.setHolder(string(v))
	}
}

// setHolder records the replica holding the GET stream; once one is known,
// messages that belong to no request have a way to the client.
func (sh *sharedSession) setHolder(holder string) {
	if holder == "" {
		return
	}
	sh.mu.Lock()
	sh.holder = holder
	sh.mu.Unlock()
	if sh.hs != nil {
		sh.sess.setOutbound(sh.hs.getChannel(sh.h))
	}
}

// touch extends the record's TTL, at most once per tenth of it unless
// forced. It returns ErrSessionNotFound when the record is gone.
func (sh *sharedSession) touch(force bool) error {
	if sh.ttl <= 0 {
		return nil
	}
	now := time.Now()
	sh.mu.Lock()
	due := force || now.Sub(sh.touched) >= sh.ttl/10
	if due {
		sh.touched = now // one touch at a time; put back on failure
	}
	prev := sh.touched
	sh.mu.Unlock()
	if !due {
		return nil
	}
	ctx, cancel := sh.c.ctx()
	defer cancel()
	err := sh.c.sessions.Touch(ctx, sh.sess.id, sh.ttl)
	if err != nil && !errors.Is(err, ErrSessionNotFound) {
		sh.mu.Lock()
		if sh.touched == prev {
			sh.touched = time.Time{} // try again at the next request
		}
		sh.mu.Unlock()
	}
	return err
}

// record returns the session's record as this copy knows it.
func (sh *sharedSession) record() map[string][]byte {
	s := sh.sess
	s.mu.Lock()
	defer s.mu.Unlock()
	f := map[string][]byte{
		fieldPrincipal: []byte(principalOf(s.lastAuth)),
		fieldCreated:   strconv.AppendInt(nil, s.created.UnixMilli(), 10),
	}
	if sh.legacy != "" {
		f[fieldLegacy] = []byte(sh.legacy)
		return f
	}
	f[fieldVersion] = []byte(s.version.String())
	f[fieldInfo], _ = json.Marshal(s.clientInfo)
	f[fieldCaps], _ = json.Marshal(s.clientCaps)
	if s.logLevel != "" {
		f[fieldLevel] = []byte(s.logLevel)
	}
	if s.notified {
		f[fieldNotified] = []byte("1")
	}
	if s.roots != nil {
		f[fieldRoots], _ = json.Marshal(s.roots)
	}
	for uri := range s.subs {
		f[fieldSubPrefix+uri] = []byte("1")
	}
	if sh.holder != "" {
		f[fieldGet] = []byte(sh.holder)
	}
	return f
}

// restore writes the record back when the store lost it (it restarted
// empty), so that the session goes on on every replica.
func (sh *sharedSession) restore() {
	err := sh.touch(true)
	if !errors.Is(err, ErrSessionNotFound) {
		return
	}
	ctx, cancel := sh.c.ctx()
	defer cancel()
	if err := sh.c.sessions.Create(ctx, sh.sess.id, sh.record(), sh.ttl); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: writing back a session record failed", "session", sh.sess.id, "error", err)
		return
	}
	sh.c.srv.logger.Info("fastmcp: cluster: wrote back a session record the store had lost", "session", sh.sess.id)
}

// loadRecord sets up a copy of a session from its record.
func (sh *sharedSession) loadRecord(f map[string][]byte) error {
	s := sh.sess
	v := parseProtocolVersion(string(f[fieldVersion]))
	if v == vUnknown {
		return fmt.Errorf("fastmcp: session record without a protocol version")
	}
	var info Implementation
	var caps ClientCapabilities
	var roots []Root
	if err := json.Unmarshal(f[fieldInfo], &info); err != nil {
		return fmt.Errorf("fastmcp: session record: client info: %w", err)
	}
	if err := json.Unmarshal(f[fieldCaps], &caps); err != nil {
		return fmt.Errorf("fastmcp: session record: capabilities: %w", err)
	}
	if raw := f[fieldRoots]; raw != nil {
		if err := json.Unmarshal(raw, &roots); err != nil {
			return fmt.Errorf("fastmcp: session record: roots: %w", err)
		}
	}
	s.mu.Lock()
	s.version, s.clientInfo, s.clientCaps = v, info, caps
	s.logLevel = LoggingLevel(f[fieldLevel])
	s.initialized = true
	s.notified = string(f[fieldNotified]) == "1"
	s.ready = s.notified && (roots != nil || s.srv.opts.DisableRoots || caps.Roots == nil)
	s.readyDone = true
	s.roots = roots
	if ms, err := strconv.ParseInt(string(f[fieldCreated]), 10, 64); err == nil {
		s.created = time.UnixMilli(ms)
	}
	for k := range f {
		if uri, ok := strings.CutPrefix(k, fieldSubPrefix); ok {
			if s.subs == nil {
				s.subs = map[string]struct{}{}
			}
			s.subs[uri] = struct{}{}
		}
	}
	s.mu.Unlock()
	sh.mu.Lock()
	sh.touched = time.Now() // the record was just read: it lives
	sh.mu.Unlock()
	sh.setHolder(string(f[fieldGet]))
	return nil
}

// endEverywhere removes the session's record and state, and tells the other
// replicas to end their copies.
func (sh *sharedSession) endEverywhere(cause error) {
	ctx, cancel := sh.c.ctx()
	defer cancel()
	id := sh.sess.id
	if _, err := sh.c.sessions.Delete(ctx, id); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: deleting a session record failed", "session", id, "error", err)
	}
	if err := sh.c.srv.stateStore.Clear(ctx, id); err != nil {
		sh.c.srv.logger.Warn("fastmcp: clearing session state failed", "session", id, "error", err)
	}
	if err := sh.c.publish(ctx, broadcastTopic(), &envelope{T: "ended", S: id, F: causeName(cause)}); err != nil {
		sh.c.srv.logger.Warn("fastmcp: cluster: broadcasting the end of a session failed", "session", id, "error", err)
	}
}

// endsEverywhere reports whether a session ended for cause ends on every
// replica: its client or the server ended it. The other causes (idle here,
// shutdown of this replica, room made here, ended elsewhere) end only this
// replica's copy.
func endsEverywhere(cause error) bool {
	switch cause {
	case ErrSessionDeleted, ErrSessionClosedByServer, ErrSessionPingFailed, ErrSessionStreamLost:
		return true
	}
	return false
}

// healthy reports the store's health for the readiness endpoint: nil
// without a Store.Health.
func (s *Server) storeHealth(ctx context.Context) error {
	if s.opts.Store == nil || s.opts.Store.Health == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	return s.opts.Store.Health(ctx)
}
