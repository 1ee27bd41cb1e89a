package fastmcp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The task engine: creating tasks, running their handlers (in the process
// that created them, or on workers taking them from the store's queue),
// renewing leases, reaping the tasks of dead workers. See tasks.go for the
// behaviour as users see it.

// taskEngine runs the tasks of one server.
type taskEngine struct {
	s          *Server
	store      TaskStore
	ttl, poll  time.Duration
	lease      time.Duration
	maxRunning int
	maxReruns  int
	queue      bool
	noWorkers  bool
	decodeAuth func([]byte) (any, error)
	// worker names this process to the store, as the holder of leases.
	worker string
	// macs pool the HMACs of task ids, one pool per key of the ring.
	macs []sync.Pool

	mu sync.Mutex
	// running are the runs this process holds leases for: running, or (in
	// the process that created them) waiting for a slot.
	running map[string]*taskRun
	peak    int
	waiting []*taskRun
	active  int // goroutines running local runs
	// idle, while the heartbeat loop runs, is closed when this process
	// holds no run any more: the loop ends.
	idle chan struct{}

	// serving counts the Serve calls running the workers of queued tasks,
	// which stopWorkers stops.
	serving     int
	stopWorkers func()

	// listening counts the subscriptions/listen streams that asked for task
	// notifications; statusSub receives them from the bus while any does.
	listening int
	statusSub func()
}

// Causes of the end of a run's context.
var (
	errTaskCancelled = errors.New("fastmcp: the task was cancelled (tasks/cancel)")
	errTaskLost      = errors.New("fastmcp: this worker no longer holds the task (its lease lapsed, or the task ended or expired)")
)

// statusWriteInterval bounds how often a run writes its status message to the
// store: a handler reporting progress in a tight loop costs at most one write
// per interval (the last message is written at the end of the interval).
const statusWriteInterval = 100 * time.Millisecond

// maxStatusMessage bounds a status message kept with a task, in bytes.
const maxStatusMessage = 1024

// maxTaskRounds bounds the runs of one task in a row asked by RetryRequest.
const maxTaskRounds = 1000

func newTaskEngine(s *Server, o TaskOptions) *taskEngine {
	e := &taskEngine{
		s:          s,
		store:      o.Store,
		ttl:        o.TTL,
		poll:       o.PollInterval,
		lease:      o.Lease,
		maxRunning: o.MaxRunning,
		maxReruns:  o.MaxReruns,
		queue:      o.Queue,
		noWorkers:  o.DisableWorkers,
		decodeAuth: o.DecodeAuth,
		worker:     "w" + rand.Text()[:16],
		running:    map[string]*taskRun{},
		macs:       make([]sync.Pool, len(s.keys.ring)),
	}
	if e.store == nil {
		e.store = NewMemoryTaskStore(MemoryTaskStoreOptions{})
	}
	if e.ttl <= 0 {
		e.ttl = DefaultTaskTTL
	}
	if e.poll <= 0 {
		e.poll = DefaultTaskPollInterval
	}
	if e.lease <= 0 {
		e.lease = DefaultTaskLease
	}
	if e.maxRunning <= 0 {
		e.maxRunning = DefaultMaxRunningTasks
	}
	if e.maxReruns <= 0 {
		e.maxReruns = DefaultTaskMaxReruns
	}
	if e.decodeAuth == nil {
		if d, ok := s.opts.Authenticate.(AuthDecoder); ok {
			e.decodeAuth = d.DecodeAuth
		}
	}
	if e.queue && s.opts.Authenticate != nil && e.decodeAuth == nil {
		panic("fastmcp: Options.Tasks.Queue runs tasks in other processes, which need the caller's auth data: set Options.Tasks.DecodeAuth, or use an Authenticator that implements AuthDecoder (AuthFunc does)")
	}
	return e
}

// bus returns the server's bus between replicas, or nil.
func (e *taskEngine) bus() Bus {
	if st := e.s.opts.Store; st != nil {
		return st.Bus
	}
	return nil
}

// Task ids: "t1", 16 random bytes and a 12-byte MAC of them and the
// principal, base64url. A forged id, or another principal's, is refused
// without asking the store.

const taskIDLen = 2 + 22 + 16

// taskIDMAC computes the MAC of a task id's random part and principal with
// key i of the server's ring, into out (12 bytes).
func (e *taskEngine) taskIDMAC(i int, random []byte, principal string, out []byte) {
	m, _ := e.macs[i].Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, e.s.keys.ring[i].mac[:])
	}
	m.Reset()
	m.Write([]byte("fastmcp/task-id\x00"))
	m.Write(random)
	m.Write([]byte(principal))
	var sum [sha256.Size]byte
	copy(out, m.Sum(sum[:0]))
	e.macs[i].Put(m)
}

