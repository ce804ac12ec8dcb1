package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/internal/qrread"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/tui"
)

// verify's exit statuses, as docs/offline-code.md gives them.
const (
	exitAllGreen = 0 // every code valid, every holder green at issue
	exitInvalid  = 1 // a code invalid
	exitNotGreen = 3 // every code valid, a holder not green at issue
)

// deployment is a store with a signing key and a root, as an issuing
// office has it; checkpoint runs lifeline verify against its lists.
type deployment struct {
	t    *testing.T
	dir  string
	root string // root.pub
}

func newDeployment(t *testing.T) *deployment {
	d := &deployment{t: t, dir: t.TempDir()}
	d.root = filepath.Join(d.dir, "root.pub")
	for _, args := range [][]string{{"keys", "new"}, {"keys", "root", "new"}, {"keys", "root", "export", "--out", d.root, "--qr", filepath.Join(d.dir, "root.png")}} {
		if rc, _, stderr := d.run("", args...); rc != 0 {
			t.Fatalf("%v: %d %s", args, rc, stderr)
		}
	}
	return d
}

func (d *deployment) run(stdin string, args ...string) (int, string, string) {
	d.t.Helper()
	return codeRun(d.t, d.dir, stdin, args...)
}

// export writes a list with the command and args given, and returns its path.
func (d *deployment) export(name string, args ...string) string {
	d.t.Helper()
	path := filepath.Join(d.dir, name)
	if rc, _, stderr := d.run("", append(args, "--out", path)...); rc != 0 {
		d.t.Fatalf("%v: %d %s", args, rc, stderr)
	}
	return path
}

// resident stores a resident with a colour and issues them a code.
func (d *deployment) resident(doc string, color lifeline.Color) string {
	d.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(d.dir, "lifeline.db"))
	if err != nil {
		d.t.Fatal(err)
	}
	r := &lifeline.Resident{Name: "李四", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: doc},
		Address: lifeline.Address{Community: "幸福里社区", Building: "1", Unit: "1", Room: "101"}}
	if err := db.CreateResident(ctx, r); err != nil {
		d.t.Fatal(err)
	}
	if color != "" {
		if _, err := db.RecordResult(ctx, lifeline.StatusUpdate{ResidentID: r.ID, Color: color, At: time.Now().Add(-time.Hour)}); err != nil {
			d.t.Fatal(err)
		}
	}
	db.Close()
	rc, out, stderr := d.run("", "code", "--resident", doc)
	if rc != 0 {
		d.t.Fatalf("code: %d %s", rc, stderr)
	}
	return strings.TrimSpace(out)
}

