package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/store"
	gossh "golang.org/x/crypto/ssh"
)

func staffRun(t *testing.T, db, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run(context.Background(), append([]string{"--db", db, "--lang", "en"}, args...), strings.NewReader(stdin), &out, &errb)
	return rc, out.String(), errb.String()
}

// storeWithRoster is a store with the residents of rosterText, in
// 幸福里社区.
func storeWithRoster(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "lifeline.db")
	if rc, _, errs := staffRun(t, db, "", "import", writeFile(t, dir, "roster.csv", []byte(rosterText(t)))); rc != 0 {
		t.Fatalf("import: %d %s", rc, errs)
	}
	return db
}

func TestStaffAdd(t *testing.T) {
	db := storeWithRoster(t)
	rc, out, errs := staffRun(t, db, "s3cret-pass\n", "staff", "add", "--user", "wang", "--community", "幸福里社区", "--password-stdin")
	if rc != 0 || !strings.Contains(out, "added staff wang") {
		t.Fatalf("staff add: rc %d %q %q", rc, out, errs)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		rc    int
		want  string
	}{
		{"another-pass\n", []string{"--user", "wang", "--community", "幸福里社区"}, 1, "already exists"},
		{"short\n", []string{"--user", "li", "--admin"}, 1, "at least 8"},
		{"long-enough\n", []string{"--user", "li", "--community", "幸福社区"}, 1, `no community "幸福社区" (there are: 幸福里社区)`},
		{"long-enough\n", []string{"--user", "li wei", "--admin"}, 1, "spaces"},
		{"long-enough\n", []string{"--user", "li\x1b[2J", "--admin"}, 1, "cannot be shown"},
		{"long-enough\n", []string{"--user", "li", "--key", "x", "--admin"}, 2, "takes no --key"},
	} {
		rc, _, errs := staffRun(t, db, tc.stdin, append([]string{"staff", "add", "--password-stdin"}, tc.args...)...)
		if rc != tc.rc || !strings.Contains(errs, tc.want) {
			t.Errorf("staff add %q: rc %d %q, want %d and %q", tc.args, rc, errs, tc.rc, tc.want)
		}
	}
	if rc, _, errs := staffRun(t, db, "", "staff", "add", "--user", "li", "--admin"); rc != 2 || !strings.Contains(errs, "--password-stdin") {
		t.Errorf("no terminal and no --password-stdin: rc %d %q", rc, errs)
	}

	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := auth.Login(context.Background(), s, "wang", "s3cret-pass", "console test", time.Now())
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

// TestStaffLifecycle drives every staff command as an administrator
// would, and checks each is in the audit trail as the system user.
func TestStaffLifecycle(t *testing.T) {
	db := storeWithRoster(t)
	ok := func(stdin string, args ...string) string {
		t.Helper()
		rc, out, errs := staffRun(t, db, stdin, append([]string{"staff"}, args...)...)
		if rc != 0 {
			t.Fatalf("staff %q: rc %d %s", args, rc, errs)
		}
		return out
	}
	login := func(password string) error {
		s, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, err = auth.Login(context.Background(), s, "wang", password, "console desk-1", time.Now())
		return err
	}
	ok("first-pass-1\n", "add", "--user", "wang", "--community", "幸福里社区", "--password-stdin")
	ok("", "disable", "--user", "wang")
	if err := login("first-pass-1"); lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("disabled account logged in: %v", err)
	}
	if out := ok("", "list"); !strings.Contains(out, "disabled") {
		t.Errorf("list does not say wang is disabled:\n%s", out)
	}
	ok("", "enable", "--user", "wang")
	for i := 0; i < lifeline.MaxLoginFailures; i++ {
		login("wrong-password")
	}
	if err := login("first-pass-1"); lifeline.ErrorCode(err) != lifeline.ELOCKED {
		t.Fatalf("after %d wrong passwords: %v", lifeline.MaxLoginFailures, err)
	}
	if out := ok("", "unlock", "--user", "wang"); !strings.Contains(out, "locked at 1 places") {
		t.Errorf("unlock said %q", out)
	}
	ok("second-pass-2\n", "password", "--user", "wang", "--password-stdin")
	if err := login("second-pass-2"); err != nil {
		t.Fatalf("after the reset: %v", err)
	}

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := gossh.NewPublicKey(pub)
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sshPub))) + " wang@laptop"
	file := filepath.Join(t.TempDir(), "id_ed25519.pub")
	os.WriteFile(file, []byte(line+"\n"), 0o600)
	fp := gossh.FingerprintSHA256(sshPub)
	ok("", "key", "add", "--user", "wang", "--key", file)
	if rc, _, errs := staffRun(t, db, "", "staff", "key", "add", "--user", "wang", "--key", line); rc != 1 || !strings.Contains(errs, "already added") {
		t.Errorf("the same key twice: rc %d %q", rc, errs)
	}
	if rc, _, errs := staffRun(t, db, "", "staff", "key", "add", "--user", "wang", "--key", "ssh-ed25519 AAAAnot-a-key"); rc != 1 || !strings.Contains(errs, "--key:1: not an SSH public key") {
		t.Errorf("a bad key: rc %d %q", rc, errs)
	}
	if out := ok("", "key", "list", "--user", "wang"); !strings.Contains(out, fp) || !strings.Contains(out, "wang@laptop") {
		t.Errorf("key list:\n%s", out)
	}
	ok("", "key", "remove", "--user", "wang", "--fingerprint", fp)
	ok("", "remove", "--user", "wang")
	if err := login("second-pass-2"); lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
		t.Fatalf("removed account: %v", err)
	}
	if rc, _, errs := staffRun(t, db, "third-pass-3\n", "staff", "add", "--user", "wang", "--admin", "--password-stdin"); rc != 1 || !strings.Contains(errs, "did once") {
		t.Errorf("a removed name given out again: rc %d %q", rc, errs)
	}

	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := s.AuditLog(context.Background(), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	cli := auth.CommandLineActor("").User
	done := map[string]bool{}
	for _, e := range log {
		if strings.HasPrefix(e.Action, "staff_") {
			done[e.Action] = true
			if e.Actor != cli || e.Place != "cli" {
				t.Errorf("%s audited as %q at %q, want %q at cli", e.Action, e.Actor, e.Place, cli)
			}
		}
	}
	for _, a := range []string{"staff_add", "staff_disable", "staff_enable", "staff_unlock", "staff_password", "staff_key_add", "staff_key_remove", "staff_remove"} {
		if !done[a] {
			t.Errorf("%s is not in the audit trail", a)
		}
	}
}
