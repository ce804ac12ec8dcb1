package code

import (
	"bytes"
	"testing"
)

// The examples of RFC 9285 §4.
func TestBase45RFC9285(t *testing.T) {
	for _, tt := range []struct{ in, out string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
	} {
		if got := Base45Encode([]byte(tt.in)); got != tt.out {
			t.Errorf("encode %q = %q, want %q", tt.in, got, tt.out)
		}
		got, err := Base45Decode(tt.out)
		if err != nil || string(got) != tt.in {
			t.Errorf("decode %q = %q, %v; want %q", tt.out, got, err, tt.in)
		}
	}
}

func TestBase45Invalid(t *testing.T) {
	for _, in := range []string{
		"GGW",  // 65536: the RFC's example of a value that does not fit
		"A",    // length 1 mod 3
		"BB8A", // same
		"ab8",  // lower case is outside the alphabet
		"B\x008",
		":::", // 44+44*45+44*2025 > 65535
		"Z6",  // 35+6*45 = 305 > 255 in a final pair
	} {
		if b, err := Base45Decode(in); err == nil {
			t.Errorf("Base45Decode(%q) = %x, want error", in, b)
		}
	}
	// The largest values that do fit.
	if b, err := Base45Decode("FGW"); err != nil || !bytes.Equal(b, []byte{0xff, 0xff}) {
		t.Errorf("FGW = %x, %v", b, err)
	}
	if b, err := Base45Decode("U5"); err != nil || !bytes.Equal(b, []byte{0xff}) {
		t.Errorf("U5 = %x, %v", b, err)
	}
}

func FuzzBase45(f *testing.F) {
	f.Add([]byte("Hello!!"))
	f.Add([]byte{0xff, 0xff, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Base45Decode(Base45Encode(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip %x = %x, %v", b, got, err)
		}
	})
}
