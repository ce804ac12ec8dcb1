// Package code makes and checks lifeline's offline paper codes: a CWT
// (RFC 8392) claims set in a COSE_Sign1 (RFC 9052) structure signed with
// Ed25519, encoded with Base45 (RFC 9285) behind the prefix "LL1:", so a
// checkpoint with no network can tell a genuine, current code from a
// forged, expired or revoked one. docs/offline-code.md is the format.
package code

import (
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
	lifeline "github.com/lifeline-health/lifeline"
)

// Prefix starts every payload. It is our own, not the EU certificate's
// "HC1:", so no EU verifier mistakes a lifeline code for one of theirs.
const Prefix = "LL1:"

// DefaultValidity is how long a code is valid after issue.
const DefaultValidity = 30 * 24 * time.Hour

// DefaultMaxValidity is the longest validity an issuer signs and a
// verifier accepts (exp − iat): Shanghai's paper codes were valid 30 days,
// and a card that lives longer carries its holder's status at issue for
// longer than anyone should rely on it.
const DefaultMaxValidity = 30 * 24 * time.Hour

// HolderClaim is the CWT claim key of the holder map. Keys below -65536
// are "private use" in the IANA CWT Claims registry (RFC 8392 §9.1), so it
// collides with no registered claim.
const HolderClaim = -65537

// Holder is the least a checkpoint needs to match a paper code to the
// person holding it, and their status when the code was issued. It never
// holds a full document number, a phone or an address.
type Holder struct {
	MaskedName string           // lifeline.MaskName: 张*丰
	DocTail    string           // last 4 characters of the document number
	DocType    lifeline.DocType // kind of document
	Color      lifeline.Color   // colour at issue, "" if none
	Result     lifeline.Result  // latest test result at issue, "" if none
	TestedAt   time.Time        // when that test was sampled, zero if none
}

// GreenAtIssue reports whether the holder was green when the code was
// issued: a green health code and no positive test, pooled or not. A
// genuine code says nothing more; a holder who was yellow, red, positive,
// in a positive pool (to be retested alone) or had no status is "valid,
// not green", and a checkpoint must not wave them through on the code
// alone.
func (h Holder) GreenAtIssue() bool {
	return h.Color == lifeline.Green && h.Result != lifeline.Positive && h.Result != lifeline.PooledPositive
}

// HolderOf builds the holder part of a code from a resident.
func HolderOf(r *lifeline.Resident) Holder {
	h := Holder{
		MaskedName: lifeline.MaskName(r.Name),
		DocTail:    r.Doc.Tail(4),
		DocType:    r.Doc.Type,
		Color:      r.Status.Color,
	}
	if t := r.Status.Latest; t != nil {
		h.Result = t.Result
		h.TestedAt = t.SampledAt.Truncate(time.Second)
	}
	return h
}

// DocumentLine is the holder's document as a checkpoint reads it: its
// type and last characters ("身份证尾号 1234", "passport ending 5678"), or
// the type alone when there is no number (a child: "无证件").
func (h Holder) DocumentLine(l lifeline.Lang) string {
	if h.DocTail == "" {
		return h.DocType.Label(l)
	}
	return h.DocType.Label(l) + l.Pick("尾号 ", " ending ") + h.DocTail
}

// Claims is what a code says: who issued it, when, until when, its serial
// and its holder.
type Claims struct {
	Issuer    string // the issuing community
	IssuedAt  time.Time
	ExpiresAt time.Time
	Serial    []byte // 16 random bytes, the CWT cti
	Holder    Holder
}

// SerialString returns the claims' serial as people read it
// (lifeline.FormatSerial).
func (c *Claims) SerialString() string { return lifeline.FormatSerial(c.Serial) }

// Enumerations are small integers on the wire: one CBOR byte each. 0 is
// never written (the key is left out), so unknown stays unknown.
var (
	docTypeCodes = map[lifeline.DocType]uint8{lifeline.DocMainlandID: 1, lifeline.DocPassport: 2, lifeline.DocHKMO: 3, lifeline.DocTaiwan: 4, lifeline.DocNone: 5}
	colorCodes   = map[lifeline.Color]uint8{lifeline.Green: 1, lifeline.Yellow: 2, lifeline.Red: 3}
	resultCodes  = map[lifeline.Result]uint8{lifeline.Negative: 1, lifeline.Positive: 2, lifeline.Pending: 3, lifeline.PooledPositive: 4}
)

func lookup[K comparable](m map[K]uint8, v uint8) (K, bool) {
	for k, c := range m {
		if c == v {
			return k, true
		}
	}
	var zero K
	return zero, false
}

