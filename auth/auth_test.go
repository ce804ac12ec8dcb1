package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

func TestLoginLockout(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := HashPassword("right-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStaff(ctx, &lifeline.Staff{User: "wang", Community: "幸福里社区", PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)

	// An unknown user and a wrong password read the same: no probing for
	// user names.
	_, errUnknown := Login(ctx, db, "nobody", "whatever-pw", now)
	if lifeline.ErrorCode(errUnknown) != lifeline.EUNAUTHORIZED {
		t.Fatalf("unknown user: %v", errUnknown)
	}
	if _, err := Login(ctx, db, "wang", "right-password", now); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for i := 1; i < MaxFailures; i++ {
		_, err := Login(ctx, db, "wang", "wrong", now)
		if lifeline.ErrorCode(err) != lifeline.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := Login(ctx, db, "wang", "wrong", now); lifeline.ErrorCode(err) != lifeline.ELOCKED {
		t.Fatalf("failure %d: %v, want locked", MaxFailures, err)
	}
	if _, err := Login(ctx, db, "wang", "right-password", now.Add(LockFor-time.Second)); lifeline.ErrorCode(err) != lifeline.ELOCKED {
		t.Fatalf("right password during the lock: %v, want locked", err)
	}
	if _, err := Login(ctx, db, "wang", "right-password", now.Add(LockFor)); err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	s, err := db.StaffByUser(ctx, "wang")
	if err != nil {
		t.Fatal(err)
	}
	if s.FailedLogins != 0 || !s.LockedUntil.IsZero() {
		t.Errorf("after a good login: %d failures, locked until %v; want both cleared", s.FailedLogins, s.LockedUntil)
	}
	// A success in between resets the count: four failures, a success,
	// four more do not lock.
	for round := 0; round < 2; round++ {
		for i := 1; i < MaxFailures; i++ {
			Login(ctx, db, "wang", "wrong", now.Add(LockFor))
		}
		if _, err := Login(ctx, db, "wang", "right-password", now.Add(LockFor)); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
