package fastmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Tests of the task engine in fake time (testing/synctest): leases, dead
// workers, TTLs, caps and slots. Requests go through the engine in process
// (serveOne) with a conn that stands for one authenticated client.

// tkConn is a 2026-07-28 client's connection in process.
type tkConn struct{ user any }

func (c *tkConn) info() connInfo                { return connInfo{transport: "test"} }
func (c *tkConn) session(bool) (*Session, bool) { return nil, true }
func (c *tkConn) auth() (any, error)            { return c.user, nil }
func (c *tkConn) validate(*request) *Error      { return nil }
func (c *tkConn) send([]byte) error             { return errNoChannel }
func (c *tkConn) async(f func()) bool           { f(); return true }
func (c *tkConn) resumable() bool               { return false }
func (c *tkConn) reply([]byte, answer)          {}

var tkNextID atomic.Int64

// tkCall sends one 2026-07-28 request declaring the tasks extension and
// returns its result, or its error.
func tkCall(s *Server, user any, method string, params map[string]any) (json.RawMessage, *Error) {
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{
		metaProtocolVersion:    ProtocolVersion20260728,
		metaClientCapabilities: map[string]any{"elicitation": map[string]any{}, "extensions": map[string]any{TasksExtension: map[string]any{}}},
	}
	raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": tkNextID.Add(1), "method": method, "params": params})
	var m jsonrpc.Message
	if err := jsonrpc.Decode(raw, &m); err != nil {
		panic(err)
	}
	c := &tkConn{user: user}
	out, _ := s.serveOne(context.Background(), c, new(c.info()), &m, nil, false)
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		panic(fmt.Sprintf("%v: %s", err, out))
	}
	return resp.Result, resp.Error
}

type tkRec struct {
	TaskID        string                     `json:"taskId"`
	InputRequests map[string]json.RawMessage `json:"inputRequests"`
	Status        TaskStatus                 `json:"status"`
	StatusMessage string                     `json:"statusMessage"`
	TTLMs         int64                      `json:"ttlMs"`
	Result        json.RawMessage            `json:"result"`
	Error         *Error                     `json:"error"`
}

func tkStart(t *testing.T, s *Server, user any, tool string) tkRec {
	t.Helper()
	raw, err := tkCall(s, user, "tools/call", map[string]any{"name": tool})
	var k tkRec
	if err != nil || json.Unmarshal(raw, &k) != nil || k.TaskID == "" {
		t.Fatalf("%s: %s %v", tool, raw, err)
	}
	return k
}

func tkGet(t *testing.T, s *Server, user any, id string) (tkRec, *Error) {
	t.Helper()
	raw, err := tkCall(s, user, "tasks/get", map[string]any{"taskId": id})
	var k tkRec
	if err == nil {
		json.Unmarshal(raw, &k)
	}
	return k, err
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestTaskWorkerDies: a worker takes a task and dies (it never renews its
// lease). Once the lease lapses the task fails, saying why, or, for an
// idempotent tool, runs again on a live worker; the dead worker's late word
// is refused.
func TestTaskWorkerDies(t *testing.T) {
	for _, idempotent := range []bool{false, true} {
		t.Run(fmt.Sprintf("idempotent=%v", idempotent), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const lease = 30 * time.Second
				store := NewMemoryTaskStore(MemoryTaskStoreOptions{})
				s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{Store: store, Queue: true, Lease: lease}})
				var runs atomic.Int32
				AddTool(s, Tool{Name: "job", Task: TaskRequired, Idempotent: idempotent}, func(ctx *Context, _ NoArgs) (string, error) {
					return fmt.Sprintf("run %d", runs.Add(1)), nil
				})
				k := tkStart(t, s, nil, "job")
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				doomed, err := store.Claim(ctx, "doomed-worker", lease)
				if err != nil || doomed.ID != k.TaskID {
					t.Fatalf("claim: %+v %v", doomed, err)
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					s.RunTaskWorker(ctx)
				}()

				time.Sleep(lease - time.Second)
				synctest.Wait()
				if got, _ := tkGet(t, s, nil, k.TaskID); got.Status != TaskWorking || runs.Load() != 0 {
					t.Fatalf("before the lease lapses: %+v, %d runs", got, runs.Load())
				}
				time.Sleep(lease) // the live worker's reaper ticks meanwhile
				synctest.Wait()
				got, gerr := tkGet(t, s, nil, k.TaskID)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if idempotent {
					if got.Status != TaskCompleted || runs.Load() != 1 || !strings.Contains(string(got.Result), "run 1") {
						t.Errorf("an idempotent task runs again: %+v, %d runs", got, runs.Load())
					}
				} else {
					if got.Status != TaskFailed || got.Error == nil || got.Error.Code != CodeInternalError ||
						!strings.Contains(got.Error.Message, "worker") || !strings.Contains(got.StatusMessage, "lease lapsed") || runs.Load() != 0 {
						t.Errorf("the task of a dead worker fails, saying why: %+v %+v, %d runs", got, got.Error, runs.Load())
					}
				}
				// The dead worker comes back: its word no longer counts.
				if _, err := store.Update(ctx, k.TaskID, "doomed-worker", TaskUpdate{Status: TaskCompleted, Result: json.RawMessage(`{}`)}); !errors.Is(err, ErrTaskLeaseLost) {
					t.Errorf("a late update from the dead worker: %v", err)
				}
				cancel()
				<-done
			})
		})
	}
}

