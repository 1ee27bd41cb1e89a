package clustertest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The proxy spreads requests round robin, skips a backend that refuses
// connections, and streams SSE as it comes.
func TestProxy(t *testing.T) {
	t.Parallel()
	var backends []string
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/sse" {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprintf(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "backend %d got %s", i, body)
		}))
		t.Cleanup(srv.Close)
		backends = append(backends, srv.URL)
	}
	// A backend nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	p := NewProxy(t, backends[0], dead, backends[1])

	seen := map[string]int{}
	for range 6 {
		resp, err := http.Post(p.URL+"/mcp", "application/json", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasSuffix(string(b), "got x") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		seen[string(b[:9])]++
	}
	if seen["backend 0"] == 0 || seen["backend 1"] == 0 {
		t.Errorf("requests were not spread: %v", seen)
	}

	resp, err := http.Get(p.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("SSE through the proxy: %q %v", line, err)
	}
}
