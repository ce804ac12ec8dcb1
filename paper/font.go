package paper

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// FontEnv names the environment variable that points at the font to print
// with, overriding the known paths.
const FontEnv = "LIFELINE_FONT"

// FontPaths are the places a suitable font is looked for when LIFELINE_FONT
// is not set, best first. The first is Debian's fonts-wqy-microhei, which
// scripts/setup.sh installs: TrueType outlines (gofpdf embeds TrueType only,
// not CFF-based OpenType such as fonts-noto-cjk) with CJK ideographs, Latin
// letters and digits. It ships as a collection (.ttc), which gofpdf cannot
// read, so its first face is extracted in memory. Droid Sans Fallback, a
// plain .ttf, is deliberately not listed: it has no Latin letters or digits,
// so dates and document tails would print as empty boxes.
var FontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
}

// Font is a TrueType font that gofpdf can embed, with its character map so
// coverage can be checked before a page is printed.
type Font struct {
	Path string
	// TTF is a single-face TrueType file (extracted from a collection if
	// the file was one).
	TTF  []byte
	cmap map[rune]uint16
}

// LoadFont finds and loads the font: LIFELINE_FONT if set, else the first
// of FontPaths that exists.
func LoadFont() (*Font, error) {
	if p := os.Getenv(FontEnv); p != "" {
		return LoadFontFile(p)
	}
	for _, p := range FontPaths {
		if _, err := os.Stat(p); err == nil {
			return LoadFontFile(p)
		}
	}
	return nil, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T(
		"找不到打印用的中文字体：请安装 fonts-wqy-microhei（scripts/setup.sh 会安装），或用环境变量 LIFELINE_FONT 指定一个 TrueType 字体文件",
		"no Chinese font to print with: install fonts-wqy-microhei (scripts/setup.sh does), or point LIFELINE_FONT at a TrueType font file"))
}

// LoadFontFile loads a TrueType font (.ttf) or the first face of a TrueType
// collection (.ttc).
func LoadFontFile(path string) (*Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fontError(path, err)
	}
	ttf, err := firstFace(b)
	if err != nil {
		return nil, fontError(path, err)
	}
	cm, err := readCmap(ttf)
	if err != nil {
		return nil, fontError(path, err)
	}
	return &Font{Path: path, TTF: ttf, cmap: cm}, nil
}

func fontError(path string, err error) error {
	return lifeline.Wrapf(lifeline.EUNAVAILABLE, fmt.Errorf("font %s: %w", path, err), lifeline.T(
		"字体文件 "+path+" 无法使用（需要含中文、拉丁字母和数字的 TrueType 字体）",
		"the font file "+path+" cannot be used (it must be a TrueType font with Chinese, Latin letters and digits)"))
}

// Has reports whether the font has a glyph for r.
func (f *Font) Has(r rune) bool {
	if r == ' ' || r == '\n' {
		return true
	}
	return f.cmap[r] != 0
}

