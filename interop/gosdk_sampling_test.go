package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The official Go SDK client answering the server's requests: sampling,
// roots and elicitation.

// smGoSDKStdio connects the official Go SDK client over in-memory pipes
// carrying newline-delimited JSON, as stdio does.
func smGoSDKStdio(t testing.TB, s *fastmcp.Server, opts *mcp.ClientOptions, roots ...*mcp.Root) (*mcp.ClientSession, *mcp.Client) {
	t.Helper()
	toServerR, toServerW := io.Pipe()
	toClientR, toClientW := io.Pipe()
	served := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		served <- s.Serve(ctx, fastmcp.Stdio{Reader: toServerR, Writer: toClientW})
		toClientW.Close()
	}()
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-stdio", Version: "1.8.0"}, opts)
	client.AddRoots(roots...)
	cctx, ccancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer ccancel()
	// Roots are a handshake-era session feature: the client initializes.
	cs, err := client.Connect(cctx, &mcp.IOTransport{Reader: toClientR, Writer: toServerW}, &mcp.ClientSessionOptions{ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion})
	if err != nil {
		cancel()
		t.Fatalf("go-sdk connect: %v", err)
	}
	t.Cleanup(func() {
		cs.Close()
		toServerW.Close()
		select {
		case <-served:
		case <-time.After(testkit.Wait):
			t.Error("Serve did not return after the Go SDK client closed")
		}
		cancel()
	})
	return cs, client
}

// smSDKSampler answers sampling like smEcho, or refuses prompts "refuse".
func smSDKSampler(_ context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	text := r.Params.Messages[0].Content.(*mcp.TextContent).Text
	if text == "refuse" {
		return nil, errors.New("the user declined")
	}
	return &mcp.CreateMessageResult{Role: "assistant", Content: &mcp.TextContent{Text: "sdk: " + text}, Model: "sdk-model", StopReason: "endTurn"}, nil
}

func smSDKSample(t testing.TB, cs *mcp.ClientSession, args map[string]any) smSampleResult {
	t.Helper()
	var out smSampleResult
	if err := json.Unmarshal([]byte(ssSDKCall(t, cs, "sample", args, false)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSamplingGoSDK(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, cs *mcp.ClientSession, viaSession bool) {
		got := smSDKSample(t, cs, map[string]any{"prompt": "hello", "session": viaSession})
		if got.Text != "sdk: hello" || got.Model != "sdk-model" {
			t.Errorf("answered (session %v): %+v", viaSession, got)
		}
		got = smSDKSample(t, cs, map[string]any{"prompt": "refuse", "session": viaSession})
		if got.Err == "" || !strings.Contains(got.Err, "the user declined") {
			t.Errorf("refused (session %v): %+v", viaSession, got)
		}
	}
	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		cs, _ := smGoSDKStdio(t, s, &mcp.ClientOptions{CreateMessageHandler: smSDKSampler})
		check(t, cs, false)
		check(t, cs, true)
	})
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		smAddSample(s)
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		c := ssConnectGoSDK(t, srv.Endpoint, "", &mcp.ClientOptions{CreateMessageHandler: smSDKSampler})
		check(t, c.ClientSession, false) // on the POST's stream
		check(t, c.ClientSession, true)  // on the GET stream
	})
}

