// Command loadgen benchmarks the add servers (FastMCP for Go, the official Go
// SDK, mark3labs/mcp-go, the bare floor, and FastMCP built from other
// revisions) over Streamable HTTP with raw HTTP requests, in both protocol
// eras, and over stdio, side by side in one run, and prints the results as a
// Markdown table with ratios. See ../README.md.
//
//	cd bench && go run ./loadgen                 # full benchmark
//	cd bench && go run ./loadgen -quick          # smoke run (~1 s per level)
//	cd bench && go run ./loadgen -json out.json  # also write JSON
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Config is the benchmark configuration.
type Config struct {
	Servers         []string      `json:"servers"`
	Levels          []int         `json:"levels"`
	ModernLevels    []int         `json:"modern_levels,omitempty"`
	StdioInFlight   []int         `json:"stdio_in_flight,omitempty"`
	Sessions        []int         `json:"sessions"`
	Duration        time.Duration `json:"duration_ns"`
	Warmup          time.Duration `json:"warmup_ns"`
	SessionDuration time.Duration `json:"session_duration_ns"`
	Settle          time.Duration `json:"settle_ns"`
	SessionWorkers  int           `json:"session_workers"`
	Rounds          int           `json:"rounds"`
	ServerProcs     int           `json:"server_gomaxprocs"`
	MaxSessions     int           `json:"fastmcp_max_sessions"`
	// Replicas is the number of processes of a cluster server
	// (fastmcp-redis).
	Replicas int `json:"replicas,omitempty"`
	// TaskClients is the number of concurrent clients of the tasks phase.
	TaskClients int `json:"task_clients,omitempty"`
	// TaskTTL is how long the servers keep a task (-task-ttl of fastmcp
	// and fastmcp-redis).
	TaskTTL time.Duration `json:"task_ttl_ns,omitempty"`
	Phases  []string      `json:"phases"`
	Client  string        `json:"client"`
	Quick   bool          `json:"quick"`

	// ServerArgs are extra command-line arguments per server key.
	ServerArgs map[string][]string `json:"server_args,omitempty"`

	BinDir       string    `json:"-"`
	BenchDir     string    `json:"-"`
	Profile      string    `json:"-"`
	ProfileLevel int       `json:"-"`
	Log          io.Writer `json:"-"`

	workDir string
	ref     string
}

func (c *Config) phase(name string) bool { return slices.Contains(c.Phases, name) }

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// defaultConfig is the full benchmark.
func defaultConfig() *Config {
	return &Config{
		Servers:         []string{"fastmcp", "gosdk", "mcpgo"},
		Levels:          []int{1, 16, 64},
		ModernLevels:    []int{1, 16, 64},
		StdioInFlight:   []int{1, 64},
		Sessions:        []int{1000, 10000},
		Duration:        5 * time.Second,
		Warmup:          time.Second,
		SessionDuration: 5 * time.Second,
		Settle:          2 * time.Second,
		SessionWorkers:  16,
		Rounds:          5,
		ServerProcs:     1,
		MaxSessions:     100000,
		Replicas:        2,
		TaskClients:     16,
		TaskTTL:         time.Second,
		Phases:          []string{"calls", "modern", "sessions", "stdio", "rss"},
		Client:          "raw",
		Log:             os.Stderr,
	}
}

