package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

func prm(name, in, style string, explode bool) *param {
	return &param{name: name, in: in, prop: name, style: style, explode: explode, required: in == "path"}
}

func testOp(method, path string, body *bodySpec, params ...*param) *operation {
	return &operation{info: &Operation{Method: method, Path: path}, method: method, path: path,
		base: "https://api.test/v1", params: params, body: body, rt: newRuntime(Options{})}
}

func TestNewRequest(t *testing.T) {
	t.Parallel()
	reserved := prm("q", "query", "form", true)
	reserved.allowReserved = true
	jsonParam := prm("filter", "query", "form", true)
	jsonParam.json = true
	flat := &bodySpec{mediaType: "application/json", encoding: encJSON, flat: true}
	flatRequired := &bodySpec{mediaType: "application/json", encoding: encJSON, flat: true, required: true}
	form := &bodySpec{mediaType: "application/x-www-form-urlencoded", encoding: encForm, flat: true}
	raw := &bodySpec{mediaType: "text/plain", encoding: encRaw, required: true}
	wrapped := &bodySpec{mediaType: "*/*", encoding: encJSON}
	for _, tc := range []struct {
		name    string
		op      *operation
		args    string
		url     string
		header  map[string]string
		body    string
		wantErr string
	}{
		{name: "simple path scalar", op: testOp("GET", "/pets/{id}", nil, prm("id", "path", "simple", false)),
			args: `{"id":12345678901234567890}`, url: "https://api.test/v1/pets/12345678901234567890"},
		{name: "path escaping", op: testOp("GET", "/files/{name}/raw", nil, prm("name", "path", "simple", false)),
			args: `{"name":"a/b?c#d%e f+ü"}`, url: "https://api.test/v1/files/a%2Fb%3Fc%23d%25e%20f%2B%C3%BC/raw"},
		{name: "harmless dots", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{"name":"...a..b"}`, url: "https://api.test/v1/files/...a..b"},
		{name: "dot dot", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{"name":".."}`, wantErr: `path segment ".."`},
		{name: "dot", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{"name":"."}`, wantErr: `path segment "."`},
		{name: "dot dot inside", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{"name":"a/../../etc"}`, wantErr: `path segment ".."`},
		{name: "backslash dot dot", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{"name":"..\\etc"}`, wantErr: `path segment ".."`},
		{name: "dot dot in an array", op: testOp("GET", "/files/{names}", nil, prm("names", "path", "simple", false)),
			args: `{"names":["a",".."]}`, wantErr: `path segment ".."`},
		{name: "empty path value", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{"name":""}`, wantErr: "must not be empty"},
		{name: "missing path value", op: testOp("GET", "/files/{name}", nil, prm("name", "path", "simple", false)),
			args: `{}`, wantErr: `missing path parameter "name"`},
		{name: "simple array", op: testOp("GET", "/p/{ids}", nil, prm("ids", "path", "simple", false)),
			args: `{"ids":[1,"a,b",true]}`, url: "https://api.test/v1/p/1,a%2Cb,true"},
		{name: "simple object", op: testOp("GET", "/p/{o}", nil, prm("o", "path", "simple", false)),
			args: `{"o":{"b":2,"a":1}}`, url: "https://api.test/v1/p/a,1,b,2"},
		{name: "simple object exploded", op: testOp("GET", "/p/{o}", nil, prm("o", "path", "simple", true)),
			args: `{"o":{"b":2,"a":1}}`, url: "https://api.test/v1/p/a=1,b=2"},
		{name: "label scalar", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "label", false)),
			args: `{"v":"x"}`, url: "https://api.test/v1/p/.x"},
		{name: "label array", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "label", false)),
			args: `{"v":["x","y"]}`, url: "https://api.test/v1/p/.x,y"},
		{name: "label array exploded", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "label", true)),
			args: `{"v":["x","y"]}`, url: "https://api.test/v1/p/.x.y"},
		{name: "matrix scalar", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "matrix", false)),
			args: `{"v":5}`, url: "https://api.test/v1/p/;v=5"},
		{name: "matrix array", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "matrix", false)),
			args: `{"v":[1,2]}`, url: "https://api.test/v1/p/;v=1,2"},
		{name: "matrix array exploded", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "matrix", true)),
			args: `{"v":[1,2]}`, url: "https://api.test/v1/p/;v=1;v=2"},
		{name: "matrix object", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "matrix", false)),
			args: `{"v":{"x":1,"y":2}}`, url: "https://api.test/v1/p/;v=x,1,y,2"},
		{name: "matrix object exploded", op: testOp("GET", "/p/{v}", nil, prm("v", "path", "matrix", true)),
			args: `{"v":{"x":1,"y":2}}`, url: "https://api.test/v1/p/;x=1;y=2"},
		{name: "form exploded array", op: testOp("GET", "/q", nil, prm("tag", "query", "form", true)),
			args: `{"tag":["a b","c&d"]}`, url: "https://api.test/v1/q?tag=a%20b&tag=c%26d"},
		{name: "form array", op: testOp("GET", "/q", nil, prm("tag", "query", "form", false)),
			args: `{"tag":["a","b,c"]}`, url: "https://api.test/v1/q?tag=a,b%2Cc"},
		{name: "space delimited", op: testOp("GET", "/q", nil, prm("tag", "query", "spaceDelimited", false)),
			args: `{"tag":["a","b"]}`, url: "https://api.test/v1/q?tag=a%20b"},
		{name: "pipe delimited", op: testOp("GET", "/q", nil, prm("tag", "query", "pipeDelimited", false)),
			args: `{"tag":["a","b|c"]}`, url: "https://api.test/v1/q?tag=a|b%7Cc"},
		{name: "deep object", op: testOp("GET", "/q", nil, prm("f", "query", "deepObject", true)),
			args: `{"f":{"size":2,"color":"red blue"}}`, url: "https://api.test/v1/q?f[color]=red%20blue&f[size]=2"},
		{name: "form object exploded", op: testOp("GET", "/q", nil, prm("f", "query", "form", true)),
			args: `{"f":{"b":2,"a":"x"}}`, url: "https://api.test/v1/q?a=x&b=2"},
		{name: "form object", op: testOp("GET", "/q", nil, prm("f", "query", "form", false)),
			args: `{"f":{"b":2,"a":"x"}}`, url: "https://api.test/v1/q?f=a,x,b,2"},
		{name: "allowReserved", op: testOp("GET", "/q", nil, reserved),
			args: `{"q":"a/b:c?d&e=f#g"}`, url: "https://api.test/v1/q?q=a/b:c?d%26e%3Df%23g"},
		{name: "null and absent left out", op: testOp("GET", "/q", nil, prm("a", "query", "form", true), prm("b", "query", "form", true), prm("c", "query", "form", true)),
			args: `{"a":null,"c":false}`, url: "https://api.test/v1/q?c=false"},
		{name: "empty string sent", op: testOp("GET", "/q", nil, prm("a", "query", "form", true)),
			args: `{"a":""}`, url: "https://api.test/v1/q?a="},
		{name: "JSON content parameter", op: testOp("GET", "/q", nil, jsonParam),
			args: `{"filter":{"a": [1, 2]}}`, url: "https://api.test/v1/q?filter=%7B%22a%22%3A%20%5B1%2C%202%5D%7D"},
		{name: "header array and object", op: testOp("GET", "/h", nil, prm("X-List", "header", "simple", false), prm("X-Obj", "header", "simple", true)),
			args: `{"X-List":["a","b"],"X-Obj":{"k":"v","j":1}}`, url: "https://api.test/v1/h",
			header: map[string]string{"X-List": "a,b", "X-Obj": "j=1,k=v"}},
		{name: "header injection", op: testOp("GET", "/h", nil, prm("X-A", "header", "simple", false)),
			args: `{"X-A":"v\r\nX-Evil: 1"}`, wantErr: "line breaks"},
		{name: "cookies", op: testOp("GET", "/c", nil, prm("a", "cookie", "form", true), prm("b", "cookie", "form", true)),
			args: `{"a":"1","b":["x","y"]}`, url: "https://api.test/v1/c", header: map[string]string{"Cookie": "a=1; b=x,y"}},
		{name: "cookie injection", op: testOp("GET", "/c", nil, prm("a", "cookie", "form", true)),
			args: `{"a":"1; admin=true"}`, wantErr: "semicolons"},
		{name: "flat body", op: testOp("POST", "/b/{id}", flat, prm("id", "path", "simple", false)),
			args: `{"id":1,"name":"n","n":1.50}`, url: "https://api.test/v1/b/1",
			header: map[string]string{"Content-Type": "application/json"}, body: `{"n":1.50,"name":"n"}`},
		{name: "optional flat body absent", op: testOp("POST", "/b", flat), args: `{}`, url: "https://api.test/v1/b"},
		{name: "required flat body empty", op: testOp("POST", "/b", flatRequired), args: `{}`, url: "https://api.test/v1/b", body: `{}`},
		{name: "form body", op: testOp("POST", "/f", form), args: `{"name":"a b","tags":["x","y"],"n":null}`,
			url: "https://api.test/v1/f", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "name=a+b&tags=x&tags=y"},
		{name: "raw body", op: testOp("PUT", "/r", raw), args: `{"body":"line 1\nline 2"}`, url: "https://api.test/v1/r",
			header: map[string]string{"Content-Type": "text/plain"}, body: "line 1\nline 2"},
		{name: "raw body missing", op: testOp("PUT", "/r", raw), args: `{}`, wantErr: "missing the request body"},
		{name: "wrapped body of any type", op: testOp("POST", "/w", wrapped), args: `{"body":[1, 2]}`, url: "https://api.test/v1/w",
			header: map[string]string{"Content-Type": "application/json"}, body: `[1, 2]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.args), &args); err != nil {
				t.Fatal(err)
			}
			req, err := tc.op.newRequest(context.Background(), args)
			if tc.wantErr != "" {
				var ae *argError
				if err == nil || !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want an argument error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.String() != tc.url {
				t.Errorf("URL %s\nwant %s", req.URL, tc.url)
			}
			for k, v := range tc.header {
				if got := req.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
			}
			if string(body) != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
		})
	}
}

// Static headers go first; header parameters override them; Accept follows
// the operation's answers.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	op := testOp("GET", "/x", nil, prm("X-Key", "header", "simple", false))
	op.rt = newRuntime(Options{Headers: http.Header{"X-Key": {"static"}, "X-Other": {"o"}}})
	op.accept = "application/json, text/plain"
	req, err := op.newRequest(context.Background(), map[string]json.RawMessage{})
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-Key") != "static" || req.Header.Get("X-Other") != "o" || req.Header.Get("Accept") != "application/json, text/plain" {
		t.Errorf("headers %v", req.Header)
	}
	req, err = op.newRequest(context.Background(), map[string]json.RawMessage{"X-Key": json.RawMessage(`"param"`)})
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-Key") != "param" {
		t.Errorf("X-Key %q", req.Header.Get("X-Key"))
	}
	// The runtime's copy is not the caller's map.
	if op.rt.headers.Get("X-Key") != "static" {
		t.Error("a request changed the static headers")
	}
}

// blockingTransport answers nothing until the request is cancelled.
type blockingTransport struct{}

func (blockingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// stallingBody sends headers then a body that never ends.
type stallingBody struct{ ctx context.Context }

func (b stallingBody) Read([]byte) (int, error) {
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}
func (stallingBody) Close() error { return nil }

type stallingTransport struct{}

func (stallingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/plain"}},
		Body: stallingBody{r.Context()}, ContentLength: -1, Request: r}, nil
}

// The timeout bounds the whole exchange, in fake time: a server that never
// answers and one that never finishes its body both end at exactly the
// timeout; a cancelled call says it was cancelled.
func TestTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		transport http.RoundTripper
		timeout   time.Duration
		want      time.Duration
	}{
		{"never answers", blockingTransport{}, 0, DefaultTimeout},
		{"stalls the body", stallingTransport{}, 0, DefaultTimeout},
		{"custom timeout", blockingTransport{}, 1500 * time.Millisecond, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				op := testOp("GET", "/x", nil)
				op.rt = newRuntime(Options{Client: &http.Client{Transport: tc.transport}, Timeout: tc.timeout})
				start := time.Now()
				res, err := op.call(context.Background(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if elapsed := time.Since(start); elapsed != tc.want {
					t.Errorf("ended after %v, want %v", elapsed, tc.want)
				}
				if !res.IsError || !strings.Contains(resultText(res), "GET /v1/x timed out after "+tc.want.String()) {
					t.Errorf("result %+v", resultText(res))
				}
			})
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			op := testOp("GET", "/x", nil)
			op.rt = newRuntime(Options{Client: &http.Client{Transport: blockingTransport{}}})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(time.Second, cancel)
			res, err := op.call(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.IsError || !strings.Contains(resultText(res), "GET /v1/x was cancelled") {
				t.Errorf("result %q", resultText(res))
			}
		})
	})
}

func TestCutUTF8(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
		cut  bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 3, "hel", true},
		{"héllo", 2, "h", true},  // inside é
		{"h€llo", 3, "h", true},  // inside the 3-byte €
		{"h€llo", 4, "h€", true}, // after it
		{"ab\xff", 3, "ab\xff", false},
		{"", 0, "", false},
	} {
		got, cut := cutUTF8([]byte(tc.in), tc.n)
		if string(got) != tc.want || cut != tc.cut {
			t.Errorf("cutUTF8(%q, %d) = %q, %v; want %q, %v", tc.in, tc.n, got, cut, tc.want, tc.cut)
		}
	}
}

// resultText joins the text blocks of a result.
func resultText(res *fastmcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*fastmcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
