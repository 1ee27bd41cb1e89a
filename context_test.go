package fastmcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// notesOf returns the notifications with the method received so far.
func notesOf(c *fastmcptest.Client, method string) []fastmcptest.Notification {
	var out []fastmcptest.Notification
	for _, n := range c.Notifications() {
		if n.Method == method {
			out = append(out, n)
		}
	}
	return out
}

// callText calls a tool and returns the text of its only content block.
func callText(t testing.TB, c *fastmcptest.Client, p *fastmcp.CallToolParams) string {
	t.Helper()
	res, err := c.CallToolParams(testkit.Context(t), p)
	if err != nil {
		t.Fatalf("call %s: %v", p.Name, err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("call %s: %+v", p.Name, res)
	}
	if _, ok := res.Content[0].(*fastmcp.TextContent); !ok {
		t.Fatalf("call %s: content %T", p.Name, res.Content[0])
	}
	return fastmcptest.Text(res)
}

// wireLog is a notifications/message as sent.
type wireLog struct {
	Level  fastmcp.LoggingLevel `json:"level"`
	Logger string               `json:"logger,omitempty"`
	Data   any                  `json:"data"`
}

func logsOf(t testing.TB, c *fastmcptest.Client) []wireLog {
	t.Helper()
	var out []wireLog
	for _, n := range notesOf(c, "notifications/message") {
		var l wireLog
		if err := json.Unmarshal(n.Params, &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// orderRecorder records, in arrival order, the methods of notifications and
// the ids of responses the client receives, and the id of each request it sends.
type orderRecorder struct {
	mu     sync.Mutex
	events []string
	sent   map[string]string // method -> raw id of the last request sent
}

func (r *orderRecorder) options(o *fastmcptest.Options) *fastmcptest.Options {
	if o == nil {
		o = &fastmcptest.Options{}
	}
	r.sent = map[string]string{}
	o.OnSend = func(m []byte) {
		var e struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(m, &e) == nil && e.Method != "" && e.ID != nil {
			r.mu.Lock()
			r.sent[e.Method] = string(e.ID)
			r.mu.Unlock()
		}
	}
	o.OnReceive = func(m []byte) {
		var e struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(m, &e) != nil {
			return
		}
		r.mu.Lock()
		if e.Method != "" {
			r.events = append(r.events, e.Method)
		} else {
			r.events = append(r.events, "response "+string(e.ID))
		}
		r.mu.Unlock()
	}
	return o
}

func (r *orderRecorder) snapshot() ([]string, map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), r.sent
}

func TestContextReportProgress(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "work"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		for i, msg := range []string{"one", "two", "three"} {
			if err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(i + 1), Total: 3, Message: msg}); err != nil {
				return "", err
			}
		}
		// Total 0 means unknown and is left out.
		if err := ctx.ReportProgress(fastmcp.Progress{Progress: 3.5}); err != nil {
			return "", err
		}
		return "done", nil
	})
	type progress struct {
		Token    string
		Progress float64
		Total    *float64
		Message  *string
	}
	f := func(v float64) *float64 { return &v }
	str := func(s string) *string { return &s }
	decode := func(t *testing.T, n fastmcptest.Notification) progress {
		var p struct {
			ProgressToken json.RawMessage `json:"progressToken"`
			Progress      float64         `json:"progress"`
			Total         *float64        `json:"total"`
			Message       *string         `json:"message"`
		}
		if err := json.Unmarshal(n.Params, &p); err != nil {
			t.Fatal(err)
		}
		return progress{string(p.ProgressToken), p.Progress, p.Total, p.Message}
	}
	tests := []struct {
		name, token string
		rev         string
	}{
		{"number", `42`, ""},
		{"string", `"abc"`, ""},
		{"numeric-looking string", `"42"`, ""},
		{"integer beyond float64 precision", `9007199254740993`, ""},
		{"2025-06-18", `7`, fastmcp.ProtocolVersion20250618},
		{"2025-03-26", `7`, fastmcp.ProtocolVersion20250326},
		{"2024-11-05 has no message", `7`, fastmcp.ProtocolVersion20241105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec orderRecorder
			c := testkit.Connect(t, s, rec.options(&fastmcptest.Options{ProtocolVersion: tt.rev}))
			got := callText(t, c, &fastmcp.CallToolParams{Name: "work", Meta: fastmcp.Meta{"progressToken": json.RawMessage(tt.token)}})
			if got != "done" {
				t.Fatalf("tool returned %q", got)
			}
			var gotP []progress
			for _, n := range notesOf(c, "notifications/progress") {
				gotP = append(gotP, decode(t, n))
			}
			want := []progress{
				{tt.token, 1, f(3), str("one")},
				{tt.token, 2, f(3), str("two")},
				{tt.token, 3, f(3), str("three")},
				{tt.token, 3.5, nil, nil},
			}
			if tt.rev == fastmcp.ProtocolVersion20241105 {
				for i := range want {
					want[i].Message = nil
				}
			}
			if diff := testdiff.Diff(want, gotP); diff != "" {
				t.Errorf("progress notifications (-want +got):\n%s", diff)
			}
			// Every progress notification precedes the response.
			events, sent := rec.snapshot()
			resp := slices.Index(events, "response "+sent["tools/call"])
			last := -1
			for i, e := range events {
				if e == "notifications/progress" {
					last = i
				}
			}
			if resp < 0 || last < 0 || last > resp {
				t.Errorf("progress after the response: %q", events)
			}
		})
	}
}

