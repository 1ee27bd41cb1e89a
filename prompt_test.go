package fastmcp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

func TestPromptResultKinds(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "string", Description: "from the prompt"},
		func(_ *fastmcp.Context, a map[string]string) (string, error) { return "hello " + a["who"], nil })
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "messages"},
		func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) {
			return []*fastmcp.PromptMessage{
				fastmcp.UserMessage(fastmcp.Text("question")),
				fastmcp.AssistantMessage(fastmcp.Image([]byte("\x89PNG\r\n\x1a\n"), "image/png")),
				{Role: fastmcp.RoleUser, Content: fastmcp.Embed(&fastmcp.ResourceContents{URI: "test://doc", MIMEType: "text/plain", Text: "doc"})},
			}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "full", Description: "overridden"},
		func(*fastmcp.Context, map[string]string) (*fastmcp.GetPromptResult, error) {
			return &fastmcp.GetPromptResult{
				Description: "from the result",
				Meta:        fastmcp.Meta{"k": "v"},
				Messages:    []*fastmcp.PromptMessage{fastmcp.AssistantMessage(fastmcp.Text("ok"))},
			}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "full-no-description", Description: "default description"},
		func(*fastmcp.Context, map[string]string) (*fastmcp.GetPromptResult, error) {
			return &fastmcp.GetPromptResult{Messages: []*fastmcp.PromptMessage{fastmcp.UserMessage(fastmcp.Text("x"))}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "empty"},
		func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) { return nil, nil })

	tests := []struct {
		name string
		args map[string]string
		want *fastmcp.GetPromptResult
	}{
		{"string", map[string]string{"who": "ann"}, &fastmcp.GetPromptResult{
			Description: "from the prompt",
			Messages:    []*fastmcp.PromptMessage{{Role: fastmcp.RoleUser, Content: &fastmcp.TextContent{Text: "hello ann"}}},
		}},
		{"messages", nil, &fastmcp.GetPromptResult{Messages: []*fastmcp.PromptMessage{
			{Role: fastmcp.RoleUser, Content: &fastmcp.TextContent{Text: "question"}},
			{Role: fastmcp.RoleAssistant, Content: &fastmcp.ImageContent{Data: []byte("\x89PNG\r\n\x1a\n"), MIMEType: "image/png"}},
			{Role: fastmcp.RoleUser, Content: &fastmcp.EmbeddedResource{Resource: &fastmcp.ResourceContents{URI: "test://doc", MIMEType: "text/plain", Text: "doc"}}},
		}}},
		{"full", nil, &fastmcp.GetPromptResult{
			Description: "from the result",
			Meta:        fastmcp.Meta{"k": "v"},
			Messages:    []*fastmcp.PromptMessage{{Role: fastmcp.RoleAssistant, Content: &fastmcp.TextContent{Text: "ok"}}},
		}},
		{"full-no-description", nil, &fastmcp.GetPromptResult{
			Description: "default description",
			Messages:    []*fastmcp.PromptMessage{{Role: fastmcp.RoleUser, Content: &fastmcp.TextContent{Text: "x"}}},
		}},
		{"empty", nil, &fastmcp.GetPromptResult{Messages: []*fastmcp.PromptMessage{}}},
	}
	c := testkit.Connect(t, s, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.GetPrompt(testkit.Context(t), tt.name, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("prompts/get (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptInferredArguments(t *testing.T) {
	t.Parallel()
	type args struct {
		Lang    string  `json:"lang" description:"Programming language" enum:"go, rust"`
		Count   int     `json:"count,omitempty" jsonschema:"How many examples"`
		Verbose bool    `json:"verbose,omitzero"`
		Topic   string  `json:"topic" title:"Topic" description:"wins over jsonschema" jsonschema:"ignored"`
		Ratio   float64 `json:"ratio,omitempty"`
		Plain   string
		Skipped string `json:"-"`
		hidden  string
	}
	got := make(chan args, 10)
	s := testkit.NewServer(t, fastmcp.Options{})
	icons := []fastmcp.Icon{{Src: "https://example.com/p.png"}}
	meta := fastmcp.Meta{"k": "v"}
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "inferred", Title: "Inferred", Icons: icons, Meta: meta}, func(_ *fastmcp.Context, a args) (string, error) {
		got <- a
		return "ok", nil
	})
	full := []fastmcp.PromptArgument{
		{Name: "lang", Description: "Programming language", Required: true},
		{Name: "count", Description: "How many examples"},
		{Name: "verbose"},
		{Name: "topic", Title: "Topic", Description: "wins over jsonschema", Required: true},
		{Name: "ratio"},
		{Name: "Plain", Required: true},
	}
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run("list/"+rev, func(t *testing.T) {
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			prompts, err := c.ListPrompts(testkit.Context(t))
			if err != nil {
				t.Fatal(err)
			}
			want := &fastmcp.Prompt{Name: "inferred", Title: "Inferred", Arguments: full, Icons: icons, Meta: meta}
			if rev < fastmcp.ProtocolVersion20251125 {
				want.Icons = nil
			}
			if rev < fastmcp.ProtocolVersion20250618 {
				want.Title, want.Meta = "", nil
				want.Arguments = append([]fastmcp.PromptArgument(nil), full...)
				want.Arguments[3].Title = ""
			}
			if diff := testdiff.Diff([]*fastmcp.Prompt{want}, prompts); diff != "" {
				t.Errorf("prompts/list (-want +got):\n%s", diff)
			}
			// The raw argument carries "title" only from 2025-06-18.
			res := callRawObject(t, c, "prompts/list", nil)
			hasTitle := strings.Contains(string(res["prompts"]), `"title"`)
			if hasTitle != (rev >= fastmcp.ProtocolVersion20250618) {
				t.Errorf("title present = %v in %s: %s", hasTitle, rev, res["prompts"])
			}
		})
	}

	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	t.Run("parsed", func(t *testing.T) {
		if _, err := c.GetPrompt(ctx, "inferred", map[string]string{
			"lang": "rust", "count": "3", "verbose": "true", "topic": "t", "ratio": "0.25", "Plain": "p", "Skipped": "no",
		}); err != nil {
			t.Fatal(err)
		}
		want := args{Lang: "rust", Count: 3, Verbose: true, Topic: "t", Ratio: 0.25, Plain: "p"}
		if diff := testdiff.Diff(want, testkit.Received(t, got)); diff != "" {
			t.Errorf("handler args (-want +got):\n%s", diff)
		}
	})
	errTests := []struct {
		name    string
		args    map[string]string
		mention []string
	}{
		{"missing required", map[string]string{"topic": "t", "Plain": "p"}, []string{`"lang"`}},
		{"missing required without tag", map[string]string{"lang": "go", "topic": "t"}, []string{`"Plain"`}},
		{"enum violation", map[string]string{"lang": "cobol", "topic": "t", "Plain": "p"}, []string{`"lang"`, "go", "rust"}},
		{"enum is case-sensitive", map[string]string{"lang": "Go", "topic": "t", "Plain": "p"}, []string{`"lang"`}},
		{"int that does not parse", map[string]string{"lang": "go", "topic": "t", "Plain": "p", "count": "three"}, []string{"count", "three"}},
		{"bool that does not parse", map[string]string{"lang": "go", "topic": "t", "Plain": "p", "verbose": "yes please"}, []string{"verbose"}},
		{"float that does not parse", map[string]string{"lang": "go", "topic": "t", "Plain": "p", "ratio": "half"}, []string{"ratio"}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetPrompt(ctx, "inferred", tt.args)
			e := requireErrCode(t, err, fastmcp.CodeInvalidParams)
			for _, m := range tt.mention {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q does not mention %s", e.Message, m)
				}
			}
		})
	}
	if len(got) != 0 {
		t.Errorf("handler ran for %d invalid requests", len(got))
	}
}

