package fastmcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Tasks: the io.modelcontextprotocol/tasks extension (SEP-2663).
//
// A tool that may take long (a build, a data job, a report) declares it in
// Tool.Task. When a 2026-07-28 client that declared the extension in its
// request's capabilities calls it, FastMCP answers at once with a
// CreateTaskResult: a task id the client polls with tasks/get until the task
// has ended, with the tool's result (or the JSON-RPC error that ended it)
// inlined. Meanwhile the handler runs in the background: the same handler as
// for a plain call, with the same Context.
//
//   - Context.ReportProgress and Context.Log (at info and above, or the level
//     the request's _meta asked for) set the task's statusMessage.
//   - Context.Elicit, Sample, Roots and Ask put the task in input_required,
//     with the requests in tasks/get's inputRequests; the client answers with
//     tasks/update and the handler runs again from the start, the same calls
//     now returning the answers: the rules of multi round-trip requests (see
//     ErrInputRequired) apply.
//   - tasks/cancel cancels the handler's context; the task ends cancelled
//     when the handler returns.
//   - A tool error (a result with isError) ends the task completed; an *Error,
//     a panic, or a worker that stopped end it failed, with the JSON-RPC error
//     inlined.
//
// Tasks belong to the principal that created them (the subject of an
// Identity, else the caller's auth data): another caller's tasks/get,
// tasks/update or tasks/cancel is refused exactly as an unknown task id. Task
// ids are unguessable and signed with Options.Secret, so a forged id is
// refused before the store is asked.
//
// Tasks live in a TaskStore (TaskOptions.Store: in memory by default; an
// implementation of the interface over a shared database for replicas) for
// TaskOptions.TTL. A task runs on the replica that created it, or, with
// TaskOptions.Queue, on any worker: every replica serving with Serve, or a
// process running only RunTaskWorker. A worker holds a lease on the task it
// runs and renews it; a task whose worker died is failed when its lease
// lapses, or run again when its tool is Idempotent.
//
// Handshake-era clients (2025-11-25 and earlier) are served as the extension
// requires: as clients that did not declare it. A TaskOptional tool runs as a
// plain call; a TaskRequired one is refused with
// CodeMissingRequiredClientCapability.

// TasksExtension is the identifier of the tasks extension: declared in the
// server's capabilities.extensions, and by a client in its request's
// clientCapabilities.extensions.
const TasksExtension = "io.modelcontextprotocol/tasks"

// TaskSupport says whether calls of a tool run as tasks (Tool.Task).
type TaskSupport uint8

const (
	// TaskNever: the tool always runs as a plain call. The default.
	TaskNever TaskSupport = iota
	// TaskOptional: the tool runs as a task for clients that declared the
	// tasks extension in their request, and as a plain call for others.
	TaskOptional
	// TaskRequired: the tool runs only as a task; a client that did not
	// declare the extension is refused with
	// CodeMissingRequiredClientCapability.
	TaskRequired
)

// check panics on a programmer error in a tool's task settings.
func (t *Tool) checkTask() {
	switch {
	case t.Task > TaskRequired:
		panic(fmt.Sprintf("fastmcp: AddTool %q: invalid Task %d", t.Name, t.Task))
	case t.TaskDeferred && t.Task == TaskNever:
		panic(fmt.Sprintf("fastmcp: AddTool %q: TaskDeferred needs Task set to TaskOptional or TaskRequired", t.Name))
	}
}

// String returns "never", "optional" or "required".
func (t TaskSupport) String() string {
	switch t {
	case TaskNever:
		return "never"
	case TaskOptional:
		return "optional"
	case TaskRequired:
		return "required"
	}
	return fmt.Sprintf("TaskSupport(%d)", uint8(t))
}