func TestContextReportProgressRules(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "rules"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		var out []string
		for _, p := range []float64{1, 1, 0.5, 2, -1} {
			err := ctx.ReportProgress(fastmcp.Progress{Progress: p})
			switch {
			case err == nil:
				out = append(out, "ok")
			case errors.Is(err, fastmcp.ErrProgressNotIncreasing):
				out = append(out, "not increasing")
			default:
				out = append(out, err.Error())
			}
		}
		return strings.Join(out, ","), nil
	})
	c := testkit.Connect(t, s, nil)

	t.Run("with token", func(t *testing.T) {
		got := callText(t, c, &fastmcp.CallToolParams{Name: "rules", Meta: fastmcp.Meta{"progressToken": "tok"}})
		if want := "ok,not increasing,not increasing,ok,not increasing"; got != want {
			t.Errorf("results %q, want %q", got, want)
		}
		var values []float64
		for _, n := range notesOf(c, "notifications/progress") {
			var p struct{ Progress float64 }
			json.Unmarshal(n.Params, &p)
			values = append(values, p.Progress)
		}
		if diff := testdiff.Diff([]float64{1, 2}, values); diff != "" {
			t.Errorf("sent progress (-want +got):\n%s", diff)
		}
	})
	t.Run("without token", func(t *testing.T) {
		before := len(notesOf(c, "notifications/progress"))
		for _, meta := range []fastmcp.Meta{nil, {"progressToken": nil}, {"other": 1}} {
			got := callText(t, c, &fastmcp.CallToolParams{Name: "rules", Meta: meta})
			if want := "ok,ok,ok,ok,ok"; got != want {
				t.Errorf("meta %v: results %q, want %q (a no-op never fails)", meta, got, want)
			}
		}
		if after := len(notesOf(c, "notifications/progress")); after != before {
			t.Errorf("%d progress notifications sent without a token", after-before)
		}
	})
}

func TestContextLog(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "log"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Debug("plain")
		ctx.Info("hello", "user", "ann", "n", 3)
		ctx.Warn("w", slog.Int("k", 7), "s", "v")
		ctx.Error("e", "nested", map[string]any{"a": []int{1, 2}})
		ctx.Log(fastmcp.LevelNotice, "notice")
		ctx.Log(fastmcp.LevelCritical, "critical")
		ctx.Log(fastmcp.LevelAlert, "alert")
		ctx.Log(fastmcp.LevelEmergency, "emergency", "code", true)
		ctx.Info("odd", "dangling")
		return "ok", nil
	})
	c := testkit.Connect(t, s, nil)
	callText(t, c, &fastmcp.CallToolParams{Name: "log"})
	want := []wireLog{
		{Level: "debug", Data: "plain"},
		{Level: "info", Data: map[string]any{"message": "hello", "user": "ann", "n": float64(3)}},
		{Level: "warning", Data: map[string]any{"message": "w", "k": float64(7), "s": "v"}},
		{Level: "error", Data: map[string]any{"message": "e", "nested": map[string]any{"a": []any{float64(1), float64(2)}}}},
		{Level: "notice", Data: "notice"},
		{Level: "critical", Data: "critical"},
		{Level: "alert", Data: "alert"},
		{Level: "emergency", Data: map[string]any{"message": "emergency", "code": true}},
		{Level: "info", Data: map[string]any{"message": "odd", "!BADKEY": "dangling"}},
	}
	if diff := testdiff.Diff(want, logsOf(t, c)); diff != "" {
		t.Errorf("log messages (-want +got):\n%s", diff)
	}
}

