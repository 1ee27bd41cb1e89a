package fastmcp_test

// Auto: the transport chosen by command-line flags and the environment.

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// cfgHTTP is the part of an HTTP value Auto fills, for comparison.
type cfgHTTP struct {
	Host, Endpoint, BasePath string
	Port                     int
	Stateless, JSONResponse  bool
}

func cfgOf(h fastmcp.HTTP) cfgHTTP {
	return cfgHTTP{Host: h.Host, Endpoint: h.Endpoint, BasePath: h.BasePath, Port: h.Port, Stateless: h.Stateless, JSONResponse: h.JSONResponse}
}

func TestConfigAutoResolve(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		args []string
		env  map[string]string
		http fastmcp.HTTP // Auto.HTTP
		// want is nil for stdio
		want    *cfgHTTP
		wantErr string
	}
	cases := []tc{
		{name: "default is stdio"},
		{name: "explicit stdio flag", args: []string{"--transport", "stdio"}},
		{name: "flag http", args: []string{"--transport", "http"}, want: &cfgHTTP{}},
		{name: "flag =http", args: []string{"--transport=http"}, want: &cfgHTTP{}},
		{name: "single dash flag", args: []string{"-transport", "http"}, want: &cfgHTTP{}},
		{name: "flag case-insensitive", args: []string{"--transport=HTTP"}, want: &cfgHTTP{}},
		{name: "flag httpStream", args: []string{"--transport", "httpStream"}, want: &cfgHTTP{}},
		{name: "flag http-stream", args: []string{"--transport", "http-stream"}, want: &cfgHTTP{}},
		{name: "flag streamable-http", args: []string{"--transport", "streamable-http"}, want: &cfgHTTP{}},
		{name: "env httpStream", env: map[string]string{"FASTMCP_TRANSPORT": "httpStream"}, want: &cfgHTTP{}},
		{name: "env stdio", env: map[string]string{"FASTMCP_TRANSPORT": "stdio"}},
		{name: "flag beats env (stdio over http)", args: []string{"--transport", "stdio"}, env: map[string]string{"FASTMCP_TRANSPORT": "http"}},
		{name: "flag beats env (http over stdio)", args: []string{"--transport", "http"}, env: map[string]string{"FASTMCP_TRANSPORT": "stdio"}, want: &cfgHTTP{}},
		{name: "all flags", args: []string{"--transport", "http", "--host", "0.0.0.0", "--port", "9000", "--endpoint", "/rpc",
			"--base-path", "/api", "--stateless", "--json-response"},
			want: &cfgHTTP{Host: "0.0.0.0", Port: 9000, Endpoint: "/rpc", BasePath: "/api", Stateless: true, JSONResponse: true}},
		{name: "all env", env: map[string]string{"FASTMCP_TRANSPORT": "http", "FASTMCP_HOST": "::1", "FASTMCP_PORT": "7000",
			"FASTMCP_ENDPOINT": "/x", "FASTMCP_BASE_PATH": "/b", "FASTMCP_STATELESS": "true", "FASTMCP_JSON_RESPONSE": "1"},
			want: &cfgHTTP{Host: "::1", Port: 7000, Endpoint: "/x", BasePath: "/b", Stateless: true, JSONResponse: true}},
		{name: "flags beat env field by field", args: []string{"--transport=http", "--port=9001"},
			env:  map[string]string{"FASTMCP_PORT": "7001", "FASTMCP_HOST": "10.0.0.1"},
			want: &cfgHTTP{Host: "10.0.0.1", Port: 9001}},
		{name: "explicit fields beat flags and env", args: []string{"--transport", "http", "--port", "9002", "--host", "0.0.0.0", "--stateless=false"},
			env:  map[string]string{"FASTMCP_PORT": "7002", "FASTMCP_ENDPOINT": "/env", "FASTMCP_STATELESS": "false"},
			http: fastmcp.HTTP{Port: 1234, Host: "127.0.0.2", Endpoint: "/mine", Stateless: true},
			want: &cfgHTTP{Host: "127.0.0.2", Port: 1234, Endpoint: "/mine", Stateless: true}},
		{name: "port 0 means a free port", args: []string{"--transport", "http", "--port", "0"}, want: &cfgHTTP{Port: -1}},
		{name: "env port 0 means a free port", env: map[string]string{"FASTMCP_TRANSPORT": "http", "FASTMCP_PORT": "0"}, want: &cfgHTTP{Port: -1}},
		{name: "boolean alone", args: []string{"--transport", "http", "--stateless"}, want: &cfgHTTP{Stateless: true}},
		{name: "boolean alone before another flag", args: []string{"--stateless", "--transport", "http"}, want: &cfgHTTP{Stateless: true}},
		{name: "boolean =false", args: []string{"--transport", "http", "--stateless=false"}, want: &cfgHTTP{}},
		{name: "boolean =true", args: []string{"--transport", "http", "--json-response=true"}, want: &cfgHTTP{JSONResponse: true}},
		{name: "boolean followed by false", args: []string{"--transport", "http", "--stateless", "false"}, want: &cfgHTTP{}},
		{name: "boolean followed by another flag's value", args: []string{"--transport", "http", "--stateless", "--port", "1"}, want: &cfgHTTP{Stateless: true, Port: 1}},
		{name: "boolean flag false beats env true", args: []string{"--transport", "http", "--stateless=false"},
			env: map[string]string{"FASTMCP_STATELESS": "true"}, want: &cfgHTTP{}},
		{name: "env boolean false", env: map[string]string{"FASTMCP_TRANSPORT": "http", "FASTMCP_STATELESS": "false"}, want: &cfgHTTP{}},
		{name: "arguments after -- are the program's", args: []string{"--transport", "http", "--", "--port", "1", "positional"}, want: &cfgHTTP{}},
		{name: "flags ignored for stdio", args: []string{"--port", "9000", "--stateless"}},

		{name: "unknown flag", args: []string{"--transport", "http", "--verbose"}, wantErr: "fastmcp: unknown flag --verbose"},
		{name: "unknown single-dash flag", args: []string{"-v"}, wantErr: "fastmcp: unknown flag -v"},
		{name: "unknown flag with a value", args: []string{"--config=x.json"}, wantErr: "fastmcp: unknown flag --config=x.json"},
		{name: "positional argument", args: []string{"serve", "--transport", "http"}, wantErr: `fastmcp: unexpected argument "serve"`},
		{name: "boolean followed by a non-boolean word", args: []string{"--transport", "http", "--stateless", "serve"}, wantErr: `unexpected argument "serve"`},
		{name: "flag without a value at the end", args: []string{"--transport", "http", "--port"},
			env: map[string]string{"FASTMCP_PORT": "7003"}, wantErr: "fastmcp: flag --port needs a value"},
		{name: "help", args: []string{"--transport", "http", "--help"}, wantErr: flag.ErrHelp.Error()},
		{name: "-h", args: []string{"-h"}, wantErr: flag.ErrHelp.Error()},
		{name: "-help", args: []string{"-help"}, wantErr: flag.ErrHelp.Error()},

		{name: "invalid transport flag", args: []string{"--transport", "carrier-pigeon"}, wantErr: "carrier-pigeon"},
		{name: "invalid transport env", env: map[string]string{"FASTMCP_TRANSPORT": "sse"}, wantErr: "sse"},
		{name: "invalid port", args: []string{"--transport", "http", "--port", "eighty"}, wantErr: "eighty"},
		{name: "port out of range", args: []string{"--transport", "http", "--port", "65536"}, wantErr: "65536"},
		{name: "negative port", args: []string{"--transport", "http", "--port=-5"}, wantErr: "-5"},
		{name: "invalid env port", env: map[string]string{"FASTMCP_TRANSPORT": "http", "FASTMCP_PORT": "80x"}, wantErr: "80x"},
		{name: "invalid boolean", args: []string{"--transport", "http", "--stateless=maybe"}, wantErr: "maybe"},
		{name: "invalid env boolean", env: map[string]string{"FASTMCP_TRANSPORT": "http", "FASTMCP_JSON_RESPONSE": "yes please"}, wantErr: "yes please"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if args == nil {
				args = []string{}
			}
			a := fastmcp.Auto{Args: args, HTTP: tc.http, Getenv: func(k string) string { return tc.env[k] }}
			tr, err := a.Resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve: %v, %v; want an error mentioning %q", tr, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			switch got := tr.(type) {
			case fastmcp.Stdio:
				if tc.want != nil {
					t.Fatalf("got stdio, want HTTP %+v", *tc.want)
				}
			case fastmcp.HTTP:
				if tc.want == nil {
					t.Fatalf("got HTTP %+v, want stdio", cfgOf(got))
				}
				if diff := testdiff.Diff(*tc.want, cfgOf(got)); diff != "" {
					t.Errorf("HTTP (-want +got):\n%s", diff)
				}
			default:
				t.Fatalf("Resolve returned %T", tr)
			}
		})
	}
}