// TestTaskDeadWorkerSeenByPoll: with no worker running, a client polling a
// task whose worker died sees it fail: it never stays working forever.
func TestTaskDeadWorkerSeenByPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := NewMemoryTaskStore(MemoryTaskStoreOptions{})
		s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{Store: store, Queue: true, DisableWorkers: true}})
		AddTool(s, Tool{Name: "job", Task: TaskRequired}, func(ctx *Context, _ NoArgs) (string, error) { return "ran", nil })
		k := tkStart(t, s, nil, "job")
		if _, err := store.Claim(context.Background(), "doomed", DefaultTaskLease); err != nil {
			t.Fatal(err)
		}
		time.Sleep(DefaultTaskLease + time.Millisecond)
		if got, _ := tkGet(t, s, nil, k.TaskID); got.Status != TaskFailed {
			t.Errorf("polled after the lease lapsed: %+v", got)
		}
	})
}

// TestTaskTTL: a task is kept exactly its TTL after it ended (never less),
// a running task outlives its TTL while its worker renews its lease, and the
// store's memory goes back to empty.
func TestTaskTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl = 10 * time.Minute
		store := NewMemoryTaskStore(MemoryTaskStoreOptions{})
		s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{Store: store, TTL: ttl}})
		AddTool(s, Tool{Name: "quick", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) { return "ok", nil })
		AddTool(s, Tool{Name: "long", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) {
			select {
			case <-time.After(3 * ttl):
				return "long done", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})
		q := tkStart(t, s, nil, "quick")
		l := tkStart(t, s, nil, "long")
		if q.TTLMs != ttl.Milliseconds() {
			t.Errorf("ttlMs %d", q.TTLMs)
		}
		synctest.Wait()
		time.Sleep(ttl - time.Millisecond)
		if got, err := tkGet(t, s, nil, q.TaskID); err != nil || got.Status != TaskCompleted {
			t.Fatalf("a millisecond before its TTL: %+v %v", got, err)
		}
		time.Sleep(time.Millisecond)
		if _, err := tkGet(t, s, nil, q.TaskID); err == nil || err.Code != CodeInvalidParams {
			t.Fatalf("at its TTL the task is gone: %v", err)
		}
		time.Sleep(ttl)
		if got, err := tkGet(t, s, nil, l.TaskID); err != nil || got.Status != TaskWorking || got.TTLMs <= ttl.Milliseconds() {
			t.Fatalf("a task running past its TTL is kept, and says so in ttlMs: %+v %v", got, err)
		}
		time.Sleep(ttl)
		synctest.Wait()
		got, err := tkGet(t, s, nil, l.TaskID)
		if err != nil || got.Status != TaskCompleted || got.TTLMs < (3*ttl+ttl).Milliseconds() {
			t.Fatalf("completed after 3 TTLs, kept a TTL more: %+v %v", got, err)
		}
		time.Sleep(ttl)
		synctest.Wait()
		m := store.(*memoryTaskStore)
		m.mu.Lock()
		n, heapLen := len(m.tasks), len(m.expiries)
		m.mu.Unlock()
		s.tasks.mu.Lock()
		running := len(s.tasks.running)
		s.tasks.mu.Unlock()
		if n != 0 || heapLen != 0 || running != 0 {
			t.Errorf("after every TTL: %d tasks, %d expiry entries, %d runs held", n, heapLen, running)
		}
	})
}