// Roots with the Go SDK client: over stdio and HTTP, initially and after
// Client.AddRoots (which sends notifications/roots/list_changed).
func TestRootsGoSDK(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, rec *testkit.Recorder, sess *fastmcp.Session, client *mcp.Client) {
		ready := rec.Wait(t, sess.ID(), "ready")
		missed := rec.RootsMissedForNoChannel(sess, ready)
		if diff := testdiff.Diff([]fastmcp.Root{{URI: "file:///a", Name: "a"}}, ready.Roots); diff != "" && !missed {
			t.Errorf("roots at ready (-want +got):\n%s", diff)
		}
		errsBefore := rec.NoChannelErrors(sess)
		client.AddRoots(&mcp.Root{URI: "file:///b", Name: "b"})
		// The refetch may hit the same missing channel if the GET stream
		// is still not attached.
		var ev testkit.Event
		rec.WaitFor(t, "rootsChanged or a roots error", func() bool {
			for _, e := range rec.Events(sess.ID()) {
				if e.Kind == "rootsChanged" {
					ev = e
					return true
				}
			}
			return rec.NoChannelErrors(sess) > errsBefore
		})
		if ev.Kind == "" {
			missed = true
		} else if diff := testdiff.Diff([]fastmcp.Root{{URI: "file:///a", Name: "a"}, {URI: "file:///b", Name: "b"}}, ev.Roots); diff != "" {
			t.Errorf("roots after AddRoots (-want +got):\n%s", diff)
		}
		if missed {
			t.Error(testkit.RootsBug)
		}
	}
	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		rec := testkit.Record(s)
		_, client := smGoSDKStdio(t, s, nil, &mcp.Root{URI: "file:///a", Name: "a"})
		check(t, rec, rec.WaitConnected(t, 1), client)
	})
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{})
		rec := testkit.Record(s)
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		c, err := ssDialGoSDK(t, srv.Endpoint, "", nil, []*mcp.Root{{URI: "file:///a", Name: "a"}})
		if err != nil {
			t.Fatal(err)
		}
		check(t, rec, rec.WaitConnected(t, 1), c.Client)
	})
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

// Elicitation answered by the Go SDK client over HTTP.
func TestElicitGoSDKHTTP(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	elAddTools(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	var action string
	var schema json.RawMessage
	c := ssConnectGoSDK(t, srv.Endpoint, "", &mcp.ClientOptions{
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			schema, _ = json.Marshal(r.Params.RequestedSchema)
			if action != "accept" {
				return &mcp.ElicitResult{Action: action}, nil
			}
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "Bo", "age": 5, "size": "l", "agree": false}}, nil
		},
	})
	for _, a := range []string{"accept", "decline", "cancel"} {
		action = a
		var got map[string]any
		json.Unmarshal([]byte(ssSDKCall(t, c.ClientSession, "form", nil, false)), &got)
		if got["action"] != a {
			t.Errorf("%s: %v", a, got)
		}
		if a == "accept" {
			want := map[string]any{"name": "Bo", "age": 5.0, "size": "l", "agree": false}
			if diff := testdiff.Diff(want, got["content"]); diff != "" {
				t.Errorf("accepted content (-want +got):\n%s", diff)
			}
		}
	}
	want, _ := fastmcp.FormSchema[elForm]()
	if diff := testdiff.Diff(elJSON(t, want), elJSON(t, schema)); diff != "" {
		t.Errorf("schema the Go SDK received (-want +got):\n%s", diff)
	}
}

// elJSON round-trips v through JSON, to compare schemas as JSON values.
func elJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// elForm is the form the elicitation tests ask for.
type elForm struct {
	Name  string   `json:"name" title:"Name"`
	Age   int      `json:"age"`
	Size  string   `json:"size" enum:"s=Small,l=Large"`
	Tags  []string `json:"tags,omitempty" enum:"x,y"`
	Agree bool     `json:"agree"`
}

// elAddTools registers "form" (ElicitForm[elForm]) and "url" (URL mode).
func elAddTools(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "form"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		res, err := fastmcp.ElicitForm[elForm](ctx, "Tell me about you")
		if err != nil {
			return map[string]any{"err": err.Error(), "isCap": errors.Is(err, fastmcp.ErrCapability)}, nil
		}
		return map[string]any{"action": res.Action, "content": res.Content}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "url"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Mode: "url", Message: "Sign in", URL: "https://example.com/auth", ElicitationID: "e-1"})
		if err != nil {
			return map[string]any{"err": err.Error(), "isCap": errors.Is(err, fastmcp.ErrCapability)}, nil
		}
		ctx.Session().NotifyElicitationComplete("e-1")
		return map[string]any{"action": res.Action}, nil
	})
}
