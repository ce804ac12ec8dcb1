package lifeline

import (
	"testing"
	"time"
)

func TestParseMainlandID(t *testing.T) {
	tests := []struct {
		id    string
		ok    bool
		birth string
		sex   Sex
	}{
		// The examples printed in GB 11643-1999 itself.
		{"11010519491231002X", true, "1949-12-31", Female},
		{"440524188001010014", true, "1880-01-01", Male},
		{"110105194912310021", false, "", ""}, // check digit should be X
		{"440524188001010015", false, "", ""}, // check digit should be 4
		{"11010519491231002x", false, "", ""}, // not normalised: lower-case x
		{"110105194902300027", false, "", ""}, // 30 February
		{"110105299901010010", false, "", ""}, // born in the future
		{"110105187901010012", false, "", ""}, // before 1880
		{"010105194912310029", false, "", ""}, // region cannot start with 0
		{"11010519491231002", false, "", ""},  // 17 characters
		{"1101051949123100200", false, "", ""},
		{"11010519491231A02X", false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		birth, sex, err := ParseMainlandID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ParseMainlandID(%q) error = %v, want ok=%v", tt.id, err, tt.ok)
			continue
		}
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Errorf("ParseMainlandID(%q) code %q, want %q", tt.id, ErrorCode(err), EINVALID)
			}
			continue
		}
		if got := birth.Format(time.DateOnly); got != tt.birth || sex != tt.sex {
			t.Errorf("ParseMainlandID(%q) = %s %q, want %s %q", tt.id, got, sex, tt.birth, tt.sex)
		}
	}
}

func TestMainlandIDCheckDigit(t *testing.T) {
	// The last computed by hand: weighted sum 131, 131 mod 11 = 10, "10X98765432"[10] = '2'.
	for first17, want := range map[string]byte{"11010519491231002": 'X', "44052418800101001": '4', "32010219900101000": '2'} {
		if got, ok := MainlandIDCheckDigit(first17); !ok || got != want {
			t.Errorf("MainlandIDCheckDigit(%s) = %c %v, want %c", first17, got, ok, want)
		}
	}
	if _, ok := MainlandIDCheckDigit("1101051949123100"); ok {
		t.Error("16 digits accepted")
	}
}

func TestNormalizeDocNumber(t *testing.T) {
	for in, want := range map[string]string{
		" 110105 19491231 002x ": "11010519491231002X",
		"１１０１０５１９４９１２３１００２Ｘ":     "11010519491231002X",
		"e12-345-678": "E12345678",
		"":            "",
	} {
		if got := NormalizeDocNumber(in); got != want {
			t.Errorf("NormalizeDocNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDocumentValidate(t *testing.T) {
	tests := []struct {
		d  Document
		ok bool
	}{
		{Document{Type: DocMainlandID, Number: "11010519491231002X"}, true},
		{Document{Type: DocMainlandID, Number: "110105194912310021"}, false},
		{Document{Type: DocPassport, Number: "E12345678", Nationality: "USA"}, true},
		{Document{Type: DocPassport, Number: "E1234", Nationality: "USA"}, true},
		{Document{Type: DocPassport, Number: "E123"}, false},
		{Document{Type: DocPassport, Number: "E1234567", Nationality: "US"}, false},
		{Document{Type: DocHKMO, Number: "H12345678"}, true},
		{Document{Type: DocHKMO, Number: "M1234567890"}, true},
		{Document{Type: DocHKMO, Number: "X12345678"}, false},
		{Document{Type: DocHKMO, Number: "H1234567"}, false},
		{Document{Type: DocTaiwan, Number: "12345678"}, true},
		{Document{Type: DocTaiwan, Number: "1234567890"}, true},
		{Document{Type: DocTaiwan, Number: "123456789"}, false},
		{Document{Type: DocNone}, true},
		{Document{Type: DocNone, Number: "1"}, false},
		{Document{Type: "visa", Number: "1"}, false},
	}
	for _, tt := range tests {
		if err := tt.d.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.d, err, tt.ok)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002X": "110105********002X",
		"E12345678":          "E****5678",
		"H1234567":           "****4567",
		"1234":               "****",
		"":                   "",
	} {
		if got := MaskDocNumber(in); got != want {
			t.Errorf("MaskDocNumber(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"张三丰":        "张*丰",
		"张三":         "张*",
		"欧阳娜娜":       "欧**娜",
		"John Smith": "J*** S****",
		"王":          "王",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResidentValidateCrossChecks(t *testing.T) {
	r := Resident{Name: "张三", Doc: Document{Type: DocMainlandID, Number: "11010519491231002X"},
		Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), Sex: Female}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	r.Sex = Male
	if r.Validate() == nil {
		t.Error("sex contradicting the ID accepted")
	}
	r.Sex, r.Birth = Female, time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	if r.Validate() == nil {
		t.Error("birth date contradicting the ID accepted")
	}
	r.Birth, r.Name = time.Time{}, " "
	if r.Validate() == nil {
		t.Error("empty name accepted")
	}
}

// FuzzParseMainlandID checks that whatever a roster holds, a number the
// parser accepts has a correct check digit and a real birth date.
func FuzzParseMainlandID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "110105194902300027", "", "X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeDocNumber(s)
		birth, _, err := ParseMainlandID(n)
		if err != nil {
			return
		}
		if c, ok := MainlandIDCheckDigit(n[:17]); !ok || c != n[17] {
			t.Fatalf("%q accepted with a wrong check digit", n)
		}
		if birth.Format("20060102") != n[6:14] {
			t.Fatalf("%q: birth %v is not the encoded one", n, birth)
		}
	})
}

func TestMistypedMainlandID(t *testing.T) {
	good := "11010519491231002X"
	for _, c := range []struct {
		in   string
		typo bool
	}{
		{good, false},
		{"110105194912310021", true},
		{"１１０１０５１９４９１２３１００２１", true},
		{"110105 19491231 0021", true},
		{"0021", false},
		{"E12345678", false},
		{"张三", false},
	} {
		err := MistypedMainlandID(c.in)
		if (err != nil) != c.typo || (err != nil && ErrorMessage(err, Zh) != "身份证号码校验位错误，请核对") {
			t.Errorf("MistypedMainlandID(%q) = %v, want a typo: %v", c.in, err, c.typo)
		}
	}
}
