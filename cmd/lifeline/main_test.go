package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/code"
)

// TestBadFlagIsAUsageError: a mistyped flag on any command is a bad
// command line (exit 2) that names the flag, never an "internal error".
func TestBadFlagIsAUsageError(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	for _, c := range commands {
		name := c.name
		args := []string{"--db", db, "--lang", "en", name}
		switch name {
		case "keys", "revocations", "staff", "sms", "round":
			continue // these take a sub-command first; checked below
		}
		args = append(args, "--no-such-flag")
		var out, errb bytes.Buffer
		rc := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if rc != 2 || !strings.Contains(errb.String(), "no-such-flag") || strings.Contains(errb.String(), "Internal error") {
			t.Errorf("%s --no-such-flag: exit %d, stderr %q", name, rc, errb.String())
		}
	}
	for _, sub := range [][]string{{"keys", "new"}, {"round", "new"}, {"round", "missing"}} {
		var out, errb bytes.Buffer
		rc := run(context.Background(), append([]string{"--db", db, "--lang", "en"}, append(sub, "--no-such-flag")...), strings.NewReader(""), &out, &errb)
		if rc != 2 || strings.Contains(errb.String(), "Internal error") {
			t.Errorf("%s --no-such-flag: exit %d, stderr %q", sub, rc, errb.String())
		}
	}
}

// TestHelpListsTheTable: help lists every command of the one table, in
// its order, with its summary; an unknown command is a bad command line.
func TestHelpListsTheTable(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run(context.Background(), []string{"--lang", "en", "help"}, strings.NewReader(""), &out, &errb); rc != 0 {
		t.Fatalf("help: exit %d", rc)
	}
	at := 0
	for _, c := range commands {
		line := "  " + c.name
		i := strings.Index(out.String()[at:], line)
		if i < 0 || !strings.Contains(out.String(), c.summary.En) {
			t.Fatalf("help lacks %s, or lists it out of order:\n%s", c.name, out.String())
		}
		at += i + len(line)
	}
	errb.Reset()
	if rc := run(context.Background(), []string{"--lang", "en", "bench"}, strings.NewReader(""), &out, &errb); rc != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("bench is not a lifeline command any more: exit %d %q", rc, errb.String())
	}
}

// TestConventionalHelp: help asked for goes to standard output with exit
// status 0, in either language, for the whole program and every command;
// a mistake goes to standard error with status 2, in the reader's
// language; no English leaks into the Chinese help.
func TestConventionalHelp(t *testing.T) {
	t.Chdir(t.TempDir())
	runArgs := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		rc := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		return rc, out.String(), errb.String()
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--lang", "en", "--help"}} {
		rc, out, errOut := runArgs(args...)
		if rc != 0 || errOut != "" || !strings.Contains(out, "--db") || !strings.Contains(out, "--lang") || !strings.Contains(out, "LIFELINE_DB") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, rc, out, errOut)
		}
	}
	for _, c := range commands {
		for _, lang := range []string{"zh", "en"} {
			for _, args := range [][]string{{"help", c.name}, {c.name, "--help"}} {
				rc, out, errOut := runArgs(append([]string{"--lang", lang}, args...)...)
				want := map[string]string{"zh": "用法：lifeline " + c.name, "en": "usage: lifeline " + c.name}[lang]
				if rc != 0 || errOut != "" || !strings.HasPrefix(out, want) {
					t.Errorf("%q in %s: exit %d, stdout %q, stderr %q", args, lang, rc, out, errOut)
				}
				if lang == "zh" && (strings.Contains(out, "default") || strings.Contains(out, "VALUE")) {
					t.Errorf("%q: English in the Chinese help:\n%s", args, out)
				}
			}
		}
	}
	if rc, out, errOut := runArgs("help", "keys", "new"); rc != 0 || !strings.Contains(out, "--not-after 时间") {
		t.Errorf("help keys new: exit %d %q %q", rc, out, errOut)
	}
	if rc, _, errOut := runArgs("help", "unknown"); rc != 2 || !strings.Contains(errOut, "没有“unknown”这个命令") {
		t.Errorf("help unknown: exit %d %q", rc, errOut)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if rc, out, _ := runArgs(args...); rc != 0 || !strings.HasPrefix(out, "lifeline ") || !strings.Contains(out, "go1.") {
			t.Errorf("%q: exit %d %q", args, rc, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"find", "--nope", "x"}, "没有 --nope 这个参数。运行 lifeline help find 查看全部参数。"},
		{[]string{"find", "--limit", "many", "x"}, "--limit 的值“many”无效：应为整数"},
		{[]string{"code", "--resident"}, "参数 --resident 需要一个值"},
		{[]string{"--lang", "en", "print", "--validity", "long"}, `invalid value "long" for --validity: want a duration such as 90s, 5m or 2h; run lifeline help print for its flags.`},
		{[]string{"--lang", "klingon", "find", "x"}, "--lang 的值“klingon”无效：应为 zh 或 en"},
	} {
		rc, out, errOut := runArgs(c.args...)
		if rc != 2 || out != "" || strings.TrimSpace(errOut) != c.want && !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q, want %q", c.args, rc, out, errOut, c.want)
		}
	}
}

// TestReadOnlyCommandsNeverCreateAStore: after the demo, lifeline.db is not
// where the store is; a command that only reads says so, exits 1, and
// leaves no new, empty store behind. import, seed, staff add, demo and
// keys export (a new deployment's first trust list) create one.
func TestReadOnlyCommandsNeverCreateAStore(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	keys := filepath.Join(dir, "keys")
	if _, err := code.GenerateKey(keys, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIFELINE_KEYS", keys)
	rootKey := filepath.Join(dir, "root", "root.key")
	if _, err := code.GenerateRootKey(rootKey, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIFELINE_ROOT_KEY", rootKey)
	t.Setenv("LIFELINE_DB", "")
	t.Setenv("LIFELINE_UPSTREAM_TOKEN", "x")
	doc := testID(t, "11010519491231002")
	for _, args := range [][]string{
		{"find", "张三"},
		{"code", "--resident", doc},
		{"print", "--resident", doc, "--out", "cards.pdf"},
		{"revoke", "--resident", doc},
		{"revocations", "export", "--out", "revoked.bin"},
		{"serve", "--insecure-no-signature", "--addr", "127.0.0.1:0"},
		{"upstream", "--upstream", "http://127.0.0.1:1"},
		{"tui"},
	} {
		var out, errb bytes.Buffer
		rc := run(context.Background(), append([]string{"--lang", "en"}, args...), strings.NewReader(""), &out, &errb)
		if rc != 1 || strings.TrimSpace(errb.String()) != "no store at lifeline.db (use --db demo.db or LIFELINE_DB)" {
			t.Errorf("%s: exit %d, stderr %q", args[0], rc, errb.String())
		}
		if _, err := os.Stat("lifeline.db"); err == nil {
			t.Fatalf("%s created lifeline.db", args[0])
		}
	}
	var out, errb bytes.Buffer
	if rc := run(context.Background(), []string{"find", "张三"}, strings.NewReader(""), &out, &errb); !strings.Contains(errb.String(), "lifeline.db 处没有数据库") {
		t.Errorf("in Chinese: exit %d %q", rc, errb.String())
	}
	if rc := run(context.Background(), []string{"--lang", "en", "seed", "--residents", "3", "--quiet"}, strings.NewReader(""), &out, &errb); rc != 0 {
		t.Fatalf("seed: exit %d %s", rc, errb.String())
	}
	if _, err := os.Stat("lifeline.db"); err != nil {
		t.Fatal("seed made no store")
	}
}
