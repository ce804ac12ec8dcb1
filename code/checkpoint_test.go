package code

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// issuerSide signs the lists a checkpoint is handed in these tests.
type issuerSide struct {
	t    *testing.T
	root *RootKey
	keys []*SigningKey
}

func (is issuerSide) trust(version uint64, at time.Time) ListFile {
	is.t.Helper()
	b, err := SignTrustList(is.root, TrustListOf(is.keys), ListTimes(TrustListKind, version, at, 0, 0))
	if err != nil {
		is.t.Fatal(err)
	}
	return ListFile{Name: "trust-" + itoa(version) + ".cose", Data: b}
}

func (is issuerSide) full(l *RevocationList, version uint64, at time.Time) ListFile {
	is.t.Helper()
	b, err := SignRevocationList(is.root, l, ListTimes(RevocationListKind, version, at, 0, 0))
	if err != nil {
		is.t.Fatal(err)
	}
	return ListFile{Name: "revocations-" + itoa(version) + ".cose", Data: b}
}

func (is issuerSide) delta(since uint64, from, to *RevocationList, version uint64, at time.Time) ListFile {
	is.t.Helper()
	b, err := SignRevocationDelta(is.root, DeltaOf(since, from, to), ListTimes(RevocationDeltaKind, version, at, 0, 0))
	if err != nil {
		is.t.Fatal(err)
	}
	return ListFile{Name: "delta-" + itoa(since) + "-" + itoa(version) + ".cose", Data: b}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

func newIssuerSide(t *testing.T) issuerSide {
	return issuerSide{t: t, root: testRoot(t), keys: []*SigningKey{newKey(t, t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour))}}
}

func openCP(t *testing.T, dir string, roots ...RootPin) *Checkpoint {
	t.Helper()
	cp, err := OpenCheckpoint(dir, roots)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func TestCheckpointTakesListsAndKeepsThem(t *testing.T) {
	is := newIssuerSide(t)
	dir := filepath.Join(t.TempDir(), "checkpoint")
	cp := openCP(t, dir, is.root.Pin())
	if _, err := cp.Verifier(); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("a checkpoint without a trust list: %v", err)
	}
	p, c := issue(t, is.keys[0], testHolder(lifeline.DocMainlandID))
	var b RevocationBuilder
	b.AddSerial(c.Serial)
	up, err := cp.Update([]ListFile{is.trust(1, t0), is.full(b.Build(), 3, t0)})
	if err != nil || !up.Trust || !up.Revocations {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("checkpoint directory mode %v", st.Mode())
	}
	// A restart finds the same lists.
	cp = openCP(t, dir, is.root.Pin())
	ti, ok := cp.Trust()
	ri, rok := cp.Revocations()
	if !ok || !rok || ti.Version != 1 || ri.Version != 3 || ri.Root != is.root.ID || len(cp.Dropped) != 0 {
		t.Fatalf("reopened: trust %+v, revocations %+v, dropped %v", ti, ri, cp.Dropped)
	}
	v, err := cp.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	v.Now = clock(t0.Add(time.Hour))
	if r := v.Verify(p); r.Reason != Revoked || !r.Lists.Held {
		t.Fatalf("revoked code: %q, lists %+v", r.Reason, r.Lists)
	}
	// The same lists again change nothing.
	if up, err := cp.Update([]ListFile{is.trust(1, t0), is.full(b.Build(), 3, t0)}); err != nil || up.Trust || up.Revocations {
		t.Fatalf("same lists again: %+v, %v", up, err)
	}
}

// Lists a stranger signed are refused, and nothing changes.
func TestCheckpointRefusesForgedLists(t *testing.T) {
	is := newIssuerSide(t)
	stranger := issuerSide{t: t, root: testRoot(t), keys: append([]*SigningKey{newKey(t, t0.Add(-time.Hour), t0.Add(90*24*time.Hour))}, is.keys...)}
	dir := t.TempDir()
	cp := openCP(t, dir, is.root.Pin())
	lost, _ := NewSerial()
	var b RevocationBuilder
	b.AddSerial(lost)
	if _, err := cp.Update([]ListFile{is.trust(1, t0), is.full(b.Build(), 1, t0)}); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]ListFile{
		"trust list with an extra key":          stranger.trust(2, t0.Add(time.Hour)),
		"revocation list without the lost card": stranger.full((&RevocationBuilder{}).Build(), 2, t0.Add(time.Hour)),
		"delta removing the lost card":          stranger.delta(1, b.Build(), (&RevocationBuilder{}).Build(), 2, t0.Add(time.Hour)),
	} {
		_, err := cp.Update([]ListFile{is.trust(1, t0), f})
		if !errors.Is(err, ErrListSigner) || lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
			t.Errorf("%s: %v", name, err)
		}
	}
	cp = openCP(t, dir, is.root.Pin())
	v, _ := cp.Verifier()
	v.Now = clock(t0.Add(time.Hour))
	if !v.Revoked.RevokedSerial(lost) || v.Trust.Len() != 1 {
		t.Fatal("a refused list changed the checkpoint")
	}
	p, _ := issue(t, stranger.keys[0], testHolder(lifeline.DocMainlandID))
	if r := v.Verify(p); r.Reason != UnknownKey {
		t.Errorf("the stranger's key: %q", r.Reason)
	}
}