func (e *taskEngine) newID(principal string) string {
	var random [16]byte
	rand.Read(random[:])
	var mac [12]byte
	e.taskIDMAC(0, random[:], principal, mac[:])
	b := make([]byte, 0, taskIDLen)
	b = append(b, "t1"...)
	b = b64.AppendEncode(b, random[:])
	return string(b64.AppendEncode(b, mac[:]))
}

// validID reports whether id was minted by this server (any key of its ring)
// for principal.
func (e *taskEngine) validID(id, principal string) bool {
	if len(id) != taskIDLen || id[:2] != "t1" {
		return false
	}
	var random [16]byte
	var mac, want [12]byte
	n1, err1 := b64.Decode(random[:], []byte(id[2:24]))
	n2, err2 := b64.Decode(mac[:], []byte(id[24:]))
	if err1 != nil || err2 != nil || n1 != len(random) || n2 != len(mac) {
		return false
	}
	for i := range e.macs {
		e.taskIDMAC(i, random[:], principal, want[:])
		if hmac.Equal(mac[:], want[:]) {
			return true
		}
	}
	return false
}

// taskSpec is what a worker needs to run a task (TaskRecord.Run).
type taskSpec struct {
	Tool string          `json:"tool"`
	Args json.RawMessage `json:"args,omitempty"`
	// Meta is the _meta of the request that created the task: the client's
	// capabilities, info and log level.
	Meta json.RawMessage `json:"meta,omitempty"`
	// Auth is the caller's auth data as JSON, sealed (AES-256-GCM) with
	// the server's keys; HasAuth says there was auth data (Auth is empty
	// when it could not be encoded).
	Auth       string `json:"auth,omitempty"`
	HasAuth    bool   `json:"hasAuth,omitempty"`
	ReqID      string `json:"reqId,omitempty"`
	Transport  string `json:"transport,omitempty"`
	RemoteAddr string `json:"remoteAddr,omitempty"`
}

// declaresTasks reports whether a request's client capabilities declare the
// tasks extension.
func declaresTasks(caps ClientCapabilities) bool {
	v, ok := caps.Extensions[TasksExtension]
	return ok && v != nil
}

// tasksCapabilityError refuses what needs the tasks extension from a client
// that did not declare it.
func tasksCapabilityError(what string) *Error {
	return missingCapability(what, "the "+TasksExtension+" extension (capabilities.extensions)",
		map[string]any{"extensions": map[string]any{TasksExtension: map[string]any{}}})
}

// toolTask is FastMCP's task policy on tools/call (see newToolCall): a call
// of a tool that runs as a task, from a client that declared the extension,
// becomes a task; other calls go on as plain calls, except those of a
// TaskRequired tool, which are refused.
func (s *Server) toolTask(next MethodHandler) MethodHandler {
	return func(c *Context, req *Request) (any, error) {
		e, err := s.toolFor(c, req)
		if err != nil {
			return nil, err
		}
		if e.tool.Task == TaskNever {
			return next(c, req)
		}
		return s.tasks.call(c, req, e, next)
	}
}