func TestConfigAutoKeepsOtherFields(t *testing.T) {
	t.Parallel()
	base := fastmcp.HTTP{MaxSessions: 7, AllowedHosts: []string{"a.example.com"}, SessionIdleTimeout: time.Minute}
	tr, err := fastmcp.Auto{Args: []string{"--transport", "http"}, Getenv: func(string) string { return "" }, HTTP: base}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	h := tr.(fastmcp.HTTP)
	if h.MaxSessions != 7 || len(h.AllowedHosts) != 1 || h.SessionIdleTimeout != time.Minute {
		t.Errorf("fields Auto does not set were lost: %+v", h)
	}
	stdio := fastmcp.Stdio{MaxMessageSize: 1234}
	tr, err = fastmcp.Auto{Args: []string{}, Getenv: func(string) string { return "" }, Stdio: stdio}.Resolve()
	if err != nil || tr.(fastmcp.Stdio).MaxMessageSize != 1234 {
		t.Errorf("Stdio fields lost: %+v %v", tr, err)
	}
}

// Serving through Auto with --port 0 listens on a free port and serves MCP.
func TestConfigAutoServesHTTP(t *testing.T) {
	t.Parallel()
	s := htTestServer(t)
	addrc := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := fastmcp.Auto{
		Args:   []string{"--transport", "http", "--port", "0", "--host", "127.0.0.1", "--endpoint", "/rpc", "--stateless"},
		Getenv: func(string) string { return "" },
		HTTP:   fastmcp.HTTP{OnListen: func(a net.Addr) { addrc <- a }},
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, a) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	case <-time.After(testkit.Wait):
		t.Fatal("not listening")
	}
	if port := addr.(*net.TCPAddr).Port; port == 0 || port == fastmcp.DefaultHTTPPort {
		t.Errorf("listening on port %d, want a free one", port)
	}
	c := htNewClient(t, "http://"+addr.String()+"/rpc", "")
	if got, isErr := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 1}})); isErr || got != "2" {
		t.Errorf("add = %q", got)
	}
	// Stateless: GET is not served.
	resp := c.do(c.newRequest(http.MethodGet, nil))
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET in stateless mode: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("Serve did not return")
	}
}

