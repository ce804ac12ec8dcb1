//go:build !linux

package main

import (
	"os/exec"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

var benchEpoch = time.Now()

// threadCPU falls back to wall time where the thread's CPU time is not
// available.
func threadCPU() time.Duration { return time.Since(benchEpoch) }

func splitCPUs(string) (placement, error) {
	return placement{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("--server-cpus 只在 Linux 上可用", "--server-cpus works on Linux only"))
}

func startOn(cmd *exec.Cmd, _, _ []int) error { return cmd.Start() }
