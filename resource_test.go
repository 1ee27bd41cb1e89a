package fastmcp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// connectReady is connect followed by a ping. fastmcptest returns as soon as it
// has sent notifications/initialized, before the server has handled it; the
// server sends list_changed and resources/updated only to sessions that have,
// so a test expecting them waits for the ping, answered after the
// notification was handled.
func connectReady(t testing.TB, s *fastmcp.Server, opts *fastmcptest.Options) *fastmcptest.Client {
	t.Helper()
	c := testkit.Connect(t, s, opts)
	if err := c.Ping(testkit.Context(t)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return c
}

// requireErrCode fails the test unless err is a JSON-RPC error with the code,
// and returns it.
func requireErrCode(t testing.TB, err error, code fastmcp.ErrorCode) *fastmcp.Error {
	t.Helper()
	var e *fastmcp.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want a JSON-RPC error with code %d", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("got error code %d (%q), want %d", e.Code, e.Message, code)
	}
	return e
}

// errDataMap decodes the data member of a JSON-RPC error received by the test
// client, or returns nil when there is none.
func errDataMap(t testing.TB, e *fastmcp.Error) map[string]any {
	t.Helper()
	if e.Data == nil {
		return nil
	}
	raw, ok := e.Data.(json.RawMessage)
	if !ok {
		t.Fatalf("error data is %T, want json.RawMessage", e.Data)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("error data %s is not an object: %v", raw, err)
	}
	return m
}

// recoverPanic runs f and returns the text of its panic, failing the test if
// f does not panic.
func recoverPanic(t testing.TB, f func()) (msg string) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Fatal("no panic")
		}
		msg = fmt.Sprint(v)
	}()
	f()
	return ""
}

// callRawObject sends a request and decodes its result as a JSON object.
func callRawObject(t testing.TB, c *fastmcptest.Client, method string, params any) map[string]json.RawMessage {
	t.Helper()
	raw, err := c.CallRaw(testkit.Context(t), method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: result %s: %v", method, raw, err)
	}
	return m
}

// objectKeys returns the sorted member names of a JSON object.
func objectKeys(t testing.TB, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s is not an object: %v", raw, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readOne(t testing.TB, c *fastmcptest.Client, uri string) []*fastmcp.ResourceContents {
	t.Helper()
	res, err := c.ReadResource(testkit.Context(t), uri)
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	return res.Contents
}

func TestResourceStaticAndLoaded(t *testing.T) {
	t.Parallel()
	blob := []byte{0, 1, 2, 0xfe, 0xff, '\n', '"'}
	tests := []struct {
		name string
		res  fastmcp.Resource
		want []*fastmcp.ResourceContents
		// wire, when set, is a member that must appear in the raw first
		// contents, with its raw value.
		wireKey, wireVal string
	}{
		{
			name: "static text",
			res:  fastmcp.Resource{URI: "test://text", Name: "text", MIMEType: "text/plain", Load: fastmcp.StaticText("hello\nworld")},
			want: []*fastmcp.ResourceContents{{URI: "test://text", MIMEType: "text/plain", Text: "hello\nworld"}},
		},
		{
			name: "static text without MIME type",
			res:  fastmcp.Resource{URI: "test://nomime", Name: "nomime", Load: fastmcp.StaticText("")},
			want: []*fastmcp.ResourceContents{{URI: "test://nomime", Text: ""}},
			// Empty text is still text, not a blob.
			wireKey: "text", wireVal: `""`,
		},
		{
			name:    "static blob",
			res:     fastmcp.Resource{URI: "test://blob", Name: "blob", MIMEType: "application/octet-stream", Load: fastmcp.StaticBlob(blob)},
			want:    []*fastmcp.ResourceContents{{URI: "test://blob", MIMEType: "application/octet-stream", Blob: blob}},
			wireKey: "blob", wireVal: `"` + base64.StdEncoding.EncodeToString(blob) + `"`,
		},
		{
			name:    "empty static blob stays a blob",
			res:     fastmcp.Resource{URI: "test://empty-blob", Name: "empty", Load: fastmcp.StaticBlob(nil)},
			want:    []*fastmcp.ResourceContents{{URI: "test://empty-blob", Blob: []byte{}}},
			wireKey: "blob", wireVal: `""`,
		},
		{
			name: "several contents with defaults filled",
			res: fastmcp.Resource{URI: "test://multi", Name: "multi", MIMEType: "text/markdown", Load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
				return []*fastmcp.ResourceContents{
					{Text: "# one"},
					nil, // skipped
					{URI: "test://multi/part2", MIMEType: "text/csv", Text: "a,b"},
					{URI: "test://multi/part3", Blob: []byte("bin")},
					{MIMEType: "application/json", Text: "{}", Meta: fastmcp.Meta{"k": "v"}},
				}, nil
			}},
			want: []*fastmcp.ResourceContents{
				{URI: "test://multi", MIMEType: "text/markdown", Text: "# one"},
				{URI: "test://multi/part2", MIMEType: "text/csv", Text: "a,b"},
				{URI: "test://multi/part3", MIMEType: "text/markdown", Blob: []byte("bin")},
				{URI: "test://multi", MIMEType: "application/json", Text: "{}", Meta: fastmcp.Meta{"k": "v"}},
			},
		},
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, tt := range tests {
		s.AddResource(tt.res)
	}
	c := testkit.Connect(t, s, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readOne(t, c, tt.res.URI)
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("contents (-want +got):\n%s", diff)
			}
			if tt.wireKey == "" {
				return
			}
			res := callRawObject(t, c, "resources/read", map[string]string{"uri": tt.res.URI})
			var contents []map[string]json.RawMessage
			if err := json.Unmarshal(res["contents"], &contents); err != nil {
				t.Fatal(err)
			}
			if got := string(contents[0][tt.wireKey]); got != tt.wireVal {
				t.Errorf("wire %s = %s, want %s", tt.wireKey, got, tt.wireVal)
			}
			other := map[string]string{"text": "blob", "blob": "text"}[tt.wireKey]
			if _, ok := contents[0][other]; ok {
				t.Errorf("contents carry both text and blob: %v", contents[0])
			}
		})
	}
	// The loader's slice is not modified by the defaults filled in.
	shared := []*fastmcp.ResourceContents{{Text: "shared"}}
	s.AddResource(fastmcp.Resource{URI: "test://shared", Name: "shared", MIMEType: "text/plain", Load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		return shared, nil
	}})
	readOne(t, c, "test://shared")
	if shared[0].URI != "" || shared[0].MIMEType != "" {
		t.Errorf("loader's contents were modified: %+v", shared[0])
	}
}

