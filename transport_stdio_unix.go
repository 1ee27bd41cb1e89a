//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package fastmcp

import (
	"os"
	"syscall"
)

// protectStdout keeps the protocol on its own descriptor while stdio serves:
// it returns a writer to the process's standard output on a duplicate of
// descriptor 1, then points descriptor 1 at standard error, so that anything
// else written to os.Stdout lands there. restore undoes it.
func protectStdout() (proto *os.File, restore func(), err error) {
	saved, err := syscall.Dup(1)
	if err != nil {
		return nil, nil, err
	}
	syscall.CloseOnExec(saved)
	if err := dup2(2, 1); err != nil {
		syscall.Close(saved)
		return nil, nil, err
	}
	proto = os.NewFile(uintptr(saved), "/dev/stdout (MCP protocol)")
	return proto, func() {
		_ = dup2(saved, 1)
		proto.Close()
	}, nil
}
