//go:build unix

package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// benchProfileEnv names a file: a lifeline process started with it set
// (the gateway child of `bench sms --cpuprofile`) profiles its CPU from
// start until SIGUSR1, then writes the profile there and carries on.
const benchProfileEnv = "LIFELINE_BENCH_CPUPROFILE"

func init() {
	path := os.Getenv(benchProfileEnv)
	if path == "" {
		return
	}
	f, err := os.Create(path + ".part")
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		<-c
		signal.Stop(c)
		pprof.StopCPUProfile()
		if f.Close() == nil {
			os.Rename(path+".part", path)
		}
	}()
}

// stopProfile asks a child started with benchProfileEnv to write its
// profile.
func (c *child) stopProfile() { c.cmd.Process.Signal(syscall.SIGUSR1) }
