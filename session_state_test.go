package fastmcp_test

// Tests of per-session state (Session.State, Context.State, StateValue, the
// memory StateStore) and per-session tool metrics.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// stPrefs is a typed state value.
type stPrefs struct {
	Theme string   `json:"theme"`
	Langs []string `json:"langs"`
}

// stKVArgs drive the kv tool.
type stKVArgs struct {
	Op    string          `json:"op" enum:"set,get,delete,incr,setPrefs,getPrefs"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value,omitempty"`
	TTLMs int             `json:"ttlMs,omitempty"`
	Delta int64           `json:"delta,omitempty"`
}

// stAddKV registers a tool "kv" that runs one state operation.
func stAddKV(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "kv"}, func(ctx *fastmcp.Context, a stKVArgs) (map[string]any, error) {
		st := ctx.State()
		if st == nil {
			return nil, fastmcp.NewUserError("no session state")
		}
		ttl := time.Duration(a.TTLMs) * time.Millisecond
		switch a.Op {
		case "set":
			var v any
			if err := json.Unmarshal(a.Value, &v); err != nil {
				return nil, err
			}
			return map[string]any{"ok": true}, st.Set(ctx, a.Key, v, ttl)
		case "get":
			var v any
			found, err := st.Get(ctx, a.Key, &v)
			return map[string]any{"found": found, "value": v}, err
		case "delete":
			return map[string]any{"ok": true}, st.Delete(ctx, a.Key)
		case "incr":
			n, err := st.Incr(ctx, a.Key, a.Delta)
			if err != nil {
				return nil, fastmcp.NewUserError(err.Error())
			}
			return map[string]any{"value": n}, nil
		case "setPrefs":
			return map[string]any{"ok": true}, st.Set(ctx, a.Key, stPrefs{Theme: "dark", Langs: []string{"go", "ts"}}, ttl)
		case "getPrefs":
			p, found, err := fastmcp.StateValue[stPrefs](ctx, st, a.Key)
			if err != nil {
				return nil, fastmcp.NewUserError(err.Error())
			}
			return map[string]any{"found": found, "theme": p.Theme, "langs": p.Langs}, nil
		}
		return nil, fastmcp.UserErrorf("unknown op %q", a.Op)
	})
}