// quick turns c into the CI smoke configuration.
func (c *Config) quick() {
	c.Quick = true
	c.Duration, c.SessionDuration = time.Second, time.Second
	c.Warmup = 300 * time.Millisecond
	c.Settle = 300 * time.Millisecond
	c.Sessions = []int{200}
	c.ModernLevels = []int{16}
	c.Rounds = 1
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func main() {
	cfg := defaultConfig()
	var (
		quick     = flag.Bool("quick", false, "short smoke run: ~1 s per level, 200 sessions, one round")
		duration  = flag.Duration("duration", 0, "measured time per concurrency level and for new sessions (default 5s; 1s with -quick)")
		warmup    = flag.Duration("warmup", 0, "warm-up before each measurement (default 1s; 300ms with -quick)")
		levels    = flag.String("levels", "1,16,64", "concurrent sessions for the call measurements")
		modernLv  = flag.String("modern-levels", "", "concurrent clients for the sessionless 2026-07-28 call measurements (phase modern) (default 1,16,64; 16 with -quick)")
		inflight  = flag.String("stdio-inflight", "1,64", "requests in flight for the stdio measurements (phase stdio); 1 is sequential")
		sessions  = flag.String("sessions", "", "idle-session counts for the RSS measurement (default 1000,10000; 200 with -quick)")
		servers   = flag.String("servers", "fastmcp,gosdk,mcpgo", "servers to run, in the order of the report's columns: fastmcp, gosdk, mcpgo, floor, fastmcp-proxy (fastmcp's proxy in front of the fastmcp server), fastmcp-redis (-replicas processes of the fastmcp server on redisstore and a redis-server of the load generator's, requests round-robin), fastmcp-2proc (-replicas processes of the fastmcp server sharing nothing, requests round-robin: -phases modern only), and fastmcp@<git revision> for the fastmcp server built from another commit, branch or tag")
		rounds    = flag.Int("rounds", 0, "rounds of the call and new-session measurements; medians are reported (default 5; 1 with -quick)")
		procs     = flag.Int("server-procs", 1, "GOMAXPROCS of every server")
		workers   = flag.Int("session-workers", 16, "workers opening sessions (new sessions/s and RSS)")
		client    = flag.String("client", "raw", "HTTP client: raw (hand-written HTTP/1.1 over keep-alive TCP connections) or nethttp (net/http Transport)")
		phases    = flag.String("phases", "calls,modern,sessions,stdio,rss", "measurements to run: calls (handshake-era sessions), modern (sessionless 2026-07-28 calls), sessions (new sessions/s), stdio, rss, tasks (task life cycles of the tasks extension: fastmcp and fastmcp-redis only)")
		jsonPath  = flag.String("json", "", "write the results as JSON to this file")
		mdPath    = flag.String("md", "", "also write the Markdown report to this file")
		binDir    = flag.String("bin-dir", "", "directory with prebuilt server binaries (default: go build them into a temp dir)")
		benchDir  = flag.String("bench-dir", "", "the bench module directory (default: found from the working directory)")
		profile   = flag.String("profile", "", "directory for pprof profiles of the fastmcp servers, fastmcp@rev too (CPU and allocations), during the -profile-level calls, the new-sessions measurement and each stdio measurement of the first round")
		profLevel = flag.Int("profile-level", 16, "concurrency level to profile with -profile")
		render    = flag.String("render", "", "print the Markdown report of a saved -json file (re-checking the targets) and exit")
		maxSess   = flag.Int("max-sessions", 100000, "MaxSessions passed to the fastmcp server (the peers have no cap)")
		taskCl    = flag.Int("task-clients", 16, "concurrent 2026-07-28 clients of the tasks phase, each looping: create a task (add_task), poll tasks/get until completed")
		taskTTL   = flag.Duration("task-ttl", time.Second, "how long fastmcp and fastmcp-redis keep a task (their -task-ttl); the store holds about this × tasks/s")
		replicas  = flag.Int("replicas", 2, "processes of fastmcp-redis, on one redis-server the load generator starts; requests go to each in turn")
		ref       = flag.String("ref", "", "the server the ratio columns and targets are about (default fastmcp), e.g. fastmcp@c6971a9; also with -render")
	)
	cfg.ServerArgs = map[string][]string{}
	flag.Func("server-arg", "extra argument for a server, as key=arg (repeatable), e.g. -server-arg gosdk=-sse -server-arg mcpgo=-validate; those for fastmcp also go to every fastmcp@rev", func(v string) error {
		k, a, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want key=arg with key one of fastmcp, gosdk, mcpgo, floor, fastmcp@rev")
		}
		if _, err := lookupSpec(k); err != nil {
			return err
		}
		cfg.ServerArgs[k] = append(cfg.ServerArgs[k], a)
		return nil
	})
	flag.Parse()
	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			fatal(err)
		}
		var res Results
		if err := json.Unmarshal(b, &res); err != nil {
			fatal(err)
		}
		if *ref != "" {
			if _, ok := res.Servers[*ref]; !ok {
				fatal(fmt.Errorf("-ref %s: not in %s", *ref, *render))
			}
			res.Ref = *ref
		}
		res.Targets = targets(&res)
		fmt.Print(markdown(&res))
		return
	}
	if *quick {
		cfg.quick()
	}
	if *duration > 0 {
		cfg.Duration, cfg.SessionDuration = *duration, *duration
	}
	if *warmup > 0 {
		cfg.Warmup = *warmup
	}
	var err error
	if cfg.Levels, err = parseInts(*levels); err != nil {
		fatal(err)
	}
	if *modernLv != "" {
		if cfg.ModernLevels, err = parseInts(*modernLv); err != nil {
			fatal(err)
		}
	}
	if cfg.StdioInFlight, err = parseInts(*inflight); err != nil {
		fatal(err)
	}
	if *sessions != "" {
		if cfg.Sessions, err = parseInts(*sessions); err != nil {
			fatal(err)
		}
	}
	cfg.Servers = splitList(*servers)
	if *rounds > 0 {
		cfg.Rounds = *rounds
	}
	cfg.ServerProcs, cfg.SessionWorkers, cfg.MaxSessions = *procs, *workers, *maxSess
	if *replicas < 1 {
		fatal(fmt.Errorf("-replicas must be at least 1"))
	}
	cfg.Replicas = *replicas
	if *taskCl < 1 {
		fatal(fmt.Errorf("-task-clients must be at least 1"))
	}
	cfg.TaskClients = *taskCl
	if *taskTTL <= 0 {
		fatal(fmt.Errorf("-task-ttl must be positive"))
	}
	cfg.TaskTTL = *taskTTL
	cfg.Phases = splitList(*phases)
	if *client != "raw" && *client != "nethttp" {
		fatal(fmt.Errorf("-client must be raw or nethttp"))
	}
	cfg.Client = *client
	cfg.BinDir, cfg.BenchDir = *binDir, *benchDir
	cfg.Profile, cfg.ProfileLevel = *profile, *profLevel

	// Ctrl-C: the deferred cleanup in run stops the servers (and Pdeathsig
	// kills them if we die anyway).
	signal.Ignore(syscall.SIGPIPE)

	cfg.ref = *ref
	res, err := run(cfg)
	if err != nil {
		fatal(err)
	}
	md := markdown(res)
	fmt.Print(md)
	if *mdPath != "" {
		if err := os.WriteFile(*mdPath, []byte(md), 0o644); err != nil {
			fatal(err)
		}
	}
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	if res.TotalErrors() > 0 {
		fmt.Fprintf(os.Stderr, "loadgen: %d errors (see the table and -json for the first of each)\n", res.TotalErrors())
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(2)
}

