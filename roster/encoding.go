package roster

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Encoding names what a CSV file was written in.
type Encoding string

// Encodings recognised in CSV files.
const (
	UTF8    Encoding = "UTF-8"
	UTF8BOM Encoding = "UTF-8 BOM"
	UTF16   Encoding = "UTF-16"
	GB18030 Encoding = "GB18030"
	XLSX    Encoding = "XLSX" // not a text encoding: the table is a workbook sheet
)

// Decode returns the text of a CSV file as UTF-8 and the encoding it was
// in: a UTF-8 BOM means UTF-8; a UTF-16 BOM (Excel's "Unicode text") means
// UTF-16; bytes that are valid UTF-8 are UTF-8; anything else is GB18030,
// what Excel on a Chinese Windows writes (a superset of GBK and GB2312),
// unless read so it is not Chinese as people write it (see gbUnlikely):
// then it is an error that shows a line both ways and asks for the
// encoding (Options.Encoding, import --encoding).
func Decode(b []byte) ([]byte, Encoding, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], UTF8BOM, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		return out, UTF16, err
	case utf8.Valid(b):
		return b, UTF8, nil
	}
	if at, unlikely := gbUnlikely(b); unlikely {
		return nil, GB18030, ambiguous(b, at)
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	return out, GB18030, err
}

// decode is Decode for a file named source, in the encoding named by
// label when one is given.
func decode(source string, b []byte, label string) ([]byte, Encoding, error) {
	if label == "" {
		out, enc, err := Decode(b)
		if err != nil {
			msg := lifeline.T("无法识别文件编码，请另存为 UTF-8 CSV", "cannot tell the file's encoding; save it as UTF-8 CSV")
			var e *lifeline.Error
			if errors.As(err, &e) {
				msg = e.Message
			}
			return nil, enc, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(source+"："+msg.Zh, source+": "+msg.En))
		}
		return out, enc, nil
	}
	e, name, err := Lookup(label)
	if err != nil {
		return nil, "", err
	}
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	out, err := e.NewDecoder().Bytes(b)
	if err == nil && e == encoding.Nop && !utf8.Valid(b) {
		err = fmt.Errorf("not UTF-8")
	}
	if err != nil {
		return nil, "", lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(source+"：不是 "+name+" 编码的文本", source+": is not text in "+name))
	}
	return out, Encoding(name), nil
}

// Lookup finds an encoding by a WHATWG label (utf-8, gb18030, gbk, big5,
// windows-1252, latin1, shift_jis, …) and returns it with its name.
func Lookup(label string) (encoding.Encoding, string, error) {
	e, err := htmlindex.Get(strings.TrimSpace(label))
	if err != nil {
		return nil, "", lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			"不认识的编码“"+label+"”：可用 utf-8、gb18030、big5、windows-1252（西欧，即 latin1）等",
			"unknown encoding \""+label+"\": use utf-8, gb18030, big5, windows-1252 (Western European, also latin1) and so on"))
	}
	name, _ := htmlindex.Name(e)
	if e == unicode.UTF8 {
		e = encoding.Nop // as read; checked for UTF-8 by decode
	}
	return e, strings.ToUpper(name), nil
}

// gbUnlikely reports whether bytes that are not UTF-8 read as GB18030
// into something people do not write: more than a fifth of the non-ASCII
// characters outside GB2312 (the 6,763 common characters and the
// full-width punctuation every Chinese roster is made of) or not GB18030
// at all. A Western file read as GB18030 does that: "Müller" in Latin-1
// is M, 0xFC 0x6C ("黮", a rare character), l, e, r. at is the offset of
// the first such character.
func gbUnlikely(b []byte) (at int, unlikely bool) {
	common, other := 0, 0
	at = -1
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		n, gb2312 := 2, false
		switch {
		case c == 0x80 || c == 0xFF || i+1 == len(b):
			n = 1 // no GB18030 character starts here
		case b[i+1] >= 0x30 && b[i+1] <= 0x39:
			n = 4 // a four-byte character: rare scripts, or a Western letter and a digit
		case b[i+1] < 0x40 || b[i+1] == 0x7F || b[i+1] == 0xFF:
			n = 1 // not a second byte
		default:
			gb2312 = c >= 0xA1 && c <= 0xF7 && b[i+1] >= 0xA1 && b[i+1] <= 0xFE
		}
		if gb2312 {
			common++
		} else {
			other++
			if at < 0 {
				at = i
			}
		}
		i += n
	}
	return at, other > 0 && other*5 > common+other
}

// ambiguous is Decode's error for a file gbUnlikely doubts: the line with
// the first doubtful character as GB18030 reads it and as Windows-1252
// (Latin-1) does, so a person sees which is right.
func ambiguous(b []byte, at int) error {
	// The cell it is in: what a person recognises ("Müller").
	stop := func(c byte) bool { return c == ',' || c == '\t' || c == '\n' || c == '\r' }
	start, end := at, at
	for start > 0 && !stop(b[start-1]) && at-start < 40 {
		start--
	}
	for end < len(b) && !stop(b[end]) && end-at < 40 {
		end++
	}
	line := b[start:end]
	asGB, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(line)
	asLatin, _ := charmap.Windows1252.NewDecoder().Bytes(line)
	n := bytes.Count(b[:at], []byte{'\n'}) + 1
	gb, latin := lifeline.Printable(string(asGB)), lifeline.Printable(string(asLatin))
	return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
		fmt.Sprintf("无法确定文件编码：第 %d 行按 GB18030（简体中文）读是“%s”，按 windows-1252（西欧）读是“%s”；请用 --encoding 指明，如 --encoding gb18030 或 --encoding windows-1252", n, gb, latin),
		fmt.Sprintf("cannot tell the file's encoding: line %d reads \"%s\" as GB18030 (Chinese) and \"%s\" as windows-1252 (Western European); say which with --encoding, such as --encoding gb18030 or --encoding windows-1252", n, gb, latin)))
}
