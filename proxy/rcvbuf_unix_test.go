//go:build unix

package proxy_test

import "syscall"

// smallReceiveBuffer shrinks a socket's receive buffer, so that a client
// that stops reading stops its server's writes within a few kilobytes.
func smallReceiveBuffer(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	})
	if err != nil {
		return err
	}
	return serr
}
