package main

import (
	"os/exec"
	"syscall"
)

// orphanProof makes a benchmark's server child get SIGINT when the
// benchmark dies (killed, or its output pipe closed), so no server is left
// running behind it.
func orphanProof(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT}
}
