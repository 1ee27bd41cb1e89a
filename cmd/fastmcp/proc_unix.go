//go:build unix

package main

import (
	"os"
	"os/exec"
	"syscall"
)

// detach puts a server in its own process group, so that Ctrl-C in the
// terminal (which dev uses to cancel a call) reaches fastmcp and not the
// server.
func detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// execReplace replaces fastmcp with the server, so that the server gets the
// terminal, the signals and the exit status as if started directly. It
// returns only on failure.
func execReplace(path string, args, env []string) error {
	return syscall.Exec(path, args, env)
}

// canExec reports whether execReplace is available.
const canExec = true

// terminateSignals are forwarded to a server run as a child.
var terminateSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// lockFile takes an exclusive lock on the file, creating it.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
