package fastmcp_test

// Tests of server-to-client requests: sampling (answered, refused, timed
// out, cancelled, progress, capability missing), roots (after initialized,
// on list_changed, disabled, on demand), and stateless mode, over stdio
// in-process, the Go SDK client (stdio and HTTP) and a raw HTTP client.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// smClient is an in-process client whose answers to server requests the
// test scripts. Requests are recorded; the client is reachable from the
// answer function (to send progress).
type smClient struct {
	*fastmcptest.Client
	mu     sync.Mutex
	reqs   []smReq
	ids    map[string][]string // request ids seen on the wire, by method
	answer func(c *smClient, method string, params json.RawMessage) (any, error)
}

type smReq struct {
	Method string
	Params json.RawMessage
}

// smConnect connects a scripted client with the capabilities.
func smConnect(t testing.TB, s *fastmcp.Server, caps fastmcp.ClientCapabilities, answer func(c *smClient, method string, params json.RawMessage) (any, error)) *smClient {
	sc := &smClient{answer: answer, ids: map[string][]string{}}
	var ready sync.WaitGroup
	ready.Add(1)
	sc.Client = testkit.Connect(t, s, &fastmcptest.Options{
		Capabilities: caps,
		OnReceive: func(raw []byte) {
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if json.Unmarshal(raw, &m) == nil && m.Method != "" && len(m.ID) > 0 {
				sc.mu.Lock()
				sc.ids[m.Method] = append(sc.ids[m.Method], string(m.ID))
				sc.mu.Unlock()
			}
		},
		OnRequest: func(_ context.Context, method string, params json.RawMessage) (any, error) {
			ready.Wait() // sc.Client is set
			sc.mu.Lock()
			sc.reqs = append(sc.reqs, smReq{method, params})
			sc.mu.Unlock()
			if sc.answer == nil {
				return nil, &fastmcp.Error{Code: fastmcp.CodeMethodNotFound, Message: "Method not found"}
			}
			return sc.answer(sc, method, params)
		},
	})
	ready.Done()
	return sc
}

// requests returns the server requests received with the method.
func (c *smClient) requests(method string) []smReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []smReq
	for _, r := range c.reqs {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// smSamplingCaps declares sampling.
var smSamplingCaps = fastmcp.ClientCapabilities{Sampling: &fastmcp.SamplingCapability{}}

// smEcho answers sampling with "echo: <first message text>".
func smEcho(_ *smClient, method string, params json.RawMessage) (any, error) {
	if method != "sampling/createMessage" {
		return nil, &fastmcp.Error{Code: fastmcp.CodeMethodNotFound, Message: method}
	}
	var p struct {
		Messages []struct {
			Content struct{ Text string } `json:"content"`
		} `json:"messages"`
	}
	json.Unmarshal(params, &p)
	return map[string]any{"role": "assistant", "content": map[string]any{"type": "text", "text": "echo: " + p.Messages[0].Content.Text},
		"model": "test-model", "stopReason": "endTurn"}, nil
}

// smSampleArgs drive the sample tool.
type smSampleArgs struct {
	Prompt    string `json:"prompt"`
	TimeoutMs int    `json:"timeoutMs,omitempty"`
	MaxMs     int    `json:"maxMs,omitempty"`
	Reset     bool   `json:"reset,omitempty"`
	Progress  bool   `json:"progress,omitempty"`
	// Session sends through Session.RequestSampling (with options) rather
	// than Context.Sample.
	Session bool `json:"session,omitempty"`
}

// smSampleResult is what the sample tool reports.
type smSampleResult struct {
	Text       string    `json:"text,omitempty"`
	Model      string    `json:"model,omitempty"`
	StopReason string    `json:"stopReason,omitempty"`
	Err        string    `json:"err,omitempty"`
	IsTimeout  bool      `json:"isTimeout,omitempty"`
	IsCap      bool      `json:"isCap,omitempty"`
	IsNoSess   bool      `json:"isNoSession,omitempty"`
	Code       int64     `json:"code,omitempty"`
	Progress   []float64 `json:"progress,omitempty"`
	ElapsedMs  int64     `json:"elapsedMs"`
}

// smAddSample registers the tool "sample".
func smAddSample(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample"}, func(ctx *fastmcp.Context, a smSampleArgs) (smSampleResult, error) {
		p := &fastmcp.CreateMessageParams{
			Messages:         []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text(a.Prompt)}},
			SystemPrompt:     "be brief",
			MaxTokens:        64,
			ModelPreferences: &fastmcp.ModelPreferences{Hints: []fastmcp.ModelHint{{Name: "claude"}}},
		}
		var out smSampleResult
		var mu sync.Mutex
		opts := &fastmcp.RequestOptions{
			Timeout:                time.Duration(a.TimeoutMs) * time.Millisecond,
			MaxTotalTimeout:        time.Duration(a.MaxMs) * time.Millisecond,
			ResetTimeoutOnProgress: a.Reset,
		}
		if a.Progress {
			opts.OnProgress = func(p fastmcp.Progress) {
				mu.Lock()
				out.Progress = append(out.Progress, p.Progress)
				mu.Unlock()
			}
		}
		start := time.Now()
		var res *fastmcp.CreateMessageResult
		var err error
		if a.Session {
			res, err = ctx.Session().RequestSampling(ctx, p, opts)
		} else {
			res, err = ctx.Sample(p)
		}
		out.ElapsedMs = time.Since(start).Milliseconds()
		if err != nil {
			out.Err = err.Error()
			out.IsTimeout = errors.Is(err, fastmcp.ErrRequestTimeout)
			out.IsCap = errors.Is(err, fastmcp.ErrCapability)
			out.IsNoSess = errors.Is(err, fastmcp.ErrNoSession)
			out.Code = int64(fastmcp.ErrorCodeOf(err))
			return out, nil
		}
		if tc, ok := res.Content.(*fastmcp.TextContent); ok {
			out.Text = tc.Text
		}
		out.Model, out.StopReason = res.Model, res.StopReason
		return out, nil
	})
}

