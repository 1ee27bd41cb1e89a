package fastmcp

import "syscall"

// dup2 makes newfd a copy of oldfd (Linux has only dup3 on some ports).
func dup2(oldfd, newfd int) error { return syscall.Dup3(oldfd, newfd, 0) }
