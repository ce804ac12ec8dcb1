package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
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