// TestTaskCaps: the memory store caps tasks per principal and in all; a call
// over a cap is a tool error, and room comes back as tasks expire.
func TestTaskCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{
			Store: NewMemoryTaskStore(MemoryTaskStoreOptions{MaxTasks: 3, MaxTasksPerPrincipal: 2}), TTL: time.Minute}})
		AddTool(s, Tool{Name: "quick", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) { return "ok", nil })
		call := func(user string) string {
			raw, err := tkCall(s, user, "tools/call", map[string]any{"name": "quick"})
			if err != nil {
				t.Fatal(err)
			}
			return string(raw)
		}
		for _, step := range []struct{ user, want string }{
			{"ann", `"resultType":"task"`}, {"ann", `"resultType":"task"`},
			{"ann", `"isError":true`}, // ann's cap
			{"bob", `"resultType":"task"`},
			{"carol", `"isError":true`}, // the total cap
		} {
			if got := call(step.user); !strings.Contains(got, step.want) {
				t.Fatalf("%s: %s, want %s", step.user, got, step.want)
			}
		}
		synctest.Wait()
		time.Sleep(time.Minute)
		if got := call("carol"); !strings.Contains(got, `"resultType":"task"`) {
			t.Errorf("after the TTL: %s", got)
		}
	})
}

// TestTaskSlots: at most MaxRunning handlers run at once; the others wait
// their turn, in order, and are cancellable while they wait.
func TestTaskSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{MaxRunning: 2}})
		var running atomic.Int32
		var mu sync.Mutex
		var order []int
		release := make([]chan struct{}, 5)
		for i := range release {
			release[i] = make(chan struct{})
		}
		AddTool(s, Tool{Name: "work", Task: TaskOptional}, func(ctx *Context, a struct {
			N int `json:"n"`
		}) (string, error) {
			running.Add(1)
			defer running.Add(-1)
			mu.Lock()
			order = append(order, a.N)
			mu.Unlock()
			<-release[a.N]
			return fmt.Sprint(a.N), nil
		})
		var ids []string
		for i := range 5 {
			raw, err := tkCall(s, nil, "tools/call", map[string]any{"name": "work", "arguments": map[string]any{"n": i}})
			var k tkRec
			if err != nil || json.Unmarshal(raw, &k) != nil {
				t.Fatal(raw, err)
			}
			ids = append(ids, k.TaskID)
		}
		started := func() []int {
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(order)
		}
		if got := started(); len(got) != 2 || running.Load() != 2 {
			t.Fatalf("started %v, want the first two only", got)
		}
		if _, err := tkCall(s, nil, "tasks/cancel", map[string]any{"taskId": ids[3]}); err != nil {
			t.Fatal(err)
		}
		close(release[0])
		if got := started(); len(got) != 3 || got[2] != 2 || running.Load() != 2 {
			t.Fatalf("after one ended: started %v, want 2 next", got)
		}
		close(release[1])
		if got := started(); len(got) != 4 || got[3] != 4 {
			t.Fatalf("after two ended: started %v, want 4 next (3 was cancelled while it waited)", got)
		}
		close(release[2])
		close(release[4])
		synctest.Wait()
		for i, id := range ids {
			got, err := tkGet(t, s, nil, id)
			want := TaskCompleted
			if i == 3 {
				want = TaskCancelled
			}
			if err != nil || got.Status != want {
				t.Errorf("task %d: %+v %v, want %s", i, got, err, want)
			}
		}
	})
}

// TestTaskStatusWrites: a handler reporting progress in a tight loop writes
// its status message to the store at most once per interval, and the last
// message wins.
func TestTaskStatusWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &countingStore{TaskStore: NewMemoryTaskStore(MemoryTaskStoreOptions{})}
		s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{Store: store}})
		step := make(chan struct{})
		AddTool(s, Tool{Name: "chatty", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) {
			for i := 1; i <= 10000; i++ {
				ctx.ReportProgress(Progress{Progress: float64(i), Message: fmt.Sprintf("step %d", i)})
			}
			<-step
			return "done", nil
		})
		k := tkStart(t, s, nil, "chatty")
		synctest.Wait()
		time.Sleep(statusWriteInterval)
		synctest.Wait()
		got, _ := tkGet(t, s, nil, k.TaskID)
		if got.StatusMessage != "step 10000" {
			t.Errorf("status message %q", got.StatusMessage)
		}
		if n := store.updates.Load(); n > 2 {
			t.Errorf("%d status writes for 10,000 reports in one interval", n)
		}
		close(step)
		synctest.Wait()
		if got, _ := tkGet(t, s, nil, k.TaskID); got.Status != TaskCompleted || got.StatusMessage != "step 10000" {
			t.Errorf("completed: %+v", got)
		}
	})
}

