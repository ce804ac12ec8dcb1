package code_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/store"
)

var t0 = time.Date(2022, 4, 9, 8, 30, 0, 0, time.UTC)

// exportWorld is a real SQLite store with residents, a signing key, a root
// and codes issued to the residents.
type exportWorld struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	root  *code.RootKey
	key   *code.SigningKey
	ids   []int64
	codes [][]byte // serials, one per resident
}

func newExportWorld(t *testing.T, residents int) *exportWorld {
	ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "test"})
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root, err := code.GenerateRootKey(filepath.Join(dir, "root", "root.key"), t0)
	if err != nil {
		t.Fatal(err)
	}
	key, err := code.GenerateKey(filepath.Join(dir, "keys"), t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	w := &exportWorld{t: t, ctx: ctx, db: db, root: root, key: key}
	var issued []lifeline.IssuedCode
	for i := 0; i < residents; i++ {
		r := lifeline.Resident{Name: fmt.Sprintf("测试%d", i), Doc: lifeline.Document{Type: lifeline.DocPassport, Number: fmt.Sprintf("E%08d", i)},
			Address: lifeline.Address{Community: "幸福里社区", Building: "1", Unit: "1", Room: fmt.Sprint(101 + i)}}
		if err := db.CreateResident(ctx, &r); err != nil {
			t.Fatal(err)
		}
		s, _ := code.NewSerial()
		w.ids, w.codes = append(w.ids, r.ID), append(w.codes, s)
		// Codes of later residents are issued later, so they expire later.
		at := t0.Add(time.Duration(i) * 24 * time.Hour)
		issued = append(issued, lifeline.IssuedCode{Serial: s, ResidentID: r.ID, KeyID: key.KID(), IssuedAt: at, ExpiresAt: at.Add(code.DefaultValidity)})
	}
	if err := db.RecordIssued(ctx, issued); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *exportWorld) export(now time.Time, since int64) code.ListFile {
	w.t.Helper()
	e, err := code.ExportRevocations(w.ctx, w.db, w.root, now, since, code.ListDurations{})
	if err != nil {
		w.t.Fatal(err)
	}
	return code.ListFile{Name: fmt.Sprintf("v%d-since%d", e.Info.Version, since), Data: e.Data}
}