// smSample calls the sample tool in-process.
func smSample(t testing.TB, c *smClient, args smSampleArgs) smSampleResult {
	t.Helper()
	var out smSampleResult
	if err := json.Unmarshal([]byte(testkit.CallText(t, c.Client, "sample", args, false)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSamplingAnswered(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	smAddSample(s)
	c := smConnect(t, s, smSamplingCaps, smEcho)
	for _, viaSession := range []bool{false, true} {
		got := smSample(t, c, smSampleArgs{Prompt: "hi", Session: viaSession})
		if got.Text != "echo: hi" || got.Model != "test-model" || got.StopReason != "endTurn" || got.Err != "" {
			t.Errorf("sampling (session %v): %+v", viaSession, got)
		}
	}
	reqs := c.requests("sampling/createMessage")
	if len(reqs) != 2 {
		t.Fatalf("%d sampling requests, want 2", len(reqs))
	}
	var p map[string]any
	json.Unmarshal(reqs[0].Params, &p)
	want := map[string]any{
		"messages":         []any{map[string]any{"role": "user", "content": map[string]any{"type": "text", "text": "hi"}}},
		"systemPrompt":     "be brief",
		"maxTokens":        64.0,
		"modelPreferences": map[string]any{"hints": []any{map[string]any{"name": "claude"}}},
	}
	if diff := testdiff.Diff(want, p); diff != "" {
		t.Errorf("sampling params (-want +got):\n%s", diff)
	}
}

// Sampling from outside any request: Session.RequestSampling on the
// session's own channel.
func TestSamplingFromOutsideARequest(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	smConnect(t, s, smSamplingCaps, smEcho)
	sess := rec.WaitConnected(t, 1)
	res, err := sess.RequestSampling(testkit.Context(t), &fastmcp.CreateMessageParams{
		Messages: []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("background")}}, MaxTokens: 5,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc, ok := res.Content.(*fastmcp.TextContent); !ok || tc.Text != "echo: background" || res.Role != fastmcp.RoleAssistant {
		t.Errorf("result %+v", res)
	}
}

func TestSamplingRefused(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	smAddSample(s)
	c := smConnect(t, s, smSamplingCaps, func(*smClient, string, json.RawMessage) (any, error) {
		return nil, &fastmcp.Error{Code: -1, Message: "User rejected sampling request"}
	})
	got := smSample(t, c, smSampleArgs{Prompt: "hi"})
	if got.Code != -1 || !strings.Contains(got.Err, "User rejected sampling request") || got.IsTimeout {
		t.Errorf("refused sampling: %+v", got)
	}
}

func TestSamplingTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	never := func(*smClient, string, json.RawMessage) (any, error) {
		<-release
		return nil, errors.New("too late")
	}
	t.Run("RequestOptions.Timeout", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		c := smConnect(t, s, smSamplingCaps, never)
		got := smSample(t, c, smSampleArgs{Prompt: "hi", Session: true, TimeoutMs: 100})
		if !got.IsTimeout || got.ElapsedMs < 100 || got.ElapsedMs > 5000 {
			t.Errorf("timed-out sampling: %+v", got)
		}
		smCheckCancelled(t, c, "timed out")
	})
	t.Run("Options.RequestTimeout", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{RequestTimeout: 100 * time.Millisecond})
		smAddSample(s)
		c := smConnect(t, s, smSamplingCaps, never)
		got := smSample(t, c, smSampleArgs{Prompt: "hi"})
		if !got.IsTimeout || got.ElapsedMs < 100 || got.ElapsedMs > 5000 {
			t.Errorf("timed-out sampling: %+v", got)
		}
		smCheckCancelled(t, c, "timed out")
	})
}

