// Package paper prints offline codes on paper: ID-1 wallet cards ten to an
// A4 sheet, or one code per page in very large type. It is called paper,
// not print, so that importing it does not shadow Go's built-in print.
//
// Batch is the one entry point, for the command line (lifeline print) and
// the staff screen alike: it streams residents from the store, issues and
// QR-encodes their codes on every core, lays them out in order on a single
// PDF writer, writes each output file atomically and records in the store
// exactly the codes that were written.
package paper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jung-kurt/gofpdf"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/outfile"
)

// Code is one signed code ready to print.
type Code struct {
	Payload string // "LL1:…", what the QR holds
	Claims  code.Claims
	KeyID   string // hex of the signing key's kid
}

// Issuer signs a code for a resident. It is called from several goroutines
// at once.
type Issuer interface {
	Issue(r *lifeline.Resident) (Code, error)
}

// CodeIssuer issues codes with a code.Issuer, on behalf of each resident's
// own community.
type CodeIssuer struct{ *code.Issuer }

// Issue implements Issuer.
func (ci CodeIssuer) Issue(r *lifeline.Resident) (Code, error) {
	payload, c, err := ci.Issuer.Issue(code.HolderOf(r), r.Address.Community)
	if err != nil {
		return Code{}, err
	}
	return Code{Payload: payload, Claims: c, KeyID: ci.Key.KID()}, nil
}

// Recorder is the part of lifeline.CodeService a batch needs: recording
// what it printed and, unless KeepPrevious, revoking what it replaces.
type Recorder interface {
	RecordIssued(ctx context.Context, codes []lifeline.IssuedCode) error
	IssuedCodes(ctx context.Context, residentID int64) ([]lifeline.IssuedCode, error)
	RevokeSerial(ctx context.Context, serial []byte, reason, by string) error
}

// Source calls fn for each resident to print, in print order, and stops at
// the first error fn returns. store's EachResident with a filter, or
// Residents over a slice, are sources.
type Source func(ctx context.Context, fn func(*lifeline.Resident) error) error

