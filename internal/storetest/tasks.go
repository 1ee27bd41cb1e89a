package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// OpenTasks returns two handles on one fresh task store, capped at
// maxTasks tasks in all and maxPerPrincipal per principal (0: the
// defaults).
type OpenTasks func(t *testing.T, maxTasks, maxPerPrincipal int) (a, b fastmcp.TaskStore)

// WorkerLostError is the error of a task failed because its worker stopped.
const WorkerLostError = `{"code":-32603,"message":"Internal error: the worker running the task stopped before the task ended"}`

// WorkerLostMessage is the status message of a task whose worker stopped,
// its lease lapsed at leaseExpires; again: it runs again (rerun of max).
func WorkerLostMessage(leaseExpires time.Time, again bool, rerun, max int) string {
	at := leaseExpires.UTC().Format(time.RFC3339)
	if again {
		return fmt.Sprintf("The worker running the task stopped (its lease lapsed at %s); the task runs again (rerun %d of %d).", at, rerun, max)
	}
	return fmt.Sprintf("The worker running the task stopped before the task ended (its lease lapsed at %s).", at)
}

// newTask returns a queued task of principal, kept for ttl.
func newTask(id, principal string, ttl time.Duration) *fastmcp.TaskRecord {
	now := time.Now()
	return &fastmcp.TaskRecord{
		ID: id, Principal: principal, Status: fastmcp.TaskWorking,
		CreatedAt: now, UpdatedAt: now, TTL: ttl, ExpiresAt: now.Add(ttl),
		PollInterval: time.Second, Run: []byte("run " + id),
	}
}

// leased returns the task leased to worker for lease.
func leased(rec *fastmcp.TaskRecord, worker string, lease time.Duration) *fastmcp.TaskRecord {
	rec.Worker, rec.LeaseExpires = worker, time.Now().Add(lease)
	return rec
}

// near reports whether two times are within the stores' granularity (Redis
// counts milliseconds) plus what a loaded machine takes between two calls.
func near(a, b time.Time, slack time.Duration) bool {
	d := a.Sub(b)
	return d > -slack && d < slack
}

func sameRaws(a, b map[string]json.RawMessage) bool {
	return len(a) == len(b) && maps.EqualFunc(a, b, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })
}