// smCheckCancelled checks that the client received notifications/cancelled
// for its one sampling request, with a reason containing why.
func smCheckCancelled(t testing.TB, c *smClient, why string) {
	t.Helper()
	n, err := c.WaitNotification(testkit.Context(t), "notifications/cancelled", 1)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		RequestID json.RawMessage `json:"requestId"`
		Reason    string          `json:"reason"`
	}
	json.Unmarshal(n.Params, &p)
	c.mu.Lock()
	ids := c.ids["sampling/createMessage"]
	c.mu.Unlock()
	if len(ids) != 1 {
		t.Fatalf("%d sampling requests on the wire, want 1", len(ids))
	}
	if string(p.RequestID) != ids[0] || !strings.Contains(p.Reason, why) {
		t.Errorf("notifications/cancelled %s, want requestId %s and a reason saying %q", n.Params, ids[0], why)
	}
}

// The handler's context ending (the client cancels the tool call) cancels
// the sampling request it is waiting for.
func TestSamplingCancelledWithHandlerContext(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	handlerErr := make(chan error, 1)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		_, err := ctx.Sample(&fastmcp.CreateMessageParams{Messages: []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("?")}}, MaxTokens: 1})
		handlerErr <- err
		return "", err
	})
	asked := make(chan struct{}, 1)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c := smConnect(t, s, smSamplingCaps, func(*smClient, string, json.RawMessage) (any, error) {
		asked <- struct{}{}
		<-release
		return nil, errors.New("too late")
	})
	ctx, cancel := context.WithCancel(testkit.Context(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.CallTool(ctx, "ask", nil)
		done <- err
	}()
	<-asked
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("client call: %v", err)
	}
	select {
	case err := <-handlerErr:
		if err == nil || errors.Is(err, fastmcp.ErrRequestTimeout) {
			t.Errorf("Sample in a cancelled handler returned %v, want a cancellation error", err)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("Sample did not return when the handler's context ended")
	}
	smCheckCancelled(t, c, "cancel")

	// A caller's own deadline ends the wait with its error.
	rec := testkit.Record(s)
	c2 := smConnect(t, s, smSamplingCaps, func(*smClient, string, json.RawMessage) (any, error) {
		<-release
		return nil, errors.New("too late")
	})
	sess := rec.WaitConnected(t, 1)
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	_, err := sess.RequestSampling(dctx, &fastmcp.CreateMessageParams{Messages: []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("?")}}}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RequestSampling past its context's deadline: %v, want DeadlineExceeded", err)
	}
	smCheckCancelled(t, c2, "cancel")
}