// Results are everything one run measured.
type Results struct {
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	CPU       string `json:"cpu"`
	NumCPU    int    `json:"num_cpu"`
	Tree      string `json:"tree,omitempty"` // git state of the module measured
	// Revisions are the commits the fastmcp@rev servers were built from.
	Revisions map[string]revision `json:"revisions,omitempty"`
	// LoadAvg is the machine's 1-minute load average at the start, at the
	// start of each round, and at the end.
	LoadAvg []float64                `json:"load_avg,omitempty"`
	Config  *Config                  `json:"config"`
	Servers map[string]*ServerResult `json:"servers"`
	Order   []string                 `json:"order"`
	Targets []Target                 `json:"targets"`
	// Ref is the server the ratio columns and targets are about (default
	// fastmcp); set by -ref, e.g. to compare two fastmcp@rev servers.
	Ref string `json:"ref,omitempty"`
}

// ServerResult holds the medians over rounds and every round's numbers.
type ServerResult struct {
	Label             string           `json:"label"`
	Mode              string           `json:"mode"`
	Calls             []CallsResult    `json:"calls"`
	CallsRounds       [][]CallsResult  `json:"calls_rounds"` // [level][round]
	Modern            []CallsResult    `json:"modern,omitempty"`
	ModernRounds      [][]CallsResult  `json:"modern_rounds,omitempty"` // [level][round]
	Stdio             []CallsResult    `json:"stdio,omitempty"`
	StdioRounds       [][]CallsResult  `json:"stdio_rounds,omitempty"` // [in-flight index][round]
	NewSessions       *SessionsResult  `json:"new_sessions,omitempty"`
	NewSessionsRounds []SessionsResult `json:"new_sessions_rounds,omitempty"`
	Tasks             *TasksResult     `json:"tasks,omitempty"`
	TasksRounds       []TasksResult    `json:"tasks_rounds,omitempty"`
	RSS               *RSSResult       `json:"rss,omitempty"`
}