func TestContextLogLevelFiltering(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "log"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Debug("debug")
		ctx.Info("info")
		ctx.Log(fastmcp.LevelNotice, "notice")
		ctx.Warn("warning")
		ctx.Error("error")
		l := ctx.Logger()
		l.Info("slog info")
		l.Error("slog error")
		return strconv.FormatBool(l.Enabled(ctx, slog.LevelInfo)) + "," + strconv.FormatBool(l.Enabled(ctx, slog.LevelError)), nil
	})
	messages := func(c *fastmcptest.Client) []string {
		var out []string
		for _, l := range logsOf(t, c) {
			switch d := l.Data.(type) {
			case string:
				out = append(out, d)
			case map[string]any:
				out = append(out, d["message"].(string))
			}
		}
		return out
	}
	tests := []struct {
		level   fastmcp.LoggingLevel // "" = not set
		want    []string
		enabled string
	}{
		{"", []string{"debug", "info", "notice", "warning", "error", "slog info", "slog error"}, "true,true"},
		{fastmcp.LevelDebug, []string{"debug", "info", "notice", "warning", "error", "slog info", "slog error"}, "true,true"},
		{fastmcp.LevelNotice, []string{"notice", "warning", "error", "slog error"}, "false,true"},
		{fastmcp.LevelWarning, []string{"warning", "error", "slog error"}, "false,true"},
		{fastmcp.LevelError, []string{"error", "slog error"}, "false,true"},
		{fastmcp.LevelEmergency, nil, "false,false"},
	}
	for _, tt := range tests {
		t.Run(string(tt.level), func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, nil)
			if tt.level != "" {
				if err := c.SetLoggingLevel(testkit.Context(t), tt.level); err != nil {
					t.Fatal(err)
				}
			}
			if got := callText(t, c, &fastmcp.CallToolParams{Name: "log"}); got != tt.enabled {
				t.Errorf("Logger().Enabled(info, error) = %s, want %s", got, tt.enabled)
			}
			if diff := testdiff.Diff(tt.want, messages(c)); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("levels are per session", func(t *testing.T) {
		t.Parallel()
		quiet, loud := testkit.Connect(t, s, nil), testkit.Connect(t, s, nil)
		if err := quiet.SetLoggingLevel(testkit.Context(t), fastmcp.LevelError); err != nil {
			t.Fatal(err)
		}
		callText(t, quiet, &fastmcp.CallToolParams{Name: "log"})
		callText(t, loud, &fastmcp.CallToolParams{Name: "log"})
		if got := len(messages(loud)); got != 7 {
			t.Errorf("session without a level got %d messages, want 7", got)
		}
		if got := len(messages(quiet)); got != 2 {
			t.Errorf("session at error got %d messages, want 2", got)
		}
	})
	t.Run("invalid level", func(t *testing.T) {
		t.Parallel()
		c := testkit.Connect(t, s, nil)
		for _, level := range []string{"verbose", "", "WARNING"} {
			err := c.Call(testkit.Context(t), "logging/setLevel", map[string]any{"level": level}, nil)
			requireErrCode(t, err, fastmcp.CodeInvalidParams)
		}
	})
}