// smProgressing answers sampling after sending n progress notifications
// every gap.
func smProgressing(n int, gap time.Duration) func(*smClient, string, json.RawMessage) (any, error) {
	return func(c *smClient, method string, params json.RawMessage) (any, error) {
		var p struct {
			Meta struct {
				ProgressToken json.RawMessage `json:"progressToken"`
			} `json:"_meta"`
		}
		json.Unmarshal(params, &p)
		if len(p.Meta.ProgressToken) == 0 {
			return nil, errors.New("no progress token in the request")
		}
		for i := 1; i <= n; i++ {
			time.Sleep(gap) // the client's pace
			if err := c.Notify("notifications/progress", map[string]any{"progressToken": p.Meta.ProgressToken, "progress": i, "total": n}); err != nil {
				return nil, err
			}
		}
		return smEcho(c, method, params)
	}
}

func TestSamplingProgress(t *testing.T) {
	t.Parallel()
	t.Run("progress callback", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		c := smConnect(t, s, smSamplingCaps, smProgressing(4, 0))
		got := smSample(t, c, smSampleArgs{Prompt: "p", Session: true, Progress: true})
		if got.Text != "echo: p" {
			t.Fatalf("%+v", got)
		}
		// Progress sent before the answer arrives first on the same
		// stream, but the callback runs on the waiting goroutine, which
		// may see the response first: what it saw must be in order.
		for i, p := range got.Progress {
			if p != float64(i+1) {
				t.Errorf("progress callback saw %v, want 1, 2, ... in order", got.Progress)
				break
			}
		}
		var p struct {
			Meta map[string]any `json:"_meta"`
		}
		json.Unmarshal(c.requests("sampling/createMessage")[0].Params, &p)
		if p.Meta["progressToken"] == nil {
			t.Errorf("no progress token in %s", c.requests("sampling/createMessage")[0].Params)
		}
	})
	t.Run("ResetTimeoutOnProgress keeps a reporting client alive", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		// 6 reports 100ms apart: 600ms in all, past the 400ms timeout.
		c := smConnect(t, s, smSamplingCaps, smProgressing(6, 100*time.Millisecond))
		got := smSample(t, c, smSampleArgs{Prompt: "slow", Session: true, Progress: true, Reset: true, TimeoutMs: 400})
		if got.Err != "" || got.Text != "echo: slow" {
			t.Errorf("sampling with progress resets: %+v", got)
		}
		if got.ElapsedMs < 500 {
			t.Errorf("answered after %dms; the client paced 600ms", got.ElapsedMs)
		}
		if len(got.Progress) < 5 {
			t.Errorf("progress callback saw %v", got.Progress)
		}
	})
	t.Run("without ResetTimeoutOnProgress the timeout holds", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		// The same client (answering after 600ms) against a 200ms timeout.
		c := smConnect(t, s, smSamplingCaps, smProgressing(6, 100*time.Millisecond))
		got := smSample(t, c, smSampleArgs{Prompt: "slow", Session: true, Progress: true, TimeoutMs: 200})
		if !got.IsTimeout || got.ElapsedMs < 200 || strings.Contains(got.Err, "maximum total") {
			t.Errorf("sampling without resets: %+v, want a timeout after 200ms", got)
		}
	})
	t.Run("MaxTotalTimeout bounds the resets", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		// Reports every 30ms for 1.2s; each resets the 300ms timeout, but
		// the total is capped at 500ms.
		c := smConnect(t, s, smSamplingCaps, smProgressing(40, 30*time.Millisecond))
		got := smSample(t, c, smSampleArgs{Prompt: "forever", Session: true, Progress: true, Reset: true, TimeoutMs: 300, MaxMs: 500})
		if !got.IsTimeout || !strings.Contains(got.Err, "maximum total") || got.ElapsedMs < 500 || got.ElapsedMs > 1150 {
			t.Errorf("sampling past MaxTotalTimeout: %+v", got)
		}
		if len(got.Progress) < 3 {
			t.Errorf("progress callback saw %v before the maximum", got.Progress)
		}
		smCheckCancelled(t, c, "timed out")
	})
}

