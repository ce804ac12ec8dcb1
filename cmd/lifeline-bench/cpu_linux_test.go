package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStartOnPinsTheChild: a server started by startOn may run on its
// CPUs only, from its first instruction (so a Go server sizes GOMAXPROCS to
// them), and the thread that started it keeps the CPUs it had.
func TestStartOnPinsTheChild(t *testing.T) {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		t.Fatal(err)
	}
	var all []int
	for c := 0; c < 1024; c++ {
		if allowed.IsSet(c) {
			all = append(all, c)
		}
	}
	server := all[len(all)-1]
	// The thread that forks is the one whose CPUs must come back.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd := exec.Command("sleep", "5")
	if err := startOn(cmd, []int{server}, all); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			got = strings.TrimSpace(v)
		}
	}
	if got != strconv.Itoa(server) {
		t.Fatalf("the child may run on CPUs %q, want %d alone", got, server)
	}
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil {
		t.Fatal(err)
	}
	if after.Count() != len(all) {
		t.Fatalf("the thread that started the child may run on %d CPUs after, want %d", after.Count(), len(all))
	}
}
