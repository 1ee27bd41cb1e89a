package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// CallsResult is one measurement of tool calls at a number of concurrent
// sessions.
type CallsResult struct {
	Sessions    int     `json:"sessions"`
	Calls       int64   `json:"calls"` // completed inside the measurement window
	CallsPerSec float64 `json:"calls_per_sec"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	// ServerCPUus is the server's user+system CPU time per call.
	ServerCPUus float64 `json:"server_cpu_us_per_call"`
	// ServerCores is the server's CPU use in cores during the window.
	ServerCores float64 `json:"server_cores"`
	// LoadgenCPUus and LoadgenCores are the same for the load generator.
	LoadgenCPUus float64 `json:"loadgen_cpu_us_per_call"`
	LoadgenCores float64 `json:"loadgen_cores"`
	Errors       int64   `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	// InFlight is the number of requests kept outstanding on the one
	// connection of a stdio measurement (0 over HTTP: one per session).
	InFlight int `json:"in_flight,omitempty"`
	// StartMs is, for stdio, the time from starting the process to reading
	// its answer to initialize.
	StartMs float64 `json:"start_ms,omitempty"`
	// Redis is the Redis work per call of a cluster server (fastmcp-redis).
	Redis *RedisUse `json:"redis,omitempty"`
}

// SessionsResult is one measurement of new sessions per second.
type SessionsResult struct {
	Workers        int     `json:"workers"`
	Sessions       int64   `json:"sessions"` // completed inside the window
	SessionsPerSec float64 `json:"sessions_per_sec"`
	P50us          float64 `json:"cycle_p50_us"`
	P99us          float64 `json:"cycle_p99_us"`
	ServerCPUus    float64 `json:"server_cpu_us_per_session"`
	ServerCores    float64 `json:"server_cores"`
	LoadgenCores   float64 `json:"loadgen_cores"`
	Errors         int64   `json:"errors"`
	FirstError     string  `json:"first_error,omitempty"`
	// Redis is the Redis work per session cycle of a cluster server.
	Redis *RedisUse `json:"redis,omitempty"`
}

// RSSPoint is the server's RSS with N idle sessions open.
type RSSPoint struct {
	Sessions int `json:"sessions"`
	// RawKB is VmRSS after the settle pause; GCKB after a forced GC and
	// FreeOSMemory as well.
	RawKB int64 `json:"raw_kb"`
	GCKB  int64 `json:"gc_kb"`
	// Per-session growth over the baseline, in KB.
	PerSessionRawKB float64 `json:"per_session_raw_kb"`
	PerSessionGCKB  float64 `json:"per_session_gc_kb"`
	// OpenPerSec is the rate at which these sessions were opened.
	OpenPerSec float64 `json:"open_per_sec"`
}

// RSSResult is the idle-session memory measurement of one server.
type RSSResult struct {
	BaselineRawKB int64      `json:"baseline_raw_kb"`
	BaselineGCKB  int64      `json:"baseline_gc_kb"`
	Points        []RSSPoint `json:"points"`
	// Checked sessions were called after the last point to prove the server
	// still holds them; Lost is how many failed.
	Checked    int    `json:"checked"`
	Lost       int    `json:"lost"`
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
}

// errCounter counts errors and keeps the first message.
type errCounter struct {
	n     atomic.Int64
	mu    sync.Mutex
	first string
}

func (e *errCounter) add(err error) {
	if e.n.Add(1) == 1 {
		e.mu.Lock()
		e.first = err.Error()
		e.mu.Unlock()
	}
}

func (e *errCounter) firstErr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.first
}

// percentile of sorted durations in ns, as µs.
func percentile(sorted []int64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e3
}

// window is the timing of a measurement: a warm-up, then the measured part.
type window struct {
	start, end time.Time
}

func (w window) contains(t time.Time) bool { return !t.Before(w.start) && !t.After(w.end) }

