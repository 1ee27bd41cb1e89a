package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp/openapi"
)

var pngBytes = []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R'}

// newWidgetsAPI serves testdata/widgets.yaml at /docs/openapi.yaml and the
// API it describes under /v1 (its relative server URL).
func newWidgetsAPI(t *testing.T) (*recorder, string) {
	doc, err := os.ReadFile("testdata/widgets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(doc)
	})
	mux.HandleFunc("GET /v1/widgets", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []any{})
	})
	mux.HandleFunc("POST /v1/widgets", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		m["id"] = 7
		writeJSON(w, http.StatusCreated, m)
	})
	mux.HandleFunc("GET /v1/widgets/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "7" {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "no widget "+r.PathValue("id"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 7, "name": "w"})
	})
	mux.HandleFunc("PATCH /v1/widgets/{id}", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		m["id"] = r.PathValue("id")
		writeJSON(w, http.StatusOK, m)
	})
	mux.HandleFunc("DELETE /v1/widgets/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/points/{coords}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"coords": r.PathValue("coords")})
	})
	mux.HandleFunc("GET /v1/colors/{rgb}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "color "+r.PathValue("rgb"))
	})
	mux.HandleFunc("POST /v1/search", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(append([]byte("searched "), body...))
	})
	mux.HandleFunc("GET /v1/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes)
	})
	mux.HandleFunc("POST /v1/tree", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	ts := httptest.NewServer(rec.wrap(mux))
	t.Cleanup(ts.Close)
	return rec, ts.URL
}