// The root's public file and its QR code carry the same pin, which a real
// QR decoder reads back and verify takes as --root.
func TestRootExport(t *testing.T) {
	d := newDeployment(t)
	roots, err := code.LoadRoots(d.root)
	if err != nil || len(roots) != 1 {
		t.Fatalf("root.pub: %v %v", roots, err)
	}
	f, err := os.Open(filepath.Join(d.dir, "root.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := qrread.Decode(img)
	if err != nil || text != roots[0].String() {
		t.Fatalf("QR reads %q, %v; want %s", text, err, roots[0])
	}
	_, _, stderr := d.run("", "keys", "root", "export", "--out", "-")
	if !strings.Contains(stderr, roots[0].Fingerprint()) {
		t.Errorf("root export does not print the fingerprint: %s", stderr)
	}
	// A second root over the first is refused; the first stays.
	if rc, _, stderr := d.run("", "keys", "root", "new"); rc != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("second root: %d %s", rc, stderr)
	}
	// The scanned text pins as well as the file.
	p := d.resident("E00000001", lifeline.Green)
	trust, revs := d.export("trust.cose", "keys", "export"), d.export("revocations.cose", "revocations", "export")
	if rc, out, stderr := d.run("", "verify", "--root", strings.ToLower(text), "--trust", trust, "--revoked", revs, p); rc != 0 {
		t.Fatalf("verify with the scanned pin: %d %s %s", rc, out, stderr)
	}
}

// Exit status and --json tell a holder who was green at issue from one who
// was not: only 0 lets a checkpoint that automates wave a person through.
func TestVerifyGreenAtIssue(t *testing.T) {
	d := newDeployment(t)
	green, red, yellow := d.resident("E00000001", lifeline.Green), d.resident("E00000002", lifeline.Red), d.resident("E00000003", lifeline.Yellow)
	trust, revs := d.export("trust.cose", "keys", "export"), d.export("revocations.cose", "revocations", "export")
	base := []string{"verify", "--root", d.root, "--trust", trust, "--revoked", revs}
	for _, tt := range []struct {
		name  string
		codes []string
		rc    int
	}{
		{"green", []string{green}, exitAllGreen},
		{"red", []string{red}, exitNotGreen},
		{"yellow", []string{yellow}, exitNotGreen},
		{"green and red", []string{green, red}, exitNotGreen},
		{"red and invalid", []string{red, "LL1:GARBAGE"}, exitInvalid},
	} {
		rc, out, stderr := d.run("", append(base, tt.codes...)...)
		if rc != tt.rc {
			t.Errorf("%s: exit %d, want %d\n%s%s", tt.name, rc, tt.rc, out, stderr)
		}
	}
	rc, out, _ := d.run(red+"\n"+green+"\n", append(base, "--json")...)
	var j []code.Report
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var v code.Report
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		j = append(j, v)
	}
	if rc != exitNotGreen || len(j) != 2 || !j[0].Valid || j[0].GreenAtIssue || j[0].Verdict != code.VerdictValidNotGreen || j[0].Holder.Color != "red" ||
		!j[1].GreenAtIssue || j[1].Verdict != code.VerdictValidGreen {
		t.Fatalf("json: exit %d, %+v", rc, j)
	}
	if _, out, _ := d.run("", append(base, red)...); !strings.Contains(out, "NOT GREEN AT ISSUE") || !strings.Contains(out, "at issue: RED") {
		t.Errorf("text for a red holder: %s", out)
	}
}

// A line of any length on standard input is refused as too long, and the
// next line is still checked; --json prints one object per line, never an
// empty line.
func TestVerifyStdinSurvivesLongLines(t *testing.T) {
	d := newDeployment(t)
	p := d.resident("E00000001", lifeline.Green)
	trust, revs := d.export("trust.cose", "keys", "export"), d.export("revocations.cose", "revocations", "export")
	huge := strings.Repeat("A", 3<<20)
	stdin := huge + "\n" + p + "\n" + code.Prefix + strings.Repeat("0", 900) + "\n\n" + p
	rc, out, stderr := d.run(stdin, "verify", "--root", d.root, "--trust", trust, "--revoked", revs, "--json")
	lines := strings.Split(out, "\n")
	if rc != exitInvalid || len(lines) != 5 || lines[4] != "" {
		t.Fatalf("exit %d, %d lines: %q %s", rc, len(lines), out, stderr)
	}
	want := []string{"too_long", "", "too_long", ""}
	for i, line := range lines[:4] {
		var v code.Report
		if err := json.Unmarshal([]byte(line), &v); err != nil || v.Reason != want[i] || v.Valid != (want[i] == "") {
			t.Errorf("line %d: %q: %+v %v", i, line, v, err)
		}
	}
}

