package fastmcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Tests of the tasks extension (io.modelcontextprotocol/tasks) over real
// HTTP, with a raw 2026-07-28 client. Every message is validated: task shapes
// against the extension's schema (testdata/ext-tasks), the rest against the
// revision's.

// tkSchema validates against the extension's schema.
var tkSchema struct {
	once sync.Once
	doc  *jsonschema.Schema
	err  error
	mu   sync.Mutex
	defs map[string]*jsonschema.Resolved
}

func tkValidate(t testing.TB, def string, raw []byte) {
	t.Helper()
	tkSchema.once.Do(func() {
		data, err := os.ReadFile("testdata/ext-tasks/schema.json")
		if err != nil {
			tkSchema.err = err
			return
		}
		tkSchema.doc = new(jsonschema.Schema)
		tkSchema.err = json.Unmarshal(data, tkSchema.doc)
		tkSchema.defs = map[string]*jsonschema.Resolved{}
	})
	if tkSchema.err != nil {
		t.Fatalf("the tasks extension's schema: %v", tkSchema.err)
	}
	tkSchema.mu.Lock()
	rs := tkSchema.defs[def]
	if rs == nil {
		s := &jsonschema.Schema{Schema: tkSchema.doc.Schema, Ref: "#/$defs/" + def, Defs: tkSchema.doc.Defs}
		var err error
		if rs, err = s.Resolve(nil); err != nil {
			tkSchema.mu.Unlock()
			t.Fatalf("resolving %s: %v", def, err)
		}
		tkSchema.defs[def] = rs
	}
	tkSchema.mu.Unlock()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if err := rs.Validate(v); err != nil {
		t.Errorf("invalid %s: %v\n%s", def, err, raw)
	}
}

// tkTask is a task as tasks/get, a CreateTaskResult or notifications/tasks
// show it.
type tkTask struct {
	ResultType     string                     `json:"resultType"`
	TaskID         string                     `json:"taskId"`
	Status         string                     `json:"status"`
	StatusMessage  string                     `json:"statusMessage"`
	CreatedAt      string                     `json:"createdAt"`
	LastUpdatedAt  string                     `json:"lastUpdatedAt"`
	TTLMs          *int64                     `json:"ttlMs"`
	PollIntervalMs int64                      `json:"pollIntervalMs"`
	Result         json.RawMessage            `json:"result"`
	Error          *tkError                   `json:"error"`
	InputRequests  map[string]json.RawMessage `json:"inputRequests"`
	RequestState   *string                    `json:"requestState"`
	Content        json.RawMessage            `json:"content"`
}

type tkError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// text returns the first text of the inlined result, "ERROR: " first when it
// has isError.
func (k tkTask) text(t testing.TB) string {
	t.Helper()
	var r toolResult
	if err := json.Unmarshal(k.Result, &r); err != nil {
		t.Fatalf("task result: %v\n%s", err, k.Result)
	}
	return r.text()
}

// tkClient is a 2026-07-28 client of the tasks extension.
type tkClient struct {
	*mdClient
}

// tkReply is the answer to one request: its result or its error.
type tkReply struct {
	status int
	result json.RawMessage
	err    *tkError
}

// do sends a request with the headers a client of the extension sends
// (Mcp-Name: the taskId of tasks/*), and validates the answer's messages.
func (c *tkClient) do(method string, params map[string]any, header map[string]string) tkReply {
	c.t.Helper()
	h := map[string]string{}
	if id, ok := params["taskId"].(string); ok && strings.HasPrefix(method, "tasks/") {
		h["Mcp-Name"] = id
	}
	for k, v := range header {
		h[k] = v
	}
	resp := c.open(mdReq{method: method, params: params, header: h})
	defer resp.Body.Close()
	var msgs [][]byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sr := testkit.NewSSEReader(resp.Body)
		for {
			ev, err := sr.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					c.t.Fatalf("%s: reading the SSE answer: %v", method, err)
				}
				break
			}
			if ev.Data != "" {
				msgs = append(msgs, []byte(ev.Data))
			}
		}
	} else {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			c.t.Fatal(err)
		}
		msgs = append(msgs, body)
	}
	r := tkReply{status: resp.StatusCode}
	for _, raw := range msgs {
		m := mdDecode(c.t, raw)
		switch {
		case m.Method != "":
			c.received(raw) // notifications: progress, logs
		case m.Error != nil:
			c.received(raw)
			r.err = &tkError{Code: m.Error.Code, Message: m.Error.Message, Data: m.Error.Data}
		default:
			r.result = m.Result
			var rt struct {
				ResultType string `json:"resultType"`
			}
			json.Unmarshal(m.Result, &rt)
			switch {
			case rt.ResultType == "task":
				tkValidate(c.t, "CreateTaskResult", m.Result)
			case method == "tasks/get":
				tkValidate(c.t, "GetTaskResult", m.Result)
			case method == "tasks/update":
				tkValidate(c.t, "UpdateTaskResult", m.Result)
			case method == "tasks/cancel":
				tkValidate(c.t, "CancelTaskResult", m.Result)
			default:
				c.received(raw)
			}
		}
	}
	return r
}

