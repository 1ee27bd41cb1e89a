package fastmcp

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// A program that passes an explicit transport to Start while its command
// line asks for another is warned: only Auto reads --transport.
// Not parallel: it sets os.Args, which no parallel test runs beside.
func TestWarnOverriddenTransport(t *testing.T) {
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	for _, tc := range []struct {
		args []string
		t    Transport
		warn string // "" for none
	}{
		{[]string{"--transport", "http"}, Stdio{}, "--transport http is ignored: the program serves stdio"},
		{[]string{"--port", "1", "--transport=streamable-http"}, &Stdio{}, "--transport streamable-http is ignored: the program serves stdio"},
		{[]string{"-transport", "stdio"}, HTTP{}, "--transport stdio is ignored: the program serves http"},
		{[]string{"--transport", "http"}, HTTP{Port: 1}, ""},
		{[]string{"--transport", "stdio"}, Stdio{}, ""},
		{[]string{"--transport", "http"}, Auto{}, ""},
		{[]string{"--verbose"}, Stdio{}, ""},
		{[]string{"--", "--transport", "http"}, Stdio{}, ""},
		{nil, Stdio{}, ""},
	} {
		var logs bytes.Buffer
		s := New(Options{Name: "t", Version: "1", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		os.Args = append([]string{"server"}, tc.args...)
		s.warnOverridden(tc.t)
		got := logs.String()
		switch {
		case tc.warn == "" && got != "":
			t.Errorf("%q with %T: warned %q", tc.args, tc.t, got)
		case tc.warn != "" && (!strings.Contains(got, tc.warn) || !strings.Contains(got, "level=WARN")):
			t.Errorf("%q with %T: log %q, want a warning with %q", tc.args, tc.t, got, tc.warn)
		}
	}
}