func TestContextSlogLogger(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "slog"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		l := ctx.Logger()
		l.Debug("d", "a", 1)
		l.Info("i")
		l.Warn("w")
		l.Error("e")
		l.Log(ctx, slog.LevelError+4, "critical")
		l.Log(ctx, slog.LevelError+8, "alert")
		l.Log(ctx, slog.LevelError+12, "emergency")
		l.Log(ctx, slog.LevelError+100, "beyond")
		l.Log(ctx, slog.LevelDebug-4, "below debug")
		l.Log(ctx, slog.LevelInfo+2, "between info and warn")
		l.Log(ctx, slog.LevelWarn+2, "between warn and error")
		l.Log(ctx, slog.LevelError+2, "between error and critical")
		l.With("svc", "api").WithGroup("db").Info("query", "rows", 2)
		l.WithGroup("db").WithGroup("pool").With("size", 4).Info("pool", slog.Bool("ok", true))
		l.With("", "dropped").Info("empty key")
		return "ok", nil
	})
	c := testkit.Connect(t, s, nil)
	callText(t, c, &fastmcp.CallToolParams{Name: "slog"})
	msg := func(m string, kv ...any) map[string]any {
		d := map[string]any{"message": m}
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
		return d
	}
	want := []wireLog{
		{Level: "debug", Data: msg("d", "a", float64(1))},
		{Level: "info", Data: msg("i")},
		{Level: "warning", Data: msg("w")},
		{Level: "error", Data: msg("e")},
		{Level: "critical", Data: msg("critical")},
		{Level: "alert", Data: msg("alert")},
		{Level: "emergency", Data: msg("emergency")},
		{Level: "emergency", Data: msg("beyond")},
		{Level: "debug", Data: msg("below debug")},
		{Level: "info", Data: msg("between info and warn")},
		{Level: "warning", Data: msg("between warn and error")},
		{Level: "error", Data: msg("between error and critical")},
		{Level: "info", Logger: "db", Data: msg("query", "svc", "api", "rows", float64(2))},
		{Level: "info", Logger: "db.pool", Data: msg("pool", "size", float64(4), "ok", true)},
		{Level: "info", Data: msg("empty key")},
	}
	if diff := testdiff.Diff(want, logsOf(t, c)); diff != "" {
		t.Errorf("slog records (-want +got):\n%s", diff)
	}
}

func TestContextLogErrorValues(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "values"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Error("ctx error", "err", errors.New("disk full"))
		ctx.Logger().Error("slog error", "err", errors.New("disk full"))
		return "ok", nil
	})
	c := testkit.Connect(t, s, nil)
	callText(t, c, &fastmcp.CallToolParams{Name: "values"})
	want := []wireLog{
		{Level: "error", Data: map[string]any{"message": "ctx error", "err": "disk full"}},
		{Level: "error", Data: map[string]any{"message": "slog error", "err": "disk full"}},
	}
	if diff := testdiff.Diff(want, logsOf(t, c)); diff != "" {
		t.Errorf("log data (-want +got):\n%s", diff)
	}
}

func TestContextSlogGroupAttr(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "group"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Logger().Info("group", slog.Group("req", slog.Int("id", 1), slog.String("path", "/x")))
		return "ok", nil
	})
	c := testkit.Connect(t, s, nil)
	callText(t, c, &fastmcp.CallToolParams{Name: "group"})
	want := []wireLog{
		{Level: "info", Data: map[string]any{"message": "group", "req": map[string]any{"id": float64(1), "path": "/x"}}},
	}
	if diff := testdiff.Diff(want, logsOf(t, c)); diff != "" {
		t.Errorf("log data (-want +got):\n%s", diff)
	}
}

