package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// shared is the redis-server of the tests that do not stop it: each of them
// works under a prefix of its own, so they run in parallel on it. Tests
// that stop, pause or count commands start a server of their own.
var (
	shared    *redistest.Server
	sharedErr error
)

// quiet drops go-redis's log lines: the tests of faults make it complain on
// purpose.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	shared, sharedErr = redistest.Launch()
	if sharedErr != nil && (redistest.Required() || !errors.Is(sharedErr, redistest.ErrNotInstalled)) {
		fmt.Fprintln(os.Stderr, sharedErr)
		os.Exit(1)
	}
	code := m.Run()
	if replicaBin.dir != "" {
		os.RemoveAll(replicaBin.dir)
	}
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

// server returns the shared server, or skips the test without one.
func server(t *testing.T) *redistest.Server {
	t.Helper()
	if shared == nil {
		t.Skip("redis-server is not on PATH (install it, or set FASTMCP_REDIS=1 to require it)")
	}
	return shared
}