// An older genuine list after a newer one is refused, across restarts; a
// list of the same version signed again later is fresher, not older.
func TestCheckpointRefusesRollback(t *testing.T) {
	is := newIssuerSide(t)
	dir := t.TempDir()
	cp := openCP(t, dir, is.root.Pin())
	lost, _ := NewSerial()
	var b RevocationBuilder
	b.AddSerial(lost)
	newer, old := b.Build(), (&RevocationBuilder{}).Build()
	if _, err := cp.Update([]ListFile{is.trust(5, t0), is.full(newer, 8, t0)}); err != nil {
		t.Fatal(err)
	}
	cp = openCP(t, dir, is.root.Pin())
	for name, f := range map[string]ListFile{
		"older trust list":      is.trust(4, t0.Add(-time.Hour)),
		"older revocation list": is.full(old, 7, t0.Add(-time.Hour)),
	} {
		_, err := cp.Update([]ListFile{f})
		if !errors.Is(err, ErrListRollback) || lifeline.ErrorCode(err) != lifeline.ECONFLICT {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An older list among newer ones is refused too, and the newer ones
	// are not taken: all or nothing.
	if _, err := cp.Update([]ListFile{is.trust(6, t0.Add(time.Hour)), is.full(old, 7, t0)}); !errors.Is(err, ErrListRollback) {
		t.Errorf("older list among newer: %v", err)
	}
	if ti, _ := cp.Trust(); ti.Version != 5 {
		t.Errorf("trust version %d after a refused update", ti.Version)
	}
	// The same version signed again an hour later refreshes the times.
	up, err := cp.Update([]ListFile{is.full(newer, 8, t0.Add(time.Hour))})
	ri, _ := cp.Revocations()
	if err != nil || !up.Revocations || !ri.IssuedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("re-signed same version: %+v %v, issued %v", up, err, ri.IssuedAt)
	}
	// ... and the earlier signing of it is now just skipped.
	if up, err := cp.Update([]ListFile{is.full(newer, 8, t0)}); err != nil || up.Revocations || len(up.Skipped) != 1 {
		t.Errorf("earlier signing of the same version: %+v %v", up, err)
	}
}

// Deltas are applied in order, whatever order they come in; one that does
// not follow the held version is refused unless a full list covers it.
func TestCheckpointDeltas(t *testing.T) {
	is := newIssuerSide(t)
	vs := randomVersions(t, 6, 50, 20, 3) // versions 1..6
	at := func(v int) time.Time { return t0.Add(time.Duration(v) * time.Hour) }
	d := func(from, to int) ListFile { return is.delta(uint64(from), vs[from-1], vs[to-1], uint64(to), at(to)) }
	full := func(v int) ListFile { return is.full(vs[v-1], uint64(v), at(v)) }
	held := func(cp *Checkpoint) (uint64, *RevocationList) {
		i, _ := cp.Revocations()
		return i.Version, cp.revoked
	}

	cp := openCP(t, t.TempDir(), is.root.Pin())
	if _, err := cp.Update([]ListFile{d(1, 2)}); !errors.Is(err, ErrListGap) {
		t.Fatalf("a delta with no list held: %v", err)
	}
	if _, err := cp.Update([]ListFile{full(1)}); err != nil {
		t.Fatal(err)
	}
	up, err := cp.Update([]ListFile{d(3, 4), d(1, 2), d(2, 3)})
	if v, l := held(cp); err != nil || v != 4 || !l.Equal(vs[3]) || len(up.Applied) != 3 {
		t.Fatalf("chain 1→4: version %d, %+v, %v", v, up, err)
	}
	if i, _ := cp.Revocations(); i.Kind != RevocationListKind || !i.IssuedAt.Equal(at(4)) {
		t.Errorf("held info %+v", i)
	}
	// Deltas already applied are skipped; a gap is refused, with the fix.
	if up, err := cp.Update([]ListFile{d(2, 3), d(3, 4)}); err != nil || len(up.Skipped) != 2 || up.Revocations {
		t.Errorf("old deltas again: %+v, %v", up, err)
	}
	_, err = cp.Update([]ListFile{d(5, 6)})
	if !errors.Is(err, ErrListGap) || lifeline.ErrorCode(err) != lifeline.ECONFLICT {
		t.Fatalf("delta 5→6 on version 4: %v", err)
	}
	var le *lifeline.Error
	if !errors.As(err, &le) || !strings.Contains(le.Message.En, "full revocation list") {
		t.Errorf("gap message: %v", err)
	}
	// With the full list of version 5 beside it, the same delta applies.
	if _, err := cp.Update([]ListFile{d(5, 6), full(5)}); err != nil {
		t.Fatal(err)
	}
	if v, l := held(cp); v != 6 || !l.Equal(vs[5]) {
		t.Fatalf("full 5 then delta 5→6: version %d", v)
	}
	// An empty delta from the held version to itself refreshes the times.
	empty := is.delta(6, vs[5], vs[5], 6, at(30))
	if up, err := cp.Update([]ListFile{empty}); err != nil || !up.Revocations {
		t.Fatalf("refresh delta: %+v, %v", up, err)
	}
	if i, _ := cp.Revocations(); i.Version != 6 || !i.IssuedAt.Equal(at(30)) {
		t.Errorf("after refresh %+v", i)
	}

	// A delta whose version follows but whose content does not fit the
	// held list (made from another history) is refused whole.
	other := randomVersions(t, 7, 50, 20, 99)
	misfit := is.delta(6, other[5], other[6], 7, at(31))
	if _, err := cp.Update([]ListFile{misfit}); !errors.Is(err, ErrListMalformed) {
		t.Fatalf("misfit delta: %v", err)
	}
	if v, l := held(cp); v != 6 || !l.Equal(vs[5]) {
		t.Fatal("a refused delta changed the list")
	}
}

// Age, staleness, expiry and the clock, each at its boundary.
func TestCheckpointListTimes(t *testing.T) {
	is := newIssuerSide(t)
	cp := openCP(t, t.TempDir(), is.root.Pin())
	issued := t0
	if _, err := cp.Update([]ListFile{is.trust(1, issued), is.full((&RevocationBuilder{}).Build(), 1, issued)}); err != nil {
		t.Fatal(err)
	}
	p, c := issue(t, is.keys[0], testHolder(lifeline.DocMainlandID))
	next, hard := issued.Add(DefaultNextUpdate), issued.Add(DefaultRevocationLimit)
	if c.ExpiresAt.Before(hard.Add(time.Hour)) {
		t.Fatal("the code expires before the lists; the test needs it to outlive them")
	}
	for _, tt := range []struct {
		name    string
		now     time.Time
		maxAge  time.Duration
		want    Reason
		stale   bool
		age     time.Duration
		behind  time.Duration
		skewAck bool
	}{
		{"fresh", issued.Add(time.Hour), 0, "", false, time.Hour, 0, false},
		{"at next update", next, 0, "", false, DefaultNextUpdate, 0, false},
		{"a second past next update", next.Add(time.Second), 0, "", true, DefaultNextUpdate + time.Second, 0, false},
		{"3 days old", issued.Add(72 * time.Hour), 0, "", true, 72 * time.Hour, 0, false},
		{"at the hard limit", hard, 0, "", true, DefaultRevocationLimit, 0, false},
		{"a second past the hard limit", hard.Add(time.Second), 0, ListsExpired, true, DefaultRevocationLimit + time.Second, 0, false},
		{"at the checkpoint's own limit", issued.Add(48 * time.Hour), 48 * time.Hour, "", true, 48 * time.Hour, 0, false},
		{"past the checkpoint's own limit", issued.Add(48*time.Hour + time.Second), 48 * time.Hour, ListsExpired, true, 48*time.Hour + time.Second, 0, false},
		{"clock behind within skew", issued.Add(-DefaultSkew), 0, "", false, 0, 0, true},
		{"clock behind past skew", issued.Add(-DefaultSkew - time.Second), 0, "", false, 0, DefaultSkew + time.Second, false},
		{"clock two hours slow", issued.Add(-2 * time.Hour), 0, "", false, 0, 2 * time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := cp.Verifier()
			if err != nil {
				t.Fatal(err)
			}
			v.Now, v.MaxListAge = clock(tt.now), tt.maxAge
			r := v.Verify(p)
			if r.Reason != tt.want || r.Valid != (tt.want == "") {
				t.Fatalf("Verify = %v %q (%v), want %q", r.Valid, r.Reason, r.Err, tt.want)
			}
			l := r.Lists
			if !l.Held || l.Stale != tt.stale || l.Age != tt.age || l.ClockBehind != tt.behind || l.Expired != (tt.want == ListsExpired) || r.SkewApplied != tt.skewAck {
				t.Fatalf("lists %+v skew %v, want stale %v age %v behind %v", l, r.SkewApplied, tt.stale, tt.age, tt.behind)
			}
			if r.Reason == ListsExpired && len(r.Claims.Serial) == 0 {
				t.Error("lists_expired hides who the code is for")
			}
		})
	}

	// A clock far behind cannot make an expired code pass: the code is
	// checked at the lists' time, which proves a later "now".
	v, _ := cp.Verifier()
	late := issued.Add(40 * 24 * time.Hour) // past the code's exp
	if _, err := cp.Update([]ListFile{is.trust(2, late), is.full((&RevocationBuilder{}).Build(), 2, late)}); err != nil {
		t.Fatal(err)
	}
	v, _ = cp.Verifier()
	v.Now = clock(issued.Add(time.Hour))
	if r := v.Verify(p); r.Reason != Expired || r.Lists.ClockBehind == 0 {
		t.Fatalf("expired code on a slow clock: %q, %+v", r.Reason, r.Lists)
	}
}