// cpuMeter reads the server's and the load generator's CPU time at the
// edges of a window.
// Of a cluster server it also samples Redis (commands, round trips, CPU).
type cpuMeter struct {
	p                    *proc
	srv0, srv1, me0, me1 time.Duration
	err                  error
	rd0, rd1             redisSample
	rdErr                error
}

func (m *cpuMeter) run(w window, done chan<- struct{}) {
	defer close(done)
	time.Sleep(time.Until(w.start))
	m.srv0, m.err = m.p.cpuTime()
	m.me0 = selfCPU()
	if m.p.redis != nil {
		m.rd0, m.rdErr = sampleRedis(m.p)
	}
	time.Sleep(time.Until(w.end))
	if m.err == nil {
		m.srv1, m.err = m.p.cpuTime()
	}
	m.me1 = selfCPU()
	if m.p.redis != nil && m.rdErr == nil {
		m.rd1, m.rdErr = sampleRedis(m.p)
	}
}

// redis returns the Redis work per operation over the window (nil for a
// server without Redis), or records why it could not be read in errs.
func (m *cpuMeter) redis(ops int64, errs *errCounter) *RedisUse {
	if m.p.redis == nil {
		return nil
	}
	if m.rdErr != nil {
		errs.add(fmt.Errorf("reading Redis figures: %w", m.rdErr))
		return nil
	}
	return redisUse(m.rd0, m.rd1, ops)
}

// profiler collects pprof profiles of a server during a window.
type profiler struct {
	addr, dir, prefix string
	err               error
}

func (pr *profiler) fetch(path, file string) {
	resp, err := http.Get("http://" + pr.addr + path)
	if err != nil {
		pr.err = err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		pr.err = fmt.Errorf("pprof %s: HTTP %d", path, resp.StatusCode)
		return
	}
	f, err := os.Create(filepath.Join(pr.dir, pr.prefix+file))
	if err != nil {
		pr.err = err
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		pr.err = err
	}
}

// run takes an allocation profile at the start of the window, a CPU profile
// over it, and an allocation profile at its end (compare the two with
// go tool pprof -diff_base).
func (pr *profiler) run(w window, done chan<- struct{}) {
	defer close(done)
	time.Sleep(time.Until(w.start))
	pr.fetch("/debug/pprof/allocs", "allocs-base.pb.gz")
	secs := int(time.Until(w.end) / time.Second)
	if secs < 1 {
		secs = 1
	}
	pr.fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), "cpu.pb.gz")
	pr.fetch("/debug/pprof/allocs", "allocs.pb.gz")
}

