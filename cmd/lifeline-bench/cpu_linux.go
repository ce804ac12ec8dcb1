package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time the calling OS thread has used, so a
// benchmark on a locked thread counts its own work, not the time other
// processes held the core.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// splitCPUs places the servers on the CPUs listed and moves this process
// (the load generator) to the other CPUs it may run on.
func splitCPUs(list string) (placement, error) {
	servers, err := parseCPUList(list)
	if err != nil {
		return placement{}, err
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return placement{}, err
	}
	p := placement{servers: servers}
	for c := 0; c < 1024; c++ {
		if allowed.IsSet(c) && !slices.Contains(servers, c) {
			p.generator = append(p.generator, c)
		}
	}
	for _, c := range servers {
		if !allowed.IsSet(c) {
			n := strconv.Itoa(c)
			return placement{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("本进程不能在 CPU "+n+" 上运行", "this process may not run on CPU "+n))
		}
	}
	if len(p.generator) == 0 {
		return placement{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("--server-cpus "+list+" 没给负载生成器留下 CPU", "--server-cpus "+list+" leaves the load generator no CPU"))
	}
	// Every thread of this process moves; threads started later inherit
	// the set of the thread that starts them.
	gen := cpuSet(p.generator)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return placement{}, err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &gen); err != nil && !errors.Is(err, unix.ESRCH) {
			return placement{}, err
		}
	}
	runtime.GOMAXPROCS(len(p.generator))
	return p, nil
}

// startOn starts cmd on the CPUs servers: the child inherits the set of
// the thread that forks it, so this thread takes it for the fork and goes
// back to generator after. A Go child sizes GOMAXPROCS to it.
func startOn(cmd *exec.Cmd, servers, generator []int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s, g := cpuSet(servers), cpuSet(generator)
	if err := unix.SchedSetaffinity(0, &s); err != nil {
		return err
	}
	defer unix.SchedSetaffinity(0, &g)
	return cmd.Start()
}

func cpuSet(cpus []int) unix.CPUSet {
	var s unix.CPUSet
	for _, c := range cpus {
		s.Set(c)
	}
	return s
}