func TestResourceListSortedAndShapedByRevision(t *testing.T) {
	t.Parallel()
	icons := []fastmcp.Icon{{Src: "https://example.com/i.png", MIMEType: "image/png", Sizes: []string{"48x48"}}}
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, u := range []string{"test://c", "test://a", "file:///z", "test://b"} {
		s.AddResource(fastmcp.Resource{
			URI: u, Name: "n" + u, Title: "Title " + u, Description: "d", MIMEType: "text/plain", Size: 12,
			Annotations: &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleUser}},
			Icons:       icons, Meta: fastmcp.Meta{"x": 1},
			Load: fastmcp.StaticText("x"),
		})
	}
	for _, u := range []string{"test://t/{b}", "test://t/{a}", "file:///{path}"} {
		fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{
			URITemplate: u, Name: "tmpl", Title: "T", Description: "d", MIMEType: "text/plain",
			Icons: icons, Meta: fastmcp.Meta{"x": 1},
		}, func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
			return nil, nil
		})
	}
	base := []string{"annotations", "description", "mimeType", "name"}
	tests := []struct {
		rev      string
		resKeys  []string
		tmplKeys []string
	}{
		{fastmcp.ProtocolVersion20241105, append(slices.Clone(base), "size", "uri"), append(slices.Clone(base[1:]), "uriTemplate")},
		{fastmcp.ProtocolVersion20250326, append(slices.Clone(base), "size", "uri"), append(slices.Clone(base[1:]), "uriTemplate")},
		{fastmcp.ProtocolVersion20250618, append(slices.Clone(base), "_meta", "size", "title", "uri"), append(slices.Clone(base[1:]), "_meta", "title", "uriTemplate")},
		{fastmcp.ProtocolVersion20251125, append(slices.Clone(base), "_meta", "icons", "size", "title", "uri"), append(slices.Clone(base[1:]), "_meta", "icons", "title", "uriTemplate")},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: tt.rev})
			res := callRawObject(t, c, "resources/list", nil)
			var items []json.RawMessage
			if err := json.Unmarshal(res["resources"], &items); err != nil {
				t.Fatal(err)
			}
			var uris []string
			for _, it := range items {
				var r struct{ URI string }
				json.Unmarshal(it, &r)
				uris = append(uris, r.URI)
				want := slices.Clone(tt.resKeys)
				slices.Sort(want)
				if diff := testdiff.Diff(want, objectKeys(t, it)); diff != "" {
					t.Errorf("resource members (-want +got):\n%s", diff)
				}
			}
			if diff := testdiff.Diff([]string{"file:///z", "test://a", "test://b", "test://c"}, uris); diff != "" {
				t.Errorf("resources/list order (-want +got):\n%s", diff)
			}
			if _, ok := res["nextCursor"]; ok {
				t.Errorf("unexpected nextCursor in a single page: %s", res["nextCursor"])
			}

			res = callRawObject(t, c, "resources/templates/list", nil)
			items = nil
			if err := json.Unmarshal(res["resourceTemplates"], &items); err != nil {
				t.Fatal(err)
			}
			var tmpls []string
			for _, it := range items {
				var r struct{ URITemplate string }
				json.Unmarshal(it, &r)
				tmpls = append(tmpls, r.URITemplate)
				want := slices.Clone(tt.tmplKeys)
				slices.Sort(want)
				if diff := testdiff.Diff(want, objectKeys(t, it)); diff != "" {
					t.Errorf("template members (-want +got):\n%s", diff)
				}
			}
			if diff := testdiff.Diff([]string{"file:///{path}", "test://t/{a}", "test://t/{b}"}, tmpls); diff != "" {
				t.Errorf("resources/templates/list order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceListPaginated(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{PageSize: 2})
	var want []string
	for i := 4; i >= 0; i-- {
		u := fmt.Sprintf("test://r/%d", i)
		want = append([]string{u}, want...)
		s.AddResource(fastmcp.Resource{URI: u, Name: "r", Load: fastmcp.StaticText("x")})
	}
	c := testkit.Connect(t, s, nil)
	res := callRawObject(t, c, "resources/list", nil)
	if _, ok := res["nextCursor"]; !ok {
		t.Fatalf("first page of 5 with page size 2 has no nextCursor: %v", res)
	}
	all, err := c.ListResources(testkit.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range all {
		got = append(got, r.URI)
	}
	if diff := testdiff.Diff(want, got); diff != "" {
		t.Errorf("paginated list (-want +got):\n%s", diff)
	}
	_, err = c.CallRaw(testkit.Context(t), "resources/list", map[string]string{"cursor": "!!not base64!!"})
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
}

func TestResourceTemplateTypedArgs(t *testing.T) {
	t.Parallel()
	type itemArgs struct {
		Name    string   `json:"name"`
		ID      int      `json:"id"`
		Verbose bool     `json:"verbose"`
		Tags    []string `json:"tags"`
		Ratio   float64  `json:"ratio"`
		Count   uint8    `json:"count"`
	}
	type seen struct {
		URI  string
		Args itemArgs
	}
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{
		URITemplate: "test://items/{name}/{id}{?tags,verbose,ratio,count}", Name: "items", MIMEType: "application/json",
	}, func(ctx *fastmcp.Context, uri string, args itemArgs) ([]*fastmcp.ResourceContents, error) {
		b, err := json.Marshal(seen{uri, args})
		return []*fastmcp.ResourceContents{{Text: string(b)}}, err
	})
	c := testkit.Connect(t, s, nil)
	tests := []struct {
		uri  string
		want itemArgs
	}{
		{"test://items/widget/7?tags=a,b,c&verbose=true&ratio=0.5&count=9", itemArgs{Name: "widget", ID: 7, Verbose: true, Tags: []string{"a", "b", "c"}, Ratio: 0.5, Count: 9}},
		{"test://items/widget/7", itemArgs{Name: "widget", ID: 7}},
		{"test://items/gadget/-3?tags=solo", itemArgs{Name: "gadget", ID: -3, Tags: []string{"solo"}}},
		{"test://items/a%20b/0?verbose=false", itemArgs{Name: "a b", ID: 0}},
		{"test://items/x/1?tags=a%2Cb,c", itemArgs{Name: "x", ID: 1, Tags: []string{"a,b", "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			contents := readOne(t, c, tt.uri)
			if len(contents) != 1 {
				t.Fatalf("got %d contents, want 1", len(contents))
			}
			if contents[0].URI != tt.uri || contents[0].MIMEType != "application/json" {
				t.Errorf("contents uri/mime = %q %q, want %q application/json", contents[0].URI, contents[0].MIMEType, tt.uri)
			}
			var got seen
			if err := json.Unmarshal([]byte(contents[0].Text), &got); err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(seen{tt.uri, tt.want}, got); diff != "" {
				t.Errorf("handler saw (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceTemplateInvalidValue(t *testing.T) {
	t.Parallel()
	type args struct {
		N int     `json:"n"`
		B bool    `json:"b"`
		U uint    `json:"u"`
		F float32 `json:"f"`
		S int8    `json:"s"`
	}
	called := 0
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://v/{n}{?b,u,f,s}", Name: "v"},
		func(*fastmcp.Context, string, args) ([]*fastmcp.ResourceContents, error) {
			called++
			return []*fastmcp.ResourceContents{{Text: "ok"}}, nil
		})
	c := testkit.Connect(t, s, nil)
	for _, tt := range []struct{ uri, field string }{
		{"test://v/abc", "n"},
		{"test://v/1.5", "n"},
		{"test://v/1?b=maybe", "b"},
		{"test://v/1?u=-1", "u"},
		{"test://v/1?f=x", "f"},
		{"test://v/1?s=300", "s"},
	} {
		t.Run(tt.uri, func(t *testing.T) {
			_, err := c.ReadResource(testkit.Context(t), tt.uri)
			e := requireErrCode(t, err, fastmcp.CodeInvalidParams)
			if !strings.Contains(e.Message, tt.field) {
				t.Errorf("message %q does not name the variable %q", e.Message, tt.field)
			}
		})
	}
	if called != 0 {
		t.Errorf("handler called %d times with invalid values", called)
	}
	if got := readOne(t, c, "test://v/12?b=true&u=3&f=1.25&s=-8"); got[0].Text != "ok" {
		t.Errorf("valid values: %+v", got[0])
	}
}

// enum means the same for template variables as for prompt arguments: the
// allowed values, others refused.
func TestResourceTemplateEnum(t *testing.T) {
	t.Parallel()
	type args struct {
		Name  string   `json:"name" enum:"app,access"`
		Level string   `json:"level" enum:"info,warn"`
		Tags  []string `json:"tags" enum:"x,y"`
	}
	called := 0
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "logs://{name}{?level,tags}", Name: "logs"},
		func(_ *fastmcp.Context, _ string, a args) ([]*fastmcp.ResourceContents, error) {
			called++
			return []*fastmcp.ResourceContents{{Text: a.Name + "/" + a.Level + "/" + strings.Join(a.Tags, "+")}}, nil
		})
	c := testkit.Connect(t, s, nil)
	for _, tt := range []struct{ uri, want string }{
		{"logs://nope", `name: "nope" is not one of app, access`},
		{"logs://app?level=debug", `level: "debug" is not one of info, warn`},
		{"logs://app?tags=x,z", `tags: "z" is not one of x, y`},
	} {
		_, err := c.ReadResource(testkit.Context(t), tt.uri)
		e := requireErrCode(t, err, fastmcp.CodeInvalidParams)
		if !strings.Contains(e.Message, tt.want) {
			t.Errorf("%s: message %q, want it to say %q", tt.uri, e.Message, tt.want)
		}
	}
	if called != 0 {
		t.Errorf("handler called %d times with values outside the enum", called)
	}
	for uri, want := range map[string]string{"logs://app": "app//", "logs://access?level=warn&tags=y,x": "access/warn/y+x"} {
		if got := readOne(t, c, uri)[0].Text; got != want {
			t.Errorf("%s: %q, want %q", uri, got, want)
		}
	}
	// The prompt side, for comparison: the same tag, the same refusal.
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "p"}, func(_ *fastmcp.Context, a struct {
		Name string `json:"name" enum:"app,access"`
	}) (string, error) {
		return a.Name, nil
	})
	_, err := c.GetPrompt(testkit.Context(t), "p", map[string]string{"name": "nope"})
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
}

func TestResourceTemplateMapArgs(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://users/{user}/files/{file}{?tags}", Name: "files"},
		func(ctx *fastmcp.Context, uri string, args map[string]string) ([]*fastmcp.ResourceContents, error) {
			b, err := json.Marshal(args)
			return []*fastmcp.ResourceContents{{Text: string(b)}}, err
		})
	c := testkit.Connect(t, s, nil)
	for _, tt := range []struct {
		uri  string
		want map[string]string
	}{
		{"test://users/ann/files/notes.txt", map[string]string{"user": "ann", "file": "notes.txt"}},
		{"test://users/bob/files/a%2Fb?tags=x,y", map[string]string{"user": "bob", "file": "a/b", "tags": "x,y"}},
	} {
		t.Run(tt.uri, func(t *testing.T) {
			var got map[string]string
			if err := json.Unmarshal([]byte(readOne(t, c, tt.uri)[0].Text), &got); err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(tt.want, got); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceFirstMatchingTemplateWins(t *testing.T) {
	t.Parallel()
	loader := func(tag string) fastmcp.ResourceTemplateHandler[map[string]string] {
		return func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: tag}}, nil
		}
	}
	// "test://docs/{id}" sorts before "test://{kind}/{id}" ('d' < '{'), so it
	// wins for URIs both match, whatever the registration order.
	for _, order := range [][]string{{"test://docs/{id}", "test://{kind}/{id}"}, {"test://{kind}/{id}", "test://docs/{id}"}} {
		t.Run(strings.Join(order, " then "), func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			for _, u := range order {
				fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: u, Name: u}, loader(u))
			}
			s.AddResource(fastmcp.Resource{URI: "test://docs/static", Name: "static", Load: fastmcp.StaticText("static")})
			c := testkit.Connect(t, s, nil)
			for range 5 {
				for uri, want := range map[string]string{
					"test://docs/1":      "test://docs/{id}",
					"test://other/1":     "test://{kind}/{id}",
					"test://docs/static": "static", // a resource beats every template
				} {
					if got := readOne(t, c, uri)[0].Text; got != want {
						t.Fatalf("read %s served by %q, want %q", uri, got, want)
					}
				}
			}
		})
	}
}