// call serves a tools/call of a tool that may run as a task.
func (e *taskEngine) call(c *Context, req *Request, t *toolEntry, next MethodHandler) (any, error) {
	r := c.req
	if r.proto != era2026 || !declaresTasks(r.clientCaps) {
		if t.tool.Task == TaskRequired {
			return nil, tasksCapabilityError(fmt.Sprintf("the tool %q, which runs only as a task,", t.tool.Name))
		}
		return next(c, req)
	}
	if !t.tool.TaskDeferred {
		return e.create(c, req, t, nil, nil)
	}
	// Deferred: the handler runs in the request until it calls StartTask;
	// its input calls are answered through multi round-trip requests.
	st := c.inputState()
	st.mu.Lock()
	st.taskable = true
	st.mu.Unlock()
	res, err := next(c, req)
	st.mu.Lock()
	start := st.startTask && st.failed == nil && len(st.pending) == 0 && !st.retry
	// The answers may be slices of the request's body: copied.
	answers, state := cloneRaws(st.used), bytes.Clone(st.app)
	st.mu.Unlock()
	if !start {
		return res, err
	}
	return e.create(c, req, t, answers, state)
}

// create creates the task of a tools/call and answers with its
// CreateTaskResult once the store holds it.
func (e *taskEngine) create(c *Context, req *Request, t *toolEntry, answers map[string]json.RawMessage, state []byte) (any, error) {
	r := c.req
	auth := c.Auth()
	principal := principalOf(auth)
	spec := taskSpec{Tool: req.Name, Args: req.Arguments, Meta: r.meta, ReqID: r.clientReqID}
	if r.conn != nil {
		info := r.conn.info()
		spec.Transport, spec.RemoteAddr = info.transport, info.remoteAddr
	}
	if auth != nil {
		spec.HasAuth = true
		raw, err := json.Marshal(auth)
		switch {
		case err == nil:
			spec.Auth = e.s.keys.seal(raw, true)
		case e.queue:
			return nil, fmt.Errorf("fastmcp: the caller's auth data (%T) cannot be encoded as JSON, so a queued task cannot carry it to a worker: %w", auth, err)
		default:
			// Runs here need no copy; a run elsewhere (after this
			// process died) will fail, saying why.
			e.s.logger.WarnContext(c, "fastmcp: the caller's auth data cannot be encoded as JSON; the task can run only in this process", "type", fmt.Sprintf("%T", auth), "error", err)
		}
	}
	run, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rec := &TaskRecord{
		ID:           e.newID(principal),
		Principal:    principal,
		Status:       TaskWorking,
		CreatedAt:    now,
		UpdatedAt:    now,
		TTL:          e.ttl,
		ExpiresAt:    now.Add(e.ttl),
		PollInterval: e.poll,
		Answers:      answers,
		State:        state,
		Run:          run,
	}
	if t.tool.Idempotent {
		rec.MaxReruns = e.maxReruns
	}
	if !e.queue {
		rec.Worker, rec.LeaseExpires = e.worker, now.Add(e.lease)
	}
	if err := e.store.Create(c, rec); err != nil {
		if errors.Is(err, ErrTaskLimit) {
			return errorResult(fmt.Sprintf("Tool %q was not started: the server keeps as many tasks as it may for you. Try again when earlier tasks have ended and expired.", t.tool.Name)), nil
		}
		e.s.logger.ErrorContext(c, "fastmcp: creating a task", "tool", t.tool.Name, "error", err)
		return nil, NewError(CodeInternalError, "Internal error: the task could not be stored; try again later")
	}
	if !e.queue {
		e.start(rec, auth, true)
	}
	b := append(make([]byte, 0, 256), `{"resultType":"task",`...)
	b = appendTaskFields(b, rec, false)
	return json.RawMessage(append(b, '}')), nil
}

// taskRun is one run of a task's handler in this process.
type taskRun struct {
	e       *taskEngine
	id      string
	rec     *TaskRecord
	auth    any
	hasAuth bool
	ctx     context.Context
	cancel  context.CancelCauseFunc

	// The status message, written to the store at most every
	// statusWriteInterval (setStatus).
	mu        sync.Mutex
	msg       string
	written   string
	lastWrite time.Time
	timer     *time.Timer
	done      bool
}

func (e *taskEngine) newRun(rec *TaskRecord, auth any, hasAuth bool) *taskRun {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &taskRun{e: e, id: rec.ID, rec: rec, auth: auth, hasAuth: hasAuth, ctx: ctx, cancel: cancel, msg: rec.StatusMessage, written: rec.StatusMessage}
}