type countingStore struct {
	TaskStore
	updates atomic.Int32
}

func (c *countingStore) Update(ctx context.Context, id, worker string, u TaskUpdate) (*TaskRecord, error) {
	if u.Status == TaskWorking {
		c.updates.Add(1)
	}
	return c.TaskStore.Update(ctx, id, worker, u)
}

// TestTaskIDs: ids are unguessable, bound to their principal, and verified
// with every key of the ring (so they survive a secret rotation).
func TestTaskIDs(t *testing.T) {
	old := []byte(strings.Repeat("o", 32))
	s1 := New(Options{Logger: quietLogger(), Secret: old})
	s2 := New(Options{Logger: quietLogger(), Secret: []byte(strings.Repeat("n", 32)), PreviousSecrets: [][]byte{old}})
	s3 := New(Options{Logger: quietLogger(), Secret: []byte(strings.Repeat("x", 32))})
	seen := map[string]bool{}
	for range 1000 {
		id := s1.tasks.newID("sub:ann")
		if seen[id] || len(id) != taskIDLen {
			t.Fatalf("id %q repeated or malformed", id)
		}
		seen[id] = true
		if !s1.tasks.validID(id, "sub:ann") || !s2.tasks.validID(id, "sub:ann") {
			t.Fatalf("id %q refused by its minter or after rotation", id)
		}
		if s1.tasks.validID(id, "sub:bob") || s3.tasks.validID(id, "sub:ann") {
			t.Fatalf("id %q accepted for another principal or by another server", id)
		}
	}
}

// BenchmarkTaskCreate measures the engine's path for a tools/call that
// creates a task in memory (no transport), from 16 goroutines.
func BenchmarkTaskCreate(b *testing.B) {
	s := New(Options{Logger: quietLogger(), Tasks: TaskOptions{
		Store: NewMemoryTaskStore(MemoryTaskStoreOptions{MaxTasks: 1 << 30, MaxTasksPerPrincipal: 1 << 30}), TTL: time.Minute}})
	AddTool(s, Tool{Name: "short", Task: TaskRequired}, func(ctx *Context, _ NoArgs) (string, error) { return "ok", nil })
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"short","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}}}`)
	b.ReportAllocs()
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)) // 16 goroutines
	b.RunParallel(func(pb *testing.PB) {
		c := &tkConn{}
		for pb.Next() {
			var m jsonrpc.Message
			if err := jsonrpc.Decode(msg, &m); err != nil {
				b.Fatal(err)
			}
			out, _ := s.serveOne(context.Background(), c, new(c.info()), &m, nil, false)
			if !strings.Contains(string(out), `"resultType":"task"`) {
				b.Fatalf("%s", out)
			}
		}
	})
}

// BenchmarkTaskGet measures tasks/get of a completed task in memory (no
// transport), from 16 goroutines.
func BenchmarkTaskGet(b *testing.B) {
	s := New(Options{Logger: quietLogger()})
	AddTool(s, Tool{Name: "short", Task: TaskRequired}, func(ctx *Context, _ NoArgs) (string, error) { return "ok", nil })
	raw, _ := tkCall(s, nil, "tools/call", map[string]any{"name": "short"})
	var k tkRec
	json.Unmarshal(raw, &k)
	for {
		if got, _ := tkCall(s, nil, "tasks/get", map[string]any{"taskId": k.TaskID}); strings.Contains(string(got), "completed") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"` + k.TaskID + `","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}}}`)
	b.ReportAllocs()
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)) // 16 goroutines
	b.RunParallel(func(pb *testing.PB) {
		c := &tkConn{}
		for pb.Next() {
			var m jsonrpc.Message
			if err := jsonrpc.Decode(msg, &m); err != nil {
				b.Fatal(err)
			}
			out, _ := s.serveOne(context.Background(), c, new(c.info()), &m, nil, false)
			if !strings.Contains(string(out), `"status":"completed"`) {
				b.Fatalf("%s", out)
			}
		}
	})
}

