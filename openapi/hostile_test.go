package openapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp/openapi"
)

// cyclicDoc has recursive schemas that nest (fine) and reference cycles
// that do not (no value could ever be validated against them).
const cyclicDoc = `
openapi: 3.0.3
info: {title: cycles, version: "1"}
servers: [{url: "http://127.0.0.1:1"}]
paths:
  /nodes:
    post:
      operationId: addNode
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Node'}
      responses: {"200": {description: ok}}
  /pairs:
    post:
      operationId: addPair
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/A'}
      responses: {"200": {description: ok}}
  /self:
    post:
      operationId: useSelf
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                s: {$ref: '#/components/schemas/Self'}
      responses: {"200": {description: ok}}
  /loop:
    post:
      operationId: useLoop
      parameters:
        - name: q
          in: query
          schema: {$ref: '#/components/schemas/Loop'}
      responses: {"200": {description: ok}}
  /chain:
    post:
      operationId: useChain
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/X'}
      responses: {"200": {description: ok}}
components:
  schemas:
    Node:
      type: object
      properties:
        name: {type: string}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
        pair: {$ref: '#/components/schemas/A'}
    A:
      type: object
      properties:
        b: {$ref: '#/components/schemas/B'}
        n: {type: integer}
    B:
      type: object
      properties:
        a: {$ref: '#/components/schemas/A'}
    Self: {$ref: '#/components/schemas/Self'}
    Loop:
      allOf:
        - {$ref: '#/components/schemas/Loop'}
        - {type: string}
    X: {$ref: '#/components/schemas/Y'}
    Y:
      anyOf:
        - {$ref: '#/components/schemas/X'}
`

