package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverSpec describes one benchmark server.
type serverSpec struct {
	key   string // the name in -servers: fastmcp, gosdk, mcpgo, floor, fastmcp-proxy, or fastmcp@rev
	base  string // the server program (bench/servers/<base>)
	rev   string // for fastmcp@rev: the revision of the module the server is built from
	label string // name in reports
	mode  string // how it answers plain calls, for the report
	args  func(cfg *Config) []string
	// cluster: cfg.Replicas processes of the server on a redis-server the
	// load generator starts, each request sent to the next replica.
	cluster bool
	// noRedis: a cluster of processes that share nothing (no redis-server).
	noRedis bool
	// tasks: the server has add_task, a task tool (phase tasks).
	tasks bool
}

// bin is the file name of the server's binary.
func (s serverSpec) bin() string {
	if s.rev == "" {
		return s.base
	}
	return s.base + "@" + strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r < ' ' {
			return '_'
		}
		return r
	}, s.rev)
}

var specs = map[string]serverSpec{
	"fastmcp": {key: "fastmcp", base: "fastmcp", label: "fastmcp", mode: "default (JSON unless a handler streams)", tasks: true,
		args: func(cfg *Config) []string {
			return []string{"-max-sessions", strconv.Itoa(cfg.MaxSessions)}
		}},
	"gosdk": {key: "gosdk", base: "gosdk", label: "go-sdk", mode: "JSONResponse: true",
		args: func(*Config) []string { return nil }},
	"mcpgo": {key: "mcpgo", base: "mcpgo", label: "mcp-go", mode: "default (JSON unless a handler streams), WithStateful(true)",
		args: func(*Config) []string { return nil }},
	"fastmcp-proxy": {key: "fastmcp-proxy", base: "fastmcp-proxy", label: "fastmcp proxy", mode: "fastmcp's proxy in front of the fastmcp add server, both in one process",
		args: func(cfg *Config) []string {
			return []string{"-max-sessions", strconv.Itoa(cfg.MaxSessions)}
		}},
	"fastmcp-redis": {key: "fastmcp-redis", base: "fastmcp-redis", label: "fastmcp on Redis", mode: "replicas of the fastmcp add server on redisstore, requests round-robin across them",
		cluster: true, tasks: true,
		args: func(cfg *Config) []string {
			return []string{"-max-sessions", strconv.Itoa(cfg.MaxSessions), "-secret", benchSecret}
		}},
	"fastmcp-2proc": {key: "fastmcp-2proc", base: "fastmcp", label: "fastmcp processes, in memory", mode: "processes of the fastmcp server sharing nothing, requests round-robin: only sessionless 2026-07-28 calls work (-phases modern)",
		cluster: true, noRedis: true,
		args: func(cfg *Config) []string {
			return []string{"-max-sessions", strconv.Itoa(cfg.MaxSessions)}
		}},
	"floor": {key: "floor", base: "floor", label: "floor (not MCP)", mode: "bare net/http + encoding/json reference; with -stdio a bare newline-JSON loop",
		args: func(*Config) []string { return nil }},
}

// lookupSpec resolves a name of -servers: one of the specs, or fastmcp@rev for
// the fastmcp server built from another revision of the module (a commit,
// branch or tag of the repository holding the bench module).
func lookupSpec(name string) (serverSpec, error) {
	base, rev, hasRev := strings.Cut(name, "@")
	s, ok := specs[base]
	if !ok {
		return s, fmt.Errorf("unknown server %q (want fastmcp, gosdk, mcpgo, floor, fastmcp-proxy, fastmcp-redis, fastmcp-2proc, or fastmcp@<git revision>)", name)
	}
	if hasRev {
		if base != "fastmcp" || rev == "" || strings.HasPrefix(rev, "-") {
			return s, fmt.Errorf("bad server %q: only fastmcp@<git revision> can be built from another revision", name)
		}
		s.key, s.rev, s.label = name, rev, name
		s.tasks = false // older revisions may lack add_task
	}
	return s, nil
}

