package code

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// The revocation file (docs/offline-code.md, "Revocation list"):
//
//	header   24 bytes: "LLRL", version 1, hash size 8, 2 zero bytes,
//	         created (int64 Unix ms), cut-off count, hash count (uint32)
//	cut-offs 16 bytes each, sorted by kid: kid (8), before (int64 Unix ms)
//	hashes   8 bytes each, strictly ascending: SHA-256(serial)[:8]
//	trailer  SHA-256 of everything before it (32 bytes)
//
// All integers are big-endian. Hashes, not serials: the list says whether
// a serial is revoked, not which serials exist. At 8 bytes a hash, a
// million revocations are 8 MB, and the chance that a genuine serial hits
// one by accident is about 1 in 2^44.
const (
	revocationMagic   = "LLRL"
	revocationVersion = 1
	revocationHash    = 8
	revocationHeader  = 24
	// maxRevocations bounds what a reader allocates for a hostile file.
	maxRevocations = 1 << 26
)

// RevocationList is what an offline verifier knows of revocations: hashes
// of revoked serials (a lost card, a resident whose status turned red) and
// per-key cut-offs (a leaked key: every code it signed before a time).
type RevocationList struct {
	Created time.Time
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

// RevocationBuilder collects revocations and builds a RevocationList.
type RevocationBuilder struct {
	hashes  []uint64
	cutoffs map[KeyID]time.Time
}

// AddSerial adds a revoked serial.
func (b *RevocationBuilder) AddSerial(serial []byte) { b.hashes = append(b.hashes, serialHash(serial)) }

// AddCutoff revokes every code a key signed before a time. The latest
// cut-off of a key wins.
func (b *RevocationBuilder) AddCutoff(id KeyID, before time.Time) {
	if b.cutoffs == nil {
		b.cutoffs = map[KeyID]time.Time{}
	}
	if cur, ok := b.cutoffs[id]; !ok || before.After(cur) {
		b.cutoffs[id] = before
	}
}

// Build sorts what was added into a list. The builder must not be used
// afterwards.
func (b *RevocationBuilder) Build(created time.Time) *RevocationList {
	slices.Sort(b.hashes)
	l := &RevocationList{Created: created, Cutoffs: b.cutoffs, hashes: slices.Compact(b.hashes)}
	if l.Cutoffs == nil {
		l.Cutoffs = map[KeyID]time.Time{}
	}
	b.hashes, b.cutoffs = nil, nil
	return l
}

// WriteTo writes the list in its file format.
func (l *RevocationList) WriteTo(w io.Writer) (int64, error) {
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	var hdr [revocationHeader]byte
	copy(hdr[:], revocationMagic)
	hdr[4], hdr[5] = revocationVersion, revocationHash
	binary.BigEndian.PutUint64(hdr[8:], uint64(l.Created.UnixMilli()))
	binary.BigEndian.PutUint32(hdr[16:], uint32(len(l.Cutoffs)))
	binary.BigEndian.PutUint32(hdr[20:], uint32(len(l.hashes)))
	bw.Write(hdr[:])
	ids := make([]KeyID, 0, len(l.Cutoffs))
	for id := range l.Cutoffs {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b KeyID) int { return bytes.Compare(a[:], b[:]) })
	var rec [16]byte
	for _, id := range ids {
		copy(rec[:8], id[:])
		binary.BigEndian.PutUint64(rec[8:], uint64(l.Cutoffs[id].UnixMilli()))
		bw.Write(rec[:])
	}
	for _, v := range l.hashes {
		binary.BigEndian.PutUint64(rec[:8], v)
		bw.Write(rec[:8])
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	n := int64(revocationHeader + 16*len(ids) + 8*len(l.hashes))
	m, err := w.Write(h.Sum(nil))
	return n + int64(m), err
}

var errRevocationFile = errors.New("revocation list")

// ReadRevocationList reads a list written by WriteTo, checking its
// checksum and order.
func ReadRevocationList(r io.Reader) (*RevocationList, error) {
	var hdr [revocationHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errRevocationFile, err)
	}
	if string(hdr[:4]) != revocationMagic || hdr[4] != revocationVersion || hdr[5] != revocationHash {
		return nil, fmt.Errorf("%w: not a version %d list", errRevocationFile, revocationVersion)
	}
	nc := binary.BigEndian.Uint32(hdr[16:])
	nh := binary.BigEndian.Uint32(hdr[20:])
	if nc > maxRevocations || nh > maxRevocations {
		return nil, fmt.Errorf("%w: too many entries", errRevocationFile)
	}
	body := make([]byte, revocationHeader+16*int(nc)+8*int(nh)+sha256.Size)
	copy(body, hdr[:])
	if _, err := io.ReadFull(r, body[revocationHeader:]); err != nil {
		return nil, fmt.Errorf("%w: truncated: %v", errRevocationFile, err)
	}
	end := len(body) - sha256.Size
	if sum := sha256.Sum256(body[:end]); !bytes.Equal(sum[:], body[end:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errRevocationFile)
	}
	l := &RevocationList{
		Created: time.UnixMilli(int64(binary.BigEndian.Uint64(hdr[8:]))),
		Cutoffs: make(map[KeyID]time.Time, nc),
		hashes:  make([]uint64, nh),
	}
	p := body[revocationHeader:]
	var prev []byte
	for i := 0; i < int(nc); i++ {
		if prev != nil && bytes.Compare(p[:8], prev) <= 0 {
			return nil, fmt.Errorf("%w: key cut-offs not in ascending order at %d", errRevocationFile, i)
		}
		var id KeyID
		copy(id[:], p[:8])
		l.Cutoffs[id] = time.UnixMilli(int64(binary.BigEndian.Uint64(p[8:16])))
		prev, p = p[:8], p[16:]
	}
	for i := range l.hashes {
		l.hashes[i] = binary.BigEndian.Uint64(p[8*i:])
		if i > 0 && l.hashes[i] <= l.hashes[i-1] {
			return nil, fmt.Errorf("%w: hashes not in ascending order at %d", errRevocationFile, i)
		}
	}
	return l, nil
}

// LoadRevocationList reads a revocation file.
func LoadRevocationList(path string) (*RevocationList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T("无法打开吊销列表 "+path, "cannot open the revocation list "+path))
	}
	defer f.Close()
	l, err := ReadRevocationList(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("吊销列表 "+path+" 已损坏或格式错误", "the revocation list "+path+" is damaged or not a revocation list"))
	}
	return l, nil
}

// RevocationsOf builds the revocation list of everything a store holds:
// every revoked serial and every key's cut-off, as of created.
func RevocationsOf(ctx context.Context, s interface {
	EachRevoked(ctx context.Context, fn func(serial []byte) error) error
	KeyCutoffs(ctx context.Context) (map[string]time.Time, error)
}, created time.Time) (*RevocationList, error) {
	var b RevocationBuilder
	if err := s.EachRevoked(ctx, func(serial []byte) error { b.AddSerial(serial); return nil }); err != nil {
		return nil, err
	}
	cuts, err := s.KeyCutoffs(ctx)
	if err != nil {
		return nil, err
	}
	for kid, t := range cuts {
		id, err := ParseKeyID(kid)
		if err != nil {
			return nil, err
		}
		b.AddCutoff(id, t)
	}
	return b.Build(created), nil
}
