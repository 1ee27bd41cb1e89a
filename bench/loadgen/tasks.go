package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The tasks phase: 2026-07-28 clients that declared the tasks extension
// (io.modelcontextprotocol/tasks) call add_task, a TaskRequired tool, get a
// task id at once (a CreateTaskResult), and poll tasks/get until the task
// has completed with the sum inlined. A task's life cycle is that create and
// the gets until done.

// TasksResult is one measurement of task life cycles at a number of
// concurrent clients.
type TasksResult struct {
	Clients int `json:"clients"`
	// Tasks are the life cycles (create, then gets until completed) that
	// ended inside the measurement window.
	Tasks       int64   `json:"tasks"`
	TasksPerSec float64 `json:"tasks_per_sec"`
	// CycleP50us is the median time from sending the create to reading the
	// completed task.
	CycleP50us  float64 `json:"cycle_p50_us"`
	CreateP50us float64 `json:"create_p50_us"`
	CreateP99us float64 `json:"create_p99_us"`
	GetP50us    float64 `json:"get_p50_us"`
	GetP99us    float64 `json:"get_p99_us"`
	// GetsPerTask is the tasks/get requests a life cycle took (the client
	// polls again at once, ignoring pollIntervalMs).
	GetsPerTask float64 `json:"gets_per_task"`
	// ServerCPUus is the server's CPU time per life cycle (all replicas).
	ServerCPUus  float64 `json:"server_cpu_us_per_task"`
	ServerCores  float64 `json:"server_cores"`
	LoadgenCores float64 `json:"loadgen_cores"`
	Errors       int64   `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
	// Redis is the Redis work per life cycle of a cluster server.
	Redis *RedisUse `json:"redis,omitempty"`
}

// maxGetsPerTask bounds the polls of one task: a task that never ends is an
// error, not a hung measurement.
const maxGetsPerTask = 10000

// taskMeta is params._meta of every request of the tasks phase: a
// 2026-07-28 client that declared the tasks extension.
const taskMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"` + modernVersion +
	`","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}},` +
	`"io.modelcontextprotocol/clientInfo":{"name":"fastmcp-bench","version":"1.0.0"}}`

// taskClient drives one worker through task life cycles.
type taskClient struct {
	w         *worker
	nextID    int64
	hdrCreate http.Header
	hdrGet    http.Header
	name      []string // the Mcp-Name slot of hdrGet: the task id
}

func newTaskClient(w *worker) *taskClient {
	c := &taskClient{w: w, nextID: 1, name: []string{""}}
	c.hdrCreate = http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {modernVersion},
		"Mcp-Method":           {"tools/call"},
		"Mcp-Name":             {"add_task"},
	}
	c.hdrGet = http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {modernVersion},
		"Mcp-Method":           {"tasks/get"},
		"Mcp-Name":             c.name,
	}
	return c
}

// taskAnswer is the part of a CreateTaskResult or GetTaskResult checked.
type taskAnswer struct {
	Result *struct {
		ResultType string          `json:"resultType"`
		TaskID     string          `json:"taskId"`
		Status     string          `json:"status"`
		Result     json.RawMessage `json:"result"`
		Error      *rpcError       `json:"error"`
	} `json:"result"`
	Error *rpcError `json:"error"`
}

// post sends w.body with hdr and decodes the answer to the request id.
func (c *taskClient) post(what string, hdr http.Header, id int64) (*taskAnswer, error) {
	w := c.w
	if err := w.do(http.MethodPost, hdr, w.body); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if w.status != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", what, w.status, snippet(w.resp.Bytes()))
	}
	idn := append(w.idBuf[:0], `"id":`...)
	idn = strconv.AppendInt(idn, id, 10)
	w.idBuf = idn
	data, err := responseData(w.ctype, w.resp.Bytes(), idn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var a taskAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", what, err, snippet(data))
	}
	if a.Error != nil {
		return nil, fmt.Errorf("%s: %v", what, a.Error)
	}
	if a.Result == nil {
		return nil, fmt.Errorf("%s: no result: %s", what, snippet(data))
	}
	return &a, nil
}

