package redisstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// task returns a queued task of ann kept for ttl.
func task(id string, ttl time.Duration) *fastmcp.TaskRecord {
	now := time.Now()
	return &fastmcp.TaskRecord{ID: id, Principal: "ann", Status: fastmcp.TaskWorking, CreatedAt: now, UpdatedAt: now,
		TTL: ttl, ExpiresAt: now.Add(ttl), PollInterval: time.Second, Run: []byte(`{"tool":"t"}`)}
}

// Redis stopped, then hung: every method of the task store fails with
// ErrUnavailable (and fastmcp.ErrStoreUnavailable) instead of hanging, and
// works again once Redis is back.
func TestTaskStoreUnavailable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := redisstore.NewTaskStore(faultClient(t, srv.Addr), redisstore.Options{})
	var n int
	ops := []op{
		{"Create", func(ctx context.Context) error { n++; return st.Create(ctx, task(fmt.Sprint("t", n), time.Hour)) }},
		{"Get", func(ctx context.Context) error { _, err := st.Get(ctx, "nope"); return noTaskNotFound(err) }},
		{"Update", func(ctx context.Context) error {
			_, err := st.Update(ctx, "nope", "w", fastmcp.TaskUpdate{Status: fastmcp.TaskWorking})
			return noTaskNotFound(err)
		}},
		{"Answer", func(ctx context.Context) error {
			_, _, err := st.Answer(ctx, "nope", nil, "", time.Minute)
			return noTaskNotFound(err)
		}},
		{"Cancel", func(ctx context.Context) error { _, err := st.Cancel(ctx, "nope"); return noTaskNotFound(err) }},
		{"Claim", func(ctx context.Context) error { _, err := st.Claim(ctx, "w", time.Minute); return err }},
		{"Renew", func(ctx context.Context) error {
			_, _, err := st.Renew(ctx, "w", []string{"nope"}, time.Minute)
			return err
		}},
		{"Reap", func(ctx context.Context) error { _, err := st.Reap(ctx, "", time.Minute); return err }},
	}
	works := func(phase string) {
		t.Helper()
		for _, op := range ops {
			// Claim takes the task Create queued.
			testkit.Eventually(t, phase+": "+op.name+" to work", func() bool { return bounded(t, op.name, op.f) == nil })
		}
	}
	fails := func(phase string) {
		t.Helper()
		for _, op := range ops {
			err := bounded(t, op.name, op.f)
			if !errors.Is(err, redisstore.ErrUnavailable) || !errors.Is(err, fastmcp.ErrStoreUnavailable) {
				t.Errorf("%s: %s: %v, want ErrUnavailable and fastmcp.ErrStoreUnavailable", phase, op.name, err)
			}
		}
	}
	works("at first")
	srv.Stop()
	fails("stopped")
	srv.Restart(t)
	works("restarted")
	srv.Pause(t)
	fails("paused")
	srv.Resume(t)
	works("resumed")
}

func noTaskNotFound(err error) error {
	if errors.Is(err, fastmcp.ErrTaskNotFound) {
		return nil
	}
	return err
}

