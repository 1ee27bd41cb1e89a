package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// addServer is the benchmark's upstream: the add tool of the project's
// benchmarks, served over Streamable HTTP on loopback.
func addServer() *fastmcp.Server {
	s := fastmcp.New(fastmcp.Options{Name: "add", Version: "1.0.0"})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args struct {
			A float64 `json:"a"`
			B float64 `json:"b"`
		}) (string, error) {
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

// call calls add(a, 1) and checks the sum.
func (c *rawClient) call(a int) error {
	c.id++
	resp, err := c.post(`{"jsonrpc":"2.0","id":` + strconv.Itoa(c.id) + `,"method":"tools/call","params":{"name":"add","arguments":{"a":` + strconv.Itoa(a) + `,"b":1}}}`)
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

// BenchmarkToolCall measures tools/call add directly against the upstream
// and through a proxy of it, in the same run, with a lean client (plain
// HTTP) and with the official Go SDK client. After the warm-up, the upstream
// must see no initialize: the proxy reuses its session.
func BenchmarkToolCall(b *testing.B) {
	up := serveUpstream(b, addServer(), fastmcp.HTTP{})
	p := newProxy(b, proxy.Options{Upstream: proxy.Upstream{URL: up.url}})
	proxied := serveProxy(b, p.Server(), fastmcp.HTTP{})

	for _, target := range []struct{ name, url string }{{"direct", up.url}, {"proxy", proxied}} {
		b.Run("client=raw/"+target.name, func(b *testing.B) {
			c := newRawClient(b, target.url)
			for i := range 200 { // warm-up
				if err := c.call(i); err != nil {
					b.Fatal(err)
				}
			}
			before := up.sessions.Load()
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				if err := c.call(i); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			lat.report(b)
			if n := up.sessions.Load() - before; target.name == "proxy" && n != 0 {
				b.Fatalf("the upstream saw %d initialize requests after the warm-up", n)
			}
			b.ReportMetric(float64(up.sessions.Load()-before), "upstream-inits")
		})
		b.Run("client=gosdk/"+target.name, func(b *testing.B) {
			cs := connect(b, target.url, "", nil)
			ctx := context.Background()
			params := &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": 1, "b": 2}}
			for range 200 {
				if _, err := cs.CallTool(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
			before := up.sessions.Load()
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				res, err := cs.CallTool(ctx, params)
				if err != nil || res.IsError {
					b.Fatal(err, res)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			lat.report(b)
			if n := up.sessions.Load() - before; target.name == "proxy" && n != 0 {
				b.Fatalf("the upstream saw %d initialize requests after the warm-up", n)
			}
			b.ReportMetric(float64(up.sessions.Load()-before), "upstream-inits")
		})
	}
}
