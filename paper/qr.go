package paper

import (
	"fmt"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// Level is the QR error-correction level of every printed code. go-qrcode
// names its levels Low, Medium, High and Highest for L, M, Q and H: High
// is Q, which survives a quarter of the symbol being smudged or torn.
const Level = qrcode.High

// qrPath is a QR symbol as a PDF path: one "x y w 1 re" rectangle per run
// of dark modules in a row, in module units with y growing downwards. It is
// built on a worker and copied into the page by the single PDF writer, so
// the writer's share of the work stays small.
type qrPath struct {
	modules int    // width and height in modules, quiet zone included
	version int    // QR version, 1-40
	ops     []byte // PDF path operators
}

// encodeQR encodes a payload at level Q into a vector path.
func encodeQR(payload string) (qrPath, error) {
	q, err := qrcode.New(payload, Level)
	if err != nil {
		return qrPath{}, fmt.Errorf("qr: %w", err)
	}
	bm := q.Bitmap() // includes the 4-module quiet zone
	ops := make([]byte, 0, 16*len(bm)*len(bm)/4)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			ops = strconv.AppendInt(ops, int64(start), 10)
			ops = append(ops, ' ')
			ops = strconv.AppendInt(ops, int64(y), 10)
			ops = append(ops, ' ')
			ops = strconv.AppendInt(ops, int64(x-start), 10)
			ops = append(ops, " 1 re\n"...)
		}
	}
	return qrPath{modules: len(bm), version: q.VersionNumber, ops: ops}, nil
}
