package code

import (
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestEnsureActiveKey: an empty directory gets a key, which is then the
// active one and is not made again; a directory of expired keys gets a
// new one.
func TestEnsureActiveKey(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	if _, err := LoadActiveKey(dir, now); err == nil {
		t.Fatal("an empty directory has an active key")
	}
	k, created, err := EnsureActiveKey(dir, now)
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	again, created, err := EnsureActiveKey(dir, now)
	if err != nil || created || again.KID() != k.KID() {
		t.Fatalf("second: %v %v, want the same key", created, err)
	}
	if active, err := LoadActiveKey(dir, now); err != nil || active.KID() != k.KID() {
		t.Fatalf("LoadActiveKey: %v", err)
	}
	old := t.TempDir()
	if _, err := GenerateKey(old, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if k, created, err := EnsureActiveKey(old, now); err != nil || !created || !k.ValidAt(now) {
		t.Fatalf("expired only: %v %v", created, err)
	}
}

// TestStateAt: of two keys valid now, the newer signs; an old key has
// expired and a future one is not yet valid.
func TestStateAt(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	var keys []*SigningKey
	for _, w := range [][2]time.Time{
		{now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)},
		{now.AddDate(0, -2, 0), now.AddDate(0, 2, 0)},
		{now.AddDate(0, -1, 0), now.AddDate(0, 3, 0)},
		{now.AddDate(0, 1, 0), now.AddDate(1, 0, 0)},
	} {
		k, err := GenerateKey(dir, w[0], w[1])
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	active, err := ActiveKey(keys, now)
	if err != nil || active != keys[2] {
		t.Fatalf("active %v, %v: want the newer of the two valid", active, err)
	}
	for i, want := range []string{"expired", "valid", "signing", "not yet valid"} {
		if got := keys[i].StateAt(now, active, lifeline.En); got != want {
			t.Errorf("key %d: %q, want %q", i, got, want)
		}
	}
	if got := keys[2].StateAt(now, active, lifeline.Zh); got != "正在签发" {
		t.Errorf("in Chinese: %q", got)
	}
}
