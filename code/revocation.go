package code

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// A revocation list holds hashes, not serials: SHA-256(serial)[:8] as a
// big-endian uint64. The list tells whether a serial is revoked, not which
// serials exist. At 8 bytes a hash, a million revocations are 8 MB, and the
// chance that a genuine serial hits one by accident is about 1 in 2^44.
const revocationHash = 8

// RevocationList is what an offline verifier knows of revocations: hashes
// of revoked serials (a lost card, a resident whose status turned red, a
// card replaced by a new one) and per-key cut-offs (a leaked key: every
// code it signed before a time).
type RevocationList struct {
	Cutoffs map[KeyID]time.Time
	hashes  []uint64 // sorted, unique
}

// serialHash is the list's key of a serial.
func serialHash(serial []byte) uint64 {
	sum := sha256.Sum256(serial)
	return binary.BigEndian.Uint64(sum[:8])
}

// Len returns how many serial hashes the list holds.
func (l *RevocationList) Len() int { return len(l.hashes) }

// RevokedSerial reports whether a serial is on the list: a binary search.
func (l *RevocationList) RevokedSerial(serial []byte) bool {
	if l == nil {
		return false
	}
	_, found := slices.BinarySearch(l.hashes, serialHash(serial))
	return found
}

// RevokedByKey reports whether a code a key signed at iat falls before
// that key's cut-off.
func (l *RevocationList) RevokedByKey(id KeyID, iat time.Time) bool {
	if l == nil {
		return false
	}
	before, ok := l.Cutoffs[id]
	return ok && iat.Before(before)
}

// Equal reports whether two lists revoke exactly the same.
func (l *RevocationList) Equal(o *RevocationList) bool {
	return slices.Equal(l.hashes, o.hashes) && maps.EqualFunc(l.Cutoffs, o.Cutoffs, time.Time.Equal)
}

// RevocationBuilder collects revocations and builds a RevocationList.
type RevocationBuilder struct {
	hashes  []uint64
	cutoffs map[KeyID]time.Time
}

// AddSerial adds a revoked serial.
func (b *RevocationBuilder) AddSerial(serial []byte) { b.hashes = append(b.hashes, serialHash(serial)) }

// AddCutoff revokes every code a key signed before a time (kept to the
// millisecond). The latest cut-off of a key wins.
func (b *RevocationBuilder) AddCutoff(id KeyID, before time.Time) {
	if b.cutoffs == nil {
		b.cutoffs = map[KeyID]time.Time{}
	}
	before = time.UnixMilli(before.UnixMilli()).UTC()
	if cur, ok := b.cutoffs[id]; !ok || before.After(cur) {
		b.cutoffs[id] = before
	}
}

// Build sorts what was added into a list. The builder must not be used
// afterwards.
func (b *RevocationBuilder) Build() *RevocationList {
	slices.Sort(b.hashes)
	l := &RevocationList{Cutoffs: b.cutoffs, hashes: slices.Compact(b.hashes)}
	if l.Cutoffs == nil {
		l.Cutoffs = map[KeyID]time.Time{}
	}
	b.hashes, b.cutoffs = nil, nil
	return l
}

// RevocationDelta turns one version of the revocation list into a later
// one: the hashes added and removed (an entry leaves once its code has
// expired) and every key cut-off of the later version, which are few.
type RevocationDelta struct {
	Since          uint64 // the version it applies to
	Cutoffs        map[KeyID]time.Time
	Added, Removed []uint64 // sorted, unique
}

// DeltaOf returns the delta from one list to a later one.
func DeltaOf(since uint64, from, to *RevocationList) *RevocationDelta {
	d := &RevocationDelta{Since: since, Cutoffs: maps.Clone(to.Cutoffs)}
	i, j := 0, 0
	for i < len(from.hashes) || j < len(to.hashes) {
		switch {
		case j == len(to.hashes) || (i < len(from.hashes) && from.hashes[i] < to.hashes[j]):
			d.Removed = append(d.Removed, from.hashes[i])
			i++
		case i == len(from.hashes) || to.hashes[j] < from.hashes[i]:
			d.Added = append(d.Added, to.hashes[j])
			j++
		default:
			i++
			j++
		}
	}
	return d
}

// Len returns how many hashes the delta adds and removes.
func (d *RevocationDelta) Len() int { return len(d.Added) + len(d.Removed) }

// Apply returns the list a delta makes of l. Every hash it adds must be
// missing from l and every hash it removes present: a delta that does not
// fit is one made for another list, and is refused whole.
func (l *RevocationList) Apply(d *RevocationDelta) (*RevocationList, error) {
	out := make([]uint64, 0, len(l.hashes)+len(d.Added)-min(len(d.Removed), len(l.hashes)))
	i, a, r := 0, 0, 0
	for i < len(l.hashes) || a < len(d.Added) {
		var h uint64
		switch {
		case a == len(d.Added) || (i < len(l.hashes) && l.hashes[i] < d.Added[a]):
			h = l.hashes[i]
			i++
			if r < len(d.Removed) && d.Removed[r] == h {
				r++
				continue
			}
			if r < len(d.Removed) && d.Removed[r] < h {
				return nil, fmt.Errorf("delta removes %016x, which the list does not hold", d.Removed[r])
			}
		case i == len(l.hashes) || d.Added[a] < l.hashes[i]:
			h = d.Added[a]
			a++
		default:
			return nil, fmt.Errorf("delta adds %016x, which the list already holds", d.Added[a])
		}
		out = append(out, h)
	}
	if r < len(d.Removed) {
		return nil, fmt.Errorf("delta removes %016x, which the list does not hold", d.Removed[r])
	}
	return &RevocationList{Cutoffs: maps.Clone(d.Cutoffs), hashes: out}, nil
}

