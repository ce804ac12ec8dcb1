//go:build !unix

package main

const benchProfileEnv = "LIFELINE_BENCH_CPUPROFILE"

// stopProfile does nothing where there is no SIGUSR1: no profile is taken.
func (c *child) stopProfile() {}