// start runs a task leased to this process, now or when a slot frees.
// auth is the caller's auth data when hasAuth (else it is restored from the
// record).
func (e *taskEngine) start(rec *TaskRecord, auth any, hasAuth bool) {
	run := e.newRun(rec, auth, hasAuth)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hold(run)
	if e.active < e.maxRunning {
		e.active++
		go e.loop(run)
	} else {
		e.waiting = append(e.waiting, run)
	}
}

// hold records a run whose lease this process renews; e.mu held.
func (e *taskEngine) hold(run *taskRun) {
	e.running[run.id] = run
	e.peak = max(e.peak, len(e.running))
	if e.idle == nil {
		e.idle = make(chan struct{})
		go e.beat(e.idle)
	}
}

// release forgets a run; e.mu held.
func (e *taskEngine) release(run *taskRun) {
	delete(e.running, run.id)
	if len(e.running) > 0 {
		return
	}
	if e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
	if e.peak > 1024 {
		// Give back the memory of a map that held many runs.
		e.running, e.peak = map[string]*taskRun{}, 0
	}
}

// loop runs local runs until none waits.
func (e *taskEngine) loop(run *taskRun) {
	for run != nil {
		e.execute(run)
		e.mu.Lock()
		e.release(run)
		if len(e.waiting) > 0 {
			run = e.waiting[0]
			e.waiting[0] = nil
			e.waiting = e.waiting[1:]
			if len(e.waiting) == 0 {
				e.waiting = nil
			}
		} else {
			run = nil
			e.active--
		}
		e.mu.Unlock()
	}
}

// cancelLocal cancels the handler of a run this process holds.
func (e *taskEngine) cancelLocal(id string, cause error) {
	e.mu.Lock()
	run := e.running[id]
	e.mu.Unlock()
	if run != nil {
		run.cancel(cause)
	}
}

// beat renews the leases of the runs this process holds, every lease/3,
// cancels the handlers of tasks cancelled or lost meanwhile, and reaps the
// tasks of dead workers. It ends when idle is closed: this process holds no
// run any more.
func (e *taskEngine) beat(idle <-chan struct{}) {
	if bus := e.bus(); bus != nil {
		// A task cancelled through another replica is stopped at once,
		// not at the next renewal.
		unsubscribe, err := bus.Subscribe(context.Background(), busTopic("tasks", "cancel"), func(msg []byte) {
			e.cancelLocal(string(msg), errTaskCancelled)
		})
		if err == nil {
			defer unsubscribe()
		}
	}
	t := time.NewTicker(e.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-idle:
			return
		case <-t.C:
		}
		e.mu.Lock()
		ids := make([]string, 0, len(e.running))
		for id := range e.running {
			ids = append(ids, id)
		}
		e.mu.Unlock()
		if len(ids) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), e.lease/3)
			cancelled, lost, err := e.store.Renew(ctx, e.worker, ids, e.lease)
			cancel()
			if err != nil {
				e.s.logger.Error("fastmcp: renewing task leases", "tasks", len(ids), "error", err)
				continue
			}
			for _, id := range cancelled {
				e.cancelLocal(id, errTaskCancelled)
			}
			for _, id := range lost {
				e.cancelLocal(id, errTaskLost)
			}
		}
		e.reap(context.Background())
	}
}

// reap reaps the tasks whose worker died, runs here those leased to this
// process for a rerun, and notifies the changes.
func (e *taskEngine) reap(ctx context.Context) {
	worker := e.worker
	if e.queue {
		worker = "" // reruns go back to the queue
	}
	ctx, cancel := context.WithTimeout(ctx, e.lease/3)
	defer cancel()
	recs, err := e.store.Reap(ctx, worker, e.lease)
	if err != nil {
		e.s.logger.Error("fastmcp: reaping tasks", "error", err)
		return
	}
	for _, rec := range recs {
		switch {
		case rec.Status.Terminal():
			e.s.logger.Warn("fastmcp: task ended: its worker stopped", "task", rec.ID, "status", rec.Status)
			e.changed(rec)
		case worker != "" && rec.Worker == worker:
			e.s.logger.Warn("fastmcp: task runs again: its worker stopped", "task", rec.ID, "rerun", rec.Reruns)
			e.start(rec, nil, false)
		}
	}
}

