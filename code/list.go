package code

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/veraison/go-cose"
)

// A signed list is a COSE_Sign1 (RFC 9052) by the root key around a CBOR
// map: the trust list, a full revocation list or a revocation delta
// (docs/offline-code.md, "Signed lists"). The envelope is the codes' own,
// so a checkpoint needs one signature format, one CBOR decoder and one set
// of header rules for everything it trusts.

// ListKind says what a signed list holds. It is the envelope's typ header
// (RFC 9596), inside the signature, so a trust list can never be taken for
// a revocation list or a delta for a full list.
type ListKind string

// The kinds of signed list.
const (
	TrustListKind       ListKind = "application/vnd.lifeline.trust-list+cbor"
	RevocationListKind  ListKind = "application/vnd.lifeline.revocation-list+cbor"
	RevocationDeltaKind ListKind = "application/vnd.lifeline.revocation-delta+cbor"
)

// Text names the kind for people.
func (k ListKind) Text() lifeline.Text {
	switch k {
	case TrustListKind:
		return lifeline.T("信任列表", "trust list")
	case RevocationListKind:
		return lifeline.T("吊销列表", "revocation list")
	case RevocationDeltaKind:
		return lifeline.T("吊销增量列表", "revocation delta")
	}
	return lifeline.T("未知列表", "unknown list")
}

// ListInfo is what every signed list says about itself, inside its
// signature.
type ListInfo struct {
	Kind    ListKind
	Version uint64 // grows with every change; a checkpoint never goes back
	// IssuedAt is when the list was signed. A checkpoint's clock that is
	// behind it is wrong.
	IssuedAt time.Time
	// NextUpdate is when the issuer promises a newer list; past it, a
	// checkpoint warns on every result.
	NextUpdate time.Time
	// Expires is the list's hard limit: past it, no code is valid until
	// the list is updated.
	Expires time.Time
	// Root is the root key that signed it.
	Root KeyID
}

// The defaults of a list's times: fetched daily, and usable for a week
// (the trust list, which changes only when a key does, for a month) before
// checkpoints refuse to pass codes on it. A missed daily export warns for
// days before it stops anyone.
const (
	DefaultNextUpdate      = 24 * time.Hour
	DefaultRevocationLimit = 7 * 24 * time.Hour
	DefaultTrustLimit      = 30 * 24 * time.Hour
)

// ListTimes returns a list's times from when it is issued and how long
// until its next update and its hard limit (0: the defaults for the kind).
func ListTimes(kind ListKind, version uint64, issued time.Time, nextUpdate, limit time.Duration) ListInfo {
	if nextUpdate <= 0 {
		nextUpdate = DefaultNextUpdate
	}
	if limit <= 0 {
		limit = DefaultRevocationLimit
		if kind == TrustListKind {
			limit = DefaultTrustLimit
		}
	}
	issued = issued.UTC().Truncate(time.Second)
	return ListInfo{Kind: kind, Version: version, IssuedAt: issued, NextUpdate: issued.Add(nextUpdate), Expires: issued.Add(limit)}
}

// check refuses times that make no sense: an issuer bug, or a hostile list.
func (i *ListInfo) check() error {
	switch {
	case i.Version == 0:
		return errors.New("version 0")
	case i.IssuedAt.Unix() <= 0 || i.Expires.Unix() > maxNumericDate:
		return errors.New("times outside years 1970 to 9999")
	case i.NextUpdate.Before(i.IssuedAt):
		return errors.New("next update before issue")
	case i.Expires.Before(i.NextUpdate):
		return errors.New("expiry before next update")
	}
	return nil
}

// wireListHead is the part every list's payload shares.
type wireListHead struct {
	Version    uint64 `cbor:"1,keyasint"`
	IssuedAt   int64  `cbor:"2,keyasint"`
	NextUpdate int64  `cbor:"3,keyasint"`
	Expires    int64  `cbor:"4,keyasint"`
}

