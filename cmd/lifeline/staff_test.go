package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/store"
)

func staffRun(t *testing.T, db, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run(context.Background(), append([]string{"--db", db, "--lang", "en"}, args...), strings.NewReader(stdin), &out, &errb)
	return rc, out.String(), errb.String()
}

func TestStaffAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "lifeline.db")
	rc, out, errs := staffRun(t, db, "s3cret-pass\n", "staff", "add", "--user", "wang", "--community", "幸福里社区", "--password-stdin")
	if rc != 0 || !strings.Contains(out, "added staff wang") {
		t.Fatalf("staff add: rc %d %q %q", rc, out, errs)
	}
	rc, _, errs = staffRun(t, db, "another-pass\n", "staff", "add", "--user", "wang", "--community", "幸福里社区", "--password-stdin")
	if rc != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("second add of wang: rc %d %q, want a conflict", rc, errs)
	}
	rc, _, errs = staffRun(t, db, "short\n", "staff", "add", "--user", "li", "--admin", "--password-stdin")
	if rc != 1 || !strings.Contains(errs, "at least 8") {
		t.Errorf("short password: rc %d %q", rc, errs)
	}
	rc, _, errs = staffRun(t, db, "", "staff", "add", "--user", "li", "--admin")
	if rc != 2 || !strings.Contains(errs, "--password-stdin") {
		t.Errorf("no terminal and no --password-stdin: rc %d %q", rc, errs)
	}

	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := auth.Login(context.Background(), s, "wang", "s3cret-pass", time.Now())
	if err != nil {
		t.Fatalf("login with the added password: %v", err)
	}
	if st.Community != "幸福里社区" || st.Role != lifeline.RoleStaff {
		t.Errorf("stored %+v", st)
	}
	if strings.Contains(st.PasswordHash, "s3cret-pass") || !strings.HasPrefix(st.PasswordHash, "$2") {
		t.Errorf("password stored as %q, want a bcrypt hash", st.PasswordHash)
	}
}
