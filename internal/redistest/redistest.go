// Package redistest starts a redis-server of the test's own on a free
// loopback port, for the tests of the Redis store and of a cluster of
// replicas on it. It needs only the standard library (it speaks enough RESP
// to administer the server), so any module of the repository may use it.
//
// Without a redis-server on PATH, Start skips the test, unless the
// environment variable FASTMCP_REDIS=1 says that the tests must run (CI
// installs the server and sets it).
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a redis-server process started by a test. Its methods may be
// called concurrently; they fail the test on errors.
type Server struct {
	// Addr is the server's host:port on 127.0.0.1; it stays the same
	// across Restart.
	Addr string

	bin     string
	dir     string
	cluster bool

	mu   sync.Mutex
	cmd  *exec.Cmd
	exit chan struct{} // closed when cmd has exited
	log  *logBuffer
}

// Required reports whether the environment says the Redis tests must run
// (FASTMCP_REDIS=1) rather than be skipped when redis-server is missing.
func Required() bool { return os.Getenv("FASTMCP_REDIS") == "1" }

// ErrNotInstalled is Launch's error when redis-server is not on PATH.
var ErrNotInstalled = errors.New("redistest: redis-server is not on PATH")

// Start starts a redis-server on a free port of 127.0.0.1, without
// persistence, and stops it when the test ends. Without redis-server it
// skips the test, or fails it when Required.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if errors.Is(err, ErrNotInstalled) && !Required() {
		t.Skip("redis-server is not on PATH (install it, or set FASTMCP_REDIS=1 to require it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartCluster starts a redis-server in cluster mode, a cluster of one node
// that holds every slot: Redis refuses there, as in any cluster, a
// multi-key command or script whose keys are in different slots
// (CROSSSLOT). Connect to it with a cluster client.
func StartCluster(t testing.TB) *Server {
	t.Helper()
	s, err := launch(true)
	if errors.Is(err, ErrNotInstalled) && !Required() {
		t.Skip("redis-server is not on PATH (install it, or set FASTMCP_REDIS=1 to require it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Launch starts a redis-server as Start does, for a server that outlives
// one test (started in TestMain): the caller closes it.
func Launch() (*Server, error) { return launch(false) }

func launch(cluster bool) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	dir, err := os.MkdirTemp("", "redistest")
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, dir: dir, cluster: cluster}
	// A free port can be taken by another process before redis-server
	// binds it: try a few.
	for attempt := 0; ; attempt++ {
		if s.Addr, err = freeAddr(); err != nil {
			return nil, err
		}
		err := s.start()
		if err == nil {
			return s, nil
		}
		if attempt == 4 {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("redistest: %w", err)
		}
	}
}

// URL is the server's address as a redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs redis-server on s.Addr and waits until it accepts connections.
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--logfile", "",
		"--daemonize", "no", "--databases", "1"}
	if s.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes-"+port+".conf")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.SysProcAttr = sysProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	log := &logBuffer{}
	ready := make(chan struct{})
	exit := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			log.add(sc.Text())
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(exit)
	}()
	select {
	case <-ready:
	case <-exit:
		return fmt.Errorf("redis-server on %s exited at start:\n%s", s.Addr, log)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exit
		return fmt.Errorf("redis-server on %s did not start in 30 s:\n%s", s.Addr, log)
	}
	s.mu.Lock()
	s.cmd, s.exit, s.log = cmd, exit, log
	s.mu.Unlock()
	if s.cluster {
		return s.claimSlots()
	}
	return nil
}

// claimSlots gives the node every slot and waits until the cluster is up.
func (s *Server) claimSlots() error {
	if info, _ := s.Do("CLUSTER", "INFO"); !strings.Contains(fmt.Sprint(info), "cluster_slots_assigned:16384") {
		if _, err := s.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
			return fmt.Errorf("CLUSTER ADDSLOTSRANGE: %w", err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := s.Do("CLUSTER", "INFO")
		if err == nil && strings.Contains(fmt.Sprint(info), "cluster_state:ok") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cluster is not up after 30 s: %v %v", info, err)
		}
		time.Sleep(10 * time.Millisecond) // Redis changes state on its own clock (clusterCron)
	}
}

// Stop kills the server (SIGKILL: nothing is saved, clients see their
// connections reset) and waits for it to exit. Stopping a stopped server
// does nothing; Restart starts it again.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exit := s.cmd, s.exit
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	if sigCont != nil {
		cmd.Process.Signal(sigCont) // in case it was paused
	}
	cmd.Process.Kill()
	<-exit
}

// Close stops the server for good and removes its directory.
func (s *Server) Close() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// Restart starts the server again on the same port, empty. It stops it
// first if it runs.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	var err error
	// The port was the server's: nothing else should take it, but a
	// listener in TIME_WAIT may need a moment on some systems.
	for attempt := 0; attempt < 50; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("redistest: restart: %v", err)
}

// Pause stops the process (SIGSTOP) without closing its connections: Redis
// no longer answers, as a hung or unreachable server would not.
func (s *Server) Pause(t testing.TB) { t.Helper(); s.signal(t, sigStop) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(t testing.TB) { t.Helper(); s.signal(t, sigCont) }

func (s *Server) signal(t testing.TB, sig os.Signal) {
	t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		t.Fatal("redistest: the server is not running")
	}
	if sig == nil {
		t.Skip("redistest: pausing a process is not supported on this system")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// Do sends one command on a connection of its own and returns the reply:
// a string, an int64, nil, a []any, or an error for an error reply.
func (s *Server) Do(args ...string) (any, error) {
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write(b.Bytes()); err != nil {
		return nil, err
	}
	return readReply(bufio.NewReader(c))
}

// Must runs a command as Do does, and fails the test on an error.
func (s *Server) Must(t testing.TB, args ...string) any {
	t.Helper()
	v, err := s.Do(args...)
	if err != nil {
		t.Fatalf("redistest: %s: %v", strings.Join(args, " "), err)
	}
	return v
}

// FlushAll deletes every key.
func (s *Server) FlushAll(t testing.TB) { t.Helper(); s.Must(t, "FLUSHALL") }

// ResetStats zeroes the command statistics (CONFIG RESETSTAT).
func (s *Server) ResetStats(t testing.TB) { t.Helper(); s.Must(t, "CONFIG", "RESETSTAT") }

// DBSize returns the number of keys.
func (s *Server) DBSize(t testing.TB) int64 {
	t.Helper()
	n, _ := s.Must(t, "DBSIZE").(int64)
	return n
}

// CommandStats returns the calls of each command since the last reset, from
// INFO commandstats: commands run by scripts count too. Commands are named
// in lower case, subcommands as "config|resetstat"; the INFO that reads
// them is left out.
func (s *Server) CommandStats(t testing.TB) map[string]int64 {
	t.Helper()
	info, _ := s.Must(t, "INFO", "commandstats").(string)
	return ParseCommandStats(info)
}

// ParseCommandStats reads the calls per command from the text of INFO
// commandstats, leaving out the INFO command itself.
func ParseCommandStats(info string) map[string]int64 {
	out := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		name = strings.TrimPrefix(name, "cmdstat_")
		if name == "info" {
			continue
		}
		for field := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[name] = n
			}
		}
	}
	return out
}

// Log returns what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("redistest: empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("redistest: unexpected reply %q", line)
}

// logBuffer keeps the last lines a server printed.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 200 {
		l.lines = l.lines[len(l.lines)-200:]
	}
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