func TestPromptExplicitArgumentsWithMap(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]string, 10)
	s := testkit.NewServer(t, fastmcp.Options{})
	declared := []fastmcp.PromptArgument{
		{Name: "city", Title: "City", Description: "Where", Required: true},
		{Name: "unit", Description: "c or f", Enum: []string{"c", "f"}},
	}
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "weather", Description: "Weather report", Arguments: declared},
		func(_ *fastmcp.Context, a map[string]string) (string, error) {
			got <- a
			return "weather in " + a["city"], nil
		})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	prompts, err := c.ListPrompts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []*fastmcp.Prompt{{Name: "weather", Description: "Weather report", Arguments: []fastmcp.PromptArgument{
		{Name: "city", Title: "City", Description: "Where", Required: true},
		{Name: "unit", Description: "c or f"},
	}}}
	if diff := testdiff.Diff(want, prompts); diff != "" {
		t.Errorf("prompts/list (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		args map[string]string
		want map[string]string
	}{
		{map[string]string{"city": "Oslo"}, map[string]string{"city": "Oslo"}},
		{map[string]string{"city": "Oslo", "unit": "f"}, map[string]string{"city": "Oslo", "unit": "f"}},
	} {
		res, err := c.GetPrompt(ctx, "weather", tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if diff := testdiff.Diff(tt.want, testkit.Received(t, got)); diff != "" {
			t.Errorf("handler args (-want +got):\n%s", diff)
		}
		if res.Description != "Weather report" {
			t.Errorf("description %q", res.Description)
		}
	}

	_, err = c.GetPrompt(ctx, "weather", nil)
	if e := requireErrCode(t, err, fastmcp.CodeInvalidParams); !strings.Contains(e.Message, `"city"`) {
		t.Errorf("message %q does not name the missing argument", e.Message)
	}
	_, err = c.GetPrompt(ctx, "weather", map[string]string{"city": "Oslo", "unit": "k"})
	if e := requireErrCode(t, err, fastmcp.CodeInvalidParams); !strings.Contains(e.Message, `"unit"`) {
		t.Errorf("message %q does not name the argument", e.Message)
	}
	// Prompt arguments are strings.
	err = c.Call(ctx, "prompts/get", map[string]any{"name": "weather", "arguments": map[string]any{"city": 3}}, nil)
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
	// An empty string is a given value, not a missing one.
	if _, err := c.GetPrompt(ctx, "weather", map[string]string{"city": ""}); err != nil {
		t.Errorf("empty required argument refused: %v", err)
	} else {
		testkit.Received(t, got)
	}
	if len(got) != 0 {
		t.Errorf("handler ran for invalid requests")
	}
}

func TestPromptExplicitArgumentsWithStruct(t *testing.T) {
	t.Parallel()
	type args struct {
		Q     string `json:"q"`
		Limit int    `json:"limit"`
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	// Declared arguments replace the inferred ones (here: limit optional).
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "search", Arguments: []fastmcp.PromptArgument{{Name: "q", Required: true}, {Name: "limit"}}},
		func(_ *fastmcp.Context, a args) (string, error) { return fmt.Sprintf("%s/%d", a.Q, a.Limit), nil })
	c := testkit.Connect(t, s, nil)
	res, err := c.GetPrompt(testkit.Context(t), "search", map[string]string{"q": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Messages[0].Content.(*fastmcp.TextContent).Text; got != "x/0" {
		t.Errorf("got %q", got)
	}
	_, err = c.GetPrompt(testkit.Context(t), "search", map[string]string{"q": "x", "limit": "many"})
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
}

func TestPromptErrors(t *testing.T) {
	t.Parallel()
	const secret = "token=s3cr3t"
	tests := []struct {
		name     string
		show     bool
		add      func(s *fastmcp.Server)
		wantCode fastmcp.ErrorCode
		wantMsg  string
		contains bool
		wantData map[string]any
	}{
		{
			name: "user error",
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) (string, error) {
					return "", &fastmcp.UserError{Message: "try again later", Data: map[string]any{"retry": 5}}
				})
			},
			wantCode: fastmcp.CodeInternalError, wantMsg: "try again later", wantData: map[string]any{"retry": float64(5)},
		},
		{
			name: "generic error masked",
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) (string, error) {
					return "", errors.New("backend: " + secret)
				})
			},
			wantCode: fastmcp.CodeInternalError, wantMsg: "Internal error",
		},
		{
			name: "generic error with ShowErrorDetails",
			show: true,
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) (string, error) {
					return "", errors.New("backend: " + secret)
				})
			},
			wantCode: fastmcp.CodeInternalError, wantMsg: secret, contains: true,
		},
		{
			name: "panic masked",
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) (string, error) {
					panic(secret)
				})
			},
			wantCode: fastmcp.CodeInternalError, wantMsg: "Internal error",
		},
		{
			name: "protocol error passed through",
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) (string, error) {
					return "", fastmcp.NewError(fastmcp.CodeInvalidParams, "bad combination")
				})
			},
			wantCode: fastmcp.CodeInvalidParams, wantMsg: "bad combination",
		},
		{
			name: "nil result",
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) (*fastmcp.GetPromptResult, error) {
					return nil, nil
				})
			},
			wantCode: fastmcp.CodeInternalError, wantMsg: "Internal error",
		},
		{
			name: "message without content",
			add: func(s *fastmcp.Server) {
				fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) {
					return []*fastmcp.PromptMessage{{Role: fastmcp.RoleUser}}, nil
				})
			},
			wantCode: fastmcp.CodeInternalError, wantMsg: "Internal error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{ShowErrorDetails: tt.show})
			tt.add(s)
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "ok"}, func(*fastmcp.Context, map[string]string) (string, error) { return "fine", nil })
			c := testkit.Connect(t, s, nil)
			_, err := c.GetPrompt(testkit.Context(t), "p", nil)
			e := requireErrCode(t, err, tt.wantCode)
			if tt.contains {
				if !strings.Contains(e.Message, tt.wantMsg) {
					t.Errorf("message %q does not contain %q", e.Message, tt.wantMsg)
				}
			} else if e.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", e.Message, tt.wantMsg)
			}
			if !tt.show && strings.Contains(e.Message, "s3cr3t") {
				t.Errorf("secret leaked: %q", e.Message)
			}
			if diff := testdiff.Diff(tt.wantData, errDataMap(t, e)); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			if res, err := c.GetPrompt(testkit.Context(t), "ok", nil); err != nil || len(res.Messages) != 1 {
				t.Errorf("server stopped serving prompts: %v", err)
			}
		})
	}

	t.Run("unknown prompt", func(t *testing.T) {
		t.Parallel()
		c := testkit.Connect(t, testkit.NewServer(t, fastmcp.Options{}), nil)
		_, err := c.GetPrompt(testkit.Context(t), "nope", nil)
		if e := requireErrCode(t, err, fastmcp.CodeInvalidParams); !strings.Contains(e.Message, "nope") {
			t.Errorf("message %q does not name the prompt", e.Message)
		}
	})
}