func TestResourceNotFoundEveryRevision(t *testing.T) {
	t.Parallel()
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			s.AddResource(fastmcp.Resource{URI: "test://known", Name: "k", Load: fastmcp.StaticText("x")})
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://t/{id}", Name: "t"},
				func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
					return nil, nil
				})
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			for _, uri := range []string{"test://unknown", "test://t/a/b", "test://known/"} {
				_, err := c.ReadResource(testkit.Context(t), uri)
				e := requireErrCode(t, err, fastmcp.CodeResourceNotFound)
				if got := errDataMap(t, e)["uri"]; got != uri {
					t.Errorf("%s: data.uri = %v, want %q", uri, got, uri)
				}
				if !strings.Contains(e.Message, uri) {
					t.Errorf("%s: message %q does not name the URI", uri, e.Message)
				}
			}
			_, err := c.CallRaw(testkit.Context(t), "resources/read", map[string]string{})
			requireErrCode(t, err, fastmcp.CodeInvalidParams)
		})
	}
}

func TestResourceLoaderErrors(t *testing.T) {
	t.Parallel()
	const secret = "password=hunter2"
	tests := []struct {
		name        string
		show        bool
		load        fastmcp.ResourceLoader
		wantCode    fastmcp.ErrorCode
		wantMessage string // exact, unless wantContains
		contains    bool
		wantData    map[string]any
	}{
		{
			name: "user error shown",
			load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
				return nil, fastmcp.NewUserError("disk is full")
			},
			wantCode:    fastmcp.CodeInternalError,
			wantMessage: "disk is full",
			wantData:    map[string]any{"uri": "test://r"},
		},
		{
			name: "wrapped user error shown",
			load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
				return nil, fmt.Errorf("wrapping: %w", fastmcp.UserErrorf("quota %d exceeded", 3))
			},
			wantCode:    fastmcp.CodeInternalError,
			wantMessage: "quota 3 exceeded",
			wantData:    map[string]any{"uri": "test://r"},
		},
		{
			name:        "generic error masked",
			load:        func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) { return nil, errors.New("db: " + secret) },
			wantCode:    fastmcp.CodeInternalError,
			wantMessage: "Internal error",
			wantData:    map[string]any{"uri": "test://r"},
		},
		{
			name:        "generic error shown with ShowErrorDetails",
			show:        true,
			load:        func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) { return nil, errors.New("db: " + secret) },
			wantCode:    fastmcp.CodeInternalError,
			wantMessage: secret,
			contains:    true,
			wantData:    map[string]any{"uri": "test://r"},
		},
		{
			name:        "panic masked",
			load:        func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) { panic("boom: " + secret) },
			wantCode:    fastmcp.CodeInternalError,
			wantMessage: "Internal error",
			wantData:    map[string]any{"uri": "test://r"},
		},
		{
			name:        "panic shown with ShowErrorDetails",
			show:        true,
			load:        func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) { panic("boom: " + secret) },
			wantCode:    fastmcp.CodeInternalError,
			wantMessage: secret,
			contains:    true,
			wantData:    map[string]any{"uri": "test://r"},
		},
		{
			name: "protocol error passed through",
			load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
				return nil, fmt.Errorf("wrapped: %w", &fastmcp.Error{Code: -32050, Message: "custom failure", Data: map[string]any{"reason": "x"}})
			},
			wantCode:    -32050,
			wantMessage: "custom failure",
			wantData:    map[string]any{"reason": "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{ShowErrorDetails: tt.show})
			s.AddResource(fastmcp.Resource{URI: "test://r", Name: "r", Load: tt.load})
			s.AddResource(fastmcp.Resource{URI: "test://ok", Name: "ok", Load: fastmcp.StaticText("fine")})
			c := testkit.Connect(t, s, nil)
			_, err := c.ReadResource(testkit.Context(t), "test://r")
			e := requireErrCode(t, err, tt.wantCode)
			if tt.contains {
				if !strings.Contains(e.Message, tt.wantMessage) {
					t.Errorf("message %q does not contain %q", e.Message, tt.wantMessage)
				}
			} else if e.Message != tt.wantMessage {
				t.Errorf("message %q, want %q", e.Message, tt.wantMessage)
			}
			if !tt.show {
				raw, _ := json.Marshal(e.Data)
				if strings.Contains(e.Message+string(raw), "hunter2") {
					t.Errorf("secret leaked to the client: %q %s", e.Message, raw)
				}
			}
			if diff := testdiff.Diff(tt.wantData, errDataMap(t, e)); diff != "" {
				t.Errorf("error data (-want +got):\n%s", diff)
			}
			// The server keeps serving the session.
			if got := readOne(t, c, "test://ok"); got[0].Text != "fine" {
				t.Errorf("after the failure: %+v", got[0])
			}
		})
	}
}