// stKV runs a kv operation in-process and returns its structured result.
func stKV(t testing.TB, c *fastmcptest.Client, args map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(testkit.CallText(t, c, "kv", args, false)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStateOperations(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	stAddKV(s)
	c := testkit.Connect(t, s, nil)
	check := func(args map[string]any, want map[string]any) {
		t.Helper()
		if diff := testdiff.Diff(want, stKV(t, c, args)); diff != "" {
			t.Errorf("kv %v (-want +got):\n%s", args, diff)
		}
	}
	check(map[string]any{"op": "get", "key": "a"}, map[string]any{"found": false, "value": nil})
	check(map[string]any{"op": "set", "key": "a", "value": map[string]any{"n": 1, "s": "x"}}, map[string]any{"ok": true})
	check(map[string]any{"op": "get", "key": "a"}, map[string]any{"found": true, "value": map[string]any{"n": 1.0, "s": "x"}})
	check(map[string]any{"op": "set", "key": "a", "value": "replaced"}, map[string]any{"ok": true})
	check(map[string]any{"op": "get", "key": "a"}, map[string]any{"found": true, "value": "replaced"})
	check(map[string]any{"op": "delete", "key": "a"}, map[string]any{"ok": true})
	check(map[string]any{"op": "get", "key": "a"}, map[string]any{"found": false, "value": nil})
	check(map[string]any{"op": "delete", "key": "never"}, map[string]any{"ok": true})
	check(map[string]any{"op": "incr", "key": "n", "delta": 1}, map[string]any{"value": 1.0})
	check(map[string]any{"op": "incr", "key": "n", "delta": 41}, map[string]any{"value": 42.0})
	check(map[string]any{"op": "incr", "key": "n", "delta": -50}, map[string]any{"value": -8.0})
	check(map[string]any{"op": "get", "key": "n"}, map[string]any{"found": true, "value": -8.0})
	check(map[string]any{"op": "setPrefs", "key": "p"}, map[string]any{"ok": true})
	check(map[string]any{"op": "getPrefs", "key": "p"}, map[string]any{"found": true, "theme": "dark", "langs": []any{"go", "ts"}})
	check(map[string]any{"op": "getPrefs", "key": "missing"}, map[string]any{"found": false, "theme": "", "langs": nil})
	// Incr on a value that is not an integer, StateValue of the wrong type.
	check(map[string]any{"op": "set", "key": "s", "value": "text"}, map[string]any{"ok": true})
	if got := testkit.CallText(t, c, "kv", map[string]any{"op": "incr", "key": "s", "delta": 1}, true); !strings.Contains(got, "integer") {
		t.Errorf("incr of a string: %q", got)
	}
	if got := testkit.CallText(t, c, "kv", map[string]any{"op": "getPrefs", "key": "n"}, true); !strings.Contains(got, `"n"`) {
		t.Errorf("StateValue of the wrong type: %q", got)
	}
}

func TestStateTTL(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	stAddKV(s)
	c := testkit.Connect(t, s, nil)
	stKV(t, c, map[string]any{"op": "set", "key": "short", "value": 1, "ttlMs": 40})
	stKV(t, c, map[string]any{"op": "set", "key": "long", "value": 2, "ttlMs": 3_600_000})
	stKV(t, c, map[string]any{"op": "set", "key": "forever", "value": 3})
	if got := stKV(t, c, map[string]any{"op": "get", "key": "long"}); got["found"] != true {
		t.Errorf("a key with a one-hour TTL is gone: %v", got)
	}
	// Wait for the short key to expire (polling, bounded).
	deadline := time.Now().Add(testkit.Wait)
	for {
		got := stKV(t, c, map[string]any{"op": "get", "key": "short"})
		if got["found"] == false {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a key with a 40ms TTL is still there after %v", testkit.Wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, k := range []string{"long", "forever"} {
		if got := stKV(t, c, map[string]any{"op": "get", "key": k}); got["found"] != true {
			t.Errorf("%s expired with the short key: %v", k, got)
		}
	}
}

func TestMemoryStateStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := fastmcp.NewMemoryStateStore()
	if _, ok, err := st.Get(ctx, "s", "k"); ok || err != nil {
		t.Errorf("Get on an empty store: %v %v", ok, err)
	}
	buf := []byte(`"v"`)
	st.Set(ctx, "s", "k", buf, 0)
	buf[1] = 'X' // the store keeps its own copy
	got, ok, _ := st.Get(ctx, "s", "k")
	if !ok || string(got) != `"v"` {
		t.Errorf("Get = %s %v, want the value as set", got, ok)
	}
	got[1] = 'Y' // and hands out copies
	if again, _, _ := st.Get(ctx, "s", "k"); string(again) != `"v"` {
		t.Errorf("mutating a Get result changed the store: %s", again)
	}
	// Scopes are separate.
	if _, ok, _ := st.Get(ctx, "other", "k"); ok {
		t.Error("a key leaked across scopes")
	}
	// Add: absent counts as 0; a TTL is set when Add creates the key.
	if n, err := st.Add(ctx, "s", "n", 5, 30*time.Millisecond); n != 5 || err != nil {
		t.Errorf("Add = %d %v", n, err)
	}
	if n, _ := st.Add(ctx, "s", "n", 2, 0); n != 7 {
		t.Errorf("Add = %d, want 7", n)
	}
	deadline := time.Now().Add(testkit.Wait)
	for {
		if _, ok, _ := st.Get(ctx, "s", "n"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the counter created with a 30ms TTL never expired")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n, _ := st.Add(ctx, "s", "n", 1, 0); n != 1 {
		t.Errorf("Add after expiry = %d, want 1 (restarts from 0)", n)
	}
	if _, err := st.Add(ctx, "s", "k", 1, 0); err == nil {
		t.Error("Add on a non-integer succeeded")
	}
	// Concurrent Adds are atomic.
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				st.Add(ctx, "c", "n", 1, 0)
			}
		}()
	}
	wg.Wait()
	if raw, _, _ := st.Get(ctx, "c", "n"); string(raw) != "5000" {
		t.Errorf("50x100 concurrent Adds: %s, want 5000", raw)
	}
	st.Clear(ctx, "s")
	for _, k := range []string{"k", "n"} {
		if _, ok, _ := st.Get(ctx, "s", k); ok {
			t.Errorf("%s survived Clear", k)
		}
	}
	if _, ok, _ := st.Get(ctx, "c", "n"); !ok {
		t.Error("Clear of one scope removed another's keys")
	}
}

// stRecordingStore is a StateStore that remembers every key written per
// scope, to check the store holds nothing for a session that ended.
type stRecordingStore struct {
	fastmcp.StateStore
	mu      sync.Mutex
	keys    map[string]map[string]bool
	cleared map[string]int
}

func newRecordingStore() *stRecordingStore {
	return &stRecordingStore{StateStore: fastmcp.NewMemoryStateStore(), keys: map[string]map[string]bool{}, cleared: map[string]int{}}
}