// serverArgs are the command-line arguments of a server: its own, then the
// -server-arg values given for its program, then those given for its exact
// name (fastmcp@rev gets those of fastmcp too, so both builds run alike).
func serverArgs(cfg *Config, spec serverSpec) []string {
	args := spec.args(cfg)
	if spec.tasks {
		// Tasks are kept TaskTTL, not the default hour: every bench client
		// is the same anonymous principal, whose cap (10,000 kept tasks)
		// the tasks phase would reach within seconds. The store then holds
		// about TaskTTL × the rate of tasks.
		args = append(args, "-task-ttl", cfg.TaskTTL.String(), "-max-tasks-per-principal", "100000")
	}
	args = append(args, cfg.ServerArgs[spec.base]...)
	if spec.key != spec.base {
		args = append(args, cfg.ServerArgs[spec.key]...)
	}
	return args
}

// findBenchDir locates the bench module: the nearest directory at or above
// the working directory whose go.mod declares it, or ./bench below it.
func findBenchDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	isBench := func(d string) bool {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		return err == nil && bytes.HasPrefix(b, []byte("module github.com/fastmcp-go/fastmcp/bench\n"))
	}
	if isBench(filepath.Join(dir, "bench")) {
		return filepath.Join(dir, "bench"), nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		if isBench(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("cannot find the bench module (github.com/fastmcp-go/fastmcp/bench); pass -bench-dir or -bin-dir")
		}
	}
}

