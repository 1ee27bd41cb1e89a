package fastmcp

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"
)

// TaskStore keeps the tasks of the tasks extension where every process that
// serves or runs them sees them: the in-memory default (NewMemoryTaskStore)
// for one process, or a shared store (over Redis, say) so that a task created
// through one replica is polled, answered and cancelled through any other,
// and run by any worker.
//
// FastMCP calls the store; applications rarely do. Implementations must be
// safe for concurrent use, and each method must be one atomic step (on Redis,
// one Lua script): when two replicas act on the same task at once, the store
// decides which change wins, and no change is half made.
//
// A record is kept until its ExpiresAt, never less, and may be dropped then.
// A task being run is leased to one worker (Worker, LeaseExpires): the worker
// renews its leases while the handler runs; a task whose lease lapsed (its
// worker died) is reaped: failed, cancelled, or run again (Reap).
type TaskStore interface {
	// Create stores a new task, in status working, kept until
	// rec.ExpiresAt. When rec.Worker is empty the task is queued for Claim;
	// otherwise it is leased to rec.Worker until rec.LeaseExpires (and kept
	// at least as long). It returns ErrTaskLimit when the store holds as
	// many tasks as it may, in all or for rec.Principal.
	Create(ctx context.Context, rec *TaskRecord) error

	// Get returns a copy of the task, or ErrTaskNotFound.
	Get(ctx context.Context, id string) (*TaskRecord, error)

	// Update records what worker's run of the task did (see TaskUpdate),
	// and returns the task as it now is. It returns ErrTaskLeaseLost when
	// worker does not hold the task's lease (it lapsed and the task was
	// reaped, or the task ended), and ErrTaskNotFound when the task is gone.
	Update(ctx context.Context, id, worker string, u TaskUpdate) (*TaskRecord, error)

	// Answer records the client's answers to the input requests of a task
	// waiting for input. Answers to keys the task is not waiting for are
	// ignored. When no input request remains outstanding, the task is
	// working again and resumed is true (for exactly one caller): it is
	// leased to worker for lease when worker is set, queued otherwise. It
	// returns ErrTaskNotWaiting when the task is not in input_required.
	Answer(ctx context.Context, id string, answers map[string]json.RawMessage, worker string, lease time.Duration) (rec *TaskRecord, resumed bool, err error)

	// Cancel asks for the task to be cancelled. A task no handler runs
	// (waiting for input, or queued) is cancelled at once; a running one is
	// marked CancelRequested, for its worker to stop it (Renew reports it).
	// A task that has ended is left as it is. It returns the task as it
	// now is.
	Cancel(ctx context.Context, id string) (*TaskRecord, error)

	// Claim takes the next queued task, leasing it to worker for lease,
	// waiting while ctx allows when none is queued. It returns ctx's error
	// when ctx ends first.
	Claim(ctx context.Context, worker string, lease time.Duration) (*TaskRecord, error)

	// Renew extends worker's leases on the tasks ids for lease, and keeps
	// each task for at least as long. It reports the tasks whose
	// cancellation was requested, and those worker no longer holds (gone,
	// ended, or reaped): their handlers must stop.
	Renew(ctx context.Context, worker string, ids []string, lease time.Duration) (cancel, lost []string, err error)

	// Reap ends the leases that lapsed: a task whose cancellation was
	// requested is cancelled; one that may run again (Reruns below
	// MaxReruns) counts a rerun and is leased to worker for lease when
	// worker is set, queued otherwise; any other fails, with a JSON-RPC
	// error saying its worker stopped. It returns the tasks it changed.
	Reap(ctx context.Context, worker string, lease time.Duration) ([]*TaskRecord, error)
}

// Errors of a TaskStore.
var (
	// ErrTaskNotFound: the store holds no such task (never created, or
	// expired).
	ErrTaskNotFound = errors.New("fastmcp: task not found")
	// ErrTaskLimit: the store holds as many tasks as it may.
	ErrTaskLimit = errors.New("fastmcp: too many tasks")
	// ErrTaskLeaseLost: the worker no longer holds the task's lease.
	ErrTaskLeaseLost = errors.New("fastmcp: the task's lease is held by another worker, or the task has ended")
	// ErrTaskNotWaiting: the task is not waiting for input.
	ErrTaskNotWaiting = errors.New("fastmcp: the task is not waiting for input")
)

