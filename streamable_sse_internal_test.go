package fastmcp

import "testing"

// A line break inside a message (a handler's raw JSON may hold some) must not
// end the SSE data field: it continues on another data line.
func TestAppendEventSplitsLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ id, data, want string }{
		{"", `{"a":1}`, "event: message\ndata: {\"a\":1}\n\n"},
		{"g_3", `{}`, "id: g_3\nevent: message\ndata: {}\n\n"},
		{"", "{\n\"a\":\r\n1\r}", "event: message\ndata: {\ndata: \"a\":\ndata: 1\ndata: }\n\n"},
	} {
		if got := string(appendEvent(nil, tc.id, []byte(tc.data))); got != tc.want {
			t.Errorf("appendEvent(%q, %q) = %q, want %q", tc.id, tc.data, got, tc.want)
		}
	}
}
