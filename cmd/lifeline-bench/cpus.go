package main

import (
	"os/exec"
	"strconv"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// Where the benchmark's processes run. By default the servers and the load
// generator share every core, so a server's handler waits, by the clock,
// for the cores the load generator holds: its own histogram counts the
// generator's share. --server-cpus gives the servers cores of their own,
// as a gateway behind a provider on other machines would have, and the
// load generator (with the REST stand-in) the rest.

// placement starts server processes on their cores; the zero value starts
// them wherever this process runs.
type placement struct {
	servers, generator []int
}

// start starts cmd on the servers' cores.
func (p placement) start(cmd *exec.Cmd) error {
	if len(p.servers) == 0 {
		return cmd.Start()
	}
	return startOn(cmd, p.servers, p.generator)
}

// report says where each runs.
func (p placement) report(app *Bench) {
	if len(p.servers) > 0 {
		app.say("服务端进程在 CPU %s 上，负载生成器在 CPU %s 上\n", "servers on CPU %s, the load generator on CPU %s\n", cpuList(p.servers), cpuList(p.generator))
	}
}

// parseCPUList reads a list of CPUs as taskset and /proc write them:
// "0", "0-3", "0,2,4-5".
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= 1024 {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("“"+s+"”不是 CPU 列表（如 0 或 0-1,3）", "\""+s+"\" is not a list of CPUs (such as 0 or 0-1,3)"))
		}
		for c := a; c <= b; c++ {
			if !seen[c] {
				seen[c] = true
				cpus = append(cpus, c)
			}
		}
	}
	return cpus, nil
}

// cpuList writes cpus as a list parseCPUList reads.
func cpuList(cpus []int) string {
	parts := make([]string, len(cpus))
	for i, c := range cpus {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}