func opened(t *testing.T, f code.ListFile, root *code.RootKey) *code.SignedList {
	t.Helper()
	l, err := code.OpenList(f.Data, code.Roots{root.Pin()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Full lists and deltas exported from a store, day after day: a checkpoint
// fed the deltas holds exactly what one fed the full lists holds, and
// entries leave once their codes have expired.
func TestExportedDeltaChainEqualsFullList(t *testing.T) {
	w := newExportWorld(t, 12)
	byDeltas, err := code.OpenCheckpoint(filepath.Join(t.TempDir(), "a"), code.Roots{w.root.Pin()})
	if err != nil {
		t.Fatal(err)
	}
	byFull, _ := code.OpenCheckpoint(filepath.Join(t.TempDir(), "b"), code.Roots{w.root.Pin()})
	first := w.export(t0, 0)
	if _, err := byDeltas.Update([]code.ListFile{first}); err != nil {
		t.Fatal(err)
	}
	version := opened(t, first, w.root).Version
	for day := 1; day <= 45; day++ {
		now := t0.Add(time.Duration(day) * 24 * time.Hour)
		if day <= len(w.codes) {
			if err := w.db.RevokeSerial(w.ctx, w.codes[day-1], "lost", ""); err != nil {
				t.Fatal(err)
			}
		}
		if day == 5 {
			if _, err := w.db.RevokeKeyBefore(w.ctx, w.key.KID(), t0, "leak", ""); err != nil {
				t.Fatal(err)
			}
		}
		delta := w.export(now, int64(version))
		full := w.export(now, 0)
		dl, fl := opened(t, delta, w.root), opened(t, full, w.root)
		if dl.Version != fl.Version || dl.Delta.Since != version {
			t.Fatalf("day %d: delta %d→%d, full %d", day, dl.Delta.Since, dl.Version, fl.Version)
		}
		if _, err := byDeltas.Update([]code.ListFile{delta}); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if _, err := byFull.Update([]code.ListFile{full}); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		ra, rb := heldRevocations(t, byDeltas), heldRevocations(t, byFull)
		if !ra.Equal(rb) {
			t.Fatalf("day %d: the delta chain holds %d, the full list %d", day, ra.Len(), rb.Len())
		}
		// The serial revoked on day d is on the list until its code has
		// expired and the grace day has passed.
		for i, s := range w.codes[:min(day, len(w.codes))] {
			exp := t0.Add(time.Duration(i)*24*time.Hour + code.DefaultValidity)
			want := !now.After(exp.Add(lifeline.RevocationGrace))
			if got := rb.RevokedSerial(s); got != want {
				t.Fatalf("day %d: code %d (expires %v) on the list %v, want %v", day, i, exp, got, want)
			}
		}
		version = fl.Version
	}
	if n := heldRevocations(t, byFull).Len(); n != 0 {
		t.Errorf("45 days on, %d entries are still on the list", n)
	}
	if vi, _ := byFull.Revocations(); len(heldRevocations(t, byFull).Cutoffs) != 1 || vi.Version < 10 {
		t.Errorf("final list: version %d, cut-offs %v", vi.Version, heldRevocations(t, byFull).Cutoffs)
	}

	// A delta from a version newer than any published: refused, with the
	// fix (export a full list).
	_, err = code.ExportRevocations(w.ctx, w.db, w.root, t0.Add(46*24*time.Hour), int64(version)+5, code.ListDurations{})
	if lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("delta from a future version: %v", err)
	}
}

func heldRevocations(t *testing.T, cp *code.Checkpoint) *code.RevocationList {
	t.Helper()
	l := cp.RevocationList()
	if l == nil {
		t.Fatal("no revocation list held")
	}
	return l
}

// The trust list export numbers its versions from the store, leaves out
// keys whose codes have all expired, and never includes the root.
func TestExportTrustList(t *testing.T) {
	w := newExportWorld(t, 1)
	old, err := code.NewKey(t0.Add(-100*24*time.Hour), t0.Add(-31*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	next, _ := code.NewKey(t0.Add(300*24*time.Hour), t0.Add(600*24*time.Hour))
	var last uint64
	for i := 0; i < 2; i++ {
		e, err := code.ExportTrustList(w.ctx, w.db, w.root, []*code.SigningKey{old, w.key, next}, t0, code.ListDurations{})
		if err != nil {
			t.Fatal(err)
		}
		l := opened(t, code.ListFile{Data: e.Data}, w.root)
		if l.Version <= last || e.Keys != 2 || l.Trust.Len() != 2 || len(l.Trust[old.ID]) != 0 || len(l.Trust[next.ID]) != 1 {
			t.Fatalf("export %d: version %d after %d, %d keys", i, l.Version, last, l.Trust.Len())
		}
		last = l.Version
	}
	asSigner := &code.SigningKey{ID: w.root.ID, Private: w.root.Private, NotBefore: t0, NotAfter: t0.Add(time.Hour), Path: "keys/x.key"}
	if _, err := code.ExportTrustList(w.ctx, w.db, w.root, []*code.SigningKey{w.key, asSigner}, t0, code.ListDurations{}); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("root as a signing key: %v", err)
	}
	var le *lifeline.Error
	_, err = code.ExportTrustList(w.ctx, w.db, w.root, []*code.SigningKey{old}, t0, code.ListDurations{})
	if !errors.As(err, &le) || le.Code != lifeline.ENOTFOUND {
		t.Fatalf("only expired keys: %v", err)
	}
}

// IssueRecorded records the code it issues and revokes the holder's
// earlier ones, unless told to keep them.
func TestIssueRecorded(t *testing.T) {
	w := newExportWorld(t, 1)
	r, err := w.db.ResidentByDocument(w.ctx, lifeline.Document{Number: "E00000000"})
	if err != nil {
		t.Fatal(err)
	}
	is := &code.Issuer{Key: w.key, Now: func() time.Time { return t0 }}
	for i, keep := range []bool{true, false} {
		_, c, err := is.IssueRecorded(w.ctx, w.db, r, "", "staff:wang", keep)
		if err != nil {
			t.Fatal(err)
		}
		if c.Issuer != "幸福里社区" {
			t.Errorf("issuer %q", c.Issuer)
		}
		codes, _ := w.db.IssuedCodes(w.ctx, r.ID)
		valid := 0
		for _, ic := range codes {
			if !ic.Revoked() {
				valid++
			}
		}
		if want := []int{2, 1}[i]; len(codes) != i+2 || valid != want {
			t.Fatalf("after issue %d (keep %v): %d codes, %d valid, want %d", i, keep, len(codes), valid, want)
		}
	}
}