// maxNumericDate is 9999-12-31T23:59:59Z. A time past it cannot be
// written as RFC 3339, so a verifier could not even say when such a code
// expires; no genuine code comes near it.
const maxNumericDate = 253402300799

// wireHolder is the private claim: a map with small integer keys.
type wireHolder struct {
	Name     string `cbor:"1,keyasint,omitempty"`
	DocTail  string `cbor:"2,keyasint,omitempty"`
	DocType  uint8  `cbor:"3,keyasint,omitempty"`
	Color    uint8  `cbor:"4,keyasint,omitempty"`
	Result   uint8  `cbor:"5,keyasint,omitempty"`
	TestedAt int64  `cbor:"6,keyasint,omitempty"`
}

// wireClaims is the CWT claims set: registered keys 1 iss, 4 exp, 6 iat,
// 7 cti (RFC 8392 §4) and the private holder claim.
type wireClaims struct {
	Iss    string      `cbor:"1,keyasint,omitempty"`
	Exp    int64       `cbor:"4,keyasint"`
	Iat    int64       `cbor:"6,keyasint"`
	Cti    []byte      `cbor:"7,keyasint"`
	Holder *wireHolder `cbor:"-65537,keyasint"`
}

// The claims are encoded deterministically (RFC 8949 §4.2.1: shortest
// forms, keys sorted), so the same claims always give the same bytes.
var (
	encMode = func() cbor.EncMode {
		m, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	decMode = func() cbor.DecMode {
		m, err := cbor.DecOptions{
			DupMapKey:         cbor.DupMapKeyEnforcedAPF,
			IndefLength:       cbor.IndefLengthForbidden,
			MaxNestedLevels:   4,
			MaxArrayElements:  16,
			MaxMapPairs:       16,
			UTF8:              cbor.UTF8RejectInvalid,
			ExtraReturnErrors: cbor.ExtraDecErrorNone,
		}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

func marshalClaims(c *Claims) ([]byte, error) {
	h := c.Holder
	w := wireClaims{
		Iss: c.Issuer,
		Exp: c.ExpiresAt.Unix(),
		Iat: c.IssuedAt.Unix(),
		Cti: c.Serial,
		Holder: &wireHolder{
			Name:    h.MaskedName,
			DocTail: h.DocTail,
			DocType: docTypeCodes[h.DocType],
			Color:   colorCodes[h.Color],
			Result:  resultCodes[h.Result],
		},
	}
	if !h.TestedAt.IsZero() {
		w.Holder.TestedAt = h.TestedAt.Unix()
	}
	return encMode.Marshal(&w)
}

func unmarshalClaims(b []byte) (Claims, error) {
	var w wireClaims
	if err := decMode.Unmarshal(b, &w); err != nil {
		return Claims{}, fmt.Errorf("claims: %w", err)
	}
	if w.Holder == nil || len(w.Cti) == 0 || w.Iat == 0 || w.Exp == 0 {
		return Claims{}, fmt.Errorf("claims: iat, exp, cti or holder missing")
	}
	for _, t := range []int64{w.Iat, w.Exp, w.Holder.TestedAt} {
		if t < 0 || t > maxNumericDate {
			return Claims{}, fmt.Errorf("claims: time %d is outside years 1970 to 9999", t)
		}
	}
	c := Claims{
		Issuer:    w.Iss,
		IssuedAt:  time.Unix(w.Iat, 0),
		ExpiresAt: time.Unix(w.Exp, 0),
		Serial:    w.Cti,
		Holder: Holder{
			MaskedName: w.Holder.Name,
			DocTail:    w.Holder.DocTail,
		},
	}
	var ok bool
	if w.Holder.DocType != 0 {
		if c.Holder.DocType, ok = lookup(docTypeCodes, w.Holder.DocType); !ok {
			return Claims{}, fmt.Errorf("claims: unknown document type %d", w.Holder.DocType)
		}
	}
	if w.Holder.Color != 0 {
		if c.Holder.Color, ok = lookup(colorCodes, w.Holder.Color); !ok {
			return Claims{}, fmt.Errorf("claims: unknown colour %d", w.Holder.Color)
		}
	}
	if w.Holder.Result != 0 {
		if c.Holder.Result, ok = lookup(resultCodes, w.Holder.Result); !ok {
			return Claims{}, fmt.Errorf("claims: unknown result %d", w.Holder.Result)
		}
	}
	if w.Holder.TestedAt != 0 {
		c.Holder.TestedAt = time.Unix(w.Holder.TestedAt, 0)
	}
	return c, nil
}
