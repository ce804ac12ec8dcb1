package sshd

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	gossh "golang.org/x/crypto/ssh"
)

func authorized(t testing.TB, key any) string {
	t.Helper()
	pub, err := gossh.NewPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub)))
}

func TestParseKeys(t *testing.T) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	ed := authorized(t, edPub)
	for _, tc := range []struct {
		name, text, want string
		keys             int
	}{
		{"one ed25519 key with a comment", ed + " wang@laptop\n", "", 1},
		{"an authorized_keys file", "# office\n\n" + ed + "\n" + authorized(t, &ec.PublicKey) + " phone\n", "", 2},
		{"options", `command="/bin/sh" ` + ed, "k:1: options before a key are not supported", 0},
		{"a weak RSA key", authorized(t, &weak.PublicKey), "k:1: an RSA key needs at least 2048 bits", 0},
		{"not a key", "hello", "k:1: not an SSH public key", 0},
		{"a bad second line", ed + "\nssh-ed25519 AAAAbroken", "k:2: not an SSH public key", 0},
		{"nothing", "\n# only a comment\n", "k: no public key in it", 0},
	} {
		keys, err := ParseKeys(strings.NewReader(tc.text), "k", "wang")
		if tc.want != "" {
			if err == nil || lifeline.ErrorMessage(err, lifeline.En)[:len(tc.want)] != tc.want {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil || len(keys) != tc.keys {
			t.Errorf("%s: %d keys, %v", tc.name, len(keys), err)
			continue
		}
		if k := keys[0]; k.User != "wang" || !strings.HasPrefix(k.Fingerprint, "SHA256:") || k.PublicKey != ed {
			t.Errorf("%s: %+v", tc.name, k)
		}
	}
	keys, _ := ParseKeys(strings.NewReader(ed+" wang\x1b[31m@laptop"), "k", "wang")
	if keys[0].Comment != `wang\x1b[31m@laptop` {
		t.Errorf("comment kept as %q", keys[0].Comment)
	}
}

// FuzzParseKeys: whatever a key file holds, ParseKeys answers keys or one
// error, and a key it returns parses back to itself.
func FuzzParseKeys(f *testing.F) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	f.Add(authorized(f, edPub) + " a comment\n")
	f.Add(`from="10.0.0.1" ` + authorized(f, edPub))
	f.Add("ssh-rsa AAAA\n#x\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		keys, err := ParseKeys(strings.NewReader(text), "f", "u")
		if err != nil {
			return
		}
		for _, k := range keys {
			pub, _, _, _, perr := gossh.ParseAuthorizedKey([]byte(k.PublicKey))
			if perr != nil || gossh.FingerprintSHA256(pub) != k.Fingerprint {
				t.Fatalf("key %+v does not parse back: %v", k, perr)
			}
			if _, bad := lifeline.UnprintableRune(k.Comment); bad {
				t.Fatalf("comment %q is not printable", k.Comment)
			}
		}
	})
}