// workerLostMessage is the status message of a task whose worker stopped.
func workerLostMessage(rec *TaskRecord, again bool) string {
	at := rec.LeaseExpires.UTC().Format(time.RFC3339)
	if again {
		return fmt.Sprintf("The worker running the task stopped (its lease lapsed at %s); the task runs again (rerun %d of %d).", at, rec.Reruns+1, rec.MaxReruns)
	}
	return fmt.Sprintf("The worker running the task stopped before the task ended (its lease lapsed at %s).", at)
}

// workerLostError is the error of a task whose worker stopped.
var workerLostError = json.RawMessage(`{"code":-32603,"message":"Internal error: the worker running the task stopped before the task ended"}`)

// serveWorkers runs queued tasks while ctx lasts, when tasks are queued
// (TaskOptions.Queue) and this process runs workers; the returned function
// stops them. Several Serve calls at once (two transports) share one set of
// workers.
func (e *taskEngine) serveWorkers(ctx context.Context) (stop func()) {
	if !e.queue || e.noWorkers {
		return func() {}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.serving++; e.serving == 1 {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.work(wctx)
		}()
		e.stopWorkers = func() {
			cancel()
			<-done
		}
	}
	return func() {
		e.mu.Lock()
		e.serving--
		last := e.serving == 0
		stopWorkers := e.stopWorkers
		e.mu.Unlock()
		if last {
			stopWorkers()
		}
	}
}

// work runs queued tasks with MaxRunning workers, and reaps the tasks of
// dead workers every lease/2, until ctx ends. Runs still going then are left
// to finish; their tasks end as their handlers return.
func (e *taskEngine) work(ctx context.Context) {
	var wg sync.WaitGroup
	for range e.maxRunning {
		wg.Go(func() {
			for {
				rec, err := e.store.Claim(ctx, e.worker, e.lease)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					e.s.logger.Error("fastmcp: claiming a task", "error", err)
					select {
					case <-time.After(time.Second):
						continue
					case <-ctx.Done():
						return
					}
				}
				run := e.newRun(rec, nil, false)
				e.mu.Lock()
				e.hold(run)
				e.mu.Unlock()
				e.execute(run)
				e.mu.Lock()
				e.release(run)
				e.mu.Unlock()
			}
		})
	}
	t := time.NewTicker(e.lease / 2)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			e.reap(ctx)
		case <-ctx.Done():
			wg.Wait()
			return
		}
	}
}

