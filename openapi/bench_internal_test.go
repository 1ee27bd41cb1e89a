package openapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

// BenchmarkParsePetstore and BenchmarkRegisterPetstore measure start-up: the
// Swagger Petstore 3 document, 19 operations.
func BenchmarkParsePetstore(b *testing.B) {
	data, err := os.ReadFile("testdata/petstore.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegisterPetstore(b *testing.B) {
	data, err := os.ReadFile("testdata/petstore.yaml")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := fastmcp.New(fastmcp.Options{Name: "bench"})
		if _, err := Register(s, doc, Options{BaseURL: "http://127.0.0.1:1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall compares a call through an operation (arguments to request,
// answer to result) with the same request sent by hand, on loopback: the
// difference is what the translation costs per call.
func BenchmarkCall(b *testing.B) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"name":"Rex","photoUrls":["a.jpg"],"tags":[{"id":1,"name":"good"}],"status":"available"}`)
	}))
	b.Cleanup(api.Close)
	client := &http.Client{}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest("GET", api.URL+"/pet/1?status=available&tags=a&tags=b", nil)
			req.Header.Set("Accept", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var v map[string]any
			json.Unmarshal(body, &v)
		}
	})
	b.Run("operation", func(b *testing.B) {
		op := testOp("GET", "/pet/{petId}", nil, prm("petId", "path", "simple", false),
			prm("status", "query", "form", true), prm("tags", "query", "form", true))
		op.base, op.accept = api.URL, "application/json"
		op.rt = newRuntime(Options{Client: client})
		args := json.RawMessage(`{"petId":1,"status":"available","tags":["a","b"]}`)
		b.ReportAllocs()
		for b.Loop() {
			res, err := op.call(context.Background(), args)
			if err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
	})
}
