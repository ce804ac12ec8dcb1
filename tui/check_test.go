package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

// checkConfig adds a real verifier over a fresh key and returns a valid
// payload for zhang signed by it.
func checkConfig(t *testing.T, f *fixture) (Config, string) {
	t.Helper()
	key, err := code.GenerateKey(t.TempDir(), testNow.Add(-time.Hour), testNow.Add(60*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	iss := &code.Issuer{Key: key, Now: func() time.Time { return testNow }}
	payload, _, err := iss.Issue(code.HolderOf(f.zhang), f.zhang.Address.Community)
	if err != nil {
		t.Fatal(err)
	}
	v := &code.Verifier{Trust: code.TrustListOf([]*code.SigningKey{key}), Now: func() time.Time { return testNow }}
	cfg := f.config()
	cfg.Check = VerifierChecker(v, f.db, lifeline.Zh)
	return cfg, payload
}

func TestCheckScansOneAfterAnother(t *testing.T) {
	f := newFixture(t)
	cfg, payload := checkConfig(t, f)
	tm := run(t, cfg)
	login(t, tm, "wang")
	tm.Send(fkey(4))
	waitFor(t, tm, "请扫描纸质码")
	// A scanner: the payload in one burst, then Enter; no other key.
	tm.Send(runes(payload))
	tm.Send(enter)
	waitFor(t, tm, "有 效", "张*丰")
	// Change one character of the signature part: the next scan needs no
	// key press, and it is refused.
	bad := []byte(payload)
	if bad[len(bad)-5] == 'A' {
		bad[len(bad)-5] = 'B'
	} else {
		bad[len(bad)-5] = 'A'
	}
	tm.Send(runes(string(bad)))
	tm.Send(enter)
	waitFor(t, tm, "无 效")
	tm.Send(runes("https://example.org/not-ours"))
	tm.Send(enter)
	waitFor(t, tm, "不是本系统的离线码")
	fm := final(t, tm)
	if fm.check.count != 3 || fm.check.valid != 1 {
		t.Errorf("count %d valid %d, want 3 scans with 1 valid", fm.check.count, fm.check.valid)
	}
	if fm.check.input.Value() != "" || !fm.check.input.Focused() {
		t.Error("the input is not empty and focused for the next scan")
	}
	requireGolden(t, fm)
}

func TestCheckValidView(t *testing.T) {
	f := newFixture(t)
	cfg, payload := checkConfig(t, f)
	tm := run(t, cfg)
	login(t, tm, "wang")
	tm.Send(fkey(4))
	tm.Send(runes(payload))
	tm.Send(enter)
	waitFor(t, tm, "有 效")
	fm := final(t, tm)
	v := fm.View()
	for _, want := range []string{"VALID", "张*丰", "身份证尾号 " + f.zhang.Doc.Tail(4), "绿码"} {
		if !strings.Contains(v, want) {
			t.Errorf("check screen lacks %q", want)
		}
	}
	if strings.Contains(v, f.zhang.Doc.Number) {
		t.Error("the full ID number is on the check screen")
	}
	requireGolden(t, fm)
}

// At a desk beside the store, a card revoked a minute ago is refused even
// though no revocation list has been exported yet.
func TestCheckRefusesCardRevokedInStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	key, err := code.GenerateKey(t.TempDir(), testNow.Add(-time.Hour), testNow.Add(60*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	iss := &code.Issuer{Key: key, Now: func() time.Time { return testNow }}
	payload, claims, err := iss.Issue(code.HolderOf(f.zhang), f.zhang.Address.Community)
	if err != nil {
		t.Fatal(err)
	}
	v := &code.Verifier{Trust: code.TrustListOf([]*code.SigningKey{key}), Now: func() time.Time { return testNow }}
	check := VerifierChecker(v, f.db, lifeline.Zh)
	if err := f.db.RecordIssued(ctx, []lifeline.IssuedCode{{Serial: claims.Serial, ResidentID: f.zhang.ID, KeyID: key.KID(), IssuedBy: "staff:wang", IssuedAt: claims.IssuedAt, ExpiresAt: claims.ExpiresAt}}); err != nil {
		t.Fatal(err)
	}
	if r := check(ctx, payload); !r.Valid {
		t.Fatalf("issued code refused: %+v", r)
	}
	if err := f.db.RevokeSerial(ctx, claims.Serial, "lost card", "staff:wang"); err != nil {
		t.Fatal(err)
	}
	r := check(ctx, payload)
	if r.Valid || r.Reason != code.Revoked.Label(lifeline.Zh) {
		t.Fatalf("revoked code: %+v, want invalid and revoked", r)
	}
	if r.Holder == "" {
		t.Error("a revoked code should still say whose it is, masked")
	}
}

// A genuine code of a holder who was red at issue is valid but not a
// pass: the screen says so apart from green, and warns of stale lists.
func TestCheckValidNotGreen(t *testing.T) {
	f := newFixture(t)
	key, err := code.GenerateKey(t.TempDir(), testNow.Add(-time.Hour), testNow.Add(60*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	iss := &code.Issuer{Key: key, Now: func() time.Time { return testNow }}
	payload, _, err := iss.Issue(code.HolderOf(f.wu), f.wu.Address.Community)
	if err != nil {
		t.Fatal(err)
	}
	// Lists signed three days before now: past their next update.
	listed := testNow.Add(-72 * time.Hour)
	v := &code.Verifier{Trust: code.TrustListOf([]*code.SigningKey{key}), Now: func() time.Time { return testNow },
		Lists: []code.ListInfo{code.ListTimes(code.TrustListKind, 1, listed, 0, 0), code.ListTimes(code.RevocationListKind, 1, listed, 0, 0)}}
	cfg := f.config()
	cfg.Check = VerifierChecker(v, f.db, lifeline.Zh)
	if r := cfg.Check(context.Background(), payload); !r.Valid || r.Green || len(r.Warnings) != 1 {
		t.Fatalf("red holder: %+v", r)
	}
	tm := run(t, cfg)
	login(t, tm, "wang")
	tm.Send(fkey(4))
	tm.Send(runes(payload))
	tm.Send(enter)
	waitFor(t, tm, "签发时非绿码", "红码", "列表已 3 天未更新")
	requireGolden(t, final(t, tm))
}