// TaskOptions configure the tasks of a server (Options.Tasks). The zero value
// keeps tasks in memory, runs them in the process that created them, and takes
// the defaults below.
type TaskOptions struct {
	// Store keeps the tasks. Default: a memory store with its default caps
	// (NewMemoryTaskStore). Replicas must share one store (an
	// implementation of TaskStore over a shared database, such as
	// redisstore.NewTaskStore) for a task created through one to be seen through the
	// others.
	Store TaskStore

	// TTL is how long a task is kept: TTL from its creation while it waits
	// for a worker or for the client's input, as long as a worker holds it
	// while it runs, and TTL from when it ended. tasks/get reports the
	// time from creation to expiry as ttlMs (which grows as the task is
	// kept longer); a task is never dropped before it. Default
	// DefaultTaskTTL (1 hour).
	TTL time.Duration

	// PollInterval is the polling interval suggested to clients
	// (pollIntervalMs). Default DefaultTaskPollInterval (1 second).
	PollInterval time.Duration

	// MaxRunning caps the task handlers this process runs at once; tasks
	// beyond it wait for a free slot, in order. Default
	// DefaultMaxRunningTasks (256).
	MaxRunning int

	// Queue runs tasks on workers instead of the process that created them:
	// a new task is queued in the store, and taken by the workers of any
	// process serving with Serve (unless DisableWorkers) or running
	// RunTaskWorker. The store must be shared for other processes to see
	// the queue, and the caller's auth data must be encodable as JSON and
	// decodable (see DecodeAuth). Default false.
	Queue bool

	// DisableWorkers stops Serve from running queued tasks in this process,
	// which then only serves clients (with Queue, tasks are left to other
	// processes). Default false.
	DisableWorkers bool

	// Lease is how long a worker holds a task it runs without renewing its
	// lease; it renews every Lease/3. A task whose worker died is failed
	// (or run again, for an Idempotent tool) once its lease lapsed.
	// Default DefaultTaskLease (30 seconds).
	Lease time.Duration

	// MaxReruns bounds how many times the task of an Idempotent tool is run
	// again because its worker stopped. Default DefaultTaskMaxReruns (3).
	MaxReruns int

	// DecodeAuth rebuilds the caller's auth data from its JSON form, for a
	// task run in another process than the one that authenticated the
	// caller (Queue, a rerun elsewhere). Auth data is captured with the task
	// as JSON, encrypted with a key derived from Options.Secret. Default:
	// Options.Authenticate's DecodeAuth when it implements AuthDecoder (as
	// AuthFunc does), else a task that needs the data elsewhere fails,
	// saying so.
	DecodeAuth func(data []byte) (any, error)
}

// Defaults of TaskOptions.
const (
	DefaultTaskTTL          = time.Hour
	DefaultTaskPollInterval = time.Second
	DefaultMaxRunningTasks  = 256
	DefaultTaskLease        = 30 * time.Second
	DefaultTaskMaxReruns    = 3
)

// AuthDecoder is implemented by an Authenticator whose auth data can be
// rebuilt from its JSON form (see TaskOptions.DecodeAuth).
type AuthDecoder interface {
	DecodeAuth(data []byte) (any, error)
}

// DecodeAuth decodes auth data of type T from its JSON form: a task run in
// another process gets its caller's auth data this way (TaskOptions).
func (f AuthFunc[T]) DecodeAuth(data []byte) (any, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// ErrTaskStarted is returned by Context.StartTask when the call becomes a
// task: return it from the handler. The client receives a CreateTaskResult,
// and the handler runs again as the task, where the input calls it made before
// return the same answers and StartTask returns nil.
var ErrTaskStarted = errors.New("fastmcp: the call continues as a task (return this error: the client receives the task, and the handler runs again as it)")

// StartTask turns the call of a TaskDeferred tool into a task: the handler
// has gathered the client's input through multi round-trip requests and is
// about to do the long work. In the request it returns ErrTaskStarted, which
// the handler returns; the handler then runs again as the task, where
// StartTask returns nil and the handler goes on. It returns nil at once in
// every other case: in a task, for a tool that is not TaskDeferred, for a
// client that did not declare the tasks extension (the call stays a plain
// call), in the handshake era.
func (c *Context) StartTask() error {
	if _, ok := c.req.conn.(*taskConn); ok {
		return nil
	}
	st := c.inputState()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.taskable {
		return nil
	}
	st.startTask = true
	return ErrTaskStarted
}

// TaskID returns the id of the task the handler runs as, or "" when the
// handler serves a plain call.
func (c *Context) TaskID() string {
	if tc, ok := c.req.conn.(*taskConn); ok {
		return tc.run.id
	}
	return ""
}
