package openapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A document sent without a length is read up to the limit, and refused
// past it.
func TestFetchLimitWithoutLength(t *testing.T) {
	old := maxDocumentBytes
	maxDocumentBytes = 1 << 10
	t.Cleanup(func() { maxDocumentBytes = old })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 100 { // 10 KB in flushed chunks: no Content-Length
			io.WriteString(w, strings.Repeat("#", 100))
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(ts.Close)
	if _, err := Fetch(context.Background(), nil, ts.URL); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("err = %v", err)
	}
}