func TestCyclicReferences(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Parse([]byte(cyclicDoc))
	if err != nil {
		t.Fatal(err)
	}
	s := newServer()
	comps, err := openapi.Register(s, doc, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, c := range comps {
		if c.Err != nil {
			status[c.Operation.OperationID] = c.Err.Error()
		} else {
			status[c.Operation.OperationID] = "ok"
		}
	}
	for op, want := range map[string]string{"addNode": "ok", "addPair": "ok", "useSelf": "itself", "useLoop": "itself", "useChain": "itself"} {
		if !strings.Contains(status[op], want) {
			t.Errorf("%s: %q, want %q", op, status[op], want)
		}
	}
	cs := connect(t, serveMCP(t, s), nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tools) != 2 {
		t.Fatalf("%d tools listed, want addNode and addPair", len(list.Tools))
	}
	// Nested values are validated against the recursive schemas; the
	// invalid one never reaches the (absent) API.
	res := call(t, cs, "addPair", map[string]any{"b": map[string]any{"a": map[string]any{"n": "not a number"}}})
	mustError(t, res, "Invalid arguments")
	res = call(t, cs, "addNode", map[string]any{"name": "r", "children": []any{map[string]any{"pair": map[string]any{"b": map[string]any{"a": map[string]any{"n": 1}}}}}})
	mustError(t, res, "POST /nodes failed") // valid: sent to a closed port
}

// hostileDoc has what real documents get wrong: a pattern Go cannot
// compile, defaults that do not fit, unknown types, extensions the core
// interprets, odd names.
var hostileDoc = `
openapi: 3.0.3
info: {title: hostile, version: "1"}
servers: [{url: "http://127.0.0.1:1/{version}", variables: {version: {default: v2}}}]
paths:
  /a:
    get:
      operationId: "list.things/ünïcödé & more!!"
      parameters:
        - {name: code, in: query, schema: {type: string, pattern: "^(?=x)\\w+$"}}
        - {name: limit, in: query, schema: {type: integer, default: "ten"}}
        - {name: page, in: query, schema: {type: integer, minimum: 1, default: 0}}
        - {name: kind, in: query, schema: {type: string, enum: [a, b], default: c}}
        - {name: file, in: query, schema: {type: file}}
        - {name: h, in: query, schema: {type: string, x-mcp-header: "bad header"}}
      responses: {"200": {description: ok}}
  /b:
    get:
      operationId: "list.things/ünïcödé & more!!"
      responses: {"200": {description: ok}}
  /c/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /d:
    get:
      operationId: "` + strings.Repeat("x", 300) + `"
      responses: {"200": {description: ok}}
  /e:
    get:
      operationId: "` + strings.Repeat("x", 300) + `"
      responses: {"200": {description: ok}}
  "{host}":
    get:
      operationId: hostInPath
      parameters: [{name: host, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /f:
    post:
      operationId: "!!!"
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {type: object, properties: {file: {type: string, format: binary}}}
      responses: {"200": {description: ok}}
`

func TestHostileDocument(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Parse([]byte(hostileDoc))
	if err != nil {
		t.Fatal(err)
	}
	s := newServer()
	comps, err := openapi.Register(s, doc, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range comps {
		if c.Err != nil {
			if !(c.Operation.Path == "/f" && strings.Contains(c.Err.Error(), "multipart/form-data")) &&
				!(c.Operation.Path == "{host}" && strings.Contains(c.Err.Error(), "does not begin with /")) {
				t.Errorf("%s skipped: %v", c.Operation.Path, c.Err)
			}
			continue
		}
		names = append(names, c.Name)
	}
	want := []string{"list_things_n_c_d_more", "list_things_n_c_d_more_2", "get_c_id", strings.Repeat("x", 64), strings.Repeat("x", 62) + "_2"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("names %q, want %q", names, want)
	}
	cs := connect(t, serveMCP(t, s), nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first *mcp.Tool
	for _, tool := range list.Tools {
		if tool.Name == "list_things_n_c_d_more" {
			first = tool
		}
	}
	props := toMap(t, first.InputSchema)["properties"].(map[string]any)
	for name, want := range map[string]string{
		"code":  `map[type:string]`,            // the pattern Go cannot compile is dropped
		"limit": `map[type:integer]`,           // a default of another type is dropped
		"page":  `map[minimum:1 type:integer]`, // a default out of bounds: defaults dropped
		"kind":  `map[enum:[a b] type:string]`,
		"file":  `map[]`,
		"h":     `map[type:string]`,
	} {
		if got := fmt.Sprint(props[name]); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// A response larger than the cap is cut with a marker; a cut JSON answer is
// text only; an error body is quoted only up to MaxErrorBytes; a compressed
// body is bounded after decompression.
func TestResponseLimits(t *testing.T) {
	t.Parallel()
	big := `{"data":"` + strings.Repeat("é", 600_000) + `"}` // 1.2 MB
	mux := http.NewServeMux()
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		io.WriteString(w, big)
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for range 100 {
			io.WriteString(w, strings.Repeat("line\n", 1000))
			w.(http.Flusher).Flush() // chunked: no Content-Length
		}
	})
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "<h1>boom</h1>"+strings.Repeat("x", 1<<20))
	})
	// 2 MiB of zeros, 2 KiB on the wire: the cap applies to what the
	// transport decompresses.
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 2<<20))
	zw.Close()
	mux.HandleFunc("GET /bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	doc := fmt.Sprintf(`{"openapi":"3.0.3","info":{"title":"limits","version":"1"},"servers":[{"url":%q}],"paths":{
		"/big":{"get":{"operationId":"big","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"object"}}}}}}},
		"/stream":{"get":{"operationId":"stream","responses":{"200":{"description":"ok"}}}},
		"/fail":{"get":{"operationId":"fail","responses":{"200":{"description":"ok"}}}},
		"/bomb":{"get":{"operationId":"bomb","responses":{"200":{"description":"ok"}}}}}}`, api.URL)
	d, err := openapi.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := register(t, d, openapi.Options{MaxResponseBytes: 64 << 10, MaxErrorBytes: 100})
	cs := connect(t, serveMCP(t, s), nil)

	res := call(t, cs, "big", nil)
	mustOK(t, res)
	text := textOf(res)
	if res.StructuredContent != nil {
		t.Error("a cut JSON answer has structured content")
	}
	// 65,535: the cut does not split the two-byte é at the limit.
	if !strings.HasSuffix(text, fmt.Sprintf("é\n\n[response truncated: showing the first %d bytes of %d bytes]", 64<<10-1, len(big))) {
		t.Errorf("text ends %q", text[max(0, len(text)-120):])
	}
	if len(text) > 64<<10+200 {
		t.Errorf("text of %d bytes", len(text))
	}

	res = call(t, cs, "stream", nil)
	mustOK(t, res)
	if !strings.HasSuffix(textOf(res), fmt.Sprintf("[response truncated: showing the first %d bytes of more than %d bytes]", 64<<10, 64<<10)) {
		t.Errorf("stream text ends %q", textOf(res)[max(0, len(textOf(res))-120):])
	}

	res = call(t, cs, "fail", nil)
	mustError(t, res, "HTTP 500 Internal Server Error", "<h1>boom</h1>", "[… error body truncated]")
	if len(textOf(res)) > 300 {
		t.Errorf("error text of %d bytes", len(textOf(res)))
	}

	res = call(t, cs, "bomb", nil)
	mustOK(t, res)
	if len(textOf(res)) > 64<<10+200 || !strings.Contains(textOf(res), "[response truncated") {
		t.Errorf("decompressed answer of %d bytes", len(textOf(res)))
	}
}

// An API that never answers is bounded by Options.Timeout; one that is not
// there fails at once; both are error results naming the request.
func TestUnresponsiveAPI(t *testing.T) {
	t.Parallel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	}))
	t.Cleanup(hang.Close)
	// A port with nothing listening: a listener opened and closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	// A server that sends headers then stalls the body.
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"partial":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(stall.Close)

	docFor := func(base string) *openapi.Document {
		d, err := openapi.Parse([]byte(fmt.Sprintf(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"servers":[{"url":%q}],
			"paths":{"/x":{"get":{"operationId":"x","responses":{"200":{"description":"ok"}}}}}}`, base)))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const timeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name, base, want string
	}{
		{"never answers", hang.URL, "GET /x timed out after 200ms"},
		{"stalls the body", stall.URL, "GET /x timed out after 200ms"},
		{"not listening", closed, "GET /x failed: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := register(t, docFor(tc.base), openapi.Options{Timeout: timeout, RouteMaps: []openapi.RouteMap{{Kind: openapi.AsTool}}})
			cs := connect(t, serveMCP(t, s), nil)
			start := time.Now()
			res := call(t, cs, "x", nil)
			mustError(t, res, tc.want)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the call took %v", d)
			}
		})
	}
	// The same for a resource read.
	s, _ := register(t, docFor(hang.URL), openapi.Options{Timeout: timeout, RouteMaps: openapi.ResourceRoutes()})
	cs := connect(t, serveMCP(t, s), nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "openapi://x"}); err == nil || !strings.Contains(err.Error(), "timed out after 200ms") {
		t.Errorf("read: %v", err)
	}
}

