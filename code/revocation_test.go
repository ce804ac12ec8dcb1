package code

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRevocationListSignedRoundTrip(t *testing.T) {
	root := testRoot(t)
	var b RevocationBuilder
	var serials [][]byte
	for i := 0; i < 1000; i++ {
		s, _ := NewSerial()
		serials = append(serials, s)
		b.AddSerial(s)
	}
	b.AddSerial(serials[0]) // duplicates collapse
	var k1, k2 KeyID
	rand.Read(k1[:])
	rand.Read(k2[:])
	b.AddCutoff(k1, t0)
	b.AddCutoff(k1, t0.Add(-time.Hour)) // the later cut-off wins
	b.AddCutoff(k2, t0.Add(time.Hour+time.Microsecond))
	l := b.Build()
	if l.Len() != 1000 {
		t.Fatalf("Len = %d", l.Len())
	}
	info := ListTimes(RevocationListKind, 7, t0, 0, 0)
	raw, err := SignRevocationList(root, l, info)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenList(raw, Roots{root.Pin()})
	if err != nil {
		t.Fatal(err)
	}
	info.Root = root.ID
	if got.Kind != RevocationListKind || got.ListInfo != info || got.Revocations == nil || got.Delta != nil || got.Trust != nil {
		t.Fatalf("opened %+v", got)
	}
	if !got.NextUpdate.Equal(t0.Add(DefaultNextUpdate)) || !got.Expires.Equal(t0.Add(DefaultRevocationLimit)) {
		t.Errorf("times %v %v", got.NextUpdate, got.Expires)
	}
	gl := got.Revocations
	if !gl.Equal(l) || gl.Len() != 1000 || len(gl.Cutoffs) != 2 || !gl.Cutoffs[k1].Equal(t0) {
		t.Fatalf("opened list: %d entries, cut-offs %v", gl.Len(), gl.Cutoffs)
	}
	for _, s := range serials {
		if !gl.RevokedSerial(s) {
			t.Fatalf("serial %x not revoked", s)
		}
	}
	for i := 0; i < 1000; i++ {
		s, _ := NewSerial()
		if gl.RevokedSerial(s) {
			t.Fatalf("fresh serial %x revoked", s)
		}
	}
	if !gl.RevokedByKey(k1, t0.Add(-time.Second)) || gl.RevokedByKey(k1, t0) || gl.RevokedByKey(KeyID{}, t0) {
		t.Error("key cut-offs wrong")
	}
	// Cut-offs are kept to the millisecond, as the list carries them.
	if !gl.Cutoffs[k2].Equal(t0.Add(time.Hour)) {
		t.Errorf("cut-off %v", gl.Cutoffs[k2])
	}
	var none *RevocationList
	if none.RevokedSerial(serials[0]) || none.RevokedByKey(k1, t0) {
		t.Error("a nil list revokes")
	}

	// Every flipped bit anywhere is caught: by the structure or by the
	// signature.
	for i := 0; i < len(raw); i += 1 + len(raw)/300 {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x08
		if _, err := OpenList(bad, Roots{root.Pin()}); err == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}
	if _, err := OpenList(raw[:len(raw)-1], Roots{root.Pin()}); err == nil {
		t.Error("truncated list accepted")
	}
}