// Residents is a Source over residents already in memory.
func Residents(rs []*lifeline.Resident) Source {
	return func(ctx context.Context, fn func(*lifeline.Resident) error) error {
		for _, r := range rs {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// Selected is a Source over the residents a store's filter selects, in
// the store's order (building, unit, room), streamed without loading them
// all: what printing a building or a community uses.
func Selected(store interface {
	EachResident(ctx context.Context, f lifeline.ResidentFilter, fn func(*lifeline.Resident) error) error
}, f lifeline.ResidentFilter) Source {
	return func(ctx context.Context, fn func(*lifeline.Resident) error) error {
		return store.EachResident(ctx, f, fn)
	}
}

// DefaultPagesPerFile bounds a batch's memory when no --pages-per-file is
// given: a PDF is built in memory before it is written, so a file holds at
// most this many pages (2,000 cards, about 20 MB).
const DefaultPagesPerFile = 200

// Options says how to print a batch.
type Options struct {
	// Out is the output file, FILE.pdf. A batch that fills more than one
	// file is written as FILE-001.pdf, FILE-002.pdf, …
	Out    string
	Layout Layout
	Page   PageSize // large layout only; cards are always A4
	// PagesPerFile splits the output; 0 means DefaultPagesPerFile.
	PagesPerFile int
	// IssuedBy is the staff member printing, recorded with every code.
	IssuedBy string
	// KeepPrevious keeps each resident's earlier codes valid (a spare
	// card). Without it, a new card revokes the earlier ones once it is
	// written and recorded (lifeline.RevokeEarlierCodes), so a lost or
	// superseded card stops counting.
	KeepPrevious bool
	// Total is how many residents the source will give, for the time
	// left; 0 if unknown.
	Total int
	// Workers issue and encode codes; 0 means GOMAXPROCS.
	Workers int
	Font    *Font
	// Location is the time zone dates are printed in; nil means China
	// time (lifeline.ChinaTime).
	Location *time.Location
	// Epoch, if not zero, makes output reproducible: it is every file's
	// creation date and the PDF catalogs are sorted, so an issuer that
	// gives the same codes for the same residents (fixed clock and
	// serials) gives byte-identical files. For tests.
	Epoch time.Time
	// Now is the clock for progress; nil means time.Now.
	Now func() time.Time
	// StartAt is the card position (1-10, row by row) the first card goes
	// in on the first sheet, for a sheet of cards partly used; 0 or 1
	// means the first. Cards layout only.
	StartAt int
	// Offset moves everything printed on every page, in millimetres
	// (right and down), for a printer that does not print where it is
	// told (see Calibrate).
	Offset Offset
	// List, if set, is a distribution list written beside the cards
	// (WriteList): one line per card in door-to-door order, so the cards
	// of a building reach the right doors.
	List string

	// wrapOut lets tests make writing a file fail.
	wrapOut func(io.Writer) io.Writer
}

// Progress is reported after every code written to a page.
type Progress struct {
	Done    int           // codes laid out so far
	Total   int           // Options.Total
	Written int           // codes in finished, recorded files
	Files   []string      // finished files
	Elapsed time.Duration // since the batch started
	Rate    float64       // codes per second
	Left    time.Duration // estimated time left, 0 if unknown
}

// Result is what a finished (or stopped) batch did.
type Result struct {
	Codes   int      // codes written and recorded
	Files   []string // files written, in order
	Pages   int
	Revoked int // earlier codes revoked (unless KeepPrevious)
	// List is the distribution list written (Options.List), if any.
	List string
	// Substituted counts characters of names or communities the font had
	// no glyph for, printed as '*'.
	Substituted int
}

// Batch prints codes for every resident src gives: issue, encode, lay out,
// write, record. It returns when the source is exhausted, on the first
// error, or when ctx is cancelled; in every case each file under a final
// name is complete and its codes are recorded, and no code is recorded
// that is not in such a file (see finish for the one exception, a crash
// in a window of microseconds). progress may be nil.
func Batch(ctx context.Context, src Source, iss Issuer, rec Recorder, opt Options, progress func(Progress)) (Result, error) {
	opt, err := opt.checked()
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results, srcErr := prepareCards(ctx, src, iss, opt)
	w := &writer{opt: opt, rec: rec, ctx: ctx, start: opt.Now(), progress: progress}
	err = w.addInOrder(results)
	if err == nil {
		// The channel closed: every job was done, or ctx was cancelled.
		if err = ctx.Err(); err == nil {
			err = srcErr()
		}
	}
	if err == nil {
		err = w.finish(true)
	}
	cancel()
	for range results { // let the workers and the source return
	}
	if opt.List != "" && len(w.listed) > 0 {
		// The list covers the cards in finished files, even of a batch
		// that stopped: those cards exist and are to be handed out.
		if lerr := writeListFile(opt, w.listed, w.res.Files); lerr != nil && err == nil {
			err = lerr
		} else if lerr == nil {
			w.res.List = opt.List
		}
	}
	if err == nil && w.res.Codes == 0 {
		err = lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有符合条件的居民，未打印任何码", "no residents matched; nothing was printed"))
	}
	return w.res, err
}

// checked returns the options with their defaults filled in, or why a
// batch cannot start with them: no font or one lacking the printed texts,
// no output file, or an output directory that is not one.
func (opt Options) checked() (Options, error) {
	if opt.Font == nil {
		return opt, errors.New("paper: no font")
	}
	if err := opt.Font.Check(PrintedTexts()...); err != nil {
		return opt, err
	}
	if opt.Out == "" {
		return opt, lifeline.Errorf(lifeline.EINVALID, lifeline.T("请用 --out 指定输出文件", "give the output file with --out"))
	}
	if err := outfile.Check(opt.Out); err != nil {
		return opt, err
	}
	if opt.Layout == "" {
		opt.Layout = Cards
	}
	if opt.Layout == Cards || opt.Page == "" {
		opt.Page = A4
	}
	if opt.PagesPerFile <= 0 {
		opt.PagesPerFile = DefaultPagesPerFile
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Location == nil {
		opt.Location = lifeline.ChinaTime
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.StartAt < 0 || opt.StartAt > CardsPerPage || (opt.StartAt > 1 && opt.Layout != Cards) {
		return opt, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("起始位置应为 1 到 %d（卡片版式）", CardsPerPage), fmt.Sprintf("the start position must be 1 to %d (cards layout)", CardsPerPage)))
	}
	if err := opt.Offset.check(); err != nil {
		return opt, err
	}
	return opt, nil
}

// preparedCard is one resident's card, issued, encoded and laid out by a
// worker, numbered in the order the source gave the resident.
type preparedCard struct {
	seq  int
	card card
	code Code
	subs int
	err  error
}

// prepareCards issues, encodes and lays out the card of every resident src
// gives, on opt.Workers goroutines, and sends them, out of order, on the
// channel it returns, which closes once the source and the workers are
// done or ctx is cancelled. srcErr is what the source returned; it is
// known once the channel is closed and ctx was not cancelled.
func prepareCards(ctx context.Context, src Source, iss Issuer, opt Options) (results chan preparedCard, srcErr func() error) {
	type job struct {
		seq int
		r   *lifeline.Resident
	}
	// The results buffer lets the workers run on while the writer is busy
	// writing a finished file, instead of idling; it bounds how many
	// prepared cards (about 10 KB each) wait in memory.
	jobs := make(chan job, 4*opt.Workers)
	results = make(chan preparedCard, 256)
	var errSource error
	go func() {
		defer close(jobs)
		seq := 0
		errSource = src(ctx, func(r *lifeline.Resident) error {
			cp := *r // the source may reuse r
			select {
			case jobs <- job{seq, &cp}:
				seq++
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var wg sync.WaitGroup
	for i := 0; i < opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				d := preparedCard{seq: j.seq}
				d.code, d.err = iss.Issue(j.r)
				var qr qrPath
				if d.err == nil {
					qr, d.err = encodeQR(d.code.Payload)
				}
				if d.err == nil {
					d.card, d.subs = newCard(j.r, d.code, qr, opt.Font, opt.Location)
				} else {
					d.err = fmt.Errorf("resident %d (%s): %w", j.r.ID, lifeline.MaskName(j.r.Name), d.err)
				}
				select {
				case results <- d:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	return results, func() error { return errSource }
}

// addInOrder puts the prepared cards on pages in the order the source gave
// their residents, until the channel closes or a card failed or could not
// be written.
func (w *writer) addInOrder(results <-chan preparedCard) error {
	pending := map[int]preparedCard{}
	next := 0
	for d := range results {
		pending[d.seq] = d
		for {
			d, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if d.err != nil {
				return d.err
			}
			w.res.Substituted += d.subs
			if err := w.add(&d.card, d.code); err != nil {
				return err
			}
		}
	}
	return nil
}

// writer lays cards out on pages and turns full files into PDFs on disk.
type writer struct {
	opt      Options
	rec      Recorder
	ctx      context.Context
	start    time.Time
	progress func(Progress)

	pdf    *gofpdf.Fpdf
	pages  int // pages in the current file
	slot   int // next card slot on the current page
	done   int // codes laid out, all files
	fileNo int // number of the current file, from 1
	codes  []lifeline.IssuedCode
	res    Result
	// rows are the distribution list's lines of the current file, listed
	// those of finished files (Options.List only).
	rows, listed []listRow
}

func (w *writer) add(c *card, cd Code) error {
	if w.pdf != nil && w.slot == 0 && w.pages == w.opt.PagesPerFile {
		if err := w.finish(false); err != nil {
			return err
		}
	}
	if w.pdf == nil {
		w.pdf = newPDF(w.opt.Font, w.opt.Page, w.opt.Epoch)
		w.fileNo++
		w.pages = 0
		w.codes = w.codes[:0]
		w.rows = w.rows[:0]
		if w.fileNo == 1 && w.opt.StartAt > 1 {
			w.slot = w.opt.StartAt - 1
			w.newPage()
		}
	}
	if w.slot == 0 {
		w.newPage()
	}
	if w.opt.List != "" {
		w.rows = append(w.rows, newListRow(c, w.opt.Font, w.fileNo, w.pages, w.slot+1))
	}
	if w.opt.Layout == Cards {
		x, y := CardOrigin(w.slot)
		drawCard(w.pdf, c, x, y)
		w.slot = (w.slot + 1) % CardsPerPage
	} else {
		drawLarge(w.pdf, c, w.opt.Page)
	}
	w.codes = append(w.codes, lifeline.IssuedCode{
		Serial:     cd.Claims.Serial,
		ResidentID: c.resident.ID,
		KeyID:      cd.KeyID,
		IssuedBy:   w.opt.IssuedBy,
		IssuedAt:   cd.Claims.IssuedAt,
		ExpiresAt:  cd.Claims.ExpiresAt,
	})
	w.done++
	w.report()
	return nil
}

// newPage starts a page, moved by the offset, with a card sheet's marks.
func (w *writer) newPage() {
	if w.pages > 0 {
		w.pdf.TransformEnd()
	}
	w.pdf.AddPage()
	w.pages++
	w.opt.Offset.begin(w.pdf)
	if w.opt.Layout == Cards {
		drawSheetMarks(w.pdf)
	}
}

func (w *writer) report() {
	if w.progress == nil {
		return
	}
	p := Progress{Done: w.done, Total: w.opt.Total, Written: w.res.Codes, Files: w.res.Files, Elapsed: w.opt.Now().Sub(w.start)}
	if p.Elapsed > 0 {
		p.Rate = float64(p.Done) / p.Elapsed.Seconds()
	}
	if p.Rate > 0 && p.Total > p.Done {
		p.Left = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	w.progress(p)
}

// PartName returns the name of part n (from 1) of a split output:
// FILE.pdf becomes FILE-001.pdf.
func PartName(out string, n int) string {
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%03d%s", strings.TrimSuffix(out, ext), n, ext)
}

// finish writes the current file and records its codes. The order is what
// keeps paper and store in step:
//
//  1. the PDF is written to a temporary file beside the final one and
//     synced (package outfile: a device or a pipe is written at step 3);
//     any failure, or ctx cancelled by then, removes it and records
//     nothing;
//  2. its codes are recorded in one transaction (RecordIssued); a failure
//     removes the file;
//  3. it is renamed to its final name, and the directory synced.
//
// Once step 2 has begun the file is finished even if ctx is cancelled:
// Ctrl-C stops before the next file, never between record and rename. The
// one window is a crash (power cut, kill -9) between the commit of step 2
// and the rename: the store then holds codes whose complete PDF sits under
// its temporary name (.FILE.pdf.*.tmp). That side was chosen on purpose: a
// recorded code that never reached paper is harmless, while a code on
// paper that the store does not know could never be revoked.
//
// Unless KeepPrevious, each resident's earlier codes are revoked after the
// rename, so a crash there leaves the old cards valid, never a person with
// no valid card.
func (w *writer) finish(last bool) error {
	if w.pdf == nil {
		return nil
	}
	pdf := w.pdf
	w.pdf, w.slot = nil, 0
	pdf.TransformEnd()
	if err := w.ctx.Err(); err != nil {
		return err
	}
	final := w.opt.Out
	if !last || w.fileNo > 1 {
		final = PartName(w.opt.Out, w.fileNo)
	}
	out, err := writePDF(final, pdf, w.opt.wrapOut)
	if err != nil {
		return err
	}
	if err := w.ctx.Err(); err != nil {
		out.Abort()
		return err
	}
	ctx := context.WithoutCancel(w.ctx)
	if err := w.rec.RecordIssued(ctx, w.codes); err != nil {
		out.Abort()
		return fmt.Errorf("record codes of %s: %w", final, err)
	}
	if err := out.Commit(); err != nil {
		if tmp := out.TempName(); tmp != "" {
			if _, serr := os.Stat(tmp); serr == nil {
				return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T(
					"码已登记，但文件无法改名为 "+final+"，完整文件在 "+tmp,
					"the codes are recorded but the file could not be renamed to "+final+"; the complete file is "+tmp))
			}
		}
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("码已登记，但无法写入 "+final, "the codes are recorded but "+final+" could not be written"))
	}
	w.res.Files = append(w.res.Files, final)
	w.listed = append(w.listed, w.rows...)
	w.res.Codes += len(w.codes)
	w.res.Pages += w.pages
	if !w.opt.KeepPrevious {
		n, err := w.revokePrevious(ctx)
		w.res.Revoked += n
		if err != nil {
			return fmt.Errorf("revoke earlier codes (%s written): %w", final, err)
		}
	}
	w.report()
	return nil
}

// revokePrevious revokes the earlier, unrevoked codes of the residents in
// the file just written, leaving the new ones alone.
func (w *writer) revokePrevious(ctx context.Context) (int, error) {
	fresh := make(map[string]bool, len(w.codes))
	for _, c := range w.codes {
		fresh[string(c.Serial)] = true
	}
	n := 0
	seen := map[int64]bool{}
	for _, c := range w.codes {
		if seen[c.ResidentID] {
			continue
		}
		seen[c.ResidentID] = true
		m, err := lifeline.RevokeEarlierCodes(ctx, w.rec, c.ResidentID, fresh, w.opt.IssuedBy)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// writePDF writes pdf for final (see outfile: beside it under a
// temporary name, or for a device or pipe in memory) and syncs it; on any
// failure nothing is left.
func writePDF(final string, pdf *gofpdf.Fpdf, wrap func(io.Writer) io.Writer) (*outfile.File, error) {
	// Cards and their list hold personal data: 0600, as every file
	// lifeline writes that does.
	f, err := outfile.Create(final, 0o600)
	if err != nil {
		return nil, err
	}
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	err = pdf.Output(w)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Abort()
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T(
			"无法写入 "+final+"（磁盘已满或没有写权限？）",
			"cannot write "+final+" (disk full or no permission?)"))
	}
	return f, nil
}