// ok returns the result of a request that must succeed.
func (c *tkClient) ok(method string, params map[string]any) json.RawMessage {
	c.t.Helper()
	r := c.do(method, params, nil)
	if r.err != nil || r.result == nil {
		c.t.Fatalf("%s %v: status %d, error %+v", method, params, r.status, r.err)
	}
	return r.result
}

// fails checks that a request fails with code (and HTTP status).
func (c *tkClient) fails(method string, params map[string]any, status int, code int64) *tkError {
	c.t.Helper()
	r := c.do(method, params, nil)
	if r.err == nil || r.err.Code != code || r.status != status {
		c.t.Fatalf("%s %v: status %d, result %s, error %+v; want status %d and error %d", method, params, r.status, r.result, r.err, status, code)
	}
	return r.err
}

// start calls a tool that must become a task, and returns the task.
func (c *tkClient) start(tool string, args map[string]any) tkTask {
	c.t.Helper()
	var k tkTask
	json.Unmarshal(c.ok("tools/call", map[string]any{"name": tool, "arguments": args}), &k)
	if k.ResultType != "task" || k.TaskID == "" || k.Status != "working" || k.RequestState != nil || k.Content != nil {
		c.t.Fatalf("%s: not a CreateTaskResult: %+v", tool, k)
	}
	return k
}

// get polls a task once.
func (c *tkClient) get(id string) tkTask {
	c.t.Helper()
	var k tkTask
	json.Unmarshal(c.ok("tasks/get", map[string]any{"taskId": id}), &k)
	if k.TaskID != id || k.ResultType != "complete" {
		c.t.Fatalf("tasks/get %s: %+v", id, k)
	}
	return k
}

// await polls a task until its status is one of want (or it has ended).
func (c *tkClient) await(id string, want ...string) tkTask {
	c.t.Helper()
	var k tkTask
	testkit.Eventually(c.t, "task "+id+" to reach "+strings.Join(want, "/"), func() bool {
		k = c.get(id)
		for _, w := range want {
			if k.Status == w {
				return true
			}
		}
		return k.Status == "completed" || k.Status == "failed" || k.Status == "cancelled"
	})
	return k
}

// tkUser is the auth data of the test servers: the X-User header.
type tkUser struct {
	Name string `json:"name"`
}

// tkGates lets a test hold a task's handler and release it.
type tkGates struct {
	mu      sync.Mutex
	started map[string]chan struct{}
	release map[string]chan struct{}
	ended   map[string]chan error
}

func (g *tkGates) get(key string) (started, release chan struct{}, ended chan error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started[key] == nil {
		g.started[key], g.release[key], g.ended[key] = make(chan struct{}), make(chan struct{}), make(chan error, 1)
	}
	return g.started[key], g.release[key], g.ended[key]
}