// Forged lists, an older list after a newer one, unsigned lists and lists
// without a root are all refused, each with words that say why; the
// checkpoint goes on with what it held.
func TestVerifyRefusesListsItCannotProve(t *testing.T) {
	d, stranger := newDeployment(t), newDeployment(t)
	p := d.resident("E00000001", lifeline.Green)
	trust, old := d.export("trust.cose", "keys", "export"), d.export("revocations-1.cose", "revocations", "export")
	base := []string{"verify", "--root", d.root}
	if rc, _, stderr := d.run("", append(base, "--trust", trust, "--revoked", old, p)...); rc != 0 {
		t.Fatalf("first lists: %d %s", rc, stderr)
	}
	// The card is reported lost; the new list revokes it.
	if rc, _, stderr := d.run("", "revoke", "--resident", "E00000001"); rc != 0 {
		t.Fatalf("revoke: %d %s", rc, stderr)
	}
	newer := d.export("revocations-2.cose", "revocations", "export")
	if rc, out, _ := d.run("", append(base, "--revoked", newer, p)...); rc != exitInvalid || !strings.Contains(out, "revoked") {
		t.Fatalf("after the newer list: %d %s", rc, out)
	}
	forgedTrust := stranger.export("trust.cose", "keys", "export")
	forgedRevs := stranger.export("revocations.cose", "revocations", "export")
	for _, tt := range []struct {
		name string
		args []string
		rc   int
		says string
	}{
		{"older revocation list", []string{"--revoked", old}, exitInvalid, "older than version"},
		{"trust list of another root", []string{"--trust", forgedTrust}, exitInvalid, "not signed by the pinned root"},
		{"revocation list of another root", []string{"--revoked", forgedRevs}, exitInvalid, "not signed by the pinned root"},
		{"unsigned trust list", []string{"--trust", d.export("trust.json", "keys", "export", "--unsigned")}, exitInvalid, "unsigned JWK Set"},
	} {
		rc, out, stderr := d.run("", append(append(base, tt.args...), p)...)
		if rc != tt.rc || !strings.Contains(stderr, tt.says) || strings.Contains(out, "VALID") {
			t.Errorf("%s: exit %d, %q %q", tt.name, rc, out, stderr)
		}
	}
	// Still revoked: nothing refused was taken.
	if rc, out, _ := d.run("", append(base, p)...); rc != exitInvalid || !strings.Contains(out, "revoked") {
		t.Fatalf("after the refused lists: %d %s", rc, out)
	}
	// Lists need a root, pinned now or before; a checkpoint needs a
	// revocation list unless told.
	if rc, _, stderr := d.run("", "verify", "--state", filepath.Join(d.dir, "unpinned"), "--trust", trust, p); rc != 1 || !strings.Contains(stderr, "add --root") {
		t.Errorf("--trust with no root pinned: exit %d %s", rc, stderr)
	}
	if rc, out, _ := d.run("", "verify", p); rc != exitInvalid || !strings.Contains(out, "revoked") {
		t.Errorf("the root pinned before, without --root: exit %d %s", rc, out)
	}
	fresh := []string{"verify", "--root", d.root, "--state", filepath.Join(d.dir, "fresh"), "--trust", trust}
	if rc, _, stderr := d.run("", append(fresh, p)...); rc != 1 || !strings.Contains(stderr, "--no-revocations") {
		t.Errorf("no revocation list: exit %d %s", rc, stderr)
	}
	// Told to go without a list, a checkpoint with no store at hand passes
	// the card; beside the store that revoked it, verify still refuses it.
	if rc, out, _ := d.run("", append(fresh, "--no-revocations", p)...); rc != exitInvalid || !strings.Contains(out, "revoked") {
		t.Errorf("--no-revocations beside the store: exit %d %s", rc, out)
	}
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	if rc := run(context.Background(), append([]string{"--lang", "en"}, append(fresh, "--no-revocations", p)...), strings.NewReader(""), &out, &errb); rc != 0 {
		t.Errorf("--no-revocations offline: exit %d %s%s", rc, out.String(), errb.String())
	}
}

