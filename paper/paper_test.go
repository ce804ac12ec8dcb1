package paper

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/seed"
)

// verifyAll checks that each decoded payload is exactly the one issued for
// the resident in that position, and that it verifies offline.
func verifyAll(t *testing.T, key *code.SigningKey, got []string, want []string) {
	t.Helper()
	v := &code.Verifier{Trust: code.TrustListOf([]*code.SigningKey{key}), Now: func() time.Time { return t0.Add(time.Hour) }}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("card %d: decoded %.40q…, want %.40q…", i, got[i], want[i])
			continue
		}
		if res := v.Verify(got[i]); !res.Valid {
			t.Errorf("card %d: does not verify: %s (%v)", i, res.Reason, res.Err)
		}
	}
}

func TestCardsDecodeAndVerify(t *testing.T) {
	key := testKey(t)
	iss := &capturing{Issuer: CodeIssuer{&code.Issuer{Key: key, Now: func() time.Time { return t0 }}}}
	rs := testResidents(13)
	SortResidents(rs)
	out := filepath.Join(t.TempDir(), "cards.pdf")
	rec := &memRecorder{}
	res, err := Batch(context.Background(), Residents(rs), iss, rec, testOptions(t, out), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Codes != 13 || res.Pages != 2 || len(res.Files) != 1 || res.Files[0] != out {
		t.Fatalf("result = %+v", res)
	}
	const dpi = 200
	levelsSeen := 0
	for page := 1; page <= 2; page++ {
		img := render(t, out, page, dpi)
		var got, want []string
		for slot := 0; slot < CardsPerPage; slot++ {
			i := (page-1)*CardsPerPage + slot
			if i >= len(rs) {
				break
			}
			x, y := CardOrigin(slot)
			qx, qy, side := CardQRBox(x, y)
			if side < 30 || qx+side > x+CardW || qy+side > y+CardH {
				t.Fatalf("QR box %.1f mm at (%.1f, %.1f) does not fit the card or is under 30 mm", side, qx, qy)
			}
			text, level := decodeQR(t, img, dpi, qx, qy, side)
			// "" is a reading by zbar, which does not say the level.
			if level != "" && level != "Q" {
				t.Errorf("card %d: error correction %q, want Q", i, level)
			}
			if level == "Q" {
				levelsSeen++
			}
			got = append(got, text)
			want = append(want, iss.payloads[rs[i].ID])
		}
		verifyAll(t, key, got, want)
	}
	if levelsSeen == 0 {
		t.Error("no card was read with its error-correction level")
	}
	if len(rec.codes) != 13 {
		t.Fatalf("recorded %d codes, want 13", len(rec.codes))
	}
	for i, c := range rec.codes {
		if c.ResidentID != rs[i].ID || c.KeyID != key.KID() || c.IssuedBy != "staff1" || !c.IssuedAt.Equal(t0) || len(c.Serial) != code.SerialSize {
			t.Errorf("record %d = %+v", i, c)
		}
	}
}

func TestLargeDecodeAndVerify(t *testing.T) {
	key := testKey(t)
	for _, page := range []PageSize{A4, A5} {
		t.Run(string(page), func(t *testing.T) {
			iss := &capturing{Issuer: fixedIssuer{key}}
			rs := testResidents(5)[3:5] // a mainland ID and a passport holder
			out := filepath.Join(t.TempDir(), "large.pdf")
			opt := testOptions(t, out)
			opt.Layout, opt.Page = Large, page
			res, err := Batch(context.Background(), Residents(rs), iss, &memRecorder{}, opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Pages != 2 {
				t.Fatalf("pages = %d, want 2", res.Pages)
			}
			const dpi = 100
			qx, qy, side := LargeQRBox(page)
			if side < 30 {
				t.Fatalf("QR side %.1f mm, want at least 30", side)
			}
			var got, want []string
			for i, r := range rs {
				text, _ := decodeQR(t, render(t, out, i+1, dpi), dpi, qx, qy, side)
				got, want = append(got, text), append(want, iss.payloads[r.ID])
			}
			verifyAll(t, key, got, want)
		})
	}
}

func TestGlyphCoverage(t *testing.T) {
	f := testFont(t)
	if err := f.Check(PrintedTexts()...); err != nil {
		t.Fatal(err)
	}
	// Every name a test resident has, masked as printed, and the words
	// that can come from the store.
	var texts []string
	for _, n := range append(append([]string{}, testNames...), latinNames...) {
		texts = append(texts, n, lifeline.MaskName(n))
	}
	for _, c := range []lifeline.Color{lifeline.Green, lifeline.Yellow, lifeline.Red, ""} {
		texts = append(texts, c.Label(lifeline.Zh), c.Label(lifeline.En))
	}
	texts = append(texts, "阳光社区", "幸福里社区", "1号楼", "12-3-501")
	if err := f.Check(texts...); err != nil {
		t.Fatal(err)
	}
	// Every name and community the seed data generates, as printed.
	runes := map[rune]bool{}
	err := seed.Generate(seed.Config{Residents: 20000, Seed: 3}, func(h *seed.Household) error {
		for _, r := range []rune(h.Address.Community) {
			runes[r] = true
		}
		for _, m := range h.Members {
			for _, r := range m.Name + lifeline.MaskName(m.Name) + m.Doc.Tail(4) {
				runes[r] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []rune
	for r := range runes {
		all = append(all, r)
	}
	if len(all) < 100 {
		t.Fatalf("only %d distinct characters in the seed data", len(all))
	}
	if err := f.Check(string(all)); err != nil {
		t.Fatal(err)
	}
	// A card laid out for every document type uses only covered runes.
	key := testKey(t)
	for _, d := range lifeline.DocTypes {
		r := testResidents(1)[0]
		r.Doc.Type = d
		if d == lifeline.DocNone {
			r.Doc.Number = ""
		}
		cd, err := fixedIssuer{key}.Issue(r)
		if err != nil {
			t.Fatal(err)
		}
		c, subs := newCard(r, cd, qrPath{}, f, time.UTC)
		if subs != 0 {
			t.Errorf("%s: %d characters substituted", d, subs)
		}
		if d == lifeline.DocNone && c.tailLine() != "无证件" {
			t.Errorf("no document: tail line %q", c.tailLine())
		}
		// A child with no document has no ID card to keep the card with.
		if noDoc := d == lifeline.DocNone; (c.keep == instructionsNoDoc) != noDoc || strings.Contains(c.keep.Zh, "身份证") == noDoc {
			t.Errorf("%s: the card says %q", d, c.keep.Zh)
		}
		for _, s := range []string{c.name, c.docLabel, c.tailLine(), c.issued, c.expires, c.community, c.serial, c.label(lblTail), c.label(lblIssued), c.label(lblExpires), c.label(lblSerial)} {
			if m := f.Missing(s); len(m) > 0 {
				t.Errorf("%s: %q lacks %q", d, s, string(m))
			}
		}
	}
}

// TestFontWithoutLatinRefused: Droid Sans Fallback has ideographs but no
// digits or Latin letters; printing with it would give empty boxes for
// dates and document tails, so it must be refused before printing.
func TestFontWithoutLatinRefused(t *testing.T) {
	const droid = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	f, err := LoadFontFile(droid)
	if err != nil {
		t.Skip("fonts-droid-fallback not installed:", err)
	}
	if f.Has('张') == false {
		t.Fatal("droid lacks 张: the cmap reader is wrong")
	}
	err = f.Check(PrintedTexts()...)
	if err == nil || lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE || !strings.Contains(err.Error(), "U+0030") {
		t.Fatalf("check = %v, want a refusal naming the digit 0", err)
	}
	t.Setenv(FontEnv, droid)
	f, err = LoadFont()
	if err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t, filepath.Join(t.TempDir(), "x.pdf"))
	opt.Font = f
	if _, err := Batch(context.Background(), Residents(testResidents(1)), fixedIssuer{testKey(t)}, &memRecorder{}, opt, nil); err == nil {
		t.Fatal("batch printed with a font that lacks digits")
	}
}

func TestFontCollectionAndMissingFile(t *testing.T) {
	if _, err := LoadFontFile(filepath.Join(t.TempDir(), "none.ttf")); lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("missing font: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.otf")
	os.WriteFile(bad, []byte("OTTO\x00\x01\x00\x00\x00\x00\x00\x00"), 0o644)
	if _, err := LoadFontFile(bad); err == nil || !strings.Contains(err.Error(), "CFF") {
		t.Fatalf("CFF font: %v", err)
	}
}

func TestSubstituteMissingGlyphs(t *testing.T) {
	f := testFont(t)
	key := testKey(t)
	r := testResidents(1)[0]
	r.Name = "张\U00020BB7丰" // 𠮷 lies outside the BMP, which gofpdf cannot print
	cd, err := fixedIssuer{key}.Issue(r)
	if err != nil {
		t.Fatal(err)
	}
	c, subs := newCard(r, cd, qrPath{}, f, time.UTC)
	if c.name != "张*丰" || subs != 0 {
		t.Fatalf("masked name %q subs %d", c.name, subs)
	}
	r.Name = "\U00020BB7丰"
	cd, _ = fixedIssuer{key}.Issue(r)
	c, subs = newCard(r, cd, qrPath{}, f, time.UTC)
	if c.name != "**" || subs != 1 {
		t.Fatalf("masked name %q subs %d, want ** and 1", c.name, subs)
	}
}

func TestSortOrder(t *testing.T) {
	addr := func(b, u, r string) *lifeline.Resident {
		return &lifeline.Resident{Name: "x", Address: lifeline.Address{Community: "c", Building: b, Unit: u, Room: r}}
	}
	want := []*lifeline.Resident{addr("2", "1", "101"), addr("2", "1", "502"), addr("2", "1", "1201"), addr("2", "2", "101"), addr("3A", "1", "101"), addr("3B", "1", "101"), addr("12", "1", "101"), addr("12", "10", "101")}
	for trial := 0; trial < 5; trial++ {
		got := append([]*lifeline.Resident{}, want...)
		for i := range got { // deterministic shuffle
			j := (i*7 + trial*3) % len(got)
			got[i], got[j] = got[j], got[i]
		}
		SortResidents(got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("trial %d: position %d is %s, want %s", trial, i, got[i].Address.Short(), want[i].Address.Short())
			}
		}
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{{"2", "12", -1}, {"12", "2", 1}, {"007", "7", 1}, {"7", "7", 0}, {"A2", "A10", -1}, {"", "1", -1}, {"1号楼", "10号楼", -1}} {
		if got := compareNatural(tc.a, tc.b); got != tc.want {
			t.Errorf("compareNatural(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCardsFollowSourceOrder(t *testing.T) {
	// Whatever order the source gives is the order on paper: the store
	// sorts, and so does Residents' caller. The records come out in the
	// same order, so slot i holds the i-th resident.
	rs := testResidents(30)
	SortResidents(rs)
	rec := &memRecorder{}
	opt := testOptions(t, filepath.Join(t.TempDir(), "o.pdf"))
	opt.Workers = 4
	if _, err := Batch(context.Background(), Residents(rs), fixedIssuer{testKey(t)}, rec, opt, nil); err != nil {
		t.Fatal(err)
	}
	for i, c := range rec.codes {
		if c.ResidentID != rs[i].ID {
			t.Fatalf("record %d is resident %d, want %d", i, c.ResidentID, rs[i].ID)
		}
	}
}

var pageRE = regexp.MustCompile(`/Type /Page\b[^s]`)

func pdfPages(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[len(b)-32:], []byte("%%EOF")) {
		t.Fatalf("%s is not a complete PDF", path)
	}
	return len(pageRE.FindAll(b, -1))
}

func dirNames(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestSplitFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "b.pdf")
	rec := &memRecorder{}
	opt := testOptions(t, out)
	opt.PagesPerFile = 2
	var last Progress
	opt.Total = 45
	res, err := Batch(context.Background(), Residents(testResidents(45)), fixedIssuer{testKey(t)}, rec, opt, func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"b-001.pdf", "b-002.pdf", "b-003.pdf"}
	if got := dirNames(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files = %v, want %v", got, want)
	}
	for i, n := range []int{2, 2, 1} {
		if got := pdfPages(t, filepath.Join(dir, want[i])); got != n {
			t.Errorf("%s has %d pages, want %d", want[i], got, n)
		}
	}
	if res.Codes != 45 || res.Pages != 5 || len(rec.codes) != 45 {
		t.Fatalf("result %+v, recorded %d", res, len(rec.codes))
	}
	if last.Done != 45 || last.Written != 45 || len(last.Files) != 3 || last.Total != 45 {
		t.Fatalf("last progress %+v", last)
	}

	// Exactly one file's worth gets the plain name.
	dir = t.TempDir()
	opt.Out = filepath.Join(dir, "one.pdf")
	if _, err := Batch(context.Background(), Residents(testResidents(40)), fixedIssuer{testKey(t)}, &memRecorder{}, opt, nil); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); len(got) != 2 || got[0] != "one-001.pdf" {
		t.Fatalf("40 cards at 2 pages per file: %v", got)
	}
	dir = t.TempDir()
	opt.Out = filepath.Join(dir, "one.pdf")
	if _, err := Batch(context.Background(), Residents(testResidents(20)), fixedIssuer{testKey(t)}, &memRecorder{}, opt, nil); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); len(got) != 1 || got[0] != "one.pdf" || pdfPages(t, opt.Out) != 2 {
		t.Fatalf("20 cards at 2 pages per file: %v", got)
	}
}

// checkNoPhantoms checks that the directory holds only complete files
// (no temporaries) and that the recorded serials are exactly those of the
// codes in them.
func checkNoPhantoms(t *testing.T, dir string, wantFiles []string, rec *memRecorder, iss *capturing, perFile int) {
	t.Helper()
	got := dirNames(t, dir)
	if strings.Join(got, " ") != strings.Join(wantFiles, " ") {
		t.Fatalf("files = %v, want %v", got, wantFiles)
	}
	if n := len(rec.codes); n != len(wantFiles)*perFile {
		t.Fatalf("recorded %d codes, want %d (only those in finished files)", n, len(wantFiles)*perFile)
	}
	for _, c := range rec.codes {
		if iss.payloads[c.ResidentID] == "" {
			t.Fatalf("recorded a code for resident %d that was never issued", c.ResidentID)
		}
	}
}

func TestCancelMidBatch(t *testing.T) {
	dir := t.TempDir()
	rec := &memRecorder{}
	iss := &capturing{Issuer: fixedIssuer{testKey(t)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := testOptions(t, filepath.Join(dir, "c.pdf"))
	opt.PagesPerFile = 1
	_, err := Batch(ctx, Residents(testResidents(100)), iss, rec, opt, func(p Progress) {
		if p.Done == 25 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	checkNoPhantoms(t, dir, []string{"c-001.pdf", "c-002.pdf"}, rec, iss, CardsPerPage)
}

// failAfter fails every write once n bytes have been written.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestFailingWriter(t *testing.T) {
	dir := t.TempDir()
	rec := &memRecorder{}
	iss := &capturing{Issuer: fixedIssuer{testKey(t)}}
	opt := testOptions(t, filepath.Join(dir, "f.pdf"))
	opt.PagesPerFile = 1
	files := 0
	opt.wrapOut = func(w io.Writer) io.Writer {
		files++
		if files == 2 {
			return &failAfter{w: w, n: 5000}
		}
		return w
	}
	_, err := Batch(context.Background(), Residents(testResidents(35)), iss, rec, opt, nil)
	if err == nil || lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("err = %v, want the write failure", err)
	}
	checkNoPhantoms(t, dir, []string{"f-001.pdf"}, rec, iss, CardsPerPage)
}

// failingRecorder refuses to record: the file must not appear.
type failingRecorder struct{ memRecorder }

func (f *failingRecorder) RecordIssued(ctx context.Context, codes []lifeline.IssuedCode) error {
	return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("数据库不可用", "database down"))
}

func TestRecordFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Batch(context.Background(), Residents(testResidents(3)), fixedIssuer{testKey(t)}, &failingRecorder{}, testOptions(t, filepath.Join(dir, "r.pdf")), nil)
	if lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("err = %v", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Fatalf("files left: %v", got)
	}
}

func TestIssueFailureStopsBatch(t *testing.T) {
	dir := t.TempDir()
	rec := &memRecorder{}
	// A code.Issuer whose key is not valid at its clock fails every issue.
	k := testKey(t)
	iss := CodeIssuer{&code.Issuer{Key: k, Now: func() time.Time { return t0.Add(-48 * time.Hour) }}}
	_, err := Batch(context.Background(), Residents(testResidents(30)), iss, rec, testOptions(t, filepath.Join(dir, "i.pdf")), nil)
	if err == nil || len(rec.codes) != 0 || len(dirNames(t, dir)) != 0 {
		t.Fatalf("err %v, recorded %d, files %v", err, len(rec.codes), dirNames(t, dir))
	}
}

func TestMissingOutputFolder(t *testing.T) {
	rec := &memRecorder{}
	iss := &capturing{Issuer: fixedIssuer{testKey(t)}}
	_, err := Batch(context.Background(), Residents(testResidents(3)), iss, rec, testOptions(t, filepath.Join(t.TempDir(), "no", "x.pdf")), nil)
	if lifeline.ErrorCode(err) != lifeline.EINVALID || len(iss.payloads) != 0 {
		t.Fatalf("err = %v, %d codes issued", err, len(iss.payloads))
	}
}

func TestEmptySelection(t *testing.T) {
	_, err := Batch(context.Background(), Residents(nil), fixedIssuer{testKey(t)}, &memRecorder{}, testOptions(t, filepath.Join(t.TempDir(), "e.pdf")), nil)
	if lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
}

func TestReproducible(t *testing.T) {
	key := testKey(t)
	var outs [][]byte
	for i := 0; i < 2; i++ {
		out := filepath.Join(t.TempDir(), "r.pdf")
		opt := testOptions(t, out)
		opt.Workers = 1 + i*3 // a different number of workers changes nothing
		if _, err := Batch(context.Background(), Residents(testResidents(12)), fixedIssuer{key}, &memRecorder{}, opt, nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("the same batch gave different PDFs")
	}
}

// A new card revokes the earlier ones by default; KeepPrevious keeps them
// (a spare card).
func TestRevokePrevious(t *testing.T) {
	key := testKey(t)
	rec := &memRecorder{}
	rs := testResidents(3)
	iss := CodeIssuer{&code.Issuer{Key: key, Now: func() time.Time { return t0 }}}
	keep := testOptions(t, filepath.Join(t.TempDir(), "p.pdf"))
	keep.KeepPrevious = true
	for i := 0; i < 2; i++ {
		if _, err := Batch(context.Background(), Residents(rs), iss, rec, keep, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range rec.codes {
		if c.Revoked() {
			t.Fatal("a reprint with KeepPrevious revoked a code")
		}
	}
	res, err := Batch(context.Background(), Residents(rs[:2]), iss, rec, testOptions(t, filepath.Join(t.TempDir(), "p.pdf")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Revoked != 4 {
		t.Fatalf("revoked %d, want 4 (two earlier codes each for two residents)", res.Revoked)
	}
	for i, c := range rec.codes {
		wantRevoked := i < 6 && c.ResidentID != rs[2].ID
		if c.Revoked() != wantRevoked {
			t.Errorf("code %d of resident %d: revoked %v, want %v", i, c.ResidentID, c.Revoked(), wantRevoked)
		}
		if wantRevoked && c.RevokeReason != lifeline.ReissueReason {
			t.Errorf("code %d revoked for %q", i, c.RevokeReason)
		}
	}
}

func TestParseFlags(t *testing.T) {
	if l, err := ParseLayout("LARGE"); err != nil || l != Large {
		t.Fatal(l, err)
	}
	if _, err := ParseLayout("poster"); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatal(err)
	}
	if p, err := ParsePageSize("A5"); err != nil || p != A5 {
		t.Fatal(p, err)
	}
	if _, _, err := ParseLayoutPage("cards", "a5"); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatal("cards on A5:", err)
	}
	if l, p, err := ParseLayoutPage("large", "a5"); err != nil || l != Large || p != A5 {
		t.Fatal(l, p, err)
	}
	var sel Selection
	if err := sel.SetHousehold(" 12-3-501 "); err != nil || sel.Address.Building != "12" || sel.Address.Room != "501" || sel.HouseholdID != 0 {
		t.Fatal(sel, err)
	}
	if err := sel.SetHousehold("42"); err != nil || sel.HouseholdID != 42 {
		t.Fatal(sel, err)
	}
	if err := sel.SetHousehold("楼上"); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatal(err)
	}
	if PartName("/x/out.pdf", 7) != "/x/out-007.pdf" {
		t.Fatal(PartName("/x/out.pdf", 7))
	}
}