// tkServer returns a server whose tools run as tasks, served over HTTP, with
// a client of user "ann" declaring the extension and elicitation.
func tkServer(t testing.TB, opts fastmcp.Options) (*fastmcp.Server, *tkClient, *tkGates) {
	t.Helper()
	if opts.Authenticate == nil {
		opts.Authenticate = fastmcp.AuthFunc[tkUser](func(r *http.Request) (tkUser, error) {
			if r == nil {
				return tkUser{}, nil // stdio, in-process
			}
			return tkUser{Name: r.Header.Get("X-User")}, nil
		})
	}
	s := testkit.NewServer(t, opts)
	g := &tkGates{started: map[string]chan struct{}{}, release: map[string]chan struct{}{}, ended: map[string]chan error{}}
	type keyArgs struct {
		Key string `json:"key,omitempty"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "plain"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "plain", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "quick", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, a struct {
		N int `json:"n"`
	}) (string, error) {
		user, _ := fastmcp.AuthFrom[tkUser](ctx)
		return fmt.Sprintf("quick %d for %s in %s", a.N, user.Name, ctx.TaskID()), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "required", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "required ran", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "gate", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, a keyArgs) (string, error) {
		started, release, ended := g.get(a.Key)
		ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 2, Message: "step 1 of " + a.Key})
		close(started)
		select {
		case <-release:
			ctx.Info("released " + a.Key)
			ended <- nil
			return "released " + a.Key, nil
		case <-ctx.Done():
			ended <- ctx.Err()
			return "", ctx.Err()
		}
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Name?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("hello %v (%s)", res.Content["name"], res.Action), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "two", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		form := map[string]any{"type": "object", "properties": map[string]any{}}
		res, err := ctx.Ask(
			fastmcp.ElicitationRequest(&fastmcp.ElicitParams{Message: "first?", RequestedSchema: form}).WithKey("first"),
			fastmcp.ElicitationRequest(&fastmcp.ElicitParams{Message: "second?", RequestedSchema: form}).WithKey("second"),
		)
		if err != nil {
			return "", err
		}
		a, _ := res[0].Elicitation()
		b, _ := res[1].Elicitation()
		// A third question, asked once the first two are answered.
		c, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "third?", RequestedSchema: form})
		if err != nil {
			return "", err
		}
		return a.Action + "+" + b.Action + "+" + c.Action, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "toolerr", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "", fastmcp.UserErrorf("bad input")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "protoerr", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "", &fastmcp.Error{Code: -32050, Message: "quota exceeded", Data: map[string]any{"retryAfter": 30}}
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "panics", Task: fastmcp.TaskOptional}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		panic("boom")
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "deferred", Task: fastmcp.TaskRequired, TaskDeferred: true}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Name?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}})
		if err != nil {
			return "", err
		}
		if err := ctx.StartTask(); err != nil {
			return "", err
		}
		if ctx.TaskID() == "" {
			return "", errors.New("StartTask returned nil outside a task")
		}
		return fmt.Sprintf("hi %v from a task", res.Content["name"]), nil
	})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := tkNew(t, htEndpoint(ts.URL, fastmcp.HTTP{}), "ann")
	return s, c, g
}

// tkNew returns a client of user declaring the extension and elicitation.
func tkNew(t testing.TB, url, user string) *tkClient {
	c := &tkClient{mdClient: mdNew(t, url)}
	c.header.Set("X-User", user)
	c.caps = map[string]any{"elicitation": map[string]any{}, "extensions": map[string]any{fastmcp.TasksExtension: map[string]any{}}}
	return c
}

func TestTasksOutcomes(t *testing.T) {
	t.Parallel()
	_, c, _ := tkServer(t, fastmcp.Options{})
	cases := []struct {
		tool   string
		status string
		check  func(t *testing.T, k tkTask)
	}{
		{"quick", "completed", func(t *testing.T, k tkTask) {
			if got := k.text(t); !strings.HasPrefix(got, "quick 7 for ann in t1") || !strings.HasSuffix(got, k.TaskID) {
				t.Errorf("result %q: the handler sees its arguments, auth data and task id", got)
			}
			if strings.Contains(string(k.Result), "related-task") || !strings.Contains(string(k.Result), `"resultType":"complete"`) {
				t.Errorf("inlined result %s", k.Result)
			}
		}},
		{"toolerr", "completed", func(t *testing.T, k tkTask) {
			if got := k.text(t); got != "ERROR: bad input" || k.Error != nil {
				t.Errorf("a tool error is a completed task with isError: %q %+v", got, k.Error)
			}
		}},
		{"protoerr", "failed", func(t *testing.T, k tkTask) {
			if k.Error == nil || k.Error.Code != -32050 || k.Error.Message != "quota exceeded" || string(k.Error.Data) != `{"retryAfter":30}` || k.Result != nil {
				t.Errorf("a protocol error fails the task with the error inlined: %+v %s", k.Error, k.Result)
			}
		}},
		{"panics", "failed", func(t *testing.T, k tkTask) {
			if k.Error == nil || k.Error.Code != -32603 || strings.Contains(k.Error.Message, "boom") || k.StatusMessage == "" {
				t.Errorf("a panic fails the task with an internal error, details hidden: %+v %q", k.Error, k.StatusMessage)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.tool, func(t *testing.T) {
			t.Parallel()
			c := tkNew(t, c.url, "ann")
			var args map[string]any
			if tc.tool == "quick" {
				args = map[string]any{"n": 7}
			}
			created := c.start(tc.tool, args)
			if created.TTLMs == nil || *created.TTLMs != fastmcp.DefaultTaskTTL.Milliseconds() || created.PollIntervalMs != 1000 {
				t.Errorf("ttlMs %v, pollIntervalMs %d", created.TTLMs, created.PollIntervalMs)
			}
			if _, err := time.Parse(time.RFC3339, created.CreatedAt); err != nil {
				t.Errorf("createdAt %q: %v", created.CreatedAt, err)
			}
			k := c.await(created.TaskID, tc.status)
			if k.Status != tc.status {
				t.Fatalf("status %s, want %s: %+v", k.Status, tc.status, k)
			}
			tc.check(t, k)
		})
	}
}

func TestTasksProgressCancelAndStatusMessages(t *testing.T) {
	t.Parallel()
	_, c, g := tkServer(t, fastmcp.Options{})

	t.Run("progress and logs", func(t *testing.T) {
		started, release, _ := g.get("p")
		k := c.start("gate", map[string]any{"key": "p"})
		<-started
		if got := c.get(k.TaskID); got.Status != "working" || got.StatusMessage != "step 1 of p" || got.Result != nil {
			t.Errorf("working task: %+v", got)
		}
		close(release)
		done := c.await(k.TaskID, "completed")
		if done.text(t) != "released p" || done.StatusMessage != "released p" {
			t.Errorf("completed: %q, status message %q (the last log message)", done.text(t), done.StatusMessage)
		}
	})
	t.Run("cancel a running task", func(t *testing.T) {
		started, _, ended := g.get("c")
		k := c.start("gate", map[string]any{"key": "c"})
		<-started
		ack := c.ok("tasks/cancel", map[string]any{"taskId": k.TaskID})
		if !strings.Contains(string(ack), `"resultType":"complete"`) || strings.Contains(string(ack), "taskId") {
			t.Errorf("cancel ack %s", ack)
		}
		if err := <-ended; !errors.Is(err, context.Canceled) {
			t.Errorf("the handler's context ended with %v", err)
		}
		if got := c.await(k.TaskID, "cancelled"); got.Status != "cancelled" || got.Result != nil || got.Error != nil {
			t.Errorf("after cancel: %+v", got)
		}
		// Idempotent on a task that has ended.
		c.ok("tasks/cancel", map[string]any{"taskId": k.TaskID})
		if got := c.get(k.TaskID); got.Status != "cancelled" {
			t.Errorf("cancelled twice: %+v", got)
		}
	})
	t.Run("cancel a completed task", func(t *testing.T) {
		k := c.start("quick", map[string]any{"n": 1})
		c.await(k.TaskID, "completed")
		c.ok("tasks/cancel", map[string]any{"taskId": k.TaskID})
		if got := c.get(k.TaskID); got.Status != "completed" {
			t.Errorf("a completed task stays completed: %+v", got)
		}
	})
	t.Run("cancel a task waiting for input", func(t *testing.T) {
		k := c.start("ask", nil)
		c.await(k.TaskID, "input_required")
		c.ok("tasks/cancel", map[string]any{"taskId": k.TaskID})
		if got := c.get(k.TaskID); got.Status != "cancelled" || got.InputRequests != nil {
			t.Errorf("a task no handler runs is cancelled at once: %+v", got)
		}
		c.fails("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}}, 200, -32602)
	})
}

func TestTasksInput(t *testing.T) {
	t.Parallel()
	_, c, _ := tkServer(t, fastmcp.Options{})

	t.Run("one request", func(t *testing.T) {
		k := c.start("ask", nil)
		w := c.await(k.TaskID, "input_required")
		var q struct {
			Method string `json:"method"`
			Params struct {
				Message string `json:"message"`
			} `json:"params"`
		}
		json.Unmarshal(w.InputRequests["elicitation-1"], &q)
		if len(w.InputRequests) != 1 || q.Method != "elicitation/create" || q.Params.Message != "Name?" || w.RequestState != nil {
			t.Fatalf("input_required task: %+v", w)
		}
		// An answer that is not an elicitation result is refused; an
		// answer to a key the task does not wait for is ignored.
		e := c.fails("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": map[string]any{"action": "maybe"}}}, 200, -32602)
		if !strings.Contains(e.Message, "elicitation-1") {
			t.Errorf("refusal %q names the key", e.Message)
		}
		huge := map[string]any{"action": "accept", "content": map[string]any{"name": strings.Repeat("x", 1<<20)}}
		e = c.fails("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": huge}}, 200, -32602)
		if !strings.Contains(e.Message, "at most") {
			t.Errorf("an oversized answer: %q", e.Message)
		}
		ack := c.ok("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-9": mdAccepted}})
		if strings.Contains(string(ack), "taskId") || c.get(k.TaskID).Status != "input_required" {
			t.Errorf("an unknown key is ignored: %s", ack)
		}
		c.ok("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}})
		if done := c.await(k.TaskID, "completed"); done.text(t) != "hello Ada (accept)" {
			t.Errorf("after the answer: %q", done.text(t))
		}
		e = c.fails("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}}, 200, -32602)
		if !strings.Contains(e.Message, "not waiting for input") || !strings.Contains(e.Message, "completed") {
			t.Errorf("tasks/update on a completed task: %q", e.Message)
		}
	})
	t.Run("partial answers and a second round", func(t *testing.T) {
		k := c.start("two", nil)
		w := c.await(k.TaskID, "input_required")
		if len(w.InputRequests) != 2 || w.InputRequests["first"] == nil || w.InputRequests["second"] == nil {
			t.Fatalf("two requests at once: %+v", w.InputRequests)
		}
		c.ok("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"first": map[string]any{"action": "accept", "content": map[string]any{}}}})
		if w := c.get(k.TaskID); w.Status != "input_required" || len(w.InputRequests) != 1 || w.InputRequests["second"] == nil {
			t.Fatalf("after a partial answer: %+v", w)
		}
		c.ok("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"second": map[string]any{"action": "decline"}}})
		w = c.await(k.TaskID, "input_required")
		if len(w.InputRequests) != 1 || w.InputRequests["elicitation-1"] == nil {
			t.Fatalf("the third question, asked in a second round: %+v", w.InputRequests)
		}
		c.ok("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": map[string]any{"action": "cancel"}}})
		if done := c.await(k.TaskID, "completed"); done.text(t) != "accept+decline+cancel" {
			t.Errorf("result %q", done.text(t))
		}
	})
	t.Run("a client without elicitation", func(t *testing.T) {
		nc := tkNew(t, c.url, "ann")
		nc.caps = map[string]any{"extensions": map[string]any{fastmcp.TasksExtension: map[string]any{}}}
		k := nc.start("ask", nil)
		f := nc.await(k.TaskID, "failed")
		if f.Status != "failed" || f.Error == nil || f.Error.Code != -32021 {
			t.Errorf("asking a client for what it did not declare fails the task with -32021: %+v", f)
		}
	})
	t.Run("multi round-trip before the task", func(t *testing.T) {
		var r1 toolResult
		json.Unmarshal(c.ok("tools/call", map[string]any{"name": "deferred"}), &r1)
		if r1.ResultType != "input_required" || r1.RequestState == "" || len(r1.InputRequests) != 1 {
			t.Fatalf("round 1: %+v", r1)
		}
		var k tkTask
		json.Unmarshal(c.ok("tools/call", map[string]any{"name": "deferred", "requestState": r1.RequestState,
			"inputResponses": map[string]any{"elicitation-1": mdAccepted}}), &k)
		if k.ResultType != "task" || k.TaskID == "" || k.RequestState != nil || k.InputRequests != nil {
			t.Fatalf("round 2: %+v", k)
		}
		if done := c.await(k.TaskID, "completed"); done.text(t) != "hi Ada from a task" {
			t.Errorf("the task sees the answer of the round before it: %q", done.text(t))
		}
	})
}

func TestTasksRefusals(t *testing.T) {
	t.Parallel()
	_, ann, g := tkServer(t, fastmcp.Options{})
	bob := tkNew(t, ann.url, "bob")
	started, release, _ := g.get("r")
	defer close(release)
	running := ann.start("gate", map[string]any{"key": "r"})
	<-started
	waiting := ann.start("ask", nil)
	ann.await(waiting.TaskID, "input_required")
	unknown := ann.fails("tasks/get", map[string]any{"taskId": "t1" + strings.Repeat("A", 38)}, 200, -32602)

	ids := map[string]string{
		"another principal's running task": running.TaskID,
		"another principal's waiting task": waiting.TaskID,
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			for _, m := range []string{"tasks/get", "tasks/cancel", "tasks/update"} {
				p := map[string]any{"taskId": id}
				if m == "tasks/update" {
					p["inputResponses"] = map[string]any{"elicitation-1": mdAccepted}
				}
				e := bob.fails(m, p, 200, -32602)
				if want := strings.Replace(unknown.Message, "t1"+strings.Repeat("A", 38), id, 1); e.Message != want {
					t.Errorf("%s: %q, want the unknown task's refusal %q", m, e.Message, want)
				}
			}
		})
	}
	if got := ann.get(running.TaskID); got.Status != "working" {
		t.Errorf("bob's cancel touched ann's task: %+v", got)
	}
	if got := ann.get(waiting.TaskID); got.Status != "input_required" {
		t.Errorf("bob's update touched ann's task: %+v", got)
	}
	forged := []string{
		"", "nope", running.TaskID[:len(running.TaskID)-1] + "x", // a MAC that does not match
		"t1" + running.TaskID[2:24] + strings.Repeat("A", 16),
		running.TaskID + "A",
	}
	for _, id := range forged {
		e := ann.fails("tasks/get", map[string]any{"taskId": id}, 200, -32602)
		if !strings.Contains(e.Message, "not found") {
			t.Errorf("forged id %q: %q", id, e.Message)
		}
	}
	t.Run("update on a running task", func(t *testing.T) {
		e := ann.fails("tasks/update", map[string]any{"taskId": running.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}}, 200, -32602)
		if !strings.Contains(e.Message, "not waiting for input") || !strings.Contains(e.Message, "working") {
			t.Errorf("refusal %q", e.Message)
		}
		ann.fails("tasks/update", map[string]any{"taskId": waiting.TaskID}, 200, -32602)
		ann.fails("tasks/update", map[string]any{"taskId": waiting.TaskID, "inputResponses": []any{}}, 200, -32602)
		ann.fails("tasks/get", map[string]any{}, 200, -32602)
	})
	t.Run("a client without the extension", func(t *testing.T) {
		plain := tkNew(t, ann.url, "ann")
		plain.caps = map[string]any{}
		for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
			e := plain.fails(m, map[string]any{"taskId": running.TaskID, "inputResponses": map[string]any{}}, 400, -32021)
			if !strings.Contains(string(e.Data), fastmcp.TasksExtension) {
				t.Errorf("%s: data %s names the extension", m, e.Data)
			}
		}
		var r toolResult
		json.Unmarshal(plain.ok("tools/call", map[string]any{"name": "quick", "arguments": map[string]any{"n": 2}}), &r)
		if r.ResultType != "complete" || !strings.HasPrefix(r.text(), "quick 2 for ann in ") || strings.Contains(r.text(), "t1") {
			t.Errorf("an optional task tool runs as a plain call: %+v", r)
		}
		e := plain.fails("tools/call", map[string]any{"name": "required"}, 400, -32021)
		if !strings.Contains(string(e.Data), `"requiredCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}`) {
			t.Errorf("required: data %s", e.Data)
		}
		r2 := plain.do("subscriptions/listen", map[string]any{"notifications": map[string]any{"taskIds": []string{running.TaskID}}}, nil)
		if r2.err == nil || r2.err.Code != -32021 {
			t.Errorf("listen for tasks without the extension: %+v", r2)
		}
	})
	t.Run("routing header", func(t *testing.T) {
		r := ann.do("tasks/get", map[string]any{"taskId": running.TaskID}, map[string]string{"Mcp-Name": "someone-else"})
		if r.status != 400 || r.err == nil || r.err.Code != -32020 {
			t.Errorf("mismatched Mcp-Name: %+v", r)
		}
		r = ann.do("tasks/cancel", map[string]any{"taskId": running.TaskID}, map[string]string{"Mcp-Name": ""})
		if r.status != 400 || r.err == nil || r.err.Code != -32020 {
			t.Errorf("missing Mcp-Name: %+v", r)
		}
		if got := ann.get(running.TaskID); got.Status != "working" {
			t.Errorf("a refused cancel cancelled: %+v", got)
		}
	})
	t.Run("removed methods", func(t *testing.T) {
		ann.fails("tasks/result", map[string]any{"taskId": running.TaskID}, 404, -32601)
		ann.fails("tasks/list", map[string]any{}, 404, -32601)
	})
}