// Missing returns the characters of s that the font has no glyph for, each
// once, in order of first appearance.
func (f *Font) Missing(s string) []rune {
	var out []rune
	for _, r := range s {
		if !f.Has(r) && !containsRune(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Check returns an error naming every character of texts the font lacks.
func (f *Font) Check(texts ...string) error {
	var missing []rune
	for _, s := range texts {
		for _, r := range f.Missing(s) {
			if !containsRune(missing, r) {
				missing = append(missing, r)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
	var b strings.Builder
	for _, r := range missing {
		fmt.Fprintf(&b, " %q(U+%04X)", r, r)
	}
	return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T(
		"字体 "+f.Path+" 缺少这些字符，打印出来会是空框："+b.String()+"。请安装 fonts-wqy-microhei 或用 LIFELINE_FONT 换一个字体",
		"the font "+f.Path+" lacks these characters, which would print as empty boxes:"+b.String()+". Install fonts-wqy-microhei or point LIFELINE_FONT at another font"))
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// firstFace returns b itself for a TrueType file, or a standalone TrueType
// file holding the first face of a TrueType collection. OpenType/CFF fonts
// are refused: gofpdf cannot embed them.
func firstFace(b []byte) ([]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("file too short")
	}
	switch tag := string(b[:4]); tag {
	case "\x00\x01\x00\x00", "true":
		return b, nil
	case "OTTO":
		return nil, errors.New("OpenType with CFF outlines, which gofpdf cannot embed")
	case "ttcf":
		n := binary.BigEndian.Uint32(b[8:])
		if n == 0 || len(b) < 16 {
			return nil, errors.New("empty font collection")
		}
		return extractFace(b, int(binary.BigEndian.Uint32(b[12:])))
	default:
		return nil, fmt.Errorf("not a TrueType font (tag %q)", tag)
	}
}

// extractFace copies the face whose offset table starts at off out of a
// collection into a file of its own: the same tables, offsets rewritten.
func extractFace(b []byte, off int) ([]byte, error) {
	if off+12 > len(b) {
		return nil, errors.New("bad collection offset")
	}
	if string(b[off:off+4]) == "OTTO" {
		return nil, errors.New("OpenType with CFF outlines, which gofpdf cannot embed")
	}
	numTables := int(binary.BigEndian.Uint16(b[off+4:]))
	dirEnd := off + 12 + 16*numTables
	if dirEnd > len(b) {
		return nil, errors.New("bad table directory")
	}
	headerLen := 12 + 16*numTables
	out := make([]byte, headerLen, len(b))
	copy(out, b[off:dirEnd])
	for i := 0; i < numTables; i++ {
		rec := out[12+16*i:]
		toff := int(binary.BigEndian.Uint32(rec[8:]))
		tlen := int(binary.BigEndian.Uint32(rec[12:]))
		if toff < 0 || tlen < 0 || toff+tlen > len(b) {
			return nil, fmt.Errorf("table %q out of range", rec[:4])
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		out = append(out, b[toff:toff+tlen]...)
	}
	return out, nil
}

// table returns the bytes of one table of a TrueType file.
func table(ttf []byte, tag string) ([]byte, error) {
	if len(ttf) < 12 {
		return nil, errors.New("file too short")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			break
		}
		if string(ttf[rec:rec+4]) != tag {
			continue
		}
		off := int(binary.BigEndian.Uint32(ttf[rec+8:]))
		ln := int(binary.BigEndian.Uint32(ttf[rec+12:]))
		if off+ln > len(ttf) || off < 0 || ln < 0 {
			return nil, fmt.Errorf("table %s out of range", tag)
		}
		return ttf[off : off+ln], nil
	}
	return nil, fmt.Errorf("no %s table", tag)
}

// readCmap reads the Unicode BMP character map (format 4 of platform 3
// encoding 1, or platform 0), the same subtable gofpdf uses, so a character
// counts as covered exactly when gofpdf will find its glyph.
func readCmap(ttf []byte) (map[rune]uint16, error) {
	if _, err := table(ttf, "glyf"); err != nil {
		return nil, errors.New("no TrueType outlines (glyf table)")
	}
	cm, err := table(ttf, "cmap")
	if err != nil {
		return nil, err
	}
	if len(cm) < 4 {
		return nil, errors.New("short cmap")
	}
	n := int(binary.BigEndian.Uint16(cm[2:]))
	for i := 0; i < n; i++ {
		rec := 4 + 8*i
		if rec+8 > len(cm) {
			break
		}
		platform := binary.BigEndian.Uint16(cm[rec:])
		enc := binary.BigEndian.Uint16(cm[rec+2:])
		off := int(binary.BigEndian.Uint32(cm[rec+4:]))
		if !(platform == 3 && enc == 1 || platform == 0) || off+2 > len(cm) {
			continue
		}
		if binary.BigEndian.Uint16(cm[off:]) == 4 {
			return readFormat4(cm[off:])
		}
	}
	return nil, errors.New("no Unicode (format 4) character map")
}

func readFormat4(t []byte) (map[rune]uint16, error) {
	if len(t) < 14 {
		return nil, errors.New("short cmap format 4")
	}
	segX2 := int(binary.BigEndian.Uint16(t[6:]))
	ends := 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	ranges := deltas + segX2
	if ranges+segX2 > len(t) {
		return nil, errors.New("cmap format 4 out of range")
	}
	u16 := func(p int) uint16 {
		if p+2 > len(t) {
			return 0
		}
		return binary.BigEndian.Uint16(t[p:])
	}
	m := make(map[rune]uint16, 32768)
	budget := 1 << 17 // a damaged or hostile table cannot make this loop forever
	for s := 0; s < segX2/2; s++ {
		end := u16(ends + 2*s)
		start := u16(starts + 2*s)
		if start > end {
			continue
		}
		if budget -= int(end-start) + 1; budget < 0 {
			return nil, errors.New("cmap format 4 has overlapping segments")
		}
		delta := u16(deltas + 2*s)
		ro := u16(ranges + 2*s)
		for c := uint32(start); c <= uint32(end) && c != 0xFFFF; c++ {
			var g uint16
			if ro == 0 {
				g = uint16(c) + delta
			} else {
				p := ranges + 2*s + int(ro) + 2*int(c-uint32(start))
				g = u16(p)
				if g != 0 {
					g += delta
				}
			}
			if g != 0 {
				m[rune(c)] = g
			}
		}
	}
	return m, nil
}