// buildServers builds the servers into dir: those of this tree with one go
// build, those of other revisions with buildRevision. It returns the commits
// the latter were built from, by server name.
func buildServers(benchDir, dir string, servers []serverSpec) (map[string]revision, error) {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	revs := map[string]revision{}
	for _, s := range servers {
		if s.rev != "" {
			rv, err := buildRevision(benchDir, dir, s)
			if err != nil {
				return nil, err
			}
			revs[s.key] = rv
			continue
		}
		args = append(args, "./servers/"+s.base)
	}
	if len(args) == 3 {
		return revs, nil
	}
	out, err := goCommand(benchDir, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return revs, nil
}

// proc is a running server process.
type proc struct {
	spec      serverSpec
	cmd       *exec.Cmd
	port      int
	url       string // http://127.0.0.1:port/mcp
	logPath   string
	pprofAddr string
	exited    chan struct{}
	started   time.Time // when the process was started
	stdin     *os.File  // a stdio server's input (nil over HTTP)

	// Of a cluster (fastmcp-redis), on its first replica: the other
	// replicas, and the redis-server they share.
	group []*proc
	redis *proc
	// statsAddr serves a fastmcp-redis replica's Redis round-trip count.
	statsAddr string
}

// all returns the processes of p's server: p, and the other replicas.
func (p *proc) all() []*proc { return append([]*proc{p}, p.group...) }

// urls returns the MCP endpoints of every replica of p's server.
func (p *proc) urls() []*url.URL {
	var us []*url.URL
	for _, r := range p.all() {
		u, _ := url.Parse(r.url)
		us = append(us, u)
	}
	return us
}

// redisRoundTrips reads a fastmcp-redis replica's count of Redis round trips.
func (p *proc) redisRoundTrips() (int64, error) {
	resp, err := http.Get("http://" + p.statsAddr + "/redis-round-trips")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("redis-round-trips: HTTP %d", resp.StatusCode)
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts a server binary with GOMAXPROCS=cfg.ServerProcs and waits
// until its port answers HTTP. For a cluster server it starts a redis-server,
// then cfg.Replicas processes of the server on it, and returns the first
// with the others in its group.
func startServer(cfg *Config, spec serverSpec, pprof bool) (*proc, error) {
	if !spec.cluster {
		return startOne(cfg, spec, pprof, nil)
	}
	if spec.noRedis {
		var first *proc
		for i := range max(1, cfg.Replicas) {
			p, err := startOne(cfg, spec, pprof && i == 0, nil)
			if err != nil {
				if first != nil {
					first.stop()
				}
				return nil, fmt.Errorf("process %d: %w", i+1, err)
			}
			if first == nil {
				first = p
			} else {
				first.group = append(first.group, p)
			}
		}
		return first, nil
	}
	rd, err := startRedis(cfg)
	if err != nil {
		return nil, err
	}
	var first *proc
	for i := range max(1, cfg.Replicas) {
		sp, err := freePort()
		if err != nil {
			rd.stop()
			return nil, err
		}
		stats := fmt.Sprintf("127.0.0.1:%d", sp)
		p, err := startOne(cfg, spec, pprof && i == 0, []string{
			"-redis-url", fmt.Sprintf("redis://127.0.0.1:%d", rd.port), "-stats", stats})
		if err != nil {
			if first != nil {
				first.stop()
			}
			rd.stop()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		p.statsAddr = stats
		if first == nil {
			first = p
			first.redis = rd
		} else {
			first.group = append(first.group, p)
		}
	}
	return first, nil
}

func startOne(cfg *Config, spec serverSpec, pprof bool, extra []string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-port", strconv.Itoa(port)}, serverArgs(cfg, spec)...)
	args = append(args, extra...)
	p := &proc{spec: spec, port: port, url: fmt.Sprintf("http://127.0.0.1:%d/mcp", port), exited: make(chan struct{})}
	if pprof {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		p.pprofAddr = fmt.Sprintf("127.0.0.1:%d", pp)
		args = append(args, "-pprof", p.pprofAddr)
	}
	logf, err := os.CreateTemp(cfg.workDir, spec.key+"-*.log")
	if err != nil {
		return nil, err
	}
	p.logPath = logf.Name()
	cmd := exec.Command(filepath.Join(cfg.BinDir, spec.bin()), args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(cfg.ServerProcs))
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server dies with the load generator, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", spec.key, err)
	}
	p.cmd = cmd
	go func() { cmd.Wait(); logf.Close(); close(p.exited) }()

	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before answering: %s", spec.key, p.logTail())
		default:
		}
		resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/bench-ready", port))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not answer on port %d within 30s: %s", spec.key, port, p.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	hc.CloseIdleConnections()
	return p, nil
}

// stop ends the server, every replica of it and its redis-server: SIGTERM,
// then SIGKILL after 5 seconds.
func (p *proc) stop() {
	for _, r := range p.group {
		r.stop1()
	}
	p.stop1()
	if p.redis != nil {
		p.redis.stop1()
	}
}

func (p *proc) stop1() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// alive reports whether every process of the server runs (its replicas
// and redis-server too).
func (p *proc) alive() bool {
	for _, r := range p.group {
		if !r.alive1() {
			return false
		}
	}
	if p.redis != nil && !p.redis.alive1() {
		return false
	}
	return p.alive1()
}

func (p *proc) alive1() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) logTail() string {
	s := p.logTail1()
	for i, r := range p.group {
		if t := r.logTail1(); t != "" {
			s += fmt.Sprintf("\n[replica %d] %s", i+2, t)
		}
	}
	if p.redis != nil {
		if t := p.redis.logTail1(); t != "" {
			s += "\n[redis-server] " + t
		}
	}
	return strings.TrimSpace(s)
}

func (p *proc) logTail1() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// rssKB reads VmRSS from /proc/<pid>/status.
func (p *proc) rssKB() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// clockTick is USER_HZ, 100 on every Linux platform Go supports.
const clockTick = 10 * time.Millisecond

// cpuTime reads the user+system CPU time of the server from /proc/<pid>/stat:
// the sum over its replicas (not its redis-server's).
func (p *proc) cpuTime() (time.Duration, error) {
	var sum time.Duration
	for _, r := range p.all() {
		t, err := r.cpuTime1()
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

func (p *proc) cpuTime1() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("malformed /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc stat")
	}
	return time.Duration(ut+st) * clockTick, nil
}

// freeMemory asks the server to collect garbage and return it to the OS
// (SIGUSR1, handled alike by the three servers).
func (p *proc) freeMemory() error {
	return p.cmd.Process.Signal(syscall.SIGUSR1)
}

// selfCPU returns the load generator's own user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