// create calls add_task(a, b) and returns the task id.
func (c *taskClient) create(a, b int) (string, error) {
	id := c.nextID
	c.nextID++
	body := append(c.w.body[:0], `{"jsonrpc":"2.0","id":`...)
	body = strconv.AppendInt(body, id, 10)
	body = append(body, `,"method":"tools/call","params":{"name":"add_task","arguments":{"a":`...)
	body = strconv.AppendInt(body, int64(a), 10)
	body = append(body, `,"b":`...)
	body = strconv.AppendInt(body, int64(b), 10)
	body = append(body, `},`+taskMeta+`}}`...)
	c.w.body = body
	ans, err := c.post("tools/call add_task", c.hdrCreate, id)
	if err != nil {
		return "", err
	}
	if r := ans.Result; r.ResultType != "task" || r.TaskID == "" || r.Status != "working" {
		return "", fmt.Errorf("tools/call add_task: not a CreateTaskResult in status working: %s", snippet(c.w.resp.Bytes()))
	}
	return ans.Result.TaskID, nil
}

// get polls task once: done reports that it completed with sum.
func (c *taskClient) get(task string, sum int) (done bool, err error) {
	id := c.nextID
	c.nextID++
	tid, _ := json.Marshal(task)
	body := append(c.w.body[:0], `{"jsonrpc":"2.0","id":`...)
	body = strconv.AppendInt(body, id, 10)
	body = append(body, `,"method":"tasks/get","params":{"taskId":`...)
	body = append(body, tid...)
	body = append(body, `,`+taskMeta+`}}`...)
	c.w.body = body
	c.name[0] = task
	ans, err := c.post("tasks/get", c.hdrGet, id)
	if err != nil {
		return false, err
	}
	r := ans.Result
	if r.TaskID != task {
		return false, fmt.Errorf("tasks/get: task %q answered for %q", r.TaskID, task)
	}
	switch r.Status {
	case "working":
		return false, nil
	case "completed":
		if !bytes.Contains(r.Result, textNeedles[sum]) || bytes.Contains(r.Result, isErrorNeedle) {
			return false, fmt.Errorf("tasks/get: completed without the sum %d: %s", sum, snippet(r.Result))
		}
		return true, nil
	default:
		return false, fmt.Errorf("tasks/get: task %s: %s", r.Status, snippet(c.w.resp.Bytes()))
	}
}