// Tasks of every kind (queued, leased, waiting with answers, ended) leave
// nothing in Redis once they expired: the task keys expire with each task,
// the indexes with the last one.
func TestTaskKeysExpire(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	st := redisstore.NewTaskStore(client(t, srv.Addr), redisstore.Options{})
	ctx := testkit.Context(t)
	const ttl = 200 * time.Millisecond
	for i := range 20 {
		rec := task(fmt.Sprint("t", i), ttl)
		if i%2 == 1 {
			rec.Worker, rec.LeaseExpires = "w", time.Now().Add(ttl)
		}
		if err := st.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			continue
		}
		id := rec.ID
		switch i % 4 {
		case 1: // waiting, partly answered
			if _, err := st.Update(ctx, id, "w", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired,
				InputRequests: map[string]json.RawMessage{"a": json.RawMessage(`1`), "b": json.RawMessage(`2`)}}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.Answer(ctx, id, map[string]json.RawMessage{"a": json.RawMessage(`"x"`)}, "", ttl); err != nil {
				t.Fatal(err)
			}
		case 3: // ended
			if _, err := st.Update(ctx, id, "w", fastmcp.TaskUpdate{Status: fastmcp.TaskCompleted, Result: json.RawMessage(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := srv.DBSize(t); n == 0 {
		t.Fatal("no keys after creating tasks")
	}
	testkit.Eventually(t, "every key of the expired tasks to be gone", func() bool { return srv.DBSize(t) == 0 })
	// The store works again from empty.
	if err := st.Create(ctx, task("again", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "again"); err != nil {
		t.Fatal(err)
	}
}

// Every method is one round trip in steady state (its script loaded).
func TestTaskRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	c := client(t, srv.Addr)
	rt := &roundTrips{}
	c.AddHook(rt)
	st := redisstore.NewTaskStore(c, redisstore.Options{})
	ctx := testkit.Context(t)
	ids := 0
	next := func() string { ids++; return fmt.Sprint("t", ids) }
	waiting := func() string {
		id := next()
		rec := task(id, time.Hour)
		rec.Worker, rec.LeaseExpires = "w", time.Now().Add(time.Hour)
		st.Create(ctx, rec)
		st.Update(ctx, id, "w", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, InputRequests: map[string]json.RawMessage{"k": json.RawMessage(`{}`)}})
		return id
	}
	for _, tc := range []struct {
		name  string
		setup func() string
		op    func(id string) error
	}{
		{"Create", next, func(id string) error { return st.Create(ctx, task(id, time.Hour)) }},
		{"Claim", func() string { id := next(); st.Create(ctx, task(id, time.Hour)); return id },
			func(string) error { _, err := st.Claim(ctx, "w", time.Hour); return err }},
		{"Get", func() string { return "t1" }, func(id string) error { _, err := st.Get(ctx, id); return err }},
		{"Update", func() string { return "t1" }, func(id string) error {
			_, err := st.Update(ctx, id, "w", fastmcp.TaskUpdate{Status: fastmcp.TaskWorking, StatusMessage: "m" + id})
			return err
		}},
		{"Renew", func() string { return "t1" }, func(id string) error { _, _, err := st.Renew(ctx, "w", []string{id}, time.Hour); return err }},
		{"Answer", waiting, func(id string) error {
			_, _, err := st.Answer(ctx, id, map[string]json.RawMessage{"k": json.RawMessage(`1`)}, "w", time.Hour)
			return err
		}},
		{"Cancel", func() string { id := next(); st.Create(ctx, task(id, time.Hour)); return id },
			func(id string) error { _, err := st.Cancel(ctx, id); return err }},
		{"Reap", func() string { return "" }, func(string) error { _, err := st.Reap(ctx, "", time.Hour); return err }},
	} {
		// Once to load the script, then measured.
		if err := tc.op(tc.setup()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		id := tc.setup()
		srv.ResetStats(t)
		before := rt.n.Load()
		if err := tc.op(id); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n := rt.n.Load() - before; n != 1 {
			t.Errorf("%s: %d round trips, want 1", tc.name, n)
		}
		var cmds int64
		for name, n := range srv.CommandStats(t) {
			if name != "config|resetstat" && name != "evalsha" {
				cmds += n
			}
		}
		t.Logf("%s: 1 round trip, %d Redis commands in its script", tc.name, cmds)
	}
}

// A worker that vanishes: it claimed a task and its client is gone. Once
// its lease lapsed, another replica's Reap fails the task with the message
// FastMCP gives, or queues it again when it may run again.
func TestTaskWorkerVanishes(t *testing.T) {
	t.Parallel()
	s := server(t)
	opts := redisstore.Options{Prefix: prefix()}
	dying := client(t, s.Addr)
	gone := redisstore.NewTaskStore(dying, opts)
	alive := redisstore.NewTaskStore(client(t, s.Addr), opts)
	ctx := testkit.Context(t)
	once := task("once", time.Hour)
	again := task("again", time.Hour)
	again.MaxReruns = 1
	for _, rec := range []*fastmcp.TaskRecord{once, again} {
		if err := alive.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	lease := map[string]time.Time{}
	for range 2 {
		rec, err := gone.Claim(ctx, "dead", 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		lease[rec.ID] = rec.LeaseExpires
	}
	dying.Close()
	var reaped []*fastmcp.TaskRecord
	testkit.Eventually(t, "the vanished worker's tasks to be reaped", func() bool {
		recs, err := alive.Reap(ctx, "", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		reaped = append(reaped, recs...)
		return len(reaped) == 2
	})
	for _, r := range reaped {
		at := lease[r.ID].UTC().Format(time.RFC3339)
		switch r.ID {
		case "once":
			want := "The worker running the task stopped before the task ended (its lease lapsed at " + at + ")."
			if r.Status != fastmcp.TaskFailed || r.StatusMessage != want || !strings.Contains(string(r.Error), "-32603") {
				t.Errorf("failed: %+v, want message %q", r, want)
			}
		case "again":
			want := "The worker running the task stopped (its lease lapsed at " + at + "); the task runs again (rerun 1 of 1)."
			if r.Status != fastmcp.TaskWorking || r.StatusMessage != want || r.Reruns != 1 {
				t.Errorf("rerun: %+v, want message %q", r, want)
			}
		}
	}
	rec, err := alive.Claim(ctx, "w2", time.Minute)
	if err != nil || rec.ID != "again" {
		t.Fatalf("the rerun claimed: %+v %v", rec, err)
	}
}

// Many workers on several replicas claim concurrently while tasks are
// created: each task is claimed once, and Claims blocked waiting are woken
// by the tasks queued (through pub/sub), not by the poll.
func TestTaskClaimConcurrent(t *testing.T) {
	t.Parallel()
	s := server(t)
	opts := redisstore.Options{Prefix: prefix(), TaskClaimPoll: time.Hour}
	var stores []fastmcp.TaskStore
	for range 4 {
		stores = append(stores, redisstore.NewTaskStore(client(t, s.Addr), opts))
	}
	ctx := testkit.Context(t)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const tasks, workers = 1000, 64
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		st := stores[w%len(stores)]
		wg.Go(func() {
			for {
				rec, err := st.Claim(cctx, fmt.Sprint("w", w), time.Minute)
				if err != nil {
					if cctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				claims[rec.ID]++
				done := len(claims) == tasks
				mu.Unlock()
				if done {
					cancel()
				}
			}
		})
	}
	for i := range tasks {
		if err := stores[i%len(stores)].Create(ctx, task(fmt.Sprint("t", i), time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if len(claims) != tasks {
		t.Fatalf("%d of %d tasks claimed (the poll is an hour: the claims were not woken)", len(claims), tasks)
	}
	for id, n := range claims {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}

// 10,000 short tasks created, claimed and completed through 4 replicas: all
// complete, and every key is gone once their TTL passed. FASTMCP_LONG=1.
func TestTasksTenThousand(t *testing.T) {
	if os.Getenv("FASTMCP_LONG") != "1" {
		t.Skip("set FASTMCP_LONG=1 to run")
	}
	t.Parallel()
	srv := redistest.Start(t)
	var stores []fastmcp.TaskStore
	for range 4 {
		stores = append(stores, redisstore.NewTaskStore(client(t, srv.Addr), redisstore.Options{}))
	}
	ctx := testkit.Context(t)
	const tasks, ttl = 10_000, 5 * time.Second
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	completed := 0
	var wg sync.WaitGroup
	for w := range 64 {
		st := stores[w%4]
		worker := fmt.Sprint("w", w)
		wg.Go(func() {
			for {
				rec, err := st.Claim(cctx, worker, time.Minute)
				if err != nil {
					return
				}
				got, err := st.Update(ctx, rec.ID, worker, fastmcp.TaskUpdate{Status: fastmcp.TaskCompleted, Result: json.RawMessage(`{"content":[]}`)})
				if err != nil || got.Status != fastmcp.TaskCompleted {
					t.Errorf("%+v %v", got, err)
					return
				}
				mu.Lock()
				completed++
				if completed == tasks {
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	var cw sync.WaitGroup
	for c := range 16 {
		cw.Go(func() {
			for i := c; i < tasks; i += 16 {
				if err := stores[i%4].Create(ctx, task(fmt.Sprint("t", i), ttl)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	cw.Wait()
	wg.Wait()
	if completed != tasks {
		t.Fatalf("%d of %d tasks completed", completed, tasks)
	}
	testkit.Eventually(t, "every key to be gone after the TTL", func() bool { return srv.DBSize(t) == 0 })
}

// Two replicas serving over HTTP share the Redis task store and queue: a
// task created through A is run by a worker, polled and cancelled through
// B; a task created through B completes and is read through A.
func TestTasksAcrossReplicas(t *testing.T) {
	t.Parallel()
	s := server(t)
	opts := redisstore.Options{Prefix: prefix()}
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	replica := func() (*fastmcp.Server, string) {
		c := client(t, s.Addr)
		srv := testkit.NewServer(t, fastmcp.Options{
			Secret: []byte(strings.Repeat("s", 32)),
			Store:  redisstore.New(c, opts),
			Tasks:  fastmcp.TaskOptions{Store: redisstore.NewTaskStore(c, opts), Queue: true, Lease: 3 * time.Second},
			Authenticate: fastmcp.AuthFunc[string](func(r *http.Request) (string, error) {
				if r == nil {
					return "", nil
				}
				return r.Header.Get("X-User"), nil
			}),
		})
		fastmcp.AddTool(srv, fastmcp.Tool{Name: "gate", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 2, Message: "step 1"})
			started <- struct{}{}
			<-ctx.Done()
			ended <- ctx.Err()
			return "", ctx.Err()
		})
		fastmcp.AddTool(srv, fastmcp.Tool{Name: "quick", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, a struct {
			N int `json:"n"`
		}) (string, error) {
			user, _ := fastmcp.AuthFrom[string](ctx)
			return fmt.Sprintf("quick %d for %s", a.N, user), nil
		})
		fastmcp.AddTool(srv, fastmcp.Tool{Name: "ask", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Name?", RequestedSchema: map[string]any{
				"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("hello %v (%s)", res.Content["name"], res.Action), nil
		})
		return srv, testkit.ServeHTTP(t, srv, fastmcp.HTTP{}).Endpoint
	}
	srvA, a := replica()
	_, b := replica()
	// A runs the workers; B only serves.
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srvA.RunTaskWorker(wctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	hc := testkit.HTTPClient(t)

	id := rpcTask(t, hc, a, "tools/call", map[string]any{"name": "gate", "arguments": map[string]any{}}).TaskID
	select {
	case <-started:
	case <-time.After(testkit.Wait):
		t.Fatal("the task did not start")
	}
	got := awaitTask(t, hc, b, id, func(k rpcTaskResult) bool { return k.StatusMessage == "step 1" })
	if got.Status != "working" {
		t.Fatalf("polled through B: %+v", got)
	}
	rpcTask(t, hc, b, "tasks/cancel", map[string]any{"taskId": id})
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the handler ended with %v", err)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("the handler was not cancelled")
	}
	if got := awaitTask(t, hc, b, id, func(k rpcTaskResult) bool { return k.Status == "cancelled" }); got.Status != "cancelled" {
		t.Errorf("after cancel through B: %+v", got)
	}

	id = rpcTask(t, hc, b, "tools/call", map[string]any{"name": "quick", "arguments": map[string]any{"n": 7}}).TaskID
	got = awaitTask(t, hc, a, id, func(k rpcTaskResult) bool { return k.Status == "completed" })
	if !strings.Contains(string(got.Result), "quick 7 for ann") {
		t.Errorf("created through B, read through A: %+v %s", got, got.Result)
	}
	// Input asked by the worker, answered through B, the result read
	// through A.
	id = rpcTask(t, hc, a, "tools/call", map[string]any{"name": "ask", "arguments": map[string]any{}}).TaskID
	if got := awaitTask(t, hc, b, id, func(k rpcTaskResult) bool { return k.Status == "input_required" }); got.Status != "input_required" {
		t.Fatalf("waiting for input, polled through B: %+v", got)
	}
	rpcTask(t, hc, b, "tasks/update", map[string]any{"taskId": id, "inputResponses": map[string]any{
		"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{"name": "Ada"}}}})
	got = awaitTask(t, hc, a, id, func(k rpcTaskResult) bool { return k.Status == "completed" })
	if !strings.Contains(string(got.Result), "hello Ada (accept)") {
		t.Errorf("answered through B, read through A: %+v %s", got, got.Result)
	}
	// Another principal does not see it.
	if _, err := rpcCall(hc, a, "bob", "tasks/get", map[string]any{"taskId": id}); err == nil {
		t.Error("another principal's tasks/get succeeded")
	}
}

type rpcTaskResult struct {
	ResultType    string          `json:"resultType"`
	TaskID        string          `json:"taskId"`
	Status        string          `json:"status"`
	StatusMessage string          `json:"statusMessage"`
	Result        json.RawMessage `json:"result"`
}

func awaitTask(t *testing.T, hc *http.Client, url, id string, cond func(rpcTaskResult) bool) rpcTaskResult {
	t.Helper()
	var k rpcTaskResult
	testkit.Eventually(t, "task "+id+" to reach the state wanted", func() bool {
		k = rpcTask(t, hc, url, "tasks/get", map[string]any{"taskId": id})
		return cond(k) || k.Status == "completed" || k.Status == "failed" || k.Status == "cancelled"
	})
	return k
}

func rpcTask(t *testing.T, hc *http.Client, url, method string, params map[string]any) rpcTaskResult {
	t.Helper()
	res, err := rpcCall(hc, url, "ann", method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	var k rpcTaskResult
	if err := json.Unmarshal(res, &k); err != nil {
		t.Fatalf("%s: %s: %v", method, res, err)
	}
	return k
}

// rpcCall sends one request of the 2026-07-28 revision, declaring the tasks
// extension, as user, and returns its result.
func rpcCall(hc *http.Client, url, user, method string, params map[string]any) (json.RawMessage, error) {
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    fastmcp.ProtocolVersion20260728,
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "redis-test", "version": "1.0.0"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}, "extensions": map[string]any{fastmcp.TasksExtension: map[string]any{}}},
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
	h.Set("Mcp-Method", method)
	h.Set("X-User", user)
	if n, ok := params["name"].(string); ok {
		h.Set("Mcp-Name", n)
	}
	if n, ok := params["taskId"].(string); ok {
		h.Set("Mcp-Name", n)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var msg []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok && strings.Contains(d, `"id":1`) {
				msg = []byte(d)
			}
		}
	} else {
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		msg = buf.Bytes()
	}
	var m struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, fmt.Errorf("status %d: %q: %v", resp.StatusCode, msg, err)
	}
	if m.Error != nil {
		return nil, fmt.Errorf("status %d: error %s", resp.StatusCode, m.Error)
	}
	return m.Result, nil
}

// Tasks that expired while queued, with no worker to pop them, do not grow
// the queue without bound: Create keeps it to the tasks still queued.
func TestTaskQueueBounded(t *testing.T) {
	t.Parallel()
	s := server(t)
	p := prefix()
	st := redisstore.NewTaskStore(client(t, s.Addr), redisstore.Options{Prefix: p})
	ctx := testkit.Context(t)
	for i := range 500 {
		if err := st.Create(ctx, task(fmt.Sprint("old", i), 100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, "the queued tasks to expire", func() bool {
		_, err := st.Get(ctx, "old499")
		return errors.Is(err, fastmcp.ErrTaskNotFound)
	})
	for i := range 100 {
		if err := st.Create(ctx, task(fmt.Sprint("t", i), time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Must(t, "LLEN", p+"{tasks}:q").(int64); n > 100 {
		t.Errorf("the queue holds %d ids for 100 queued tasks", n)
	}
	for i := range 100 {
		rec, err := st.Claim(ctx, "w", time.Minute)
		if err != nil || rec.ID != fmt.Sprint("t", i) {
			t.Fatalf("claim %d: %+v %v", i, rec, err)
		}
	}
}

// Waiting Claims hold none of the client's pool, and one pub/sub
// connection per store, however many wait; none once no Claim waits.
func TestTaskClaimSubscription(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := client(t, srv.Addr)
	st := redisstore.NewTaskStore(c, redisstore.Options{})
	subscribed := func() int { return countLines(srv.Must(t, "CLIENT", "LIST").(string), " sub=1 ") }
	ctx, cancel := context.WithCancel(testkit.Context(t))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := st.Claim(ctx, "w", time.Minute); !errors.Is(err, context.Canceled) {
				t.Errorf("Claim: %v", err)
			}
		})
	}
	testkit.Eventually(t, "the waiting Claims to subscribe", func() bool { return subscribed() == 1 })
	// Waiting, they hold none of the pool's connections (once each has
	// had the answer of its last look at the queue).
	testkit.Eventually(t, "the waiting Claims to hold no pool connection", func() bool {
		ps := c.PoolStats()
		return ps.IdleConns == ps.TotalConns
	})
	cancel()
	wg.Wait()
	testkit.Eventually(t, "the subscription to end", func() bool { return subscribed() == 0 })
}

// Claim skips the ids of tasks cancelled while queued, however many come
// first (a script skips at most 100, then Claim runs it again).
func TestTaskClaimSkipsCancelled(t *testing.T) {
	t.Parallel()
	st := redisstore.NewTaskStore(client(t, server(t).Addr), redisstore.Options{Prefix: prefix()})
	ctx := testkit.Context(t)
	for i := range 250 {
		id := fmt.Sprint("t", i)
		if err := st.Create(ctx, task(id, time.Hour)); err != nil {
			t.Fatal(err)
		}
		if i < 249 {
			if _, err := st.Cancel(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec, err := st.Claim(ctx, "w", time.Minute)
	if err != nil || rec.ID != "t249" {
		t.Fatalf("Claim: %+v %v, want t249", rec, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if rec, err := st.Claim(cctx, "w", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Claim of an empty queue: %+v %v", rec, err)
	}
}

// A server's task workers all Claim at once (256 by default), and keep
// claiming while tasks are queued: the claims must leave the client's pool
// to the requests the server serves meanwhile, here a pool of 8 connections
// with a 10 ms wait.
func TestTaskClaimsLeaveThePool(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 8, PoolTimeout: 10 * time.Millisecond, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	st := redisstore.NewTaskStore(c, redisstore.Options{})
	for i := range 2000 {
		if err := st.Create(testkit.Context(t), task(fmt.Sprint("t", i), time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(testkit.Context(t))
	var wg sync.WaitGroup
	for i := range 256 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := st.Claim(ctx, fmt.Sprint("w", i), time.Minute); err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("Claim: %v", err)
					return
				}
			}
		})
	}
	for i := range 200 {
		if _, err := st.Get(ctx, fmt.Sprint("nope", i)); !errors.Is(err, fastmcp.ErrTaskNotFound) {
			t.Fatalf("Get %d while 256 workers claim: %v", i, err)
		}
	}
	cancel()
	wg.Wait()
}