// A bad configuration makes Serve fail at once.
func TestConfigAutoServeError(t *testing.T) {
	t.Parallel()
	err := htTestServer(t).Serve(testkit.Context(t), fastmcp.Auto{Args: []string{"--transport", "smoke-signals"}, Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "smoke-signals") {
		t.Errorf("Serve: %v", err)
	}
}

// A program with flags of its own defines Auto's on its flag set: one parse
// reads them all, -help lists them all, an unknown flag is the flag set's
// error, and the environment still fills what the command line left out.
func TestConfigAutoRegisterFlags(t *testing.T) {
	t.Parallel()
	newSet := func() (*flag.FlagSet, *fastmcp.Auto, *string, *strings.Builder) {
		var out strings.Builder
		fs := flag.NewFlagSet("server", flag.ContinueOnError)
		fs.SetOutput(&out)
		a := &fastmcp.Auto{Getenv: func(k string) string { return map[string]string{"FASTMCP_HOST": "10.0.0.2"}[k] }}
		a.RegisterFlags(fs)
		keys := fs.String("keys", "", "key file")
		return fs, a, keys, &out
	}

	fs, a, keys, _ := newSet()
	if err := fs.Parse([]string{"--keys", "k.json", "--transport", "http", "--port=9005", "--stateless"}); err != nil {
		t.Fatal(err)
	}
	tr, err := a.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	h, ok := tr.(fastmcp.HTTP)
	if want := (cfgHTTP{Host: "10.0.0.2", Port: 9005, Stateless: true}); !ok || cfgOf(h) != want || *keys != "k.json" {
		t.Errorf("Resolve = %#v, keys %q; want HTTP %+v and keys k.json", tr, *keys, want)
	}

	fs, _, _, out := newSet()
	if err := fs.Parse([]string{"-help"}); err != flag.ErrHelp {
		t.Errorf("-help: %v", err)
	}
	for _, want := range []string{"-transport name", "FASTMCP_TRANSPORT", "-port n", "-stateless", "-json-response", "-keys"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}

	fs, _, _, _ = newSet()
	if err := fs.Parse([]string{"--transprot", "http"}); err == nil || !strings.Contains(err.Error(), "transprot") {
		t.Errorf("misspelt flag: %v", err)
	}

	// Nothing given: stdio, and os.Args (the test binary's flags) is not
	// read.
	fs, a, _, _ = newSet()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if tr, err := a.Resolve(); err != nil || tr == nil {
		t.Errorf("Resolve = %v, %v", tr, err)
	} else if _, ok := tr.(fastmcp.Stdio); !ok {
		t.Errorf("Resolve = %T, want Stdio", tr)
	}
}

// The examples read their command line as Auto does: -h prints the flags
// and exits 0, an unknown flag or argument exits 2 with the usage, and
// --transport http serves HTTP (the quickstart used to serve stdio whatever
// the command line said).
func TestConfigAutoCommandLine(t *testing.T) {
	skipUnlessUnix(t)
	bins := exampleBinaries(t)
	t.Parallel()
	for _, tc := range []struct {
		bin    string
		args   []string
		code   int
		stderr []string
	}{
		{bins.quickstart, []string{"--help"}, 0, []string{"Usage: quickstart [flags]", "--transport name", "FASTMCP_TRANSPORT", "--json-response"}},
		{bins.everything, []string{"-h"}, 0, []string{"Usage: everything [flags]", "--port n"}},
		{bins.everything, []string{"--bogus"}, 2, []string{"fastmcp: unknown flag --bogus", "Usage: everything [flags]"}},
		{bins.quickstart, []string{"--transport", "http", "extra"}, 2, []string{`fastmcp: unexpected argument "extra"`, "Usage:"}},
	} {
		cmd := exec.Command(tc.bin, tc.args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Stdin = strings.NewReader("") // were it to serve stdio, it would end at once
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(tc.bin) + " " + strings.Join(tc.args, " ")
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\nstderr: %s", name, code, tc.code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote to stdout: %q", name, stdout.String())
		}
		for _, want := range tc.stderr {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s: stderr lacks %q:\n%s", name, want, stderr.String())
			}
		}
	}

	// The quickstart honours --transport http.
	cmd := exec.Command(bins.quickstart, "--transport", "http", "--port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	url := ""
	for url == "" && sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), "url="); ok && strings.Contains(sc.Text(), "serving MCP over HTTP") {
			url = u
		}
	}
	if url == "" {
		t.Fatal("the quickstart did not serve HTTP")
	}
	go io.Copy(io.Discard, stderr)
	c := htNewClient(t, url, "")
	c.initialize()
	if got, _ := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 2, "b": 3}})); got != "5" {
		t.Errorf("add over HTTP = %q", got)
	}
}
