//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package fastmcp

import (
	"errors"
	"os"
)

// protectStdout is not available here: os.Stdout stays the protocol's output.
func protectStdout() (*os.File, func(), error) {
	return nil, nil, errors.New("fastmcp: redirecting os.Stdout is not supported on this platform")
}
