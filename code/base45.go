package code

import (
	"errors"
	"fmt"
)

// base45Alphabet is the 45-character set of RFC 9285, the same characters
// a QR code's alphanumeric mode holds at 5.5 bits each.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// base45Value maps a byte to its value in the alphabet, or 0xff.
var base45Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = byte(i)
	}
	return t
}()

// errBase45 is the cause of every Base45 decoding failure.
var errBase45 = errors.New("base45")

// Base45Encode encodes b as RFC 9285 Base45: each pair of bytes becomes
// three characters, least significant first; a final odd byte becomes two.
func Base45Encode(b []byte) string {
	out := make([]byte, 0, len(b)/2*3+2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// Base45Decode decodes RFC 9285 Base45. It rejects characters outside the
// alphabet, a length of 1 modulo 3, and groups whose value does not fit
// (above 65535 for three characters, above 255 for two), as the RFC
// requires.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d is not valid", errBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		c, d := base45Value[s[i]], base45Value[s[i+1]]
		if c == 0xff || d == 0xff {
			return nil, fmt.Errorf("%w: invalid character at %d", errBase45, i)
		}
		n := int(c) + int(d)*45
		if i+2 == len(s) {
			if n > 0xff {
				return nil, fmt.Errorf("%w: final pair at %d out of range", errBase45, i)
			}
			out = append(out, byte(n))
			break
		}
		e := base45Value[s[i+2]]
		if e == 0xff {
			return nil, fmt.Errorf("%w: invalid character at %d", errBase45, i+2)
		}
		n += int(e) * 2025
		if n > 0xffff {
			return nil, fmt.Errorf("%w: triple at %d out of range", errBase45, i)
		}
		out = append(out, byte(n>>8), byte(n))
	}
	return out, nil
}
