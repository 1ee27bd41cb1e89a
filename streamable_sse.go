package fastmcp

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Server-sent events: the framing of Streamable HTTP streams and of the
// legacy HTTP+SSE transport.

// sse writes server-sent events to one HTTP response. Every write has a
// deadline (HTTP.StreamWriteTimeout): a client that stops reading makes the
// write fail rather than block its writer for ever.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration // 0: no deadline
}

// appendEvent appends one event carrying data (a JSON message) to b, with an
// id when id is not empty. A line break inside data (a handler's raw JSON may
// hold some) continues on another data line, which SSE joins back.
func appendEvent(b []byte, id string, data []byte) []byte {
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, "event: message\ndata: "...)
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		b = append(b, data[:i]...)
		b = append(b, "\ndata: "...)
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	b = append(b, data...)
	return append(b, '\n', '\n')
}

// deadline arms the write deadline for the writes that follow.
func (s sse) deadline() {
	if s.timeout > 0 {
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	}
}

// writeEvent writes one event and flushes it.
func (s sse) writeEvent(id string, data []byte) error {
	return s.writeRaw(appendEvent(make([]byte, 0, len(data)+64), id, data))
}

// writeRaw writes raw SSE lines (a comment, a priming event, encoded events)
// and flushes.
func (s sse) writeRaw(b []byte) error {
	s.deadline()
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// writeFrames writes encoded events and flushes once.
func (s sse) writeFrames(frames [][]byte) error {
	s.deadline()
	for _, f := range frames {
		if _, err := s.w.Write(f); err != nil {
			return err
		}
	}
	return s.rc.Flush()
}

var keepAliveComment = []byte(": keep-alive\n\n")

// startSSE answers with an event stream, writing its header within timeout.
func startSSE(w http.ResponseWriter, sessionID string, timeout time.Duration) sse {
	hdr := w.Header()
	hdr["Content-Type"] = sseContentType
	hdr["Cache-Control"] = noCache
	hdr.Set("X-Accel-Buffering", "no")
	if sessionID != "" {
		hdr["Mcp-Session-Id"] = []string{sessionID}
	}
	w.WriteHeader(http.StatusOK)
	s := sse{w: w, rc: http.NewResponseController(w), timeout: timeout}
	s.deadline()
	_ = s.rc.Flush()
	return s
}

func eventID(streamID string, index int64) string {
	return streamID + "_" + strconv.FormatInt(index, 10)
}

func parseEventID(id string) (streamID string, index int64, ok bool) {
	i := strings.LastIndexByte(id, '_')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return id[:i], n, true
}

// primingEvent is the first event of a resumable stream (2025-11-25 and later):
// an id to resume from, no data, and the reconnection delay.
func primingEvent(id string) []byte {
	return []byte("id: " + id + "\nretry: 1000\ndata: \n\n")
}
