package auth

import (
	"bytes"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestReadNewPassword: a piped password is its first line, without the
// line end; no line, or asking for the terminal when there is none, is
// invalid input.
func TestReadNewPassword(t *testing.T) {
	var out bytes.Buffer
	for in, want := range map[string]string{"s3cret pass\r\nmore\n": "s3cret pass", "last line no newline": "last line no newline"} {
		if got, err := ReadNewPassword(strings.NewReader(in), &out, true, lifeline.En); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := ReadNewPassword(strings.NewReader(""), &out, true, lifeline.En); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Errorf("empty input: %v", err)
	}
	if _, err := ReadNewPassword(strings.NewReader("x\n"), &out, false, lifeline.En); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Errorf("no terminal: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("prompted without a terminal: %q", out.String())
	}
}