// Deltas from revocations export --since keep a checkpoint up to date;
// a delta it cannot place asks for the full list.
func TestVerifyTakesDeltas(t *testing.T) {
	d := newDeployment(t)
	p1, p2 := d.resident("E00000001", lifeline.Green), d.resident("E00000002", lifeline.Green)
	trust, full := d.export("trust.cose", "keys", "export"), d.export("full.cose", "revocations", "export")
	base := []string{"verify", "--root", d.root}
	if rc, _, stderr := d.run("", append(base, "--trust", trust, "--revoked", full, p1)...); rc != 0 {
		t.Fatalf("full list: %d %s", rc, stderr)
	}
	d.run("", "revoke", "--resident", "E00000001")
	delta := d.export("delta-1.cose", "revocations", "export", "--since", "1")
	rc, out, stderr := d.run("", append(base, "--revoked", delta, p1, p2)...)
	if rc != exitInvalid || strings.Count(out, "INVALID") != 1 || !strings.Contains(stderr, "revocation list version 2") {
		t.Fatalf("delta 1→2: %d %s %s", rc, out, stderr)
	}
	d.run("", "revoke", "--resident", "E00000002")
	d.export("full-3.cose", "revocations", "export")
	gap := d.export("delta-3.cose", "revocations", "export", "--since", "3")
	if rc, _, stderr := d.run("", append(base, "--revoked", gap, p2)...); rc != exitInvalid || !strings.Contains(stderr, "load a full revocation list") {
		t.Fatalf("a delta from 3 on version 2: %d %s", rc, stderr)
	}
}

// Lists past their next update warn on every result; past their hard
// limit nothing passes; a clock behind the lists says so.
func TestVerifyListAge(t *testing.T) {
	d := newDeployment(t)
	p := d.resident("E00000001", lifeline.Green)
	trust, revs := d.export("trust.cose", "keys", "export"), d.export("revocations.cose", "revocations", "export", "--expires", "96h")
	base := []string{"verify", "--root", d.root, "--trust", trust, "--revoked", revs}
	at := func(d time.Duration) string { return time.Now().Add(d).Format(time.RFC3339) }
	for _, tt := range []struct {
		name string
		args []string
		rc   int
		says string
	}{
		{"fresh", []string{}, 0, ""},
		{"three days old", []string{"--at", at(72 * time.Hour)}, 0, "warning: lists 3 days old"},
		{"past the hard limit", []string{"--at", at(97 * time.Hour)}, 1, "lists_expired"},
		{"past the checkpoint's own limit", []string{"--at", at(49 * time.Hour), "--max-list-age", "48h"}, 1, "lists_expired"},
		{"clock two hours slow", []string{"--at", at(-2 * time.Hour)}, 0, "clock looks wrong"},
	} {
		rc, out, stderr := d.run("", append(append(base, tt.args...), p)...)
		if rc != tt.rc || !strings.Contains(out, tt.says) {
			t.Errorf("%s: exit %d, want %d and %q:\n%s%s", tt.name, rc, tt.rc, tt.says, out, stderr)
		}
	}
}

// The staff screen's check screen takes the same flags: a pinned root and
// its lists, refused lists stopping the start.
func TestStaffScreenChecksAgainstTheCheckpoint(t *testing.T) {
	d, stranger := newDeployment(t), newDeployment(t)
	green, red := d.resident("E00000001", lifeline.Green), d.resident("E00000002", lifeline.Red)
	trust, revs := d.export("trust.cose", "keys", "export"), d.export("revocations.cose", "revocations", "export")
	config := func(args ...string) (tui.Config, error) {
		t.Helper()
		app := &App{DBPath: filepath.Join(d.dir, "lifeline.db"), Lang: lifeline.En, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
		defer app.Close()
		fs := app.newFlagSet("tui")
		f := addTUIFlags(app, fs)
		if err := fs.Parse(append(args, "--print-dir", filepath.Join(d.dir, "prints"), "--state", filepath.Join(d.dir, "desk-checkpoint"))); err != nil {
			t.Fatal(err)
		}
		db, err := app.Store(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tuiConfig(app, db, f)
	}
	cfg, err := config("--root", d.root, "--trust", trust, "--revoked", revs)
	if err != nil || cfg.Check == nil {
		t.Fatalf("tui with a checkpoint: %v", err)
	}
	if r := cfg.Check(context.Background(), green); !r.Valid || !r.Green {
		t.Errorf("green holder: %+v", r)
	}
	if r := cfg.Check(context.Background(), red); !r.Valid || r.Green {
		t.Errorf("red holder: %+v", r)
	}
	forged := stranger.export("trust.cose", "keys", "export")
	if _, err := config("--trust", forged); lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("a stranger's trust list: %v", err)
	}
}