// execute runs a task's handler until it ends, asks for input, or is
// cancelled, and records the outcome.
func (e *taskEngine) execute(run *taskRun) {
	defer func() {
		if v := recover(); v != nil {
			err := e.s.recovered("task "+run.id, v)
			e.finish(run, TaskUpdate{Status: TaskFailed, Error: encodeWireError(wireError(err, e.s.opts.ShowErrorDetails))})
		}
	}()
	if cause := context.Cause(run.ctx); cause != nil {
		e.stopped(run, cause)
		return
	}
	rec := run.rec
	var spec taskSpec
	if err := json.Unmarshal(rec.Run, &spec); err != nil {
		e.fail(run, fmt.Sprintf("the task's record is corrupt: %v", err))
		return
	}
	auth := run.auth
	if !run.hasAuth && spec.HasAuth {
		var err error
		if auth, err = e.restoreAuth(spec.Auth); err != nil {
			e.fail(run, "the caller's credentials could not be restored to run the task in this process: "+err.Error())
			return
		}
	}
	answers, state := rec.Answers, rec.State
	for range maxTaskRounds {
		t := e.s.reg.tools.get(spec.Tool)
		ctx, stop := run.ctx, context.CancelFunc(func() {})
		if t != nil && t.timeout > 0 {
			ctx, stop = context.WithTimeout(ctx, t.timeout)
		}
		r := e.newRequest(ctx, run, &spec, auth)
		c := &r.ctx
		if t == nil || !c.sees(t) { // removed, disabled (Server.Disable) or not for this caller
			stop()
			e.finish(run, TaskUpdate{Status: TaskFailed, StatusMessage: fmt.Sprintf("Unknown tool: %s", spec.Tool),
				Error: encodeWireError(NewError(CodeInvalidParams, "Unknown tool: %s", spec.Tool))})
			return
		}
		st := &inputState{r: r, auth: auth, app: state}
		if len(answers) > 0 {
			st.answers = maps.Clone(answers)
		}
		r.input = st
		res, err := e.invoke(c, t, spec.Args)
		stop()
		if cause := context.Cause(run.ctx); cause != nil {
			e.stopped(run, cause)
			return
		}
		st.mu.Lock()
		failed, pending, retry := st.failed, st.pending, st.retry
		state = st.app
		st.mu.Unlock()
		switch {
		case failed != nil:
			err = failed
		case len(pending) > 0:
			e.waitForInput(run, r, pending, state)
			return
		case retry:
			continue
		}
		if err != nil {
			e.finish(run, TaskUpdate{Status: TaskFailed, StatusMessage: fmt.Sprintf("Tool %q failed.", spec.Tool),
				Error: encodeWireError(e.s.toWire(err, r))})
			return
		}
		if res == nil {
			res = &CallToolResult{Content: []Content{}}
		}
		raw, encErr := appendToolResult(append(make([]byte, 0, 256), `{"resultType":"complete",`...), res, v20260728)
		if encErr != nil {
			e.s.logger.Error("fastmcp: encoding a task's result", "task", run.id, "tool", spec.Tool, "error", encErr)
			e.finish(run, TaskUpdate{Status: TaskFailed, Error: encodeWireError(&Error{Code: CodeInternalError, Message: "Internal error: result could not be encoded"})})
			return
		}
		// appendToolResult opened its own object: drop its brace.
		raw = append(raw[:len(`{"resultType":"complete",`)], raw[len(`{"resultType":"complete",`)+1:]...)
		e.finish(run, TaskUpdate{Status: TaskCompleted, Result: raw})
		return
	}
	e.fail(run, fmt.Sprintf("the handler asked to run again (Context.RetryRequest) %d times in a row", maxTaskRounds))
}

// newRequest builds the request a run's handler sees: a 2026-07-28
// tools/call whose related messages (progress, logs) become the task's status
// message, and whose input calls put the task in input_required.
func (e *taskEngine) newRequest(ctx context.Context, run *taskRun, spec *taskSpec, auth any) *request {
	r := &request{proto: era2026, version: v20260728, mrtr: true}
	r.conn = &taskConn{run: run, ci: connInfo{transport: spec.Transport, remoteAddr: spec.RemoteAddr}}
	r.Method, r.Name, r.Arguments = "tools/call", spec.Tool, spec.Args
	r.auth, r.hasAuth = auth, true
	r.clientReqID = spec.ReqID
	r.progressToken = taskProgressToken
	r.logRequested, r.logLevel = true, LevelInfo
	if len(spec.Meta) > 0 {
		r.meta = spec.Meta
		var m struct {
			Caps  *ClientCapabilities `json:"io.modelcontextprotocol/clientCapabilities"`
			Info  json.RawMessage     `json:"io.modelcontextprotocol/clientInfo"`
			Level LoggingLevel        `json:"io.modelcontextprotocol/logLevel"`
		}
		if json.Unmarshal(spec.Meta, &m) == nil {
			if m.Caps != nil {
				r.clientCaps = *m.Caps
			}
			if len(m.Info) > 0 && m.Info[0] == '{' {
				r.infoRaw = m.Info
			}
			if m.Level.severity() > 0 {
				r.logLevel = m.Level
			}
		}
	}
	r.ctx = Context{Context: ctx, srv: e.s, req: r}
	return r
}

// taskProgressToken makes Context.ReportProgress report to a task's run.
var taskProgressToken = json.RawMessage(`"task"`)