func headOf(i ListInfo) wireListHead {
	return wireListHead{Version: i.Version, IssuedAt: i.IssuedAt.Unix(), NextUpdate: i.NextUpdate.Unix(), Expires: i.Expires.Unix()}
}

func (h wireListHead) info(kind ListKind, root KeyID) (ListInfo, error) {
	for _, t := range []int64{h.IssuedAt, h.NextUpdate, h.Expires} {
		if t <= 0 || t > maxNumericDate {
			return ListInfo{}, fmt.Errorf("time %d outside years 1970 to 9999", t)
		}
	}
	i := ListInfo{Kind: kind, Version: h.Version, IssuedAt: time.Unix(h.IssuedAt, 0).UTC(), NextUpdate: time.Unix(h.NextUpdate, 0).UTC(), Expires: time.Unix(h.Expires, 0).UTC(), Root: root}
	return i, i.check()
}

// Limits on what a checkpoint reads: a list of 2^24 revoked serials (far
// past a city's worst year) is 128 MiB.
const (
	maxListFile  = 160 << 20
	maxListItems = 1 << 24
	maxCutoffs   = 1 << 16
)

// listDecMode decodes list payloads: definite lengths, no duplicate keys,
// valid UTF-8, bounds on arrays and nesting, and no key the kind does not
// have. Lists are signed by the root alone, so a new field is a new kind
// (typ), never a surprise to an old checkpoint.
var listDecMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   4,
		MaxArrayElements:  maxCutoffs,
		MaxMapPairs:       32,
		UTF8:              cbor.UTF8RejectInvalid,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// understoodListCrit are the labels a list's crit may name.
var understoodListCrit = map[int64]bool{cose.HeaderLabelAlgorithm: true, cose.HeaderLabelKeyID: true, cose.HeaderLabelType: true}

// signList wraps a payload in a COSE_Sign1 by the root key.
func signList(root *RootKey, kind ListKind, payload any) ([]byte, error) {
	body, err := encMode.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode list: %w", err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmEd25519, root.Private)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	msg := cose.Sign1Message{
		Headers: cose.Headers{
			Protected: cose.ProtectedHeader{
				cose.HeaderLabelAlgorithm: cose.AlgorithmEd25519,
				cose.HeaderLabelKeyID:     root.ID[:],
				cose.HeaderLabelType:      string(kind),
			},
		},
		Payload: body,
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return nil, fmt.Errorf("sign list: %w", err)
	}
	return msg.MarshalCBOR()
}

// Errors a signed list is refused with; errors.Is finds them inside the
// errors OpenList and Checkpoint return.
var (
	// ErrListMalformed: not a signed list, or one that breaks the format.
	ErrListMalformed = errors.New("malformed list")
	// ErrListSigner: not signed by a pinned root. A list anyone could have
	// made is worth nothing.
	ErrListSigner = errors.New("list not signed by a pinned root")
	// ErrListRollback: older than the list the checkpoint holds.
	ErrListRollback = errors.New("list older than the one held")
	// ErrListGap: a delta that does not start at the version held.
	ErrListGap = errors.New("revocation delta does not follow the version held")
)

