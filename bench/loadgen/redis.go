package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The fastmcp-redis server: replicas of the fastmcp add server sharing a
// redis-server the load generator starts for them on a free loopback port,
// without persistence, and stops with them.

// benchSecret is Options.Secret of every fastmcp-redis replica: they must
// share one to accept each other's tokens; the value matters to nobody.
const benchSecret = "fastmcp-bench-cluster-secret-0123456789"

// startRedis starts a redis-server on a free loopback port, with nothing
// saved to disk, and waits until it answers PING.
func startRedis(cfg *Config) (*proc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("fastmcp-redis needs redis-server on PATH (Debian: apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.workDir, "redis-")
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp(cfg.workDir, "redis-*.log")
	if err != nil {
		return nil, err
	}
	p := &proc{spec: serverSpec{key: "redis-server"}, port: port, logPath: logf.Name(), exited: make(chan struct{})}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	p.cmd = cmd
	go func() { cmd.Wait(); logf.Close(); close(p.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := redisInfo(port, "server"); err == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server exited: %s", p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("redis-server did not answer on port %d within 10s: %s", port, p.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisInfo returns INFO section of the redis-server on port, as a map of
// field to value.
func redisInfo(port int, section string) (map[string]string, error) {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n", len(section), section); err != nil {
		return nil, err
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "$") {
		return nil, fmt.Errorf("INFO %s: %q", section, strings.TrimSpace(line))
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("INFO %s: bad length %q", section, strings.TrimSpace(line))
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(body[:n]), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m, nil
}

// redisCommands returns the calls of each command since redis-server started,
// from INFO commandstats (lines cmdstat_get:calls=3,usec=...; commands run by
// Lua scripts are counted too, besides the EVALSHA that ran them).
func redisCommands(port int) (map[string]int64, error) {
	info, err := redisInfo(port, "commandstats")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for k, v := range info {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(f, "calls="); ok {
				c, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("commandstats %s: %q", k, v)
				}
				out[name] = c
			}
		}
	}
	return out, nil
}

// redisSample is what the load generator reads from the Redis side of a
// fastmcp-redis cluster at the edges of a measurement.
type redisSample struct {
	cmds       map[string]int64
	roundTrips int64 // sum over the replicas' Redis clients
	cpu        time.Duration
}

// sampleRedis reads the cluster's Redis figures; p is its first replica.
func sampleRedis(p *proc) (redisSample, error) {
	var s redisSample
	var err error
	if s.cmds, err = redisCommands(p.redis.port); err != nil {
		return s, err
	}
	if s.cpu, err = p.redis.cpuTime(); err != nil {
		return s, err
	}
	for _, r := range p.all() {
		n, err := r.redisRoundTrips()
		if err != nil {
			return s, err
		}
		s.roundTrips += n
	}
	return s, nil
}

// RedisUse is the Redis work per operation (tool call or session cycle) of a
// measurement of fastmcp-redis.
type RedisUse struct {
	// RoundTrips are the exchanges of the replicas' Redis clients (one per
	// command or pipeline sent), per operation.
	RoundTrips float64 `json:"round_trips"`
	// Commands are the commands Redis ran (INFO commandstats, those run by
	// Lua scripts included), per operation.
	Commands float64 `json:"commands"`
	// ByCommand splits Commands by command name.
	ByCommand map[string]float64 `json:"by_command,omitempty"`
	// CPUus is redis-server's CPU time per operation, in µs.
	CPUus float64 `json:"cpu_us"`
}

// redisUse is the difference of two samples, per operation.
func redisUse(a, b redisSample, ops int64) *RedisUse {
	if ops <= 0 {
		return nil
	}
	u := &RedisUse{ByCommand: map[string]float64{}}
	n := float64(ops)
	for k, v := range b.cmds {
		if d := v - a.cmds[k]; d > 0 {
			u.ByCommand[k] = float64(d) / n
			u.Commands += float64(d) / n
		}
	}
	// INFO itself is the load generator's, not the servers'.
	if d, ok := u.ByCommand["info"]; ok {
		u.Commands -= d
		delete(u.ByCommand, "info")
	}
	u.RoundTrips = float64(b.roundTrips-a.roundTrips) / n
	u.CPUus = float64(b.cpu-a.cpu) / 1e3 / n
	return u
}

// medianRedis takes the median of each figure over rounds.
func medianRedis(us []*RedisUse) *RedisUse {
	var have []*RedisUse
	for _, u := range us {
		if u != nil {
			have = append(have, u)
		}
	}
	if len(have) == 0 {
		return nil
	}
	m := &RedisUse{ByCommand: map[string]float64{}}
	m.RoundTrips = medianOf(have, func(u *RedisUse) float64 { return u.RoundTrips })
	m.Commands = medianOf(have, func(u *RedisUse) float64 { return u.Commands })
	m.CPUus = medianOf(have, func(u *RedisUse) float64 { return u.CPUus })
	for _, u := range have {
		for k := range u.ByCommand {
			if _, done := m.ByCommand[k]; !done {
				m.ByCommand[k] = medianOf(have, func(u *RedisUse) float64 { return u.ByCommand[k] })
			}
		}
	}
	return m
}

// redisCommandTable lists, for each cluster server, the Redis commands per
// operation of each measurement (medians over rounds), most frequent first.
func redisCommandTable(r *Results) string {
	var b strings.Builder
	for _, k := range r.Order {
		s := r.Servers[k]
		var lines []string
		add := func(what string, u *RedisUse) {
			if u == nil {
				return
			}
			names := make([]string, 0, len(u.ByCommand))
			for c := range u.ByCommand {
				if u.ByCommand[c] >= 0.0005 {
					names = append(names, c)
				}
			}
			slices.SortFunc(names, func(a, b string) int { return cmp.Compare(u.ByCommand[b], u.ByCommand[a]) })
			parts := make([]string, len(names))
			for i, c := range names {
				parts[i] = fmt.Sprintf("%s %s", c, fmtFrac(u.ByCommand[c]))
			}
			if len(parts) == 0 {
				parts = []string{"none"}
			}
			lines = append(lines, fmt.Sprintf("| %s | %s | %s |", what, fmtFrac(u.RoundTrips), strings.Join(parts, ", ")))
		}
		for i, c := range s.Calls {
			add(fmt.Sprintf("tools/call, %d sessions", r.Config.Levels[i]), c.Redis)
		}
		for i, c := range s.Modern {
			add(fmt.Sprintf("2026-07-28 tools/call, %d clients", r.Config.ModernLevels[i]), c.Redis)
		}
		if s.NewSessions != nil {
			add("new session (initialize, initialized, one call, DELETE)", s.NewSessions.Redis)
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "\nRedis per operation, %s (%d %s; round trips counted by the replicas' go-redis clients, commands by INFO commandstats, those run inside Lua scripts included):\n\n| operation | round trips | commands |\n|---|---:|---|\n%s\n",
				s.Label, r.Config.Replicas, plural(r.Config.Replicas, "replica"), strings.Join(lines, "\n"))
		}
	}
	return b.String()
}

// clusterTargets checks the scale-out issue's goals when the run has both
// fastmcp (one process, in-memory stores) and fastmcp-redis: at most one
// Redis round trip per handshake-era tools/call, none per 2026-07-28
// tools/call, and server CPU per call at most 1.2× in-memory.
func clusterTargets(r *Results) []Target {
	mem, ok1 := r.Servers["fastmcp"]
	rd, ok2 := r.Servers["fastmcp-redis"]
	if !ok1 || !ok2 {
		return nil
	}
	var ts []Target
	cfg := r.Config
	check := func(era string, levels []int, rm, rr []CallsResult, rrm, rrr [][]CallsResult, maxRT float64, name string) {
		for li, n := range levels {
			if li >= len(rr) || rr[li].Redis == nil {
				continue
			}
			u := rr[li].Redis
			ts = append(ts, Target{
				Goal: fmt.Sprintf("%s tools/call, %d %s: Redis round trips per call ≤ %g", era, n, plural(n, name), maxRT),
				Got:  fmt.Sprintf("%s round trips, %s commands per call", fmtFrac(u.RoundTrips), fmtFrac(u.Commands)),
				Met:  u.RoundTrips <= maxRT})
			if li >= len(rm) || rm[li].ServerCPUus == 0 {
				continue
			}
			got := rr[li].ServerCPUus / rm[li].ServerCPUus
			ts = append(ts, Target{
				Goal: fmt.Sprintf("%s, %d %s: server CPU/call on Redis (summed over the replicas) ≤ 1.2× in-memory", era, n, plural(n, name)),
				Got: fmt.Sprintf("%.2f× (%s vs %s µs; per-round %s; with redis-server's CPU %.2f×)", got, fmtUs(rr[li].ServerCPUus), fmtUs(rm[li].ServerCPUus),
					pairedRatio(rrr[li], rrm[li], func(c CallsResult) float64 { return c.ServerCPUus }),
					(rr[li].ServerCPUus+u.CPUus)/rm[li].ServerCPUus),
				Met: got <= 1.2})
		}
	}
	// 2026-07-28 requests need no Redis at all; 0.01 leaves room for the
	// replicas' background work (reaper, bus) spread over the calls.
	check("handshake-era", cfg.Levels, mem.Calls, rd.Calls, mem.CallsRounds, rd.CallsRounds, 1, "session")
	check("2026-07-28", cfg.ModernLevels, mem.Modern, rd.Modern, mem.ModernRounds, rd.ModernRounds, 0.01, "client")
	return ts
}
