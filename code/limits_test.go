package code

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/veraison/go-cose"
)

// signWith signs claims as Sign does, but with the headers given, so tests
// can make codes a careless or hostile issuer would.
func signWith(t *testing.T, k *SigningKey, c *Claims, protected cose.ProtectedHeader, unprotected cose.UnprotectedHeader) string {
	t.Helper()
	body, err := marshalClaims(c)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmEd25519, k.Private)
	if err != nil {
		t.Fatal(err)
	}
	msg := cose.Sign1Message{Headers: cose.Headers{Protected: protected, Unprotected: unprotected}, Payload: body}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		t.Fatal(err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return Prefix + Base45Encode(raw)
}

// The verifier's limits (docs/offline-code.md, "Checking a code"): each
// code below is genuinely signed by a trusted key, and each is refused.
func TestVerifyLimits(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	_, c := issue(t, k, testHolder(lifeline.DocMainlandID))
	c.Issuer = "幸福里社区" // room for the extra headers below
	std := func() cose.ProtectedHeader {
		return cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEd25519, cose.HeaderLabelKeyID: k.ID[:]}
	}
	withValidity := func(d time.Duration) string {
		cc := c
		cc.ExpiresAt = cc.IssuedAt.Add(d)
		p, err := Sign(k, &cc)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	critical := func(labels ...any) cose.ProtectedHeader {
		h := std()
		h[cose.HeaderLabelCritical] = labels
		for _, l := range labels {
			if _, ok := h[l]; !ok {
				h[l] = "x" // crit may only name labels that are present
			}
		}
		return h
	}
	long := c
	long.Issuer = strings.Repeat("长", 40) // Issue would cut it to 30 bytes
	longPayload, err := Sign(k, &long)
	if err != nil {
		t.Fatal(err)
	}
	if len(longPayload) <= MaxPayloadLen {
		t.Fatalf("the long code is only %d characters", len(longPayload))
	}

	for _, tt := range []struct {
		name    string
		payload string
		want    Reason
	}{
		{"as issued", signWith(t, k, &c, std(), nil), ""},
		{"30 days exactly", withValidity(30 * 24 * time.Hour), ""},
		{"30 days and a second", withValidity(30*24*time.Hour + time.Second), BadValidity},
		{"a year", withValidity(365 * 24 * time.Hour), BadValidity},
		{"expires when issued", withValidity(0), BadValidity},
		{"expires before issue", withValidity(-time.Hour), BadValidity},
		{"longer than 296 characters", longPayload, TooLong},
		{"unprotected kid", signWith(t, k, &c, std(), cose.UnprotectedHeader{cose.HeaderLabelKeyID: k.ID[:]}), BadEncoding},
		{"unprotected content type", signWith(t, k, &c, std(), cose.UnprotectedHeader{cose.HeaderLabelContentType: "text/plain"}), BadEncoding},
		{"crit names an unknown label", signWith(t, k, &c, critical(int64(99)), nil), BadEncoding},
		{"crit names a text label", signWith(t, k, &c, critical("exp"), nil), BadEncoding},
		{"crit names the kid", signWith(t, k, &c, critical(cose.HeaderLabelKeyID), nil), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := verifierFor(k).Verify(tt.payload)
			if r.Reason != tt.want || r.Valid != (tt.want == "") {
				t.Fatalf("Verify = %v %q (%v), want %q", r.Valid, r.Reason, r.Err, tt.want)
			}
		})
	}

	// A verifier may be stricter than the default.
	v := verifierFor(k)
	v.MaxValidity = 7 * 24 * time.Hour
	if r := v.Verify(withValidity(8 * 24 * time.Hour)); r.Reason != BadValidity {
		t.Errorf("8 days under a 7-day maximum: %q", r.Reason)
	}

	// Text far too long is refused before any decoding, as too long.
	if r := verifierFor(k).Verify(Prefix + strings.Repeat("A", 1<<20)); r.Reason != TooLong {
		t.Errorf("1 MiB of text: %q", r.Reason)
	}
}

// A genuine code of a holder who was not green verifies, but says so.
func TestGreenAtIssue(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	for _, tt := range []struct {
		color  lifeline.Color
		result lifeline.Result
		green  bool
	}{
		{lifeline.Green, lifeline.Negative, true},
		{lifeline.Green, "", true},
		{lifeline.Green, lifeline.Pending, true},
		{lifeline.Green, lifeline.Positive, false},
		{lifeline.Green, lifeline.PooledPositive, false},
		{lifeline.Yellow, lifeline.Negative, false},
		{lifeline.Red, lifeline.Positive, false},
		{lifeline.Red, "", false},
		{"", "", false},
	} {
		h := testHolder(lifeline.DocMainlandID)
		h.Color, h.Result = tt.color, tt.result
		p, _ := issue(t, k, h)
		r := verifierFor(k).Verify(p)
		if !r.Valid || r.GreenAtIssue() != tt.green {
			t.Errorf("%s/%s: valid %v green %v, want valid and green %v", tt.color, tt.result, r.Valid, r.GreenAtIssue(), tt.green)
		}
	}
	// An invalid code is never green, whatever it says.
	p, _ := issue(t, k, testHolder(lifeline.DocMainlandID))
	r := (&Verifier{Trust: TrustListOf([]*SigningKey{k}), Now: clock(t0.Add(60 * 24 * time.Hour))}).Verify(p)
	if r.Valid || r.GreenAtIssue() {
		t.Errorf("expired code: valid %v green %v", r.Valid, r.GreenAtIssue())
	}
}

// Two keys under one kid: the code of either verifies, and a code of
// neither is a bad signature.
func TestSharedKid(t *testing.T) {
	a := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	b := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	stranger := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	// A kid is 8 bytes of a hash; a real collision takes 2^32 keys, so the
	// keys are filed under one kid by hand.
	b.ID, stranger.ID = a.ID, a.ID
	trust := TrustList{}
	for _, k := range []*SigningKey{a, b} {
		trust.add(a.ID, newTrustedKey(k.Public(), k.NotBefore, k.NotAfter))
	}
	if trust.Len() != 2 || len(trust[a.ID]) != 2 {
		t.Fatalf("trust list: %d keys", trust.Len())
	}
	v := &Verifier{Trust: trust, Now: clock(t0.Add(time.Hour))}
	for name, k := range map[string]*SigningKey{"first": a, "second": b} {
		p, _ := issue(t, k, testHolder(lifeline.DocPassport))
		if r := v.Verify(p); !r.Valid || r.KeyID != a.ID {
			t.Errorf("%s key's code: %q %v", name, r.Reason, r.Err)
		}
	}
	p, _ := issue(t, stranger, testHolder(lifeline.DocPassport))
	if r := v.Verify(p); r.Reason != BadSignature {
		t.Errorf("a stranger's code under the shared kid: %q", r.Reason)
	}
}
