package fastmcptest

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Logger returns a logger that writes every record, from debug level up, to
// t's log, for fastmcp.Options.Logger:
//
//	s := fastmcp.New(fastmcp.Options{Name: "test", Logger: fastmcptest.Logger(t)})
//
// Records logged after t has ended are dropped. A server's goroutines (the end
// of a session, a background fetch) may still log after a test's last wait,
// and logging to a finished test panics.
func Logger(t testing.TB) *slog.Logger {
	w := &testLogWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testLogWriter writes to a test's log until the test ends.
type testLogWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testLogWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Helper()
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
