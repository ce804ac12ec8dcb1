package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"golang.org/x/crypto/bcrypt"
)

func TestMain(m *testing.M) {
	if dummyMade.Load() {
		// Every lifeline command loads this package: a bcrypt hash made
		// while loading it would delay each of them before it starts.
		fmt.Fprintln(os.Stderr, "auth: the dummy hash was made when the package loaded, not on first use")
		os.Exit(1)
	}
	Cost = bcrypt.MinCost // the checks, not the slowness, are under test
	os.Exit(m.Run())
}

func TestHashPassword(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		code string
	}{
		{"short", lifeline.EINVALID},
		{"exactly8", ""},
		{string(make([]byte, 73)), lifeline.EINVALID},
	} {
		h, err := HashPassword(tc.pw)
		if lifeline.ErrorCode(err) != tc.code {
			t.Errorf("HashPassword(%d bytes): %v, want code %q", len(tc.pw), err, tc.code)
		}
		if err == nil && bcrypt.CompareHashAndPassword([]byte(h), []byte(tc.pw)) != nil {
			t.Errorf("hash of %q does not match it", tc.pw)
		}
	}
	a, _ := HashPassword("same-password")
	b, _ := HashPassword("same-password")
	if a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
}

// openWithWang opens a store with one resident in 幸福里社区 (so the
// community exists) and the worker wang.
func openWithWang(t *testing.T) (*store.DB, time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, err = db.Import(ctx, &lifeline.ImportBatch{Residents: []lifeline.Resident{{
		Name: "王芳", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"},
		Address: lifeline.Address{Community: "幸福里社区", Building: "1", Unit: "1", Room: "101"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := HashPassword("right-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStaff(ctx, &lifeline.Staff{User: "wang", Community: "幸福里社区", PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db, now
}

func TestLoginLocksPerPlace(t *testing.T) {
	ctx := context.Background()
	db, now := openWithWang(t)
	const desk, other = "console desk-1", "console desk-2"
	if _, err := Login(ctx, db, "wang", "right-password", desk, now); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for i := 1; i < lifeline.MaxLoginFailures; i++ {
		_, err := Login(ctx, db, "wang", "wrong", desk, now)
		if lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err := Login(ctx, db, "wang", "wrong", desk, now)
	if lifeline.ErrorCode(err) != lifeline.ELOCKED || !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "1 minute") {
		t.Fatalf("failure %d: %v, want a lock of 1 minute", lifeline.MaxLoginFailures, err)
	}
	if _, err := Login(ctx, db, "wang", "right-password", desk, now.Add(30*time.Second)); lifeline.ErrorCode(err) != lifeline.ELOCKED {
		t.Fatalf("right password during the lock: %v, want locked", err)
	}
	// Locked at one desk, not at the next one.
	if _, err := Login(ctx, db, "wang", "right-password", other, now); err != nil {
		t.Fatalf("right password at another desk: %v", err)
	}
	// The second lock in a row is longer; the first was short.
	later := now.Add(time.Minute)
	for i := 0; i < lifeline.MaxLoginFailures; i++ {
		_, err = Login(ctx, db, "wang", "wrong", desk, later)
	}
	if !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "5 minutes") {
		t.Fatalf("second lock: %v, want 5 minutes", err)
	}
	// An admin unlocks it.
	n, err := db.UnlockStaff(ctx, "wang")
	if err != nil || n != 1 {
		t.Fatalf("unlock: %d places, %v; want 1", n, err)
	}
	if _, err := Login(ctx, db, "wang", "right-password", desk, later); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	// A success in between starts the count again: four failures, a
	// success, four more do not lock.
	for round := 0; round < 2; round++ {
		for i := 1; i < lifeline.MaxLoginFailures; i++ {
			Login(ctx, db, "wang", "wrong", desk, later)
		}
		if _, err := Login(ctx, db, "wang", "right-password", desk, later); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestLoginNoProbing: a name nobody has reads exactly as a real one with a
// wrong password, all the way to the lock.
func TestLoginNoProbing(t *testing.T) {
	ctx := context.Background()
	db, now := openWithWang(t)
	for i := 0; i < lifeline.MaxLoginFailures+1; i++ {
		_, known := Login(ctx, db, "wang", "wrong-password", "ssh 10.0.0.5", now)
		_, unknown := Login(ctx, db, "nobody", "wrong-password", "ssh 10.0.0.5", now)
		for _, l := range []lifeline.Lang{lifeline.Zh, lifeline.En} {
			if k, u := lifeline.ErrorMessage(known, l), lifeline.ErrorMessage(unknown, l); k != u || lifeline.ErrorCode(known) != lifeline.ErrorCode(unknown) {
				t.Fatalf("attempt %d: a known user reads %q, an unknown one %q", i+1, k, u)
			}
		}
	}
	log, err := db.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var failed, locked, refused int
	for _, e := range log {
		switch e.Action {
		case "login_failed":
			failed++
			if e.Place != "ssh 10.0.0.5" {
				t.Errorf("failure audited at %q", e.Place)
			}
			if strings.Contains(e.Detail, "nobody") {
				t.Errorf("an unknown user name is in the audit log: %q", e.Detail)
			}
		case "login_locked":
			locked++
		case "login_refused":
			refused++
		}
	}
	if failed != 2*lifeline.MaxLoginFailures || locked != 2 || refused != 2 {
		t.Errorf("audited %d failures, %d locks, %d refusals; want %d, 2, 2", failed, locked, refused, 2*lifeline.MaxLoginFailures)
	}
}

func TestLoginDisabledAndRemoved(t *testing.T) {
	ctx := context.Background()
	db, now := openWithWang(t)
	if err := db.SetStaffDisabled(ctx, "wang", true); err != nil {
		t.Fatal(err)
	}
	_, err := Login(ctx, db, "wang", "right-password", "console desk-1", now)
	if lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("disabled account: %v, want forbidden", err)
	}
	// Its wrong password says nothing of it being disabled.
	if _, err := Login(ctx, db, "wang", "wrong-password", "console desk-1", now); lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
		t.Fatalf("disabled account, wrong password: %v", err)
	}
	if err := db.SetStaffDisabled(ctx, "wang", false); err != nil {
		t.Fatal(err)
	}
	if _, err := Login(ctx, db, "wang", "right-password", "console desk-1", now); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
	if err := db.RemoveStaff(ctx, "wang"); err != nil {
		t.Fatal(err)
	}
	if _, err := Login(ctx, db, "wang", "right-password", "console desk-1", now); lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
		t.Fatalf("removed account: %v, want the words of a wrong password", err)
	}
}

func TestKeyLogin(t *testing.T) {
	ctx := context.Background()
	db, _ := openWithWang(t)
	k := &lifeline.StaffKey{User: "wang", Fingerprint: "SHA256:abc", PublicKey: "ssh-ed25519 AAAA"}
	if err := db.AddStaffKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if s, err := KeyLogin(ctx, db, "wang", "SHA256:abc", "ssh 10.0.0.5"); err != nil || s.User != "wang" {
		t.Fatalf("key login: %v %v", s, err)
	}
	if _, err := KeyLogin(ctx, db, "li", "SHA256:abc", "ssh 10.0.0.5"); lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
		t.Fatalf("wang's key for li: %v", err)
	}
	if _, err := KeyLogin(ctx, db, "wang", "SHA256:other", "ssh 10.0.0.5"); lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
		t.Fatalf("unknown key: %v", err)
	}
	db.SetStaffDisabled(ctx, "wang", true)
	if _, err := KeyLogin(ctx, db, "wang", "SHA256:abc", "ssh 10.0.0.5"); lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("disabled account's key: %v", err)
	}
}