func TestContextStreamContent(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "streamer"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		if err := ctx.StreamContent(); err != nil {
			return "", err
		}
		if err := ctx.StreamContent(fastmcp.Text("part 1"), fastmcp.Link("test://x", "x")); err != nil {
			return "", err
		}
		if err := ctx.StreamContent(fastmcp.Text("part 2")); err != nil {
			return "", err
		}
		return "done", nil
	})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(ctx *fastmcp.Context, _ map[string]string) (string, error) {
		return "", ctx.StreamContent(fastmcp.Text("from a prompt"))
	})
	type stream struct {
		Content  []json.RawMessage `json:"content"`
		ToolName *string           `json:"toolName"`
	}
	name := "streamer"
	for _, tt := range []struct {
		rev      string
		linkType string
	}{
		{fastmcp.ProtocolVersion20251125, "resource_link"},
		{fastmcp.ProtocolVersion20250326, "text"},
	} {
		t.Run(tt.rev, func(t *testing.T) {
			t.Parallel()
			var rec orderRecorder
			c := testkit.Connect(t, s, rec.options(&fastmcptest.Options{ProtocolVersion: tt.rev}))
			if got := callText(t, c, &fastmcp.CallToolParams{Name: "streamer"}); got != "done" {
				t.Fatalf("tool returned %q", got)
			}
			notes := notesOf(c, "notifications/tool/streamContent")
			if len(notes) != 2 {
				t.Fatalf("got %d streamContent notifications, want 2 (an empty call sends none)", len(notes))
			}
			var first, second stream
			json.Unmarshal(notes[0].Params, &first)
			json.Unmarshal(notes[1].Params, &second)
			if first.ToolName == nil || *first.ToolName != name || second.ToolName == nil || *second.ToolName != name {
				t.Errorf("toolName = %v, %v; want %q", first.ToolName, second.ToolName, name)
			}
			var types []string
			for _, raw := range append(first.Content, second.Content...) {
				var b struct{ Type string }
				json.Unmarshal(raw, &b)
				types = append(types, b.Type)
			}
			if diff := testdiff.Diff([]string{"text", tt.linkType, "text"}, types); diff != "" {
				t.Errorf("content types (-want +got):\n%s", diff)
			}
			events, sent := rec.snapshot()
			resp := slices.Index(events, "response "+sent["tools/call"])
			if last := slices.Index(events, "notifications/tool/streamContent"); resp < 0 || last > resp {
				t.Errorf("stream content after the response: %q", events)
			}
		})
	}
	t.Run("outside a tool", func(t *testing.T) {
		t.Parallel()
		c := testkit.Connect(t, s, nil)
		if _, err := c.GetPrompt(testkit.Context(t), "p", nil); err != nil {
			t.Fatal(err)
		}
		notes := notesOf(c, "notifications/tool/streamContent")
		if len(notes) != 1 {
			t.Fatalf("got %d notifications", len(notes))
		}
		var st stream
		json.Unmarshal(notes[0].Params, &st)
		if st.ToolName != nil {
			t.Errorf("toolName %q outside a tool", *st.ToolName)
		}
	})
}