// After a root rotation the checkpoint pins the new root alone: lists the
// old root signed are set aside, and their versions still hold as floors.
func TestCheckpointRootRotation(t *testing.T) {
	is := newIssuerSide(t)
	dir := t.TempDir()
	cp := openCP(t, dir, is.root.Pin())
	if _, err := cp.Update([]ListFile{is.trust(4, t0), is.full((&RevocationBuilder{}).Build(), 9, t0)}); err != nil {
		t.Fatal(err)
	}
	newRoot := testRoot(t)
	// During the overlap both roots are pinned and the held lists stay.
	if cp := openCP(t, dir, is.root.Pin(), newRoot.Pin()); len(cp.Dropped) != 0 || !cp.HasRevocations() {
		t.Fatalf("overlap: dropped %v", cp.Dropped)
	}
	cp = openCP(t, dir, newRoot.Pin())
	if len(cp.Dropped) != 2 || cp.HasRevocations() {
		t.Fatalf("new root alone: dropped %v", cp.Dropped)
	}
	if _, err := cp.Verifier(); err == nil {
		t.Fatal("lists of the old root still used")
	}
	next := issuerSide{t: t, root: newRoot, keys: is.keys}
	if _, err := cp.Update([]ListFile{next.trust(3, t0.Add(time.Hour))}); !errors.Is(err, ErrListRollback) {
		t.Fatalf("trust version 3 after 4 under a new root: %v", err)
	}
	if _, err := cp.Update([]ListFile{next.trust(5, t0.Add(time.Hour)), next.full((&RevocationBuilder{}).Build(), 10, t0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if cp := openCP(t, dir, newRoot.Pin()); len(cp.Dropped) != 0 || !cp.HasRevocations() {
		t.Fatalf("after the new root's lists: dropped %v", cp.Dropped)
	}
}

// A damaged checkpoint file is an error that says what to do, not an
// empty state that would accept any old list.
func TestCheckpointDamagedFile(t *testing.T) {
	is := newIssuerSide(t)
	dir := t.TempDir()
	cp := openCP(t, dir, is.root.Pin())
	if _, err := cp.Update([]ListFile{is.trust(1, t0), is.full((&RevocationBuilder{}).Build(), 1, t0)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{heldTrustFile, heldRevocationsFile} {
		path := filepath.Join(dir, name)
		good, _ := os.ReadFile(path)
		os.WriteFile(path, good[:len(good)/2], 0o600)
		_, err := OpenCheckpoint(dir, Roots{is.root.Pin()})
		var le *lifeline.Error
		if !errors.As(err, &le) || le.Code != lifeline.EINVALID || !strings.Contains(le.Message.En, path) {
			t.Errorf("%s cut in half: %v", name, err)
		}
		os.WriteFile(path, good, 0o600)
	}
}

// Roots are pinned once: a later open needs none, and a new pin replaces
// the old one.
func TestCheckpointPinsRoots(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenCheckpoint(dir, nil); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("nothing pinned: %v", err)
	}
	a, b := testRoot(t), testRoot(t)
	openCP(t, dir, a.Pin())
	cp := openCP(t, dir)
	if len(cp.Roots) != 1 || !cp.Roots[0].Public.Equal(a.Pin().Public) {
		t.Fatalf("pinned %v", cp.Roots)
	}
	if st, err := os.Stat(filepath.Join(dir, pinnedRootsFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("root.pub: %v %v", st, err)
	}
	openCP(t, dir, a.Pin(), b.Pin())
	if cp := openCP(t, dir); len(cp.Roots) != 2 {
		t.Fatalf("re-pinned %v", cp.Roots)
	}
	os.WriteFile(filepath.Join(dir, pinnedRootsFile), []byte("LLR1:AAAA\n"), 0o600)
	if _, err := OpenCheckpoint(dir, nil); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("damaged pin: %v", err)
	}
}