func TestSamplingCapabilityMissing(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	smAddSample(s)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "others"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]bool, error) {
		_, errE := ctx.Elicit(&fastmcp.ElicitParams{Message: "?", RequestedSchema: map[string]any{"type": "object"}})
		_, errR := ctx.Roots()
		_, errF := fastmcp.ElicitForm[struct {
			OK bool `json:"ok"`
		}](ctx, "?")
		_, errL := ctx.Session().ListRoots(ctx, nil)
		return map[string]bool{
			"elicit": errors.Is(errE, fastmcp.ErrCapability), "roots": errors.Is(errR, fastmcp.ErrCapability),
			"form": errors.Is(errF, fastmcp.ErrCapability), "listRoots": errors.Is(errL, fastmcp.ErrCapability),
		}, nil
	})
	c := smConnect(t, s, fastmcp.ClientCapabilities{}, smEcho)
	for _, viaSession := range []bool{false, true} {
		got := smSample(t, c, smSampleArgs{Prompt: "hi", Session: viaSession})
		if !got.IsCap || got.ElapsedMs > 1000 || !strings.Contains(got.Err, "sampling") {
			t.Errorf("sampling without the capability (session %v): %+v", viaSession, got)
		}
	}
	var others map[string]bool
	json.Unmarshal([]byte(testkit.CallText(t, c.Client, "others", nil, false)), &others)
	if diff := testdiff.Diff(map[string]bool{"elicit": true, "roots": true, "form": true, "listRoots": true}, others); diff != "" {
		t.Errorf("ErrCapability (-want +got):\n%s", diff)
	}
	if err := c.Ping(testkit.Context(t)); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	n := len(c.reqs)
	c.mu.Unlock()
	if n != 0 {
		t.Errorf("the client received %d requests it has no capability for", n)
	}
}

// ---------------------------------------------------------------------------
// The Go SDK client answering sampling

// Over HTTP the sampling request goes out on the tool call's own SSE stream;
// on timeout, notifications/cancelled follows on the same stream.
func TestSamplingHTTPTimeoutAndRefusalRaw(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{RequestTimeout: 150 * time.Millisecond})
	smAddSample(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var mode atomic.Value
	mode.Store("hang")
	c := ssNewRaw(t, nil, srv.Endpoint)
	c.OnRequest = func(method string, params json.RawMessage) (any, error) {
		if mode.Load() == "refuse" {
			return nil, &fastmcp.Error{Code: -1, Message: "no thanks"}
		}
		<-release
		return nil, errors.New("late")
	}
	c.initialize(smSamplingCaps)
	var got smSampleResult
	txt, _ := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "sample", "arguments": map[string]any{"prompt": "x"}}))
	json.Unmarshal([]byte(txt), &got)
	if !got.IsTimeout {
		t.Errorf("sampling over HTTP with no answer: %+v", got)
	}
	reqs := c.requests()
	cancelled := c.notifications("notifications/cancelled")
	if len(reqs) != 1 || len(cancelled) != 1 {
		t.Fatalf("requests %v, cancellations %v", reqs, cancelled)
	}
	var p struct {
		RequestID json.RawMessage `json:"requestId"`
	}
	json.Unmarshal(cancelled[0].Params, &p)
	if string(p.RequestID) != string(reqs[0].ID) {
		t.Errorf("cancelled request %s, the sampling request was %s", p.RequestID, reqs[0].ID)
	}
	mode.Store("refuse")
	txt, _ = testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "sample", "arguments": map[string]any{"prompt": "x"}}))
	got = smSampleResult{}
	json.Unmarshal([]byte(txt), &got)
	if got.Code != -1 || !strings.Contains(got.Err, "no thanks") {
		t.Errorf("refused sampling over HTTP: %+v", got)
	}
}

// ---------------------------------------------------------------------------
// Roots

