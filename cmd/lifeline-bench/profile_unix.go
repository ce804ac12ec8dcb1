//go:build unix

package main

import "syscall"

// stopProfile asks a profiled child (buildLifeline) to write its profile.
func (c *child) stopProfile() { c.cmd.Process.Signal(syscall.SIGUSR1) }
