package code

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/veraison/go-cose"
)

// TrustedKey is a public key a checkpoint accepts, and the window in which
// codes it signed may have been issued.
type TrustedKey struct {
	ID        KeyID
	Public    ed25519.PublicKey
	NotBefore time.Time // zero: no lower bound
	NotAfter  time.Time // zero: no upper bound

	verifier cose.Verifier // built once per key, not per code
}

func (k *TrustedKey) coseVerifier() (cose.Verifier, error) {
	if k.verifier != nil {
		return k.verifier, nil
	}
	return cose.NewVerifier(cose.AlgorithmEd25519, k.Public)
}

// newTrustedKey returns a trusted key with its verifier built.
func newTrustedKey(pub ed25519.PublicKey, notBefore, notAfter time.Time) *TrustedKey {
	k := &TrustedKey{ID: KeyIDOf(pub), Public: pub, NotBefore: notBefore, NotAfter: notAfter}
	k.verifier, _ = cose.NewVerifier(cose.AlgorithmEd25519, pub)
	return k
}

// covers reports whether a code issued at t falls inside the key's window.
func (k *TrustedKey) covers(t time.Time) bool {
	return (k.NotBefore.IsZero() || !t.Before(k.NotBefore)) && (k.NotAfter.IsZero() || !t.After(k.NotAfter))
}

// TrustList is the set of public keys a verifier accepts, by key id. A
// kid is 8 bytes of a hash, so two keys can share one: every key under a
// code's kid is tried.
type TrustList map[KeyID][]*TrustedKey

// add puts a key under an id; a key already there is not added twice.
func (t TrustList) add(id KeyID, k *TrustedKey) {
	for _, have := range t[id] {
		if have.Public.Equal(k.Public) {
			return
		}
	}
	t[id] = append(t[id], k)
}

// Len returns how many keys the list holds.
func (t TrustList) Len() int {
	n := 0
	for _, ks := range t {
		n += len(ks)
	}
	return n
}

// Keys returns every key, sorted by id and then public key, so whatever
// is written from them comes out the same each time.
func (t TrustList) Keys() []*TrustedKey {
	var out []*TrustedKey
	for _, ks := range t {
		out = append(out, ks...)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := bytes.Compare(out[i].ID[:], out[j].ID[:]); c != 0 {
			return c < 0
		}
		return bytes.Compare(out[i].Public, out[j].Public) < 0
	})
	return out
}

// TrustListOf returns the trust list of signing keys' public halves.
func TrustListOf(keys []*SigningKey) TrustList {
	t := TrustList{}
	for _, k := range keys {
		t.add(k.ID, newTrustedKey(k.Public(), k.NotBefore, k.NotAfter))
	}
	return t
}

// jwk is one key of the JWK Set (RFC 7517, RFC 8037 §2). "nbf" and "exp"
// are lifeline's own members (NumericDate seconds, as in JWT): the window
// in which the key signs codes.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	Nbf int64  `json:"nbf,omitempty"`
	Exp int64  `json:"exp,omitempty"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// WriteJWKS writes the trust list as a JWK Set, keys sorted by id.
func (t TrustList) WriteJWKS(w io.Writer) error {
	set := jwkSet{Keys: []jwk{}}
	for _, k := range t.Keys() {
		j := jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public), Kid: k.ID.JWK(), Alg: "EdDSA", Use: "sig"}
		if !k.NotBefore.IsZero() {
			j.Nbf = k.NotBefore.Unix()
		}
		if !k.NotAfter.IsZero() {
			j.Exp = k.NotAfter.Unix()
		}
		set.Keys = append(set.Keys, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(set)
}

// maxTrustKeys bounds a trust list: a city has a handful of signing keys,
// and a hostile list of millions would make every code try them all.
const maxTrustKeys = 1024

// ReadJWKS reads a JWK Set. Keys that are not Ed25519 OKP keys are
// skipped (a set may carry other keys); a kid that does not match the key
// is an error, since the kid is how codes find their key.
func ReadJWKS(r io.Reader) (TrustList, error) {
	var set jwkSet
	if err := json.NewDecoder(r).Decode(&set); err != nil {
		return nil, fmt.Errorf("trust list: %w", err)
	}
	if len(set.Keys) > maxTrustKeys {
		return nil, fmt.Errorf("trust list: %d keys, more than %d", len(set.Keys), maxTrustKeys)
	}
	t := TrustList{}
	for i, j := range set.Keys {
		if j.Kty != "OKP" || j.Crv != "Ed25519" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("trust list: key %d: bad x", i)
		}
		pub := ed25519.PublicKey(x)
		id := KeyIDOf(pub)
		if j.Kid != id.JWK() {
			return nil, fmt.Errorf("trust list: key %d: kid %q does not match its key (%s)", i, j.Kid, id.JWK())
		}
		if j.Nbf < 0 || j.Nbf > maxNumericDate || j.Exp < 0 || j.Exp > maxNumericDate || (j.Exp != 0 && j.Exp < j.Nbf) {
			return nil, fmt.Errorf("trust list: key %d: nbf %d and exp %d are not a window", i, j.Nbf, j.Exp)
		}
		var nbf, exp time.Time
		if j.Nbf != 0 {
			nbf = time.Unix(j.Nbf, 0)
		}
		if j.Exp != 0 {
			exp = time.Unix(j.Exp, 0)
		}
		t.add(id, newTrustedKey(pub, nbf, exp))
	}
	return t, nil
}

// LoadTrustList reads a JWK Set file.
func LoadTrustList(path string) (TrustList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T("无法打开信任列表 "+path, "cannot open the trust list "+path))
	}
	defer f.Close()
	t, err := ReadJWKS(f)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("信任列表 "+path+" 格式错误", "the trust list "+path+" is malformed"))
	}
	return t, nil
}
