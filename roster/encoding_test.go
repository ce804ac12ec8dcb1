package roster

import (
	"testing"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
)

// FuzzDecode: any bytes are decoded to UTF-8 or refused with a sentence,
// detected or in an encoding given.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("name\nM\xfcller\n"), "")
	f.Add([]byte("\xd5\xc5\xc8\xfd,\x88\xd2"), "gb18030")
	f.Add([]byte("\xef\xbb\xbfa,b"), "utf-8")
	f.Fuzz(func(t *testing.T, b []byte, label string) {
		out, _, err := decode("f.csv", b, label)
		if err != nil {
			if lifeline.ErrorCode(err) != lifeline.EINVALID {
				t.Fatalf("not a sentence for a person: %v", err)
			}
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("decoded %q to invalid UTF-8 %q", b, out)
		}
	})
}