// TaskStatus is the status of a task.
type TaskStatus string

// The statuses of a task. A task starts working, may wait for the client's
// input (input_required) and work again any number of times, and ends
// completed, failed or cancelled.
const (
	TaskWorking       TaskStatus = "working"
	TaskInputRequired TaskStatus = "input_required"
	// TaskCompleted: the tool returned a result, which may have isError set.
	TaskCompleted TaskStatus = "completed"
	// TaskFailed: the call ended with a JSON-RPC error (a protocol error, a
	// panic, a worker that stopped).
	TaskFailed    TaskStatus = "failed"
	TaskCancelled TaskStatus = "cancelled"
)

// Terminal reports whether the status ends the task.
func (s TaskStatus) Terminal() bool {
	return s == TaskCompleted || s == TaskFailed || s == TaskCancelled
}

// TaskRecord is a task as a TaskStore keeps it. FastMCP fills it in; a store
// keeps every field and gives them back unchanged.
type TaskRecord struct {
	// ID is the task id, unguessable, minted by the server.
	ID string
	// Principal names the caller that created the task: only the same
	// principal sees it.
	Principal string
	Status    TaskStatus
	// StatusMessage describes the current state (progress, or why it
	// failed).
	StatusMessage string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// TTL is how long the task is kept after it is created, and after it
	// ends.
	TTL time.Duration
	// ExpiresAt is when the store may drop the task: CreatedAt+TTL at
	// first, pushed back to the end of its lease while a worker holds it,
	// and TTL after the task ends.
	ExpiresAt    time.Time
	PollInterval time.Duration

	// Result is the encoded tool result of a completed task; Error the
	// encoded JSON-RPC error object of a failed one.
	Result json.RawMessage
	Error  json.RawMessage
	// InputRequests are the input requests outstanding while the task waits
	// for input, by key, each encoded as {"method":..., "params":...}.
	InputRequests map[string]json.RawMessage
	// Answers are the client's answers to earlier input requests, by key,
	// as the client sent them.
	Answers map[string]json.RawMessage
	// State is the handler's own state between runs
	// (Context.SetRequestState).
	State []byte
	// CancelRequested: the client cancelled the task while it ran.
	CancelRequested bool

	// Run is what a worker needs to run the task, encoded by FastMCP: the
	// tool, its arguments, the client's capabilities and its credentials,
	// encrypted.
	Run []byte
	// Worker holds the task's lease until LeaseExpires; empty when no
	// worker runs the task (queued, waiting for input, or ended).
	Worker       string
	LeaseExpires time.Time
	// Reruns counts the times the task was run again because its worker
	// stopped; MaxReruns bounds them (0 unless the tool is idempotent).
	Reruns    int
	MaxReruns int
}

// clone returns a deep copy of the record.
func (r *TaskRecord) clone() *TaskRecord {
	c := *r
	c.Result = slices.Clone(r.Result)
	c.Error = slices.Clone(r.Error)
	c.InputRequests = cloneRaws(r.InputRequests)
	c.Answers = cloneRaws(r.Answers)
	c.State = slices.Clone(r.State)
	c.Run = slices.Clone(r.Run)
	return &c
}

// cloneRaws returns a deep copy of m.
func cloneRaws(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		c[k] = slices.Clone(v)
	}
	return c
}

// TaskUpdate is what a run of a task did (TaskStore.Update):
//
//   - Status TaskWorking: the task still runs; StatusMessage, when set,
//     replaces its status message.
//   - Status TaskInputRequired: the run needs the client's input: the task
//     waits with InputRequests outstanding and State kept, and the lease is
//     released. A task whose cancellation was requested is cancelled
//     instead.
//   - A terminal status ends the task, with Result (completed) or Error
//     (failed), and keeps it TTL from now.
type TaskUpdate struct {
	Status        TaskStatus
	StatusMessage string
	Result        json.RawMessage
	Error         json.RawMessage
	InputRequests map[string]json.RawMessage
	State         []byte
}

// Defaults of MemoryTaskStoreOptions.
const (
	DefaultMaxTasks             = 100_000
	DefaultMaxTasksPerPrincipal = 10_000
)