func TestContextRequestID(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "id"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return ctx.RequestID(), nil
	})
	// Responses to ids the test client did not allocate are dropped by the
	// client, so they are captured from the wire.
	responses := make(chan []byte, 64)
	c := testkit.Connect(t, s, &fastmcptest.Options{OnReceive: func(m []byte) {
		if !strings.Contains(string(m), `"method"`) {
			responses <- slices.Clone(m)
		}
	}})
	ctx := testkit.Context(t)

	// The client's own ids are numbers.
	got := callText(t, c, &fastmcp.CallToolParams{Name: "id"})
	if _, err := strconv.ParseInt(got, 10, 64); err != nil {
		t.Errorf("RequestID for a numeric id = %q", got)
	}

	for _, tt := range []struct{ rawID, want string }{
		{`987654`, "987654"},
		{`"req-abc"`, "req-abc"},
		{`"with \"quotes\" and \\"`, `with "quotes" and \`},
		{`""`, ""},
	} {
		t.Run(tt.rawID, func(t *testing.T) {
			if err := c.Send([]byte(`{"jsonrpc":"2.0","id":` + tt.rawID + `,"method":"tools/call","params":{"name":"id"}}`)); err != nil {
				t.Fatal(err)
			}
			for {
				select {
				case m := <-responses:
					var resp struct {
						ID     json.RawMessage        `json:"id"`
						Result fastmcp.CallToolResult `json:"result"`
					}
					if err := json.Unmarshal(m, &resp); err != nil {
						t.Fatal(err)
					}
					if string(resp.ID) != tt.rawID {
						continue // a response to an earlier call
					}
					if len(resp.Result.Content) != 1 {
						t.Fatalf("result %s", m)
					}
					if got := resp.Result.Content[0].(*fastmcp.TextContent).Text; got != tt.want {
						t.Errorf("RequestID() = %q, want %q", got, tt.want)
					}
					return
				case <-ctx.Done():
					t.Fatal("no response with id " + tt.rawID)
				}
			}
		})
	}
}

func TestContextMetaAndClientRequestID(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	type seen struct {
		ClientRequestID string
		Meta            fastmcp.Meta
		Method          string
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "meta"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		b, err := json.Marshal(seen{ctx.ClientRequestID(), ctx.Meta(), ctx.Method()})
		return string(b), err
	})
	c := testkit.Connect(t, s, nil)
	for _, tt := range []struct {
		name string
		meta fastmcp.Meta
		want seen
	}{
		{"no meta", nil, seen{Method: "tools/call"}},
		{"string request id", fastmcp.Meta{"requestId": "corr-1", "trace": "t1"},
			seen{"corr-1", fastmcp.Meta{"requestId": "corr-1", "trace": "t1"}, "tools/call"}},
		{"numeric request id", fastmcp.Meta{"requestId": 17}, seen{"17", fastmcp.Meta{"requestId": float64(17)}, "tools/call"}},
		{"progress token only", fastmcp.Meta{"progressToken": "p"}, seen{"", fastmcp.Meta{"progressToken": "p"}, "tools/call"}},
		{"nested meta", fastmcp.Meta{"io.example/x": map[string]any{"a": []any{"b"}}},
			seen{"", fastmcp.Meta{"io.example/x": map[string]any{"a": []any{"b"}}}, "tools/call"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			if err := json.Unmarshal([]byte(callText(t, c, &fastmcp.CallToolParams{Name: "meta", Meta: tt.meta})), &got); err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_, err := c.CallToolParams(testkit.Context(t), &fastmcp.CallToolParams{Name: "meta", Meta: nil})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Call(testkit.Context(t), "tools/call", map[string]any{"name": "meta", "_meta": "not an object"}, nil)
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
}

func TestContextClientAndSession(t *testing.T) {
	t.Parallel()
	type seen struct {
		ClientInfo      fastmcp.Implementation
		Capabilities    fastmcp.ClientCapabilities
		ProtocolVersion string
		SessionID       string
		HasSession      bool
		SessionIDsMatch bool
		SameServer      bool
		SessionVersion  string
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "who"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		sess := ctx.Session()
		v := seen{
			ClientInfo: ctx.ClientInfo(), Capabilities: ctx.ClientCapabilities(), ProtocolVersion: ctx.ProtocolVersion(),
			SessionID: ctx.SessionID(), HasSession: sess != nil, SameServer: ctx.Server() == s,
		}
		if sess != nil {
			v.SessionIDsMatch = sess.ID() == ctx.SessionID()
			v.SessionVersion = sess.ProtocolVersion()
		}
		b, err := json.Marshal(v)
		return string(b), err
	})
	info := fastmcp.Implementation{Name: "ctx-client", Title: "Context Client", Version: "9.9.9"}
	caps := fastmcp.ClientCapabilities{
		Roots:        &fastmcp.RootsCapability{ListChanged: true},
		Sampling:     &fastmcp.SamplingCapability{},
		Experimental: map[string]any{"x": map[string]any{}},
	}
	ids := map[string]bool{}
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev, ClientInfo: info, Capabilities: caps})
			var got seen
			if err := json.Unmarshal([]byte(callText(t, c, &fastmcp.CallToolParams{Name: "who"})), &got); err != nil {
				t.Fatal(err)
			}
			if got.SessionID == "" || ids[got.SessionID] {
				t.Errorf("session id %q is empty or reused", got.SessionID)
			}
			ids[got.SessionID] = true
			known := false
			for _, sess := range s.Sessions() {
				known = known || sess.ID() == got.SessionID
			}
			if !known {
				t.Errorf("session %q is not among Server.Sessions()", got.SessionID)
			}
			want := seen{
				ClientInfo: info, Capabilities: caps, ProtocolVersion: rev, SessionID: got.SessionID,
				HasSession: true, SessionIDsMatch: true, SameServer: true, SessionVersion: rev,
			}
			if diff := testdiff.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestContextFrom(t *testing.T) {
	t.Parallel()
	type key struct{}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "from"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		valued := context.WithValue(ctx, key{}, "v")
		cancelled, cancel := context.WithCancel(valued)
		defer cancel()
		checks := []bool{
			fastmcp.ContextFrom(ctx) == ctx,
			fastmcp.ContextFrom(valued) == ctx,
			fastmcp.ContextFrom(cancelled) == ctx,
			fastmcp.ContextFrom(context.Background()) == nil,
			fastmcp.ContextFrom(context.WithValue(context.Background(), key{}, 1)) == nil,
			cancelled.Value(key{}) == "v",
			ctx.Value(key{}) == nil,
			fastmcp.ContextFrom(valued).SessionID() == ctx.SessionID(),
			ctx.Err() == nil,
		}
		var out []string
		for i, ok := range checks {
			if !ok {
				out = append(out, "check "+strconv.Itoa(i)+" failed")
			}
		}
		return strings.Join(append(out, "done"), "; "), nil
	})
	c := testkit.Connect(t, s, nil)
	if got := callText(t, c, &fastmcp.CallToolParams{Name: "from"}); got != "done" {
		t.Error(got)
	}
}