func TestPromptContentByRevision(t *testing.T) {
	t.Parallel()
	audio := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "media"}, func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) {
		return []*fastmcp.PromptMessage{
			fastmcp.UserMessage(fastmcp.Text("t")),
			fastmcp.UserMessage(&fastmcp.AudioContent{Data: audio, MIMEType: "audio/wav"}),
			fastmcp.AssistantMessage(&fastmcp.ResourceLink{URI: "test://doc", Name: "doc", Title: "The Doc", MIMEType: "text/plain"}),
			fastmcp.AssistantMessage(fastmcp.Link("test://plain", "plain")),
		}, nil
	})
	text := func(s string) fastmcp.Content { return &fastmcp.TextContent{Text: s} }
	audioBlock := &fastmcp.AudioContent{Data: audio, MIMEType: "audio/wav"}
	audioAsResource := &fastmcp.EmbeddedResource{Resource: &fastmcp.ResourceContents{URI: "urn:fastmcp:audio", MIMEType: "audio/wav", Blob: audio}}
	link := &fastmcp.ResourceLink{URI: "test://doc", Name: "doc", Title: "The Doc", MIMEType: "text/plain"}
	plainLink := &fastmcp.ResourceLink{URI: "test://plain", Name: "plain"}
	tests := []struct {
		rev  string
		want []fastmcp.Content
	}{
		{fastmcp.ProtocolVersion20241105, []fastmcp.Content{text("t"), audioAsResource, text("[The Doc](test://doc)"), text("[plain](test://plain)")}},
		{fastmcp.ProtocolVersion20250326, []fastmcp.Content{text("t"), audioBlock, text("[The Doc](test://doc)"), text("[plain](test://plain)")}},
		{fastmcp.ProtocolVersion20250618, []fastmcp.Content{text("t"), audioBlock, link, plainLink}},
		{fastmcp.ProtocolVersion20251125, []fastmcp.Content{text("t"), audioBlock, link, plainLink}},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: tt.rev})
			res, err := c.GetPrompt(testkit.Context(t), "media", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []fastmcp.Content
			var roles []fastmcp.Role
			for _, m := range res.Messages {
				got = append(got, m.Content)
				roles = append(roles, m.Role)
			}
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("contents (-want +got):\n%s", diff)
			}
			if diff := testdiff.Diff([]fastmcp.Role{"user", "user", "assistant", "assistant"}, roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptRegistrationPanics(t *testing.T) {
	t.Parallel()
	type withSlice struct {
		Tags []string `json:"tags"`
	}
	type simple struct {
		A string `json:"a"`
	}
	tests := []struct {
		name string
		f    func(s *fastmcp.Server)
		want string
	}{
		{"empty name", func(s *fastmcp.Server) {
			fastmcp.AddPrompt(s, fastmcp.Prompt{}, func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
		}, "empty prompt name"},
		{"nil handler", func(s *fastmcp.Server) {
			fastmcp.AddPrompt[map[string]string, string](s, fastmcp.Prompt{Name: "p"}, nil)
		}, "nil handler"},
		{"argument type neither map nor struct", func(s *fastmcp.Server) {
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, []string) (string, error) { return "", nil })
		}, "neither"},
		{"struct field that cannot hold a string", func(s *fastmcp.Server) {
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(*fastmcp.Context, withSlice) (string, error) { return "", nil })
		}, "Tags"},
		{"declared argument without a field", func(s *fastmcp.Server) {
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{{Name: "a"}, {Name: "b"}}},
				func(*fastmcp.Context, simple) (string, error) { return "", nil })
		}, `"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg := recoverPanic(t, func() { tt.f(testkit.NewServer(t, fastmcp.Options{})) })
			if !strings.Contains(msg, tt.want) {
				t.Errorf("panic %q does not mention %q", msg, tt.want)
			}
		})
	}
}

func TestPromptRemoveAndReplace(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, n := range []string{"c", "a", "b"} {
		fastmcp.AddPrompt(s, fastmcp.Prompt{Name: n}, func(*fastmcp.Context, map[string]string) (string, error) { return n, nil })
	}
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	names := func() []string {
		t.Helper()
		ps, err := c.ListPrompts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	if diff := testdiff.Diff([]string{"a", "b", "c"}, names()); diff != "" {
		t.Errorf("sorted list (-want +got):\n%s", diff)
	}
	s.RemovePrompts("b", "zzz")
	if diff := testdiff.Diff([]string{"a", "c"}, names()); diff != "" {
		t.Errorf("after removal (-want +got):\n%s", diff)
	}
	_, err := c.GetPrompt(ctx, "b", nil)
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "a", Description: "new"}, func(*fastmcp.Context, map[string]string) (string, error) { return "new a", nil })
	res, err := c.GetPrompt(ctx, "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Messages[0].Content.(*fastmcp.TextContent).Text; got != "new a" || res.Description != "new" {
		t.Errorf("replaced prompt served %q %q", got, res.Description)
	}
	if diff := testdiff.Diff([]string{"a", "c"}, names()); diff != "" {
		t.Errorf("after replacement (-want +got):\n%s", diff)
	}
}

// TestPromptArgumentWireForm checks that Enum and Complete never travel.
func TestPromptArgumentWireForm(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{{
		Name: "x", Enum: []string{"a"},
		Complete: func(*fastmcp.Context, string, map[string]string) ([]string, error) { return nil, nil },
	}}}, func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
	c := testkit.Connect(t, s, nil)
	res := callRawObject(t, c, "prompts/list", nil)
	var prompts []struct {
		Arguments []json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(res["prompts"], &prompts); err != nil {
		t.Fatal(err)
	}
	if diff := testdiff.Diff([]string{"name"}, objectKeys(t, prompts[0].Arguments[0])); diff != "" {
		t.Errorf("argument members (-want +got):\n%s", diff)
	}
}

func TestPromptContentMetaShapedByRevision(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "meta"}, func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) {
		return []*fastmcp.PromptMessage{fastmcp.UserMessage(&fastmcp.TextContent{
			Text: "t", Meta: fastmcp.Meta{"k": "v"},
			Annotations: &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleUser}, LastModified: "2025-01-02T03:04:05Z"},
		})}, nil
	})
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			res := callRawObject(t, c, "prompts/get", map[string]any{"name": "meta"})
			var msgs []struct {
				Content json.RawMessage `json:"content"`
			}
			if err := json.Unmarshal(res["messages"], &msgs); err != nil {
				t.Fatal(err)
			}
			var block struct {
				Annotations json.RawMessage `json:"annotations"`
			}
			json.Unmarshal(msgs[0].Content, &block)
			wantKeys := []string{"_meta", "annotations", "text", "type"}
			wantAnn := []string{"audience", "lastModified"}
			if rev < fastmcp.ProtocolVersion20250618 { // _meta and lastModified arrived with 2025-06-18
				wantKeys = []string{"annotations", "text", "type"}
				wantAnn = []string{"audience"}
			}
			if diff := testdiff.Diff(wantKeys, objectKeys(t, msgs[0].Content)); diff != "" {
				t.Errorf("content members (-want +got):\n%s", diff)
			}
			if diff := testdiff.Diff(wantAnn, objectKeys(t, block.Annotations)); diff != "" {
				t.Errorf("annotation members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptMessageRole(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "system"}, func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) {
		return []*fastmcp.PromptMessage{{Role: "system", Content: fastmcp.Text("x")}}, nil
	})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "empty"}, func(*fastmcp.Context, map[string]string) ([]*fastmcp.PromptMessage, error) {
		return []*fastmcp.PromptMessage{{Content: fastmcp.Text("x")}}, nil
	})
	// A role MCP does not define is the handler's mistake: it must not
	// reach the client as a result the schema rejects (connect checks).
	c := testkit.Connect(t, s, nil)
	for _, name := range []string{"system", "empty"} {
		_, err := c.GetPrompt(testkit.Context(t), name, nil)
		requireErrCode(t, err, fastmcp.CodeInternalError)
	}
}
