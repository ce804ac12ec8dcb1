package lifeline

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"13812345678", "+8613812345678"},
		{"138 1234 5678", "+8613812345678"},
		{"138-1234-5678", "+8613812345678"},
		{"１３８１２３４５６７８", "+8613812345678"},
		{"+86 138 1234 5678", "+8613812345678"},
		{"＋86 13812345678", "+8613812345678"},
		{"008613812345678", "+8613812345678"},
		{"8613812345678", "+8613812345678"},
		{"010-12345678", "+861012345678"}, // Beijing: area code 10 also starts with 1
		{"(010) 1234-5678", "+861012345678"},
		{"021-87654321", "+862187654321"},
		{"0755-1234567", "+867551234567"},
		{"+86 10 1234 5678", "+861012345678"},
		{"+1 (415) 555-0100", "+14155550100"},
		{"0044 20 7946 0958", "+442079460958"},
		{"1381234567", ""},         // 10 digits: a mobile missing one
		{"138123456789", ""},       // 12 digits
		{"+86 138 1234 56789", ""}, // mobile with 12 digits
		{"12345678", ""},           // local number without area code
		{"+86 12345", ""},
		{"phone", ""},
		{"138 1234 567x", ""},
		{"", ""},
		{"+", ""},
		{"++8613812345678", ""},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizePhone(%q) = %q, want an error", tt.in, got)
			} else if ErrorCode(err) != EINVALID {
				t.Errorf("NormalizePhone(%q) code %q", tt.in, ErrorCode(err))
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+8613812345678": "+86 138****5678",
		"+861012345678":  "+********5678",
		"+14155550100":   "+*******0100",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	if got := PhoneTail("+8613812345678"); got != "5678" {
		t.Errorf("PhoneTail = %q", got)
	}
}

// FuzzNormalizePhone checks that an accepted number is E.164 and that
// normalising it again changes nothing.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 10 1234 5678", "010-12345678", "0044 20 7946 0958", "+", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePhone(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "+") || len(p) < 9 || len(p) > 16 || strings.Trim(p[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q: not E.164", s, p)
		}
		if again, err := NormalizePhone(p); err != nil || again != p {
			t.Fatalf("NormalizePhone(%q) = %q, but again gives %q, %v", s, p, again, err)
		}
	})
}

func TestIsLandline(t *testing.T) {
	cases := map[string]bool{
		"+8613800000001": false, "+8619912345678": false, "+861012345678": true, "+862988881234": true,
		"+85298765432": false, "+14155550100": false, "+86755123456789": true,
	}
	for p, want := range cases {
		if got := IsLandline(p); got != want {
			t.Errorf("IsLandline(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestMergePhones(t *testing.T) {
	const m1, m2, l1, l2 = "+8613800000001", "+8613900000002", "+862988881234", "+861066667777"
	cases := []struct {
		stored, given, want []string
	}{
		{nil, []string{m1}, []string{m1}},
		{[]string{m1, l1}, []string{m2}, []string{m2, l1}},
		{[]string{l1, m1}, []string{m2}, []string{m2, l1}},
		{[]string{m1, l1}, []string{l2}, []string{l2, m1}},
		{[]string{m1, l1}, []string{l2, m2}, []string{l2, m2}},
		{[]string{m1, l1}, []string{m1, l1}, []string{m1, l1}},
		{[]string{l1, m1}, []string{l1, m1}, []string{l1, m1}},
		{[]string{m1, l1}, nil, []string{m1, l1}},
		{[]string{m1}, []string{l1, l2}, []string{l1, l2, m1}},
	}
	for _, c := range cases {
		if got := MergePhones(c.stored, c.given); !slices.Equal(got, c.want) {
			t.Errorf("MergePhones(%v, %v) = %v, want %v", c.stored, c.given, got, c.want)
		}
	}
}