func TestRootsAfterInitializedAndOnChange(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	var roots atomic.Pointer[[]fastmcp.Root]
	roots.Store(&[]fastmcp.Root{{URI: "file:///one", Name: "one"}})
	c := smConnect(t, s, fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{ListChanged: true}},
		func(_ *smClient, method string, _ json.RawMessage) (any, error) {
			return fastmcp.ListRootsResult{Roots: *roots.Load()}, nil
		})
	sess := rec.WaitConnected(t, 1)
	ready := rec.Wait(t, sess.ID(), "ready")
	if diff := testdiff.Diff(*roots.Load(), ready.Roots); diff != "" {
		t.Errorf("roots seen by OnReady (-want +got):\n%s", diff)
	}
	if n := len(c.requests("roots/list")); n != 1 {
		t.Errorf("%d roots/list requests after the handshake, want 1", n)
	}
	two := []fastmcp.Root{{URI: "file:///one", Name: "one"}, {URI: "file:///two"}}
	roots.Store(&two)
	c.Notify("notifications/roots/list_changed", nil)
	ev := rec.Wait(t, sess.ID(), "rootsChanged")
	if diff := testdiff.Diff(two, ev.Roots); diff != "" {
		t.Errorf("OnRootsChanged (-want +got):\n%s", diff)
	}
	if diff := testdiff.Diff(two, sess.Roots()); diff != "" {
		t.Errorf("Session.Roots after the change (-want +got):\n%s", diff)
	}
	if n := len(c.requests("roots/list")); n != 2 {
		t.Errorf("%d roots/list requests after a change, want 2", n)
	}
}

func TestRootsWithoutCapabilityOrDisabled(t *testing.T) {
	t.Parallel()
	fastmcpRoots := func(s *fastmcp.Server) {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "roots"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) ([]fastmcp.Root, error) {
			return ctx.Roots()
		})
	}
	answer := func(_ *smClient, method string, _ json.RawMessage) (any, error) {
		return fastmcp.ListRootsResult{Roots: []fastmcp.Root{{URI: "file:///r"}}}, nil
	}
	t.Run("no capability", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		rec := testkit.Record(s)
		c := smConnect(t, s, fastmcp.ClientCapabilities{}, answer)
		sess := rec.WaitConnected(t, 1)
		rec.Wait(t, sess.ID(), "ready")
		c.Notify("notifications/roots/list_changed", nil)
		c.Ping(testkit.Context(t))
		if sess.Roots() != nil || len(c.requests("roots/list")) != 0 {
			t.Errorf("roots %v, %d requests from a client without the capability", sess.Roots(), len(c.requests("roots/list")))
		}
	})
	t.Run("DisableRoots", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{DisableRoots: true})
		fastmcpRoots(s)
		rec := testkit.Record(s)
		c := smConnect(t, s, fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{ListChanged: true}}, answer)
		sess := rec.WaitConnected(t, 1)
		ready := rec.Wait(t, sess.ID(), "ready")
		c.Notify("notifications/roots/list_changed", nil)
		if err := c.Ping(testkit.Context(t)); err != nil {
			t.Fatal(err)
		}
		if ready.Roots != nil || sess.Roots() != nil || len(c.requests("roots/list")) != 0 {
			t.Errorf("with DisableRoots: ready roots %v, Session.Roots %v, %d requests", ready.Roots, sess.Roots(), len(c.requests("roots/list")))
		}
		// Context.Roots still asks on demand.
		var wrapped struct{ Result []fastmcp.Root }
		json.Unmarshal([]byte(testkit.CallText(t, c.Client, "roots", nil, false)), &wrapped)
		got := wrapped.Result
		if len(got) != 1 || got[0].URI != "file:///r" || len(c.requests("roots/list")) != 1 {
			t.Errorf("Context.Roots with DisableRoots: %v (%d requests)", got, len(c.requests("roots/list")))
		}
		// A change is not fetched and fires no event.
		c.Notify("notifications/roots/list_changed", nil)
		c.Close()
		rec.Wait(t, sess.ID(), "disconnect")
		for _, e := range rec.Events(sess.ID()) {
			if e.Kind == "rootsChanged" {
				t.Error("rootsChanged fired with DisableRoots")
			}
		}
	})
}

