package paper

import (
	"context"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

// pdfText is the text of a PDF, as pdftotext reads it.
func pdfText(t *testing.T, file string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed: scripts/setup.sh installs poppler-utils")
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", file, err)
	}
	return string(out)
}

// TestStartAtOffsetAndList: a batch on a partly used sheet starts at the
// given card position, everything moved by the printer's offset; the
// distribution list names every card in print order with its room, masked
// name, serial and where it is on the sheets; each card carries its room.
func TestStartAtOffsetAndList(t *testing.T) {
	key := testKey(t)
	iss := &capturing{Issuer: CodeIssuer{&code.Issuer{Key: key, Now: func() time.Time { return t0 }}}}
	rs := testResidents(13)
	SortResidents(rs)
	dir := t.TempDir()
	opt := testOptions(t, filepath.Join(dir, "building.pdf"))
	opt.StartAt, opt.Offset, opt.List = 4, Offset{X: 2, Y: -1.5}, ListName(opt.Out)
	rec := &memRecorder{}
	res, err := Batch(context.Background(), Residents(rs), iss, rec, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 7 cards fill positions 4-10 of the first sheet, 6 go on the second.
	if res.Codes != 13 || res.Pages != 2 || res.List != filepath.Join(dir, "building-list.pdf") {
		t.Fatalf("result = %+v", res)
	}
	// Both hold personal data: the codes, and the list's names and rooms.
	for _, p := range []string{opt.Out, res.List} {
		if st, err := os.Stat(p); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", p, st.Mode().Perm())
		}
	}
	const dpi = 200
	for _, c := range []struct{ page, slot, card int }{{1, 3, 0}, {1, 9, 6}, {2, 0, 7}} {
		x, y := CardOrigin(c.slot)
		qx, qy, side := CardQRBox(x+opt.Offset.X, y+opt.Offset.Y)
		text, _ := decodeQR(t, render(t, opt.Out, c.page, dpi), dpi, qx, qy, side)
		verifyAll(t, key, []string{text}, []string{iss.payloads[rs[c.card].ID]})
	}
	cards := pdfText(t, opt.Out)
	list := pdfText(t, res.List)
	if !strings.Contains(list, "共 13 张") {
		t.Errorf("list summary missing:\n%s", list)
	}
	lines := strings.Split(list, "\n")
	at := 0
	for i, r := range rs {
		serial := lifeline.ShortSerial(rec.codes[i].Serial)
		if !strings.Contains(cards, r.Address.Short()) {
			t.Errorf("no card carries the room %s", r.Address.Short())
		}
		found := false
		for ; at < len(lines); at++ {
			if strings.Contains(lines[at], serial) {
				found = true
				break
			}
		}
		where := "1 · 4"
		if i > 0 {
			where = map[bool]string{true: "1 · ", false: "2 · "}[i < 7]
		}
		line := strings.ReplaceAll(lines[at], " ", "")
		if !found || !strings.Contains(line, r.Address.Room) || !strings.Contains(lines[at], lifeline.MaskName(r.Name)[:3]) || !strings.Contains(line, strings.ReplaceAll(where, " ", "")) {
			t.Fatalf("card %d (%s, %s) is not listed in order with its room, name and sheet %q:\n%s", i, serial, r.Address.Short(), where, list)
		}
	}
}

// TestCalibrate: one page of card outlines, numbered, with rulers, moved
// by the offset.
func TestCalibrate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "calibrate.pdf")
	if err := Calibrate(context.Background(), out, testFont(t), Offset{X: 3, Y: 2}, lifeline.En); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, out)
	for _, want := range []string{"Printer calibration page", "x +3.0 mm, y +2.0 mm", "10", "--offset-x"} {
		if !strings.Contains(text, want) {
			t.Errorf("calibration page lacks %q:\n%s", want, text)
		}
	}
	// The first card's left outline is 3 mm right of where it would be.
	const dpi = 150
	img := render(t, out, 1, dpi)
	px := func(mm float64) int { return int(mm/25.4*dpi + 0.5) }
	x, y := CardOrigin(0)
	dark := func(mmX float64) bool {
		for dx := -1; dx <= 1; dx++ {
			if g := color.GrayModel.Convert(img.At(px(mmX)+dx, px(y+2+CardH/3))).(color.Gray); g.Y < 128 {
				return true
			}
		}
		return false
	}
	if !dark(x+3) || dark(x) {
		t.Errorf("card outline not moved by the offset: at %.1f mm %v, at %.1f mm %v", x+3, dark(x+3), x, dark(x))
	}
	if err := Calibrate(context.Background(), out, testFont(t), Offset{X: 30}, lifeline.En); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Errorf("an offset of 30 mm: %v", err)
	}
}
