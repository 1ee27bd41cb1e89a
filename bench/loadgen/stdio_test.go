package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeStdio is a stdio server in the test process: it answers initialize and
// add, sends a notification before the first answer, answers each batch of
// calls it finds buffered in reverse order, and gets the sum of the call
// with id wrong wrong. It returns the load generator's end of the pipes.
func fakeStdio(t *testing.T, wrong int64) *stdioConn {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		inW.Close()
		<-done
		outR.Close()
	})
	go func() {
		defer close(done)
		defer inR.Close()
		defer outW.Close()
		br := bufio.NewReader(inR)
		bw := bufio.NewWriter(outW)
		fmt.Fprintln(bw, `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hello"}}`)
		var pending []string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			var m struct {
				ID     *int64 `json:"id"`
				Method string `json:"method"`
				Params struct {
					Arguments struct{ A, B int } `json:"arguments"`
				} `json:"params"`
			}
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Errorf("fake server: %v: %q", err, line)
				return
			}
			switch {
			case m.ID == nil:
			case m.Method == "initialize":
				pending = append(pending, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":{"protocolVersion":"2025-11-25"}}`, *m.ID))
			default:
				sum := m.Params.Arguments.A + m.Params.Arguments.B
				if *m.ID == wrong {
					sum++
				}
				pending = append(pending, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"result":{"content":[{"type":"text","text":"%d"}]}}`, *m.ID, sum))
			}
			if br.Buffered() > 0 {
				continue
			}
			slices.Reverse(pending)
			for _, p := range pending {
				fmt.Fprintln(bw, p)
			}
			pending = pending[:0]
			if bw.Flush() != nil {
				return
			}
		}
	}()
	c := newStdioConn(inW, outR)
	c.r.SetReadDeadline(time.Now().Add(time.Minute))
	return c
}

// TestStdioClient runs the stdio measurement loops against the fake server:
// sequential and pipelined, with answers out of order, one wrong answer
// counted as an error and every other answer accepted.
func TestStdioClient(t *testing.T) {
	for _, inflight := range []int{1, 8} {
		t.Run(fmt.Sprint(inflight), func(t *testing.T) {
			t.Parallel()
			c := fakeStdio(t, 5)
			if v, err := c.initialize(); err != nil || v != "2025-11-25" {
				t.Fatalf("initialize: %q, %v", v, err)
			}
			now := time.Now()
			win := window{start: now, end: now.Add(200 * time.Millisecond)}
			var errs errCounter
			var lats []int64
			if inflight == 1 {
				lats = stdioSequential(c, win, &errs)
			} else {
				lats = stdioPipelined(c, win, inflight, &errs)
			}
			if n := errs.n.Load(); n != 1 || !strings.Contains(errs.firstErr(), "want text") {
				t.Errorf("%d errors, first %q; want the one wrong sum", n, errs.firstErr())
			}
			if len(lats) < 10 {
				t.Errorf("only %d calls measured", len(lats))
			}
			for _, l := range lats {
				if l <= 0 {
					t.Fatalf("latency %d", l)
				}
			}
		})
	}
}

func TestAnswerID(t *testing.T) {
	for _, tc := range []struct {
		line string
		id   int64
		ok   bool
	}{
		{`{"jsonrpc":"2.0","id":42,"result":{}}`, 42, true},
		{`{"result":{},"id": 7}`, 7, true},
		{`{"jsonrpc":"2.0","id":"x","result":{}}`, 0, false},
		{`{"jsonrpc":"2.0","method":"x"}`, 0, false},
	} {
		id, ok := answerID([]byte(tc.line))
		if id != tc.id || ok != tc.ok {
			t.Errorf("answerID(%s) = %d, %v; want %d, %v", tc.line, id, ok, tc.id, tc.ok)
		}
	}
}

func TestLookupSpec(t *testing.T) {
	for _, tc := range []struct {
		name, base, rev, bin string
		bad                  bool
	}{
		{name: "fastmcp", base: "fastmcp", bin: "fastmcp"},
		{name: "floor", base: "floor", bin: "floor"},
		{name: "fastmcp-proxy", base: "fastmcp-proxy", bin: "fastmcp-proxy"},
		{name: "fastmcp-proxy@c6971a9", bad: true},
		{name: "fastmcp@c6971a9", base: "fastmcp", rev: "c6971a9", bin: "fastmcp@c6971a9"},
		{name: "fastmcp@feature/x", base: "fastmcp", rev: "feature/x", bin: "fastmcp@feature_x"},
		{name: "gosdk@v1", bad: true},
		{name: "fastmcp@", bad: true},
		{name: "fastmcp@-x", bad: true},
		{name: "nope", bad: true},
	} {
		s, err := lookupSpec(tc.name)
		if tc.bad {
			if err == nil {
				t.Errorf("lookupSpec(%q) accepted", tc.name)
			}
			continue
		}
		if err != nil || s.key != tc.name || s.base != tc.base || s.rev != tc.rev || s.bin() != tc.bin {
			t.Errorf("lookupSpec(%q) = %+v (bin %q), %v", tc.name, s, s.bin(), err)
		}
	}
}