// measureCalls opens n sessions, then has each call add in a loop: a warm-up,
// then the measured window. Sessions are deleted at the end. With modern, the
// n clients open no session: every call is a sessionless 2026-07-28 request.
func measureCalls(cfg *Config, p *proc, n int, modern bool, prof *profiler) CallsResult {
	res := CallsResult{Sessions: n}
	us := p.urls()
	tr := newTransport(cfg, n)
	var errs errCounter

	type state struct {
		w    *worker
		s    *session
		lats []int64
		done int64
	}
	states := make([]*state, n)
	var wg sync.WaitGroup
	for i := range states {
		st := &state{w: newWorker(tr, us...), lats: make([]int64, 0, 1<<14)}
		states[i] = st
		wg.Add(1)
		if modern {
			st.s = &session{nextID: 1}
			wg.Done()
			continue
		}
		go func() {
			defer wg.Done()
			s, err := st.w.initialize()
			if err != nil {
				errs.add(err)
				return
			}
			st.s = s
		}()
	}
	wg.Wait()

	t0 := time.Now()
	win := window{start: t0.Add(cfg.Warmup), end: t0.Add(cfg.Warmup + cfg.Duration)}
	cpuDone := make(chan struct{})
	meter := &cpuMeter{p: p}
	go meter.run(win, cpuDone)
	var profDone chan struct{}
	if prof != nil {
		profDone = make(chan struct{})
		go prof.run(win, profDone)
	}
	for i, st := range states {
		if st.s == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := i % (maxOperand + 1)
			consecutive := 0
			for k := 0; ; k++ {
				start := time.Now()
				if start.After(win.end) {
					break
				}
				b := k % (maxOperand + 1)
				var err error
				if modern {
					err = st.w.callModern(st.s, a, b)
				} else {
					err = st.w.call(st.s, a, b)
				}
				end := time.Now()
				if err != nil {
					errs.add(err)
					if consecutive++; consecutive > 100 || !p.alive() {
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				consecutive = 0
				if win.contains(end) {
					st.done++
					st.lats = append(st.lats, int64(end.Sub(start)))
				}
			}
			if modern {
				return
			}
			if err := st.w.delete(st.s); err != nil {
				errs.add(err)
			}
		}()
	}
	wg.Wait()
	for _, st := range states {
		st.w.close()
	}
	<-cpuDone
	if profDone != nil {
		<-profDone
		if prof.err != nil {
			fmt.Fprintf(os.Stderr, "profile: %v\n", prof.err)
		}
	}

	var all []int64
	for _, st := range states {
		res.Calls += st.done
		all = append(all, st.lats...)
	}
	slices.Sort(all)
	secs := cfg.Duration.Seconds()
	res.CallsPerSec = float64(res.Calls) / secs
	res.P50us = percentile(all, 0.50)
	res.P99us = percentile(all, 0.99)
	if meter.err == nil && res.Calls > 0 {
		res.ServerCPUus = float64(meter.srv1-meter.srv0) / 1e3 / float64(res.Calls)
		res.LoadgenCPUus = float64(meter.me1-meter.me0) / 1e3 / float64(res.Calls)
	}
	res.ServerCores = (meter.srv1 - meter.srv0).Seconds() / secs
	res.LoadgenCores = (meter.me1 - meter.me0).Seconds() / secs
	res.Redis = meter.redis(res.Calls, &errs)
	res.Errors = errs.n.Load()
	res.FirstError = errs.firstErr()
	return res
}

// measureSessions has workers run full session lifecycles in a loop:
// initialize, notifications/initialized, one call, DELETE.
func measureSessions(cfg *Config, p *proc, prof *profiler) SessionsResult {
	n := cfg.SessionWorkers
	res := SessionsResult{Workers: n}
	us := p.urls()
	tr := newTransport(cfg, n)
	var errs errCounter

	t0 := time.Now()
	win := window{start: t0.Add(cfg.Warmup), end: t0.Add(cfg.Warmup + cfg.SessionDuration)}
	cpuDone := make(chan struct{})
	meter := &cpuMeter{p: p}
	go meter.run(win, cpuDone)
	var profDone chan struct{}
	if prof != nil {
		profDone = make(chan struct{})
		go prof.run(win, profDone)
	}
	counts := make([]int64, n)
	lats := make([][]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(tr, us...)
			defer w.close()
			consecutive := 0
			for k := 0; ; k++ {
				start := time.Now()
				if start.After(win.end) {
					return
				}
				err := func() error {
					s, err := w.initialize()
					if err != nil {
						return err
					}
					if err := w.call(s, i%(maxOperand+1), k%(maxOperand+1)); err != nil {
						return err
					}
					return w.delete(s)
				}()
				end := time.Now()
				if err != nil {
					errs.add(err)
					if consecutive++; consecutive > 100 || !p.alive() {
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				consecutive = 0
				if win.contains(end) {
					counts[i]++
					lats[i] = append(lats[i], int64(end.Sub(start)))
				}
			}
		}()
	}
	wg.Wait()
	<-cpuDone
	if profDone != nil {
		<-profDone
		if prof.err != nil {
			fmt.Fprintf(os.Stderr, "profile: %v\n", prof.err)
		}
	}
	var all []int64
	for i := range n {
		res.Sessions += counts[i]
		all = append(all, lats[i]...)
	}
	slices.Sort(all)
	secs := cfg.SessionDuration.Seconds()
	res.SessionsPerSec = float64(res.Sessions) / secs
	res.P50us = percentile(all, 0.50)
	res.P99us = percentile(all, 0.99)
	if meter.err == nil && res.Sessions > 0 {
		res.ServerCPUus = float64(meter.srv1-meter.srv0) / 1e3 / float64(res.Sessions)
	}
	res.ServerCores = (meter.srv1 - meter.srv0).Seconds() / secs
	res.LoadgenCores = (meter.me1 - meter.me0).Seconds() / secs
	res.Redis = meter.redis(res.Sessions, &errs)
	res.Errors = errs.n.Load()
	res.FirstError = errs.firstErr()
	return res
}

// measureRSS starts a fresh server, reads its RSS, opens sessions up to each
// count in cfg.Sessions (initialize + notifications/initialized, then left
// idle) and reads the RSS again at each count.
func measureRSS(cfg *Config, spec serverSpec) (*RSSResult, error) {
	p, err := startServer(cfg, spec, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	res := &RSSResult{}
	u, _ := url.Parse(p.url)
	n := cfg.SessionWorkers
	tr := newTransport(cfg, n)
	workers := make([]*worker, n)
	var wg sync.WaitGroup
	// Open the workers' connections first, so the baseline includes them.
	for i := range workers {
		workers[i] = newWorker(tr, u)
		wg.Add(1)
		go func() { defer wg.Done(); _ = workers[i].get("/bench-warmup") }()
	}
	wg.Wait()
	defer func() {
		for _, w := range workers {
			w.close()
		}
	}()

	read := func() (raw, gc int64, err error) {
		time.Sleep(cfg.Settle)
		if raw, err = p.rssKB(); err != nil {
			return
		}
		if err = p.freeMemory(); err != nil {
			return
		}
		time.Sleep(cfg.Settle / 2)
		gc, err = p.rssKB()
		return
	}
	if res.BaselineRawKB, res.BaselineGCKB, err = read(); err != nil {
		return nil, err
	}

	var errs errCounter
	var sessions []*session
	var mu sync.Mutex
	counts := slices.Sorted(slices.Values(cfg.Sessions))
	for _, target := range counts {
		todo := target - len(sessions)
		if todo <= 0 {
			continue
		}
		var next atomic.Int64
		t0 := time.Now()
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				failures := 0
				for next.Add(1) <= int64(todo) {
					s, err := w.initialize()
					if err != nil {
						errs.add(err)
						if failures++; failures > 100 || !p.alive() {
							return
						}
						continue
					}
					mu.Lock()
					sessions = append(sessions, s)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		openRate := float64(todo) / time.Since(t0).Seconds()
		if !p.alive() {
			return nil, fmt.Errorf("%s died while opening sessions: %s", spec.key, p.logTail())
		}
		raw, gc, err := read()
		if err != nil {
			return nil, err
		}
		held := len(sessions)
		res.Points = append(res.Points, RSSPoint{
			Sessions:        held,
			RawKB:           raw,
			GCKB:            gc,
			PerSessionRawKB: float64(raw-res.BaselineRawKB) / float64(held),
			PerSessionGCKB:  float64(gc-res.BaselineGCKB) / float64(held),
			OpenPerSec:      openRate,
		})
	}
	// Prove the server still holds the sessions: call a sample, oldest first.
	if len(sessions) > 0 {
		w := workers[0]
		step := max(1, len(sessions)/100)
		for i := 0; i < len(sessions); i += step {
			res.Checked++
			if err := w.call(sessions[i], 1, 2); err != nil {
				res.Lost++
				errs.add(fmt.Errorf("session %d of %d: %w", i, len(sessions), err))
			}
		}
	}
	res.Errors = errs.n.Load()
	res.FirstError = errs.firstErr()
	return res, nil
}
