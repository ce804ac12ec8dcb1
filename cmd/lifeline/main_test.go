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
		case "keys", "revocations", "staff", "sms":
			continue // these take a sub-command first; checked below
		}
		args = append(args, "--no-such-flag")
		var out, errb bytes.Buffer
		rc := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if rc != 2 || !strings.Contains(errb.String(), "no-such-flag") || strings.Contains(errb.String(), "Internal error") {
			t.Errorf("%s --no-such-flag: exit %d, stderr %q", name, rc, errb.String())
		}
	}
	var out, errb bytes.Buffer
	rc := run(context.Background(), []string{"--db", db, "--lang", "en", "keys", "new", "--no-such-flag"}, strings.NewReader(""), &out, &errb)
	if rc != 2 || strings.Contains(errb.String(), "Internal error") {
		t.Errorf("keys new --no-such-flag: exit %d, stderr %q", rc, errb.String())
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
		i := strings.Index(errb.String()[at:], line)
		if i < 0 || !strings.Contains(errb.String(), c.summary.En) {
			t.Fatalf("help lacks %s, or lists it out of order:\n%s", c.name, errb.String())
		}
		at += i + len(line)
	}
	errb.Reset()
	if rc := run(context.Background(), []string{"--lang", "en", "bench"}, strings.NewReader(""), &out, &errb); rc != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("bench is not a lifeline command any more: exit %d %q", rc, errb.String())
	}
}

// TestReadOnlyCommandsNeverCreateAStore: after the demo, lifeline.db is not
// where the store is; a command that only reads says so, exits 1, and
// leaves no new, empty store behind. import, seed, staff add and demo
// create one.
func TestReadOnlyCommandsNeverCreateAStore(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	keys := filepath.Join(dir, "keys")
	if _, err := code.GenerateKey(keys, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIFELINE_KEYS", keys)
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
