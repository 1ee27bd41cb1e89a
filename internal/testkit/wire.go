package testkit

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// Encode encodes a JSON-RPC request, or a notification when id is 0. params
// are left out when nil.
func Encode(id int64, method string, params any) []byte {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if id != 0 {
		m["id"] = id
	}
	if params != nil {
		m["params"] = params
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// ToolText returns the text of the first content block of a raw tools/call
// result, and its isError. It fails the test when the result has no content
// or its first block is not text.
func ToolText(t testing.TB, result json.RawMessage) (text string, isError bool) {
	t.Helper()
	var res struct {
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		IsError bool `json:"isError"`
	}
	if err := json.Unmarshal(result, &res); err != nil || len(res.Content) == 0 || res.Content[0].Type != "text" {
		t.Fatalf("not a CallToolResult with text content: %v %s", err, result)
	}
	return res.Content[0].Text, res.IsError
}

// SSEReader reads server-sent events from a response body.
type SSEReader struct{ br *bufio.Reader }

// SSEEvent is one server-sent event, or a block of comments alone (a
// keep-alive).
type SSEEvent struct {
	ID      string
	HasID   bool // an id field was present, even empty
	Event   string
	Data    string // the data lines, joined by newlines
	HasData bool
	Retry   string
	// Comments are the comment lines, ":" included.
	Comments []string
}

// NewSSEReader returns a reader of the events in r.
func NewSSEReader(r io.Reader) *SSEReader { return &SSEReader{br: bufio.NewReader(r)} }

// Next reads the next event or comment block. At the end of the stream it
// returns io.EOF, or io.ErrUnexpectedEOF if the stream ends inside an event.
func (s *SSEReader) Next() (SSEEvent, error) {
	var ev SSEEvent
	seen := false
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			if err == io.EOF && (seen || line != "") {
				err = io.ErrUnexpectedEOF
			}
			return ev, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if seen {
				return ev, nil
			}
			continue
		}
		seen = true
		if strings.HasPrefix(line, ":") {
			ev.Comments = append(ev.Comments, line)
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "id":
			ev.ID, ev.HasID = value, true
		case "event":
			ev.Event = value
		case "data":
			if ev.HasData {
				ev.Data += "\n"
			}
			ev.Data += value
			ev.HasData = true
		case "retry":
			ev.Retry = value
		}
	}
}

// NextMessage reads events until one carries data, skipping comments and
// priming events, and fails the test if the stream ends first.
func (s *SSEReader) NextMessage(t testing.TB) SSEEvent {
	t.Helper()
	for {
		ev, err := s.Next()
		if err != nil {
			t.Fatalf("reading the SSE stream: %v", err)
		}
		if ev.Data != "" {
			return ev
		}
	}
}
