package redisstore_test

// The tasks extension across replica processes (./internal/replica) on a
// real redis-server: tasks in the Redis task store, queued for the workers of
// every replica, created, polled, answered and cancelled through different
// replicas, and the replica running a task killed with SIGKILL.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/clustertest"
	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// taskLease is the replicas' task lease: a task whose worker died is reaped
// within about 1.5 leases. Long enough that a busy machine (-race, tests in
// parallel) renews leases in time (every lease/3).
const taskLease = 3 * time.Second

// startTaskReplicas starts n replicas named r0, r1... whose tasks are queued
// in the Redis task store under the cluster's prefix.
func startTaskReplicas(t *testing.T, redis *redistest.Server, n int) *procCluster {
	t.Helper()
	bin := buildReplica(t)
	c := &procCluster{t: t, redis: redis, prefix: prefix()}
	var backends []string
	for i := range n {
		p := clustertest.Start(t, bin, "FASTMCP_REDIS_URL="+redis.URL(), "FASTMCP_REDIS_PREFIX="+c.prefix,
			"FASTMCP_SECRET=cluster-test-secret-0123456789abcdef", "REPLICA_NAME=r"+strconv.Itoa(i),
			"FASTMCP_LOG_LEVEL=warn", "FASTMCP_TASK_LEASE="+taskLease.String())
		c.procs = append(c.procs, p)
		backends = append(backends, p.Base)
	}
	c.proxy = clustertest.NewProxy(t, backends...)
	return c
}

// side returns the key of the replicas' side channel to the tests (see
// addTaskTools in ./internal/replica) for task id.
func (c *procCluster) side(what, id string) string { return c.prefix + "test:" + what + ":" + id }

