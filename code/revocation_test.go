package code

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRevocationListRoundTrip(t *testing.T) {
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
	b.AddCutoff(k2, t0.Add(time.Hour))
	l := b.Build(t0)
	if l.Len() != 1000 {
		t.Fatalf("Len = %d", l.Len())
	}
	path := filepath.Join(t.TempDir(), "revoked.bin")
	var buf bytes.Buffer
	n, err := l.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || n != 24+2*16+1000*8+32 {
		t.Fatalf("WriteTo = %d (%d written), %v", n, buf.Len(), err)
	}
	os.WriteFile(path, buf.Bytes(), 0o644)
	got, err := LoadRevocationList(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 1000 || !got.Created.Equal(t0) || len(got.Cutoffs) != 2 || !got.Cutoffs[k1].Equal(t0) {
		t.Fatalf("loaded list: %d entries, created %v, cut-offs %v", got.Len(), got.Created, got.Cutoffs)
	}
	for _, s := range serials {
		if !got.RevokedSerial(s) {
			t.Fatalf("serial %x not revoked", s)
		}
	}
	for i := 0; i < 1000; i++ {
		s, _ := NewSerial()
		if got.RevokedSerial(s) {
			t.Fatalf("fresh serial %x revoked", s)
		}
	}
	if !got.RevokedByKey(k1, t0.Add(-time.Second)) || got.RevokedByKey(k1, t0) || got.RevokedByKey(KeyID{}, t0) {
		t.Error("key cut-offs wrong")
	}
	var none *RevocationList
	if none.RevokedSerial(serials[0]) || none.RevokedByKey(k1, t0) {
		t.Error("a nil list revokes")
	}

	// Any flipped byte is caught by the checksum or the structure.
	raw := buf.Bytes()
	for _, i := range []int{0, 5, 9, 17, 24, 40, 100, len(raw) - 40, len(raw) - 1} {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x40
		if _, err := ReadRevocationList(bytes.NewReader(bad)); err == nil {
			t.Errorf("byte %d flipped: accepted", i)
		}
	}
	if _, err := ReadRevocationList(bytes.NewReader(raw[:len(raw)-1])); err == nil {
		t.Error("truncated list accepted")
	}
	// Out of order, with a correct checksum: refused too.
	for name, swap := range map[string][2]int{"cut-offs": {24, 40}, "hashes": {56, 64}} {
		bad := bytes.Clone(raw[:len(raw)-32])
		a, b := swap[0], swap[1]
		size := b - a
		tmp := bytes.Clone(bad[a:b])
		copy(bad[a:b], bad[b:b+size])
		copy(bad[b:b+size], tmp)
		sum := sha256.Sum256(bad)
		if _, err := ReadRevocationList(bytes.NewReader(append(bad, sum[:]...))); err == nil || !strings.Contains(err.Error(), "order") {
			t.Errorf("%s swapped: %v", name, err)
		}
	}
}

// BenchmarkRevocationLoad1M measures the size and load time of a list of
// one million revoked serials.
func BenchmarkRevocationLoad1M(b *testing.B) {
	var rb RevocationBuilder
	s := make([]byte, SerialSize)
	for i := 0; i < 1_000_000; i++ {
		rand.Read(s)
		rb.AddSerial(s)
	}
	var buf bytes.Buffer
	rb.Build(t0).WriteTo(&buf)
	b.ReportMetric(float64(buf.Len())/1e6, "MB")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := ReadRevocationList(bytes.NewReader(buf.Bytes()))
		if err != nil || l.Len() < 999_000 {
			b.Fatal(err)
		}
	}
}