// measureTasks has n clients each run task life cycles in a loop: create a
// task, poll it until completed; a warm-up, then the measured window.
func measureTasks(cfg *Config, p *proc, n int) TasksResult {
	res := TasksResult{Clients: n}
	us := p.urls()
	tr := newTransport(cfg, n)
	var errs errCounter

	type state struct {
		c                      *taskClient
		creates, gets, cycles  []int64
		tasks, getsOfDoneTasks int64
	}
	states := make([]*state, n)
	for i := range states {
		states[i] = &state{c: newTaskClient(newWorker(tr, us...)),
			creates: make([]int64, 0, 1<<12), gets: make([]int64, 0, 1<<12), cycles: make([]int64, 0, 1<<12)}
	}

	t0 := time.Now()
	win := window{start: t0.Add(cfg.Warmup), end: t0.Add(cfg.Warmup + cfg.Duration)}
	cpuDone := make(chan struct{})
	meter := &cpuMeter{p: p}
	go meter.run(win, cpuDone)
	var wg sync.WaitGroup
	for i, st := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := i % (maxOperand + 1)
			consecutive := 0
			fail := func(err error) bool {
				errs.add(err)
				if consecutive++; consecutive > 100 || !p.alive() {
					return true
				}
				time.Sleep(time.Millisecond)
				return false
			}
			for k := 0; ; k++ {
				start := time.Now()
				if start.After(win.end) {
					return
				}
				b := k % (maxOperand + 1)
				task, err := st.c.create(a, b)
				created := time.Now()
				if err != nil {
					if fail(err) {
						return
					}
					continue
				}
				if win.contains(created) {
					st.creates = append(st.creates, int64(created.Sub(start)))
				}
				gets, done := 0, false
				for !done && err == nil {
					if gets++; gets > maxGetsPerTask {
						err = fmt.Errorf("task %s not completed after %d tasks/get", task, maxGetsPerTask)
						break
					}
					g0 := time.Now()
					done, err = st.c.get(task, a+b)
					g1 := time.Now()
					if err == nil && win.contains(g1) {
						st.gets = append(st.gets, int64(g1.Sub(g0)))
					}
				}
				end := time.Now()
				if err != nil {
					if fail(err) {
						return
					}
					continue
				}
				consecutive = 0
				if win.contains(end) {
					st.tasks++
					st.getsOfDoneTasks += int64(gets)
					st.cycles = append(st.cycles, int64(end.Sub(start)))
				}
			}
		}()
	}
	wg.Wait()
	for _, st := range states {
		st.c.w.close()
	}
	<-cpuDone

	var creates, gets, cycles []int64
	var getsDone int64
	for _, st := range states {
		res.Tasks += st.tasks
		getsDone += st.getsOfDoneTasks
		creates = append(creates, st.creates...)
		gets = append(gets, st.gets...)
		cycles = append(cycles, st.cycles...)
	}
	slices.Sort(creates)
	slices.Sort(gets)
	slices.Sort(cycles)
	secs := cfg.Duration.Seconds()
	res.TasksPerSec = float64(res.Tasks) / secs
	res.CycleP50us = percentile(cycles, 0.50)
	res.CreateP50us = percentile(creates, 0.50)
	res.CreateP99us = percentile(creates, 0.99)
	res.GetP50us = percentile(gets, 0.50)
	res.GetP99us = percentile(gets, 0.99)
	if res.Tasks > 0 {
		res.GetsPerTask = float64(getsDone) / float64(res.Tasks)
	}
	if meter.err == nil && res.Tasks > 0 {
		res.ServerCPUus = float64(meter.srv1-meter.srv0) / 1e3 / float64(res.Tasks)
	}
	res.ServerCores = (meter.srv1 - meter.srv0).Seconds() / secs
	res.LoadgenCores = (meter.me1 - meter.me0).Seconds() / secs
	res.Redis = meter.redis(res.Tasks, &errs)
	if res.Tasks == 0 && errs.n.Load() == 0 {
		errs.add(errors.New("no task completed inside the window"))
	}
	res.Errors = errs.n.Load()
	res.FirstError = errs.firstErr()
	return res
}