// TaskStore tests a fastmcp.TaskStore: what each method does (as the
// interface documents it and the memory store does it), across two
// replicas, under concurrency, and with expiry.
func TaskStore(t *testing.T, open OpenTasks) {
	cases := map[string]func(t *testing.T, a, b fastmcp.TaskStore){
		"create and get": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			in := newTask("t1", "ann", long)
			in.StatusMessage = "queued"
			in.State = []byte{0, 255, '\n'}
			in.Run = []byte("\x00binary\xff")
			in.Result = json.RawMessage(`{ "a" : 1.50 }`)
			in.Answers = map[string]json.RawMessage{"k1": json.RawMessage(` {"x":  "é\u00e9"} `)}
			in.InputRequests = map[string]json.RawMessage{"k2": json.RawMessage(`{"method":"m" }`)}
			in.MaxReruns, in.Reruns = 3, 1
			must(t, a.Create(ctx, in))
			want := *in
			want.Run = bytes.Clone(in.Run)
			in.Run[0] = 'X' // the store keeps its own copy
			in = &want
			got, err := b.Get(ctx, "t1")
			must(t, err)
			checkRecord(t, "Get on the other replica", got, in)
			got.Run[1] = 'X'
			got.Answers["k1"][0] = 'X'
			again, _ := a.Get(ctx, "t1")
			checkRecord(t, "Get after changing the copy", again, in)
			if err := b.Create(ctx, newTask("t1", "bob", long)); err == nil {
				t.Error("Create of an existing id: no error")
			}
			if _, err := a.Get(ctx, "nope"); !errors.Is(err, fastmcp.ErrTaskNotFound) {
				t.Errorf("Get of a missing task: %v", err)
			}
			// A leased task is kept at least to the end of its lease.
			lt := leased(newTask("t2", "ann", short), "w1", long)
			must(t, a.Create(ctx, lt))
			got, err = b.Get(ctx, "t2")
			must(t, err)
			if got.Worker != "w1" || !near(got.LeaseExpires, lt.LeaseExpires, 2*time.Millisecond) || got.ExpiresAt.Before(lt.LeaseExpires) {
				t.Errorf("a leased task: worker %q lease %v expires %v, want w1, %v, not before", got.Worker, got.LeaseExpires, got.ExpiresAt, lt.LeaseExpires)
			}
		},
		"missing": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			for name, err := range map[string]error{
				"Get": func() error { _, err := a.Get(ctx, "nope"); return err }(),
				"Update": func() error {
					_, err := a.Update(ctx, "nope", "w", fastmcp.TaskUpdate{Status: fastmcp.TaskWorking})
					return err
				}(),
				"Answer": func() error { _, _, err := a.Answer(ctx, "nope", nil, "", medium); return err }(),
				"Cancel": func() error { _, err := a.Cancel(ctx, "nope"); return err }(),
			} {
				if !errors.Is(err, fastmcp.ErrTaskNotFound) {
					t.Errorf("%s of a missing task: %v", name, err)
				}
			}
			cancel, lost, err := b.Renew(ctx, "w", []string{"nope"}, medium)
			if err != nil || len(cancel) != 0 || len(lost) != 1 || lost[0] != "nope" {
				t.Errorf("Renew of a missing task: %v %v %v", cancel, lost, err)
			}
		},
		"update": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, leased(newTask("t", "ann", long), "w1", long)))
			if _, err := b.Update(ctx, "t", "w2", fastmcp.TaskUpdate{Status: fastmcp.TaskWorking, StatusMessage: "x"}); !errors.Is(err, fastmcp.ErrTaskLeaseLost) {
				t.Errorf("Update by another worker: %v", err)
			}
			got, err := b.Update(ctx, "t", "w1", fastmcp.TaskUpdate{Status: fastmcp.TaskWorking, StatusMessage: "step 1"})
			must(t, err)
			if got.Status != fastmcp.TaskWorking || got.StatusMessage != "step 1" || got.Worker != "w1" {
				t.Errorf("after a progress update: %+v", got)
			}
			reqs := map[string]json.RawMessage{"e1": json.RawMessage(`{"method":"elicitation/create","params":{ }}`)}
			got, err = a.Update(ctx, "t", "w1", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, StatusMessage: "asks", InputRequests: reqs, State: []byte("st\x00")})
			must(t, err)
			if got.Status != fastmcp.TaskInputRequired || got.Worker != "" || !got.LeaseExpires.IsZero() || !sameRaws(got.InputRequests, reqs) || string(got.State) != "st\x00" || got.StatusMessage != "asks" {
				t.Errorf("waiting for input: %+v", got)
			}
			// The lease was released: its worker holds it no more.
			if _, err := b.Update(ctx, "t", "w1", fastmcp.TaskUpdate{Status: fastmcp.TaskWorking}); !errors.Is(err, fastmcp.ErrTaskLeaseLost) {
				t.Errorf("Update after the lease was released: %v", err)
			}
			_, resumed, err := b.Answer(ctx, "t", map[string]json.RawMessage{"e1": json.RawMessage(`{"action":"accept"}`)}, "w2", long)
			must(t, err)
			if !resumed {
				t.Fatal("not resumed")
			}
			before := time.Now()
			result := json.RawMessage(`{"content":[ ],"isError" :false}`)
			got, err = b.Update(ctx, "t", "w2", fastmcp.TaskUpdate{Status: fastmcp.TaskCompleted, StatusMessage: "done", Result: result})
			must(t, err)
			if got.Status != fastmcp.TaskCompleted || !bytes.Equal(got.Result, result) || got.Worker != "" || got.StatusMessage != "done" || len(got.InputRequests) != 0 {
				t.Errorf("completed: %+v", got)
			}
			// Kept TTL from when it ended.
			if got.ExpiresAt.Before(before.Add(long).Add(-2*time.Millisecond)) || got.ExpiresAt.After(time.Now().Add(long).Add(2*time.Millisecond)) {
				t.Errorf("an ended task expires at %v, want TTL from its end (%v)", got.ExpiresAt, before.Add(long))
			}
			if again, _ := a.Get(ctx, "t"); !bytes.Equal(again.Result, result) || again.Status != fastmcp.TaskCompleted {
				t.Errorf("Get after completion: %+v", again)
			}
			if _, err := a.Update(ctx, "t", "w2", fastmcp.TaskUpdate{Status: fastmcp.TaskFailed}); !errors.Is(err, fastmcp.ErrTaskLeaseLost) {
				t.Errorf("Update of an ended task: %v", err)
			}
			// A failed task keeps its error as it came.
			must(t, a.Create(ctx, leased(newTask("f", "ann", long), "w1", long)))
			werr := json.RawMessage(`{"code": -32603,"message":"boom"}`)
			got, err = b.Update(ctx, "f", "w1", fastmcp.TaskUpdate{Status: fastmcp.TaskFailed, Error: werr})
			must(t, err)
			if got.Status != fastmcp.TaskFailed || !bytes.Equal(got.Error, werr) || got.Result != nil {
				t.Errorf("failed: %+v", got)
			}
		},
		"answer": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, leased(newTask("t", "ann", long), "w1", long)))
			if _, _, err := b.Answer(ctx, "t", nil, "", medium); !errors.Is(err, fastmcp.ErrTaskNotWaiting) {
				t.Errorf("Answer of a working task: %v", err)
			}
			reqs := map[string]json.RawMessage{"e1": json.RawMessage(`{"m":1}`), "e2": json.RawMessage(`{"m":2}`)}
			_, err := a.Update(ctx, "t", "w1", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, InputRequests: reqs})
			must(t, err)
			got, resumed, err := b.Answer(ctx, "t", map[string]json.RawMessage{"zz": json.RawMessage(`1`)}, "", medium)
			must(t, err)
			if resumed || !sameRaws(got.InputRequests, reqs) || len(got.Answers) != 0 {
				t.Errorf("an answer to no request: resumed %v, %+v", resumed, got)
			}
			a1 := json.RawMessage(` {"action" : "accept"} `)
			got, resumed, err = b.Answer(ctx, "t", map[string]json.RawMessage{"e1": a1}, "", medium)
			must(t, err)
			if resumed || got.Status != fastmcp.TaskInputRequired || len(got.InputRequests) != 1 || !bytes.Equal(got.Answers["e1"], a1) {
				t.Errorf("one of two answers: resumed %v, %+v", resumed, got)
			}
			a2 := json.RawMessage(`"two"`)
			got, resumed, err = a.Answer(ctx, "t", map[string]json.RawMessage{"e2": a2, "e1": json.RawMessage(`"late"`)}, "", medium)
			must(t, err)
			if !resumed || got.Status != fastmcp.TaskWorking || got.Worker != "" || len(got.InputRequests) != 0 ||
				!sameRaws(got.Answers, map[string]json.RawMessage{"e1": a1, "e2": a2}) || got.StatusMessage != "" {
				t.Errorf("all answered: resumed %v, %+v", resumed, got)
			}
			// Queued: a worker claims it.
			c, err := b.Claim(ctx, "w3", long)
			must(t, err)
			if c.ID != "t" || c.Worker != "w3" || !sameRaws(c.Answers, got.Answers) {
				t.Errorf("claimed: %+v", c)
			}
			if _, _, err := a.Answer(ctx, "t", map[string]json.RawMessage{"e2": a2}, "", medium); !errors.Is(err, fastmcp.ErrTaskNotWaiting) {
				t.Errorf("Answer of a resumed task: %v", err)
			}
			// Answered with a worker: leased to it at once.
			_, err = a.Update(ctx, "t", "w3", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, InputRequests: map[string]json.RawMessage{"e3": json.RawMessage(`{}`)}})
			must(t, err)
			got, resumed, err = b.Answer(ctx, "t", map[string]json.RawMessage{"e3": json.RawMessage(`3`)}, "w4", long)
			must(t, err)
			if !resumed || got.Worker != "w4" || got.LeaseExpires.Before(time.Now().Add(long-time.Minute)) {
				t.Errorf("answered with a worker: resumed %v, %+v", resumed, got)
			}
		},
		"answer resumes once": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			for round := range 10 {
				id := fmt.Sprint("t", round)
				must(t, a.Create(ctx, leased(newTask(id, "ann", long), "w", long)))
				_, err := a.Update(ctx, id, "w", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, InputRequests: map[string]json.RawMessage{"k": json.RawMessage(`1`)}})
				must(t, err)
				var resumed atomic.Int64
				var wg sync.WaitGroup
				for i := range 8 {
					st := []fastmcp.TaskStore{a, b}[i%2]
					wg.Go(func() {
						_, ok, err := st.Answer(ctx, id, map[string]json.RawMessage{"k": json.RawMessage(`2`)}, "", medium)
						switch {
						case ok:
							resumed.Add(1)
						case err != nil && !errors.Is(err, fastmcp.ErrTaskNotWaiting):
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if n := resumed.Load(); n != 1 {
					t.Fatalf("round %d: %d of 8 concurrent Answers resumed the task", round, n)
				}
			}
		},
		"cancel": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			// Queued: cancelled at once, and never claimed.
			must(t, a.Create(ctx, newTask("q", "ann", long)))
			got, err := b.Cancel(ctx, "q")
			must(t, err)
			if got.Status != fastmcp.TaskCancelled {
				t.Errorf("a queued task cancelled: %+v", got)
			}
			cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			if c, err := a.Claim(cctx, "w", long); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Claim after the only queued task was cancelled: %+v %v", c, err)
			}
			cancel()
			// Running: cancellation requested, reported by Renew; a run
			// that then asks for input is cancelled.
			must(t, a.Create(ctx, leased(newTask("r", "ann", long), "w", long)))
			got, err = b.Cancel(ctx, "r")
			must(t, err)
			if got.Status != fastmcp.TaskWorking || !got.CancelRequested {
				t.Errorf("a running task cancelled: %+v", got)
			}
			cl, lost, err := a.Renew(ctx, "w", []string{"r"}, long)
			if err != nil || len(cl) != 1 || cl[0] != "r" || len(lost) != 0 {
				t.Errorf("Renew of a task cancelled: %v %v %v", cl, lost, err)
			}
			got, err = a.Update(ctx, "r", "w", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, InputRequests: map[string]json.RawMessage{"k": json.RawMessage(`1`)}})
			must(t, err)
			if got.Status != fastmcp.TaskCancelled || got.CancelRequested || len(got.InputRequests) != 0 {
				t.Errorf("a cancelled task asking for input: %+v", got)
			}
			// Waiting for input: cancelled at once. Ended: left as it is.
			must(t, a.Create(ctx, leased(newTask("i", "ann", long), "w", long)))
			_, err = a.Update(ctx, "i", "w", fastmcp.TaskUpdate{Status: fastmcp.TaskInputRequired, InputRequests: map[string]json.RawMessage{"k": json.RawMessage(`1`)}})
			must(t, err)
			if got, err = b.Cancel(ctx, "i"); err != nil || got.Status != fastmcp.TaskCancelled {
				t.Errorf("a waiting task cancelled: %+v %v", got, err)
			}
			must(t, a.Create(ctx, leased(newTask("c", "ann", long), "w", long)))
			_, err = a.Update(ctx, "c", "w", fastmcp.TaskUpdate{Status: fastmcp.TaskCompleted, Result: json.RawMessage(`{}`)})
			must(t, err)
			if got, err = b.Cancel(ctx, "c"); err != nil || got.Status != fastmcp.TaskCompleted || got.CancelRequested {
				t.Errorf("an ended task cancelled: %+v %v", got, err)
			}
		},
		"claim waits": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			got := make(chan *fastmcp.TaskRecord, 1)
			go func() {
				rec, err := b.Claim(ctx, "w", long)
				if err != nil {
					t.Error(err)
				}
				got <- rec
			}()
			must(t, a.Create(ctx, newTask("t", "ann", long)))
			rec := await(t, got)
			if rec == nil || rec.ID != "t" || rec.Worker != "w" || !near(rec.LeaseExpires, time.Now().Add(long), time.Minute) {
				t.Errorf("claimed: %+v", rec)
			}
			if again, _ := a.Get(ctx, "t"); again.Worker != "w" {
				t.Errorf("after Claim: %+v", again)
			}
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { _, err := a.Claim(cctx, "w", long); done <- err }()
			cancel()
			if err := await(t, done); !errors.Is(err, context.Canceled) {
				t.Errorf("Claim when its context ends: %v", err)
			}
		},
		"claim once": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			const tasks, workers = 200, 16
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var mu sync.Mutex
			claims := map[string]int{}
			var wg sync.WaitGroup
			var n atomic.Int64
			for w := range workers {
				st := []fastmcp.TaskStore{a, b}[w%2]
				wg.Go(func() {
					for {
						rec, err := st.Claim(cctx, fmt.Sprint("w", w), long)
						if err != nil {
							if cctx.Err() == nil {
								t.Error(err)
							}
							return
						}
						mu.Lock()
						claims[rec.ID]++
						mu.Unlock()
						if n.Add(1) == tasks {
							cancel()
						}
					}
				})
			}
			for i := range tasks {
				must(t, []fastmcp.TaskStore{a, b}[i%2].Create(ctx, newTask(fmt.Sprint("t", i), "ann", long)))
			}
			wg.Wait()
			if len(claims) != tasks {
				t.Errorf("%d of %d tasks claimed", len(claims), tasks)
			}
			for id, k := range claims {
				if k != 1 {
					t.Errorf("%s claimed %d times", id, k)
				}
			}
		},
		"renew": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, leased(newTask("mine", "ann", medium), "w", medium)))
			must(t, a.Create(ctx, leased(newTask("other", "ann", long), "x", long)))
			must(t, a.Create(ctx, leased(newTask("ended", "ann", long), "w", long)))
			_, err := a.Update(ctx, "ended", "w", fastmcp.TaskUpdate{Status: fastmcp.TaskCompleted})
			must(t, err)
			cancel, lost, err := b.Renew(ctx, "w", []string{"mine", "other", "ended", "gone"}, long)
			must(t, err)
			if len(cancel) != 0 || fmt.Sprint(lost) != "[other ended gone]" {
				t.Errorf("Renew: cancel %v lost %v", cancel, lost)
			}
			got, err := a.Get(ctx, "mine")
			must(t, err)
			if min := time.Now().Add(long - time.Minute); got.LeaseExpires.Before(min) || got.ExpiresAt.Before(got.LeaseExpires) {
				t.Errorf("renewed: lease %v expires %v", got.LeaseExpires, got.ExpiresAt)
			}
		},
		"reap": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, leased(newTask("fail", "ann", long), "dead", short)))
			rerun := leased(newTask("rerun", "ann", long), "dead", short)
			rerun.MaxReruns = 2
			must(t, a.Create(ctx, rerun))
			must(t, a.Create(ctx, leased(newTask("cancel", "ann", long), "dead", short)))
			_, err := b.Cancel(ctx, "cancel")
			must(t, err)
			must(t, a.Create(ctx, leased(newTask("alive", "ann", long), "w", long)))
			leases := map[string]time.Time{}
			for _, id := range []string{"fail", "rerun", "cancel"} {
				rec, err := a.Get(ctx, id)
				must(t, err)
				leases[id] = rec.LeaseExpires
			}
			reaped := map[string]*fastmcp.TaskRecord{}
			testkit.Eventually(t, "the lapsed leases to be reaped", func() bool {
				recs, err := b.Reap(ctx, "", long)
				must(t, err)
				for _, r := range recs {
					if reaped[r.ID] != nil {
						t.Errorf("%s reaped twice", r.ID)
					}
					reaped[r.ID] = r
				}
				return len(reaped) >= 3
			})
			if len(reaped) != 3 || reaped["alive"] != nil {
				t.Errorf("reaped %v", slicesKeys(reaped))
			}
			if r := reaped["fail"]; r == nil || r.Status != fastmcp.TaskFailed || string(r.Error) != WorkerLostError ||
				r.StatusMessage != WorkerLostMessage(leases["fail"], false, 0, 0) || r.Worker != "" {
				t.Errorf("failed: %+v", r)
			}
			if r := reaped["cancel"]; r == nil || r.Status != fastmcp.TaskCancelled {
				t.Errorf("cancelled: %+v", r)
			}
			r := reaped["rerun"]
			if r == nil || r.Status != fastmcp.TaskWorking || r.Reruns != 1 || r.Worker != "" ||
				r.StatusMessage != WorkerLostMessage(leases["rerun"], true, 1, 2) {
				t.Fatalf("rerun: %+v", r)
			}
			// Queued again; a worker claims it; it dies too; reaped with
			// a worker, it is leased to that worker.
			c, err := a.Claim(ctx, "dead2", short)
			must(t, err)
			if c.ID != "rerun" {
				t.Fatalf("claimed %+v", c)
			}
			var again []*fastmcp.TaskRecord
			testkit.Eventually(t, "the rerun's lease to be reaped", func() bool {
				again, err = a.Reap(ctx, "w9", long)
				must(t, err)
				return len(again) > 0
			})
			if len(again) != 1 || again[0].Worker != "w9" || again[0].Reruns != 2 || again[0].Status != fastmcp.TaskWorking {
				t.Errorf("reaped with a worker: %+v", again)
			}
			if got, _ := b.Get(ctx, "alive"); got.Status != fastmcp.TaskWorking || got.Worker != "w" {
				t.Errorf("a live lease was reaped: %+v", got)
			}
		},
		"expiry": func(t *testing.T, a, b fastmcp.TaskStore) {
			ctx := ctxOf(t)
			must(t, a.Create(ctx, newTask("short", "ann", short)))
			must(t, a.Create(ctx, newTask("long", "ann", long)))
			testkit.Eventually(t, "the short task to expire", func() bool {
				_, err := b.Get(ctx, "short")
				return errors.Is(err, fastmcp.ErrTaskNotFound)
			})
			if _, err := b.Get(ctx, "long"); err != nil {
				t.Errorf("the long task: %v", err)
			}
			// Never dropped early: a task is there until its ExpiresAt.
			rec := newTask("medium", "ann", medium)
			must(t, a.Create(ctx, rec))
			for {
				_, err := b.Get(ctx, "medium")
				if time.Now().Before(rec.ExpiresAt.Add(-2 * time.Millisecond)) {
					if err != nil {
						t.Fatalf("Get %v before the task's expiry: %v", time.Until(rec.ExpiresAt), err)
					}
				} else if errors.Is(err, fastmcp.ErrTaskNotFound) {
					break
				}
			}
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t, 0, 0)
			f(t, a, b)
		})
	}
	t.Run("limits", func(t *testing.T) {
		t.Parallel()
		a, b := open(t, 5, 3)
		ctx := ctxOf(t)
		for i := range 3 {
			must(t, a.Create(ctx, newTask(fmt.Sprint("ann", i), "ann", medium)))
		}
		if err := b.Create(ctx, newTask("ann3", "ann", long)); !errors.Is(err, fastmcp.ErrTaskLimit) {
			t.Errorf("a principal's task beyond its cap: %v", err)
		}
		must(t, b.Create(ctx, newTask("bob0", "bob", long)))
		must(t, b.Create(ctx, newTask("bob1", "bob", long)))
		if err := a.Create(ctx, newTask("cy0", "cy", long)); !errors.Is(err, fastmcp.ErrTaskLimit) {
			t.Errorf("a task beyond the store's cap: %v", err)
		}
		// Expired tasks do not count.
		testkit.Eventually(t, "ann's tasks to expire", func() bool {
			_, err := a.Get(ctx, "ann2")
			return errors.Is(err, fastmcp.ErrTaskNotFound)
		})
		must(t, a.Create(ctx, newTask("ann3", "ann", long)))
		must(t, b.Create(ctx, newTask("cy0", "cy", long)))
	})
}