func TestTasksExpire(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	_, c, _ := tkServer(t, fastmcp.Options{Tasks: fastmcp.TaskOptions{TTL: ttl, PollInterval: 20 * time.Millisecond}})
	before := time.Now()
	k := c.start("quick", map[string]any{"n": 1})
	if *k.TTLMs != ttl.Milliseconds() || k.PollIntervalMs != 20 {
		t.Errorf("ttlMs %d, pollIntervalMs %d", *k.TTLMs, k.PollIntervalMs)
	}
	// Poll until the task is gone: it must not go before its TTL, and
	// once it has ended it is kept TTL after (ttlMs grows to say so).
	var gone *tkError
	testkit.Eventually(t, "the task to expire", func() bool {
		r := c.do("tasks/get", map[string]any{"taskId": k.TaskID}, nil)
		if r.err != nil {
			gone = r.err
			if since := time.Since(before); since < ttl {
				t.Errorf("the task went %v after its creation, before its TTL %v", since, ttl)
			}
			return true
		}
		var got tkTask
		json.Unmarshal(r.result, &got)
		if got.Status == "completed" {
			created, err1 := time.Parse(time.RFC3339, got.CreatedAt)
			ended, err2 := time.Parse(time.RFC3339, got.LastUpdatedAt)
			if err1 != nil || err2 != nil {
				t.Fatalf("timestamps %q %q", got.CreatedAt, got.LastUpdatedAt)
			}
			if kept := time.Duration(*got.TTLMs) * time.Millisecond; kept < ended.Sub(created)+ttl-time.Millisecond {
				t.Errorf("ttlMs %v for a task that ended %v after its creation", kept, ended.Sub(created))
			}
		}
		return false
	})
	if gone.Code != -32602 || !strings.Contains(gone.Message, "not found") {
		t.Errorf("an expired task: %+v", gone)
	}
	c.fails("tasks/cancel", map[string]any{"taskId": k.TaskID}, 200, -32602)
}