func TestResourceTemplateLoaderErrors(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://fail/{mode}", Name: "fail"},
		func(_ *fastmcp.Context, _ string, a map[string]string) ([]*fastmcp.ResourceContents, error) {
			switch a["mode"] {
			case "user":
				return nil, fastmcp.NewUserError("no such mode")
			case "panic":
				panic("secret-panic")
			}
			return nil, errors.New("secret-error")
		})
	c := testkit.Connect(t, s, nil)
	for mode, want := range map[string]string{"user": "no such mode", "panic": "Internal error", "generic": "Internal error"} {
		uri := "test://fail/" + mode
		_, err := c.ReadResource(testkit.Context(t), uri)
		e := requireErrCode(t, err, fastmcp.CodeInternalError)
		if e.Message != want {
			t.Errorf("%s: message %q, want %q", mode, e.Message, want)
		}
		if got := errDataMap(t, e)["uri"]; got != uri {
			t.Errorf("%s: data.uri = %v, want %q", mode, got, uri)
		}
	}
	if err := c.Ping(testkit.Context(t)); err != nil {
		t.Fatalf("server stopped serving after a template loader panic: %v", err)
	}
}

func TestResourceRegistrationPanics(t *testing.T) {
	t.Parallel()
	noop := func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
		return nil, nil
	}
	type missing struct {
		ID string `json:"id"`
	}
	type badField struct {
		ID  string         `json:"id"`
		Map map[string]int `json:"m"`
	}
	type intSlice struct {
		IDs []int `json:"ids"`
	}
	type tagged struct {
		Ident string `json:"id"`
		Other string // no tag: named Other
		Skip  string `json:"-"`
	}
	tests := []struct {
		name string
		f    func(s *fastmcp.Server)
		want string // substring of the panic
	}{
		{"resource without URI", func(s *fastmcp.Server) {
			s.AddResource(fastmcp.Resource{Name: "n", Load: fastmcp.StaticText("x")})
		}, "URI"},
		{"resource without name", func(s *fastmcp.Server) {
			s.AddResource(fastmcp.Resource{URI: "test://x", Load: fastmcp.StaticText("x")})
		}, "name"},
		{"resource without Load", func(s *fastmcp.Server) {
			s.AddResource(fastmcp.Resource{URI: "test://x", Name: "n"})
		}, "Load"},
		{"template without URI template", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{Name: "n"}, noop)
		}, "URI template"},
		{"template without name", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{x}"}, noop)
		}, "name"},
		{"template without handler", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate[map[string]string](s, fastmcp.ResourceTemplate{URITemplate: "test://{x}", Name: "n"}, nil)
		}, "nil handler"},
		{"malformed template", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{unclosed", Name: "n"}, noop)
		}, "test://{unclosed"},
		{"struct lacking a field for a variable", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{id}/{extra}", Name: "n"},
				func(*fastmcp.Context, string, missing) ([]*fastmcp.ResourceContents, error) { return nil, nil })
		}, `"extra"`},
		{"variable matching a json:\"-\" field only", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{id}/{Skip}", Name: "n"},
				func(*fastmcp.Context, string, tagged) ([]*fastmcp.ResourceContents, error) { return nil, nil })
		}, `"Skip"`},
		{"struct field of unsupported type", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{id}", Name: "n"},
				func(*fastmcp.Context, string, badField) ([]*fastmcp.ResourceContents, error) { return nil, nil })
		}, "Map"},
		{"slice field not of strings", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://x{?ids}", Name: "n"},
				func(*fastmcp.Context, string, intSlice) ([]*fastmcp.ResourceContents, error) { return nil, nil })
		}, "[]string"},
		{"argument type neither map nor struct", func(s *fastmcp.Server) {
			fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{id}", Name: "n"},
				func(*fastmcp.Context, string, string) ([]*fastmcp.ResourceContents, error) { return nil, nil })
		}, "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, fastmcp.Options{})
			msg := recoverPanic(t, func() { tt.f(s) })
			if !strings.Contains(msg, tt.want) {
				t.Errorf("panic %q does not mention %q", msg, tt.want)
			}
		})
	}
	// Fields are matched by json tag, else by field name.
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://{id}/{Other}", Name: "ok"},
		func(_ *fastmcp.Context, _ string, a tagged) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: a.Ident + "+" + a.Other}}, nil
		})
	c := testkit.Connect(t, s, nil)
	if got := readOne(t, c, "test://a/b")[0].Text; got != "a+b" {
		t.Errorf("got %q, want a+b", got)
	}
}

