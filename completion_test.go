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

func promptRef(name string) fastmcp.CompleteReference {
	return fastmcp.CompleteReference{Type: "ref/prompt", Name: name}
}

func resourceRef(uri string) fastmcp.CompleteReference {
	return fastmcp.CompleteReference{Type: "ref/resource", URI: uri}
}

func completeValues(t testing.TB, c *fastmcptest.Client, ref fastmcp.CompleteReference, arg, value string, resolved map[string]string) fastmcp.Completion {
	t.Helper()
	res, err := c.Complete(testkit.Context(t), ref, arg, value, resolved)
	if err != nil {
		t.Fatalf("complete %s=%q: %v", arg, value, err)
	}
	return res.Completion
}

func TestCompletePromptEnumRanking(t *testing.T) {
	t.Parallel()
	values := []string{"algo", "Go-Fast", "gopher", "go", "django", "my-go", "g-o", "ago-x", "rust"}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{{Name: "lang", Enum: values}, {Name: "free"}}},
		func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
	type enumArgs struct {
		Env string `json:"env" enum:"staging,prod,dev"`
	}
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "tagged"}, func(*fastmcp.Context, enumArgs) (string, error) { return "", nil })
	c := testkit.Connect(t, s, nil)
	tests := []struct {
		name, prompt, arg, input string
		want                     []string
	}{
		// exact (go) > prefix (Go-Fast, gopher: registration order) > word
		// prefix (my-go) > substring (algo, django, ago-x) > subsequence (g-o).
		{"tiers", "p", "lang", "go", []string{"go", "Go-Fast", "gopher", "my-go", "algo", "django", "ago-x", "g-o"}},
		{"case-insensitive", "p", "lang", "GO", []string{"go", "Go-Fast", "gopher", "my-go", "algo", "django", "ago-x", "g-o"}},
		{"exact beats prefix regardless of order", "p", "lang", "go-fast", []string{"Go-Fast"}},
		{"word prefix", "p", "lang", "fa", []string{"Go-Fast"}},
		{"subsequence", "p", "lang", "gph", []string{"gopher"}},
		{"transposed letters", "p", "lang", "gpoher", []string{"gopher"}},
		{"one substituted letter", "p", "lang", "rusk", []string{"rust"}},
		{"short input gets no typo match", "p", "lang", "ru", []string{"rust"}},
		{"two typos do not match", "p", "lang", "rxsk", []string{}},
		{"no match", "p", "lang", "zzz", []string{}},
		{"empty input returns all in order", "p", "lang", "", values},
		{"argument without enum", "p", "free", "x", []string{}},
		{"unknown argument", "p", "nope", "x", []string{}},
		{"enum from struct tag", "tagged", "env", "", []string{"staging", "prod", "dev"}},
		{"enum from struct tag ranked", "tagged", "env", "d", []string{"dev", "prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := completeValues(t, c, promptRef(tt.prompt), tt.arg, tt.input, nil)
			if diff := testdiff.Diff(fastmcp.Completion{Values: tt.want}, got); diff != "" {
				t.Errorf("completion of %q (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestCompleteCustomCompleter(t *testing.T) {
	t.Parallel()
	type call struct {
		method, value string
		args          map[string]string
	}
	calls := make(chan call, 10)
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{
		{Name: "country"},
		{Name: "city", Enum: []string{"enum-value"}, Complete: func(ctx *fastmcp.Context, value string, args map[string]string) ([]string, error) {
			calls <- call{ctx.Method(), value, args}
			if args["country"] == "NO" {
				return []string{"Oslo", "Bergen"}, nil
			}
			return []string{"Paris"}, nil
		}},
	}}, func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
	c := testkit.Connect(t, s, nil)

	got := completeValues(t, c, promptRef("p"), "city", "enum", map[string]string{"country": "NO"})
	if diff := testdiff.Diff(fastmcp.Completion{Values: []string{"Oslo", "Bergen"}}, got); diff != "" {
		t.Errorf("completion (-want +got):\n%s", diff)
	}
	if diff := testdiff.Diff(call{"completion/complete", "enum", map[string]string{"country": "NO"}}, testkit.Received(t, calls)); diff != "" {
		t.Errorf("completer call (-want +got):\n%s", diff)
	}

	got = completeValues(t, c, promptRef("p"), "city", "", nil)
	if diff := testdiff.Diff(fastmcp.Completion{Values: []string{"Paris"}}, got); diff != "" {
		t.Errorf("completion without context (-want +got):\n%s", diff)
	}
	if cl := testkit.Received(t, calls); len(cl.args) != 0 {
		t.Errorf("completer got arguments %v without context", cl.args)
	}
}

func TestCompleteResourceTemplate(t *testing.T) {
	t.Parallel()
	type repoArgs struct {
		Owner  string `json:"owner"`
		Repo   string `json:"repo"`
		Branch string `json:"branch" enum:"main, develop, release"`
		Env    string `json:"env" enum:"dev,prod"`
	}
	noop := func(*fastmcp.Context, string, repoArgs) ([]*fastmcp.ResourceContents, error) { return nil, nil }
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{
		URITemplate: "test://repos/{owner}/{repo}/{branch}{?env}", Name: "repo",
		Complete: map[string]fastmcp.Completer{
			"owner": fastmcp.EnumCompleter("alice", "bob", "alfred"),
			"repo": func(_ *fastmcp.Context, value string, args map[string]string) ([]string, error) {
				return []string{args["owner"] + "/" + value + "-repo"}, nil
			},
			// Overrides the enum tag.
			"env": fastmcp.EnumCompleter("custom"),
		},
	}, noop)
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://map/{key}", Name: "map"},
		func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
			return nil, nil
		})
	s.AddResource(fastmcp.Resource{URI: "test://static", Name: "static", Load: fastmcp.StaticText("x")})
	c := testkit.Connect(t, s, nil)
	const tmpl = "test://repos/{owner}/{repo}/{branch}{?env}"
	tests := []struct {
		name, uri, arg, value string
		resolved              map[string]string
		want                  []string
	}{
		{"map completer", tmpl, "owner", "al", nil, []string{"alice", "alfred"}},
		{"completer sees context", tmpl, "repo", "x", map[string]string{"owner": "bob"}, []string{"bob/x-repo"}},
		{"struct enum tag", tmpl, "branch", "", nil, []string{"main", "develop", "release"}},
		{"struct enum tag ranked", tmpl, "branch", "rel", nil, []string{"release"}},
		{"Complete overrides enum tag", tmpl, "env", "", nil, []string{"custom"}},
		{"unknown variable", tmpl, "nope", "", nil, []string{}},
		{"template without completers", "test://map/{key}", "key", "a", nil, []string{}},
		{"static resource", "test://static", "anything", "a", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := completeValues(t, c, resourceRef(tt.uri), tt.arg, tt.value, tt.resolved)
			if diff := testdiff.Diff(fastmcp.Completion{Values: tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompleteTruncatedAt100(t *testing.T) {
	t.Parallel()
	gen := func(n int) fastmcp.Completer {
		return func(*fastmcp.Context, string, map[string]string) ([]string, error) {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("v%03d", i)
			}
			return out, nil
		}
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{
		{Name: "many", Complete: gen(150)},
		{Name: "exact", Complete: gen(100)},
		{Name: "none", Complete: gen(0)},
	}}, func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
	c := testkit.Connect(t, s, nil)
	for _, tt := range []struct {
		arg      string
		wantLen  int
		wantMore bool
		total    int
		rawTotal string
	}{
		{"many", 100, true, 150, "150"},
		{"exact", 100, false, 0, ""},
		{"none", 0, false, 0, ""},
	} {
		t.Run(tt.arg, func(t *testing.T) {
			got := completeValues(t, c, promptRef("p"), tt.arg, "", nil)
			if len(got.Values) != tt.wantLen || got.HasMore != tt.wantMore || got.Total != tt.total {
				t.Errorf("got %d values, hasMore %v, total %d; want %d, %v, %d", len(got.Values), got.HasMore, got.Total, tt.wantLen, tt.wantMore, tt.total)
			}
			if tt.wantLen > 0 && (got.Values[0] != "v000" || got.Values[len(got.Values)-1] != fmt.Sprintf("v%03d", tt.wantLen-1)) {
				t.Errorf("values are not the first %d: %v ... %v", tt.wantLen, got.Values[0], got.Values[len(got.Values)-1])
			}
			res := callRawObject(t, c, "completion/complete", fastmcp.CompleteParams{Ref: promptRef("p"), Argument: fastmcp.CompleteArgument{Name: tt.arg}})
			var comp map[string]json.RawMessage
			if err := json.Unmarshal(res["completion"], &comp); err != nil {
				t.Fatal(err)
			}
			if got := string(comp["total"]); got != tt.rawTotal {
				t.Errorf("raw total %q, want %q", got, tt.rawTotal)
			}
			if got := string(comp["values"]); got == "null" || got == "" {
				t.Errorf("values must be an array, got %q", got)
			}
		})
	}
}

func TestCompleteErrors(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fail := func(err error) fastmcp.Completer {
		return func(*fastmcp.Context, string, map[string]string) ([]string, error) { return nil, err }
	}
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{
		{Name: "user", Complete: fail(fastmcp.NewUserError("directory unavailable"))},
		{Name: "generic", Complete: fail(errors.New("ldap password=xyzzy"))},
		{Name: "protocol", Complete: fail(fastmcp.NewError(fastmcp.CodeInvalidParams, "bad context"))},
		{Name: "panic", Complete: func(*fastmcp.Context, string, map[string]string) ([]string, error) { panic("xyzzy") }},
		{Name: "ok", Enum: []string{"fine"}},
	}}, func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
	s.AddResource(fastmcp.Resource{URI: "test://static", Name: "static", Load: fastmcp.StaticText("x")})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://t/{x}", Name: "t"},
		func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
			return nil, nil
		})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	tests := []struct {
		name     string
		params   any
		wantCode fastmcp.ErrorCode
		wantMsg  string // substring
	}{
		{"unknown prompt", fastmcp.CompleteParams{Ref: promptRef("nope"), Argument: fastmcp.CompleteArgument{Name: "a"}}, fastmcp.CodeInvalidParams, "nope"},
		{"unknown template", fastmcp.CompleteParams{Ref: resourceRef("test://t/{y}"), Argument: fastmcp.CompleteArgument{Name: "y"}}, fastmcp.CodeInvalidParams, "test://t/{y}"},
		{"concrete URI of a template is not a reference", fastmcp.CompleteParams{Ref: resourceRef("test://t/1"), Argument: fastmcp.CompleteArgument{Name: "x"}}, fastmcp.CodeInvalidParams, "test://t/1"},
		{"unknown reference type", fastmcp.CompleteParams{Ref: fastmcp.CompleteReference{Type: "ref/tool", Name: "x"}, Argument: fastmcp.CompleteArgument{Name: "a"}}, fastmcp.CodeInvalidParams, "ref/tool"},
		{"user error", fastmcp.CompleteParams{Ref: promptRef("p"), Argument: fastmcp.CompleteArgument{Name: "user"}}, fastmcp.CodeInternalError, "directory unavailable"},
		{"generic error masked", fastmcp.CompleteParams{Ref: promptRef("p"), Argument: fastmcp.CompleteArgument{Name: "generic"}}, fastmcp.CodeInternalError, "Internal error"},
		{"protocol error passed through", fastmcp.CompleteParams{Ref: promptRef("p"), Argument: fastmcp.CompleteArgument{Name: "protocol"}}, fastmcp.CodeInvalidParams, "bad context"},
		{"panic masked", fastmcp.CompleteParams{Ref: promptRef("p"), Argument: fastmcp.CompleteArgument{Name: "panic"}}, fastmcp.CodeInternalError, "Internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CallRaw(ctx, "completion/complete", tt.params)
			e := requireErrCode(t, err, tt.wantCode)
			if !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", e.Message, tt.wantMsg)
			}
			if strings.Contains(e.Message, "xyzzy") {
				t.Errorf("internal detail leaked: %q", e.Message)
			}
		})
	}
	// Still serving after the panic.
	got := completeValues(t, c, promptRef("p"), "ok", "f", nil)
	if diff := testdiff.Diff([]string{"fine"}, got.Values); diff != "" {
		t.Errorf("after errors (-want +got):\n%s", diff)
	}
}

func TestCompleteEveryRevision(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p", Arguments: []fastmcp.PromptArgument{{Name: "a", Enum: []string{"x1", "x2"}}}},
		func(*fastmcp.Context, map[string]string) (string, error) { return "", nil })
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			got := completeValues(t, c, promptRef("p"), "a", "X", nil)
			if diff := testdiff.Diff([]string{"x1", "x2"}, got.Values); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
