package code_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/store"
)

// TestRevocationsOf: the list built from a real store holds the revoked
// serial and the key's cut-off, and not the code still valid.
func TestRevocationsOf(t *testing.T) {
	ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:test"})
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, _ := lifeline.MainlandIDCheckDigit("11010519491231002")
	r := &lifeline.Resident{Name: "张三丰", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002" + string(c)}}
	if err := db.CreateResident(ctx, r); err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2022, 4, 1, 9, 0, 0, 0, time.UTC)
	lost, kept := []byte("lost-card-000001"), []byte("kept-card-000002")
	const kid = "00112233aabbccdd"
	var codes []lifeline.IssuedCode
	for _, s := range [][]byte{lost, kept} {
		codes = append(codes, lifeline.IssuedCode{Serial: s, ResidentID: r.ID, KeyID: kid, IssuedBy: "staff:wang", IssuedAt: issued, ExpiresAt: issued.AddDate(0, 0, 30)})
	}
	if err := db.RecordIssued(ctx, codes); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeSerial(ctx, lost, "lost", ""); err != nil {
		t.Fatal(err)
	}
	cutoff := issued.Add(-time.Hour)
	if _, err := db.RevokeKeyBefore(ctx, kid, cutoff, "leaked", ""); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	l, err := code.RevocationsOf(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := code.ParseKeyID(kid)
	if l.Len() != 1 || !l.RevokedSerial(lost) || l.RevokedSerial(kept) || !l.Created.Equal(now) {
		t.Fatalf("list of %d serials: lost %v, kept %v", l.Len(), l.RevokedSerial(lost), l.RevokedSerial(kept))
	}
	if !l.RevokedByKey(id, cutoff.Add(-time.Minute)) || l.RevokedByKey(id, issued) {
		t.Fatalf("cut-offs %v, want %s before %v", l.Cutoffs, kid, cutoff)
	}
}