// An OpenAPI 3.1 document fetched over HTTP, its relative server URL
// resolved against where it came from, driven with the Go SDK client.
func TestOpenAPI31(t *testing.T) {
	t.Parallel()
	rec, base := newWidgetsAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	doc, err := openapi.Fetch(ctx, nil, base+"/docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Location != base+"/docs/openapi.yaml" || doc.Version() != "3.1.0" || doc.Title() != "Widgets" {
		t.Fatalf("document %q %q %q", doc.Location, doc.Version(), doc.Title())
	}
	s, _ := register(t, doc, openapi.Options{})
	cs := connect(t, serveMCP(t, s), nil)
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]*mcp.Tool{}
	for _, tool := range list.Tools {
		tools[tool.Name] = tool
	}

	t.Run("2020-12 schema", func(t *testing.T) {
		schema := toMap(t, tools["createWidget"].InputSchema)
		props := schema["properties"].(map[string]any)
		want := map[string]any{
			"color": map[string]any{"type": []any{"string", "null"}, "enum": []any{"red", "green", nil}},
			"size":  map[string]any{"type": "integer", "exclusiveMinimum": 0.0, "maximum": 10.0},
			"tags":  map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "examples": []any{[]any{"a", "b"}}},
			"kind":  map[string]any{"const": "widget"},
			"name":  map[string]any{"type": "string", "description": "The widget's name."},
		}
		if diff := cmp.Diff(want, props); diff != "" {
			t.Errorf("createWidget properties, the allOf merged (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]any{"name"}, schema["required"]); diff != "" {
			t.Errorf("required (-want +got):\n%s", diff)
		}
		patch := toMap(t, tools["patchWidget"].InputSchema)["properties"].(map[string]any)
		if _, ok := patch["id"]; ok {
			t.Error("the readOnly id is a body argument")
		}
		if diff := cmp.Diff(map[string]any{"type": "array", "prefixItems": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}, patch["pair"]); diff != "" {
			t.Errorf("pair (-want +got):\n%s", diff)
		}
	})

	t.Run("body with null and validation", func(t *testing.T) {
		res := call(t, cs, "createWidget", map[string]any{"name": "w", "color": nil, "size": 3, "kind": "widget"})
		mustOK(t, res)
		if body := string(rec.last(t).Body); body != `{"color":null,"kind":"widget","name":"w","size":3}` {
			t.Errorf("body %s", body)
		}
		if got := structured(t, res)["id"]; got != 7.0 {
			t.Errorf("answer %v", structured(t, res))
		}
		before := rec.count()
		mustError(t, call(t, cs, "createWidget", map[string]any{"name": "w", "size": 0}), "size")
		mustError(t, call(t, cs, "createWidget", map[string]any{"name": "w", "kind": "gadget"}), "kind")
		mustError(t, call(t, cs, "createWidget", map[string]any{"name": "w", "colour": "red"}), "colour")
		if rec.count() != before {
			t.Error("an invalid call reached the API")
		}
	})

	t.Run("query styles, header and cookie", func(t *testing.T) {
		mustOK(t, call(t, cs, "listWidgets", map[string]any{
			"kind": []string{"a", "b c"}, "filter": map[string]any{"size": 2, "color": "red"}, "ids": []int{1, 2},
			"X-Trace": "t-1", "session": "s1",
		}))
		req := rec.last(t)
		if req.Query != "kind=a,b%20c&filter[color]=red&filter[size]=2&ids=1|2" {
			t.Errorf("query %q", req.Query)
		}
		if req.Header.Get("X-Trace") != "t-1" || len(req.Cookies) != 1 || req.Cookies[0].Name != "session" || req.Cookies[0].Value != "s1" {
			t.Errorf("header %q cookies %v", req.Header.Get("X-Trace"), req.Cookies)
		}
		mustError(t, call(t, cs, "listWidgets", map[string]any{"X-Trace": "a\r\nInjected: 1"}), "line breaks")
		mustError(t, call(t, cs, "listWidgets", map[string]any{"session": "a; admin=1"}), "semicolons")
	})

	t.Run("path styles", func(t *testing.T) {
		res := call(t, cs, "getPoint", map[string]any{"coords": map[string]any{"y": 2, "x": 1}})
		mustOK(t, res)
		if p := rec.last(t).Path; p != "/v1/points/;x=1;y=2" {
			t.Errorf("matrix path %q", p)
		}
		res = call(t, cs, "getColor", map[string]any{"rgb": []int{10, 20, 30}})
		mustOK(t, res)
		if p := rec.last(t).Path; p != "/v1/colors/.10.20.30" || textOf(res) != "color .10.20.30" {
			t.Errorf("label path %q, answer %q", p, textOf(res))
		}
	})

	t.Run("collisions", func(t *testing.T) {
		props := toMap(t, tools["patchWidget"].InputSchema)["properties"].(map[string]any)
		for _, name := range []string{"id__path", "id__query", "name", "note", "pair"} {
			if _, ok := props[name]; !ok {
				t.Errorf("no argument %s in %v", name, slices.Sorted(mapsKeys(props)))
			}
		}
		res := call(t, cs, "patchWidget", map[string]any{"id__path": "w-1", "id__query": "k1", "note": nil})
		mustOK(t, res)
		req := rec.last(t)
		if req.Path != "/v1/widgets/w-1" || req.Query != "id=k1" || string(req.Body) != `{"note":null}` || req.Header.Get("Content-Type") != "application/merge-patch+json" {
			t.Errorf("request %s?%s %s %q", req.Path, req.Query, req.Body, req.Header.Get("Content-Type"))
		}
	})

	t.Run("type list path parameter and text error", func(t *testing.T) {
		mustOK(t, call(t, cs, "getWidget", map[string]any{"id": 7}))
		mustError(t, call(t, cs, "getWidget", map[string]any{"id": "gizmo"}), "404 Not Found", "no widget gizmo")
		mustError(t, call(t, cs, "getWidget", map[string]any{"id": true}), "id")
	})

	t.Run("no content", func(t *testing.T) {
		res := call(t, cs, "deleteWidget", map[string]any{"id": 7})
		mustOK(t, res)
		if textOf(res) != "HTTP 204 No Content (empty body)" {
			t.Errorf("text %q", textOf(res))
		}
	})

	t.Run("oneOf body", func(t *testing.T) {
		res := call(t, cs, "search", map[string]any{"body": map[string]any{"text": "q"}})
		mustOK(t, res)
		if textOf(res) != `searched {"text":"q"}` {
			t.Errorf("text %q", textOf(res))
		}
		res = call(t, cs, "search", map[string]any{"body": "plain words"})
		mustOK(t, res)
		if textOf(res) != `searched "plain words"` {
			t.Errorf("text %q", textOf(res))
		}
		mustError(t, call(t, cs, "search", map[string]any{"body": 5}), "body")
	})

	t.Run("image answer", func(t *testing.T) {
		res := call(t, cs, "getImage", nil)
		mustOK(t, res)
		img, ok := res.Content[0].(*mcp.ImageContent)
		if !ok || img.MIMEType != "image/png" || !bytes.Equal(img.Data, pngBytes) {
			t.Errorf("content %#v", res.Content[0])
		}
	})

	t.Run("recursive schema", func(t *testing.T) {
		schema := toMap(t, tools["addNode"].InputSchema)
		node := schema["$defs"].(map[string]any)["Node"].(map[string]any)
		if diff := cmp.Diff(map[string]any{"$ref": "#/$defs/Node"}, node["properties"].(map[string]any)["children"].(map[string]any)["items"]); diff != "" {
			t.Errorf("Node.children.items (-want +got):\n%s", diff)
		}
		tree := map[string]any{"name": "root", "children": []any{map[string]any{"name": "a", "children": []any{map[string]any{"name": "b"}}}}}
		res := call(t, cs, "addNode", tree)
		mustOK(t, res)
		if diff := cmp.Diff(tree, structured(t, res)); diff != "" {
			t.Errorf("tree (-want +got):\n%s", diff)
		}
		mustError(t, call(t, cs, "addNode", map[string]any{"name": "root", "children": []any{map[string]any{"children": []any{}}}}), "name")
	})
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// A relative server URL needs the document's location or Options.BaseURL.
func TestRelativeServerNeedsLocation(t *testing.T) {
	t.Parallel()
	doc := parseFile(t, "widgets.yaml")
	_, err := openapi.Register(newServer(), doc, openapi.Options{})
	if !errors.Is(err, openapi.ErrNoBaseURL) || !strings.Contains(err.Error(), "relative") {
		t.Fatalf("err = %v", err)
	}
	comps, err := openapi.Register(newServer(), doc, openapi.Options{BaseURL: "http://127.0.0.1:1/api"})
	if err != nil || len(comps) != 10 {
		t.Fatalf("%d components, err %v", len(comps), err)
	}
}
