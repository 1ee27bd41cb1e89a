package openapi_test

import (
	"os"
	"testing"

	"github.com/fastmcp-go/fastmcp/openapi"
)

// FuzzRegister feeds arbitrary documents to Parse and Register: either may
// refuse one, neither may panic. `go test` runs the seeds; `go test -run '^$'
// -fuzz FuzzRegister -fuzzminimizetime 0` searches further (minimizing the
// large interesting inputs takes the fuzzer minutes per input).
func FuzzRegister(f *testing.F) {
	for _, name := range []string{"petstore.yaml", "widgets.yaml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(cyclicDoc))
	f.Add([]byte(hostileDoc))
	f.Add([]byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a/{b}":{"get":{"parameters":[{"name":"b","in":"path","required":true,"content":{"application/json":{"schema":{"type":"object"}}}}],"responses":{}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := openapi.Parse(data)
		if err != nil {
			return
		}
		for _, routes := range [][]openapi.RouteMap{nil, openapi.ResourceRoutes()} {
			openapi.Register(newServer(), doc, openapi.Options{BaseURL: "http://127.0.0.1:1", RouteMaps: routes})
		}
	})
}