// invoke calls a tool's handler for a task: like a plain call, except that a
// panic fails the task (a JSON-RPC internal error) instead of making an isError
// result, and a timeout (Tool.Timeout) answers that the tool timed out.
func (e *taskEngine) invoke(c *Context, t *toolEntry, args json.RawMessage) (res *CallToolResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			perr := e.s.recoveredIn(c, "tool "+t.tool.Name, v)
			msg := fmt.Sprintf("Internal error: tool %q panicked", t.tool.Name)
			if e.s.opts.ShowErrorDetails {
				msg += ": " + perr.Error()
			}
			res, err = nil, &Error{Code: CodeInternalError, Message: msg}
		}
	}()
	res, err = t.call(c, args)
	if err != nil {
		res, err = e.s.toolOutcome(c, t, err)
	}
	if t.timeout > 0 && errors.Is(c.Err(), context.DeadlineExceeded) && c.req.conn.(*taskConn).run.ctx.Err() == nil {
		return e.s.timedOut(c, t, t.timeout), nil
	}
	return res, err
}

// restoreAuth decodes the caller's auth data sealed in a task's record.
func (e *taskEngine) restoreAuth(sealed string) (any, error) {
	if sealed == "" {
		return nil, errors.New("they could not be encoded as JSON when the task was created")
	}
	if e.decodeAuth == nil {
		return nil, errors.New("the server has no way to decode them (set Options.Tasks.DecodeAuth)")
	}
	raw, err := e.s.keys.open(sealed)
	if err != nil {
		return nil, fmt.Errorf("they were sealed with a key this server does not hold (Options.Secret): %w", err)
	}
	return e.decodeAuth(raw)
}

// waitForInput parks a task whose handler asked for input.
func (e *taskEngine) waitForInput(run *taskRun, r *request, pending []pendingInput, state []byte) {
	reqs := make(map[string]json.RawMessage, len(pending))
	for _, p := range pending {
		b := append(make([]byte, 0, 128), `{"method":`...)
		b = jsonrpc.AppendString(b, p.req.method)
		params := json.RawMessage(`{}`)
		if p.req.params != nil {
			var err error
			if params, err = json.Marshal(p.req.wireParams()); err == nil && len(p.meta) > 0 {
				params, err = withMeta(params, p.meta)
			}
			if err != nil {
				e.finish(run, TaskUpdate{Status: TaskFailed, Error: encodeWireError(e.s.toWire(fmt.Errorf("encoding input request %s: %w", p.key, err), r))})
				return
			}
		}
		b = append(b, `,"params":`...)
		b = append(b, params...)
		reqs[p.key] = append(b, '}')
	}
	msg := "Waiting for the client's input."
	if len(reqs) > 1 {
		msg = fmt.Sprintf("Waiting for the client's input (%d requests).", len(reqs))
	}
	e.finish(run, TaskUpdate{Status: TaskInputRequired, StatusMessage: msg, InputRequests: reqs, State: state})
}

// stopped records a run whose context ended: cancelled by the client, or
// lost (another worker holds the task now, or it ended).
func (e *taskEngine) stopped(run *taskRun, cause error) {
	if errors.Is(cause, errTaskCancelled) {
		e.finish(run, TaskUpdate{Status: TaskCancelled, StatusMessage: "The task was cancelled."})
		return
	}
	run.mu.Lock()
	run.done = true
	if run.timer != nil {
		run.timer.Stop()
	}
	run.mu.Unlock()
}

// fail ends a task failed with an internal error saying why.
func (e *taskEngine) fail(run *taskRun, why string) {
	e.s.logger.Error("fastmcp: task failed", "task", run.id, "reason", why)
	e.finish(run, TaskUpdate{Status: TaskFailed, StatusMessage: "The task failed: " + why,
		Error: encodeWireError(&Error{Code: CodeInternalError, Message: "Internal error: " + why})})
}

// finish records the outcome of a run (its last status message kept unless
// u sets one), and notifies the change.
func (e *taskEngine) finish(run *taskRun, u TaskUpdate) {
	run.mu.Lock()
	run.done = true
	if run.timer != nil {
		run.timer.Stop()
	}
	if u.StatusMessage == "" {
		u.StatusMessage = run.msg
	}
	run.mu.Unlock()
	var rec *TaskRecord
	var err error
	for attempt := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), e.lease/3)
		rec, err = e.store.Update(ctx, run.id, e.worker, u)
		cancel()
		if err == nil || errors.Is(err, ErrTaskLeaseLost) || errors.Is(err, ErrTaskNotFound) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	switch {
	case err == nil:
		e.changed(rec)
	case errors.Is(err, ErrTaskLeaseLost), errors.Is(err, ErrTaskNotFound):
		// Reaped, ended, or expired meanwhile: the outcome is not ours
		// to record.
		e.s.logger.Debug("fastmcp: task outcome discarded", "task", run.id, "status", u.Status, "reason", err)
	default:
		e.s.logger.Error("fastmcp: recording a task's outcome", "task", run.id, "status", u.Status, "error", err)
	}
}