// MemoryTaskStoreOptions bound a memory task store. The zero value takes the
// defaults.
type MemoryTaskStoreOptions struct {
	// MaxTasks caps the tasks kept, whatever their status, until they
	// expire. Default DefaultMaxTasks (100,000).
	MaxTasks int
	// MaxTasksPerPrincipal caps the tasks kept for one principal (every
	// unauthenticated client is the same principal). Default
	// DefaultMaxTasksPerPrincipal (10,000).
	MaxTasksPerPrincipal int
}

// NewMemoryTaskStore returns a TaskStore that keeps tasks in the memory of the
// process: right for one replica. Tasks are dropped when they expire (a timer
// armed for the earliest expiry), and the store's memory shrinks back as they
// go.
func NewMemoryTaskStore(opts MemoryTaskStoreOptions) TaskStore {
	if opts.MaxTasks <= 0 {
		opts.MaxTasks = DefaultMaxTasks
	}
	if opts.MaxTasksPerPrincipal <= 0 {
		opts.MaxTasksPerPrincipal = DefaultMaxTasksPerPrincipal
	}
	m := &memoryTaskStore{opts: opts, wake: make(chan struct{})}
	m.reset()
	return m
}

type memoryTaskStore struct {
	opts MemoryTaskStoreOptions

	mu       sync.Mutex
	tasks    map[string]*TaskRecord
	perOwner map[string]int
	leased   map[string]struct{}
	queue    []string
	expiries expiryHeap
	timer    *time.Timer
	timerAt  time.Time
	peak     int
	wake     chan struct{} // closed and replaced when a task is queued
}

// reset allocates the maps afresh: Go maps keep their buckets when entries
// are deleted, so a store that held many tasks gives the memory back this
// way once they are gone.
func (m *memoryTaskStore) reset() {
	m.tasks = map[string]*TaskRecord{}
	m.perOwner = map[string]int{}
	m.leased = map[string]struct{}{}
	m.queue = nil
	m.expiries = nil
	m.peak = 0
}

// taskExpiry is an entry of the expiry heap: the record may have been given a
// later expiry since (a newer entry then exists), or be gone.
type taskExpiry struct {
	at time.Time
	id string
}

type expiryHeap []taskExpiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(taskExpiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// setExpiry gives rec a new expiry and makes sure the timer fires for it.
func (m *memoryTaskStore) setExpiry(rec *TaskRecord, at time.Time) {
	rec.ExpiresAt = at
	heap.Push(&m.expiries, taskExpiry{at: at, id: rec.ID})
	m.arm()
}

// arm sets the timer for the earliest expiry, if it is not set for it.
func (m *memoryTaskStore) arm() {
	if len(m.expiries) == 0 {
		return
	}
	at := m.expiries[0].at
	if m.timer != nil && !m.timerAt.After(at) {
		return // set for this expiry or an earlier one
	}
	if m.timer != nil {
		m.timer.Stop()
	}
	m.timerAt = at
	m.timer = time.AfterFunc(time.Until(at), m.sweep)
}

// sweep drops the expired tasks and re-arms the timer.
func (m *memoryTaskStore) sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.timer = nil
	m.sweepLocked(time.Now())
}

// sweepLocked drops the tasks expired at now; m.mu held.
func (m *memoryTaskStore) sweepLocked(now time.Time) {
	for len(m.expiries) > 0 && !m.expiries[0].at.After(now) {
		e := heap.Pop(&m.expiries).(taskExpiry)
		rec := m.tasks[e.id]
		if rec == nil || rec.ExpiresAt.After(now) {
			continue // gone, or kept longer since
		}
		m.drop(rec)
	}
	if len(m.queue) > 2*len(m.tasks)+64 {
		// Queued tasks that expired unclaimed (no worker runs): keep the
		// queue to the tasks that are left.
		m.queue = slices.DeleteFunc(m.queue, func(id string) bool { return m.tasks[id] == nil })
	}
	if len(m.tasks) == 0 {
		m.reset()
	} else if m.peak > 1024 && len(m.tasks) < m.peak/4 {
		m.shrink()
	} else if cap(m.expiries) > 1024 && len(m.expiries) < cap(m.expiries)/4 {
		m.expiries = slices.Clip(slices.Clone(m.expiries))
	}
	m.arm()
}