func (r *stRecordingStore) note(scope, key string) {
	r.mu.Lock()
	if r.keys[scope] == nil {
		r.keys[scope] = map[string]bool{}
	}
	r.keys[scope][key] = true
	r.mu.Unlock()
}

func (r *stRecordingStore) Set(ctx context.Context, scope, key string, v []byte, ttl time.Duration) error {
	r.note(scope, key)
	return r.StateStore.Set(ctx, scope, key, v, ttl)
}

func (r *stRecordingStore) Add(ctx context.Context, scope, key string, d int64, ttl time.Duration) (int64, error) {
	r.note(scope, key)
	return r.StateStore.Add(ctx, scope, key, d, ttl)
}

func (r *stRecordingStore) Clear(ctx context.Context, scope string) error {
	r.mu.Lock()
	r.cleared[scope]++
	r.mu.Unlock()
	return r.StateStore.Clear(ctx, scope)
}

// held returns the keys of the scope the store still holds.
func (r *stRecordingStore) held(scope string) []string {
	r.mu.Lock()
	keys := r.keys[scope]
	r.mu.Unlock()
	var out []string
	for k := range keys {
		if _, ok, _ := r.StateStore.Get(context.Background(), scope, k); ok {
			out = append(out, k)
		}
	}
	return out
}

func (r *stRecordingStore) scopes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

// State is released when the session ends, however it ends.
func TestStateClearedOnDisconnect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s *fastmcp.Server, rec *testkit.Recorder) string // returns the session id, ended
	}{
		{"stdio EOF", func(t *testing.T, s *fastmcp.Server, rec *testkit.Recorder) string {
			c := testkit.Connect(t, s, nil)
			stKV(t, c, map[string]any{"op": "set", "key": "a", "value": 1})
			stKV(t, c, map[string]any{"op": "incr", "key": "n", "delta": 3})
			sess := rec.WaitConnected(t, 1)
			sess.State().Set(context.Background(), "fromOutside", "x", time.Hour)
			c.Close()
			return sess.ID()
		}},
		{"stdio Session.Close", func(t *testing.T, s *fastmcp.Server, rec *testkit.Recorder) string {
			c := testkit.Connect(t, s, nil)
			stKV(t, c, map[string]any{"op": "set", "key": "a", "value": 1})
			sess := rec.WaitConnected(t, 1)
			sess.Close()
			return sess.ID()
		}},
		{"HTTP DELETE", func(t *testing.T, s *fastmcp.Server, rec *testkit.Recorder) string {
			srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
			c := ssNewRaw(t, nil, srv.Endpoint)
			c.initialize(fastmcp.ClientCapabilities{})
			c.call("tools/call", map[string]any{"name": "kv", "arguments": map[string]any{"op": "set", "key": "a", "value": 1}})
			c.call("tools/call", map[string]any{"name": "kv", "arguments": map[string]any{"op": "incr", "key": "n", "delta": 1}})
			c.delete()
			return c.sessionID()
		}},
		{"HTTP idle reap", func(t *testing.T, s *fastmcp.Server, rec *testkit.Recorder) string {
			// The open GET stream keeps the session from being reaped
			// until it closes.
			srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{SessionIdleTimeout: 300 * time.Millisecond})
			c := ssNewRaw(t, nil, srv.Endpoint)
			c.initialize(fastmcp.ClientCapabilities{})
			c.openGET()
			c.call("tools/call", map[string]any{"name": "kv", "arguments": map[string]any{"op": "set", "key": "a", "value": 1, "ttlMs": 3_600_000}})
			c.closeGET()
			return c.sessionID()
		}},
		{"HTTP shutdown", func(t *testing.T, s *fastmcp.Server, rec *testkit.Recorder) string {
			srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
			c := ssNewRaw(t, nil, srv.Endpoint)
			c.initialize(fastmcp.ClientCapabilities{})
			c.call("tools/call", map[string]any{"name": "kv", "arguments": map[string]any{"op": "set", "key": "a", "value": 1}})
			srv.Handler.Close()
			return c.sessionID()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newRecordingStore()
			s := testkit.NewServer(t, fastmcp.Options{StateStore: store})
			stAddKV(s)
			rec := testkit.Record(s)
			id := tc.run(t, s, rec)
			rec.Wait(t, id, "disconnect")
			if held := store.held(id); len(held) != 0 {
				t.Errorf("the store still holds %v for the ended session", held)
			}
			store.mu.Lock()
			n := store.cleared[id]
			store.mu.Unlock()
			if n != 1 {
				t.Errorf("Clear called %d times for the session, want once", n)
			}
		})
	}
}