// release lets task id's handler return.
func (c *procCluster) release(t *testing.T, rdb redis.UniversalClient, id string) {
	t.Helper()
	if err := rdb.Set(t.Context(), c.side("release", id), "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
}

// replicaOf returns the index of the replica named in a status message
// ("... on rN...").
func replicaOf(t *testing.T, msg string) int {
	t.Helper()
	_, rest, ok := strings.Cut(msg, " on r")
	if !ok || rest == "" {
		t.Fatalf("no replica named in %q", msg)
	}
	i, err := strconv.Atoi(rest[:1])
	if err != nil {
		t.Fatalf("no replica named in %q", msg)
	}
	return i
}

// ctTask is a task as a CreateTaskResult or tasks/get shows it.
type ctTask struct {
	ResultType    string                     `json:"resultType"`
	TaskID        string                     `json:"taskId"`
	Status        string                     `json:"status"`
	StatusMessage string                     `json:"statusMessage"`
	Result        json.RawMessage            `json:"result"`
	Error         *ctError                   `json:"error"`
	InputRequests map[string]json.RawMessage `json:"inputRequests"`
}

type ctError struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

// text is the text of a completed task's result.
func (k ctTask) text(t *testing.T) string {
	t.Helper()
	text, isErr := testkit.ToolText(t, k.Result)
	if isErr {
		t.Fatalf("task %s: a tool error: %s", k.TaskID, text)
	}
	return text
}

func (k ctTask) ended() bool {
	return k.Status == "completed" || k.Status == "failed" || k.Status == "cancelled"
}

// ctIDs numbers the requests of the tests' clients.
var ctIDs atomic.Int64

// taskRPC sends one 2026-07-28 request declaring the tasks extension and
// elicitation to url as user (the replicas' bearer token), and returns its
// result or its error.
func taskRPC(t *testing.T, url, user, method string, params map[string]any) (json.RawMessage, *ctError) {
	t.Helper()
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion": fastmcp.ProtocolVersion20260728,
		"io.modelcontextprotocol/clientInfo":      map[string]any{"name": "cluster-tasks-test", "version": "1"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{},
			"extensions": map[string]any{fastmcp.TasksExtension: map[string]any{}}},
	}
	id := ctIDs.Add(1)
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
	h.Set("Mcp-Method", method)
	h.Set("Authorization", "Bearer "+user)
	if n, ok := params["name"].(string); ok {
		h.Set("Mcp-Name", n)
	}
	if n, ok := params["taskId"].(string); ok {
		h.Set("Mcp-Name", n)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s to %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var msgs [][]byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				msgs = append(msgs, []byte(strings.TrimSpace(d)))
			}
		}
	} else {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, b)
	}
	for _, raw := range msgs {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  *ctError        `json:"error"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: status %d: not JSON-RPC: %v\n%s", method, resp.StatusCode, err, raw)
		}
		if m.Method == "" && string(m.ID) == strconv.FormatInt(id, 10) {
			return m.Result, m.Error
		}
	}
	t.Fatalf("%s: status %d: no answer in %q", method, resp.StatusCode, msgs)
	return nil, nil
}

// taskOK sends a request that must succeed and decodes its result.
func taskOK(t *testing.T, url, user, method string, params map[string]any) ctTask {
	t.Helper()
	res, e := taskRPC(t, url, user, method, params)
	if e != nil || res == nil {
		t.Fatalf("%s %v through %s: error %+v", method, params, url, e)
	}
	var k ctTask
	if err := json.Unmarshal(res, &k); err != nil {
		t.Fatalf("%s: %v\n%s", method, err, res)
	}
	return k
}

// createTask calls a tool that runs as a task and returns the task's id.
func createTask(t *testing.T, url, user, tool string) string {
	t.Helper()
	k := taskOK(t, url, user, "tools/call", map[string]any{"name": tool, "arguments": map[string]any{}})
	if k.ResultType != "task" || k.TaskID == "" || k.Status != "working" {
		t.Fatalf("%s through %s: not a CreateTaskResult: %+v", tool, url, k)
	}
	return k.TaskID
}

// awaitReplicaTask polls task id through url until cond holds or the task has
// ended, for at most testkit.Wait: a task stuck fails the test.
func awaitReplicaTask(t *testing.T, url, user, id, what string, cond func(ctTask) bool) ctTask {
	t.Helper()
	deadline := time.Now().Add(testkit.Wait)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		k := taskOK(t, url, user, "tasks/get", map[string]any{"taskId": id})
		if k.TaskID != id || k.ResultType != "complete" {
			t.Fatalf("tasks/get %s: %+v", id, k)
		}
		if cond(k) || k.ended() {
			return k
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s through %s: %s not reached within %v; last: %+v", id, url, what, testkit.Wait, k)
		}
		<-tick.C
	}
}

// Tasks across three replica processes: each step of a task's life through
// another replica than the step before, wherever the worker running it is.
func TestReplicaTasks(t *testing.T) {
	t.Parallel()
	s := server(t)
	c := startTaskReplicas(t, s, 3)
	rdb := client(t, s.Addr)

	t.Run("create, poll, update and complete through three replicas", func(t *testing.T) {
		t.Parallel()
		id := createTask(t, c.url(0), "ann", "steps")
		w := awaitReplicaTask(t, c.url(1), "ann", id, "input_required", func(k ctTask) bool { return k.Status == "input_required" })
		var q struct {
			Method string `json:"method"`
			Params struct {
				Message string `json:"message"`
			} `json:"params"`
		}
		if err := json.Unmarshal(w.InputRequests["elicitation-1"], &q); err != nil || w.Status != "input_required" ||
			len(w.InputRequests) != 1 || q.Method != "elicitation/create" || q.Params.Message != "Proceed?" {
			t.Fatalf("waiting for input, polled through r1: %+v (%v)", w, err)
		}
		taskOK(t, c.url(2), "ann", "tasks/update", map[string]any{"taskId": id,
			"inputResponses": map[string]any{"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{"ok": true}}}})
		// The answer reaches the handler wherever it runs again; its
		// progress is seen through r1.
		w = awaitReplicaTask(t, c.url(1), "ann", id, "the progress after the answer", func(k ctTask) bool {
			return strings.HasPrefix(k.StatusMessage, "step 2 on ")
		})
		if w.Status != "working" || !strings.HasSuffix(w.StatusMessage, ": accept true") || w.Result != nil {
			t.Fatalf("working after the answer, polled through r1: %+v", w)
		}
		runner := replicaOf(t, w.StatusMessage)
		c.release(t, rdb, id)
		done := awaitReplicaTask(t, c.url(0), "ann", id, "completed", func(k ctTask) bool { return false })
		if want := fmt.Sprintf("released on r%d after accept true", runner); done.Status != "completed" || done.text(t) != want {
			t.Errorf("read through r0: %+v %s, want completed with %q", done, done.Result, want)
		}
		// The result is the same through every replica.
		for i := range 3 {
			if k := taskOK(t, c.url(i), "ann", "tasks/get", map[string]any{"taskId": id}); k.Status != "completed" || !bytes.Equal(k.Result, done.Result) {
				t.Errorf("through r%d: %+v %s", i, k, k.Result)
			}
		}
	})

	t.Run("cancel through another replica", func(t *testing.T) {
		t.Parallel()
		id := createTask(t, c.url(0), "ann", "job")
		w := awaitReplicaTask(t, c.url(1), "ann", id, "the handler's progress", func(k ctTask) bool {
			return strings.HasPrefix(k.StatusMessage, "working on ")
		})
		if w.Status != "working" {
			t.Fatalf("polled through r1: %+v", w)
		}
		runner := replicaOf(t, w.StatusMessage)
		// Cancelled through neither the replica that created it nor the
		// one running it, when they differ: the cancellation travels.
		via := 1
		if runner == 1 {
			via = 2
		}
		taskOK(t, c.url(via), "ann", "tasks/cancel", map[string]any{"taskId": id})
		var ended string
		testkit.Eventually(t, "the handler to see its context end", func() bool {
			v, err := rdb.Get(t.Context(), c.side("ended", id)).Result()
			ended = v
			return err == nil
		})
		if want := fmt.Sprintf("r%d: fastmcp: the task was cancelled (tasks/cancel)", runner); ended != want {
			t.Errorf("the handler's context ended with %q, want %q", ended, want)
		}
		k := awaitReplicaTask(t, c.url(2), "ann", id, "cancelled", func(k ctTask) bool { return false })
		if k.Status != "cancelled" || k.StatusMessage != "The task was cancelled." || k.Result != nil || k.Error != nil {
			t.Errorf("after tasks/cancel through r%d (run on r%d): %+v", via, runner, k)
		}
	})

	t.Run("another principal", func(t *testing.T) {
		t.Parallel()
		id := createTask(t, c.url(0), "ann", "job")
		awaitReplicaTask(t, c.url(0), "ann", id, "the handler's progress", func(k ctTask) bool {
			return strings.HasPrefix(k.StatusMessage, "working on ")
		})
		unknownID := "t1" + strings.Repeat("A", 38)
		_, unknown := taskRPC(t, c.url(0), "ann", "tasks/get", map[string]any{"taskId": unknownID})
		if unknown == nil || unknown.Code != -32602 {
			t.Fatalf("an unknown task: %+v", unknown)
		}
		want := strings.Replace(unknown.Message, unknownID, id, 1)
		for i := range 3 {
			for _, m := range []string{"tasks/get", "tasks/cancel", "tasks/update"} {
				p := map[string]any{"taskId": id}
				if m == "tasks/update" {
					p["inputResponses"] = map[string]any{"elicitation-1": map[string]any{"action": "accept", "content": map[string]any{"ok": true}}}
				}
				res, e := taskRPC(t, c.url(i), "bob", m, p)
				if e == nil || e.Code != -32602 || e.Message != want {
					t.Errorf("bob's %s through r%d: result %s, error %+v; want the unknown task's refusal %q", m, i, res, e, want)
				}
			}
		}
		if k := taskOK(t, c.url(2), "ann", "tasks/get", map[string]any{"taskId": id}); k.Status != "working" {
			t.Errorf("bob's requests touched ann's task: %+v", k)
		}
		c.release(t, rdb, id)
		if k := awaitReplicaTask(t, c.url(1), "ann", id, "completed", func(k ctTask) bool { return false }); k.Status != "completed" {
			t.Errorf("ann's task after bob's requests: %+v", k)
		}
	})
}

// SIGKILL of the replica whose worker runs a task: the task does not stay
// working. A task of a tool that may not run twice ends failed, saying its
// worker stopped; one of an Idempotent tool runs again on a replica alive,
// and completes.
func TestReplicaTasksWorkerKilled(t *testing.T) {
	t.Parallel()
	s := server(t)
	for _, tc := range []struct {
		tool       string
		idempotent bool
	}{
		{"job", false},
		{"rejob", true},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			t.Parallel()
			c := startTaskReplicas(t, s, 3)
			rdb := client(t, s.Addr)
			id := createTask(t, c.url(-1), "ann", tc.tool)
			w := awaitReplicaTask(t, c.url(-1), "ann", id, "the handler's progress", func(k ctTask) bool {
				return strings.HasPrefix(k.StatusMessage, "working on ")
			})
			if w.Status != "working" {
				t.Fatalf("before the kill: %+v", w)
			}
			runner := replicaOf(t, w.StatusMessage)
			c.procs[runner].Kill()
			killed := time.Now()
			alive := c.url((runner + 1) % 3)
			if !tc.idempotent {
				k := awaitReplicaTask(t, alive, "ann", id, "failed", func(k ctTask) bool { return false })
				t.Logf("failed %v after the kill of r%d (lease %v)", time.Since(killed).Round(time.Millisecond), runner, taskLease)
				if k.Status != "failed" || k.Error == nil || k.Error.Code != -32603 ||
					k.Error.Message != "Internal error: the worker running the task stopped before the task ended" ||
					!strings.HasPrefix(k.StatusMessage, "The worker running the task stopped before the task ended (its lease lapsed at ") {
					t.Errorf("after its worker was killed: %+v", k)
				}
				return
			}
			w = awaitReplicaTask(t, alive, "ann", id, "the run again", func(k ctTask) bool {
				return strings.HasPrefix(k.StatusMessage, "working on ") && replicaOf(t, k.StatusMessage) != runner
			})
			t.Logf("running again %v after the kill of r%d (lease %v): %q", time.Since(killed).Round(time.Millisecond), runner, taskLease, w.StatusMessage)
			if w.Status != "working" {
				t.Fatalf("after its worker was killed: %+v", w)
			}
			again := replicaOf(t, w.StatusMessage)
			c.release(t, rdb, id)
			k := awaitReplicaTask(t, alive, "ann", id, "completed", func(k ctTask) bool { return false })
			if want := fmt.Sprintf("released on r%d", again); k.Status != "completed" || k.text(t) != want {
				t.Errorf("the run again: %+v %s, want completed with %q", k, k.Result, want)
			}
		})
	}
}