// shrink copies the maps into new ones sized for what they hold.
func (m *memoryTaskStore) shrink() {
	m.tasks = maps.Clone(m.tasks)
	m.perOwner = maps.Clone(m.perOwner)
	m.leased = maps.Clone(m.leased)
	m.expiries = slices.Clip(slices.Clone(m.expiries))
	m.queue = slices.Clip(slices.Clone(m.queue))
	m.peak = len(m.tasks)
}

func (m *memoryTaskStore) drop(rec *TaskRecord) {
	delete(m.tasks, rec.ID)
	delete(m.leased, rec.ID)
	if n := m.perOwner[rec.Principal] - 1; n > 0 {
		m.perOwner[rec.Principal] = n
	} else {
		delete(m.perOwner, rec.Principal)
	}
}

// live returns the task, or nil when it is unknown or expired.
func (m *memoryTaskStore) live(id string, now time.Time) *TaskRecord {
	rec := m.tasks[id]
	if rec == nil || !now.Before(rec.ExpiresAt) {
		return nil
	}
	return rec
}

func (m *memoryTaskStore) Create(_ context.Context, rec *TaskRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	full := func() bool {
		return len(m.tasks) >= m.opts.MaxTasks || m.perOwner[rec.Principal] >= m.opts.MaxTasksPerPrincipal
	}
	if full() {
		// Expired tasks the timer has not dropped yet do not count.
		if m.sweepLocked(time.Now()); full() {
			return ErrTaskLimit
		}
	}
	if _, dup := m.tasks[rec.ID]; dup {
		return errors.New("fastmcp: a task with this id exists")
	}
	r := rec.clone()
	m.tasks[r.ID] = r
	m.perOwner[r.Principal]++
	m.peak = max(m.peak, len(m.tasks))
	at := r.ExpiresAt
	if r.Worker != "" && r.LeaseExpires.After(at) {
		at = r.LeaseExpires // kept while its worker holds it
	}
	m.setExpiry(r, at)
	if r.Worker == "" {
		m.enqueue(r.ID)
	} else {
		m.leased[r.ID] = struct{}{}
	}
	return nil
}

func (m *memoryTaskStore) Get(_ context.Context, id string) (*TaskRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.live(id, time.Now())
	if rec == nil {
		return nil, ErrTaskNotFound
	}
	return rec.clone(), nil
}

// end makes rec terminal with status, keeping it TTL from now at least.
func (m *memoryTaskStore) end(rec *TaskRecord, status TaskStatus, now time.Time) {
	rec.Status = status
	rec.UpdatedAt = now
	rec.Worker, rec.LeaseExpires = "", time.Time{}
	rec.InputRequests = nil
	rec.CancelRequested = false
	delete(m.leased, rec.ID)
	// TTL from now: never before its creation's TTL, and without the
	// keep-alive its leases gave it.
	m.setExpiry(rec, now.Add(rec.TTL))
}

func (m *memoryTaskStore) Update(_ context.Context, id, worker string, u TaskUpdate) (*TaskRecord, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.live(id, now)
	if rec == nil {
		return nil, ErrTaskNotFound
	}
	if rec.Worker != worker || rec.Status.Terminal() {
		return nil, ErrTaskLeaseLost
	}
	switch {
	case u.Status == TaskWorking:
		if u.StatusMessage != "" && u.StatusMessage != rec.StatusMessage {
			rec.StatusMessage, rec.UpdatedAt = u.StatusMessage, now
		}
	case u.Status == TaskInputRequired && rec.CancelRequested:
		m.end(rec, TaskCancelled, now)
	case u.Status == TaskInputRequired:
		rec.Status, rec.UpdatedAt = TaskInputRequired, now
		rec.StatusMessage = u.StatusMessage
		rec.InputRequests = cloneRaws(u.InputRequests)
		rec.State = slices.Clone(u.State)
		rec.Worker, rec.LeaseExpires = "", time.Time{}
		delete(m.leased, id)
	case u.Status.Terminal():
		m.end(rec, u.Status, now)
		if u.StatusMessage != "" {
			rec.StatusMessage = u.StatusMessage
		}
		rec.Result, rec.Error = slices.Clone(u.Result), slices.Clone(u.Error)
	default:
		return nil, errors.New("fastmcp: invalid task update status " + string(u.Status))
	}
	return rec.clone(), nil
}

