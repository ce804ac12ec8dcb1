package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// lifelinePkg is the package of the binary the SMS benchmark measures.
const lifelinePkg = "github.com/lifeline-health/lifeline/cmd/lifeline"

// buildLifeline builds lifeline from the source tree this command is run
// in, into dir, and returns the executable's path: the gateway measured is
// the one people run. With cpuprofile set, the build carries one file more,
// given to the compiler as an overlay and never written into the tree
// (profileSource), which profiles the process's CPU from its start until
// SIGUSR1 and writes the profile to cpuprofile: the shipped lifeline has
// no profiler in it.
func buildLifeline(ctx context.Context, dir, cpuprofile string) (string, error) {
	exe := filepath.Join(dir, "lifeline")
	args := []string{"build", "-o", exe}
	if cpuprofile != "" {
		overlay, err := profileOverlay(ctx, dir, cpuprofile)
		if err != nil {
			return "", err
		}
		args = append(args, "-overlay", overlay)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, lifelinePkg)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", lifeline.Wrapf(lifeline.EUNAVAILABLE, fmt.Errorf("go build %s: %w\n%s", lifelinePkg, err, out.Bytes()),
			lifeline.T("无法构建 lifeline：请在源码树中用 go run ./cmd/lifeline-bench 运行，或用 --lifeline 给出可执行文件",
				"cannot build lifeline: run this with go run ./cmd/lifeline-bench inside the source tree, or give the executable with --lifeline"))
	}
	return exe, nil
}

// profileOverlay writes the profiling file and the overlay that adds it to
// lifeline's package, and returns the overlay's path.
func profileOverlay(ctx context.Context, dir, cpuprofile string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", lifelinePkg).Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %w", lifelinePkg, err)
	}
	pkgDir := strings.TrimSpace(string(out))
	src := filepath.Join(dir, "cpuprofile.go")
	if err := os.WriteFile(src, []byte(fmt.Sprintf(profileSource, cpuprofile)), 0o600); err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(pkgDir, "zz_bench_cpuprofile.go"): src}})
	if err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	return overlay, os.WriteFile(overlay, b, 0o600)
}

// profileSource is the file the profiled build of lifeline gets: %q is the
// profile's path. It is written only when the profile is complete, so the
// benchmark waits for the file to appear.
const profileSource = `//go:build unix

package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func init() {
	const path = %q
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
`