// await returns what ch gets, failing the test after testkit.Wait.
func await[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testkit.Wait):
		t.Fatal("nothing arrived in", testkit.Wait)
		panic("unreachable")
	}
}

func slicesKeys(m map[string]*fastmcp.TaskRecord) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkRecord compares a record with the one created: every field as it
// was, times to the millisecond.
func checkRecord(t *testing.T, what string, got, want *fastmcp.TaskRecord) {
	t.Helper()
	ms := 2 * time.Millisecond
	switch {
	case got.ID != want.ID, got.Principal != want.Principal, got.Status != want.Status, got.StatusMessage != want.StatusMessage,
		!got.CreatedAt.Equal(want.CreatedAt), !near(got.UpdatedAt, want.UpdatedAt, ms), got.TTL != want.TTL,
		!near(got.ExpiresAt, want.ExpiresAt, ms), got.PollInterval != want.PollInterval,
		!bytes.Equal(got.Result, want.Result), !bytes.Equal(got.Error, want.Error),
		!sameRaws(got.InputRequests, want.InputRequests), !sameRaws(got.Answers, want.Answers),
		!bytes.Equal(got.State, want.State), got.CancelRequested != want.CancelRequested, !bytes.Equal(got.Run, want.Run),
		got.Worker != want.Worker, !near(got.LeaseExpires, want.LeaseExpires, ms), got.Reruns != want.Reruns, got.MaxReruns != want.MaxReruns:
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}
