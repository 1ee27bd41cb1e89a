package fastmcp

import (
	"net/http"
	"strconv"
	"strings"
)

// Server-sent events: the framing of Streamable HTTP streams and of the
// legacy HTTP+SSE transport.

// sse writes server-sent events to one HTTP response.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// writeEvent writes one event and flushes it.
func (s sse) writeEvent(id string, data []byte) error {
	bw := s.w
	var b []byte
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, "event: message\ndata: "...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	if _, err := bw.Write(data); err != nil {
		return err
	}
	if _, err := bw.Write([]byte("\n\n")); err != nil {
		return err
	}
	return s.rc.Flush()
}

// writeRaw writes raw SSE lines (a comment, a priming event) and flushes.
func (s sse) writeRaw(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func startSSE(w http.ResponseWriter, sessionID string) sse {
	hdr := w.Header()
	hdr["Content-Type"] = sseContentType
	hdr["Cache-Control"] = noCache
	hdr.Set("X-Accel-Buffering", "no")
	if sessionID != "" {
		hdr["Mcp-Session-Id"] = []string{sessionID}
	}
	w.WriteHeader(http.StatusOK)
	s := sse{w: w, rc: http.NewResponseController(w)}
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