// TotalErrors sums the errors of every measurement.
func (r *Results) TotalErrors() int64 {
	var n int64
	for _, s := range r.Servers {
		n += s.errors()
	}
	return n
}

func (s *ServerResult) errors() int64 {
	var n int64
	for _, rounds := range [][][]CallsResult{s.CallsRounds, s.ModernRounds, s.StdioRounds} {
		for _, lv := range rounds {
			for _, c := range lv {
				n += c.Errors
			}
		}
	}
	for _, c := range s.NewSessionsRounds {
		n += c.Errors
	}
	for _, c := range s.TasksRounds {
		n += c.Errors
	}
	if s.RSS != nil {
		n += s.RSS.Errors
	}
	return n
}

// treeState describes the git state of the repository holding the bench
// module: the commit and the number of uncommitted changes.
func treeState(benchDir string) string {
	if benchDir == "" {
		var err error
		if benchDir, err = findBenchDir(); err != nil {
			return ""
		}
	}
	head, err := exec.Command("git", "-C", benchDir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(head))
	st, err := exec.Command("git", "-C", filepath.Dir(benchDir), "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench").Output()
	if err == nil {
		if n := len(strings.Fields(strings.TrimSpace(string(st)))) / 2; n > 0 {
			s += fmt.Sprintf(" + %d uncommitted changed files", n)
		}
	}
	return s
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAvg returns the machine's 1-minute load average (0 if unknown).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// run runs the benchmark described by cfg.
func run(cfg *Config) (*Results, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no servers")
	}
	var order []string
	sp := map[string]serverSpec{}
	for _, k := range cfg.Servers {
		s, err := lookupSpec(k)
		if err != nil {
			return nil, err
		}
		if _, dup := sp[k]; !dup {
			sp[k] = s
			order = append(order, k)
		}
	}
	var err error
	if cfg.workDir, err = os.MkdirTemp("", "fastmcp-bench-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(cfg.workDir)
	// Build what is missing: everything without -bin-dir, and the
	// fastmcp@rev servers that -bin-dir lacks.
	var build []serverSpec
	if cfg.BinDir == "" {
		cfg.BinDir = filepath.Join(cfg.workDir, "bin")
		for _, k := range order {
			build = append(build, sp[k])
		}
	} else {
		for _, k := range order {
			if _, err := os.Stat(filepath.Join(cfg.BinDir, sp[k].bin())); err != nil && sp[k].rev != "" {
				build = append(build, sp[k])
			}
		}
	}
	if cfg.BenchDir == "" {
		if cfg.BenchDir, err = findBenchDir(); err != nil && len(build) > 0 {
			return nil, err
		}
	}
	revs := map[string]revision{}
	if len(build) > 0 {
		var names []string
		for _, s := range build {
			names = append(names, s.key)
		}
		cfg.logf("building %s in %s", strings.Join(names, ", "), cfg.BenchDir)
		if revs, err = buildServers(cfg.BenchDir, cfg.BinDir, build); err != nil {
			return nil, err
		}
	}
	for _, k := range order {
		if s := sp[k]; s.rev != "" && revs[k].Hash == "" && cfg.BenchDir != "" {
			revs[k], _ = resolveRevision(cfg.BenchDir, s.rev)
		}
	}
	if cfg.Profile != "" {
		if err := os.MkdirAll(cfg.Profile, 0o755); err != nil {
			return nil, err
		}
	}

	res := &Results{
		Date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		GoVersion: runtime.Version(),
		CPU:       cpuModel(),
		NumCPU:    runtime.NumCPU(),
		Tree:      treeState(cfg.BenchDir),
		Config:    cfg,
		Servers:   map[string]*ServerResult{},
		Order:     order,
		LoadAvg:   []float64{loadAvg()},
		Ref:       cfg.ref,
	}
	if _, ok := sp[cfg.ref]; cfg.ref != "" && !ok {
		return nil, fmt.Errorf("-ref %s is not one of -servers", cfg.ref)
	}
	if len(revs) > 0 {
		res.Revisions = revs
	}
	for _, k := range order {
		res.Servers[k] = &ServerResult{Label: sp[k].label, Mode: sp[k].mode,
			CallsRounds:  make([][]CallsResult, len(cfg.Levels)),
			ModernRounds: make([][]CallsResult, len(cfg.ModernLevels)),
			StdioRounds:  make([][]CallsResult, len(cfg.StdioInFlight)),
		}
	}
	// -profile covers every fastmcp server (fastmcp@rev too), in round 1;
	// files are named after the server's binary: fastmcp-16-cpu.pb.gz,
	// fastmcp@c6971a9-16-cpu.pb.gz.
	profiled := func(k string, r int) bool { return sp[k].base == "fastmcp" && cfg.Profile != "" && r == 0 }

	if cfg.phase("calls") || cfg.phase("modern") || cfg.phase("sessions") || cfg.phase("stdio") || cfg.phase("tasks") {
		procs := map[string]*proc{}
		defer func() {
			for _, p := range procs {
				p.stop()
			}
		}()
		if cfg.phase("calls") || cfg.phase("modern") || cfg.phase("sessions") || cfg.phase("tasks") {
			for _, k := range order {
				p, err := startServer(cfg, sp[k], sp[k].base == "fastmcp" && cfg.Profile != "")
				if err != nil {
					return nil, err
				}
				procs[k] = p
			}
		}
		alive := func(k string) error {
			if !procs[k].alive() {
				return fmt.Errorf("%s died: %s", k, procs[k].logTail())
			}
			return nil
		}
		// callPhase measures tool calls at each level, each server in
		// the round's order, into rounds[level].
		callPhase := func(r int, rot []string, levels []int, modern bool, what string, rounds func(*ServerResult) [][]CallsResult) error {
			for li, n := range levels {
				for _, k := range rot {
					var prof *profiler
					if profiled(k, r) && n == cfg.ProfileLevel {
						prefix := fmt.Sprintf("%s-%d-", sp[k].bin(), n)
						if modern {
							prefix = fmt.Sprintf("%s-modern-%d-", sp[k].bin(), n)
						}
						prof = &profiler{addr: procs[k].pprofAddr, dir: cfg.Profile, prefix: prefix}
					}
					c := measureCalls(cfg, procs[k], n, modern, prof)
					rs := rounds(res.Servers[k])
					rs[li] = append(rs[li], c)
					cfg.logf("round %d  %-16s %3d %s: %8.0f calls/s  p50 %6.0f µs  p99 %6.0f µs  server %5.1f µs/call (%.2f cores)  loadgen %.2f cores  errors %d %s",
						r+1, sp[k].label, n, what, c.CallsPerSec, c.P50us, c.P99us, c.ServerCPUus, c.ServerCores, c.LoadgenCores, c.Errors, c.FirstError)
					if u := c.Redis; u != nil {
						cfg.logf("round %d  %-16s %3d %s: Redis %.3f round trips/call, %.3f commands/call, redis-server %.1f µs/call",
							r+1, sp[k].label, n, what, u.RoundTrips, u.Commands, u.CPUus)
					}
					if err := alive(k); err != nil {
						return err
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
			return nil
		}
		for r := range cfg.Rounds {
			if r > 0 {
				res.LoadAvg = append(res.LoadAvg, loadAvg())
			}
			cfg.logf("round %d of %d, load average %.2f", r+1, cfg.Rounds, loadAvg())
			// Rotate the order each round so that no server always runs
			// right after the same neighbour or at the same time.
			rot := append(slices.Clone(order[r%len(order):]), order[:r%len(order)]...)
			if cfg.phase("calls") {
				if err := callPhase(r, rot, cfg.Levels, false, "sessions",
					func(s *ServerResult) [][]CallsResult { return s.CallsRounds }); err != nil {
					return nil, err
				}
			}
			if cfg.phase("modern") {
				if err := callPhase(r, rot, cfg.ModernLevels, true, "2026-07-28 clients",
					func(s *ServerResult) [][]CallsResult { return s.ModernRounds }); err != nil {
					return nil, err
				}
			}
			if cfg.phase("sessions") {
				for _, k := range rot {
					var prof *profiler
					if profiled(k, r) {
						prof = &profiler{addr: procs[k].pprofAddr, dir: cfg.Profile, prefix: sp[k].bin() + "-sessions-"}
					}
					s := measureSessions(cfg, procs[k], prof)
					res.Servers[k].NewSessionsRounds = append(res.Servers[k].NewSessionsRounds, s)
					cfg.logf("round %d  %-16s new sessions: %8.0f /s  cycle p50 %6.0f µs  server %5.1f µs/session (%.2f cores)  loadgen %.2f cores  errors %d %s",
						r+1, sp[k].label, s.SessionsPerSec, s.P50us, s.ServerCPUus, s.ServerCores, s.LoadgenCores, s.Errors, s.FirstError)
					if u := s.Redis; u != nil {
						cfg.logf("round %d  %-16s new sessions: Redis %.3f round trips/session, %.3f commands/session, redis-server %.1f µs/session",
							r+1, sp[k].label, u.RoundTrips, u.Commands, u.CPUus)
					}
					if err := alive(k); err != nil {
						return nil, err
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
			if cfg.phase("tasks") {
				for _, k := range rot {
					if !sp[k].tasks {
						continue // no add_task, or tasks not shared by its processes
					}
					t := measureTasks(cfg, procs[k], cfg.TaskClients)
					res.Servers[k].TasksRounds = append(res.Servers[k].TasksRounds, t)
					cfg.logf("round %d  %-16s tasks, %d clients: %8.0f tasks/s  create p50 %6.0f µs  get p50 %6.0f µs  p99 %6.0f µs  %.2f gets/task  server %5.1f µs/task (%.2f cores)  loadgen %.2f cores  errors %d %s",
						r+1, sp[k].label, cfg.TaskClients, t.TasksPerSec, t.CreateP50us, t.GetP50us, t.GetP99us, t.GetsPerTask, t.ServerCPUus, t.ServerCores, t.LoadgenCores, t.Errors, t.FirstError)
					if u := t.Redis; u != nil {
						cfg.logf("round %d  %-16s tasks: Redis %.3f round trips/task, %.3f commands/task, redis-server %.1f µs/task",
							r+1, sp[k].label, u.RoundTrips, u.Commands, u.CPUus)
					}
					if err := alive(k); err != nil {
						return nil, err
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
			if cfg.phase("stdio") {
				for ii, n := range cfg.StdioInFlight {
					for _, k := range rot {
						if sp[k].cluster {
							continue // replicas share nothing over stdio
						}
						var prof *profiler
						if profiled(k, r) {
							prof = &profiler{dir: cfg.Profile, prefix: fmt.Sprintf("%s-stdio-%d-", sp[k].bin(), n)}
						}
						c := measureStdio(cfg, sp[k], n, prof)
						res.Servers[k].StdioRounds[ii] = append(res.Servers[k].StdioRounds[ii], c)
						cfg.logf("round %d  %-16s stdio, %2d in flight: %8.0f calls/s  p50 %6.0f µs  p99 %6.0f µs  server %5.1f µs/call (%.2f cores)  loadgen %.2f cores  start %.1f ms  errors %d %s",
							r+1, sp[k].label, n, c.CallsPerSec, c.P50us, c.P99us, c.ServerCPUus, c.ServerCores, c.LoadgenCores, c.StartMs, c.Errors, c.FirstError)
						time.Sleep(200 * time.Millisecond)
					}
				}
			}
		}
		for _, p := range procs {
			p.stop()
		}
		clear(procs)
	}
	if cfg.phase("rss") {
		for _, k := range order {
			if sp[k].cluster {
				continue // a cluster's sessions live in Redis: not measured
			}
			cfg.logf("RSS: %s, fresh process, sessions %v", sp[k].label, cfg.Sessions)
			rr, err := measureRSS(cfg, sp[k])
			if err != nil {
				return nil, fmt.Errorf("RSS of %s: %w", k, err)
			}
			res.Servers[k].RSS = rr
			for _, pt := range rr.Points {
				cfg.logf("RSS: %-16s %6d sessions: %7d KB raw (%.2f KB/session), %7d KB after GC (%.2f KB/session); opened at %.0f/s",
					sp[k].label, pt.Sessions, pt.RawKB, pt.PerSessionRawKB, pt.GCKB, pt.PerSessionGCKB, pt.OpenPerSec)
			}
			if rr.Errors > 0 {
				cfg.logf("RSS: %s: %d errors, %d of %d checked sessions lost: %s", sp[k].label, rr.Errors, rr.Lost, rr.Checked, rr.FirstError)
			}
		}
	}
	res.LoadAvg = append(res.LoadAvg, loadAvg())

	for _, k := range order {
		sr := res.Servers[k]
		sr.Calls = mediansOf(sr.CallsRounds)
		sr.Modern = mediansOf(sr.ModernRounds)
		sr.Stdio = mediansOf(sr.StdioRounds)
		if len(sr.NewSessionsRounds) > 0 {
			m := medianSessions(sr.NewSessionsRounds)
			sr.NewSessions = &m
		}
		if len(sr.TasksRounds) > 0 {
			m := medianTasks(sr.TasksRounds)
			sr.Tasks = &m
		}
	}
	res.Targets = targets(res)
	return res, nil
}

// mediansOf returns the medians over rounds of each level measured.
func mediansOf(rounds [][]CallsResult) []CallsResult {
	var out []CallsResult
	for _, rs := range rounds {
		if len(rs) > 0 {
			out = append(out, medianCalls(rs))
		}
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianOf[T any](rs []T, f func(T) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return median(xs)
}

// medianCalls takes the median of each metric over rounds independently,
// and sums the errors.
func medianCalls(rs []CallsResult) CallsResult {
	m := CallsResult{Sessions: rs[0].Sessions, InFlight: rs[0].InFlight}
	m.Calls = int64(medianOf(rs, func(r CallsResult) float64 { return float64(r.Calls) }))
	m.CallsPerSec = medianOf(rs, func(r CallsResult) float64 { return r.CallsPerSec })
	m.P50us = medianOf(rs, func(r CallsResult) float64 { return r.P50us })
	m.P99us = medianOf(rs, func(r CallsResult) float64 { return r.P99us })
	m.ServerCPUus = medianOf(rs, func(r CallsResult) float64 { return r.ServerCPUus })
	m.ServerCores = medianOf(rs, func(r CallsResult) float64 { return r.ServerCores })
	m.LoadgenCPUus = medianOf(rs, func(r CallsResult) float64 { return r.LoadgenCPUus })
	m.LoadgenCores = medianOf(rs, func(r CallsResult) float64 { return r.LoadgenCores })
	m.StartMs = medianOf(rs, func(r CallsResult) float64 { return r.StartMs })
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

func medianSessions(rs []SessionsResult) SessionsResult {
	m := SessionsResult{Workers: rs[0].Workers}
	m.Sessions = int64(medianOf(rs, func(r SessionsResult) float64 { return float64(r.Sessions) }))
	m.SessionsPerSec = medianOf(rs, func(r SessionsResult) float64 { return r.SessionsPerSec })
	m.P50us = medianOf(rs, func(r SessionsResult) float64 { return r.P50us })
	m.P99us = medianOf(rs, func(r SessionsResult) float64 { return r.P99us })
	m.ServerCPUus = medianOf(rs, func(r SessionsResult) float64 { return r.ServerCPUus })
	m.ServerCores = medianOf(rs, func(r SessionsResult) float64 { return r.ServerCores })
	m.LoadgenCores = medianOf(rs, func(r SessionsResult) float64 { return r.LoadgenCores })
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
