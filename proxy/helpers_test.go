package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var binDir string

func TestMain(m *testing.M) {
	if len(os.Args) > 3 && os.Args[1] == stdioProxyFlag {
		os.Exit(stdioProxyMain(os.Args[2], os.Args[3:]))
	}
	if os.Getenv(fixtureEnv) == "1" {
		os.Exit(fixtureMain())
	}
	dir, err := os.MkdirTemp("", "fastmcp-proxy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// stdioProxyMain serves over stdio, until its input closes, a proxy of the
// upstream upstream[0] (a URL) or upstream (a command), asking it for version.
func stdioProxyMain(version string, upstream []string) int {
	up := proxy.Upstream{ProtocolVersion: version}
	if strings.HasPrefix(upstream[0], "http") {
		up.URL = upstream[0]
	} else {
		up.Command = upstream
	}
	ctx := context.Background()
	p, err := proxy.New(ctx, proxy.Options{Upstream: up, Logger: quietLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		return 1
	}
	defer p.Close()
	if err := p.Server().Serve(ctx, fastmcp.Stdio{}); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		return 1
	}
	return 0
}

// proxyOptions are the options of a quiet proxy of up.
func proxyOptions(up proxy.Upstream) proxy.Options {
	return proxy.Options{Upstream: up, Logger: quietLogger()}
}

var everything struct {
	once sync.Once
	path string
	err  error
}

// everythingBinary builds examples/everything once for the package's tests.
func everythingBinary(t testing.TB) string {
	t.Helper()
	everything.once.Do(func() {
		path := filepath.Join(binDir, "everything")
		if runtime.GOOS == "windows" {
			path += ".exe"
		}
		// Built from its own directory, so that the module it belongs to
		// (the repository's, or an examples module) decides how.
		cmd := exec.Command("go", "build", "-o", path, ".")
		cmd.Dir = filepath.Join("..", "examples", "everything")
		if out, err := cmd.CombinedOutput(); err != nil {
			everything.err = fmt.Errorf("go build ./examples/everything: %v\n%s", err, out)
			return
		}
		everything.path = path
	})
	if everything.err != nil {
		t.Fatal(everything.err)
	}
	return everything.path
}

// startEverythingHTTP runs examples/everything over Streamable HTTP on a free
// loopback port and returns its URL. It is stopped when the test ends.
func startEverythingHTTP(t testing.TB) string {
	t.Helper()
	bin := everythingBinary(t)
	cmd := exec.Command(bin, "--transport", "http", "--host", "127.0.0.1", "--port", "0")
	cmd.Env = cleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	urlc := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		<-readDone
		if t.Failed() {
			t.Logf("upstream log:\n%s", log.String())
		}
	})
	select {
	case u := <-urlc:
		return u
	case <-readDone:
		t.Fatalf("%s exited before reporting its URL:\n%s", bin, log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not report its URL", bin)
	}
	return ""
}

// cleanEnv is this process's environment without FASTMCP_* settings.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FASTMCP_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// upstream is an in-process FastMCP server served over HTTP on loopback,
// counting the sessions it accepted (its initialize requests).
type upstream struct {
	server   *fastmcp.Server
	url      string
	sessions atomic.Int64
	handler  *fastmcp.HTTPHandler
}

func serveUpstream(t testing.TB, s *fastmcp.Server, opts fastmcp.HTTP) *upstream {
	t.Helper()
	u := &upstream{server: s}
	s.OnConnect(func(*fastmcp.Session) { u.sessions.Add(1) })
	u.handler = s.Handler(opts)
	hs := httptest.NewServer(u.handler)
	t.Cleanup(func() {
		u.handler.Close()
		hs.Close()
	})
	u.url = hs.URL + "/mcp"
	return u
}

// serveProxy serves p's server over HTTP on a free loopback port, with the
// real transport (fastmcp.HTTP), and returns its URL.
func serveProxy(t testing.TB, s *fastmcp.Server, opts fastmcp.HTTP) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.OnListen = func(a net.Addr) { addrc <- a }
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serving the proxy: %v", err)
		}
	})
	select {
	case a := <-addrc:
		return "http://" + a.String() + "/mcp"
	case err := <-done:
		t.Fatalf("serving the proxy: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not listen")
	}
	return ""
}

// newProxy makes a proxy closed when the test ends.
func newProxy(t testing.TB, opts proxy.Options) *proxy.Proxy {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := proxy.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// connect opens a Go SDK client session to url, asking for version (""
// for the SDK's default handshake-era revision).
func connect(t testing.TB, url, version string, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1.0.0"}, opts)
	var sopts *mcp.ClientSessionOptions
	if version != "" {
		sopts = &mcp.ClientSessionOptions{ProtocolVersion: version}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A client of its own, whose idle connections are closed with the
	// session: a connection left open without a request would hold the
	// server's graceful shutdown for 5 seconds.
	ht := &http.Transport{}
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1, HTTPClient: &http.Client{Transport: ht}}, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ht.CloseIdleConnections()
	})
	return cs
}

// textOf returns the text of a result's first content block.
func textOf(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) == 0 {
		t.Fatalf("result without content: %+v", res)
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("first block is %T, not text", res.Content[0])
	}
	return tc.Text
}

// waitFor waits for ch to deliver, up to 30 seconds (the race detector
// slows the processes of the stdio tests a lot).
func waitFor[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}