// setStatus sets a run's status message, writing it to the store now or at
// the end of the current write interval.
func (run *taskRun) setStatus(msg string) {
	if len(msg) > maxStatusMessage {
		msg = truncateUTF8(msg, maxStatusMessage)
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.done || msg == run.msg {
		return
	}
	run.msg = msg
	if wait := statusWriteInterval - time.Since(run.lastWrite); wait > 0 {
		if run.timer == nil {
			run.timer = time.AfterFunc(wait, run.flush)
		}
		return
	}
	run.flushLocked()
}

func (run *taskRun) flush() {
	run.mu.Lock()
	defer run.mu.Unlock()
	run.timer = nil
	if !run.done {
		run.flushLocked()
	}
}

// flushLocked writes the status message; run.mu held.
func (run *taskRun) flushLocked() {
	if run.msg == run.written {
		return
	}
	run.lastWrite = time.Now()
	ctx, cancel := context.WithTimeout(run.ctx, run.e.lease/3)
	defer cancel()
	_, err := run.e.store.Update(ctx, run.id, run.e.worker, TaskUpdate{Status: TaskWorking, StatusMessage: run.msg})
	switch {
	case err == nil:
		run.written = run.msg
	case errors.Is(err, ErrTaskLeaseLost), errors.Is(err, ErrTaskNotFound):
		run.cancel(errTaskLost)
	default:
		run.e.s.logger.Debug("fastmcp: writing a task's status message", "task", run.id, "error", err)
	}
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// taskConn is the conn of a run's request: messages the handler sends to the
// client (progress, logs) become the task's status message.
type taskConn struct {
	run *taskRun
	ci  connInfo
}

func (t *taskConn) info() connInfo                { return t.ci }
func (t *taskConn) session(bool) (*Session, bool) { return nil, true }
func (t *taskConn) auth() (any, error)            { return nil, nil }
func (t *taskConn) validate(*request) *Error      { return nil }
func (t *taskConn) async(func()) bool             { return false }
func (t *taskConn) resumable() bool               { return false }
func (t *taskConn) reply([]byte, answer)          {}

func (t *taskConn) send(msg []byte) error {
	var n struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if json.Unmarshal(msg, &n) != nil {
		return nil
	}
	switch n.Method {
	case "notifications/progress":
		var p struct {
			Progress float64 `json:"progress"`
			Total    float64 `json:"total"`
			Message  string  `json:"message"`
		}
		if json.Unmarshal(n.Params, &p) != nil {
			return nil
		}
		text := p.Message
		if text == "" {
			text = "Progress: " + strconv.FormatFloat(p.Progress, 'g', -1, 64)
			if p.Total > 0 {
				text += " of " + strconv.FormatFloat(p.Total, 'g', -1, 64)
			}
		}
		t.run.setStatus(text)
	case "notifications/message":
		var p struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(n.Params, &p) != nil || len(p.Data) == 0 {
			return nil
		}
		var text string
		if json.Unmarshal(p.Data, &text) != nil {
			var obj struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(p.Data, &obj) == nil && obj.Message != "" {
				text = obj.Message
			} else {
				text = string(p.Data)
			}
		}
		t.run.setStatus(text)
	}
	return nil
}

// encodeWireError encodes a JSON-RPC error object.
func encodeWireError(e *Error) json.RawMessage {
	b := append(make([]byte, 0, 64), `{"code":`...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	b = append(b, `,"message":`...)
	b = jsonrpc.AppendString(b, e.Message)
	if e.Data != nil {
		if raw, err := json.Marshal(e.Data); err == nil {
			b = append(b, `,"data":`...)
			b = append(b, raw...)
		}
	}
	return append(b, '}')
}