func TestResourceRemove(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	for _, u := range []string{"test://a", "test://b", "test://c"} {
		s.AddResource(fastmcp.Resource{URI: u, Name: u, Load: fastmcp.StaticText(u)})
	}
	for _, u := range []string{"test://t1/{x}", "test://t2/{x}"} {
		fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: u, Name: u},
			func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
				return []*fastmcp.ResourceContents{{Text: "t"}}, nil
			})
	}
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)
	readOne(t, c, "test://b")
	readOne(t, c, "test://t1/x")

	s.RemoveResources("test://b", "test://nope")
	s.RemoveResourceTemplates("test://t1/{x}", "test://nope/{x}")

	list, err := c.ListResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range list {
		uris = append(uris, r.URI)
	}
	if diff := testdiff.Diff([]string{"test://a", "test://c"}, uris); diff != "" {
		t.Errorf("resources after removal (-want +got):\n%s", diff)
	}
	tl, err := c.ListResourceTemplates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 || tl[0].URITemplate != "test://t2/{x}" {
		t.Errorf("templates after removal: %+v", tl)
	}
	for _, uri := range []string{"test://b", "test://t1/x"} {
		_, err := c.ReadResource(ctx, uri)
		requireErrCode(t, err, fastmcp.CodeResourceNotFound)
	}
	readOne(t, c, "test://t2/x")

	// Re-adding a URI replaces rather than duplicates.
	s.AddResource(fastmcp.Resource{URI: "test://a", Name: "again", Load: fastmcp.StaticText("new")})
	if got := readOne(t, c, "test://a")[0].Text; got != "new" {
		t.Errorf("replaced resource served %q", got)
	}
	if list, _ = c.ListResources(ctx); len(list) != 2 || list[0].Name != "again" {
		t.Errorf("after replacement: %+v", list)
	}
}

