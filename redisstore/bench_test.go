package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/redisstore"
)

// The cost of each operation on a Redis on loopback: run with -bench . and
// compare -cpu 1 (one caller: ns/op is the latency) with -cpu 16 (16
// callers: ns/op is the inverse of throughput); cpu-µs/op is the client
// process's CPU per operation. Each benchmark works under a prefix of its
// own on the shared server.
func BenchmarkOperations(b *testing.B) {
	if shared == nil {
		b.Skip("redis-server is not on PATH")
	}
	c := client(b, shared.Addr)
	st := redisstore.New(c, redisstore.Options{Prefix: fmt.Sprintf("b%d:", prefixes.Add(1))})
	oa := redisstore.NewOAuthStore(c, redisstore.Options{Prefix: fmt.Sprintf("b%d:", prefixes.Add(1))})
	ctx := context.Background()
	event := []byte(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}`)
	fields := map[string][]byte{"version": []byte(`"2025-11-25"`), "client": []byte(`{"name":"bench","version":"1.0"}`), "caps": []byte(`{"roots":{}}`)}
	st.Sessions.Create(ctx, "s", fields, time.Hour)
	st.State.Set(ctx, "s", "k", []byte(`"value"`), 0)
	for i := range 1000 {
		st.Events.Append(ctx, "s", "p1", int64(i), event)
	}
	var seq, ids atomic.Int64
	cancel, _ := st.Bus.Subscribe(ctx, "t", func([]byte) {})
	defer cancel()
	for _, bc := range []struct {
		name string
		op   func() error
	}{
		{"SessionCreate", func() error {
			return st.Sessions.Create(ctx, fmt.Sprint("c", ids.Add(1)), fields, time.Hour)
		}},
		{"SessionGet", func() error { _, err := st.Sessions.Get(ctx, "s"); return err }},
		{"SessionSet", func() error { return st.Sessions.Set(ctx, "s", "level", []byte(`"info"`)) }},
		{"SessionTouch", func() error { return st.Sessions.Touch(ctx, "s", time.Hour) }},
		{"StateGet", func() error { _, _, err := st.State.Get(ctx, "s", "k"); return err }},
		{"StateSet", func() error { return st.State.Set(ctx, "s", "k", []byte(`"value"`), 0) }},
		{"StateAdd", func() error { _, err := st.State.Add(ctx, "s", "n", 1, 0); return err }},
		{"EventsAppend", nil}, // below: a stream per caller
		{"EventsAfter", func() error { _, _, err := st.Events.After(ctx, "s", "p1", 995); return err }}, // 4 events
		{"RateLimit", func() error {
			_, _, err := st.RateLimiter.Allow(ctx, "k", fastmcp.Rate{Limit: 1 << 30})
			return err
		}},
		{"BusPublish", func() error { return st.Bus.Publish(ctx, "t", event) }},
		{"Health", func() error { return st.Health(ctx) }},
		{"OAuthPutTake", func() error {
			k := fmt.Sprint("k", ids.Add(1))
			if err := oa.Put(ctx, k, event, time.Minute); err != nil {
				return err
			}
			_, err := oa.Take(ctx, k)
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			newOp := func() func() error { return bc.op }
			if bc.op == nil {
				// Each caller appends to a stream of its own, with
				// consecutive indexes: the steady state of a stream
				// (past its first 1000 events, one evicted per Append).
				newOp = func() func() error {
					stream := fmt.Sprint("p", seq.Add(1))
					var index int64
					return func() error {
						index++
						return st.Events.Append(ctx, "s", stream, index, event)
					}
				}
			}
			if err := newOp()(); err != nil { // load the script
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				op := newOp()
				for pb.Next() {
					if err := op(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			// The client's CPU per operation (Redis's own is not counted).
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// A task's life cycle on Redis: Create (queued), Claim, a progress Update,
// the completing Update, and a Get (a client's poll); round-trips/op is
// the client's exchanges with Redis per life cycle (5: one per call).
func BenchmarkTaskLifeCycle(b *testing.B) {
	if shared == nil {
		b.Skip("redis-server is not on PATH")
	}
	c := client(b, shared.Addr)
	rt := &roundTrips{}
	c.AddHook(rt)
	st := redisstore.NewTaskStore(c, redisstore.Options{Prefix: fmt.Sprintf("b%d:", prefixes.Add(1))})
	ctx := context.Background()
	result := json.RawMessage(`{"content":[{"type":"text","text":"done"}]}`)
	var ids atomic.Int64
	life := func(worker string) error {
		id := fmt.Sprint("t", ids.Add(1))
		now := time.Now()
		if err := st.Create(ctx, &fastmcp.TaskRecord{ID: id, Principal: "p", Status: fastmcp.TaskWorking, CreatedAt: now, UpdatedAt: now,
			TTL: time.Minute, ExpiresAt: now.Add(time.Minute), Run: []byte(`{"tool":"t","arguments":{}}`)}); err != nil {
			return err
		}
		rec, err := st.Claim(ctx, worker, time.Minute)
		if err != nil {
			return err
		}
		if _, err := st.Update(ctx, rec.ID, worker, fastmcp.TaskUpdate{Status: fastmcp.TaskWorking, StatusMessage: "half"}); err != nil {
			return err
		}
		if _, err := st.Update(ctx, rec.ID, worker, fastmcp.TaskUpdate{Status: fastmcp.TaskCompleted, Result: result}); err != nil {
			return err
		}
		_, err = st.Get(ctx, rec.ID)
		return err
	}
	if err := life("w"); err != nil { // load the scripts
		b.Fatal(err)
	}
	var workers atomic.Int64
	before := rt.n.Load()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := fmt.Sprint("w", workers.Add(1))
		for pb.Next() {
			if err := life(w); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(rt.n.Load()-before)/float64(b.N), "round-trips/op")
}
