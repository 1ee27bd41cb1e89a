package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// addServer is the benchmark's upstream: the add tool of the project's
// benchmarks, and the same tool taking a millisecond of work (a tool that
// does something), served over Streamable HTTP on loopback.
func addServer() *fastmcp.Server {
	s := fastmcp.New(fastmcp.Options{Name: "add", Version: "1.0.0", Logger: quietLogger()})
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args addArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add_1ms", Description: "Add two numbers, in a millisecond"},
		func(ctx *fastmcp.Context, args addArgs) (string, error) {
			time.Sleep(time.Millisecond) // the tool's work
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})
	return s
}

// rawClient speaks Streamable HTTP with plain net/http, as the project's
// load generator does, so that the client's own cost is small next to the
// servers'.
type rawClient struct {
	url, session string
	hc           *http.Client
	id           int
}

func newRawClient(tb testing.TB, url string) *rawClient {
	tb.Helper()
	c := &rawClient{url: url, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	resp, err := c.post(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	if err != nil {
		tb.Fatal(err)
	}
	c.session = resp.Header.Get("Mcp-Session-Id")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

func (c *rawClient) post(body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader([]byte(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return resp, nil
}

// call calls tool(a, 1) and checks the sum.
func (c *rawClient) call(tool string, a int) error {
	c.id++
	resp, err := c.post(`{"jsonrpc":"2.0","id":` + strconv.Itoa(c.id) + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"a":` + strconv.Itoa(a) + `,"b":1}}}`)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var msg struct {
		Result struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			IsError bool `json:"isError"`
		} `json:"result"`
		Error *struct{ Message string } `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
		return err
	}
	if msg.Error != nil || msg.Result.IsError || len(msg.Result.Content) != 1 || msg.Result.Content[0].Text != strconv.Itoa(a+1) {
		return fmt.Errorf("unexpected answer %+v", msg)
	}
	return nil
}

// latencies records call latencies and reports their percentiles.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) float64 { return float64(s[int(p*float64(len(s)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkToolCall measures tools/call directly against the upstream and
// through a proxy of it, in the same run, one call at a time: with a lean
// client (plain HTTP, whose own cost is small, so the ratio shows the
// servers' work) and with the official Go SDK client (what a Go program would
// use); for add, which costs nothing, and for add_1ms, a tool with work to do.
// The proxy speaks the upstream's default revision (2026-07-28 for a FastMCP
// upstream) and, in the handshake era, 2025-11-25. After the warm-up the
// upstream must see no initialize: the proxy reuses its session.
//
// The floor of any proxy is the extra loopback HTTP hop itself: "hop" is a
// plain reverse proxy (net/http/httputil, which understands nothing of MCP)
// in front of the same upstream, measured in the same run.
func BenchmarkToolCall(b *testing.B) {
	up := serveUpstream(b, addServer(), fastmcp.HTTP{})
	targets := []struct{ name, url string }{{"direct", up.url}, {"hop", serveHop(b, up.url)}}
	for _, v := range []struct{ name, version string }{{"proxy", ""}, {"proxy-handshake", "2025-11-25"}} {
		p := newProxy(b, proxy.Options{Upstream: proxy.Upstream{URL: up.url, ProtocolVersion: v.version}, Logger: quietLogger()})
		targets = append(targets, struct{ name, url string }{v.name, serveProxy(b, p.Server(), fastmcp.HTTP{})})
	}
	for _, tool := range []string{"add", "add_1ms"} {
		for _, target := range targets {
			b.Run("tool="+tool+"/client=raw/"+target.name, func(b *testing.B) {
				c := newRawClient(b, target.url)
				measure(b, up, target.name, func(i int) error { return c.call(tool, i) })
			})
			b.Run("tool="+tool+"/client=gosdk/"+target.name, func(b *testing.B) {
				cs := connect(b, target.url, "", nil)
				ctx := context.Background()
				params := &mcp.CallToolParams{Name: tool, Arguments: map[string]any{"a": 1, "b": 2}}
				measure(b, up, target.name, func(int) error {
					res, err := cs.CallTool(ctx, params)
					if err == nil && res.IsError {
						err = fmt.Errorf("tool error: %+v", res.Content)
					}
					return err
				})
			})
		}
	}
}

// serveHop serves a plain reverse proxy of the upstream at target on
// loopback and returns its URL: the same path, streamed answers flushed at
// once, idle connections kept as the proxy keeps them.
func serveHop(b *testing.B, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		b.Fatal(err)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = u.Scheme, u.Host, u.Host
		},
		Transport:     t,
		FlushInterval: -1,
	}
	hs := httptest.NewServer(rp)
	b.Cleanup(func() {
		hs.Close()
		t.CloseIdleConnections()
	})
	return hs.URL + u.Path
}

// measure warms call up, then runs it b.N times, reporting the latency
// percentiles, the CPU time the process spent per call (client, upstream and
// whatever sits between them), and the upstream sessions opened meanwhile.
func measure(b *testing.B, up *upstream, target string, call func(int) error) {
	for i := range 200 {
		if err := call(i); err != nil {
			b.Fatal(err)
		}
	}
	before := up.sessions.Load()
	lat := make(latencies, 0, b.N)
	cpu := processCPU()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if err := call(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if cpu > 0 {
		// The whole process's: client, upstream, and proxy or hop.
		b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	lat.report(b)
	n := up.sessions.Load() - before
	if target != "direct" && target != "hop" && n != 0 {
		b.Fatalf("the upstream saw %d initialize requests after the warm-up", n)
	}
	b.ReportMetric(float64(n), "upstream-inits")
}
