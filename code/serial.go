package code

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// SerialSize is the length of a code's serial (its CWT cti) in bytes.
const SerialSize = 16

// serialEncoding is how lifeline.FormatSerial writes a serial: RFC 4648
// base32 without padding, 26 characters for 16 bytes.
var serialEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSerial returns 16 random bytes.
func NewSerial() ([]byte, error) {
	b := make([]byte, SerialSize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// ParseSerial reads a serial as lifeline.FormatSerial writes it (26 base32
// characters, in groups or not) or in hex (32 characters), as typed
// (lifeline.NormalizeInput): spaces and dashes are ignored, case does not
// matter.
func ParseSerial(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(lifeline.NormalizeInput(s)))
	var b []byte
	var err error
	switch len(clean) {
	case 26:
		b, err = serialEncoding.DecodeString(clean)
	case 32:
		b, err = hex.DecodeString(clean)
	default:
		err = errBase45
	}
	if err != nil || len(b) != SerialSize {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("序列号“"+s+"”无效：应为 26 位字母数字或 32 位十六进制", "serial \""+s+"\" is not valid: use its 26-character form or 32 hex digits"))
	}
	return b, nil
}