func TestTasksHandshakeEra(t *testing.T) {
	t.Parallel()
	s, _, _ := tkServer(t, fastmcp.Options{})
	cl := testkit.Connect(t, s, nil)
	if got := testkit.CallText(t, cl, "quick", map[string]any{"n": 3}, false); got != "quick 3 for  in " {
		t.Errorf("an optional task tool in the handshake era: %q", got)
	}
	_, err := cl.CallTool(testkit.Context(t), "required", nil)
	if fastmcp.ErrorCodeOf(err) != fastmcp.CodeMissingRequiredClientCapability {
		t.Errorf("a required task tool in the handshake era: %v", err)
	}
	if _, err := cl.CallRaw(testkit.Context(t), "tasks/get", map[string]any{"taskId": "x"}); fastmcp.ErrorCodeOf(err) != fastmcp.CodeMethodNotFound {
		t.Errorf("tasks/get in the handshake era: %v", err)
	}
}

func TestTasksNotifications(t *testing.T) {
	t.Parallel()
	_, c, g := tkServer(t, fastmcp.Options{})
	bob := tkNew(t, c.url, "bob")
	bobs := bob.start("quick", map[string]any{"n": 1})
	started, release, _ := g.get("n")
	k := c.start("gate", map[string]any{"key": "n"})
	<-started
	ask := c.start("ask", nil)
	c.await(ask.TaskID, "input_required")

	sr, resp, id := mdListen(t, c.mdClient, map[string]any{"taskIds": []string{k.TaskID, ask.TaskID, bobs.TaskID, "t1nope"}},
		fmt.Sprintf(`{"taskIds":[%q,%q]}`, k.TaskID, ask.TaskID))
	defer resp.Body.Close()
	next := func() tkTask {
		t.Helper()
		m := mdNext(t, c.mdClient, sr)
		raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": m.Method, "params": m.Params})
		tkValidate(t, "TaskStatusNotification", raw)
		mdTagged(t, m, "notifications/tasks", id)
		var n tkTask
		json.Unmarshal(m.Params, &n)
		return n
	}
	// The current state of each task first.
	seen := map[string]string{}
	for range 2 {
		n := next()
		seen[n.TaskID] = n.Status
	}
	if seen[k.TaskID] != "working" || seen[ask.TaskID] != "input_required" {
		t.Fatalf("initial states %v", seen)
	}
	close(release)
	if n := next(); n.TaskID != k.TaskID || n.Status != "completed" || !strings.Contains(string(n.Result), "released n") {
		t.Fatalf("completion: %+v", n)
	}
	c.ok("tasks/update", map[string]any{"taskId": ask.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}})
	if n := next(); n.TaskID != ask.TaskID || n.Status != "working" {
		t.Fatalf("resumed: %+v", n)
	}
	if n := next(); n.TaskID != ask.TaskID || n.Status != "completed" {
		t.Fatalf("completed: %+v", n)
	}
}