// openEnvelope checks a signed list's envelope and signature and returns
// its kind, signer and payload. Nothing in the payload is read before the
// signature has checked out.
func openEnvelope(data []byte, roots Roots) (ListKind, KeyID, []byte, error) {
	var id KeyID
	if len(data) > maxListFile {
		return "", id, nil, fmt.Errorf("%w: %d bytes, more than %d", ErrListMalformed, len(data), maxListFile)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(data); err != nil {
		return "", id, nil, fmt.Errorf("%w: COSE_Sign1: %v", ErrListMalformed, err)
	}
	understood := understoodListCrit
	id, err := checkHeaders(&msg.Headers, understood)
	if err != nil {
		return "", id, nil, fmt.Errorf("%w: %v", ErrListMalformed, err)
	}
	typ, _ := msg.Headers.Protected[cose.HeaderLabelType].(string)
	kind := ListKind(typ)
	switch kind {
	case TrustListKind, RevocationListKind, RevocationDeltaKind:
	default:
		return "", id, nil, fmt.Errorf("%w: typ %q is not a lifeline list", ErrListMalformed, typ)
	}
	for _, r := range roots.byID(id) {
		ver, err := cose.NewVerifier(cose.AlgorithmEd25519, r.Public)
		if err == nil && msg.Verify(nil, ver) == nil {
			return kind, id, msg.Payload, nil
		}
	}
	return "", id, nil, fmt.Errorf("%w: signed by %s", ErrListSigner, id)
}

// SignedList is a list whose signature has checked out under a pinned
// root: its info and, by kind, what it holds.
type SignedList struct {
	ListInfo
	// Trust is a trust list's keys.
	Trust TrustList
	// Revocations is a full revocation list.
	Revocations *RevocationList
	// Delta is a revocation delta.
	Delta *RevocationDelta
}

// OpenList checks a signed list under the pinned roots and reads it. The
// errors wrap ErrListMalformed or ErrListSigner.
func OpenList(data []byte, roots Roots) (*SignedList, error) {
	kind, root, payload, err := openEnvelope(data, roots)
	if err != nil {
		return nil, err
	}
	l := &SignedList{}
	var head wireListHead
	switch kind {
	case TrustListKind:
		var w wireTrustList
		if err := listDecMode.Unmarshal(payload, &w); err != nil {
			return nil, fmt.Errorf("%w: trust list: %v", ErrListMalformed, err)
		}
		head = w.wireListHead
		if l.Trust, err = ReadJWKS(bytes.NewReader(w.Keys)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrListMalformed, err)
		}
		for _, k := range l.Trust.Keys() {
			if roots.has(k.Public) {
				return nil, fmt.Errorf("%w: the trust list holds a root key %s: a root never signs codes", ErrListMalformed, k.ID)
			}
		}
	case RevocationListKind, RevocationDeltaKind:
		var w wireRevocations
		if err := listDecMode.Unmarshal(payload, &w); err != nil {
			return nil, fmt.Errorf("%w: revocation list: %v", ErrListMalformed, err)
		}
		head = w.wireListHead
		if kind == RevocationListKind {
			if w.Since != 0 || len(w.Removed) != 0 {
				return nil, fmt.Errorf("%w: a full revocation list with delta fields", ErrListMalformed)
			}
			l.Revocations, err = w.list()
		} else {
			l.Delta, err = w.delta()
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrListMalformed, err)
		}
	}
	if l.ListInfo, err = head.info(kind, root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrListMalformed, err)
	}
	// A delta from a version to itself says "nothing changed" with fresh
	// times, so a checkpoint that is up to date stays fresh.
	if d := l.Delta; d != nil && (d.Since > l.Version || (d.Since == l.Version && d.Len() != 0)) {
		return nil, fmt.Errorf("%w: delta from version %d to %d with %d changes", ErrListMalformed, d.Since, l.Version, d.Len())
	}
	return l, nil
}

// wireTrustList is a trust list's payload: the head and the JWK Set, byte
// for byte what keys export --unsigned writes.
type wireTrustList struct {
	wireListHead
	Keys []byte `cbor:"5,keyasint"`
}

// SignTrustList signs a trust list with the root key. The list may not
// hold the root itself.
func SignTrustList(root *RootKey, t TrustList, info ListInfo) ([]byte, error) {
	info.Kind = TrustListKind
	if err := info.check(); err != nil {
		return nil, fmt.Errorf("trust list: %w", err)
	}
	for _, k := range t.Keys() {
		if k.Public.Equal(root.Pin().Public) {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("根密钥不能作为签名密钥出现在信任列表中", "the root key cannot be a signing key in the trust list"))
		}
	}
	var b bytes.Buffer
	if err := t.WriteJWKS(&b); err != nil {
		return nil, err
	}
	return signList(root, TrustListKind, wireTrustList{wireListHead: headOf(info), Keys: b.Bytes()})
}
