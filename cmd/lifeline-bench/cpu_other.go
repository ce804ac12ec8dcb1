//go:build !linux

package main

import "time"

var benchEpoch = time.Now()

// threadCPU falls back to wall time where the thread's CPU time is not
// available.
func threadCPU() time.Duration { return time.Since(benchEpoch) }