// TestTasksAcrossReplicas: two replicas share a task store and a bus. A task
// created through one is polled, answered and cancelled through the other,
// and its notifications reach streams on both.
func TestTasksAcrossReplicas(t *testing.T) {
	t.Parallel()
	shared := fastmcp.NewMemoryTaskStore(fastmcp.MemoryTaskStoreOptions{})
	opts := fastmcp.Options{
		Secret: []byte(strings.Repeat("s", 32)),
		Store:  &fastmcp.Store{Bus: fastmcp.NewMemoryBus()},
		Tasks:  fastmcp.TaskOptions{Store: shared},
	}
	_, a, ga := tkServer(t, opts)
	_, b, _ := tkServer(t, opts)

	t.Run("cancel through the other replica", func(t *testing.T) {
		started, _, ended := ga.get("x")
		k := a.start("gate", map[string]any{"key": "x"})
		<-started
		if got := b.get(k.TaskID); got.Status != "working" || got.StatusMessage != "step 1 of x" {
			t.Fatalf("polled through B: %+v", got)
		}
		b.ok("tasks/cancel", map[string]any{"taskId": k.TaskID})
		if err := <-ended; !errors.Is(err, context.Canceled) {
			t.Errorf("the handler on A ended with %v", err)
		}
		if got := b.await(k.TaskID, "cancelled"); got.Status != "cancelled" {
			t.Errorf("after cancel: %+v", got)
		}
	})
	t.Run("answer through the other replica", func(t *testing.T) {
		k := a.start("ask", nil)
		sr, resp, id := mdListen(t, a.mdClient, map[string]any{"taskIds": []string{k.TaskID}}, fmt.Sprintf(`{"taskIds":[%q]}`, k.TaskID))
		defer resp.Body.Close()
		statuses := func(n int) []string {
			var out []string
			for range n {
				m := mdNext(t, a.mdClient, sr)
				mdTagged(t, m, "notifications/tasks", id)
				var nt tkTask
				json.Unmarshal(m.Params, &nt)
				out = append(out, nt.Status)
			}
			return out
		}
		b.await(k.TaskID, "input_required")
		// The stream on A saw the task wait (at once, or as its first
		// state) before B answers.
		first := statuses(1)
		if first[0] == "working" {
			first = statuses(1)
		}
		if first[0] != "input_required" {
			t.Fatalf("states before the answer: %v", first)
		}
		b.ok("tasks/update", map[string]any{"taskId": k.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}})
		if got := a.await(k.TaskID, "completed"); got.text(t) != "hello Ada (accept)" {
			t.Errorf("resumed on B, seen on A: %q", got.text(t))
		}
		if got := statuses(2); strings.Join(got, ",") != "working,completed" {
			t.Errorf("A's stream saw %v of changes made on B", got)
		}
	})
}