// medianTasks takes the median of each metric over rounds independently,
// and sums the errors.
func medianTasks(rs []TasksResult) TasksResult {
	m := TasksResult{Clients: rs[0].Clients}
	m.Tasks = int64(medianOf(rs, func(r TasksResult) float64 { return float64(r.Tasks) }))
	m.TasksPerSec = medianOf(rs, func(r TasksResult) float64 { return r.TasksPerSec })
	m.CycleP50us = medianOf(rs, func(r TasksResult) float64 { return r.CycleP50us })
	m.CreateP50us = medianOf(rs, func(r TasksResult) float64 { return r.CreateP50us })
	m.CreateP99us = medianOf(rs, func(r TasksResult) float64 { return r.CreateP99us })
	m.GetP50us = medianOf(rs, func(r TasksResult) float64 { return r.GetP50us })
	m.GetP99us = medianOf(rs, func(r TasksResult) float64 { return r.GetP99us })
	m.GetsPerTask = medianOf(rs, func(r TasksResult) float64 { return r.GetsPerTask })
	m.ServerCPUus = medianOf(rs, func(r TasksResult) float64 { return r.ServerCPUus })
	m.ServerCores = medianOf(rs, func(r TasksResult) float64 { return r.ServerCores })
	m.LoadgenCores = medianOf(rs, func(r TasksResult) float64 { return r.LoadgenCores })
	var ru []*RedisUse
	for _, r := range rs {
		ru = append(ru, r.Redis)
	}
	m.Redis = medianRedis(ru)
	for _, r := range rs {
		m.Errors += r.Errors
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	return m
}

// tasksTable is the report of the tasks phase: one column per server that
// ran it (medians over rounds), and the Redis commands per life cycle.
func tasksTable(r *Results) string {
	var ks []string
	for _, k := range r.Order {
		if r.Servers[k].Tasks != nil {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nTasks: %d clients (2026-07-28, tasks extension declared in params._meta) each loop: tools/call add_task (TaskRequired) → task id, then tasks/get at once until completed; %v warm-up + %v measured; median of %d round(s). A life cycle is the create and its gets. Tasks kept %v after they end.\n\n| metric |",
		r.Config.TaskClients, r.Config.Warmup, r.Config.Duration, r.Config.Rounds, r.Config.TaskTTL)
	for _, k := range ks {
		b.WriteString(" " + r.Servers[k].Label + " |")
	}
	b.WriteString("\n|---|")
	for range ks {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	row := func(name string, f func(TasksResult) string) {
		b.WriteString("| " + name + " |")
		for _, k := range ks {
			b.WriteString(" " + f(*r.Servers[k].Tasks) + " |")
		}
		b.WriteString("\n")
	}
	row("tasks created and completed/s ↑", func(t TasksResult) string { return fmtInt(t.TasksPerSec) })
	row("life cycle p50 µs ↓", func(t TasksResult) string { return fmtUs(t.CycleP50us) })
	row("tools/call (create) p50 µs ↓", func(t TasksResult) string { return fmtUs(t.CreateP50us) })
	row("tools/call (create) p99 µs ↓", func(t TasksResult) string { return fmtUs(t.CreateP99us) })
	row("tasks/get p50 µs ↓", func(t TasksResult) string { return fmtUs(t.GetP50us) })
	row("tasks/get p99 µs ↓", func(t TasksResult) string { return fmtUs(t.GetP99us) })
	row("tasks/get per life cycle", func(t TasksResult) string { return fmtFrac(t.GetsPerTask) })
	row("server CPU µs/task ↓", func(t TasksResult) string { return fmtUs(t.ServerCPUus) })
	row("server cores", func(t TasksResult) string { return fmtCores(t.ServerCores) })
	row("loadgen cores", func(t TasksResult) string { return fmtCores(t.LoadgenCores) })
	redisRow := func(name string, f func(*RedisUse) string) {
		b.WriteString("| " + name + " |")
		for _, k := range ks {
			if u := r.Servers[k].Tasks.Redis; u != nil {
				b.WriteString(" " + f(u) + " |")
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	redisRow("Redis round trips/task ↓", func(u *RedisUse) string { return fmtFrac(u.RoundTrips) })
	redisRow("Redis commands/task ↓", func(u *RedisUse) string { return fmtFrac(u.Commands) })
	redisRow("redis-server CPU µs/task ↓", func(u *RedisUse) string { return fmtUs(u.CPUus) })
	row("errors", func(t TasksResult) string { return strconv.FormatInt(t.Errors, 10) })
	for _, k := range ks {
		u := r.Servers[k].Tasks.Redis
		if u == nil || len(u.ByCommand) == 0 {
			continue
		}
		names := make([]string, 0, len(u.ByCommand))
		for c := range u.ByCommand {
			names = append(names, c)
		}
		slices.SortFunc(names, func(x, y string) int {
			if d := u.ByCommand[y] - u.ByCommand[x]; d != 0 {
				if d > 0 {
					return 1
				}
				return -1
			}
			return strings.Compare(x, y)
		})
		var parts []string
		for _, c := range names {
			parts = append(parts, fmt.Sprintf("%s %s", c, fmtFrac(u.ByCommand[c])))
		}
		fmt.Fprintf(&b, "\n%s, Redis commands per task life cycle: %s.\n", r.Servers[k].Label, strings.Join(parts, ", "))
	}
	for _, k := range ks {
		if t := r.Servers[k].Tasks; t.FirstError != "" {
			fmt.Fprintf(&b, "\n%s, tasks, first error: %s\n", r.Servers[k].Label, t.FirstError)
		}
	}
	return b.String()
}
