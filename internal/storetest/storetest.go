// Package storetest is the behaviour every implementation of FastMCP's store
// interfaces must have, as test suites taking a factory: the in-memory
// implementations run them in this package's tests, the Redis ones in
// package redisstore's, so both answer the same table of behaviours.
//
// A factory returns two handles on one fresh, empty backend: two replicas of
// a server sharing it. An in-memory factory returns the same value twice.
// Every suite runs its cases as parallel subtests, each with a backend of its
// own.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Open returns two handles on one fresh backend.
type Open[T any] func(t *testing.T) (a, b T)

// short is a TTL that expires during a test; medium one that outlasts a few
// operations even on a loaded machine (a value that must still be there for
// the next steps), then expires; long one that does not.
const (
	short  = 30 * time.Millisecond
	medium = time.Second
	long   = time.Hour
)

func ctxOf(t *testing.T) context.Context { return testkit.Context(t) }

// run runs each case as a parallel subtest with its own handles.
func run[T any](t *testing.T, open Open[T], cases map[string]func(t *testing.T, a, b T)) {
	t.Helper()
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			f(t, a, b)
		})
	}
}
