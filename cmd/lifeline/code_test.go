package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/store"
)

// codeRun runs the binary's main path with a store and key directory in
// dir, English messages, and stdin.
func codeRun(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("LIFELINE_KEYS", filepath.Join(dir, "keys"))
	t.Setenv("LIFELINE_ROOT_KEY", "")
	t.Setenv("LIFELINE_CHECKPOINT", filepath.Join(dir, "checkpoint"))
	var out, errb bytes.Buffer
	full := append([]string{"--db", filepath.Join(dir, "lifeline.db"), "--lang", "en"}, args...)
	rc := run(context.Background(), full, strings.NewReader(stdin), &out, &errb)
	return rc, out.String(), errb.String()
}

// codeResident stores one resident with a test result and returns their
// document number.
func codeResident(t *testing.T, dir string) (string, int64) {
	t.Helper()
	first17 := "11010519491231002"
	check, _ := lifeline.MainlandIDCheckDigit(first17)
	doc := first17 + string(check)
	db, err := store.Open(context.Background(), filepath.Join(dir, "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := &lifeline.Resident{Name: "张三丰", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: doc},
		Address: lifeline.Address{Community: "幸福里社区", Building: "12", Unit: "3", Room: "501"}}
	if err := db.CreateResident(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return doc, r.ID
}

func TestCodeCommandsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	doc, rid := codeResident(t, dir)

	// No key yet: a clear error.
	rc, _, stderr := codeRun(t, dir, "", "code", "--resident", doc)
	if rc != 1 || !strings.Contains(stderr, "keys new") {
		t.Fatalf("code without a key: rc %d, %q", rc, stderr)
	}
	rc, out, stderr := codeRun(t, dir, "", "keys", "new")
	if rc != 0 || !strings.Contains(out, "created key") {
		t.Fatalf("keys new: rc %d %q %q", rc, out, stderr)
	}
	rc, out, _ = codeRun(t, dir, "", "keys", "list")
	if rc != 0 || !strings.Contains(out, "signing") {
		t.Fatalf("keys list: %d %q", rc, out)
	}
	// Lists are signed by the root: without one, keys export says how.
	trust := filepath.Join(dir, "trust.cose")
	if rc, _, stderr = codeRun(t, dir, "", "keys", "export", "--out", trust); rc != 1 || !strings.Contains(stderr, "keys root new") {
		t.Fatalf("keys export without a root: %d %q", rc, stderr)
	}
	if rc, out, stderr = codeRun(t, dir, "", "keys", "root", "new"); rc != 0 || !strings.Contains(out, "fingerprint") {
		t.Fatalf("keys root new: %d %q %q", rc, out, stderr)
	}
	root := filepath.Join(dir, "root.pub")
	if rc, _, stderr = codeRun(t, dir, "", "keys", "root", "export", "--out", root); rc != 0 {
		t.Fatalf("keys root export: %d %q", rc, stderr)
	}
	if rc, _, stderr = codeRun(t, dir, "", "keys", "export", "--out", trust); rc != 0 || !strings.Contains(stderr, "trust list version 1") {
		t.Fatalf("keys export: %d %q", rc, stderr)
	}

	// Issue two codes; each is recorded as issued by the system user running
	// the command, --by kept as a note beside it in the audit log.
	rc, out, stderr = codeRun(t, dir, "", "code", "--resident", strings.ToLower(doc), "--by", "staff:wang")
	if rc != 0 || !strings.HasPrefix(out, code.Prefix) {
		t.Fatalf("code: rc %d %q %q", rc, out, stderr)
	}
	if strings.Contains(out+stderr, doc) {
		t.Fatal("the full document number was printed")
	}
	first := strings.TrimSpace(out)
	_, out, _ = codeRun(t, dir, "", "code", "--resident", doc, "--keep-previous")
	second := strings.TrimSpace(out)

	db, err := store.Open(context.Background(), filepath.Join(dir, "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	codes, err := db.IssuedCodes(context.Background(), rid)
	if err != nil || len(codes) != 2 {
		t.Fatalf("IssuedCodes = %d, %v", len(codes), err)
	}
	log, err := db.AuditLog(context.Background(), rid, 10)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	cliUser := auth.CommandLineActor("").User
	var firstRec lifeline.IssuedCode
	for _, e := range log {
		if e.Action != "issue_code" || e.Actor != cliUser || e.Place != "cli" {
			t.Errorf("issue audited as %+v, want %s at the cli", e, cliUser)
		}
		for _, c := range codes {
			if c.IssuedBy != cliUser {
				t.Errorf("code recorded as issued by %q, want %q", c.IssuedBy, cliUser)
			}
			if e.Note == "staff:wang" && strings.Contains(e.Detail, lifeline.FormatSerial(c.Serial)) {
				firstRec = c
			}
		}
	}
	if firstRec.Serial == nil {
		t.Fatalf("--by not kept as a note: %+v", log)
	}

	// Verify with the exported trust list: arguments, then stdin as a
	// scanner types it.
	revoked := filepath.Join(dir, "revocations.cose")
	if rc, _, stderr = codeRun(t, dir, "", "revocations", "export", "--out", revoked); rc != 0 || !strings.Contains(stderr, "0 revoked") {
		t.Fatalf("revocations export: %d %q", rc, stderr)
	}
	// The resident has no status: the codes are valid, but not green, and
	// the exit status says so (3).
	rc, out, _ = codeRun(t, dir, "", "verify", "--root", root, "--trust", trust, "--revoked", revoked, first, second)
	if rc != exitNotGreen || strings.Count(out, "NOT GREEN AT ISSUE") != 2 || strings.Count(out, "VALID") != 2 || !strings.Contains(out, "张*丰") || !strings.Contains(out, "GREEN") && !strings.Contains(out, "NO STATUS") {
		t.Fatalf("verify: rc %d\n%s", rc, out)
	}
	// Times are China time whatever the machine's zone (this one's is
	// usually UTC).
	if until := firstRec.ExpiresAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"); !strings.Contains(out, "valid until "+until) {
		t.Fatalf("verify: want \"valid until %s\" (China time) in\n%s", until, out)
	}
	rc, out, _ = codeRun(t, dir, strings.ToLower(first)+"\r\n\r\n"+second+"\n", "verify", "--json")
	if rc != exitNotGreen {
		t.Fatalf("verify stdin: rc %d\n%s", rc, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("verify --json printed %d lines", len(lines))
	}
	var j code.Report
	if err := json.Unmarshal([]byte(lines[0]), &j); err != nil || !j.Valid || j.GreenAtIssue || j.Verdict != code.VerdictValidNotGreen || j.Holder == nil || j.Holder.DocTail != doc[14:] || j.Serial != lifeline.FormatSerial(firstRec.Serial) {
		t.Fatalf("json %s: %+v %v", lines[0], j, err)
	}

	// Revoke the first by serial and export: the first fails, the second
	// still passes, exit status 1. The checkpoint keeps its trust list
	// from the run before.
	if rc, _, stderr = codeRun(t, dir, "", "revoke", "--serial", lifeline.FormatSerial(firstRec.Serial), "--reason", "lost"); rc != 0 {
		t.Fatalf("revoke: %d %q", rc, stderr)
	}
	if rc, out, stderr = codeRun(t, dir, "", "revocations", "export", "--out", revoked); rc != 0 || !strings.Contains(stderr, "1 revoked") {
		t.Fatalf("revocations export: %d %q %q", rc, out, stderr)
	}
	rc, out, _ = codeRun(t, dir, "", "verify", "--root", root, "--revoked", revoked, first, second)
	if rc != 1 || !strings.Contains(out, "INVALID  reason: revoked") || strings.Count(out, "INVALID") != 1 {
		t.Fatalf("verify revoked: rc %d\n%s", rc, out)
	}

	// Beside the store (--db), a desk with no root pinned refuses what the
	// store revoked with no list handed over, as the check screen does;
	// offline, with no store here, only a list says so.
	desk := filepath.Join(dir, "desk")
	rc, out, _ = codeRun(t, dir, "", "verify", "--state", desk, first, second)
	if rc != 1 || !strings.Contains(out, "INVALID  reason: revoked") || strings.Count(out, "INVALID") != 1 {
		t.Fatalf("verify beside the store: rc %d\n%s", rc, out)
	}
	t.Chdir(t.TempDir()) // no lifeline.db here
	var ob, eb bytes.Buffer
	if rc := run(context.Background(), []string{"--lang", "en", "verify", "--state", desk, first}, strings.NewReader(""), &ob, &eb); rc != exitNotGreen {
		t.Fatalf("verify offline: rc %d\n%s%s", rc, ob.String(), eb.String())
	}
	if _, err := os.Stat("lifeline.db"); err == nil {
		t.Fatal("verify offline created a store")
	}
	eb.Reset()
	if rc := run(context.Background(), []string{"--db", "nothing.db", "--lang", "en", "verify", "--state", desk, first}, strings.NewReader(""), &ob, &eb); rc != 1 || !strings.Contains(eb.String(), "no store at nothing.db") {
		t.Fatalf("verify --db with no store there: rc %d %q", rc, eb.String())
	}

	// Revoke everything of the resident: now both fail.
	if rc, out, _ = codeRun(t, dir, "", "revoke", "--resident", doc); rc != 0 || !strings.Contains(out, "revoked 1 codes") {
		t.Fatalf("revoke --resident: %d %q", rc, out)
	}
	codeRun(t, dir, "", "revocations", "export", "--out", revoked)
	if rc, out, _ = codeRun(t, dir, "", "verify", "--root", root, "--revoked", revoked, second); rc != 1 || !strings.Contains(out, "revoked") {
		t.Fatalf("verify after resident revocation: rc %d\n%s", rc, out)
	}

	// --at a month and a day later: expired. A few minutes past exp: valid
	// with the skew noted, for a code issued after the revocations. At a
	// desk with no root pinned, verify checks against the desk's own keys
	// and the store's revocations.
	_, out, _ = codeRun(t, dir, "", "code", "--resident", doc, "--keep-previous")
	third := strings.TrimSpace(out)
	later := time.Now().Add(31 * 24 * time.Hour).Format(time.RFC3339)
	if rc, out, _ = codeRun(t, dir, "", "verify", "--state", desk, "--at", later, second); rc != 1 || !strings.Contains(out, "expired") {
		t.Fatalf("verify --at later: rc %d\n%s", rc, out)
	}
	_, c := mustVerify(t, dir, third)
	justAfter := c.ExpiresAt.Add(3 * time.Minute).Format(time.RFC3339)
	if rc, out, _ = codeRun(t, dir, "", "verify", "--state", desk, "--at", justAfter, third); rc != exitNotGreen || !strings.Contains(out, "clock-skew") {
		t.Fatalf("verify within skew: rc %d\n%s", rc, out)
	}
	if rc, _, _ = codeRun(t, dir, "", "verify", "not a code"); rc != 1 {
		t.Fatalf("garbage: rc %d", rc)
	}
}

func mustVerify(t *testing.T, dir, payload string) (code.Result, code.Claims) {
	t.Helper()
	keys, err := code.LoadSigningKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	r := (&code.Verifier{Trust: code.TrustListOf(keys)}).Verify(payload)
	return r, r.Claims
}

func TestRevokeKeyCutoffCommand(t *testing.T) {
	dir := t.TempDir()
	doc, _ := codeResident(t, dir)
	codeRun(t, dir, "", "keys", "new", "--not-before", time.Now().Add(-time.Hour).Format(time.RFC3339))
	_, out, _ := codeRun(t, dir, "", "code", "--resident", doc)
	payload := strings.TrimSpace(out)
	keys, err := code.LoadSigningKeys(filepath.Join(dir, "keys"))
	if err != nil || len(keys) != 1 {
		t.Fatal(keys, err)
	}
	cut := time.Now().Add(time.Minute).Format(time.RFC3339)
	rc, out, stderr := codeRun(t, dir, "", "revoke", "--key", keys[0].KID(), "--before", cut, "--reason", "leaked")
	if rc != 0 || !strings.Contains(out, "1 recorded codes revoked") {
		t.Fatalf("revoke --key: %d %q %q", rc, out, stderr)
	}
	codeRun(t, dir, "", "keys", "root", "new")
	root := filepath.Join(dir, "root.pub")
	codeRun(t, dir, "", "keys", "root", "export", "--out", root)
	revoked, trust := filepath.Join(dir, "revocations.cose"), filepath.Join(dir, "trust.cose")
	codeRun(t, dir, "", "keys", "export", "--out", trust)
	if rc, _, stderr := codeRun(t, dir, "", "revocations", "export", "--out", revoked); rc != 0 || !strings.Contains(stderr, "1 key cut-offs") {
		t.Fatalf("revocations export: %d %q", rc, stderr)
	}
	if rc, out, _ = codeRun(t, dir, "", "verify", "--root", root, "--trust", trust, "--revoked", revoked, payload); rc != 1 || !strings.Contains(out, "revoked") {
		t.Fatalf("verify: %d %s", rc, out)
	}
	// Usage mistakes exit 2.
	for _, args := range [][]string{{"revoke"}, {"revoke", "--key", keys[0].KID()}, {"revoke", "--serial", "x", "--resident", doc}, {"code"}, {"keys"}, {"keys", "export"}} {
		if rc, _, _ := codeRun(t, dir, "", args...); rc != 2 {
			t.Errorf("%v: rc %d, want 2", args, rc)
		}
	}
	// A group-readable key is refused by every command that reads keys.
	os.Chmod(keys[0].Path, 0o644)
	if rc, _, stderr := codeRun(t, dir, "", "code", "--resident", doc); rc != 1 || !strings.Contains(stderr, "chmod 600") {
		t.Fatalf("readable key: rc %d %q", rc, stderr)
	}
}