// A Streamable HTTP client may send notifications/initialized before it
// opens its GET stream (the TypeScript SDK does): the server has no channel
// for roots/list at that moment. The roots must still be fetched once the
// client can be reached.
func TestRootsHTTPInitializedBeforeGETStream(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := ssNewRaw(t, nil, srv.Endpoint)
	c.OnRequest = func(method string, _ json.RawMessage) (any, error) {
		return fastmcp.ListRootsResult{Roots: []fastmcp.Root{{URI: "file:///ts"}}}, nil
	}
	c.initialize(fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{ListChanged: true}}) // sends initialized
	c.openGET()
	sess := rec.WaitConnected(t, 1)
	ready := rec.Wait(t, sess.ID(), "ready")
	if len(ready.Roots) == 0 {
		if rec.RootsMissedForNoChannel(sess, ready) {
			t.Error(testkit.RootsBug)
		}
		t.Errorf("no roots at ready, and no session error says why")
	}
}

// ---------------------------------------------------------------------------
// Stateless mode

func TestStatelessSessionFeaturesFailAtOnce(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "probe"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		start := time.Now()
		_, errS := ctx.Sample(&fastmcp.CreateMessageParams{Messages: []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("?")}}})
		_, errE := ctx.Elicit(&fastmcp.ElicitParams{Message: "?", RequestedSchema: map[string]any{"type": "object"}})
		_, errR := ctx.Roots()
		_, errF := fastmcp.ElicitForm[struct {
			OK bool `json:"ok"`
		}](ctx, "?")
		return map[string]any{
			"sample": errors.Is(errS, fastmcp.ErrNoSession), "elicit": errors.Is(errE, fastmcp.ErrNoSession),
			"roots": errors.Is(errR, fastmcp.ErrNoSession), "form": errors.Is(errF, fastmcp.ErrNoSession),
			"session": ctx.Session() == nil, "state": ctx.State() == nil, "sessionId": ctx.SessionID(),
			"fast":    time.Since(start) < time.Second,
			"message": errS.Error(),
		}, nil
	})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{Stateless: true})
	c := ssNewRaw(t, nil, srv.Endpoint)
	c.rev = fastmcp.LatestHandshakeProtocolVersion
	resp, msgs, err := c.roundTrip(1, "initialize", map[string]any{"protocolVersion": c.rev,
		"capabilities": smSamplingCaps, "clientInfo": map[string]any{"name": "x", "version": "1"}})
	if err != nil || resp.StatusCode != http.StatusOK || msgs[0].Error != nil {
		t.Fatalf("stateless initialize: %v %+v", err, msgs)
	}
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
		t.Errorf("stateless initialize returned Mcp-Session-Id %q", sid)
	}
	txt, isErr := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "probe"}))
	var got map[string]any
	json.Unmarshal([]byte(txt), &got)
	msg, _ := got["message"].(string)
	delete(got, "message")
	want := map[string]any{"sample": true, "elicit": true, "roots": true, "form": true,
		"session": true, "state": true, "sessionId": "", "fast": true}
	if diff := testdiff.Diff(want, got); diff != "" || isErr {
		t.Errorf("stateless probe (-want +got):\n%s", diff)
	}
	if !strings.Contains(msg, "statelessly") {
		t.Errorf("ErrNoSession message %q does not say why", msg)
	}
	if len(c.requests()) != 0 {
		t.Errorf("a stateless server sent requests: %v", c.requests())
	}
}

// In the handshake era, Ask's answers give the client's answer as it sent
// it: a roots answer is the roots/list result object.
func TestAskRawAnswersHandshakeEra(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{DisableRoots: true})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "raw"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Ask(fastmcp.RootsRequest())
		if err != nil {
			return "", err
		}
		return string(res[0].Raw()), nil
	})
	c := testkit.Connect(t, s, &fastmcptest.Options{
		Capabilities: fastmcp.ClientCapabilities{Roots: &fastmcp.RootsCapability{}},
		OnRequest: func(_ context.Context, method string, _ json.RawMessage) (any, error) {
			return map[string]any{"roots": []fastmcp.Root{{URI: "file:///w", Name: "w"}}}, nil
		},
	})
	res, err := c.CallTool(testkit.Context(t), "raw", nil)
	if err != nil || fastmcptest.Text(res) != `{"roots":[{"uri":"file:///w","name":"w"}]}` {
		t.Fatalf("raw roots answer: %q %v", fastmcptest.Text(res), err)
	}
}
