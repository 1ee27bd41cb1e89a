package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Replica is a server process serving HTTP.
type Replica struct {
	// URL is the MCP endpoint the replica logged (http://127.0.0.1:port/mcp).
	URL string
	// Base is URL without its path, for a proxy backend.
	Base string

	cmd     *exec.Cmd
	stderr  *syncBuffer
	done    chan struct{}
	waitErr error
}

// Start starts bin serving HTTP on a free loopback port, with env added to
// the test's environment, and waits until it logs its URL (the url= of
// FastMCP's "serving MCP over HTTP" line). The process is killed when t ends.
func Start(t testing.TB, bin string, env ...string) *Replica {
	t.Helper()
	r := &Replica{done: make(chan struct{})}
	urls := make(chan string, 1)
	r.stderr = &syncBuffer{onLine: func(line string) {
		if _, rest, ok := strings.Cut(line, " url="); ok {
			u, _, _ := strings.Cut(rest, " ")
			select {
			case urls <- strings.Trim(u, `"`):
			default:
			}
		}
	}}
	r.cmd = exec.Command(bin, "--transport", "http", "--host", "127.0.0.1", "--port", "0")
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stderr = r.stderr
	r.cmd.WaitDelay = 5 * time.Second
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.waitErr = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
		if t.Failed() {
			t.Logf("replica %s stderr:\n%s", r.URL, r.Stderr())
		}
	})
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case r.URL = <-urls:
	case <-r.done:
		t.Fatalf("the replica exited before listening: %v\nstderr:\n%s", r.waitErr, r.Stderr())
	case <-timer.C:
		t.Fatalf("the replica logged no url= within 30s\nstderr:\n%s", r.Stderr())
	}
	r.Base = strings.TrimSuffix(r.URL, "/mcp")
	return r
}

// Kill ends the replica with SIGKILL, as a crash would, and waits for it.
func (r *Replica) Kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// Stop sends SIGTERM and waits up to d for the replica to exit; it reports the
// exit error, or an error when it did not exit in time.
func (r *Replica) Stop(d time.Duration) error {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		return r.waitErr
	case <-time.After(d):
		_ = r.cmd.Process.Kill()
		<-r.done
		return fmt.Errorf("the replica did not exit within %v of SIGTERM", d)
	}
}

// Stderr returns what the replica wrote to standard error so far.
func (r *Replica) Stderr() string { return r.stderr.String() }

// Build builds the Go package pkg (an import path or directory) into a
// temporary directory that lives as long as t, and returns the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// syncBuffer collects a process's output and calls onLine for each line.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	line   []byte
	onLine func(string)
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 4<<20 {
		b.buf.Write(p)
	}
	for _, c := range p {
		if c == '\n' {
			if b.onLine != nil {
				b.onLine(string(b.line))
			}
			b.line = b.line[:0]
			continue
		}
		if len(b.line) < 64<<10 {
			b.line = append(b.line, c)
		}
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