func TestResourceSubscribeUpdated(t *testing.T) {
	t.Parallel()
	const updated = "notifications/resources/updated"
	s := testkit.NewServer(t, fastmcp.Options{})
	s.AddResource(fastmcp.Resource{URI: "test://watched", Name: "w", Load: fastmcp.StaticText("x")})
	subscriber := connectReady(t, s, nil)
	bystander := connectReady(t, s, nil)
	ctx := testkit.Context(t)
	count := func(c *fastmcptest.Client) int {
		t.Helper()
		// The server writes the notification before ResourceUpdated returns,
		// so a ping answered afterwards on the same stream comes after it.
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, note := range c.Notifications() {
			if note.Method == updated {
				n++
			}
		}
		return n
	}

	if err := subscriber.Subscribe(ctx, "test://watched"); err != nil {
		t.Fatal(err)
	}
	s.ResourceUpdated("test://watched")
	note, err := subscriber.WaitNotification(ctx, updated, 1)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(note.Params, &p); err != nil {
		t.Fatal(err)
	}
	if diff := testdiff.Diff(map[string]any{"uri": "test://watched"}, p); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if n := count(bystander); n != 0 {
		t.Errorf("unsubscribed session got %d updates", n)
	}

	s.ResourceUpdated("test://other")
	if n := count(subscriber); n != 1 {
		t.Errorf("update of another URI delivered: %d updates", n)
	}

	if err := subscriber.Unsubscribe(ctx, "test://watched"); err != nil {
		t.Fatal(err)
	}
	s.ResourceUpdated("test://watched")
	if n := count(subscriber); n != 1 {
		t.Errorf("after unsubscribe: %d updates, want 1", n)
	}

	_, err = subscriber.CallRaw(ctx, "resources/subscribe", map[string]string{})
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
}

