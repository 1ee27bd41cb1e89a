package testkit_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

func TestSSEReader(t *testing.T) {
	t.Parallel()
	stream := ": keep-alive\n\n" +
		"id: 7\nevent: message\ndata: {\"a\":\ndata: 1}\nretry: 50\n\n" +
		"id:\ndata:x\r\n\r\n" +
		"data: cut"
	r := testkit.NewSSEReader(strings.NewReader(stream))
	want := []testkit.SSEEvent{
		{Comments: []string{": keep-alive"}},
		{ID: "7", HasID: true, Event: "message", Data: "{\"a\":\n1}", HasData: true, Retry: "50"},
		{HasID: true, Data: "x", HasData: true},
	}
	for i, w := range want {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if d := testdiff.Diff(w, ev); d != "" {
			t.Errorf("event %d (-want +got):\n%s", i, d)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a stream ending inside an event: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := testkit.NewSSEReader(strings.NewReader("data: x\n\n")).Next(); err != nil {
		t.Errorf("a complete event: %v", err)
	}
	r = testkit.NewSSEReader(strings.NewReader("data: x\n\n"))
	r.Next()
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("the end of a stream between events: %v, want io.EOF", err)
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id     int64
		params any
		want   string
	}{
		{1, map[string]any{"name": "x"}, `{"id":1,"jsonrpc":"2.0","method":"m","params":{"name":"x"}}`},
		{0, nil, `{"jsonrpc":"2.0","method":"m"}`},
		{-3, nil, `{"id":-3,"jsonrpc":"2.0","method":"m"}`},
	} {
		if got := string(testkit.Encode(tc.id, "m", tc.params)); got != tc.want {
			t.Errorf("Encode(%d, %v) = %s, want %s", tc.id, tc.params, got, tc.want)
		}
	}
}

func TestToolText(t *testing.T) {
	t.Parallel()
	text, isErr := testkit.ToolText(t, []byte(`{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"isError":true}`))
	if text != "a" || !isErr {
		t.Errorf("ToolText = %q, %v", text, isErr)
	}
}
