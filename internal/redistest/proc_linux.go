package redistest

import "syscall"

// sysProcAttr kills the server with the test process, should the test die
// before its cleanup.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