func TestResourceEmbedded(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	type loadSeen struct {
		ctx     *fastmcp.Context
		session *fastmcp.Session
	}
	seen := make(chan loadSeen, 10)
	record := func(ctx *fastmcp.Context) {
		var sess *fastmcp.Session
		if ctx != nil {
			sess = ctx.Session()
		}
		seen <- loadSeen{ctx, sess}
	}
	s.AddResource(fastmcp.Resource{URI: "test://static", Name: "static", MIMEType: "text/plain", Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		record(ctx)
		return []*fastmcp.ResourceContents{{Text: "first"}, {Text: "second"}}, nil
	}})
	s.AddResource(fastmcp.Resource{URI: "test://empty", Name: "empty", Load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		return nil, nil
	}})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://item/{id}", Name: "item", MIMEType: "application/json"},
		func(ctx *fastmcp.Context, uri string, a struct {
			ID int `json:"id"`
		}) ([]*fastmcp.ResourceContents, error) {
			record(ctx)
			return []*fastmcp.ResourceContents{{Text: fmt.Sprintf(`{"id":%d}`, a.ID)}}, nil
		})

	type key struct{}
	toolSession := make(chan *fastmcp.Session, 1)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "embed"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) ([]fastmcp.Content, error) {
		toolSession <- ctx.Session()
		a, err := s.Embedded(ctx, "test://static")
		if err != nil {
			return nil, err
		}
		// A context derived from the handler's still carries the session.
		b, err := s.Embedded(context.WithValue(ctx, key{}, 1), "test://item/42")
		if err != nil {
			return nil, err
		}
		return []fastmcp.Content{a, b}, nil
	})
	c := testkit.Connect(t, s, nil)
	res, err := c.CallTool(testkit.Context(t), "embed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("tool failed: %+v", res.Content[0])
	}
	want := []fastmcp.Content{
		&fastmcp.EmbeddedResource{Resource: &fastmcp.ResourceContents{URI: "test://static", MIMEType: "text/plain", Text: "first"}},
		&fastmcp.EmbeddedResource{Resource: &fastmcp.ResourceContents{URI: "test://item/42", MIMEType: "application/json", Text: `{"id":42}`}},
	}
	if diff := testdiff.Diff(want, res.Content); diff != "" {
		t.Errorf("tool content (-want +got):\n%s", diff)
	}
	sess := testkit.Received(t, toolSession)
	if sess == nil {
		t.Fatal("tool has no session")
	}
	for i := range 2 {
		ls := testkit.Received(t, seen)
		if ls.ctx == nil || ls.session != sess {
			t.Errorf("load %d from a tool saw session %p, want the tool's %p", i, ls.session, sess)
		}
	}

	// From a plain context: the loader gets a sessionless Context.
	ctx := testkit.Context(t)
	er, err := s.Embedded(ctx, "test://item/7")
	if err != nil {
		t.Fatal(err)
	}
	if diff := testdiff.Diff(&fastmcp.ResourceContents{URI: "test://item/7", MIMEType: "application/json", Text: `{"id":7}`}, er.Resource); diff != "" {
		t.Errorf("embedded (-want +got):\n%s", diff)
	}
	ls := testkit.Received(t, seen)
	if ls.ctx == nil {
		t.Fatal("loader got a nil *Context from a plain context")
	}
	if ls.session != nil || ls.ctx.SessionID() != "" {
		t.Errorf("loader from a plain context saw session %v", ls.session)
	}
	if fastmcp.ContextFrom(ls.ctx) != ls.ctx {
		t.Error("ContextFrom of the loader's context is not itself")
	}

	_, err = s.Embedded(ctx, "test://missing")
	requireErrCode(t, err, fastmcp.CodeResourceNotFound)
	_, err = s.Embedded(ctx, "test://item/notanint")
	requireErrCode(t, err, fastmcp.CodeInvalidParams)
	if _, err = s.Embedded(ctx, "test://empty"); err == nil {
		t.Error("embedding a resource without contents succeeded")
	}
}