// TestTasksWorkerProcess: with Queue, the replica that serves clients only
// queues tasks; a worker (another server, as a worker process of the same
// binary would run) takes them, with the caller's auth data restored from the
// encrypted copy kept with the task.
func TestTasksWorkerProcess(t *testing.T) {
	t.Parallel()
	shared := fastmcp.NewMemoryTaskStore(fastmcp.MemoryTaskStoreOptions{})
	secret := []byte(strings.Repeat("w", 32))
	_, front, _ := tkServer(t, fastmcp.Options{Secret: secret,
		Tasks: fastmcp.TaskOptions{Store: shared, Queue: true, DisableWorkers: true}})
	worker, _, _ := tkServer(t, fastmcp.Options{Secret: secret, Logger: testLoggerQuiet(),
		Tasks: fastmcp.TaskOptions{Store: shared, Queue: true, MaxRunning: 4}})

	k := front.start("quick", map[string]any{"n": 5})
	// Queued: nobody runs it yet.
	if got := front.get(k.TaskID); got.Status != "working" {
		t.Fatalf("queued: %+v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- worker.RunTaskWorker(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	got := front.await(k.TaskID, "completed")
	if want := "quick 5 for ann in " + k.TaskID; got.text(t) != want {
		t.Errorf("run by the worker: %q, want %q (the caller's auth data travels with the task)", got.text(t), want)
	}
	a := front.start("ask", nil)
	front.await(a.TaskID, "input_required")
	front.ok("tasks/update", map[string]any{"taskId": a.TaskID, "inputResponses": map[string]any{"elicitation-1": mdAccepted}})
	if got := front.await(a.TaskID, "completed"); got.text(t) != "hello Ada (accept)" {
		t.Errorf("resumed by the worker: %q", got.text(t))
	}
}

// TestTasksMountedAndDisabled: a mounted server's tool that runs as a task
// does so through the server that mounts it (its task lives in the parent's
// store), and a disabled tool is unknown to tools/call whether or not it would
// run as a task.
func TestTasksMountedAndDisabled(t *testing.T) {
	t.Parallel()
	s, c, _ := tkServer(t, fastmcp.Options{})
	child := fastmcp.New(fastmcp.Options{Name: "reports"})
	fastmcp.AddTool(child, fastmcp.Tool{Name: "build", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, a struct {
		Q string `json:"q"`
	}) (string, error) {
		ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 1, Message: "built"})
		return "report " + a.Q + " in " + ctx.TaskID(), nil
	})
	s.Mount("reports", child, fastmcp.MountOptions{})

	k := c.start("reports_build", map[string]any{"q": "Q3"})
	done := c.await(k.TaskID, "completed")
	if done.Status != "completed" || done.text(t) != "report Q3 in "+k.TaskID {
		t.Fatalf("the mounted tool's task: %+v", done)
	}

	s.Disable(fastmcp.ByName("required"))
	e := c.fails("tools/call", map[string]any{"name": "required"}, 200, -32602)
	if !strings.Contains(e.Message, "Unknown tool") {
		t.Errorf("a disabled task tool: %q", e.Message)
	}
	s.Enable(fastmcp.ByName("required"))
	if k := c.start("required", nil); c.await(k.TaskID, "completed").Status != "completed" {
		t.Errorf("enabled again, the tool runs as a task")
	}
}