// A list with an entry taken out, signed again by a stranger's root, is
// refused; the same list signed by the root is accepted.
func TestRevocationListEntryRemovedByStranger(t *testing.T) {
	root, stranger := testRoot(t), testRoot(t)
	var b RevocationBuilder
	lost, _ := NewSerial()
	other, _ := NewSerial()
	b.AddSerial(lost)
	b.AddSerial(other)
	genuine := b.Build()
	b = RevocationBuilder{}
	b.AddSerial(other)
	edited := b.Build()
	info := ListTimes(RevocationListKind, 9, t0, 0, 0)
	forged, err := SignRevocationList(stranger, edited, info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenList(forged, Roots{root.Pin()}); !errors.Is(err, ErrListSigner) {
		t.Fatalf("stranger's list: %v", err)
	}
	// Even under the root's kid: the kid only finds the key to try.
	stranger.ID = root.ID
	forged, _ = SignRevocationList(stranger, edited, info)
	if _, err := OpenList(forged, Roots{root.Pin()}); !errors.Is(err, ErrListSigner) {
		t.Fatalf("stranger's list under the root's kid: %v", err)
	}
	ok, _ := SignRevocationList(root, genuine, info)
	if l, err := OpenList(ok, Roots{root.Pin()}); err != nil || !l.Revocations.RevokedSerial(lost) {
		t.Fatalf("genuine list: %v", err)
	}
}

// randomVersions makes a history of revocation lists: each version adds
// some serials and drops some older ones (their codes expired).
func randomVersions(t testing.TB, n, adds, drops int, seed uint64) []*RevocationList {
	r := mrand.New(mrand.NewPCG(seed, seed))
	var live [][]byte
	var out []*RevocationList
	for v := 0; v < n; v++ {
		for i := 0; i < drops && len(live) > 0; i++ {
			j := r.IntN(len(live))
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		for i := 0; i < adds; i++ {
			s := make([]byte, SerialSize)
			for j := range s {
				s[j] = byte(r.Uint32())
			}
			live = append(live, s)
		}
		var b RevocationBuilder
		for _, s := range live {
			b.AddSerial(s)
		}
		if v%3 == 2 {
			b.AddCutoff(KeyID{byte(v)}, t0.Add(time.Duration(v)*time.Hour))
		}
		out = append(out, b.Build())
	}
	return out
}

// A chain of deltas applied to the first list gives the last, as signed
// and opened; a delta computed from and to any pair does too.
func TestDeltaChainEqualsFullList(t *testing.T) {
	root := testRoot(t)
	roots := Roots{root.Pin()}
	versions := randomVersions(t, 12, 300, 120, 1)
	cur := versions[0]
	for v := 1; v < len(versions); v++ {
		d := DeltaOf(uint64(v), versions[v-1], versions[v])
		raw, err := SignRevocationDelta(root, d, ListTimes(RevocationDeltaKind, uint64(v+1), t0.Add(time.Duration(v)*time.Hour), 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		l, err := OpenList(raw, roots)
		if err != nil {
			t.Fatal(err)
		}
		if l.Delta.Since != uint64(v) || l.Version != uint64(v+1) || len(l.Delta.Added) != len(d.Added) || len(l.Delta.Removed) != len(d.Removed) {
			t.Fatalf("delta %d: %+v", v, l.Delta)
		}
		if cur, err = cur.Apply(l.Delta); err != nil {
			t.Fatalf("apply delta %d: %v", v, err)
		}
		if !cur.Equal(versions[v]) {
			t.Fatalf("after delta %d the list differs from the full list", v)
		}
	}
	// Skipping versions: one delta from the first to the last.
	d := DeltaOf(1, versions[0], versions[len(versions)-1])
	if got, err := versions[0].Apply(d); err != nil || !got.Equal(versions[len(versions)-1]) {
		t.Fatalf("delta over every version: %v", err)
	}
	// A delta applied to a list it was not made for is refused.
	if _, err := versions[2].Apply(DeltaOf(1, versions[0], versions[1])); err == nil {
		t.Fatal("a delta for version 1 applied to version 3")
	}
	if _, err := versions[1].Apply(DeltaOf(1, versions[0], versions[1])); err == nil {
		t.Fatal("a delta applied twice")
	}
}

// An empty delta from a version to itself refreshes the times; one to
// itself with changes is refused.
func TestDeltaToTheSameVersion(t *testing.T) {
	root := testRoot(t)
	vs := randomVersions(t, 2, 10, 5, 2)
	if _, err := SignRevocationDelta(root, DeltaOf(4, vs[1], vs[1]), ListTimes(RevocationDeltaKind, 4, t0, 0, 0)); err != nil {
		t.Fatalf("empty delta to the same version: %v", err)
	}
	if _, err := SignRevocationDelta(root, DeltaOf(4, vs[0], vs[1]), ListTimes(RevocationDeltaKind, 4, t0, 0, 0)); err == nil {
		t.Fatal("a delta with changes to the same version signed")
	}
	if _, err := SignRevocationDelta(root, DeltaOf(5, vs[0], vs[1]), ListTimes(RevocationDeltaKind, 4, t0, 0, 0)); err == nil {
		t.Fatal("a delta to an older version signed")
	}
}

// benchList1M is a signed full list of a million revoked serials.
func benchList1M(b *testing.B) (*RootKey, []byte) {
	root := testRoot(b)
	var rb RevocationBuilder
	s := make([]byte, SerialSize)
	for i := 0; i < 1_000_000; i++ {
		rand.Read(s)
		rb.AddSerial(s)
	}
	raw, err := SignRevocationList(root, rb.Build(), ListTimes(RevocationListKind, 1, t0, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	return root, raw
}

// BenchmarkRevocationListLoad1M reads a signed list of one million revoked
// serials from its file and checks its signature and order: what a
// checkpoint does with a full list (target: < 16 MB, < 1 s).
func BenchmarkRevocationListLoad1M(b *testing.B) {
	root, raw := benchList1M(b)
	path := filepath.Join(b.TempDir(), "revocations.cose")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := ReadListFile(path)
		if err != nil {
			b.Fatal(err)
		}
		l, err := OpenList(f.Data, Roots{root.Pin()})
		if err != nil || l.Revocations.Len() < 999_000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(raw))/1e6, "MB")
}

// BenchmarkCheckpointOpen1M opens a checkpoint that holds a million
// revocations: what every verify run and staff screen start does.
func BenchmarkCheckpointOpen1M(b *testing.B) {
	root, raw := benchList1M(b)
	dir := b.TempDir()
	cp, err := OpenCheckpoint(dir, Roots{root.Pin()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cp.Update([]ListFile{{Name: "full", Data: raw}}); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, heldRevocationsFile))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cp, err := OpenCheckpoint(dir, Roots{root.Pin()})
		if err != nil || cp.revoked.Len() < 999_000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Size())/1e6, "MB")
}

// BenchmarkRevocationDelta10k signs and applies a day's delta of 10,000
// new revocations to a list of a million, 10,000 older ones leaving it
// (target: < 200 KB).
func BenchmarkRevocationDelta10k(b *testing.B) {
	root := testRoot(b)
	var rb RevocationBuilder
	s := make([]byte, SerialSize)
	var serials [][]byte
	for i := 0; i < 1_000_000; i++ {
		rand.Read(s)
		serials = append(serials, bytes.Clone(s))
		rb.AddSerial(s)
	}
	from := rb.Build()
	rb = RevocationBuilder{}
	for _, s := range serials[10_000:] {
		rb.AddSerial(s)
	}
	for i := 0; i < 10_000; i++ {
		rand.Read(s)
		rb.AddSerial(s)
	}
	to := rb.Build()
	raw, err := SignRevocationDelta(root, DeltaOf(1, from, to), ListTimes(RevocationDeltaKind, 2, t0, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := OpenList(raw, Roots{root.Pin()})
		if err != nil {
			b.Fatal(err)
		}
		got, err := from.Apply(l.Delta)
		if err != nil || got.Len() != to.Len() {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(raw))/1e3, "KB")
}