// Parse refuses what it does not support, clearly, and never panics on
// malformed input.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	aliasBomb := []string{`openapi: 3.0.3`, `info: {title: bomb, version: "1"}`, `x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`}
	for i := 1; i < 10; i++ {
		aliasBomb = append(aliasBomb, fmt.Sprintf("x-a%d: &a%d [%s]", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), ",")))
	}
	aliasBomb = append(aliasBomb, "paths: {}")
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"swagger 2 json", `{"swagger":"2.0","info":{"title":"x","version":"1"},"paths":{}}`, "only OpenAPI 3.0 and 3.1"},
		{"swagger 2 yaml", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", "only OpenAPI 3.0 and 3.1"},
		{"external ref", `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"$ref":"other.yaml#/r"}}}}}}`, "other.yaml"},
		{"dangling ref", `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"parameters":[{"$ref":"#/components/parameters/nope"}],"responses":{}}}}}`, "nope"},
		{"not a document", "\x00\x01\x02", ""},
		{"deep nesting", `{"openapi":"3.0.3","info":{"title":"d","version":"1"},"paths":{},"x-deep":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`, "depth"},
		{"alias bomb", strings.Join(aliasBomb, "\n"), "alias"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := openapi.Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Fetch refuses a document announced as too large, an error status and a
// URL that is not http(s). (A document too large without a length is
// refused too: fetch_internal_test.go.)
func TestFetchErrors(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(openapi.DefaultMaxDocumentBytes+1))
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("openapi: 3.1.0\n"))
	}))
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := openapi.Fetch(ctx, nil, ts.URL+"/huge"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge: %v", err)
	}
	if _, err := openapi.Fetch(ctx, nil, ts.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing: %v", err)
	}
	if _, err := openapi.Fetch(ctx, nil, "file:///etc/passwd"); err == nil || !strings.Contains(err.Error(), "http(s)") {
		t.Errorf("file URL: %v", err)
	}
}