func (m *memoryTaskStore) Answer(_ context.Context, id string, answers map[string]json.RawMessage, worker string, lease time.Duration) (*TaskRecord, bool, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.live(id, now)
	if rec == nil {
		return nil, false, ErrTaskNotFound
	}
	if rec.Status != TaskInputRequired {
		return nil, false, ErrTaskNotWaiting
	}
	changed := false
	for k, v := range answers {
		if _, ok := rec.InputRequests[k]; !ok {
			continue
		}
		if rec.Answers == nil {
			rec.Answers = map[string]json.RawMessage{}
		}
		rec.Answers[k] = slices.Clone(v)
		delete(rec.InputRequests, k)
		changed = true
	}
	if !changed {
		return rec.clone(), false, nil
	}
	rec.UpdatedAt = now
	if len(rec.InputRequests) > 0 {
		return rec.clone(), false, nil
	}
	rec.Status, rec.InputRequests, rec.StatusMessage = TaskWorking, nil, ""
	if worker != "" {
		m.lease(rec, worker, lease, now)
	} else {
		m.enqueue(id)
	}
	return rec.clone(), true, nil
}

// lease leases rec to worker.
func (m *memoryTaskStore) lease(rec *TaskRecord, worker string, d time.Duration, now time.Time) {
	rec.Worker, rec.LeaseExpires = worker, now.Add(d)
	m.leased[rec.ID] = struct{}{}
	if rec.LeaseExpires.After(rec.ExpiresAt) {
		m.setExpiry(rec, rec.LeaseExpires)
	}
}

func (m *memoryTaskStore) enqueue(id string) {
	m.queue = append(m.queue, id)
	close(m.wake)
	m.wake = make(chan struct{})
}

func (m *memoryTaskStore) Cancel(_ context.Context, id string) (*TaskRecord, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.live(id, now)
	if rec == nil {
		return nil, ErrTaskNotFound
	}
	switch {
	case rec.Status.Terminal():
	case rec.Worker == "":
		// Waiting for input, or queued (Claim skips it).
		m.end(rec, TaskCancelled, now)
	case !rec.CancelRequested:
		rec.CancelRequested = true
	}
	return rec.clone(), nil
}

func (m *memoryTaskStore) Claim(ctx context.Context, worker string, lease time.Duration) (*TaskRecord, error) {
	for {
		m.mu.Lock()
		now := time.Now()
		for len(m.queue) > 0 {
			id := m.queue[0]
			m.queue[0] = ""
			m.queue = m.queue[1:]
			rec := m.live(id, now)
			if rec == nil || rec.Status != TaskWorking || rec.Worker != "" {
				continue // cancelled or gone while queued
			}
			m.lease(rec, worker, lease, now)
			c := rec.clone()
			m.mu.Unlock()
			return c, nil
		}
		m.queue = nil
		wake := m.wake
		m.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *memoryTaskStore) Renew(_ context.Context, worker string, ids []string, d time.Duration) (cancel, lost []string, err error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		rec := m.live(id, now)
		if rec == nil || rec.Worker != worker || rec.Status.Terminal() {
			lost = append(lost, id)
			continue
		}
		m.lease(rec, worker, d, now)
		if rec.CancelRequested {
			cancel = append(cancel, id)
		}
	}
	return cancel, lost, nil
}

func (m *memoryTaskStore) Reap(_ context.Context, worker string, d time.Duration) ([]*TaskRecord, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*TaskRecord
	for id := range m.leased {
		rec := m.live(id, now)
		if rec == nil {
			delete(m.leased, id)
			continue
		}
		if rec.Worker == "" || now.Before(rec.LeaseExpires) {
			continue
		}
		switch {
		case rec.CancelRequested:
			m.end(rec, TaskCancelled, now)
		case rec.Reruns < rec.MaxReruns:
			rec.StatusMessage = workerLostMessage(rec, true)
			rec.Reruns++
			rec.Worker, rec.LeaseExpires = "", time.Time{}
			delete(m.leased, id)
			rec.UpdatedAt = now
			if worker != "" {
				m.lease(rec, worker, d, now)
			} else {
				m.enqueue(id)
			}
		default:
			msg := workerLostMessage(rec, false)
			m.end(rec, TaskFailed, now)
			rec.StatusMessage = msg
			rec.Error = workerLostError
		}
		out = append(out, rec.clone())
	}
	return out, nil
}