// wireCutoff is one key cut-off: [kid, before in Unix milliseconds].
type wireCutoff struct {
	_      struct{} `cbor:",toarray"`
	KID    []byte
	Before int64
}

// wireRevocations is the payload of a full list (6 and 9 absent) and of a
// delta (8 holds the hashes added).
type wireRevocations struct {
	wireListHead
	Since   uint64       `cbor:"6,keyasint,omitempty"`
	Cutoffs []wireCutoff `cbor:"7,keyasint"`
	Hashes  []byte       `cbor:"8,keyasint"`
	Removed []byte       `cbor:"9,keyasint,omitempty"`
}

func cutoffsToWire(m map[KeyID]time.Time) []wireCutoff {
	ids := slices.SortedFunc(maps.Keys(m), func(a, b KeyID) int { return bytes.Compare(a[:], b[:]) })
	out := make([]wireCutoff, 0, len(ids))
	for _, id := range ids {
		out = append(out, wireCutoff{KID: bytes.Clone(id[:]), Before: m[id].UnixMilli()})
	}
	return out
}

func cutoffsFromWire(w []wireCutoff) (map[KeyID]time.Time, error) {
	m := make(map[KeyID]time.Time, len(w))
	for i, c := range w {
		if len(c.KID) != len(KeyID{}) {
			return nil, fmt.Errorf("cut-off %d: kid of %d bytes", i, len(c.KID))
		}
		if i > 0 && bytes.Compare(c.KID, w[i-1].KID) <= 0 {
			return nil, fmt.Errorf("cut-offs not in ascending order of kid at %d", i)
		}
		if c.Before <= 0 || c.Before > maxNumericDate*1000 {
			return nil, fmt.Errorf("cut-off %d: time %d outside years 1970 to 9999", i, c.Before)
		}
		m[KeyID(c.KID)] = time.UnixMilli(c.Before).UTC()
	}
	return m, nil
}

func hashesToWire(hs []uint64) []byte {
	b := make([]byte, revocationHash*len(hs))
	for i, h := range hs {
		binary.BigEndian.PutUint64(b[revocationHash*i:], h)
	}
	return b
}

var errHashes = errors.New("hashes")

// hashesFromWire reads a run of 8-byte hashes, which must be strictly
// ascending: a binary search on anything else would miss revocations.
func hashesFromWire(b []byte) ([]uint64, error) {
	if len(b)%revocationHash != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of hashes", errHashes, len(b))
	}
	n := len(b) / revocationHash
	if n > maxListItems {
		return nil, fmt.Errorf("%w: %d, more than %d", errHashes, n, maxListItems)
	}
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = binary.BigEndian.Uint64(b[revocationHash*i:])
		if i > 0 && hs[i] <= hs[i-1] {
			return nil, fmt.Errorf("%w: not in ascending order at %d", errHashes, i)
		}
	}
	return hs, nil
}

func (w *wireRevocations) list() (*RevocationList, error) {
	cuts, err := cutoffsFromWire(w.Cutoffs)
	if err != nil {
		return nil, err
	}
	hs, err := hashesFromWire(w.Hashes)
	if err != nil {
		return nil, err
	}
	return &RevocationList{Cutoffs: cuts, hashes: hs}, nil
}

func (w *wireRevocations) delta() (*RevocationDelta, error) {
	if w.Since == 0 {
		return nil, errors.New("a delta without the version it applies to")
	}
	cuts, err := cutoffsFromWire(w.Cutoffs)
	if err != nil {
		return nil, err
	}
	added, err := hashesFromWire(w.Hashes)
	if err != nil {
		return nil, fmt.Errorf("added: %w", err)
	}
	removed, err := hashesFromWire(w.Removed)
	if err != nil {
		return nil, fmt.Errorf("removed: %w", err)
	}
	// A hash both added and removed is a delta no issuer makes.
	for i, j := 0, 0; i < len(added) && j < len(removed); {
		switch {
		case added[i] < removed[j]:
			i++
		case removed[j] < added[i]:
			j++
		default:
			return nil, fmt.Errorf("hash %016x both added and removed", added[i])
		}
	}
	return &RevocationDelta{Since: w.Since, Cutoffs: cuts, Added: added, Removed: removed}, nil
}

func (l *RevocationList) wire(info ListInfo) wireRevocations {
	return wireRevocations{wireListHead: headOf(info), Cutoffs: cutoffsToWire(l.Cutoffs), Hashes: hashesToWire(l.hashes)}
}

// SignRevocationList signs a full revocation list with the root key.
func SignRevocationList(root *RootKey, l *RevocationList, info ListInfo) ([]byte, error) {
	info.Kind = RevocationListKind
	if err := info.check(); err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	return signList(root, RevocationListKind, l.wire(info))
}

// SignRevocationDelta signs a revocation delta with the root key; info's
// version is the one the delta leads to.
func SignRevocationDelta(root *RootKey, d *RevocationDelta, info ListInfo) ([]byte, error) {
	info.Kind = RevocationDeltaKind
	if err := info.check(); err != nil {
		return nil, fmt.Errorf("revocation delta: %w", err)
	}
	if d.Since == 0 || d.Since > info.Version || (d.Since == info.Version && d.Len() != 0) {
		return nil, fmt.Errorf("revocation delta: from version %d to %d with %d changes", d.Since, info.Version, d.Len())
	}
	return signList(root, RevocationDeltaKind, wireRevocations{
		wireListHead: headOf(info),
		Since:        d.Since,
		Cutoffs:      cutoffsToWire(d.Cutoffs),
		Hashes:       hashesToWire(d.Added),
		Removed:      hashesToWire(d.Removed),
	})
}
