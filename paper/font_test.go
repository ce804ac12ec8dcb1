package paper

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

// tinyTTF builds the smallest TrueType file the font code reads: a glyf
// table and a format 4 cmap mapping each range of characters to glyphs.
func tinyTTF(ranges ...[2]rune) []byte {
	be := binary.BigEndian
	seg := len(ranges) + 1
	var sub []byte
	u16 := func(v int) { sub = be.AppendUint16(sub, uint16(v)) }
	u16(4)
	u16(0) // length, patched below
	u16(0)
	u16(2 * seg)
	u16(0)
	u16(0)
	u16(0)
	for _, r := range ranges {
		u16(int(r[1]))
	}
	u16(0xFFFF)
	u16(0)
	for _, r := range ranges {
		u16(int(r[0]))
	}
	u16(0xFFFF)
	glyph := 1
	for _, r := range ranges {
		u16((glyph - int(r[0])) & 0xFFFF)
		glyph += int(r[1]-r[0]) + 1
	}
	u16(1)
	for range seg {
		u16(0)
	}
	be.PutUint16(sub[2:], uint16(len(sub)))
	cmap := append([]byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12}, sub...)
	glyf := []byte{0, 0, 0, 0}

	out := []byte{0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0}
	off := 12 + 2*16
	for _, t := range []struct {
		tag  string
		data []byte
	}{{"cmap", cmap}, {"glyf", glyf}} {
		out = append(out, t.tag...)
		out = be.AppendUint32(out, 0)
		out = be.AppendUint32(out, uint32(off))
		out = be.AppendUint32(out, uint32(len(t.data)))
		off += len(t.data)
	}
	out = append(out, cmap...)
	return append(out, glyf...)
}

// tinyTTC wraps fonts into a TrueType collection.
func tinyTTC(fonts ...[]byte) []byte {
	be := binary.BigEndian
	out := []byte("ttcf\x00\x01\x00\x00")
	out = be.AppendUint32(out, uint32(len(fonts)))
	base := len(out) + 4*len(fonts)
	var body []byte
	for _, f := range fonts {
		// Table offsets in a collection count from the file's start.
		f = append([]byte{}, f...)
		at := base + len(body)
		n := int(be.Uint16(f[4:]))
		for i := 0; i < n; i++ {
			rec := f[12+16*i:]
			be.PutUint32(rec[8:], be.Uint32(rec[8:])+uint32(at))
		}
		out = be.AppendUint32(out, uint32(at))
		body = append(body, f...)
	}
	return append(out, body...)
}

func writeFont(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "f.ttf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCmapOfBuiltFonts(t *testing.T) {
	cjkOnly := tinyTTF([2]rune{0x4E00, 0x9FFF}, [2]rune{0x3000, 0x303F}, [2]rune{0xFF01, 0xFF5E})
	full := tinyTTF([2]rune{0x20, 0x7E}, [2]rune{0xB7, 0xB7}, [2]rune{0x3000, 0x303F}, [2]rune{0x4E00, 0x9FFF}, [2]rune{0xFF01, 0xFF5E})
	for name, b := range map[string][]byte{"ttf": full, "ttc": tinyTTC(full, cjkOnly)} {
		f, err := LoadFontFile(writeFont(t, b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := f.Check(PrintedTexts()...); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !f.Has('张') || f.Has('é') || f.Has(0x1F600) {
			t.Errorf("%s: coverage wrong", name)
		}
	}
	// A CJK font without Latin letters or digits (as Droid Sans Fallback
	// is) is refused, naming what it lacks.
	f, err := LoadFontFile(writeFont(t, cjkOnly))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Check(PrintedTexts()...)
	if lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE || !strings.Contains(err.Error(), "'0'(U+0030)") || !strings.Contains(err.Error(), "'A'(U+0041)") {
		t.Fatalf("check = %v", err)
	}
	if got := string(f.Missing("尾号 12")); got != "12" {
		t.Fatalf("Missing = %q", got)
	}
}

func FuzzFont(f *testing.F) {
	ttf := tinyTTF([2]rune{0x20, 0x7E}, [2]rune{0x4E00, 0x4E10})
	f.Add(ttf)
	f.Add(tinyTTC(ttf))
	f.Add([]byte("OTTO\x00\x01\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		face, err := firstFace(b)
		if err != nil {
			return
		}
		m, err := readCmap(face)
		if err == nil && len(m) > 1<<17 {
			t.Fatalf("%d characters mapped", len(m))
		}
	})
}