func TestResourceAnnotationsShapedByRevision(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	prio := 0.5
	s.AddResource(fastmcp.Resource{
		URI: "test://a", Name: "a", Load: fastmcp.StaticText("x"),
		Annotations: &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleUser}, LastModified: "2025-01-02T03:04:05Z"},
	})
	s.AddResource(fastmcp.Resource{
		URI: "test://b", Name: "b", Load: fastmcp.StaticText("x"),
		Annotations: &fastmcp.Annotations{LastModified: "2025-01-02T03:04:05Z"},
	})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{
		URITemplate: "test://t/{x}", Name: "t",
		Annotations: &fastmcp.Annotations{Priority: &prio, LastModified: "2025-01-02T03:04:05Z"},
	}, func(*fastmcp.Context, string, map[string]string) ([]*fastmcp.ResourceContents, error) {
		return nil, nil
	})
	annotations := func(t *testing.T, raw json.RawMessage) [][]string {
		var items []struct {
			Annotations json.RawMessage `json:"annotations"`
		}
		if err := json.Unmarshal(raw, &items); err != nil {
			t.Fatal(err)
		}
		var out [][]string
		for _, it := range items {
			if it.Annotations == nil {
				out = append(out, nil)
				continue
			}
			out = append(out, objectKeys(t, it.Annotations))
		}
		return out
	}
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			wantRes := [][]string{{"audience", "lastModified"}, {"lastModified"}}
			wantTmpl := [][]string{{"lastModified", "priority"}}
			if rev < fastmcp.ProtocolVersion20250618 {
				// lastModified arrived with 2025-06-18; annotations left
				// empty are left out.
				wantRes = [][]string{{"audience"}, nil}
				wantTmpl = [][]string{{"priority"}}
			}
			res := callRawObject(t, c, "resources/list", nil)
			if diff := testdiff.Diff(wantRes, annotations(t, res["resources"])); diff != "" {
				t.Errorf("resource annotations (-want +got):\n%s", diff)
			}
			res = callRawObject(t, c, "resources/templates/list", nil)
			if diff := testdiff.Diff(wantTmpl, annotations(t, res["resourceTemplates"])); diff != "" {
				t.Errorf("template annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceContentsMetaShapedByRevision(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	s.AddResource(fastmcp.Resource{URI: "test://m", Name: "m", Load: func(*fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
		return []*fastmcp.ResourceContents{{Text: "t", Meta: fastmcp.Meta{"k": "v"}}, {Blob: []byte("b"), Meta: fastmcp.Meta{"k": "v"}}}, nil
	}})
	for _, rev := range fastmcp.HandshakeProtocolVersions() {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			c := testkit.Connect(t, s, &fastmcptest.Options{ProtocolVersion: rev})
			res := callRawObject(t, c, "resources/read", map[string]string{"uri": "test://m"})
			var contents []json.RawMessage
			if err := json.Unmarshal(res["contents"], &contents); err != nil {
				t.Fatal(err)
			}
			wantMeta := rev >= fastmcp.ProtocolVersion20250618 // _meta arrived with 2025-06-18
			for i, raw := range contents {
				if got := slices.Contains(objectKeys(t, raw), "_meta"); got != wantMeta {
					t.Errorf("contents[%d] has _meta = %v in %s, want %v: %s", i, got, rev, wantMeta, raw)
				}
			}
		})
	}
}
