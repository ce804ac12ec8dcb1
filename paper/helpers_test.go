package paper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/internal/qrread"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func testFont(t testing.TB) *Font {
	t.Helper()
	f, err := LoadFont()
	if err != nil {
		t.Fatalf("load font (scripts/setup.sh installs fonts-wqy-microhei): %v", err)
	}
	return f
}

func testKey(t testing.TB) *code.SigningKey {
	t.Helper()
	k, err := code.GenerateKey(t.TempDir(), t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mainlandID builds a valid 18-character ID number from a 17-digit stem.
func mainlandID(stem string) string {
	c, ok := lifeline.MainlandIDCheckDigit(stem)
	if !ok {
		panic("bad stem " + stem)
	}
	return stem + string(c)
}

// testNames are the names residents get in tests: common and rarer name
// characters and Latin names of passport holders.
var testNames = []string{"张三丰", "李娜", "王小明", "欧阳娜娜", "赵喆", "钱淼", "孙堃", "周昇", "吴玥", "郑赟", "冯祎", "陈镕基", "褚一", "卫芃芃"}

var latinNames = []string{"John Smith", "Marie-Claire Dubois", "Ahmed Ali Hassan"}

// testResidents makes n residents spread over buildings, units and rooms,
// every fifth a passport holder, in no particular order.
func testResidents(n int) []*lifeline.Resident {
	rs := make([]*lifeline.Resident, n)
	for i := range rs {
		r := &lifeline.Resident{
			ID:   int64(i + 1),
			Name: testNames[i%len(testNames)],
			Doc:  lifeline.Document{Type: lifeline.DocMainlandID, Number: mainlandID(fmt.Sprintf("11010519%02d0101%03d", 40+i%50, i%1000))},
			Address: lifeline.Address{
				Community: "阳光社区",
				Building:  fmt.Sprint(1 + (i*7)%12),
				Unit:      fmt.Sprint(1 + i%3),
				Room:      fmt.Sprint(101 + 100*(i%6) + i%4),
			},
			Status: lifeline.Status{Color: lifeline.Green},
		}
		if i%5 == 4 {
			r.Name = latinNames[i%len(latinNames)]
			r.Doc = lifeline.Document{Type: lifeline.DocPassport, Number: fmt.Sprintf("E%08d", 1000+i), Nationality: "FRA"}
		}
		rs[i] = r
	}
	return rs
}

// fixedIssuer signs real codes (code.Sign) with serials derived from the
// resident id, so the same input always gives the same payloads.
type fixedIssuer struct{ key *code.SigningKey }

func (fi fixedIssuer) Issue(r *lifeline.Resident) (Code, error) {
	sum := sha256.Sum256([]byte(fmt.Sprint("serial", r.ID)))
	c := code.Claims{Issuer: r.Address.Community, IssuedAt: t0, ExpiresAt: t0.Add(code.DefaultValidity), Serial: sum[:16], Holder: code.HolderOf(r)}
	p, err := code.Sign(fi.key, &c)
	return Code{Payload: p, Claims: c, KeyID: fi.key.KID()}, err
}

// capturing remembers the payload issued for each resident.
type capturing struct {
	Issuer
	mu       sync.Mutex
	payloads map[int64]string
}

func (c *capturing) Issue(r *lifeline.Resident) (Code, error) {
	cd, err := c.Issuer.Issue(r)
	c.mu.Lock()
	if c.payloads == nil {
		c.payloads = map[int64]string{}
	}
	c.payloads[r.ID] = cd.Payload
	c.mu.Unlock()
	return cd, err
}

// memRecorder is a lifeline.CodeService-shaped recorder in memory.
type memRecorder struct {
	mu    sync.Mutex
	codes []lifeline.IssuedCode
}

func (m *memRecorder) RecordIssued(ctx context.Context, codes []lifeline.IssuedCode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.codes = append(m.codes, codes...)
	return nil
}

func (m *memRecorder) IssuedCodes(ctx context.Context, id int64) ([]lifeline.IssuedCode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []lifeline.IssuedCode
	for _, c := range m.codes {
		if c.ResidentID == id {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memRecorder) RevokeSerial(ctx context.Context, serial []byte, reason, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.codes {
		if bytes.Equal(m.codes[i].Serial, serial) {
			m.codes[i].RevokedAt, m.codes[i].RevokeReason = t0, reason
			return nil
		}
	}
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("无此码", "no such code"))
}

func (m *memRecorder) serials() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, c := range m.codes {
		out = append(out, lifeline.FormatSerial(c.Serial))
	}
	sort.Strings(out)
	return out
}

func testOptions(t testing.TB, out string) Options {
	return Options{Out: out, Font: testFont(t), Location: time.UTC, Epoch: t0, IssuedBy: "staff1", Now: time.Now}
}

// render rasterises one page of a PDF with pdftoppm at dpi dots per inch.
func render(t testing.TB, pdf string, page, dpi int) image.Image {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed: scripts/setup.sh installs poppler-utils")
	}
	prefix := filepath.Join(t.TempDir(), "page")
	cmd := exec.Command("pdftoppm", "-png", "-r", fmt.Sprint(dpi), "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-singlefile", pdf, prefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// decodeQR crops the square (x, y, side in mm, with 2 mm to spare) out of a
// page image and decodes the QR code in it with ZXing, returning its text
// and error-correction level.
func decodeQR(t testing.TB, img image.Image, dpi int, x, y, side float64) (string, string) {
	t.Helper()
	px := func(mm float64) int { return int(mm / 25.4 * float64(dpi)) }
	// The QR box holds its quiet zone; with a few margins of page around
	// it (as a scanner sees more or less of the card), the first reading
	// counts (see internal/qrread).
	var errs []string
	for _, margin := range []float64{5, 2, 9} {
		r := image.Rect(px(x-margin), px(y-margin), px(x+side+margin), px(y+side+margin)).Intersect(img.Bounds())
		sub := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)
		text, level, err := qrread.Decode(sub)
		if err == nil {
			return text, level
		}
		errs = append(errs, fmt.Sprintf("margin %g mm: %v", margin, err))
	}
	t.Fatalf("decode QR at (%.1f, %.1f):\n%s", x, y, strings.Join(errs, "\n"))
	return "", ""
}