// A handler still running when its session ends (it ignores cancellation for
// a moment, as cleanup code does) must not leave state behind.
func TestStateWrittenByHandlerAfterSessionEnd(t *testing.T) {
	t.Parallel()
	store := newRecordingStore()
	s := testkit.NewServer(t, fastmcp.Options{StateStore: store})
	started := make(chan struct{}, 1)
	proceed := make(chan struct{})
	wrote := make(chan error, 1)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "cleanup"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		started <- struct{}{}
		<-ctx.Done()
		<-proceed // the session has ended and OnDisconnect has run
		// Record that the operation was interrupted, in session state.
		wrote <- ctx.State().Set(context.Background(), "interrupted", true, 0)
		return "", ctx.Err()
	})
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := ssNewRaw(t, nil, srv.Endpoint)
	c.initialize(fastmcp.ClientCapabilities{})
	go func() {
		if resp, err := c.post(testkit.Encode(50, "tools/call", map[string]any{"name": "cleanup"})); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	<-started
	c.delete()
	rec.Wait(t, c.sessionID(), "disconnect")
	close(proceed)
	err := <-wrote
	if held := store.held(c.sessionID()); len(held) != 0 {
		t.Fatalf("regression: state written by a handler of a session that already ended stays in the store forever: %v (Set returned %v); "+
			"session.go close clears the store before in-flight handlers return, and State keeps writing to a closed session's scope", held, err)
	}
	if err != nil && !errors.Is(err, fastmcp.ErrSessionClosed) {
		t.Errorf("Set on an ended session: %v, want nil or ErrSessionClosed", err)
	}
}

func TestSessionMetrics(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var slowTook atomic.Int64
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ok"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "ok", nil })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "fail"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		return "", fastmcp.NewUserError("nope")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "crash"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { panic("crash") })
	fastmcp.AddTool(s, fastmcp.Tool{Name: "slow"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		t0 := time.Now()
		started <- struct{}{}
		<-release
		slowTook.Store(int64(time.Since(t0)))
		return "slow", nil
	})
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	sess := rec.WaitConnected(t, 1)
	if m := sess.Metrics(); m != (fastmcp.SessionMetrics{}) {
		t.Errorf("metrics of a new session: %+v", m)
	}
	t0 := time.Now()
	for range 3 {
		testkit.CallText(t, c, "ok", nil, false)
	}
	testkit.CallText(t, c, "fail", nil, true)
	testkit.CallText(t, c, "crash", nil, true)
	if _, err := c.CallTool(testkit.Context(t), "no-such-tool", nil); err == nil {
		t.Error("unknown tool accepted")
	}
	m := sess.Metrics()
	if m.ToolCalls != 5 || m.ToolErrors != 2 {
		t.Errorf("after 3 ok, 1 failed, 1 panicked: ToolCalls %d ToolErrors %d, want 5 and 2", m.ToolCalls, m.ToolErrors)
	}
	if m.TotalExecution <= 0 || m.LastCall.Before(t0) || m.LastCall.After(time.Now()) {
		t.Errorf("TotalExecution %v, LastCall %v (calls began %v)", m.TotalExecution, m.LastCall, t0)
	}
	if m.ActiveOperations != 0 {
		t.Errorf("ActiveOperations %d with nothing running", m.ActiveOperations)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.CallTool(testkit.Context(t), "slow", nil)
	}()
	<-started
	if got := sess.Metrics().ActiveOperations; got != 1 {
		t.Errorf("ActiveOperations %d while one tool runs", got)
	}
	before := sess.Metrics().TotalExecution
	time.Sleep(20 * time.Millisecond) // the slow tool's running time, not synchronization
	close(release)
	<-done
	m = sess.Metrics()
	if m.ToolCalls != 6 || m.ActiveOperations != 0 {
		t.Errorf("after the slow call: %+v", m)
	}
	if took := time.Duration(slowTook.Load()); m.TotalExecution-before < took {
		t.Errorf("TotalExecution grew by %v for a tool that ran %v", m.TotalExecution-before, took)
	}
	// Metrics are per session.
	c2 := testkit.Connect(t, s, nil)
	testkit.CallText(t, c2, "ok", nil, false)
	sess2 := rec.WaitConnected(t, 2)
	if m2 := sess2.Metrics(); m2.ToolCalls != 1 {
		t.Errorf("second session's metrics %+v", m2)
	}
	if sess.Metrics().ToolCalls != 6 {
		t.Error("another session's call counted in this one")
	}
}
