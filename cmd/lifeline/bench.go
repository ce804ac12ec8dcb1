package main

import (
	"context"
	"fmt"
	"sort"

	lifeline "github.com/lifeline-health/lifeline"
)

// benches are the sub-benchmarks of lifeline bench, each added from its
// own file's init function through registerBench.
var benches = map[string]func(ctx context.Context, app *App, args []string) error{}

// registerBench adds a sub-benchmark: lifeline bench NAME [flags].
func registerBench(name string, fn func(ctx context.Context, app *App, args []string) error) {
	if _, dup := benches[name]; dup {
		panic("lifeline: benchmark registered twice: " + name)
	}
	benches[name] = fn
}

func init() {
	register(&command{
		name:    "bench",
		summary: lifeline.T("性能测试：lifeline bench 名称（不带名称列出全部）", "benchmarks: lifeline bench NAME (no name lists them)"),
		run:     runBench,
	})
}

func runBench(ctx context.Context, app *App, args []string) error {
	names := make([]string, 0, len(benches))
	for n := range benches {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || benches[args[0]] == nil {
		fmt.Fprintln(app.Stderr, app.T("用法：lifeline bench 名称 [参数]，名称为：", "usage: lifeline bench NAME [flags], where NAME is one of:"))
		for _, n := range names {
			fmt.Fprintln(app.Stderr, "  "+n)
		}
		if len(args) == 0 {
			return &exitError{2}
		}
		return app.usagef("未知的性能测试“%s”", "unknown benchmark %q", args[0])
	}
	return benches[args[0]](ctx, app, args[1:])
}