// TestTaskRounds: in a task, the handler's own state survives the rounds of
// input (SetRequestState), RetryRequest runs it again at once, a tool removed
// while its task waits fails the task, and status messages are bounded.
func TestTaskRounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Logger: quietLogger()})
		var runs atomic.Int32
		AddTool(s, Tool{Name: "stateful", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) {
			runs.Add(1)
			n := 0
			if st := ctx.RequestState(); st != nil {
				fmt.Sscan(string(st), &n)
			}
			if n < 3 {
				ctx.SetRequestState([]byte(fmt.Sprint(n + 1)))
				return "", ctx.RetryRequest()
			}
			res, err := ctx.Elicit(&ElicitParams{Message: "go on?"})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("state %s, %s", ctx.RequestState(), res.Action), nil
		})
		AddTool(s, Tool{Name: "doomed", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) {
			if _, err := ctx.Elicit(&ElicitParams{Message: "?"}); err != nil {
				return "", err
			}
			return "ran", nil
		})
		AddTool(s, Tool{Name: "verbose", Task: TaskOptional}, func(ctx *Context, _ NoArgs) (string, error) {
			ctx.ReportProgress(Progress{Progress: 1, Message: strings.Repeat("é", 1000)})
			<-ctx.Done()
			return "", ctx.Err()
		})

		k := tkStart(t, s, nil, "stateful")
		synctest.Wait()
		got, _ := tkGet(t, s, nil, k.TaskID)
		if got.Status != TaskInputRequired || runs.Load() != 4 {
			t.Fatalf("after three retries and a question: %+v, %d runs", got, runs.Load())
		}
		if _, err := tkCall(s, nil, "tasks/update", map[string]any{"taskId": k.TaskID,
			"inputResponses": map[string]any{"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{}}}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got, _ := tkGet(t, s, nil, k.TaskID); got.Status != TaskCompleted || !strings.Contains(string(got.Result), "state 3, accept") {
			t.Errorf("the state of the rounds before the question: %+v %s", got, got.Result)
		}

		d := tkStart(t, s, nil, "doomed")
		synctest.Wait()
		s.RemoveTools("doomed")
		tkCall(s, nil, "tasks/update", map[string]any{"taskId": d.TaskID,
			"inputResponses": map[string]any{"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{}}}})
		synctest.Wait()
		if got, _ := tkGet(t, s, nil, d.TaskID); got.Status != TaskFailed || got.Error == nil || got.Error.Code != CodeInvalidParams {
			t.Errorf("a removed tool: %+v", got)
		}

		v := tkStart(t, s, nil, "verbose")
		synctest.Wait()
		got, _ = tkGet(t, s, nil, v.TaskID)
		if len(got.StatusMessage) > maxStatusMessage || !strings.HasPrefix(got.StatusMessage, "éé") || !utf8.ValidString(got.StatusMessage) {
			t.Errorf("a long status message: %d bytes, valid UTF-8 %v", len(got.StatusMessage), utf8.ValidString(got.StatusMessage))
		}
		tkCall(s, nil, "tasks/cancel", map[string]any{"taskId": v.TaskID})
		synctest.Wait()
		if got, _ := tkGet(t, s, nil, v.TaskID); got.Status != TaskCancelled {
			t.Errorf("cancelled: %+v", got)
		}
	})
}

// TestTaskRegistration: task settings that make no sense panic at
// registration.
func TestTaskRegistration(t *testing.T) {
	h := func(ctx *Context, _ NoArgs) (string, error) { return "", nil }
	for _, tool := range []Tool{
		{Name: "deferred-never", TaskDeferred: true},
		{Name: "bad", Task: 7},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: AddTool did not panic", tool.Name)
				}
			}()
			AddTool(New(Options{Logger: quietLogger()}), tool, h)
		}()
	}
	if TaskNever.String() != "never" || TaskOptional.String() != "optional" || TaskRequired.String() != "required" {
		t.Error("TaskSupport.String")
	}
	var zero Tool
	if zero.Task != TaskNever {
		t.Error("the zero Tool must never run as a task")
	}
}

// TestTaskListenBounds: a subscription follows at most maxListenTasks tasks.
func TestTaskListenBounds(t *testing.T) {
	s := New(Options{Logger: quietLogger()})
	ids := make([]string, maxListenTasks+1)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	c := &tkConn{}
	r := &request{proto: era2026, version: v20260728, conn: c}
	r.clientCaps.Extensions = map[string]any{TasksExtension: map[string]any{}}
	r.ctx = Context{Context: context.Background(), srv: s, req: r}
	if _, err := s.tasks.listenable(&r.ctx, ids); ErrorCodeOf(err) != CodeInvalidParams {
		t.Errorf("%d task ids: %v", len(ids), err)
	}
	got, err := s.tasks.listenable(&r.ctx, ids[:3])
	if err != nil || len(got) != 0 {
		t.Errorf("unknown ids are left out of the acknowledgement: %v %v", got, err)
	}
}
